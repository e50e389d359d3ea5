/*
 * entra_token.c: the Entra ID v2.0 token endpoint (api-facts 1.1-1.7):
 * client credentials with a secret or a certificate assertion, password
 * (ROPC), device code redemption and refresh tokens, with the consent
 * each delegated scope needs and the access, ID and refresh tokens it
 * issues.
 */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ASSERTION_TYPE	"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define DEVICE_GRANT	"urn:ietf:params:oauth:grant-type:device_code"
#define SKEW		300

/*
 * Parse a v2 scope parameter into one resource (written to res) and the
 * scope names (space separated, to names).  Returns 0, or -1 after
 * answering invalid_scope / invalid_resource.
 */
int
sim_entra_parse_scope(struct req *r, const char *scope, char *res, size_t rn,
    struct buf *names, int *dflt)
{
	char		*copy = NULL, *p, *tok, *slash, *save = NULL;
	char		 thisres[256];
	int		 rc = -1;

	res[0] = '\0';
	*dflt = 0;
	if (scope == NULL || *scope == '\0') {
		sim_entra_error(r, 400, "invalid_request", 900144, "The "
		    "request body must contain the following parameter: "
		    "'scope'.");
		return -1;
	}
	copy = strdup(scope);
	for (p = copy; (tok = strtok_r(p, " ", &save)) != NULL; p = NULL) {
		if (strcmp(tok, "openid") == 0 || strcmp(tok, "profile") ==
		    0 || strcmp(tok, "offline_access") == 0 ||
		    strcmp(tok, "email") == 0)
			continue;
		slash = strrchr(tok, '/');
		if (slash != NULL && strstr(tok, "://") != NULL &&
		    slash > strstr(tok, "://") + 2) {
			snprintf(thisres, sizeof(thisres), "%.*s",
			    (int)(slash - tok), tok);
			tok = slash + 1;
		} else if (slash != NULL && slash != tok) {
			snprintf(thisres, sizeof(thisres), "%.*s",
			    (int)(slash - tok), tok);
			tok = slash + 1;
		} else
			snprintf(thisres, sizeof(thisres),
			    "https://graph.microsoft.com");
		while (strlen(thisres) > 8 &&
		    thisres[strlen(thisres) - 1] == '/')
			thisres[strlen(thisres) - 1] = '\0';
		if (strcmp(thisres, SIM_GRAPH_APPID) == 0)
			snprintf(thisres, sizeof(thisres),
			    "https://graph.microsoft.com");
		if (strcmp(thisres, SIM_PBI_APPID) == 0)
			snprintf(thisres, sizeof(thisres),
			    "https://analysis.windows.net/powerbi/api");
		if (res[0] != '\0' && strcasecmp(res, thisres) != 0) {
			/* api-facts 1.1: one resource per request */
			sim_entra_error(r, 400, "invalid_scope", 70011, "The "
			    "provided request must include a 'scope' input "
			    "parameter. The provided value for the input "
			    "parameter 'scope' is not valid. The scope %s is "
			    "not valid. Scopes of more than one resource "
			    "were requested.", scope);
			goto done;
		}
		snprintf(res, rn, "%s", thisres);
		if (strcmp(tok, ".default") == 0)
			*dflt = 1;
		else {
			if (names->len > 0)
				buf_addstr(names, " ");
			buf_addstr(names, tok);
		}
	}
	if (res[0] == '\0')
		snprintf(res, rn, "https://graph.microsoft.com");
	if (sim_resource_of(res) == NULL ||
	    (strcmp(sim_resource_of(res), "arm") != 0 &&
	    sim_dir_sp_by_appid(strcmp(sim_resource_of(res), "pbi") == 0 ?
	    SIM_PBI_APPID : SIM_GRAPH_APPID) == NULL)) {
		sim_entra_error(r, 400, "invalid_resource", 500011, "The "
		    "resource principal named %s was not found in the tenant "
		    "named %s. This can happen if the application has not been "
		    "installed by the administrator of the tenant or consented "
		    "to by any user in the tenant. You might have sent your "
		    "authentication request to the wrong tenant.", res,
		    pj_str(pj_obj(g.state, "tenant"), "id"));
		goto done;
	}
	rc = 0;
done:
	free(copy);
	return rc;
}

