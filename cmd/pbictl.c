/*
 * pbictl.c: main, the global options and the command table.
 */
#include "cmd.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <fcntl.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PBICTL_SYNOPSIS							\
	"usage: pbictl [--ledger FILE|URI] [--cloud NAME] "		\
	"[-o table|json|junit] [--jobs N]\n"				\
	"              [--rate N] [--lock-wait SECONDS] [--dry-run]\n"	\
	"              [--client-secret-file FILE] [--device-code]\n"	\
	"              [--assertion-alg PS256|RS256] [-v] [-q] [-hV] "	\
	"command [args]\n"

/*
 * The global options: one table, for before the command (with -h and -V)
 * and, through cmd_getopt, after it.
 */
static const struct option global_opts[] = {
	{ "ledger",	required_argument, NULL, 'L' },
	{ "cloud",	required_argument, NULL, 'C' },
	{ "output",	required_argument, NULL, 'o' },
	{ "jobs",	required_argument, NULL, 'j' },
	{ "rate",	required_argument, NULL, 'R' },
	{ "dry-run",	no_argument,	   NULL, 'n' },
	{ "client-secret-file", required_argument, NULL, 'S' },
	{ "device-code", no_argument,	   NULL, 'D' },
	{ "assertion-alg", required_argument, NULL, 'A' },
	{ "lock-wait",	required_argument, NULL, 'W' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "quiet",	no_argument,	   NULL, 'q' },
	{ "help",	no_argument,	   NULL, 'h' },	/* before only */
	{ "version",	no_argument,	   NULL, 'V' },	/* before only */
	{ NULL,		0,		   NULL, 0 }
};
#define GLOBAL_SHORT	"o:j:nvq"	/* before and after the command */
#define BEFORE_ONLY(ch)	((ch) == 'h' || (ch) == 'V')

/* A second-level verb and what it needs set up (cmd_setup). */
struct verb {
	const char	*name;
	pbi_cmd_fn	 fn;
	int		 need;
};

#define CHANGES		(NEED_LEDGER | NEED_SVC | NEED_LOCK)
#define TENANT		(CHANGES | NEED_TENANT)
#define READS_SVC	(NEED_LEDGER | NEED_SVC)

/* In the order the usage names them. */
static const struct verb auth_verbs[] = {
	{ "status",	cmd_auth_status,	NEED_SVC },
	{ NULL, NULL, 0 }
};
static const struct verb capacity_verbs[] = {
	{ "list",	cmd_capacity_list,	READS_SVC },
	{ "assign",	cmd_capacity_assign,	CHANGES },
	{ NULL, NULL, 0 }
};
static const struct verb customer_verbs[] = {
	{ "add",	cmd_customer_add,	CHANGES },
	{ "list",	cmd_customer_list,	NEED_LEDGER },
	{ "show",	cmd_customer_show,	NEED_LEDGER },
	{ "remove",	cmd_customer_remove,	CHANGES },
	{ NULL, NULL, 0 }
};
static const struct verb grant_verbs[] = {
	{ "ensure",	cmd_grant_ensure,	TENANT },
	{ "list",	cmd_grant_list,		READS_SVC },
	{ "revoke",	cmd_grant_revoke,	TENANT },
	{ NULL, NULL, 0 }
};
static const struct verb ledger_verbs[] = {
	{ "status",	cmd_ledger_status,	NEED_LEDGER },
	{ "export",	cmd_ledger_export,	NEED_LEDGER },
	{ "log",	cmd_ledger_log,		NEED_LEDGER },
	{ "verify",	cmd_ledger_verify,	NEED_LEDGER },
	{ "copy",	cmd_ledger_copy,	NEED_LEDGER },
	{ NULL, NULL, 0 }
};
static const struct verb migrate_verbs[] = {
	{ "plan",	cmd_migrate_plan,	CHANGES },
	{ "run",	cmd_migrate_run,	CHANGES },
	{ "status",	cmd_migrate_status,	NEED_LEDGER },
	{ NULL, NULL, 0 }
};
static const struct verb sp_verbs[] = {
	{ "ensure",	cmd_sp_ensure,		TENANT },
	{ "show",	cmd_sp_show,		READS_SVC },
	{ NULL, NULL, 0 }
};

