/*
 * migrate.c: pbictl migrate plan | run | status: from the retired
 * Workspace Collections into customers' app workspaces.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_PLAN_SYNOPSIS						\
	"pbictl migrate plan (--collection NAME | --subscription ID "	\
	"[--resource-group RG])\n"					\
	"                    [--map FILE.csv] [--access-key-file F]\n"
#define MIGRATE_RUN_SYNOPSIS						\
	"pbictl migrate run [--staging DIR] [--connections FILE.json] "	\
	"[--customer NAME]...\n"					\
	"                   [--capacity ID] [--access-key-file F]\n"
#define MIGRATE_STATUS_SYNOPSIS	"pbictl migrate status\n"

#define MAX_CUSTOMERS	256

void
usage_migrate(int status)
{
	fputs("usage: " MIGRATE_PLAN_SYNOPSIS "       " MIGRATE_RUN_SYNOPSIS
	    "       " MIGRATE_STATUS_SYNOPSIS, status ? stderr : stdout);
	exit(status);
}

/*
 * The access key: from --access-key-file (mode checked as for any
 * secret), else PBICTL_COLLECTION_KEY, else NULL.  A new string: wipe
 * it with pbi_wipe_free.
 */
static const struct pbi_err *
access_key(const char *file, char **key)
{
	const struct pbi_err	*err = NULL;
	const char		*env = getenv("PBICTL_COLLECTION_KEY");

	*key = NULL;
	if (file != NULL) {
		if ((*key = pbi_secret_file(file, &err)) == NULL)
			return err;
	} else if (env != NULL && *env != '\0' &&
	    (*key = strdup(env)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	if (*key != NULL && (**key == '\0' || strchr(*key, '\n') != NULL ||
	    strchr(*key, '\r') != NULL)) {
		pbi_wipe_free(*key);
		*key = NULL;
		return pbi_err(PBI_ERR_INPUT, "the access key must be one "
		    "non-empty line");
	}
	return NULL;
}

static void
print_plan(struct json_object *o)
{
	static const char *const heads[] = { "CUSTOMER", "REPORT", "CLASS",
	    "STATE", "LEGACY WORKSPACE", "REASON", NULL };
	struct pbi_table	*t;
	struct json_object	*r, *c = pj_obj(o, "counts");
	size_t			 i;

	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < pj_len(pj_arr(o, "reports")); i++) {
		r = pj_idx(pj_arr(o, "reports"), i);
		const char *cells[] = { pj_str(r, "customer"),
		    pj_str(r, "targetName"), pj_str(r, "class"),
		    pj_str(r, "state"), pj_str(r, "workspaceId"),
		    pj_str(r, "reason") ? pj_str(r, "reason") : "" };
		pbi_table_row(t, cells);
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
	printf("%zu workspaces, %zu reports: %lld exportable, %lld "
	    "DirectQuery, %lld on push datasets, %lld imported before "
	    "2016-11-26\n", pj_len(pj_arr(o, "workspaces")),
	    pj_len(pj_arr(o, "reports")), (long long)pj_int(c, "exportable",
	    0), (long long)pj_int(c, "directquery", 0), (long long)pj_int(c,
	    "push", 0), (long long)pj_int(c, "pre2016", 0));
}

const struct pbi_err *
cmd_migrate_plan(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "collection",	required_argument, NULL, 'c' },
		{ "subscription", required_argument, NULL, 's' },
		{ "resource-group", required_argument, NULL, 'g' },
		{ "map",	required_argument, NULL, 'm' },
		{ "access-key-file", required_argument, NULL, 'k' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const struct pbi_err	*err = NULL;
	struct pbi_migrate_opts	 o;
	struct pbi_prov		 p;
	struct json_object	*res = NULL;
	const char		*keyfile = NULL, *map = NULL;
	char			*key = NULL;
	int			 ch;

	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'c':
			o.collection = optarg;
			break;
		case 's':
			o.subscription = optarg;
			break;
		case 'g':
			o.resource_group = optarg;
			break;
		case 'm':
			map = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'h':
			printf("usage: %s", MIGRATE_PLAN_SYNOPSIS);
			exit(0);
		default:
			usage_migrate(2);
		}
	}
	if (optind != argc || (o.collection == NULL) ==
	    (o.subscription == NULL))
		return pbi_err(PBI_ERR_USAGE, "migrate plan: give one of "
		    "--collection NAME or --subscription ID");
	if (o.resource_group != NULL && o.subscription == NULL)
		return pbi_err(PBI_ERR_USAGE, "migrate plan: --resource-group "
		    "goes with --subscription");
	/* Every input is read and checked before anything is written. */
	if (map != NULL && (err = pbi_migrate_map_load(map, &o.map)) != NULL)
		goto done;
	if (o.collection != NULL) {
		if ((err = access_key(keyfile, &key)) != NULL)
			goto done;
		if (key == NULL) {
			err = pbi_err(PBI_ERR_USAGE, "migrate plan: the "
			    "collection's access key comes from "
			    "--access-key-file FILE or PBICTL_COLLECTION_KEY");
			goto done;
		}
		o.key = key;
	}
	if ((err = cmd_setup(ctx)) != NULL || (err = cmd_prov(ctx, &p)))
		goto done;
	if ((err = pbi_migrate_plan(&p, &o, &res)) != NULL)
		goto done;
	cmd_emit(ctx, res, print_plan);
done:
	pbi_wipe_free(key);
	json_object_put(o.map);
	json_object_put(res);
	pbi_prov_release(&p);
	return err;
}