/* Scopes granted to client SP on the resource SP for user oid. */
static void
granted(const char *clientsp, const char *ressp, const char *uoid,
    struct buf *out)
{
	struct json_object	*a = pj_arr(g.state, "oauth2PermissionGrants");
	struct json_object	*o;
	const char		*s;
	size_t			 i;

	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		if (!sim_streq_ci(pj_str(o, "clientId"), clientsp) ||
		    !sim_streq_ci(pj_str(o, "resourceId"), ressp))
			continue;
		s = pj_str(o, "consentType");
		if (sim_streq_ci(s, "Principal") &&
		    !sim_streq_ci(pj_str(o, "principalId"), uoid))
			continue;
		if ((s = pj_str(o, "scope")) == NULL || *s == '\0')
			continue;
		if (out->len > 0)
			buf_addstr(out, " ");
		buf_addstr(out, s);
	}
}

/* Is w one of the space-separated words of list? */
static int
has_word(const char *list, const char *w)
{
	size_t		 n = strlen(w);
	const char	*p = list;

	while (p != NULL && (p = strstr(p, w)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' ||
		    p[n] == ' '))
			return 1;
		p += n;
	}
	return 0;
}

/* Add each word of list to the space-separated set out, once. */
static void
add_words(struct buf *out, const char *list)
{
	char	*copy, *p, *t, *save = NULL;

	if (list == NULL)
		return;
	copy = strdup(list);
	for (p = copy; (t = strtok_r(p, " ", &save)) != NULL; p = NULL) {
		if (out->len > 0 && has_word(out->p, t))
			continue;
		if (out->len > 0)
			buf_addstr(out, " ");
		buf_addstr(out, t);
	}
	free(copy);
}

/*
 * The delegated scopes the registration of app requests on resource
 * service principal rsp (requiredResourceAccess entries of type
 * "Scope", by id, or by value in a seed), added to out.
 */
static void
requested(struct json_object *app, struct json_object *rsp, struct buf *out)
{
	struct json_object	*rra = pj_arr(app, "requiredResourceAccess");
	struct json_object	*defs = pj_arr(rsp, "oauth2PermissionScopes");
	struct json_object	*e, *ra, *a, *d;
	size_t			 i, j, k;

	for (i = 0; i < pj_len(rra); i++) {
		e = pj_idx(rra, i);
		if (!sim_streq_ci(pj_str(e, "resourceAppId"), pj_str(rsp,
		    "appId")))
			continue;
		ra = pj_arr(e, "resourceAccess");
		for (j = 0; j < pj_len(ra); j++) {
			a = pj_idx(ra, j);
			if (!sim_streq_ci(pj_str(a, "type"), "Scope"))
				continue;
			for (k = 0; k < pj_len(defs); k++) {
				d = pj_idx(defs, k);
				if (sim_streq_ci(pj_str(d, "id"), pj_str(a,
				    "id")) || sim_streq_ci(pj_str(d, "value"),
				    pj_str(a, "value")))
					add_words(out, pj_str(d, "value"));
			}
		}
	}
}

/*
 * The "roles" claim of an app token of client service principal csp for
 * resource res: the values of the resource's app roles assigned to it
 * (appRoleAssignments).  NULL when none, as Entra then leaves it out.
 */
static struct json_object *
app_roles(struct json_object *csp, const char *res)
{
	struct json_object	*rsp, *a, *e, *role, *out = NULL;
	const char		*kind = sim_resource_of(res);
	size_t			 i;

	if (csp == NULL || kind == NULL || strcmp(kind, "arm") == 0)
		return NULL;
	rsp = sim_dir_sp_by_appid(strcmp(kind, "pbi") == 0 ? SIM_PBI_APPID :
	    SIM_GRAPH_APPID);
	a = pj_arr(g.state, "appRoleAssignments");
	for (i = 0; rsp != NULL && i < pj_len(a); i++) {
		e = pj_idx(a, i);
		if (!sim_streq_ci(pj_str(e, "principalId"), pj_str(csp, "id")) ||
		    !sim_streq_ci(pj_str(e, "resourceId"), pj_str(rsp, "id")))
			continue;
		role = sim_find_ci(pj_arr(rsp, "appRoles"), "id", pj_str(e,
		    "appRoleId"));
		if (role == NULL || pj_str(role, "value") == NULL)
			continue;
		if (out == NULL)
			out = json_object_new_array();
		json_object_array_add(out, json_object_new_string(pj_str(role,
		    "value")));
	}
	return out;
}

