/*
 * entra.c: the Entra ID v2.0 endpoints (api-facts 1): the routes of an
 * authority, instance discovery and OpenID configuration as MSAL reads
 * them, the signing keys, and the device code flow (api-facts 1.5) up to
 * the user's approval; the token endpoint itself is entra_token.c.
 */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Is the path's tenant segment this tenant (id or domain)? */
static int
tenant_ok(const char *t)
{
	struct json_object	*ten = pj_obj(g.state, "tenant");

	return sim_streq_ci(t, pj_str(ten, "id")) ||
	    sim_streq_ci(t, pj_str(ten, "domain"));
}

static void
devicecode(struct req *r)
{
	struct kv		*kv = NULL;
	struct json_object	*o, *dc;
	struct buf		 names = { 0 };
	const char		*cid, *scope;
	char			 res[256], code[65], ucode[10], msg[300];
	int			 n = 0, dflt = 0, i;
	int64_t			 ivl, exp;

	sim_form_parse(r->body.p ? r->body.p : "", r->body.len, &kv, &n);
	cid = sim_kv_get(kv, n, "client_id");
	scope = sim_kv_get(kv, n, "scope");
	sim_log_principal(r, cid, NULL);
	if (cid == NULL || (sim_dir_app_by_appid(cid) == NULL &&
	    sim_dir_sp_by_appid(cid) == NULL)) {
		sim_entra_error(r, 400, "unauthorized_client", 700016,
		    "Application with identifier '%s' was not found in the "
		    "directory '%s'.", cid ? cid : "",
		    pj_str(pj_obj(g.state, "tenant"), "domain"));
		goto done;
	}
	if (sim_entra_parse_scope(r, scope, res, sizeof(res), &names,
	    &dflt) != 0)
		goto done;
	ivl = pj_int(pj_obj(g.state, "tenant"), "deviceCodeInterval", 5);
	exp = pj_int(pj_obj(g.state, "tenant"), "deviceCodeExpiresIn", 900);
	sim_randhex(code, sizeof(code));
	for (i = 0; i < 9; i++)
		ucode[i] = "ABCDEFGHJKLMNPQRSTUVWXYZ"[(int)(sim_rand() * 24)];
	ucode[9] = '\0';
	dc = json_object_new_object();
	pj_add_str(dc, "__deviceCode", code);
	pj_add_str(dc, "userCode", ucode);
	pj_add_str(dc, "clientId", cid);
	pj_add_str(dc, "resource", res);
	pj_add_str(dc, "names", names.p ? names.p : "");
	pj_add_str(dc, "scope", scope);
	pj_add_bool(dc, "default", dflt);
	pj_add_str(dc, "status", "pending");
	pj_add_int(dc, "interval", ivl);
	pj_add_int(dc, "expires", sim_now_ms() + exp * 1000);
	pj_add_int(dc, "lastPoll", sim_now_ms());
	json_object_array_add(sim_arr(g.state, "_deviceCodes"), dc);
	o = json_object_new_object();
	pj_add_str(o, "user_code", ucode);
	pj_add_str(o, "device_code", code);
	pj_add_str(o, "verification_uri", "https://microsoft.com/devicelogin");
	pj_add_int(o, "expires_in", exp);
	pj_add_int(o, "interval", ivl);
	snprintf(msg, sizeof(msg), "To sign in, use a web browser to open "
	    "the page https://microsoft.com/devicelogin and enter the code "
	    "%s to authenticate.", ucode);
	pj_add_str(o, "message", msg);
	sim_reply_json(r, 200, o);
done:
	buf_release(&names);
	sim_kv_free(kv, n);
}

/* POST /_sim/devicecode {"userCode","action","upn"}: the user's browser. */
void
sim_entra_devicecode_control(struct req *r)
{
	struct json_object	*b = sim_body_json(r), *dc;
	const char		*act;

	dc = sim_find_ci(pj_arr(g.state, "_deviceCodes"), "userCode",
	    pj_str(b, "userCode"));
	act = pj_str(b, "action");
	if (dc == NULL || act == NULL || (strcmp(act, "approve") != 0 &&
	    strcmp(act, "decline") != 0)) {
		sim_pbi_error(r, 400, "InvalidRequest", "unknown userCode or "
		    "action (approve|decline)");
		goto done;
	}
	if (strcmp(act, "approve") == 0) {
		if (sim_dir_user_by_upn(pj_str(b, "upn")) == NULL) {
			sim_pbi_error(r, 400, "InvalidRequest", "unknown upn");
			goto done;
		}
		pj_add_str(dc, "upn", pj_str(b, "upn"));
		pj_add_str(dc, "status", "approved");
	} else
		pj_add_str(dc, "status", "declined");
	sim_reply_empty(r, 204);
done:
	json_object_put(b);
}

/* JSON array of the space-separated words of s ('%' becomes a space). */
static struct json_object *
strarr(const char *s)
{
	struct json_object	*a = json_object_new_array();
	char			*copy = strdup(s), *p, *t, *save = NULL, *q;

	for (p = copy; (t = strtok_r(p, " ", &save)) != NULL; p = NULL) {
		for (q = t; *q != '\0'; q++)
			if (*q == '%')
				*q = ' ';
		json_object_array_add(a, json_object_new_string(t));
	}
	free(copy);
	return a;
}

