/*
 * token.c: pbictl token: an embed token for one customer's reports,
 * datasets, dashboard or tile; or, with --all, a token for each
 * customer's reports as a check that every customer's content embeds.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_SYNOPSIS							\
	"pbictl token --customer NAME (--report NAME|ID)... "		\
	"[--dataset ID]...\n"						\
	"             [--username U] [--role R]... [--custom-data S]\n"	\
	"             [--identity-blob-file F] [--lifetime MINUTES] "	\
	"[--allow-edit]\n"						\
	"             [--allow-save-as] [--create] [--xmla-read-only] "	\
	"[--dashboard ID]\n"						\
	"             [--tile DASH/TILE] [--token-only | --show-token]\n"
#define TOKEN_ALL_SYNOPSIS						\
	"pbictl token --all [--customer NAME]... [--username U] "	\
	"[--role R]...\n"						\
	"             [--lifetime MINUTES]\n"

#define MAX_CUSTOMERS	4096

void
usage_token(int status)
{
	fputs("usage: " TOKEN_SYNOPSIS "       " TOKEN_ALL_SYNOPSIS,
	    status ? stderr : stdout);
	exit(status);
}

/* The one line a warning takes on stderr, when a token is shorter. */
static void
warn_short(struct json_object *r, long lifetime)
{
	if (!pj_bool(r, "shortened", 0))
		return;
	fprintf(stderr, "pbictl: warning: the embed token%s%s expires at %s, "
	    "in %lld minutes, not the %ld asked: Power BI ends it with the "
	    "Entra token it was made with\n", pj_str(r, "customer") ?
	    " of customer " : "", pj_str(r, "customer") ?
	    pj_str(r, "customer") : "", pj_str(r, "expiration"),
	    (long long)pj_int(r, "expiresInMinutes", 0), lifetime);
}

/* The table of one token: everything but the token, unless asked. */
static void
print_token(struct json_object *o, int show)
{
	static const char *const heads[] = { "ITEM", "ID", "NAME",
	    "DATASET", "EMBED URL", NULL };
	struct pbi_table	*t;
	struct json_object	*a, *r, *id;
	char			 exp[128], roles[1024];
	size_t			 i, n;

	snprintf(exp, sizeof(exp), "%s (in %lld minutes)",
	    pj_str(o, "expiration"), (long long)pj_int(o, "expiresInMinutes",
	    0));
	printf("customer:   %s\nworkspace:  %s\ntoken id:   %s\n"
	    "expiration: %s\n", pj_str(o, "customer"),
	    pj_str(o, "workspaceId"), pj_str(o, "tokenId"), exp);
	if ((id = pj_obj(o, "identity")) != NULL) {
		roles[0] = '\0';
		a = pj_arr(id, "roles");
		for (i = 0; i < pj_len(a); i++) {
			n = strlen(roles);
			snprintf(roles + n, sizeof(roles) - n, "%s%s",
			    i ? "," : "", json_object_get_string(pj_idx(a,
			    i)));
		}
		printf("identity:   %s%s%s\n", pj_str(id, "username"),
		    roles[0] ? " roles " : "", roles);
	}
	if (show)
		printf("token:      %s\n", pj_str(o, "token"));
	if ((t = pbi_table_new(heads)) == NULL)
		return;
	a = pj_arr(o, "reports");
	for (i = 0; i < pj_len(a); i++) {
		r = pj_idx(a, i);
		const char *cells[] = { pj_str(r, "boundFrom") ?
		    "report (bound)" : "report", pj_str(r, "id"),
		    pj_str(r, "name"), pj_str(r, "datasetId"),
		    pj_str(r, "embedUrl") };
		pbi_table_row(t, cells);
	}
	if ((r = pj_obj(o, "create")) != NULL) {
		const char *cells[] = { "create", NULL, NULL,
		    pj_str(r, "datasetId"), pj_str(r, "embedUrl") };
		pbi_table_row(t, cells);
	}
	if ((r = pj_obj(o, "dashboard")) != NULL) {
		const char *cells[] = { "dashboard", pj_str(r, "id"),
		    pj_str(r, "name"), NULL, pj_str(r, "embedUrl") };
		pbi_table_row(t, cells);
	}
	if ((r = pj_obj(o, "tile")) != NULL) {
		const char *cells[] = { "tile", pj_str(r, "id"),
		    pj_str(r, "name"), NULL, pj_str(r, "embedUrl") };
		pbi_table_row(t, cells);
	}
	putchar('\n');
	pbi_table_print(t, stdout);
	pbi_table_free(t);
}