/* OIDC extras of a user token response: id_token, client_info, refresh. */
static void
user_extras(struct req *r, struct json_object *o, const char *appid,
    struct json_object *user, const char *reqscope)
{
	struct json_object	*c, *rt;
	char			 iss[160], ci[256], tok[65], hash[65];
	char			*s, *t;
	const char		*tid = pj_str(pj_obj(g.state, "tenant"), "id");
	const char		*want = sim_q(r, "client_info");
	int64_t			 now = sim_now();

	if (has_word(reqscope, "openid")) {
		snprintf(iss, sizeof(iss), "https://login.microsoftonline.com/"
		    "%s/v2.0", tid);
		c = json_object_new_object();
		pj_add_str(c, "aud", appid);
		pj_add_str(c, "iss", iss);
		pj_add_int(c, "iat", now);
		pj_add_int(c, "nbf", now);
		pj_add_int(c, "exp", now + 3600);
		pj_add_str(c, "name", pj_str(user, "displayName"));
		pj_add_str(c, "oid", pj_str(user, "id"));
		pj_add_str(c, "preferred_username", pj_str(user,
		    "userPrincipalName"));
		pj_add_str(c, "sub", pj_str(user, "id"));
		pj_add_str(c, "tid", tid);
		pj_add_str(c, "ver", "2.0");
		if ((t = jwt_sign(c)) != NULL)
			pj_add_str(o, "id_token", t);
		free(t);
		json_object_put(c);
	}
	if (want != NULL || r->body.p != NULL) {
		struct kv	*kv = NULL;
		int		 n = 0;

		sim_form_parse(r->body.p ? r->body.p : "", r->body.len, &kv,
		    &n);
		if (sim_streq_ci(sim_kv_get(kv, n, "client_info"), "1")) {
			snprintf(ci, sizeof(ci), "{\"uid\":\"%s\",\"utid\":"
			    "\"%s\"}", pj_str(user, "id"), tid);
			s = b64url_enc(ci, strlen(ci));
			pj_add_str(o, "client_info", s);
			free(s);
		}
		sim_kv_free(kv, n);
	}
	if (has_word(reqscope, "offline_access")) {
		sim_randhex(tok, sizeof(tok));
		sha256_hex(tok, hash);
		rt = json_object_new_object();
		pj_add_str(rt, "__hash", hash);
		pj_add_str(rt, "clientId", appid);
		pj_add_str(rt, "upn", pj_str(user, "userPrincipalName"));
		pj_add_int(rt, "exp", now + 90 * 86400);
		json_object_array_add(sim_arr(g.state, "_refreshTokens"), rt);
		pj_add_str(o, "refresh_token", tok);
	}
}

