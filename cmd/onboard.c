/*
 * onboard.c: pbictl onboard: customer add, capacity assign and publish as
 * one resumable pipeline per customer.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ONBOARD_SYNOPSIS						\
	"pbictl onboard NAME... [--from FILE.csv] [--capacity ID] "	\
	"[--report FILE.pbix]...\n"					\
	"               [--admin UPN]... [--param K=V]... "		\
	"[--credentials-file FILE]\n"					\
	"               [--refresh]\n"

#define MAX_FILES	16
#define MAX_ADMINS	32

void
usage_onboard(int status)
{
	fputs("usage: " ONBOARD_SYNOPSIS, status ? stderr : stdout);
	exit(status);
}

const struct pbi_err *
cmd_onboard(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "from",	required_argument, NULL, 'f' },
		{ "capacity",	required_argument, NULL, 'c' },
		{ "report",	required_argument, NULL, 'r' },
		{ "admin",	required_argument, NULL, 'a' },
		{ "param",	required_argument, NULL, 'p' },
		{ "credentials-file", required_argument, NULL, 'K' },
		{ "refresh",	no_argument,	   NULL, 'R' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const struct pbi_err	*err = NULL;
	struct pbi_report_file	 files[MAX_FILES];
	struct pbi_cust_opts	 o;
	struct cmd_targets	 t;
	struct pbi_prov		 p;
	struct json_object	*res = NULL, *params = NULL;
	const char		*paths[MAX_FILES], *admins[MAX_ADMINS];
	const char		*from = NULL, *cap = NULL;
	size_t			 npaths = 0, i, failed = 0;
	int			 ch;

	memset(files, 0, sizeof(files));
	memset(&t, 0, sizeof(t));
	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	o.admins = admins;
	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'f':
			from = optarg;
			break;
		case 'c':
			cap = optarg;
			break;
		case 'r':
			if (npaths == MAX_FILES) {
				err = pbi_err(PBI_ERR_USAGE, "at most %d "
				    "--report", MAX_FILES);
				goto done;
			}
			paths[npaths++] = optarg;
			break;
		case 'a':
			if (o.nadmins == MAX_ADMINS) {
				err = pbi_err(PBI_ERR_USAGE, "at most %d "
				    "--admin", MAX_ADMINS);
				goto done;
			}
			admins[o.nadmins++] = optarg;
			break;
		case 'p':
			if ((err = cmd_param(&params, optarg)) != NULL)
				goto done;
			break;
		case 'R':
			o.refresh = 1;
			break;
		case 'K':
			pbi_json_wipe_put(o.credentials);
			o.credentials = NULL;
			if ((err = pbi_credentials_load(optarg,
			    &o.credentials)) != NULL)
				goto done;
			break;
		case 'h':
			usage_onboard(0);
		default:
			usage_onboard(2);
		}
	}
	/* Files, names and the capacity are checked before any write. */
	if ((err = cmd_targets_usage(argc - optind, from, 0)) != NULL)
		goto done;
	for (i = 0; i < npaths; i++)
		if ((err = pbi_report_file_load(&files[i], paths[i], NULL)))
			goto done;
	if ((err = cmd_setup(ctx)) != NULL ||
	    (err = cmd_targets(ctx, argv + optind, argc - optind, from, 0,
	    &t)) != NULL || (err = cmd_prov(ctx, &p)) != NULL)
		goto done;
	o.capacity = cap ? cap : p.capacity[0] ? p.capacity : NULL;
	o.files = files;
	o.nfiles = npaths;
	o.params = params;
	o.rows = t.by_slug;
	if (o.capacity != NULL &&
	    (err = pbi_capacity_check(&p, o.capacity)) != NULL)
		goto done;
	if ((err = pbi_each_customer(&p, t.slugs, t.n, ctx->jobs,
	    pbi_customer_onboard, &o, "onboard", &res, &failed)) != NULL)
		goto done;
	cmd_report(ctx, res, failed, 0);
done:
	pbi_json_wipe_put(o.credentials);
	for (i = 0; i < npaths; i++)
		pbi_report_file_release(&files[i]);
	json_object_put(res);
	json_object_put(params);
	pbi_prov_release(&p);
	cmd_targets_release(&t);
	return err;
}