/*
 * The commands, alphabetical: a command with verbs dispatches on them,
 * one without is its own verb.  init manages its ledger itself.
 */
static const struct {
	const char		*name;
	pbi_cmd_fn		 fn;
	const struct verb	*verbs;
	int			 need;
	void			 (*usage)(int);
	const char		*what;
} commands[] = {
	{ "audit", cmd_audit, NULL, READS_SVC | OUT_JUNIT, usage_audit,
	  "find every breach of customer isolation; read-only" },
	{ "auth", NULL, auth_verbs, 0, usage_auth,
	  "acquire Graph and Power BI tokens and show who pbictl is" },
	{ "capacity", NULL, capacity_verbs, 0, usage_capacity,
	  "list capacities; assign customers' workspaces to one" },
	{ "customer", NULL, customer_verbs, 0, usage_customer,
	  "add, list, show or remove customers (profile and workspace)" },
	{ "grant", NULL, grant_verbs, 0, usage_grant,
	  "ensure, list or revoke the app's OAuth2 permission grants" },
	{ "init", cmd_init, NULL, 0, usage_init,
	  "create a ledger for one tenant deployment, or show its settings" },
	{ "ledger", NULL, ledger_verbs, 0, usage_ledger,
	  "status, export, log, verify and copy of the ledger" },
	{ "migrate", NULL, migrate_verbs, 0, usage_migrate,
	  "move Workspace Collections content into customers' workspaces" },
	{ "onboard", cmd_onboard, NULL, CHANGES, usage_onboard,
	  "add, assign and publish for customers, one resumable pipeline" },
	{ "publish", cmd_publish, NULL, CHANGES, usage_publish,
	  "publish a .pbix to customers' workspaces, in waves" },
	{ "sp", NULL, sp_verbs, 0, usage_sp,
	  "ensure or show the app's service principal" },
	{ "token", cmd_token, NULL, READS_SVC, usage_token,
	  "an embed token for a customer's items, or a check of all" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

__attribute__((noreturn)) static void
usage(int status)
{
	FILE	*fp = status ? stderr : stdout;
	size_t	 i;

	fputs(PBICTL_SYNOPSIS, fp);
	fputs("\ncommands:\n", fp);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].what);
	fputs("\n'pbictl COMMAND -h' for a command's options; "
	    "pbictl(1) for the rest.\n", fp);
	exit(status);
}

void
cmd_emit(const struct pbi_cmdctx *ctx, struct json_object *o,
    void (*table)(struct json_object *))
{
	if (ctx->out == PBI_OUT_JSON || table == NULL)
		pbi_json_print(o, stdout);
	else
		table(o);
}

const struct pbi_err *
cmd_posint(const char *opt, const char *v, long max, long *out)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *v == '\0' || *end != '\0' || n < 1 || n > max)
		return pbi_err(PBI_ERR_USAGE, "%s: expected a whole number "
		    "from 1 to %ld, not '%s'", opt, max, v);
	*out = n;
	return NULL;
}

/*
 * The ledger's path: --ledger, $PBICTL_LEDGER, or the XDG data directory.
 * Returns a new string (free(3)) or NULL with *err set.
 */
static char *
ledger_path(const char *opt, const struct pbi_err **err)
{
	const char	*env, *home;
	char		*p = NULL;
	size_t		 n;

	*err = NULL;
	if (opt != NULL)
		p = strdup(opt);
	else if ((env = getenv("PBICTL_LEDGER")) != NULL && *env != '\0')
		p = strdup(env);
	else if ((env = getenv("XDG_DATA_HOME")) != NULL && *env == '/') {
		n = strlen(env) + 32;
		if ((p = malloc(n)) != NULL)
			snprintf(p, n, "%s/pbictl/ledger.db", env);
	} else if ((home = getenv("HOME")) != NULL && *home == '/') {
		n = strlen(home) + 48;
		if ((p = malloc(n)) != NULL)
			snprintf(p, n, "%s/.local/share/pbictl/ledger.db",
			    home);
	} else {
		*err = pbi_err(PBI_ERR_CONFIG, "cannot place the ledger: set "
		    "HOME, XDG_DATA_HOME or PBICTL_LEDGER, or use --ledger");
		return NULL;
	}
	if (p == NULL)
		*err = pbi_err(PBI_ERR_NOMEM, "out of memory");
	return p;
}