static void
print_hidden(struct json_object *o)
{
	print_token(o, 0);
}

static void
print_shown(struct json_object *o)
{
	print_token(o, 1);
}

/* token --all: a row per customer. */
static void
print_all(struct json_object *o)
{
	static const char *const heads[] = { "CUSTOMER", "STATUS",
	    "REPORTS", "EXPIRATION", "TOKEN ID", "ERROR", NULL };
	struct json_object	*a = pj_arr(o, "customers"), *r;
	struct pbi_table	*t;
	char			 nrep[32];
	size_t			 i;

	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < pj_len(a); i++) {
		r = pj_idx(a, i);
		snprintf(nrep, sizeof(nrep), "%zu", pj_len(pj_arr(r,
		    "reports")));
		const char *cells[] = { pj_str(r, "customer"),
		    pj_str(r, "status"), pj_arr(r, "reports") ? nrep : NULL,
		    pj_str(r, "expiration"), pj_str(r, "tokenId"),
		    pj_str(r, "error") };
		pbi_table_row(t, cells);
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
	if (pj_int(o, "failed", 0) > 0)
		printf("%lld of %zu failed\n", (long long)pj_int(o, "failed",
		    0), pj_len(a));
}

/* Parse "DASH/TILE" into o's dashboard and tile (borrowing buf). */
static const struct pbi_err *
tile_arg(char *buf, struct pbi_token_opts *o)
{
	char	*sl = strchr(buf, '/');

	if (sl == NULL || sl == buf || sl[1] == '\0')
		return pbi_err(PBI_ERR_USAGE, "--tile: expected DASHBOARD/TILE "
		    "ids, not '%s'", buf);
	*sl = '\0';
	if (o->dashboard != NULL && strcmp(o->dashboard, buf) != 0)
		return pbi_err(PBI_ERR_USAGE, "--tile: the tile of dashboard "
		    "%s, but --dashboard names %s", buf, o->dashboard);
	o->dashboard = buf;
	o->tile = sl + 1;
	return NULL;
}

