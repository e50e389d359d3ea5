/*
 * capacity.c: pbictl capacity list | assign.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPACITY_LIST_SYNOPSIS	"pbictl capacity list\n"
#define CAPACITY_ASSIGN_SYNOPSIS					\
	"pbictl capacity assign (NAME... | --all) --capacity ID\n"

void
usage_capacity(int status)
{
	fputs("usage: " CAPACITY_LIST_SYNOPSIS "       "
	    CAPACITY_ASSIGN_SYNOPSIS, status ? stderr : stdout);
	exit(status);
}

static void
print_list(struct json_object *a)
{
	static const char *const heads[] = { "ID", "NAME", "SKU", "STATE",
	    "REGION", "ACCESS", NULL };
	struct pbi_table	*t;
	struct json_object	*c;
	size_t			 i;

	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < pj_len(a); i++) {
		c = pj_idx(a, i);
		const char *cells[] = { pj_str(c, "id"),
		    pj_str(c, "displayName"), pj_str(c, "sku"),
		    pj_str(c, "state"), pj_str(c, "region"),
		    pj_str(c, "capacityUserAccessRight") };
		pbi_table_row(t, cells);
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
}

const struct pbi_err *
cmd_capacity_assign(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "capacity",	required_argument, NULL, 'c' },
		{ "all",	no_argument,	   NULL, 'a' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const struct pbi_err	*err;
	struct pbi_cust_opts	 o;
	struct cmd_targets	 t;
	struct pbi_prov		 p;
	struct json_object	*res = NULL;
	size_t			 failed = 0;
	int			 ch, all = 0;

	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	o.existing = 1;
	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'c':
			o.capacity = optarg;
			break;
		case 'a':
			all = 1;
			break;
		case 'h':
			printf("usage: %s", CAPACITY_ASSIGN_SYNOPSIS);
			exit(0);
		default:
			usage_capacity(2);
		}
	}
	if (o.capacity == NULL)
		return pbi_err(PBI_ERR_USAGE, "assign: --capacity is needed");
	if ((err = cmd_targets_usage(argc - optind, NULL, all)) != NULL ||
	    (err = cmd_setup(ctx)) != NULL ||
	    (err = cmd_targets(ctx, argv + optind, argc - optind, NULL, all,
	    &t)) != NULL)
		return err;
	/* A missing or unassignable capacity changes nothing. */
	if ((err = cmd_prov(ctx, &p)) == NULL &&
	    (err = pbi_capacity_check(&p, o.capacity)) == NULL)
		err = pbi_each_customer(&p, t.slugs, t.n, ctx->jobs,
		    pbi_customer_onboard, &o, "assign", &res, &failed);
	if (err == NULL)
		cmd_report(ctx, res, failed, 0);
	json_object_put(res);
	pbi_prov_release(&p);
	cmd_targets_release(&t);
	return err;
}

const struct pbi_err *
cmd_capacity_list(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	const struct pbi_err	*err;
	struct pbi_prov		 p;
	struct json_object	*a = NULL;
	int			 at;

	if ((at = cmd_plain(ctx, argc, argv, CAPACITY_LIST_SYNOPSIS,
	    usage_capacity)) < argc)
		return pbi_err(PBI_ERR_USAGE, "list: unexpected argument '%s'",
		    argv[at]);
	memset(&p, 0, sizeof(p));
	/* Only reads: no run lock, so it works while an onboarding runs. */
	if ((err = cmd_setup(ctx)) == NULL &&
	    (err = cmd_prov(ctx, &p)) == NULL &&
	    (err = pbi_capacity_list(&p, &a)) == NULL)
		cmd_emit(ctx, a, print_list);
	json_object_put(a);
	pbi_prov_release(&p);
	return err;
}