/*
 * Apply global option ch with value arg to ctx.  Returns NULL, or a usage
 * error; -h and -V act at once.
 */
static const struct pbi_err *
global_opt(struct pbi_cmdctx *ctx, int ch, const char *arg)
{
	const struct pbi_err	*err;
	char			 why[1024];
	long			 n;

	switch (ch) {
	case 'L':
		ctx->ledger_opt = arg;
		break;
	case 'C':
		if ((err = pbi_setting_check(PBI_SET_CLOUD, arg)) != NULL) {
			/* err is the slot pbi_err writes: copy it first. */
			pbi_strlcpy(why, err->msg, sizeof(why));
			return pbi_err(PBI_ERR_USAGE, "--cloud: %s", why);
		}
		ctx->cloud = arg;
		break;
	case 'o':
		if (strcmp(arg, "json") == 0)
			ctx->out = PBI_OUT_JSON;
		else if (strcmp(arg, "table") == 0)
			ctx->out = PBI_OUT_TABLE;
		else if (strcmp(arg, "junit") == 0)
			ctx->out = PBI_OUT_JUNIT;
		else
			return pbi_err(PBI_ERR_USAGE, "-o: expected table or "
			    "json, not '%s' (pbictl audit also writes junit)",
			    arg);
		break;
	case 'j':
		if ((err = cmd_posint("--jobs", arg, 64, &n)) != NULL)
			return err;
		ctx->jobs = (int)n;
		break;
	case 'W':
		if (strcmp(arg, "0") == 0)
			ctx->lock_wait = 0;
		else if ((err = cmd_posint("--lock-wait", arg, 3600, &n)) !=
		    NULL)
			return err;
		else
			ctx->lock_wait = (int)n;
		break;
	case 'R':
		if ((err = cmd_posint("--rate", arg, 100000, &n)) != NULL)
			return err;
		ctx->rate = n;
		break;
	case 'n':
		ctx->dry_run = 1;
		break;
	case 'S':
		ctx->auth.secret_file = arg;
		break;
	case 'D':
		ctx->auth.method = PBI_AUTH_DEVICE;
		break;
	case 'A':
		if (strcmp(arg, "RS256") == 0)
			ctx->auth.rs256 = 1;
		else if (strcmp(arg, "PS256") == 0)
			ctx->auth.rs256 = 0;
		else
			return pbi_err(PBI_ERR_USAGE, "--assertion-alg: "
			    "expected PS256 or RS256, not '%s'", arg);
		break;
	case 'v':
		ctx->verbose++;
		break;
	case 'q':
		ctx->quiet = 1;
		break;
	case 'h':
		usage(0);
	case 'V':
		printf("pbictl %s\n", PBICTL_VERSION);
		exit(0);
	default:
		usage(2);
	}
	return NULL;
}

/* A bad global option value: say so once, with the usage, exit 2. */
__attribute__((noreturn)) static void
global_fail(const struct pbi_err *err)
{
	fprintf(stderr, "pbictl: %s\n", err->msg);
	usage(2);
}

/* Offset of the global options' values in cmd_getopt's merged table. */
#define GLOBAL_VAL	0x1000
#define MAX_OPTS	64

