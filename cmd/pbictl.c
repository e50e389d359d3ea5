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
	"usage: pbictl [--ledger FILE] [--cloud NAME] [-o table|json] "	\
	"[--jobs N]\n"							\
	"              [--dry-run] [--client-secret-file FILE] [--device-code]\n"\
	"              [--assertion-alg PS256|RS256] [-v] [-q] [-hV] "	\
	"command [args]\n"

static const struct {
	const char	*name;
	pbi_cmd_fn	 fn;
	void		 (*usage)(int);
	int		 flags;
	const char	*what;
} commands[] = {
	{ "auth", cmd_auth, usage_auth, 0,
	  "acquire Graph and Power BI tokens and show who pbictl is" },
	{ "capacity", cmd_capacity, usage_capacity, NEED_LEDGER,
	  "list capacities; assign customers' workspaces to one" },
	{ "customer", cmd_customer, usage_customer, NEED_LEDGER,
	  "add, list, show or remove customers (profile and workspace)" },
	{ "grant", cmd_grant, usage_grant, NEED_LEDGER,
	  "ensure, list or revoke the app's OAuth2 permission grants" },
	{ "init", cmd_init, usage_init, 0,
	  "create a ledger for one tenant deployment, or show its settings" },
	{ "ledger", cmd_ledger, usage_ledger, NEED_LEDGER,
	  "status, export, log and verify of the local ledger" },
	{ "onboard", cmd_onboard, usage_onboard, NEED_LEDGER,
	  "add, assign and publish for customers, one resumable pipeline" },
	{ "publish", cmd_publish, usage_publish, NEED_LEDGER,
	  "publish a .pbix to customers' workspaces, in waves" },
	{ "sp", cmd_sp, usage_sp, NEED_LEDGER,
	  "ensure or show the app's service principal" },
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
global_opt(struct pbi_cmdctx *ctx, int ch, const char *arg,
    const char **ledger_opt)
{
	const struct pbi_err	*err;
	char			 why[1024];
	long			 n;

	switch (ch) {
	case 'L':
		*ledger_opt = arg;
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
		else
			return pbi_err(PBI_ERR_USAGE, "-o: expected table or "
			    "json, not '%s'", arg);
		break;
	case 'j':
		if ((err = cmd_posint("--jobs", arg, 64, &n)) != NULL)
			return err;
		ctx->jobs = (int)n;
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

/*
 * Global options may also follow the command ("pbictl ledger status -o
 * json"): take them out of argv[1..argc), up to "--", and return the new
 * argc.  The command's own -h stays.
 */
static int
global_after(struct pbi_cmdctx *ctx, int argc, char **argv,
    const char **ledger_opt, const struct pbi_err **errp)
{
	static const struct {
		const char	*s, *l;
		int		 ch, arg;
	} g[] = {
		{ "-o", "--output", 'o', 1 }, { "-j", "--jobs", 'j', 1 },
		{ NULL, "--ledger", 'L', 1 }, { NULL, "--cloud", 'C', 1 },
		{ "-n", "--dry-run", 'n', 0 }, { "-v", "--verbose", 'v', 0 },
		{ "-q", "--quiet", 'q', 0 },
		{ NULL, "--client-secret-file", 'S', 1 },
		{ NULL, "--device-code", 'D', 0 },
		{ NULL, "--assertion-alg", 'A', 1 },
	};
	const char	*a, *val;
	size_t		 k, ln;
	int		 i, o = 1, hit, vs;

	*errp = NULL;
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			while (i < argc)
				argv[o++] = argv[i++];
			break;
		}
		hit = 0;
		/* -vv, -vvv */
		if (a[0] == '-' && a[1] == 'v' && strspn(a + 1, "v") ==
		    strlen(a + 1)) {
			for (vs = 1; a[vs] != '\0'; vs++)
				ctx->verbose++;
			continue;
		}
		for (k = 0; k < sizeof(g) / sizeof(g[0]) && !hit; k++) {
			val = NULL;
			ln = strlen(g[k].l);
			if (strcmp(a, g[k].l) == 0 ||
			    (g[k].s && strcmp(a, g[k].s) == 0)) {
				if (g[k].arg) {
					if (i + 1 >= argc) {
						*errp = pbi_err(PBI_ERR_USAGE,
						    "%s needs a value", a);
						return argc;
					}
					val = argv[++i];
				}
				hit = 1;
			} else if (g[k].arg && strncmp(a, g[k].l, ln) == 0 &&
			    a[ln] == '=') {
				val = a + ln + 1;
				hit = 1;
			} else if (g[k].arg && g[k].s &&
			    strncmp(a, g[k].s, 2) == 0 && a[2] != '\0') {
				val = a + 2;
				hit = 1;
			}
			if (hit && (*errp = global_opt(ctx, g[k].ch, val,
			    ledger_opt)) != NULL)
				return argc;
		}
		if (!hit)
			argv[o++] = argv[i];
	}
	argv[o] = NULL;
	return o;
}

/*
 * Credentials and endpoints for a command that calls the services: the
 * tenant, client and cloud from the ledger (if there is one), the
 * environment, and the global options.
 */
const struct pbi_err *
cmd_lock(struct pbi_cmdctx *ctx)
{
	static int	 fd = -1;
	char		 path[4096];

	if (fd != -1 || ctx->dry_run || ctx->ledger == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s.lock", ctx->ledger_path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return pbi_err_errno("cannot open '%s'", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		fd = -1;
		if (errno == EWOULDBLOCK)
			return pbi_err(PBI_ERR_REFUSED, "another pbictl is "
			    "changing ledger '%s' now: wait for it to finish",
			    ctx->ledger_path);
		return pbi_err_errno("cannot lock '%s'", path);
	}
	/* Held until the process exits, however it exits. */
	return NULL;
}

const struct pbi_err *
cmd_svc(struct pbi_cmdctx *ctx)
{
	const struct pbi_err	*err = NULL;
	char			*tenant = NULL, *client = NULL, *cloud = NULL;

	if (ctx->svc != NULL)
		return NULL;
	if (ctx->ledger == NULL &&
	    access(ctx->ledger_path, F_OK) == 0 &&
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
	ctx->auth.tenant = ctx->auth.client_id = NULL;
done:
	free(tenant);
	free(client);
	free(cloud);
	return err;
}

int
main(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "ledger",	required_argument, NULL, 'L' },
		{ "cloud",	required_argument, NULL, 'C' },
		{ "output",	required_argument, NULL, 'o' },
		{ "jobs",	required_argument, NULL, 'j' },
		{ "dry-run",	no_argument,	   NULL, 'n' },
		{ "client-secret-file", required_argument, NULL, 'S' },
		{ "device-code", no_argument,	   NULL, 'D' },
		{ "assertion-alg", required_argument, NULL, 'A' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "quiet",	no_argument,	   NULL, 'q' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL,		0,		   NULL, 0 }
	};
	struct pbi_cmdctx	 ctx;
	const struct pbi_err	*err = NULL;
	const char		*ledger_opt = NULL;
	char			 msg[4096], cmdname[64];
	size_t			 i;
	int			 ch, status, k;

	memset(&ctx, 0, sizeof(ctx));
	ctx.progname = "pbictl";
	ctx.jobs = 8;
	while ((ch = getopt_long(argc, argv, "+o:j:nvqhV", opts, NULL)) != -1)
		if ((err = global_opt(&ctx, ch, optarg, &ledger_opt)) != NULL)
			goto usage_err;
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
	argc = global_after(&ctx, argc, argv, &ledger_opt, &err);
	if (err != NULL)
		goto usage_err;
	if ((ctx.ledger_path = ledger_path(ledger_opt, &err)) == NULL)
		goto done;
	/* Each command parses from argv[0]: reset getopt for it. */
	snprintf(cmdname, sizeof(cmdname), "pbictl %s", commands[i].name);
	argv[0] = cmdname;
	optind = 0;
	/* -h needs no ledger and no credential: the command answers it. */
	for (k = 1; k < argc && strcmp(argv[k], "--") != 0; k++)
		if (strcmp(argv[k], "-h") == 0 ||
		    strcmp(argv[k], "--help") == 0)
			break;
	if (k < argc && strcmp(argv[k], "--") == 0)
		k = argc;
	if (commands[i].flags & NEED_LEDGER) {
		if (k == argc &&
		    (err = pbi_ledger_open(ctx.ledger_path, 0,
		    &ctx.ledger)) != NULL)
			goto done;
	}
	err = commands[i].fn(&ctx, argc, argv);
	if (err != NULL && err->code == PBI_ERR_USAGE) {
		fprintf(stderr, "pbictl %s: %s\n", commands[i].name, err->msg);
		pbi_svc_free(ctx.svc);
		pbi_ledger_close(ctx.ledger);
		free(ctx.ledger_path);
		commands[i].usage(2);
	}
done:
	pbi_svc_free(ctx.svc);
	pbi_ledger_close(ctx.ledger);
	free(ctx.ledger_path);
	status = err ? pbi_err_exit(err) : ctx.status;
	if (err != NULL)
		fprintf(stderr, "pbictl: %s\n", pbi_err_str(err, msg,
		    sizeof(msg)));
	/* A full disk or a closed pipe must not pass for success (git). */
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno != EPIPE)
			fprintf(stderr, "pbictl: cannot write the output: "
			    "%s\n", strerror(errno));
		return 1;
	}
	return status;
usage_err:
	fprintf(stderr, "pbictl: %s\n", err->msg);
	usage(2);
}