/* Issue an access token and answer with the api-facts 1.6 JSON. */
static void
issue(struct req *r, const char *appid, struct json_object *user,
    const char *res, const char *scp, const char *acr, const char *reqscope)
{
	struct json_object	*c, *o, *sp;
	char			*tok;
	char			 iss[128], aio[33], uti[23];
	int64_t			 now = sim_now(), life;
	const char		*tid = pj_str(pj_obj(g.state, "tenant"), "id");

	life = pj_int(pj_obj(g.state, "tenant"), "tokenLifetime", 3599);
	sp = sim_dir_sp_by_appid(appid);
	snprintf(iss, sizeof(iss), "https://sts.windows.net/%s/", tid);
	sim_randhex(aio, sizeof(aio));
	sim_randhex(uti, sizeof(uti));
	c = json_object_new_object();
	pj_add_str(c, "aud", res);
	pj_add_str(c, "iss", iss);
	pj_add_int(c, "iat", now);
	pj_add_int(c, "nbf", now);
	pj_add_int(c, "exp", now + life);
	pj_add_str(c, "aio", aio);
	pj_add_str(c, "appid", appid);
	pj_add_str(c, "appidacr", acr);
	pj_add_str(c, "idp", iss);
	pj_add_str(c, "idtyp", user ? "user" : "app");
	if (user != NULL) {
		pj_add_str(c, "name", pj_str(user, "displayName"));
		pj_add_str(c, "oid", pj_str(user, "id"));
		pj_add_str(c, "scp", scp);
		pj_add_str(c, "sub", pj_str(user, "id"));
		pj_add_str(c, "unique_name", pj_str(user,
		    "userPrincipalName"));
		pj_add_str(c, "upn", pj_str(user, "userPrincipalName"));
		if (pj_len(pj_arr(user, "_wids")) > 0)
			pj_add(c, "wids", json_object_get(pj_arr(user,
			    "_wids")));
	} else {
		struct json_object *roles = app_roles(sp, res);

		pj_add_str(c, "oid", pj_str(sp, "id"));
		if (roles != NULL)
			pj_add(c, "roles", roles);
		pj_add_str(c, "sub", pj_str(sp, "id"));
	}
	pj_add_str(c, "tid", tid);
	pj_add_str(c, "uti", uti);
	pj_add_str(c, "ver", "1.0");
	tok = jwt_sign(c);
	json_object_put(c);
	if (tok == NULL) {
		sim_entra_error(r, 500, "temporarily_unavailable", 90033,
		    "A transient error has occurred.");
		return;
	}
	o = json_object_new_object();
	pj_add_str(o, "token_type", "Bearer");
	if (user != NULL) {
		struct buf	 s = { 0 };
		char		*p, *t, *save = NULL, *copy;

		copy = strdup(scp ? scp : "");
		for (p = copy; (t = strtok_r(p, " ", &save)) != NULL;
		    p = NULL) {
			buf_printf(&s, "%s%s/%s", s.len ? " " : "", res, t);
		}
		free(copy);
		pj_add_str(o, "scope", s.p ? s.p : "");
		buf_release(&s);
	}
	pj_add_int(o, "expires_in", life);
	pj_add_int(o, "ext_expires_in", life);
	pj_add_str(o, "access_token", tok);
	if (user != NULL)
		user_extras(r, o, appid, user, reqscope ? reqscope : "");
	OPENSSL_cleanse(tok, strlen(tok));
	free(tok);
	sim_log_principal(r, user ? pj_str(user, "userPrincipalName") : appid,
	    NULL);
	sim_reply_json(r, 200, o);
}

/*
 * Verify a client assertion (api-facts 1.3).  Returns 0 if valid, else
 * answers and returns -1.
 */