/* GET /common/discovery/instance, as MSAL asks before anything else. */
static void
instance_discovery(struct req *r)
{
	struct json_object	*o, *m, *md, *al;
	char			 u[512];

	snprintf(u, sizeof(u), "%s://%s/%s/v2.0/.well-known/"
	    "openid-configuration", sim_scheme(), sim_host(r),
	    pj_str(pj_obj(g.state, "tenant"), "id"));
	o = json_object_new_object();
	pj_add_str(o, "tenant_discovery_endpoint", u);
	pj_add_str(o, "api-version", "1.1");
	md = json_object_new_array();
	m = json_object_new_object();
	pj_add_str(m, "preferred_network", sim_host(r));
	pj_add_str(m, "preferred_cache", sim_host(r));
	al = json_object_new_array();
	json_object_array_add(al, json_object_new_string(sim_host(r)));
	pj_add(m, "aliases", al);
	json_object_array_add(md, m);
	pj_add(o, "metadata", md);
	sim_reply_json(r, 200, o);
}

static void
openid_config(struct req *r)
{
	struct json_object	*o;
	const char		*tid = pj_str(pj_obj(g.state, "tenant"), "id");
	char			 u[512];

	o = json_object_new_object();
	snprintf(u, sizeof(u), "%s://%s/%s/oauth2/v2.0/token", sim_scheme(),
	    sim_host(r), tid);
	pj_add_str(o, "token_endpoint", u);
	snprintf(u, sizeof(u), "%s://%s/%s/discovery/v2.0/keys",
	    sim_scheme(), sim_host(r), tid);
	pj_add_str(o, "jwks_uri", u);
	snprintf(u, sizeof(u), "%s://%s/%s/oauth2/v2.0/authorize",
	    sim_scheme(), sim_host(r), tid);
	pj_add_str(o, "authorization_endpoint", u);
	snprintf(u, sizeof(u), "%s://%s/%s/oauth2/v2.0/devicecode",
	    sim_scheme(), sim_host(r), tid);
	pj_add_str(o, "device_authorization_endpoint", u);
	snprintf(u, sizeof(u), "https://login.microsoftonline.com/%s/v2.0",
	    tid);
	pj_add_str(o, "issuer", u);
	snprintf(u, sizeof(u), "%s://%s/%s/oauth2/v2.0/logout", sim_scheme(),
	    sim_host(r), tid);
	pj_add_str(o, "end_session_endpoint", u);
	pj_add(o, "token_endpoint_auth_methods_supported", strarr(
	    "client_secret_post private_key_jwt client_secret_basic"));
	pj_add(o, "response_types_supported", strarr("code id_token "
	    "code%id_token id_token%token"));
	pj_add(o, "scopes_supported", strarr("openid profile email "
	    "offline_access"));
	pj_add(o, "subject_types_supported", strarr("pairwise"));
	pj_add(o, "id_token_signing_alg_values_supported", strarr("RS256"));
	pj_add_str(o, "tenant_region_scope", "EU");
	pj_add_str(o, "cloud_instance_name", "microsoftonline.com");
	pj_add_str(o, "msgraph_host", "graph.microsoft.com");
	sim_reply_json(r, 200, o);
}

void
sim_entra_route(struct req *r)
{
	const char	*t = r->seg[0];

	if (r->nseg == 3 && strcmp(r->seg[1], "discovery") == 0 &&
	    strcmp(r->seg[2], "instance") == 0 && strcmp(r->method, "GET") ==
	    0) {
		instance_discovery(r);
		return;
	}
	if ((strcmp(t, "common") == 0 || strcmp(t, "consumers") == 0) &&
	    r->nseg == 4 && strcmp(r->seg[3], "token") == 0) {
		/* api-facts 1: tenant-specific authority required */
		sim_entra_error(r, 400, "invalid_request", 9001023, "The grant "
		    "type is not supported over the /common or /consumers "
		    "endpoints. Please use the /organizations or "
		    "tenant-specific endpoint.");
		return;
	}
	if (!tenant_ok(t) && !(strcmp(t, "organizations") == 0 &&
	    r->nseg == 4 && strcmp(r->seg[3], "token") == 0)) {
		sim_entra_error(r, 400, "invalid_request", 90002, "Tenant '%s' "
		    "not found. Check to make sure you have the correct tenant "
		    "ID and are signing into the correct cloud.", t);
		return;
	}
	if (r->nseg == 4 && strcmp(r->seg[1], "oauth2") == 0 &&
	    strcmp(r->seg[2], "v2.0") == 0 && strcmp(r->method, "POST") ==
	    0) {
		if (strcmp(r->seg[3], "token") == 0)
			sim_entra_token(r);
		else if (strcmp(r->seg[3], "devicecode") == 0)
			devicecode(r);
		else
			sim_entra_error(r, 404, "invalid_request", 90011,
			    "Unknown endpoint.");
		return;
	}
	if (r->nseg == 4 && strcmp(r->seg[1], "v2.0") == 0 &&
	    strcmp(r->seg[2], ".well-known") == 0 &&
	    strcmp(r->seg[3], "openid-configuration") == 0) {
		openid_config(r);
		return;
	}
	if ((r->nseg == 4 && strcmp(r->seg[1], "discovery") == 0 &&
	    strcmp(r->seg[2], "v2.0") == 0 && strcmp(r->seg[3], "keys") ==
	    0) || (r->nseg == 3 && strcmp(r->seg[1], "discovery") == 0 &&
	    strcmp(r->seg[2], "keys") == 0)) {
		sim_reply_json(r, 200, jwt_jwks());
		return;
	}
	sim_entra_error(r, 404, "invalid_request", 90011, "Unknown endpoint.");
}
