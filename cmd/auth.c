/*
 * auth.c: pbictl auth status: acquire a Microsoft Graph and a Power BI
 * token and show who pbictl is, decoded from the tokens' claims (never
 * the tokens).
 */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUTH_STATUS_SYNOPSIS	"pbictl auth status\n"

void
usage_auth(int status)
{
	fputs("usage: " AUTH_STATUS_SYNOPSIS, status ? stderr : stdout);
	exit(status);
}

/* A space-separated claim ("scp") or an array ("roles") as an array. */
static struct json_object *
claim_list(struct json_object *claims, const char *name)
{
	struct json_object	*a = json_object_new_array(), *v;
	const char		*s, *e;

	if (!json_object_object_get_ex(claims, name, &v))
		return a;
	if (json_object_is_type(v, json_type_array)) {
		json_object_put(a);
		return json_object_get(v);
	}
	for (s = json_object_get_string(v); s && *s; s = e) {
		while (*s == ' ')
			s++;
		e = s + strcspn(s, " ");
		if (e > s)
			json_object_array_add(a,
			    json_object_new_string_len(s, (int)(e - s)));
	}
	return a;
}

/* What one token says about us. */
static const struct pbi_err *
token_info(struct pbi_cmdctx *ctx, enum pbi_api api, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*c, *o;
	char			*tok, when[32];
	const char		*s;
	time_t			 exp;

	*out = NULL;
	if ((tok = calloc(1, 16384)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	err = pbi_auth_token(ctx->svc->auth, api, tok, 16384, &exp);
	c = err ? NULL : pbi_jwt_claims(tok);
	pbi_wipe(tok, 16384);
	free(tok);
	if (err != NULL)
		return err;
	o = json_object_new_object();
	pj_add_str(o, "api", api == PBI_API_GRAPH ? "graph" : "powerbi");
	pj_add_str(o, "endpoint", api == PBI_API_GRAPH ?
	    ctx->svc->ep.graph : ctx->svc->ep.powerbi);
	if (c != NULL) {
		pj_add_str(o, "audience", pj_str(c, "aud"));
		pj_add_str(o, "tenantId", pj_str(c, "tid"));
		s = pj_str(c, "appid");
		pj_add_str(o, "appId", s ? s : pj_str(c, "azp"));
		pj_add_str(o, "objectId", pj_str(c, "oid"));
		s = pj_str(c, "idtyp");
		pj_add_str(o, "principalType", s ? s :
		    pj_str(c, "upn") ? "user" : "app");
		pj_add_str(o, "upn", pj_str(c, "upn"));
		pj_add(o, "roles", claim_list(c, "roles"));
		pj_add(o, "scopes", claim_list(c, "scp"));
		json_object_put(c);
	} else
		pj_add_str(o, "note", "the token is not a JWT: no claims");
	pj_add_str(o, "expires", pbi_iso8601(exp, when, sizeof(when)));
	pj_add_int(o, "expiresInSeconds", (int64_t)(exp - time(NULL)));
	*out = o;
	return NULL;
}

static void
print_status(struct json_object *o)
{
	struct json_object	*toks = pj_arr(o, "tokens"), *t;
	size_t			 i;
	const char		*s;

	printf("cloud      %s\n", pj_str(o, "cloud"));
	printf("method     %s\n", pj_str(o, "method"));
	printf("login      %s\n", pj_str(o, "login"));
	for (i = 0; i < pj_len(toks); i++) {
		t = pj_idx(toks, i);
		printf("\n%s token\n", strcmp(pj_str(t, "api"), "graph") == 0 ?
		    "Microsoft Graph" : "Power BI");
		printf("  endpoint   %s\n", pj_str(t, "endpoint"));
		printf("  audience   %s\n", (s = pj_str(t, "audience")) ? s :
		    "-");
		printf("  tenant     %s\n", (s = pj_str(t, "tenantId")) ? s :
		    "-");
		printf("  app id     %s\n", (s = pj_str(t, "appId")) ? s : "-");
		printf("  object id  %s\n", (s = pj_str(t, "objectId")) ? s :
		    "-");
		printf("  principal  %s%s%s\n", pj_str(t, "principalType"),
		    pj_str(t, "upn") ? " " : "",
		    pj_str(t, "upn") ? pj_str(t, "upn") : "");
		printf("  roles      %s\n", pj_len(
		    pj_arr(t, "roles")) ? pj_text(pj_arr(t, "roles"), 0) : "-");
		printf("  scopes     %s\n", pj_len(
		    pj_arr(t, "scopes")) ? pj_text(pj_arr(t, "scopes"), 0) :
		    "-");
		printf("  expires    %s (in %lld s)\n", pj_str(t, "expires"),
		    (long long)pj_int(t, "expiresInSeconds", 0));
	}
}

const struct pbi_err *
cmd_auth_status(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*o, *toks, *t;
	enum pbi_api		 api;
	int			 at;

	if ((at = cmd_plain(ctx, argc, argv, AUTH_STATUS_SYNOPSIS,
	    usage_auth)) < argc)
		return pbi_err(PBI_ERR_USAGE, "status: unexpected argument "
		    "'%s'", argv[at]);
	if ((err = cmd_setup(ctx)) != NULL)
		return err;
	o = json_object_new_object();
	pj_add_str(o, "cloud", ctx->svc->ep.cloud);
	pj_add_str(o, "method",
	    pbi_authmethod_name(pbi_auth_method(ctx->svc->auth)));
	pj_add_str(o, "login", ctx->svc->ep.login);
	toks = json_object_new_array();
	pj_add(o, "tokens", toks);
	/* The two every command uses; ARM is for migrate only. */
	for (api = PBI_API_GRAPH; api <= PBI_API_POWERBI; api++) {
		if ((err = token_info(ctx, api, &t)) != NULL)
			break;
		json_object_array_add(toks, t);
	}
	if (err == NULL)
		cmd_emit(ctx, o, print_status);
	json_object_put(o);
	return err;
}