int
cmd_getopt(struct pbi_cmdctx *ctx, int argc, char **argv,
    const struct option *opts)
{
	static struct option		 all[MAX_OPTS];
	static const struct option	*merged;
	const struct pbi_err		*err;
	size_t				 n, g;
	int				 ch, li;

	/* The command's options, then the global ones, as one table. */
	if (merged != opts) {
		for (n = 0; opts[n].name != NULL && n < MAX_OPTS / 2; n++)
			all[n] = opts[n];
		for (g = 0; global_opts[g].name != NULL; g++) {
			if (BEFORE_ONLY(global_opts[g].val))
				continue;
			all[n] = global_opts[g];
			all[n].val = GLOBAL_VAL + global_opts[g].val;
			n++;
		}
		memset(&all[n], 0, sizeof(all[n]));
		merged = opts;
	}
	for (;;) {
		li = -1;
		ch = getopt_long(argc, argv, "h" GLOBAL_SHORT, all, &li);
		if (ch >= GLOBAL_VAL)
			ch -= GLOBAL_VAL;
		/* The command's options are long, but for -h. */
		else if (ch == -1 || li != -1 || ch == 'h' ||
		    strchr(GLOBAL_SHORT, ch) == NULL || ch == ':')
			return ch;
		if ((err = global_opt(ctx, ch, optarg)) != NULL)
			global_fail(err);
	}
}

int
cmd_plain(struct pbi_cmdctx *ctx, int argc, char **argv,
    const char *synopsis, void (*usage_fn)(int))
{
	static const struct option	 opts[] = {
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	int				 ch;

	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		if (ch == 'h') {
			printf("usage: %s", synopsis);
			exit(0);
		}
		usage_fn(2);
	}
	return optind;
}

/*
 * The run lock's file for the ledger at path: in the directory that
 * really holds the ledger (symlinks resolved), named by the ledger's
 * inode, so that every name of the file (a symlink, another mount
 * point) reaches one lock.  A ledger with a second hard link is refused:
 * SQLite names the -wal and -shm files by path, and two names of one
 * database would each have their own and corrupt it.  *ino is the
 * ledger's inode.
 */
static const struct pbi_err *
lock_path(const char *path, char *buf, size_t len, ino_t *ino)
{
	struct stat	 sb;
	char		*real, *slash;

	if ((real = realpath(path, NULL)) == NULL)
		return pbi_err_errno("cannot resolve ledger '%s'", path);
	if (stat(real, &sb) == -1) {
		free(real);
		return pbi_err_errno("cannot open ledger '%s'", path);
	}
	if (sb.st_nlink > 1) {
		free(real);
		return pbi_err(PBI_ERR_REFUSED, "ledger '%s' has %lu hard "
		    "links: SQLite keys its journal on the path, so two names "
		    "of one ledger can corrupt it; keep one name (a symlink "
		    "is safe)", path, (unsigned long)sb.st_nlink);
	}
	slash = strrchr(real, '/');
	*slash = '\0';
	snprintf(buf, len, "%s/.%s.%llu.lock", slash == real ? "" : real,
	    slash + 1, (unsigned long long)sb.st_ino);
	*ino = sb.st_ino;
	free(real);
	return NULL;
}

