/*
 * ledger.c: pbictl ledger status | export | log | verify | copy.
 */
#include "cmd.h"

#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEDGER_STATUS_SYNOPSIS	"pbictl ledger status\n"
#define LEDGER_EXPORT_SYNOPSIS	"pbictl ledger export\n"
#define LEDGER_LOG_SYNOPSIS	"pbictl ledger log [--customer NAME] " \
				"[--limit N]\n"
#define LEDGER_VERIFY_SYNOPSIS	"pbictl ledger verify\n"
#define LEDGER_COPY_SYNOPSIS	"pbictl ledger copy --to FILE|URI\n"

void
usage_ledger(int status)
{
	FILE	*fp = status ? stderr : stdout;

	fputs("usage: " LEDGER_STATUS_SYNOPSIS
	    "       " LEDGER_EXPORT_SYNOPSIS
	    "       " LEDGER_LOG_SYNOPSIS
	    "       " LEDGER_VERIFY_SYNOPSIS
	    "       " LEDGER_COPY_SYNOPSIS, fp);
	exit(status);
}

/* Refuse options and arguments to a verb that takes none; then set up. */
static const struct pbi_err *
no_args(struct pbi_cmdctx *ctx, int argc, char **argv, const char *synopsis)
{
	int	 at;

	if ((at = cmd_plain(ctx, argc, argv, synopsis, usage_ledger)) < argc)
		return pbi_err(PBI_ERR_USAGE, "%s: unexpected argument '%s'",
		    argv[0], argv[at]);
	return cmd_setup(ctx);
}

static void
print_status(struct json_object *o)
{
	struct json_object	*c = pj_obj(o, "counts");

	printf("ledger          %s\n", pj_str(o, "path"));
	printf("schema version  %lld (this pbictl: %lld)\n",
	    (long long)pj_int(o, "schemaVersion", 0),
	    (long long)pj_int(o, "binarySchemaVersion", 0));
	printf("customers       %lld (%lld active)\n",
	    (long long)pj_int(c, "customers", 0),
	    (long long)pj_int(o, "activeCustomers", 0));
	printf("profiles        %lld\n", (long long)pj_int(c, "profiles", 0));
	printf("workspaces      %lld\n",
	    (long long)pj_int(c, "workspaces", 0));
	printf("reports         %lld\n", (long long)pj_int(c, "reports", 0));
	printf("grants          %lld\n", (long long)pj_int(c, "grants", 0));
	printf("migrated items  %lld\n",
	    (long long)pj_int(c, "migrations_map", 0));
	printf("journal         %lld entries, %lld open intents\n",
	    (long long)pj_int(c, "journal", 0),
	    (long long)pj_int(o, "openIntents", 0));
}

const struct pbi_err *
cmd_ledger_status(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	const struct pbi_err	*err;
	struct json_object	*o = NULL, *settings = NULL;

	if ((err = no_args(ctx, argc, argv, LEDGER_STATUS_SYNOPSIS)) != NULL)
		return err;
	if ((err = pbi_ledger_status(ctx->ledger, &o)) != NULL)
		return err;
	if ((err = pbi_ledger_settings(ctx->ledger, &settings)) == NULL) {
		pj_add(o, "settings", settings);
		cmd_emit(ctx, o, print_status);
	}
	json_object_put(o);
	return err;
}

const struct pbi_err *
cmd_ledger_export(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	const struct pbi_err	*err;

	if ((err = no_args(ctx, argc, argv, LEDGER_EXPORT_SYNOPSIS)) != NULL)
		return err;
	/* An export is JSON whatever -o says, written as it is read. */
	return pbi_ledger_export(ctx->ledger, stdout);
}

static void
print_log(struct json_object *a)
{
	static const char *const heads[] = { "ID", "STARTED", "CUSTOMER",
	    "STEP", "TARGET", "STATE", "RESULT", "REQUEST-ID", "ERROR",
	    NULL };
	struct pbi_table	*t;
	struct json_object	*r;
	char			 id[32];
	size_t			 i;

	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < pj_len(a); i++) {
		r = pj_idx(a, i);
		snprintf(id, sizeof(id), "%lld", (long long)pj_int(r, "id", 0));
		const char *cells[] = { id, pj_str(r, "started_at"),
		    pj_str(r, "customer"), pj_str(r, "step"),
		    pj_str(r, "target"), pj_str(r, "state"),
		    pj_str(r, "result"), pj_str(r, "request_id"),
		    pj_str(r, "error") };
		pbi_table_row(t, cells);
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
}

const struct pbi_err *
cmd_ledger_log(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "customer",	required_argument, NULL, 'c' },
		{ "limit",	required_argument, NULL, 'n' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const struct pbi_err	*err;
	struct json_object	*a = NULL;
	const char		*slug = NULL;
	long			 limit = 0;
	int			 ch;

	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'c':
			slug = optarg;
			break;
		case 'n':
			if ((err = cmd_posint("--limit", optarg, 1000000000L,
			    &limit)) != NULL)
				return err;
			break;
		case 'h':
			printf("usage: %s", LEDGER_LOG_SYNOPSIS);
			exit(0);
		default:
			usage_ledger(2);
		}
	}
	if (optind != argc)
		return pbi_err(PBI_ERR_USAGE, "log: unexpected argument '%s'",
		    argv[optind]);
	if ((err = cmd_setup(ctx)) != NULL ||
	    (err = pbi_ledger_log(ctx->ledger, slug, limit, &a)) != NULL)
		return err;
	cmd_emit(ctx, a, print_log);
	json_object_put(a);
	return NULL;
}