/* The checks that need neither the ledger nor the services. */
static const struct pbi_err *
check_opts(const struct pbi_token_opts *o, size_t ncust, int all,
    int only, int show)
{
	size_t	 i;

	if (only && show)
		return pbi_err(PBI_ERR_USAGE, "--token-only and --show-token "
		    "exclude each other");
	if (all && (o->nreports || o->ndatasets || o->dashboard ||
	    o->custom_data || o->identity_blob || o->allow_edit ||
	    o->allow_save_as || o->create || o->xmla_read_only || only ||
	    show))
		return pbi_err(PBI_ERR_USAGE, "--all mints a token for every "
		    "report of each customer, and shows none: it takes only "
		    "--customer, --username, --role and --lifetime");
	if (!all && ncust != 1)
		return pbi_err(PBI_ERR_USAGE, "name one customer with "
		    "--customer (or check them all with --all)");
	if (!all && o->dashboard == NULL && o->nreports == 0 &&
	    o->ndatasets == 0)
		return pbi_err(PBI_ERR_USAGE, "name a --report, a --dataset, "
		    "a --dashboard or a --tile");
	if (o->dashboard != NULL && (o->nreports || o->ndatasets ||
	    o->allow_edit || o->allow_save_as || o->create ||
	    o->xmla_read_only))
		return pbi_err(PBI_ERR_USAGE, "a --dashboard or --tile token "
		    "(V1) covers no --report or --dataset, and no editing");
	if (o->create && o->ndatasets == 0)
		return pbi_err(PBI_ERR_USAGE, "--create needs the --dataset "
		    "the new report is built on");
	if (o->dashboard != NULL && !pbi_is_guid(o->dashboard))
		return pbi_err(PBI_ERR_USAGE, "--dashboard: not an id: '%s'",
		    o->dashboard);
	if (o->tile != NULL && !pbi_is_guid(o->tile))
		return pbi_err(PBI_ERR_USAGE, "--tile: not an id: '%s'",
		    o->tile);
	for (i = 0; i < o->ndatasets; i++)
		if (!pbi_is_guid(o->datasets[i]))
			return pbi_err(PBI_ERR_USAGE, "--dataset: not an id: "
			    "'%s'", o->datasets[i]);
	if (o->username == NULL && (o->nroles || o->custom_data ||
	    o->identity_blob))
		return pbi_err(PBI_ERR_USAGE, "--role, --custom-data and "
		    "--identity-blob-file need --username");
	/* api-facts 3.7, EffectiveIdentity. */
	if (o->username != NULL && (*o->username == '\0' ||
	    strlen(o->username) > 256))
		return pbi_err(PBI_ERR_USAGE, "--username: 1 to 256 "
		    "characters");
	for (i = 0; i < o->nroles; i++)
		if (*o->roles[i] == '\0' || strlen(o->roles[i]) > 50 ||
		    strchr(o->roles[i], ',') != NULL)
			return pbi_err(PBI_ERR_USAGE, "--role '%s': 1 to 50 "
			    "characters, no comma", o->roles[i]);
	return NULL;
}