const struct pbi_err *
cmd_take_lock(struct pbi_cmdctx *ctx, struct pbi_ledger *l, int wait_s)
{
	static int		 fd = -1;
	const struct pbi_err	*err;
	struct stat		 sb;
	ino_t			 ino = 0;
	char			 path[PATH_MAX + 64];
	int			 tries, saved, got;

	if (fd != -1 || ctx->dry_run || ctx->ledger_path == NULL)
		return NULL;
	/*
	 * A shared (PostgreSQL) ledger locks each customer as a run reaches
	 * it (pbi_each_customer), and the tenant for a tenant-wide step.
	 */
	if (l != NULL && pbi_ledger_shared(l)) {
		if (!(ctx->need & NEED_TENANT))
			return NULL;
		if ((err = pbi_ledger_lock(l, "tenant", &got)) != NULL)
			return err;
		fd = -2;
		if (got == 0) {
			fd = -1;
			return pbi_err(PBI_ERR_REFUSED, "another pbictl is "
			    "changing the tenant in ledger '%s' (waited %d s, "
			    "--lock-wait): wait for it to finish",
			    pbi_ledger_path(l), pbi_ledger_lock_wait(l));
		}
		return NULL;
	}
	if (pbi_ledger_is_uri(ctx->ledger_path) ||
	    (l == NULL && access(ctx->ledger_path, F_OK) == -1))
		return NULL;
	if ((err = lock_path(ctx->ledger_path, path, sizeof(path), &ino)))
		return err;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1)
		return pbi_err_errno("cannot open '%s'", path);
	for (tries = 0; flock(fd, LOCK_EX | LOCK_NB) == -1; tries++) {
		if (errno == EWOULDBLOCK && tries < wait_s * 10) {
			usleep(100000);
			continue;
		}
		saved = errno;
		close(fd);
		fd = -1;
		errno = saved;
		if (errno == EWOULDBLOCK)
			return pbi_err(PBI_ERR_REFUSED, "another pbictl is "
			    "changing ledger '%s' now: wait for it to finish",
			    ctx->ledger_path);
		return pbi_err_errno("cannot lock '%s'", path);
	}
	/* Replaced while we waited: the lock is of another file. */
	if (stat(ctx->ledger_path, &sb) == -1 || sb.st_ino != ino) {
		close(fd);
		fd = -1;
		return pbi_err(PBI_ERR_REFUSED, "ledger '%s' was replaced "
		    "while waiting for its run lock: run again",
		    ctx->ledger_path);
	}
	return NULL;
}

/*
 * Credentials and endpoints for a command that calls the services: the
 * tenant, client and cloud from the ledger (if there is one), the
 * environment, and the global options.
 */
static const struct pbi_err *
make_svc(struct pbi_cmdctx *ctx)
{
	const struct pbi_err	*err = NULL;
	char			*tenant = NULL, *client = NULL, *cloud = NULL;

	if (ctx->svc != NULL)
		return NULL;
	if (ctx->ledger == NULL && (pbi_ledger_is_uri(ctx->ledger_path) ||
	    access(ctx->ledger_path, F_OK) == 0) &&
	    (err = pbi_ledger_open(ctx->ledger_path, 0, &ctx->ledger)) != NULL)
		return err;
	if (ctx->ledger != NULL &&
	    ((err = pbi_ledger_get(ctx->ledger, PBI_SET_TENANT, &tenant)) ||
	    (err = pbi_ledger_get(ctx->ledger, PBI_SET_CLIENT, &client)) ||
	    (err = pbi_ledger_get(ctx->ledger, PBI_SET_CLOUD, &cloud))))
		goto done;
	ctx->auth.tenant = tenant;
	ctx->auth.client_id = client;
	err = pbi_svc_new(ctx->cloud ? ctx->cloud : cloud, &ctx->auth,
	    ctx->verbose, ctx->dry_run, &ctx->svc);
	if (err == NULL && ctx->rate > 0)
		pbi_http_set_rate(ctx->svc->http, (double)ctx->rate);
	ctx->auth.tenant = ctx->auth.client_id = NULL;
done:
	free(tenant);
	free(client);
	free(cloud);
	return err;
}

const struct pbi_err *
cmd_setup(struct pbi_cmdctx *ctx)
{
	const struct pbi_err	*err;

	if (ctx->out == PBI_OUT_JUNIT && !(ctx->need & OUT_JUNIT))
		return pbi_err(PBI_ERR_USAGE, "-o junit: only pbictl audit "
		    "writes JUnit XML");
	if (ctx->ledger_path == NULL &&
	    (ctx->ledger_path = ledger_path(ctx->ledger_opt, &err)) == NULL)
		return err;
	pbi_ledger_configure(ctx->verbose, ctx->lock_wait);
	if ((ctx->need & NEED_LEDGER) && ctx->ledger == NULL &&
	    (err = pbi_ledger_open(ctx->ledger_path, 0, &ctx->ledger)) !=
	    NULL)
		return err;
	if ((ctx->need & NEED_SVC) && (err = make_svc(ctx)) != NULL)
		return err;
	if ((ctx->need & NEED_LOCK) &&
	    (err = cmd_take_lock(ctx, ctx->ledger, 0)) != NULL)
		return err;
	return NULL;
}

