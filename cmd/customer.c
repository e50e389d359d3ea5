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
	o.rows = t.by_slug;
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

/* The table's columns, from a row of pbi_ledger_customers_each. */
#define LIST_COLS	6
static void
list_cells(struct json_object *r, const char *cells[LIST_COLS], char n[16])
{
	snprintf(n, 16, "%lld", (long long)pj_int(r, "reports", 0));
	cells[0] = pj_str(r, "customer");
	cells[1] = pj_str(r, "status");
	cells[2] = pj_str(r, "workspaceId");
	cells[3] = pj_str(r, "workspaceName");
	cells[4] = pj_str(r, "capacityId");
	cells[5] = n;
}

/*
 * The list is written as the ledger reads it, so that memory stays flat
 * in the number of customers: JSON at once; a table's cells go to a
 * temporary file while the widths are measured, then are printed
 * padded.
 */
struct list_out {
	struct pbi_jsonw	 w;
	FILE			*cells;		/* table: its cells */
	size_t			 width[LIST_COLS];
};

static const struct pbi_err *
list_json(void *arg, struct json_object *row)
{
	struct list_out	*lo = arg;

	pbi_jsonw_value(&lo->w, NULL, row);
	return NULL;
}

static const struct pbi_err *
list_table(void *arg, struct json_object *row)
{
	struct list_out	*lo = arg;
	const char	*cells[LIST_COLS], *c;
	char		 n[16];
	size_t		 i, len;

	list_cells(row, cells, n);
	for (i = 0; i < LIST_COLS; i++) {
		c = cells[i] ? cells[i] : "-";
		if ((len = strlen(c)) > lo->width[i])
			lo->width[i] = len;
		if (fwrite(c, 1, len + 1, lo->cells) != len + 1)
			return pbi_err_errno("cannot write a temporary file");
	}
	return NULL;
}

/* Print one cell of column i, padded to its width. */
static void
list_cell(const struct list_out *lo, size_t i, const char *c)
{
	if (i + 1 == LIST_COLS)
		printf("%s\n", c);
	else
		printf("%-*s  ", (int)lo->width[i], c);
}

static const struct pbi_err *
print_list(struct pbi_cmdctx *ctx, int removed)
{
	static const char *const heads[LIST_COLS] = { "CUSTOMER", "STATUS",
	    "WORKSPACE", "NAME", "CAPACITY", "REPORTS" };
	const struct pbi_err	*err;
	struct list_out		 lo;
	char			*cell = NULL;
	size_t			 i, cap = 0;

	memset(&lo, 0, sizeof(lo));
	if (ctx->out == PBI_OUT_JSON) {
		pbi_jsonw_init(&lo.w, stdout);
		pbi_jsonw_array(&lo.w, NULL);
		if ((err = pbi_ledger_customers_each(ctx->ledger, removed,
		    list_json, &lo)) != NULL)
			return err;
		pbi_jsonw_close(&lo.w, 1);
		return NULL;
	}
	for (i = 0; i < LIST_COLS; i++)
		lo.width[i] = strlen(heads[i]);
	if ((lo.cells = tmpfile()) == NULL)
		return pbi_err_errno("cannot create a temporary file");
	if ((err = pbi_ledger_customers_each(ctx->ledger, removed,
	    list_table, &lo)) == NULL && fflush(lo.cells) != 0)
		err = pbi_err_errno("cannot write a temporary file");
	if (err == NULL) {
		for (i = 0; i < LIST_COLS; i++)
			list_cell(&lo, i, heads[i]);
		rewind(lo.cells);
		for (i = 0; getdelim(&cell, &cap, '\0', lo.cells) > 0;
		    i = (i + 1) % LIST_COLS)
			list_cell(&lo, i, cell);
		if (ferror(lo.cells))
			err = pbi_err_errno("cannot read a temporary file");
	}
	free(cell);
	fclose(lo.cells);
	return err;
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
	if ((err = cmd_setup(ctx)) != NULL)
		return err;
	return print_list(ctx, removed);
}

const struct pbi_err *
cmd_customer_show(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	const struct pbi_err	*err;
	struct json_object	*o = NULL, *reps = NULL;
	const char		*name;
	int			 at;

	at = cmd_plain(ctx, argc, argv, CUSTOMER_SHOW_SYNOPSIS,
	    usage_customer);
	if (argc - at != 1)
		return pbi_err(PBI_ERR_USAGE, "show: name one customer");
	name = argv[at];
	/* By its key: one row read, whatever the number of customers. */
	if ((err = cmd_setup(ctx)) != NULL ||
	    (err = pbi_ledger_customer_row(ctx->ledger, name, &o)) != NULL)
		return err;
	if (o == NULL)
		err = pbi_err(PBI_ERR_NOTFOUND, "no customer '%s' in the "
		    "ledger", name);
	else if (pj_str(o, "workspaceId") != NULL &&
	    (err = pbi_ledger_reports(ctx->ledger, pj_str(o, "workspaceId"),
	    &reps)) == NULL)
		pj_add(o, "reportList", reps);
	if (err == NULL)
		cmd_emit(ctx, o, NULL);
	json_object_put(o);
	return err;
}