const struct pbi_err *
cmd_token(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "customer",	required_argument, NULL, 'c' },
		{ "report",	required_argument, NULL, 'r' },
		{ "dataset",	required_argument, NULL, 'd' },
		{ "username",	required_argument, NULL, 'u' },
		{ "role",	required_argument, NULL, 'R' },
		{ "custom-data", required_argument, NULL, 'C' },
		{ "identity-blob-file", required_argument, NULL, 'B' },
		{ "lifetime",	required_argument, NULL, 'l' },
		{ "allow-edit",	no_argument,	   NULL, 'e' },
		{ "allow-save-as", no_argument,	   NULL, 's' },
		{ "create",	no_argument,	   NULL, 'N' },
		{ "xmla-read-only", no_argument,   NULL, 'x' },
		{ "dashboard",	required_argument, NULL, 'D' },
		{ "tile",	required_argument, NULL, 'T' },
		{ "token-only",	no_argument,	   NULL, 'o' },
		{ "show-token",	no_argument,	   NULL, 'S' },
		{ "all",	no_argument,	   NULL, 'a' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const struct pbi_err	*err = NULL;
	struct pbi_token_opts	 o;
	struct pbi_cust_opts	 co;
	struct cmd_targets	 t;
	struct pbi_prov		 p;
	struct json_object	*res = NULL, *all_o = NULL;
	const char		*reps[PBI_TOKEN_MAX_ITEMS];
	const char		*dss[PBI_TOKEN_MAX_ITEMS];
	const char		*roles[PBI_TOKEN_MAX_ROLES];
	char			*custs[MAX_CUSTOMERS];
	const char		*blob_file = NULL;
	char			*blob = NULL;
	size_t			 ncust = 0, failed = 0, i;
	long			 n;
	int			 ch, all = 0, only = 0, show = 0;

	memset(&o, 0, sizeof(o));
	memset(&co, 0, sizeof(co));
	memset(&t, 0, sizeof(t));
	memset(&p, 0, sizeof(p));
	o.reports = reps;
	o.datasets = dss;
	o.roles = roles;
	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'c':
			if (ncust == MAX_CUSTOMERS)
				return pbi_err(PBI_ERR_USAGE, "at most %d "
				    "--customer", MAX_CUSTOMERS);
			custs[ncust++] = optarg;
			break;
		case 'r':
			if (o.nreports == PBI_TOKEN_MAX_ITEMS)
				return pbi_err(PBI_ERR_USAGE, "at most %d "
				    "--report (api-facts 3.7)",
				    PBI_TOKEN_MAX_ITEMS);
			reps[o.nreports++] = optarg;
			break;
		case 'd':
			if (o.ndatasets == PBI_TOKEN_MAX_ITEMS)
				return pbi_err(PBI_ERR_USAGE, "at most %d "
				    "--dataset (api-facts 3.7)",
				    PBI_TOKEN_MAX_ITEMS);
			dss[o.ndatasets++] = optarg;
			break;
		case 'u':
			o.username = optarg;
			break;
		case 'R':
			if (o.nroles == PBI_TOKEN_MAX_ROLES)
				return pbi_err(PBI_ERR_USAGE, "at most %d "
				    "--role (api-facts 3.7)",
				    PBI_TOKEN_MAX_ROLES);
			roles[o.nroles++] = optarg;
			break;
		case 'C':
			o.custom_data = optarg;
			break;
		case 'B':
			blob_file = optarg;
			break;
		case 'l':
			if ((err = cmd_posint("--lifetime", optarg,
			    PBI_TOKEN_MAX_LIFETIME, &n)) != NULL)
				return err;
			o.lifetime = n;
			break;
		case 'e':
			o.allow_edit = 1;
			break;
		case 's':
			o.allow_save_as = 1;
			break;
		case 'N':
			o.create = 1;
			break;
		case 'x':
			o.xmla_read_only = 1;
			break;
		case 'D':
			if (o.dashboard != NULL && o.tile != NULL &&
			    strcmp(o.dashboard, optarg) != 0)
				return pbi_err(PBI_ERR_USAGE, "--dashboard %s, "
				    "but --tile is on %s", optarg,
				    o.dashboard);
			o.dashboard = optarg;
			break;
		case 'T':
			if ((err = tile_arg(optarg, &o)) != NULL)
				return err;
			break;
		case 'o':
			only = 1;
			break;
		case 'S':
			show = 1;
			break;
		case 'a':
			all = 1;
			break;
		case 'h':
			usage_token(0);
		default:
			usage_token(2);
		}
	}
	if (optind < argc)
		return pbi_err(PBI_ERR_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	o.all_reports = all;
	o.identity_blob = blob_file;	/* for the checks: not yet read */
	if ((err = check_opts(&o, ncust, all, only, show)) != NULL)
		return err;
	o.identity_blob = NULL;
	/* A secret: from a file of mode 0600, never from argv. */
	if (blob_file != NULL &&
	    (blob = pbi_secret_file(blob_file, &err)) == NULL)
		return err;
	o.identity_blob = blob;
	if ((err = cmd_setup(ctx)) != NULL || (err = cmd_prov(ctx, &p)))
		goto done;
	if (!all) {
		if ((err = pbi_token(&p, custs[0], &o, &res)) != NULL ||
		    cmd_dry_calls(ctx, res))
			goto done;
		if (only)
			printf("%s\n", pj_str(res, "token"));
		else
			cmd_emit(ctx, res, show ? print_shown : print_hidden);
		warn_short(res, o.lifetime);
		goto done;
	}
	if ((err = cmd_targets(ctx, custs, (int)ncust, NULL, ncust == 0,
	    &t)) != NULL)
		goto done;
	co.token = &o;
	if ((err = pbi_each_customer(&p, t.slugs, t.n, ctx->jobs,
	    pbi_token_check, &co, "token", &res, &failed)) != NULL)
		goto done;
	for (i = 0; i < pj_len(res); i++)
		warn_short(pj_idx(res, i), o.lifetime);
	all_o = json_object_new_object();
	pj_add(all_o, "customers", json_object_get(res));
	pj_add_int(all_o, "failed", (int64_t)failed);
	cmd_report_table(ctx, all_o, res, failed, print_all);
done:
	/* The token, the blob: wiped. */
	pbi_json_wipe_put(res);
	json_object_put(all_o);
	pbi_wipe_free(blob);
	pbi_prov_release(&p);
	cmd_targets_release(&t);
	return err;
}
