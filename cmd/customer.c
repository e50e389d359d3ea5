/*
 * customer.c: pbictl customer add | list | show | remove.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUSTOMER_ADD_SYNOPSIS						\
	"pbictl customer add NAME... [--display-name S] [--admin UPN]... " \
	"[--from FILE.csv]\n"
#define CUSTOMER_LIST_SYNOPSIS	"pbictl customer list [--removed]\n"
#define CUSTOMER_SHOW_SYNOPSIS	"pbictl customer show NAME\n"
#define CUSTOMER_REMOVE_SYNOPSIS					\
	"pbictl customer remove NAME... [--keep-workspace]\n"

#define MAX_ADMINS	32

void
usage_customer(int status)
{
	fputs("usage: " CUSTOMER_ADD_SYNOPSIS "       " CUSTOMER_LIST_SYNOPSIS
	    "       " CUSTOMER_SHOW_SYNOPSIS "       "
	    CUSTOMER_REMOVE_SYNOPSIS, status ? stderr : stdout);
	exit(status);
}

/* Per customer of a CSV: its display name and admin override o. */
static const struct pbi_err *
add_one(struct pbi_prov *p, const char *slug, const struct pbi_cust_opts *o,
    struct json_object *res)
{
	return pbi_customer_onboard(p, slug, o, res);
}

static const struct pbi_err *
add_or_remove(struct pbi_cmdctx *ctx, int argc, char **argv, int remove)
{
	static const struct option	 opts[] = {
		{ "display-name",   required_argument, NULL, 'd' },
		{ "admin",	    required_argument, NULL, 'a' },
		{ "from",	    required_argument, NULL, 'f' },
		{ "keep-workspace", no_argument,       NULL, 'k' },
		{ "help",	    no_argument,       NULL, 'h' },
		{ NULL,		    0,		       NULL, 0 }
	};
	const struct pbi_err	*err;
	struct pbi_cust_opts	 o;
	struct cmd_targets	 t;
	struct pbi_prov		 p;
	struct json_object	*res = NULL;
	const char		*from = NULL, *admins[MAX_ADMINS];
	size_t			 failed = 0;
	int			 ch;

	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	o.admins = admins;
	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'd':
			o.display_name = optarg;
			break;
		case 'a':
			if (o.nadmins == MAX_ADMINS)
				return pbi_err(PBI_ERR_USAGE, "at most %d "
				    "--admin", MAX_ADMINS);
			admins[o.nadmins++] = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'k':
			o.keep_workspace = 1;
			break;
		case 'h':
			printf("usage: %s", remove ? CUSTOMER_REMOVE_SYNOPSIS :
			    CUSTOMER_ADD_SYNOPSIS);
			exit(0);
		default:
			usage_customer(2);
		}
	}
	if ((remove && (o.display_name || o.nadmins || from)) ||
	    (!remove && o.keep_workspace))
		return pbi_err(PBI_ERR_USAGE, "%s: option not valid here",
		    argv[0]);
	if ((err = cmd_targets_usage(argc - optind, from, 0)) != NULL ||
	    (err = cmd_setup(ctx)) != NULL ||
	    (err = cmd_targets(ctx, argv + optind, argc - optind, from, 0,
	    &t)) != NULL)
		return err;
	if (o.display_name != NULL && t.n > 1) {
		cmd_targets_release(&t);
		return pbi_err(PBI_ERR_USAGE, "--display-name names one "
		    "customer");
	}
	o.rows = t.list;
	if ((err = cmd_prov(ctx, &p)) == NULL)
		err = pbi_each_customer(&p, t.slugs, t.n, ctx->jobs,
		    remove ? pbi_customer_remove : add_one, &o,
		    remove ? "remove" : "add", &res, &failed);
	if (err == NULL)
		cmd_report(ctx, res, failed, 0);
	json_object_put(res);
	pbi_prov_release(&p);
	cmd_targets_release(&t);
	return err;
}

static void
print_list(struct json_object *a)
{
	static const char *const heads[] = { "CUSTOMER", "STATUS",
	    "WORKSPACE", "NAME", "CAPACITY", "REPORTS", NULL };
	struct pbi_table	*t;
	struct json_object	*r;
	char			 n[16];
	size_t			 i;

	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < pj_len(a); i++) {
		r = pj_idx(a, i);
		snprintf(n, sizeof(n), "%lld", (long long)pj_int(r, "reports",
		    0));
		const char *cells[] = { pj_str(r, "customer"),
		    pj_str(r, "status"), pj_str(r, "workspaceId"),
		    pj_str(r, "workspaceName"), pj_str(r, "capacityId"), n };
		pbi_table_row(t, cells);
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
}

const struct pbi_err *
cmd_customer_add(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	return add_or_remove(ctx, argc, argv, 0);
}

const struct pbi_err *
cmd_customer_remove(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	return add_or_remove(ctx, argc, argv, 1);
}

const struct pbi_err *
cmd_customer_list(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "removed",	no_argument,	   NULL, 'r' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const struct pbi_err		*err;
	struct json_object		*a = NULL;
	int				 ch, removed = 0;

	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'r':
			removed = 1;
			break;
		case 'h':
			printf("usage: %s", CUSTOMER_LIST_SYNOPSIS);
			exit(0);
		default:
			usage_customer(2);
		}
	}
	if (optind < argc)
		return pbi_err(PBI_ERR_USAGE, "list: unexpected argument '%s'",
		    argv[optind]);
	if ((err = cmd_setup(ctx)) != NULL ||
	    (err = pbi_ledger_customers(ctx->ledger, removed, &a)) != NULL)
		return err;
	cmd_emit(ctx, a, print_list);
	json_object_put(a);
	return NULL;
}

const struct pbi_err *
cmd_customer_show(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *o = NULL, *r, *reps = NULL;
	const char		*name;
	size_t			 i;
	int			 at;

	at = cmd_plain(ctx, argc, argv, CUSTOMER_SHOW_SYNOPSIS,
	    usage_customer);
	if (argc - at != 1)
		return pbi_err(PBI_ERR_USAGE, "show: name one customer");
	name = argv[at];
	if ((err = cmd_setup(ctx)) != NULL ||
	    (err = pbi_ledger_customers(ctx->ledger, 1, &all)) != NULL)
		return err;
	for (i = 0; i < pj_len(all); i++) {
		r = pj_idx(all, i);
		if (strcmp(pj_str(r, "customer"), name) == 0)
			o = r;
	}
	if (o == NULL)
		err = pbi_err(PBI_ERR_NOTFOUND, "no customer '%s' in the "
		    "ledger", name);
	else if (pj_str(o, "workspaceId") != NULL &&
	    (err = pbi_ledger_reports(ctx->ledger, pj_str(o, "workspaceId"),
	    &reps)) == NULL)
		pj_add(o, "reportList", reps);
	if (err == NULL)
		cmd_emit(ctx, o, NULL);
	json_object_put(all);
	return err;
}