/* "a verb is needed: a, b or c" for the verbs of command i. */
static const struct pbi_err *
no_verb(size_t i)
{
	const struct verb	*v = commands[i].verbs;
	char			 list[256] = "";
	size_t			 k, n, len;

	for (n = 0; v[n].name != NULL; n++)
		;
	for (k = 0; k < n; k++) {
		len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s",
		    k == 0 ? "" : k + 1 == n ? " or " : ", ", v[k].name);
	}
	return pbi_err(PBI_ERR_USAGE, "a verb is needed: %s", list);
}

int
main(int argc, char *argv[])
{
	struct pbi_cmdctx	 ctx;
	const struct pbi_err	*err = NULL;
	const struct verb	*v;
	pbi_cmd_fn		 fn;
	char			 msg[4096], cmdname[64];
	size_t			 i;
	int			 ch, status;

	memset(&ctx, 0, sizeof(ctx));
	ctx.progname = "pbictl";
	ctx.jobs = PBI_JOBS_AUTO;
	ctx.lock_wait = 5;
	while ((ch = getopt_long(argc, argv, "+" GLOBAL_SHORT "hV",
	    global_opts, NULL)) != -1)
		if ((err = global_opt(&ctx, ch, optarg)) != NULL)
			global_fail(err);
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(2);
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			break;
	if (i == NCOMMANDS) {
		fprintf(stderr, "pbictl: unknown command '%s'\n\n", argv[0]);
		usage(2);
	}
	/* Each command parses from argv[0]: reset getopt for it. */
	snprintf(cmdname, sizeof(cmdname), "pbictl %s", commands[i].name);
	argv[0] = cmdname;
	optind = 0;
	fn = commands[i].fn;
	ctx.need = commands[i].need;
	if (commands[i].verbs != NULL) {
		/* Global options may stand between command and verb too. */
		while ((ch = getopt_long(argc, argv, "+h" GLOBAL_SHORT,
		    global_opts, NULL)) != -1) {
			if (ch == 'h')
				commands[i].usage(0);
			if (BEFORE_ONLY(ch) || ch == '?' || ch == ':')
				commands[i].usage(2);
			if ((err = global_opt(&ctx, ch, optarg)) != NULL)
				global_fail(err);
		}
		if (optind >= argc) {
			err = no_verb(i);
			goto verb_err;
		}
		for (v = commands[i].verbs; v->name != NULL; v++)
			if (strcmp(argv[optind], v->name) == 0)
				break;
		if (v->name == NULL) {
			err = pbi_err(PBI_ERR_USAGE, "unknown verb '%s'",
			    argv[optind]);
			goto verb_err;
		}
		argc -= optind;
		argv += optind;
		optind = 0;
		fn = v->fn;
		ctx.need = v->need;
	}
	err = fn(&ctx, argc, argv);
verb_err:
	if (err != NULL && err->code == PBI_ERR_USAGE) {
		fprintf(stderr, "pbictl %s: %s\n", commands[i].name, err->msg);
		pbi_svc_free(ctx.svc);
		pbi_ledger_close(ctx.ledger);
		free(ctx.ledger_path);
		free(ctx.failures);
		commands[i].usage(2);
	}
	pbi_svc_free(ctx.svc);
	pbi_ledger_close(ctx.ledger);
	free(ctx.ledger_path);
	status = err ? pbi_err_exit(err) : ctx.status;
	/* A full disk or a closed pipe must not pass for success (git). */
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno != EPIPE)
			fprintf(stderr, "pbictl: cannot write the output: "
			    "%s\n", strerror(errno));
		status = 1;
	}
	/* After the results: scripts that log stderr see failures too. */
	if (ctx.failures != NULL)
		fprintf(stderr, "pbictl: %s\n", ctx.failures);
	free(ctx.failures);
	if (err != NULL)
		fprintf(stderr, "pbictl: %s\n", pbi_err_str(err, msg,
		    sizeof(msg)));
	return status;
}