static void
print_verify(struct json_object *o)
{
	static const char *const heads[] = { "SEVERITY", "CHECK", "DETAIL",
	    NULL };
	struct json_object	*a = pj_arr(o, "findings"), *f;
	struct pbi_table	*t;
	size_t			 i, n = pj_len(a);

	if (n == 0) {
		printf("ledger '%s': ok\n", pj_str(o, "ledger"));
		return;
	}
	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		f = pj_idx(a, i);
		const char *cells[] = { pj_str(f, "severity"),
		    pj_str(f, "check"), pj_str(f, "detail") };
		pbi_table_row(t, cells);
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
}

const struct pbi_err *
cmd_ledger_verify(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	const struct pbi_err	*err;
	struct json_object	*a = NULL, *o;
	size_t			 i, errors = 0;

	if ((err = no_args(ctx, argc, argv, LEDGER_VERIFY_SYNOPSIS)) != NULL)
		return err;
	if ((err = pbi_ledger_verify(ctx->ledger, &a)) != NULL)
		return err;
	for (i = 0; i < pj_len(a); i++)
		if (strcmp(pj_str(pj_idx(a, i),
		    "severity"), "error") == 0)
			errors++;
	o = json_object_new_object();
	pj_add_str(o, "ledger", pbi_ledger_path(ctx->ledger));
	pj_add_bool(o, "ok", errors == 0);
	pj_add_int(o, "errors", (int64_t)errors);
	pj_add_int(o, "warnings",
	    (int64_t)(pj_len(a) - errors));
	pj_add(o, "findings", a);
	cmd_emit(ctx, o, print_verify);
	json_object_put(o);
	ctx->status = errors > 0;
	return NULL;
}

static void
print_copy(struct json_object *o)
{
	struct json_object	*c = pj_obj(o, "counts");
	struct json_object	*v = pj_obj(o, "verify");

	printf("copied ledger '%s' to '%s'\n", pj_str(o, "from"),
	    pj_str(o, "to"));
	json_object_object_foreach(c, table, n)
		printf("  %-16s %lld\n", table,
		    (long long)json_object_get_int64(n));
	printf("verify: %lld errors, %lld warnings\n",
	    (long long)pj_int(v, "errors", 0),
	    (long long)pj_int(v, "warnings", 0));
}

const struct pbi_err *
cmd_ledger_copy(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "to",		required_argument, NULL, 't' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const struct pbi_err	*err;
	struct pbi_ledger	*to = NULL;
	struct json_object	*counts = NULL, *a = NULL, *o, *v;
	struct pbi_err		 saved;
	const char		*dst = NULL;
	size_t			 i, errors = 0;
	int			 ch;

	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		if (ch == 'h') {
			printf("usage: %s", LEDGER_COPY_SYNOPSIS);
			exit(0);
		}
		if (ch != 't')
			usage_ledger(2);
		dst = optarg;
	}
	if (optind < argc)
		return pbi_err(PBI_ERR_USAGE, "copy: unexpected argument '%s'",
		    argv[optind]);
	if (dst == NULL || *dst == '\0')
		return pbi_err(PBI_ERR_USAGE, "copy: --to names the new "
		    "ledger");
	if ((err = cmd_setup(ctx)) != NULL)
		return err;
	if (strcmp(dst, pbi_ledger_path(ctx->ledger)) == 0)
		return pbi_err(PBI_ERR_USAGE, "copy: --to names the ledger "
		    "itself");
	if (ctx->dry_run)
		return pbi_err(PBI_ERR_USAGE, "copy: --dry-run: nothing to "
		    "show");
	if ((err = pbi_ledger_open(dst, PBI_LEDGER_CREATE, &to)) != NULL)
		return pbi_err_ctx(err, "cannot copy");
	if ((err = pbi_ledger_copy(ctx->ledger, to, &counts)) != NULL) {
		/* A file made for the copy goes with it; a database stays. */
		pbi_err_copy(&saved, err);
		if (pbi_ledger_created(to) && !pbi_ledger_is_uri(dst)) {
			pbi_ledger_close(to);
			to = NULL;
			unlink(dst);
		}
		pbi_ledger_close(to);
		return pbi_err_restore(&saved);
	}
	if ((err = pbi_ledger_verify(to, &a)) != NULL) {
		pbi_err_copy(&saved, err);
		json_object_put(counts);
		pbi_ledger_close(to);
		return pbi_err_restore(&saved);
	}
	for (i = 0; i < pj_len(a); i++)
		if (strcmp(pj_str(pj_idx(a, i), "severity"), "error") == 0)
			errors++;
	o = json_object_new_object();
	pj_add_str(o, "from", pbi_ledger_path(ctx->ledger));
	pj_add_str(o, "to", pbi_ledger_path(to));
	pj_add(o, "counts", counts);
	v = json_object_new_object();
	pj_add_bool(v, "ok", errors == 0);
	pj_add_int(v, "errors", (int64_t)errors);
	pj_add_int(v, "warnings", (int64_t)(pj_len(a) - errors));
	pj_add(v, "findings", a);
	pj_add(o, "verify", v);
	cmd_emit(ctx, o, print_copy);
	json_object_put(o);
	pbi_ledger_close(to);
	ctx->status = errors > 0;
	return NULL;
}