static void
print_run(struct json_object *o)
{
	static const char *const heads[] = { "CUSTOMER", "REPORT", "STATE",
	    "REASON", NULL };
	struct pbi_table	*t;
	struct json_object	*c, *r;
	size_t			 i, j;

	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < pj_len(pj_arr(o, "customers")); i++) {
		c = pj_idx(pj_arr(o, "customers"), i);
		if (pj_len(pj_arr(c, "migrated")) == 0) {
			const char *cells[] = { pj_str(c, "customer"), "",
			    pj_str(c, "status"), pj_str(c, "error") ?
			    pj_str(c, "error") : "" };
			pbi_table_row(t, cells);
		}
		for (j = 0; j < pj_len(pj_arr(c, "migrated")); j++) {
			r = pj_idx(pj_arr(c, "migrated"), j);
			const char *cells[] = { pj_str(c, "customer"),
			    pj_str(r, "report"), pj_str(r, "state"),
			    pj_str(r, "reason") ? pj_str(r, "reason") : "" };
			pbi_table_row(t, cells);
		}
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
}

const struct pbi_err *
cmd_migrate_run(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "staging",	required_argument, NULL, 'S' },
		{ "connections", required_argument, NULL, 'C' },
		{ "customer",	required_argument, NULL, 'u' },
		{ "capacity",	required_argument, NULL, 'c' },
		{ "access-key-file", required_argument, NULL, 'k' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const struct pbi_err	*err = NULL;
	struct pbi_migrate_opts	 o;
	struct pbi_prov		 p;
	struct json_object	*res = NULL, *rep;
	const char		*custs[MAX_CUSTOMERS], *keyfile = NULL;
	const char		*conns = NULL, *staging = NULL;
	char			*key = NULL, dflt[4200];
	size_t			 failed = 0;
	int			 ch;

	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	o.customers = custs;
	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'S':
			staging = optarg;
			break;
		case 'C':
			conns = optarg;
			break;
		case 'u':
			if (o.ncustomers == MAX_CUSTOMERS)
				return pbi_err(PBI_ERR_USAGE, "at most %d "
				    "--customer", MAX_CUSTOMERS);
			if (!pbi_slug_ok(optarg))
				return pbi_err(PBI_ERR_USAGE, "invalid "
				    "customer name '%s'", optarg);
			custs[o.ncustomers++] = optarg;
			break;
		case 'c':
			o.capacity = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'h':
			printf("usage: %s", MIGRATE_RUN_SYNOPSIS);
			exit(0);
		default:
			usage_migrate(2);
		}
	}
	if (optind != argc)
		return pbi_err(PBI_ERR_USAGE, "migrate run takes no operands");
	if (conns != NULL &&
	    (err = pbi_migrate_connections_load(conns, &o.connections)))
		goto done;
	if ((err = access_key(keyfile, &key)) != NULL)
		goto done;
	o.key = key;
	if ((err = cmd_setup(ctx)) != NULL || (err = cmd_prov(ctx, &p)))
		goto done;
	if (o.capacity == NULL && p.capacity[0] != '\0')
		o.capacity = p.capacity;
	if (staging == NULL) {
		/* Next to the ledger, as private as it. */
		if ((size_t)snprintf(dflt, sizeof(dflt), "%s.staging",
		    ctx->ledger_path) >= sizeof(dflt)) {
			err = pbi_err(PBI_ERR_INPUT, "ledger path too long");
			goto done;
		}
		staging = dflt;
	}
	o.staging = staging;
	o.jobs = ctx->jobs;
	if (o.capacity != NULL &&
	    (err = pbi_capacity_check(&p, o.capacity)) != NULL)
		goto done;
	if ((err = pbi_migrate_run(&p, &o, &res, &failed)) != NULL)
		goto done;
	rep = json_object_new_object();
	pj_add(rep, "customers", json_object_get(res));
	pj_add_str(rep, "staging", staging);
	pj_add_int(rep, "failed", (int64_t)failed);
	cmd_report_table(ctx, rep, res, failed, print_run);
	json_object_put(rep);
