/*
 * sp.c: pbictl sp ensure | show: the app's service principal.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SP_ENSURE_SYNOPSIS						\
	"pbictl sp ensure [--app-id ID | --create-app NAME] "		\
	"[--new-secret-file FILE]\n"					\
	"                 [--certificate FILE] [--security-group ID]\n"
#define SP_SHOW_SYNOPSIS	"pbictl sp show\n"

void
usage_sp(int status)
{
	fputs("usage: " SP_ENSURE_SYNOPSIS "       " SP_SHOW_SYNOPSIS,
	    status ? stderr : stdout);
	exit(status);
}

/* Print what a dry run would have sent; returns non-zero if it did. */
int
cmd_dry_calls(const struct pbi_cmdctx *ctx, struct json_object *result)
{
	struct json_object	*calls = ctx->svc->dry_calls, *c;
	size_t			 i;

	if (!ctx->dry_run)
		return 0;
	if (ctx->out == PBI_OUT_JSON) {
		pj_add(result, "dryRun", json_object_new_boolean(1));
		pj_add(result, "calls", calls ? json_object_get(calls) :
		    json_object_new_array());
		pbi_json_print(result, stdout);
		return 1;
	}
	printf("dry run: %zu call(s) not sent\n",
	    calls ? pj_len(calls) : 0);
	for (i = 0; calls && i < pj_len(calls); i++) {
		c = pj_idx(calls, i);
		printf("%s %s", pj_str(c, "method"), pj_str(c, "url"));
		if (pj_obj(c, "body") != NULL)
			printf(" %s", pj_text(pj_obj(c, "body"), 0));
		putchar('\n');
	}
	return 1;
}

static void
print_ensure(struct json_object *o)
{
	struct json_object	*ch = pj_obj(o, "changes");
	const char		*s;

	printf("app id                %s\n", pj_str(o, "appId"));
	printf("service principal     %s\n", pj_str(o, "servicePrincipalId"));
	if ((s = pj_str(o, "displayName")) != NULL)
		printf("display name          %s\n", s);
	if ((s = pj_str(o, "applicationObjectId")) != NULL)
		printf("application object    %s\n", s);
	if ((s = pj_str(o, "secretFile")) != NULL)
		printf("new secret            in %s (expires %s)\n", s,
		    pj_str(o, "secretExpires"));
	if (json_object_object_length(ch) == 0)
		printf("changes               none\n");
	json_object_object_foreach(ch, k, v)
		printf("%-21s %s\n", k, json_object_get_string(v));
}

const struct pbi_err *
cmd_sp_ensure(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "app-id",	     required_argument, NULL, 'a' },
		{ "create-app",	     required_argument, NULL, 'c' },
		{ "new-secret-file", required_argument, NULL, 's' },
		{ "certificate",     required_argument, NULL, 'C' },
		{ "security-group",  required_argument, NULL, 'g' },
		{ "help",	     no_argument,	NULL, 'h' },
		{ NULL,		     0,			NULL, 0 }
	};
	const struct pbi_err	*err;
	struct pbi_sp_opts	 o;
	struct pbi_prov		 p;
	struct json_object	*out = NULL;
	int			 ch;

	memset(&o, 0, sizeof(o));
	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'a':
			o.app_id = optarg;
			break;
		case 'c':
			o.create_app = optarg;
			break;
		case 's':
			o.new_secret_file = optarg;
			break;
		case 'C':
			o.certificate = optarg;
			break;
		case 'g':
			o.security_group = optarg;
			break;
		case 'h':
			printf("usage: %s", SP_ENSURE_SYNOPSIS);
			exit(0);
		default:
			usage_sp(2);
		}
	}
	if (optind != argc)
		return pbi_err(PBI_ERR_USAGE, "ensure: unexpected argument "
		    "'%s'", argv[optind]);
	if (o.app_id != NULL && o.create_app != NULL)
		return pbi_err(PBI_ERR_USAGE, "--app-id and --create-app "
		    "exclude each other");
	if ((err = cmd_setup(ctx)) != NULL)
		return err;
	pbi_prov_init(&p, ctx->svc, ctx->ledger, ctx->dry_run);
	if ((err = pbi_sp_ensure(&p, &o, &out)) != NULL)
		return err;
	if (!cmd_dry_calls(ctx, out))
		cmd_emit(ctx, out, print_ensure);
	json_object_put(out);
	return NULL;
}

static void
print_show(struct json_object *o)
{
	struct json_object	*c = pj_arr(o, "credentials"), *e;
	size_t			 i;
	const char		*s;

	printf("app id              %s\n", pj_str(o, "appId"));
	printf("service principal   %s\n", pj_str(o, "servicePrincipalId"));
	printf("display name        %s\n", (s = pj_str(o, "displayName")) ?
	    s : "-");
	printf("application object  %s\n",
	    (s = pj_str(o, "applicationObjectId")) ? s : "(not readable)");
	for (i = 0; c && i < pj_len(c); i++) {
		e = pj_idx(c, i);
		printf("%-19s %s %s expires %s\n", i ? "" : "credentials",
		    pj_str(e, "type"), (s = pj_str(e, "displayName")) ? s :
		    pj_str(e, "keyId"), pj_str(e, "endDateTime"));
	}
}

const struct pbi_err *
cmd_sp_show(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	const struct pbi_err	*err;
	struct pbi_prov		 p;
	struct json_object	*out = NULL;
	int			 at;

	if ((at = cmd_plain(ctx, argc, argv, SP_SHOW_SYNOPSIS, usage_sp)) <
	    argc)
		return pbi_err(PBI_ERR_USAGE, "show: unexpected argument "
		    "'%s'", argv[at]);
	if ((err = cmd_setup(ctx)) != NULL)
		return err;
	pbi_prov_init(&p, ctx->svc, ctx->ledger, ctx->dry_run);
	if ((err = pbi_sp_show(&p, &out)) != NULL)
		return err;
	cmd_emit(ctx, out, print_show);
	json_object_put(out);
	return NULL;
}
