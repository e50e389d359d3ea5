/*
 * init.c: pbictl init: create a ledger for one tenant deployment, or show
 * and change its settings.
 */
#include "cmd.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INIT_SYNOPSIS							\
	"usage: pbictl init [--tenant ID] [--client-id ID] [--cloud NAME] "\
	"[--capacity ID]\n"						\
	"                   [--name-template T] "				\
	"[--isolation profile|workspace]\n"

void
usage_init(int status)
{
	fputs(INIT_SYNOPSIS, status ? stderr : stdout);
	exit(status);
}

/* The settings init takes, in the order they are shown. */
static const struct {
	const char	*opt;
	const char	*key;
	int		 frozen;	/* cannot change once customers exist */
} keys[] = {
	{ "--tenant",		PBI_SET_TENANT,		1 },
	{ "--client-id",	PBI_SET_CLIENT,		1 },
	{ "--cloud",		PBI_SET_CLOUD,		1 },
	{ "--capacity",		PBI_SET_CAPACITY,	0 },
	{ "--name-template",	PBI_SET_TEMPLATE,	1 },
	{ "--isolation",	PBI_SET_ISOLATION,	1 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Create the ledger's directory, mode 0700, parents as needed. */
static const struct pbi_err *
make_parent(const char *path)
{
	char	*dir, *p;
	const struct pbi_err *err = NULL;

	if ((dir = strdup(path)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	if ((p = strrchr(dir, '/')) == NULL || p == dir) {
		free(dir);
		return NULL;
	}
	*p = '\0';
	for (p = dir + 1; err == NULL; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			err = pbi_err_errno("cannot create '%s'", dir);
		*p = c;
		if (c == '\0')
			break;
	}
	free(dir);
	return err;
}

static void
print_settings(struct json_object *o)
{
	pbi_kv_print(pj_obj(o, "settings"), stdout);
}

const struct pbi_err *
cmd_init(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "tenant",	   required_argument, NULL, 0 },
		{ "client-id",	   required_argument, NULL, 1 },
		/* --cloud is the global option, checked there. */
		{ "capacity",	   required_argument, NULL, 3 },
		{ "name-template", required_argument, NULL, 4 },
		{ "isolation",	   required_argument, NULL, 5 },
		{ "help",	   no_argument,	      NULL, 'h' },
		{ NULL,		   0,		      NULL, 0 }
	};
	const struct pbi_err	*err = NULL;
	const char		*want[NKEYS] = { NULL };
	struct pbi_ledger	*l = NULL;
	struct json_object	*out = NULL, *settings = NULL, *status = NULL;
	char			*cur = NULL;
	size_t			 i;
	int			 ch, changed = 0, fd, made = 0;
	long			 ncust;
	struct stat		 sb;

	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		if (ch == 'h')
			usage_init(0);
		if (ch < 0 || (size_t)ch >= NKEYS)
			usage_init(2);
		want[ch] = optarg;
	}
	if (optind != argc)
		return pbi_err(PBI_ERR_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	want[2] = ctx->cloud;
	/* Check everything before the ledger is touched. */
	for (i = 0; i < NKEYS; i++)
		if (want[i] != NULL &&
		    (err = pbi_setting_check(keys[i].key, want[i])) != NULL)
			return pbi_err_ctx(err, "%s", keys[i].opt);
	/* init opens (or creates) its ledger itself: the path only. */
	if ((err = cmd_setup(ctx)) != NULL)
		return err;
	if (!pbi_ledger_is_uri(ctx->ledger_path) &&
	    access(ctx->ledger_path, F_OK) == -1) {
		if (want[0] == NULL || want[1] == NULL)
			return pbi_err(PBI_ERR_USAGE, "a new ledger needs "
			    "--tenant and --client-id");
		if (ctx->dry_run)
			return pbi_err(PBI_ERR_USAGE, "--dry-run: no ledger "
			    "at '%s' to show", ctx->ledger_path);
		if ((err = make_parent(ctx->ledger_path)) != NULL)
			return err;
		/*
		 * An empty file to lock: a concurrent init may make it
		 * first, and then waits for the lock like any other run.
		 */
		if ((fd = open(ctx->ledger_path, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0600)) != -1) {
			made = 1;
			close(fd);
		} else if (errno != EEXIST)
			return pbi_err_errno("cannot create ledger '%s'",
			    ctx->ledger_path);
	}
	/*
	 * Two inits at once on a SQLite ledger: the second waits, then finds
	 * the first's.  A dry run creates nothing, not even a shared
	 * ledger's schema.
	 */
	if (!pbi_ledger_is_uri(ctx->ledger_path) &&
	    (err = cmd_take_lock(ctx, NULL, 30)) != NULL)
		goto done;
	if ((err = pbi_ledger_open(ctx->ledger_path, ctx->dry_run &&
	    pbi_ledger_is_uri(ctx->ledger_path) ? 0 : PBI_LEDGER_CREATE,
	    &l)) != NULL)
		goto done;
	/* init changes the tenant's settings: a shared ledger's tenant lock. */
	if (pbi_ledger_shared(l)) {
		ctx->need |= NEED_TENANT;
		if ((err = cmd_take_lock(ctx, l, 0)) != NULL)
			goto done;
	}
	if (pbi_ledger_created(l)) {
		for (i = 0; i < NKEYS; i++)
			if (want[i] == NULL)
				want[i] = pbi_setting_default(keys[i].key);
		if (want[0] == NULL || want[1] == NULL) {
			err = pbi_err(PBI_ERR_USAGE, "a new ledger needs "
			    "--tenant and --client-id");
			goto done;
		}
	}
	if ((err = pbi_ledger_status(l, &status)) != NULL)
		goto done;
	ncust = (long)pj_int(pj_obj(status, "counts"), "customers", 0);
	for (i = 0; i < NKEYS; i++) {
		if (want[i] == NULL)
			continue;
		free(cur);
		cur = NULL;
		if ((err = pbi_ledger_get(l, keys[i].key, &cur)) != NULL)
			goto done;
		if (cur != NULL && strcmp(cur, want[i]) == 0)
			continue;
		if (cur != NULL && keys[i].frozen && ncust > 0) {
			err = pbi_err(PBI_ERR_REFUSED, "cannot change %s from "
			    "'%s' to '%s': the ledger already has %ld "
			    "customer(s) set up under it", keys[i].opt + 2,
			    cur, want[i], ncust);
			goto done;
		}
		if (!ctx->dry_run &&
		    (err = pbi_ledger_set(l, keys[i].key, want[i])) != NULL)
			goto done;
		if (!ctx->quiet)
			fprintf(stderr, "pbictl: %s%s: %s -> %s\n",
			    ctx->dry_run ? "would set " : "", keys[i].key,
			    cur ? cur : "(unset)", want[i]);
		changed++;
	}
	if ((err = pbi_ledger_settings(l, &settings)) != NULL)
		goto done;
	out = json_object_new_object();
	pj_add_str(out, "ledger", pbi_ledger_path(l));
	pj_add_bool(out, "created", pbi_ledger_created(l));
	pj_add_int(out, "changed", changed);
	pj_add(out, "settings", settings);
	if (pbi_ledger_created(l) && !ctx->quiet)
		fprintf(stderr, "pbictl: created ledger '%s'\n",
		    pbi_ledger_path(l));
	cmd_emit(ctx, out, print_settings);
done:
	json_object_put(out);
	json_object_put(status);
	free(cur);
	pbi_ledger_close(l);
	/* A failed init leaves no empty ledger of its own behind. */
	if (err != NULL && made && stat(ctx->ledger_path, &sb) == 0 &&
	    sb.st_size == 0)
		unlink(ctx->ledger_path);
	return err;
}
