/*
 * directory.c: the tenant's directory as Entra ID, Graph and Power BI all
 * see it (api-facts 1, 2): applications with their hashed secrets and
 * certificate thumbprints, service principals, users and group
 * membership.
 */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new servicePrincipal object (new reference); caller holds g.mu. */
struct json_object *
sim_dir_sp_new(const char *appid, const char *name, const char *id)
{
	struct json_object	*o, *a;
	char			 gid[37];

	if (id == NULL) {
		sim_guid(gid);
		id = gid;
	}
	o = json_object_new_object();
	pj_add_str(o, "id", id);
	pj_add_bool(o, "accountEnabled", 1);
	pj_add_str(o, "appDisplayName", name);
	pj_add_str(o, "appId", appid);
	pj_add_str(o, "appOwnerOrganizationId",
	    pj_str(pj_obj(g.state, "tenant"), "id"));
	pj_add(o, "appRoles", json_object_new_array());
	pj_add_str(o, "displayName", name);
	pj_add(o, "oauth2PermissionScopes", json_object_new_array());
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string(appid));
	pj_add(o, "servicePrincipalNames", a);
	pj_add_str(o, "servicePrincipalType", "Application");
	pj_add(o, "tags", json_object_new_array());
	return o;
}

/* Is object oid a direct member of Entra group groupid? */
int
sim_dir_is_member(const char *groupid, const char *oid)
{
	struct json_object	*grp;
	struct json_object	*m;
	size_t			 i;

	grp = sim_find_ci(pj_arr(g.state, "groups"), "id", groupid);
	m = pj_arr(grp, "_members");
	for (i = 0; m != NULL && i < json_object_array_length(m); i++)
		if (sim_streq_ci(json_object_get_string(
		    json_object_array_get_idx(m, i)), oid))
			return 1;
	return 0;
}

/* Fill defaults and hash secrets of an application object in place. */
void
sim_dir_normalize_app(struct json_object *app)
{
	struct json_object	*a, *c;
	char			 id[37], hash[65], hint[4], ts[40];
	char			*x5t = NULL, *x5ts = NULL, *der = NULL;
	char			*hex = NULL;
	const char		*s;
	size_t			 i;

	if (pj_str(app, "id") == NULL) {
		sim_guid(id);
		pj_add_str(app, "id", id);
	}
	if (pj_str(app, "appId") == NULL) {
		sim_guid(id);
		pj_add_str(app, "appId", id);
	}
	if (pj_str(app, "displayName") == NULL)
		pj_add_str(app, "displayName", "app");
	if (pj_str(app, "signInAudience") == NULL)
		pj_add_str(app, "signInAudience", "AzureADMyOrg");
	if (pj_str(app, "createdDateTime") == NULL) {
		sim_iso(sim_now_ms(), 0, ts, sizeof(ts));
		pj_add_str(app, "createdDateTime", ts);
	}
	if (pj_arr(app, "requiredResourceAccess") == NULL)
		pj_add(app, "requiredResourceAccess", json_object_new_array());
	a = sim_arr(app, "passwordCredentials");
	for (i = 0; i < json_object_array_length(a); i++) {
		c = json_object_array_get_idx(a, i);
		if ((s = pj_str(c, "secretText")) != NULL) {
			sha256_hex(s, hash);
			snprintf(hint, sizeof(hint), "%.3s", s);
			pj_add_str(c, "__secretHash", hash);
			pj_add_str(c, "hint", hint);
			json_object_object_del(c, "secretText");
		}
		if (pj_str(c, "keyId") == NULL) {
			sim_guid(id);
			pj_add_str(c, "keyId", id);
		}
		if (pj_str(c, "startDateTime") == NULL) {
			sim_iso(sim_now_ms(), 0, ts, sizeof(ts));
			pj_add_str(c, "startDateTime", ts);
		}
		if (pj_str(c, "endDateTime") == NULL) {
			sim_iso(sim_now_ms() + 2LL * 365 * 86400 * 1000, 0,
			    ts, sizeof(ts));
			pj_add_str(c, "endDateTime", ts);
		}
		if (!json_object_object_get_ex(c, "customKeyIdentifier", NULL))
			pj_add(c, "customKeyIdentifier", NULL);
		if (!json_object_object_get_ex(c, "displayName", NULL))
			pj_add(c, "displayName", NULL);
	}
	a = sim_arr(app, "keyCredentials");
	for (i = 0; i < json_object_array_length(a); i++) {
		c = json_object_array_get_idx(a, i);
		s = pj_str(c, "certificate");
		if (s == NULL)
			s = pj_str(c, "key");
		if (s == NULL || pj_str(c, "_x5t") != NULL)
			continue;
		if (cert_parse(s, &x5t, &x5ts, &der, &hex) == 0) {
			pj_add_str(c, "_x5t", x5t);
			pj_add_str(c, "_x5tS256", x5ts);
			pj_add_str(c, "_der", der);
			pj_add_str(c, "customKeyIdentifier", hex);
			free(x5t);
			free(x5ts);
			free(der);
			free(hex);
		}
		json_object_object_del(c, "certificate");
		pj_add(c, "key", NULL);
		if (pj_str(c, "keyId") == NULL) {
			sim_guid(id);
			pj_add_str(c, "keyId", id);
		}
		if (pj_str(c, "type") == NULL)
			pj_add_str(c, "type", "AsymmetricX509Cert");
		if (pj_str(c, "usage") == NULL)
			pj_add_str(c, "usage", "Verify");
		if (pj_str(c, "endDateTime") == NULL) {
			sim_iso(sim_now_ms() + 365LL * 86400 * 1000, 0, ts,
			    sizeof(ts));
			pj_add_str(c, "endDateTime", ts);
		}
	}
}

/* The application of appid, any case, or NULL (borrowed). */
struct json_object *
sim_dir_app_by_appid(const char *appid)
{
	return sim_find_ci(pj_arr(g.state, "applications"), "appId", appid);
}

/* The service principal of appid, any case, or NULL (borrowed). */
struct json_object *
sim_dir_sp_by_appid(const char *appid)
{
	return sim_find_ci(pj_arr(g.state, "servicePrincipals"), "appId",
	    appid);
}

/* The user of upn, any case, or NULL (borrowed). */
struct json_object *
sim_dir_user_by_upn(const char *upn)
{
	return sim_find_ci(pj_arr(g.state, "users"), "userPrincipalName",
	    upn);
}