static int
check_assertion(struct req *r, struct json_object *app, const char *cid,
    const char *jwt)
{
	struct json_object	*hdr = NULL, *cl = NULL, *keys, *k = NULL;
	struct json_object	*used;
	EVP_PKEY		*pk = NULL;
	const char		*alg, *x5t, *x5ts, *aud, *jti;
	char			 exp1[512], exp2[512];
	int64_t			 now = sim_now(), nbf, exp;
	size_t			 i;
	int			 rc = -1;

	if (jwt_split(jwt, &hdr, &cl) != 0) {
		sim_entra_error(r, 400, "invalid_request", 50027, "JWT token "
		    "is invalid or malformed.");
		goto done;
	}
	alg = pj_str(hdr, "alg");
	x5t = pj_str(hdr, "x5t");
	x5ts = pj_str(hdr, "x5t#S256");
	keys = pj_arr(app, "keyCredentials");
	for (i = 0; keys != NULL && i < json_object_array_length(keys); i++) {
		k = json_object_array_get_idx(keys, i);
		if ((x5ts != NULL && sim_streq_ci(x5ts,
		    pj_str(k, "_x5tS256"))) || (x5ts == NULL && x5t != NULL &&
		    strcmp(x5t, pj_str(k, "_x5t") ? pj_str(k, "_x5t") : "") ==
		    0))
			break;
		k = NULL;
	}
	if (k == NULL) {
		sim_entra_error(r, 401, "invalid_client", 700027, "Client "
		    "assertion failed signature validation. [Reason - The "
		    "key was not found., Thumbprint of key used by client: "
		    "'%s', Please visit the Azure Portal, Graph Explorer or "
		    "directly use MS Graph to see configured keys for app "
		    "Id '%s'.]", x5ts ? x5ts : x5t ? x5t : "", cid);
		goto done;
	}
	if (alg == NULL || (strcmp(alg, "RS256") != 0 &&
	    strcmp(alg, "PS256") != 0) ||
	    (pk = cert_pubkey(pj_str(k, "_der"))) == NULL ||
	    !jwt_verify_sig(jwt, pk, alg)) {
		sim_entra_error(r, 401, "invalid_client", 700027, "Client "
		    "assertion failed signature validation. [Reason - The "
		    "provided signature value did not match the expected "
		    "signature value.]");
		goto done;
	}
	if (!sim_streq_ci(pj_str(cl, "iss"), cid)) {
		sim_entra_error(r, 401, "invalid_client", 700021, "Client "
		    "assertion application identifier doesn't match "
		    "'client_id' parameter.");
		goto done;
	}
	if (!sim_streq_ci(pj_str(cl, "sub"), pj_str(cl, "iss"))) {
		sim_entra_error(r, 401, "invalid_client", 50048, "Subject "
		    "mismatches Issuer claim in the client assertion.");
		goto done;
	}
	aud = pj_str(cl, "aud");
	snprintf(exp1, sizeof(exp1), "%s://%s/%s/oauth2/v2.0/token",
	    sim_scheme(), sim_host(r),
	    pj_str(pj_obj(g.state, "tenant"), "id"));
	snprintf(exp2, sizeof(exp2), "%s://%s/%s/oauth2/v2.0/token",
	    sim_scheme(), sim_host(r),
	    pj_str(pj_obj(g.state, "tenant"), "domain"));
	if (aud == NULL || (strcasecmp(aud, exp1) != 0 &&
	    strcasecmp(aud, exp2) != 0 &&
	    !(strncasecmp(aud, "https://", 8) == 0 &&
	    strcasecmp(aud + 8, exp1 + 7) == 0))) {
		sim_entra_error(r, 401, "invalid_client", 50013, "Assertion "
		    "audience claim does not match the required value. The "
		    "audience in the assertion was '%s' and the expected "
		    "audience is '%s'.", aud ? aud : "", exp1);
		goto done;
	}
	nbf = pj_int(cl, "nbf", 0);
	exp = pj_int(cl, "exp", 0);
	if (exp == 0 || now > exp + SKEW || now + SKEW < nbf) {
		sim_entra_error(r, 401, "invalid_client", 700024, "Client "
		    "assertion is not within its valid time range. Current "
		    "time: %lld, assertion valid from %lld, expiry time of "
		    "assertion %lld.", (long long)now, (long long)nbf,
		    (long long)exp);
		goto done;
	}
	jti = pj_str(cl, "jti");
	used = sim_arr(g.state, "_usedJti");
	for (i = 0; i < json_object_array_length(used);) {
		/* forget entries whose assertion has expired */
		if (pj_int(json_object_array_get_idx(used, i), "exp", 0) +
		    SKEW < now) {
			json_object_array_del_idx(used, i, 1);
			continue;
		}
		i++;
	}
	if (jti == NULL || sim_find(used, "jti", jti) != NULL) {
		/* emulator choice: the real code is undocumented */
		sim_entra_error(r, 401, "invalid_client", 700023, "Client "
		    "assertion contains a jti that has already been used "
		    "(replay) or no jti.");
		goto done;
	}
	k = json_object_new_object();
	pj_add_str(k, "jti", jti);
	pj_add_int(k, "exp", exp);
	json_object_array_add(used, k);
	rc = 0;
done:
	EVP_PKEY_free(pk);
	json_object_put(hdr);
	json_object_put(cl);
	return rc;
}

/*
 * Check the client secret against the app.  Returns 0 if valid, else
 * answers and returns -1.
 */
static int
check_secret(struct req *r, struct json_object *app, const char *cid,
    const char *secret)
{
	struct json_object	*a = pj_arr(app, "passwordCredentials"), *c;
	char			 hash[65];
	size_t			 i;

	sha256_hex(secret, hash);
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		c = json_object_array_get_idx(a, i);
		if (!sim_streq_ci(pj_str(c, "__secretHash"), hash))
			continue;
		if (sim_parse_iso(pj_str(c, "endDateTime")) > 0 &&
		    sim_parse_iso(pj_str(c, "endDateTime")) < sim_now_ms()) {
			sim_entra_error(r, 401, "invalid_client", 7000222,
			    "The provided client secret keys for app '%s' are "
			    "expired. Visit the Azure portal to create new "
			    "keys for your app.", cid);
			return -1;
		}
		return 0;
	}
	sim_entra_error(r, 401, "invalid_client", 7000215, "Invalid client "
	    "secret provided. Ensure the secret being sent in the request is "
	    "the client secret value, not the client secret ID, for a secret "
	    "added to app '%s'.", cid);
	return -1;
}

