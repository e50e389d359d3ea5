/*
 * publish.c: pbictl publish: a .pbix to customers' workspaces, in waves:
 * canaries first, then waves, halting when a wave fails too much.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUBLISH_SYNOPSIS						\
	"pbictl publish FILE.pbix (--customer NAME... | --all) [--name REPORT]\n" \
	"               [--param K=V]... [--credentials-file FILE] "	\
	"[--refresh]\n"							\
	"               [--canary N] [--wave-size N] [--halt-after N]\n"

void
usage_publish(int status)
{
	fputs("usage: " PUBLISH_SYNOPSIS, status ? stderr : stdout);
	exit(status);
}

#define MAX_NAMED	4096

const struct pbi_err *
cmd_publish(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "customer",	required_argument, NULL, 'c' },
		{ "all",	no_argument,	   NULL, 'a' },
		{ "name",	required_argument, NULL, 'n' },
		{ "param",	required_argument, NULL, 'p' },
		{ "credentials-file", required_argument, NULL, 'K' },
		{ "refresh",	no_argument,	   NULL, 'r' },
		{ "canary",	required_argument, NULL, 'C' },
		{ "wave-size",	required_argument, NULL, 'w' },
		{ "halt-after",	required_argument, NULL, 'H' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const struct pbi_err	*err = NULL;
	struct pbi_report_file	 f;
	struct pbi_cust_opts	 o;
	struct cmd_targets	 t;
	struct pbi_prov		 p;
	struct json_object	*all = NULL, *res = NULL, *params = NULL, *r;
	char			**named = NULL;
	const char		*rname = NULL;
	long			 canary = 0, wave = 0, halt = 0;
	size_t			 at, n, failed = 0, wf, i, nn = 0;
	int			 ch, every = 0, stop = 0;

	memset(&f, 0, sizeof(f));
	memset(&t, 0, sizeof(t));
	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	if ((named = calloc(MAX_NAMED, sizeof(*named))) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'c':
			if (nn == MAX_NAMED) {
				err = pbi_err(PBI_ERR_USAGE, "too many "
				    "--customer");
				goto done;
			}
			named[nn++] = optarg;
			break;
		case 'a':
			every = 1;
			break;
		case 'n':
			rname = optarg;
			break;
		case 'p':
			if ((err = cmd_param(&params, optarg)) != NULL)
				goto done;
			break;
		case 'r':
			o.refresh = 1;
			break;
		case 'C':
			if ((err = cmd_posint("--canary", optarg, 100000,
			    &canary)) != NULL)
				goto done;
			break;
		case 'w':
			if ((err = cmd_posint("--wave-size", optarg, 100000,
			    &wave)) != NULL)
				goto done;
			break;
		case 'H':
			if (strcmp(optarg, "0") == 0)
				halt = 0;
			else if ((err = cmd_posint("--halt-after", optarg,
			    100000, &halt)) != NULL)
				goto done;
			break;
		case 'K':
			pbi_json_wipe_put(o.credentials);
			o.credentials = NULL;
			if ((err = pbi_credentials_load(optarg,
			    &o.credentials)) != NULL)
				goto done;
			break;
		case 'h':
			usage_publish(0);
		default:
			usage_publish(2);
		}
	}
	if (argc - optind < 1 || (argc - optind > 1 && nn == 0)) {
		err = pbi_err(PBI_ERR_USAGE, "name one .pbix file");
		goto done;
	}
	/* "--customer a b": the names after the first are customers too. */
	for (i = (size_t)optind + 1; i < (size_t)argc; i++) {
		if (nn == MAX_NAMED) {
			err = pbi_err(PBI_ERR_USAGE, "too many customers");
			goto done;
		}
		named[nn++] = argv[i];
	}
	if (nn == 0 && !every) {
		err = pbi_err(PBI_ERR_USAGE, "name customers with --customer, "
		    "or --all");
		goto done;
	}
	/* The file is checked before any call. */
	if ((err = cmd_targets_usage((int)nn, NULL, every)) != NULL ||
	    (err = pbi_report_file_load(&f, argv[optind], rname)) != NULL ||
	    (err = cmd_setup(ctx)) != NULL ||
	    (err = cmd_targets(ctx, named, (int)nn, NULL, every, &t)) != NULL)
		goto done;
	o.files = &f;
	o.nfiles = 1;
	o.params = params;
	o.existing = 1;
	if ((err = cmd_prov(ctx, &p)) != NULL)
		goto done;
	all = json_object_new_array();
	/* Canaries, then waves; the whole list at once without waves. */
	for (at = 0; at < t.n && !stop; at += n) {
		n = at == 0 && canary > 0 ? (size_t)canary : wave > 0 ?
		    (size_t)wave : t.n;
		if (n > t.n - at)
			n = t.n - at;
		if ((err = pbi_each_customer(&p, t.slugs + at, n, ctx->jobs,
		    pbi_customer_onboard, &o, at == 0 && canary > 0 ?
		    "canary" : "publish", &res, &wf)) != NULL)
			goto done;
		for (i = 0; i < pj_len(res); i++)
			json_object_array_add(all, json_object_get(
			    pj_idx(res, i)));
		json_object_put(res);
		res = NULL;
		failed += wf;
		if ((at == 0 && canary > 0 && wf > 0) ||
		    (wave > 0 && wf > (size_t)halt))
			stop = 1;
	}
	/* What a halt left untouched, for a later run to resume. */
	for (i = at; i < t.n; i++) {
		r = json_object_new_object();
		pj_add_str(r, "customer", t.slugs[i]);
		pj_add_str(r, "status", "skipped");
		json_object_array_add(all, r);
	}
	cmd_report(ctx, all, failed, t.n - at);
	if (t.n > at)
		ctx->status = 1;
done:
	pbi_json_wipe_put(o.credentials);
	json_object_put(all);
	json_object_put(res);
	json_object_put(params);
	pbi_report_file_release(&f);
	pbi_prov_release(&p);
	cmd_targets_release(&t);
	free(named);
	return err;
}