done:
	pbi_wipe_free(key);
	pbi_json_wipe_put(o.connections);
	json_object_put(res);
	pbi_prov_release(&p);
	return err;
}

static void
print_status(struct json_object *o)
{
	static const char *const heads[] = { "CUSTOMER", "REPORT", "CLASS",
	    "STATE", "WHY", NULL };
	struct pbi_table	*t;
	struct json_object	*r;
	size_t			 i;

	printf("%lld reports:", (long long)pj_int(o, "reports", 0));
	json_object_object_foreach(pj_obj(o, "states"), k, v)
		printf(" %s %lld", k, (long long)json_object_get_int64(v));
	printf("\n");
	json_object_object_foreach(pj_obj(o, "customers"), ck, cv) {
		printf("  %s:", ck);
		json_object_object_foreach(cv, sk, sv)
			printf(" %s %lld", sk,
			    (long long)json_object_get_int64(sv));
		printf("\n");
	}
	if (pj_len(pj_arr(o, "notMoved")) == 0)
		return;
	printf("\nnot moved:\n");
	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < pj_len(pj_arr(o, "notMoved")); i++) {
		r = pj_idx(pj_arr(o, "notMoved"), i);
		const char *cells[] = { pj_str(r, "customer"),
		    pj_str(r, "report"), pj_str(r, "class"),
		    pj_str(r, "state"), pj_str(r, "reason") };
		pbi_table_row(t, cells);
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
}

const struct pbi_err *
cmd_migrate_status(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	const struct pbi_err	*err;
	struct pbi_prov		 p;
	struct json_object	*res = NULL;

	memset(&p, 0, sizeof(p));
	if (cmd_plain(ctx, argc, argv, MIGRATE_STATUS_SYNOPSIS,
	    usage_migrate) != argc)
		return pbi_err(PBI_ERR_USAGE, "migrate status takes no "
		    "operands");
	if ((err = cmd_setup(ctx)) != NULL)
		return err;
	pbi_prov_init(&p, NULL, ctx->ledger, 0);
	if ((err = pbi_migrate_status(&p, &res)) == NULL)
		cmd_emit(ctx, res, print_status);
	json_object_put(res);
	pbi_prov_release(&p);
	return err;
}