/*
 * Work out the delegated scopes for user on res; answers 65001 and
 * returns -1 when consent is missing.
 */
static int
user_scopes(struct req *r, struct json_object *app, const char *cid,
    struct json_object *user, const char *res, const char *names,
    int dflt, struct buf *scp)
{
	struct json_object	*csp, *rsp;
	struct buf		 have = { 0 };
	char			*copy, *p, *t, *save = NULL;
	int			 ok = 1;

	csp = sim_dir_sp_by_appid(cid);
	rsp = sim_dir_sp_by_appid(strcmp(sim_resource_of(res), "pbi") == 0 ?
	    SIM_PBI_APPID : SIM_GRAPH_APPID);
	if (csp != NULL)
		granted(pj_str(csp, "id"), pj_str(rsp, "id"),
		    pj_str(user, "id"), &have);
	if (pj_bool(user, "_tenantAdmin", 0)) {
		/*
		 * Emulator simplification: an admin consents implicitly, to
		 * the scopes asked for, or for .default to what is granted
		 * and what the app registration requests (pbisim(1)).
		 */
		if (dflt) {
			add_words(scp, have.p);
			requested(app, rsp, scp);
			if (scp->len == 0)
				buf_addstr(scp, "user_impersonation");
		} else
			buf_addstr(scp, names);
		buf_release(&have);
		return 0;
	}
	if (dflt) {
		if (have.len == 0)
			ok = 0;
		else
			buf_addstr(scp, have.p);
	} else {
		copy = strdup(names);
		for (p = copy; (t = strtok_r(p, " ", &save)) != NULL;
		    p = NULL) {
			char	 pat[300];

			snprintf(pat, sizeof(pat), " %s ", t);
			{
				struct buf hb = { 0 };

				buf_printf(&hb, " %s ", have.p ? have.p : "");
				if (strstr(hb.p, pat) == NULL)
					ok = 0;
				buf_release(&hb);
			}
		}
		free(copy);
		if (ok)
			buf_addstr(scp, names);
	}
	buf_release(&have);
	if (!ok) {
		sim_entra_error(r, 400, "invalid_grant", 65001, "The user or "
		    "administrator has not consented to use the application "
		    "with ID '%s' named '%s'. Send an interactive "
		    "authorization request for this user and resource.", cid,
		    pj_str(app, "displayName") ? pj_str(app, "displayName") :
		    cid);
		return -1;
	}
	return 0;
}

