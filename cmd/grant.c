/*
 * grant.c: pbictl grant ensure | list | revoke: the OAuth2 permission
 * grants of the app's service principal.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRANT_ENSURE_SYNOPSIS						\
	"pbictl grant ensure [--powerbi-scopes S] [--graph-scopes S] "	\
	"[--consent all|user:UPN]\n"
#define GRANT_LIST_SYNOPSIS	"pbictl grant list\n"
#define GRANT_REVOKE_SYNOPSIS						\
	"pbictl grant revoke --scope S [--resource powerbi|graph] "	\
	"[--consent all|user:UPN]\n"

void
usage_grant(int status)
{
	fputs("usage: " GRANT_ENSURE_SYNOPSIS "       " GRANT_LIST_SYNOPSIS
	    "       " GRANT_REVOKE_SYNOPSIS, status ? stderr : stdout);
	exit(status);
}

static void
print_grants(struct json_object *o)
{
	static const char *const heads[] = { "RESOURCE", "ACTION", "CONSENT",
	    "ID", "SCOPES", NULL };
	struct json_object	*a = pj_arr(o, "grants"), *g;
	struct pbi_table	*t;
	size_t			 i;
	const char		*scopes;
	char			*joined;
	struct json_object	*sa;
	size_t			 j, n;

	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < pj_len(a); i++) {
		g = pj_idx(a, i);
		scopes = pj_str(g, "scope");
		joined = NULL;
		if (scopes == NULL && (sa = pj_arr(g, "scopes")) != NULL) {
			/* The names, space-separated, as Graph keeps them. */
			for (j = 0, n = 1; j < pj_len(sa);
			    j++)
				n += strlen(json_object_get_string(
				    pj_idx(sa, j))) + 1;
			if ((joined = calloc(1, n)) != NULL)
				for (j = 0; j < pj_len(sa);
				    j++) {
					if (j > 0)
						strncat(joined, " ", n -
						    strlen(joined) - 1);
					strncat(joined, json_object_get_string(
					    pj_idx(sa, j)),
					    n - strlen(joined) - 1);
				}
			scopes = joined;
		}
		const char *cells[] = { pj_str(g, "resource"),
		    pj_str(g, "action") ? pj_str(g, "action") : "-",
		    pj_str(g, "principalId") ? pj_str(g, "principalId") :
		    pj_str(g, "consentType"), pj_str(g, "id"), scopes };
		pbi_table_row(t, cells);
		free(joined);
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
}

static const struct pbi_err *
grant_verb(struct pbi_cmdctx *ctx, int argc, char **argv, int verb)
{
	static const struct option	 opts[] = {
		{ "powerbi-scopes", required_argument, NULL, 'p' },
		{ "graph-scopes",   required_argument, NULL, 'g' },
		{ "consent",	    required_argument, NULL, 'c' },
		{ "scope",	    required_argument, NULL, 's' },
		{ "resource",	    required_argument, NULL, 'r' },
		{ "help",	    no_argument,       NULL, 'h' },
		{ NULL,		    0,		       NULL, 0 }
	};
	static const char *const synopsis[] = { GRANT_ENSURE_SYNOPSIS,
	    GRANT_LIST_SYNOPSIS, GRANT_REVOKE_SYNOPSIS };
	const struct pbi_err	*err;
	struct pbi_grant_opts	 o;
	struct pbi_prov		 p;
	struct json_object	*out = NULL;
	int			 ch, bad = 0;

	memset(&o, 0, sizeof(o));
	o.powerbi = o.graph = 1;
	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'p':
			o.powerbi_scopes = optarg;
			bad |= verb != 0;
			break;
		case 'g':
			o.graph_scopes = optarg;
			bad |= verb != 0;
			break;
		case 'c':
			o.consent = optarg;
			bad |= verb == 1;
			break;
		case 's':
			o.revoke = optarg;
			bad |= verb != 2;
			break;
		case 'r':
			bad |= verb != 2;
			if (strcmp(optarg, "powerbi") == 0)
				o.graph = 0;
			else if (strcmp(optarg, "graph") == 0)
				o.powerbi = 0;
			else
				return pbi_err(PBI_ERR_USAGE, "--resource: "
				    "expected powerbi or graph, not '%s'",
				    optarg);
			break;
		case 'h':
			printf("usage: %s", synopsis[verb]);
			exit(0);
		default:
			usage_grant(2);
		}
	}
	if (bad)
		return pbi_err(PBI_ERR_USAGE, "%s: option not valid here",
		    argv[0]);
	if (optind != argc)
		return pbi_err(PBI_ERR_USAGE, "%s: unexpected argument '%s'",
		    argv[0], argv[optind]);
	if (verb == 2 && o.revoke == NULL)
		return pbi_err(PBI_ERR_USAGE, "revoke: --scope is needed");
	if ((err = cmd_setup(ctx)) != NULL)
		return err;
	pbi_prov_init(&p, ctx->svc, ctx->ledger, ctx->dry_run);
	if (verb == 0)
		err = pbi_grant_ensure(&p, &o, &out);
	else if (verb == 1)
		err = pbi_grant_list(&p, &out);
	else
		err = pbi_grant_revoke(&p, &o, &out);
	if (err != NULL)
		return err;
	if (!cmd_dry_calls(ctx, out))
		cmd_emit(ctx, out, print_grants);
	json_object_put(out);
	return NULL;
}

const struct pbi_err *
cmd_grant_ensure(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	return grant_verb(ctx, argc, argv, 0);
}

const struct pbi_err *
cmd_grant_list(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	return grant_verb(ctx, argc, argv, 1);
}

const struct pbi_err *
cmd_grant_revoke(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	return grant_verb(ctx, argc, argv, 2);
}