/* POST {tenant}/oauth2/v2.0/token: every grant type (api-facts 1.2-1.6). */
void
sim_entra_token(struct req *r)
{
	struct kv		*kv = NULL;
	struct json_object	*app, *user, *dc, *arr;
	struct buf		 names = { 0 }, scp = { 0 };
	const char		*gt, *cid, *secret, *assertion, *atype, *scope;
	const char		*auth, *code;
	char			 res[256], hash[65];
	char			*basic = NULL, *bcid = NULL, *bsec = NULL;
	size_t			 bl;
	int			 n = 0, dflt = 0;
	int64_t			 now;

	sim_form_parse(r->body.p ? r->body.p : "", r->body.len, &kv, &n);
	gt = sim_kv_get(kv, n, "grant_type");
	cid = sim_kv_get(kv, n, "client_id");
	secret = sim_kv_get(kv, n, "client_secret");
	assertion = sim_kv_get(kv, n, "client_assertion");
	atype = sim_kv_get(kv, n, "client_assertion_type");
	scope = sim_kv_get(kv, n, "scope");
	auth = sim_hdr(r, "Authorization");
	if (auth != NULL && strncasecmp(auth, "Basic ", 6) == 0 &&
	    (basic = (char *)b64_dec(auth + 6, strlen(auth + 6), &bl)) !=
	    NULL && strchr(basic, ':') != NULL) {
		*strchr(basic, ':') = '\0';
		bcid = sim_pctdecode(basic, strlen(basic), 1);
		bsec = sim_pctdecode(basic + strlen(basic) + 1,
		    strlen(basic + strlen(basic) + 1), 1);
		if (cid == NULL)
			cid = bcid;
		if (secret == NULL)
			secret = bsec;
	}
	sim_log_principal(r, cid, NULL);
	if (gt == NULL) {
		sim_entra_error(r, 400, "invalid_request", 900144, "The "
		    "request body must contain the following parameter: "
		    "'grant_type'.");
		goto done;
	}
	if (cid == NULL) {
		sim_entra_error(r, 400, "invalid_request", 900144, "The "
		    "request body must contain the following parameter: "
		    "'client_id'.");
		goto done;
	}
	app = sim_dir_app_by_appid(cid);
	if (app == NULL && sim_dir_sp_by_appid(cid) == NULL) {
		sim_entra_error(r, 400, "unauthorized_client", 700016,
		    "Application with identifier '%s' was not found in the "
		    "directory '%s'. This can happen if the application has "
		    "not been installed by the administrator of the tenant or "
		    "consented to by any user in the tenant. You may have sent "
		    "your authentication request to the wrong tenant.", cid,
		    pj_str(pj_obj(g.state, "tenant"), "domain"));
		goto done;
	}
	if (strcmp(gt, "client_credentials") == 0) {
		if (app == NULL) {
			sim_entra_error(r, 400, "unauthorized_client", 700016,
			    "Application with identifier '%s' was not found "
			    "in the directory '%s'.", cid,
			    pj_str(pj_obj(g.state, "tenant"), "domain"));
			goto done;
		}
		if (assertion != NULL) {
			if (atype == NULL || strcmp(atype, ASSERTION_TYPE) !=
			    0) {
				sim_entra_error(r, 400, "invalid_request",
				    900144, "The request body must contain the "
				    "following parameter: "
				    "'client_assertion_type'.");
				goto done;
			}
			if (check_assertion(r, app, cid, assertion) != 0)
				goto done;
		} else if (secret != NULL) {
			if (check_secret(r, app, cid, secret) != 0)
				goto done;
		} else {
			sim_entra_error(r, 401, "invalid_client", 7000218,
			    "The request body must contain the following "
			    "parameter: 'client_assertion' or "
			    "'client_secret'.");
			goto done;
		}
		if (sim_entra_parse_scope(r, scope, res, sizeof(res), &names,
		    &dflt) != 0)
			goto done;
		if (!dflt || names.len > 0) {
			sim_entra_error(r, 400, "invalid_scope", 1002012, "The "
			    "provided value for scope %s is not valid. Client "
			    "credential flows must have a scope value with "
			    "/.default suffixed to the resource identifier "
			    "(application ID URI).", scope);
			goto done;
		}
		/* api-facts 1.7: Entra answers 401 to this invalid_client */
		if (sim_dir_sp_by_appid(cid) == NULL) {
			sim_entra_error(r, 401, "invalid_client", 7000229,
			    "The client application %s is missing service "
			    "principal in the tenant %s.", cid,
			    pj_str(pj_obj(g.state, "tenant"), "id"));
			goto done;
		}
		issue(r, cid, NULL, res, NULL, assertion ? "2" : "1", NULL);
	} else if (strcmp(gt, "password") == 0) {
		const char *u = sim_kv_get(kv, n, "username");
		const char *pw = sim_kv_get(kv, n, "password");

		if (secret != NULL && app != NULL &&
		    check_secret(r, app, cid, secret) != 0)
			goto done;
		if (sim_entra_parse_scope(r, scope ? scope : "openid", res,
		    sizeof(res), &names, &dflt) != 0)
			goto done;
		user = sim_dir_user_by_upn(u);
		if (pw != NULL)
			sha256_hex(pw, hash);
		if (user == NULL || pw == NULL ||
		    !sim_streq_ci(pj_str(user, "__passwordHash"), hash)) {
			sim_entra_error(r, 400, "invalid_grant", 50126, "Error "
			    "validating credentials due to invalid username "
			    "or password.");
			goto done;
		}
		sim_log_principal(r, pj_str(user, "userPrincipalName"), NULL);
		if (pj_bool(user, "_mfa", 0)) {
			sim_entra_error(r, 400, "invalid_grant", 50076, "Due "
			    "to a configuration change made by your "
			    "administrator, or because you moved to a new "
			    "location, you must use multi-factor "
			    "authentication to access '%s'.", res);
			goto done;
		}
		if (user_scopes(r, app, cid, user, res, names.p ? names.p :
		    "", dflt, &scp) != 0)
			goto done;
		issue(r, cid, user, res, scp.p, secret ? "1" : "0", scope);
	} else if (strcmp(gt, DEVICE_GRANT) == 0) {
		code = sim_kv_get(kv, n, "device_code");
		arr = sim_arr(g.state, "_deviceCodes");
		dc = sim_find(arr, "__deviceCode", code);
		now = sim_now_ms();
		if (dc == NULL || strcmp(pj_str(dc, "status"), "done") == 0 ||
		    !sim_streq_ci(pj_str(dc, "clientId"), cid)) {
			sim_entra_error(r, 400, "bad_verification_code", 70000,
			    "The provided value for the input parameter "
			    "'device_code' is not valid.");
			goto done;
		}
		if (now > pj_int(dc, "expires", 0)) {
			sim_entra_error(r, 400, "expired_token", 70019,
			    "Verification code expired.");
			goto done;
		}
		if (strcmp(pj_str(dc, "status"), "declined") == 0) {
			sim_entra_error(r, 400, "authorization_declined", 70000,
			    "The user declined the authorization request.");
			goto done;
		}
		if (strcmp(pj_str(dc, "status"), "pending") == 0) {
			int64_t last = pj_int(dc, "lastPoll", 0);

			pj_add_int(dc, "lastPoll", now);
			if (now - last < pj_int(dc, "interval", 5) * 1000) {
				sim_entra_error(r, 400, "slow_down", 70016,
				    "Polling too fast: wait the interval "
				    "between polls.");
				goto done;
			}
			sim_entra_error(r, 400, "authorization_pending", 70016,
			    "OAuth 2.0 device flow error. Authorization is "
			    "pending. Continue polling.");
			goto done;
		}
		user = sim_dir_user_by_upn(pj_str(dc, "upn"));
		snprintf(res, sizeof(res), "%s", pj_str(dc, "resource"));
		if (user == NULL || user_scopes(r, app, cid, user, res,
		    pj_str(dc, "names"), pj_bool(dc, "default", 0), &scp) !=
		    0) {
			if (user == NULL)
				sim_entra_error(r, 400, "invalid_grant", 50126,
				    "Error validating credentials.");
			goto done;
		}
		pj_add_str(dc, "status", "done");
		issue(r, cid, user, res, scp.p, "0", pj_str(dc, "scope"));
	} else if (strcmp(gt, "refresh_token") == 0) {
		struct json_object *rt;
		const char	   *rtok = sim_kv_get(kv, n, "refresh_token");

		arr = sim_arr(g.state, "_refreshTokens");
		if (rtok != NULL)
			sha256_hex(rtok, hash);
		rt = rtok ? sim_find(arr, "__hash", hash) : NULL;
		if (rt == NULL || !sim_streq_ci(pj_str(rt, "clientId"), cid)) {
			sim_entra_error(r, 400, "invalid_grant", 9002313,
			    "Invalid request. Request is malformed or "
			    "invalid.");
			goto done;
		}
		if (pj_int(rt, "exp", 0) < sim_now()) {
			sim_entra_error(r, 400, "invalid_grant", 70008, "The "
			    "provided authorization code or refresh token has "
			    "expired due to inactivity.");
			goto done;
		}
		user = sim_dir_user_by_upn(pj_str(rt, "upn"));
		if (user == NULL || sim_entra_parse_scope(r, scope ? scope :
		    "https://graph.microsoft.com/.default", res, sizeof(res),
		    &names, &dflt) != 0) {
			if (user == NULL)
				sim_entra_error(r, 400, "invalid_grant", 50126,
				    "Error validating credentials.");
			goto done;
		}
		if (user_scopes(r, app, cid, user, res, names.p ? names.p :
		    "", dflt, &scp) != 0)
			goto done;
		sim_arr_del(arr, rt);		/* refresh tokens rotate */
		issue(r, cid, user, res, scp.p, "0", scope ? scope :
		    "offline_access");
	} else {
		sim_entra_error(r, 400, "unsupported_grant_type", 70003, "The "
		    "app requested an unsupported grant type '%s'.", gt);
	}
done:
	if (basic != NULL)
		OPENSSL_cleanse(basic, strlen(basic));
	free(basic);
	free(bcid);
	if (bsec != NULL)
		OPENSSL_cleanse(bsec, strlen(bsec));
	free(bsec);
	buf_release(&names);
	buf_release(&scp);
	sim_kv_free(kv, n);
}
