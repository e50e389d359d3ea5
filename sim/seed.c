/*
 * seed.c: the tenant seed and state files (pbisim(1) SEED): the built-in
 * demo seed, a seed document normalised into the emulator's state (the
 * well-known Power BI and Graph service principals with their scopes and
 * app roles, api-facts 2.1), and the state saved to the --state file.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

const char *const sim_demo_seed =
"{\n"
"  \"tenant\": {\"id\": \"7e2b6b1c-3f7a-4a51-9a43-0c5d2f1e9b10\",\n"
"             \"domain\": \"contoso.onmicrosoft.com\", \"tokenLifetime\": 3599},\n"
"  \"powerBI\": {\"allowServicePrincipals\": true,\n"
"              \"allowServicePrincipalAdminApis\": true},\n"
"  \"wellKnownServicePrincipals\": {\"powerBI\": true, \"graph\": true},\n"
"  \"users\": [\n"
"    {\"userPrincipalName\": \"admin@contoso.onmicrosoft.com\",\n"
"     \"id\": \"4b1d7a52-0c1e-4f6e-8a2b-5f3e9c7d1a01\",\n"
"     \"displayName\": \"Tenant Admin\", \"password\": \"Demo-Passw0rd!\",\n"
"     \"tenantAdmin\": true}\n"
"  ],\n"
"  \"applications\": [\n"
"    {\"appId\": \"11111111-2222-4333-8444-555555555555\",\n"
"     \"id\": \"a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d\",\n"
"     \"displayName\": \"pbictl demo app\",\n"
"     \"passwordCredentials\": [{\"displayName\": \"demo\",\n"
"        \"secretText\": \"demo-secret-value\",\n"
"        \"endDateTime\": \"2099-01-01T00:00:00Z\"}],\n"
"     \"requiredResourceAccess\": [\n"
"       {\"resourceAppId\": \"00000003-0000-0000-c000-000000000000\",\n"
"        \"resourceAccess\": [\n"
"          {\"value\": \"User.Read\", \"type\": \"Scope\"},\n"
"          {\"value\": \"User.ReadBasic.All\", \"type\": \"Scope\"},\n"
"          {\"value\": \"Application.ReadWrite.All\", \"type\": \"Scope\"},\n"
"          {\"value\": \"DelegatedPermissionGrant.ReadWrite.All\",\n"
"           \"type\": \"Scope\"},\n"
"          {\"value\": \"GroupMember.ReadWrite.All\", \"type\": \"Scope\"}]},\n"
"       {\"resourceAppId\": \"00000009-0000-0000-c000-000000000000\",\n"
"        \"resourceAccess\": [\n"
"          {\"value\": \"Tenant.Read.All\", \"type\": \"Scope\"}]}]}\n"
"  ],\n"
"  \"servicePrincipals\": [],\n"
"  \"groups\": [\n"
"    {\"id\": \"c3a4f0e2-7b8d-4e1f-9a6c-2d5e8f1b3a70\",\n"
"     \"displayName\": \"Power BI API service principals\", \"members\": []}\n"
"  ],\n"
"  \"capacities\": [\n"
"    {\"id\": \"0f084df7-c13d-451b-af5f-ed0c466403b2\",\n"
"     \"displayName\": \"embedded-a1\", \"sku\": \"A1\", \"state\": \"Active\",\n"
"     \"region\": \"West Europe\",\n"
"     \"admins\": [\"admin@contoso.onmicrosoft.com\"],\n"
"     \"assign\": [\"11111111-2222-4333-8444-555555555555\"]},\n"
"    {\"id\": \"5d9b2c1a-8e7f-4a3b-9c6d-1e2f3a4b5c6d\",\n"
"     \"displayName\": \"embedded-paused\", \"sku\": \"A2\",\n"
"     \"state\": \"Suspended\", \"region\": \"West Europe\",\n"
"     \"admins\": [\"admin@contoso.onmicrosoft.com\"],\n"
"     \"assign\": [\"11111111-2222-4333-8444-555555555555\"]}\n"
"  ],\n"
"  \"workspaces\": [],\n"
"  \"collections\": [\n"
"    {\"name\": \"legacy-embedded\",\n"
"     \"accessKeys\": [\"demo-access-key-1\", \"demo-access-key-2\"],\n"
"     \"workspaces\": [\n"
"       {\"workspaceId\": \"9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d\",\n"
"        \"displayName\": \"customer-acme\",\n"
"        \"datasets\": [\n"
"          {\"id\": \"d1000000-0000-4000-8000-000000000001\", \"name\": \"Sales\"},\n"
"          {\"id\": \"d1000000-0000-4000-8000-000000000002\", \"name\": \"Live\",\n"
"           \"addRowsAPIEnabled\": true}],\n"
"        \"reports\": [\n"
"          {\"id\": \"e1000000-0000-4000-8000-000000000001\", \"name\": \"Sales\",\n"
"           \"datasetId\": \"d1000000-0000-4000-8000-000000000001\",\n"
"           \"importedAt\": \"2017-03-01T10:00:00Z\",\n"
"           \"pbix\": \"UEsDBBQAAAAAAABQYUpZXzkcpQAAAKUAAAATAAAAW0NvbnRlbnRfVHlwZXNd"
"LnhtbDw/eG1sIHZlcnNpb249IjEuMCIgZW5jb2Rpbmc9InV0Zi04Ij8+PFR5"
"cGVzIHhtbG5zPSJodHRwOi8vc2NoZW1hcy5vcGVueG1sZm9ybWF0cy5vcmcv"
"cGFja2FnZS8yMDA2L2NvbnRlbnQtdHlwZXMiPjxEZWZhdWx0IEV4dGVuc2lv"
"bj0ianNvbiIgQ29udGVudFR5cGU9IiIgLz48L1R5cGVzPlBLAwQUAAAAAAAA"
"UGFKz2XQjBgAAAAYAAAADQAAAFJlcG9ydC9MYXlvdXR7InNlY3Rpb25zIjog"
"WyJsZWdhY3kiXX1QSwMEFAAAAAAAAFBhSh+UcoErAAAAKwAAAA8AAABEYXRh"
"TW9kZWxTY2hlbWF7Im1vZGVsIjogeyJyb2xlcyI6IFtdLCAiZXhwcmVzc2lv"
"bnMiOiBbXX19UEsBAhQDFAAAAAAAAFBhSllfORylAAAApQAAABMAAAAAAAAA"
"AAAAAIABAAAAAFtDb250ZW50X1R5cGVzXS54bWxQSwECFAMUAAAAAAAAUGFK"
"z2XQjBgAAAAYAAAADQAAAAAAAAAAAAAAgAHWAAAAUmVwb3J0L0xheW91dFBL"
"AQIUAxQAAAAAAABQYUoflHKBKwAAACsAAAAPAAAAAAAAAAAAAACAARkBAABE"
"YXRhTW9kZWxTY2hlbWFQSwUGAAAAAAMAAwC5AAAAcQEAAAAA\"},\n"
"          {\"id\": \"e1000000-0000-4000-8000-000000000003\", \"name\": \"Pilot\",\n"
"           \"datasetId\": \"d1000000-0000-4000-8000-000000000001\",\n"
"           \"importedAt\": \"2016-09-01T10:00:00Z\",\n"
"           \"pbix\": \"UEsDBBQAAAAAAABQYUpZXzkcpQAAAKUAAAATAAAAW0NvbnRlbnRfVHlwZXNd"
"LnhtbDw/eG1sIHZlcnNpb249IjEuMCIgZW5jb2Rpbmc9InV0Zi04Ij8+PFR5"
"cGVzIHhtbG5zPSJodHRwOi8vc2NoZW1hcy5vcGVueG1sZm9ybWF0cy5vcmcv"
"cGFja2FnZS8yMDA2L2NvbnRlbnQtdHlwZXMiPjxEZWZhdWx0IEV4dGVuc2lv"
"bj0ianNvbiIgQ29udGVudFR5cGU9IiIgLz48L1R5cGVzPlBLAwQUAAAAAAAA"
"UGFKz2XQjBgAAAAYAAAADQAAAFJlcG9ydC9MYXlvdXR7InNlY3Rpb25zIjog"
"WyJsZWdhY3kiXX1QSwMEFAAAAAAAAFBhSh+UcoErAAAAKwAAAA8AAABEYXRh"
"TW9kZWxTY2hlbWF7Im1vZGVsIjogeyJyb2xlcyI6IFtdLCAiZXhwcmVzc2lv"
"bnMiOiBbXX19UEsBAhQDFAAAAAAAAFBhSllfORylAAAApQAAABMAAAAAAAAA"
"AAAAAIABAAAAAFtDb250ZW50X1R5cGVzXS54bWxQSwECFAMUAAAAAAAAUGFK"
"z2XQjBgAAAAYAAAADQAAAAAAAAAAAAAAgAHWAAAAUmVwb3J0L0xheW91dFBL"
"AQIUAxQAAAAAAABQYUoflHKBKwAAACsAAAAPAAAAAAAAAAAAAACAARkBAABE"
"YXRhTW9kZWxTY2hlbWFQSwUGAAAAAAMAAwC5AAAAcQEAAAAA\"},\n"
"          {\"id\": \"e1000000-0000-4000-8000-000000000002\", \"name\": \"Live\",\n"
"           \"datasetId\": \"d1000000-0000-4000-8000-000000000002\",\n"
"           \"importedAt\": \"2016-06-01T10:00:00Z\"}]}]}\n"
"  ]\n"
"}\n";

/* Stable GUID derived from a name (for well-known scope ids). */
static void
name_guid(const char *name, char out[37])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)name, strlen(name), md);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-4%01x%02x-%01x%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", md[0], md[1], md[2], md[3], md[4],
	    md[5], md[6] & 15, md[7], 8 | (md[8] & 3), md[9], md[10], md[11],
	    md[12], md[13], md[14], md[15], md[16]);
}

struct scopedef {
	const char	*name;
	const char	*id;
};

static const struct scopedef powerbi_scopes[] = {
	{ "App.Read.All", "8b01a991-5a5a-47f8-91a2-84d6bfd72c02" },
	{ "Capacity.Read.All", NULL }, { "Capacity.ReadWrite.All", NULL },
	{ "Content.Create", NULL }, { "Dashboard.Read.All", NULL },
	{ "Dashboard.ReadWrite.All", NULL }, { "Dataflow.Read.All", NULL },
	{ "Dataflow.ReadWrite.All", NULL }, { "Dataset.Read.All", NULL },
	{ "Dataset.ReadWrite.All", "7f33e027-4039-419b-938e-2f8ca153e68e" },
	{ "Gateway.Read.All", NULL }, { "Gateway.ReadWrite.All", NULL },
	{ "Group.Read", NULL }, { "Group.Read.All", NULL },
	{ "Metadata.View_Any", NULL }, { "Report.Read.All", NULL },
	{ "Report.ReadWrite.All", NULL }, { "StorageAccount.Read.All", NULL },
	{ "StorageAccount.ReadWrite.All", NULL }, { "Tenant.Read.All", NULL },
	{ "Tenant.ReadWrite.All", NULL }, { "Workspace.Read.All", NULL },
	{ "Workspace.ReadWrite.All", NULL }, { "Data.Alter_Any", NULL },
	{ "UserState.ReadWrite.All", NULL }, { NULL, NULL }
};

static const struct scopedef msgraph_scopes[] = {
	{ "User.Read", "e1fe6dd8-ba31-4d61-89e7-88639da4683d" },
	{ "Directory.AccessAsUser.All", "0e263e50-5827-48a4-b97c-d940288653c7" },
	{ "Directory.Read.All", "06da0dbc-49e2-44d2-8312-53f166ab848a" },
	{ "Application.ReadWrite.All", "bdfbf15f-ee85-4955-8675-146e8e5296b5" },
	{ "DelegatedPermissionGrant.ReadWrite.All",
	    "41ce6ca6-6826-4807-84f1-1c82854f7ee5" },
	{ "Group.ReadWrite.All", "4e46008b-f24c-477d-8fff-7bb4ec7aafe0" },
	{ "Application.Read.All", "c79f8feb-a9db-4090-85f9-90d820caa0eb" },
	{ "DelegatedPermissionGrant.Read.All", NULL },
	{ "Directory.ReadWrite.All", "c5366453-9fb0-48a5-a156-24f0c49a4b84" },
	{ "Group.Read.All", "5f8c59db-677d-491f-a6b8-5f174b11ec1d" },
	{ "GroupMember.Read.All", "bc024368-1153-4739-b217-4326f2e966d0" },
	{ "GroupMember.ReadWrite.All", "f81125ac-d3b7-4573-a3b2-7099cc39df9e" },
	{ "Organization.Read.All", "4908d5b9-3fb2-4b1e-9336-1888b7937185" },
	{ "User.ReadBasic.All", "b340eb25-3456-403f-be2f-af7a0d370277" },
	{ "User.Read.All", "a154be20-db9c-4678-8ab7-66f6cc099a59" },
	{ "openid", "37f7f235-527c-4136-accd-4a02d197296e" },
	{ "offline_access", "7427e0e9-2fba-42fe-b0c0-848c9e6a8182" },
	{ "profile", "14dad69e-099b-42c9-810b-d002981feec1" },
	{ "email", "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0" },
	{ NULL, NULL }
};

static const struct scopedef msgraph_roles[] = {
	{ "Application.ReadWrite.All", "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9" },
	{ "Application.ReadWrite.OwnedBy",
	    "18a4783c-866b-4cc7-a460-3d5e5662c884" },
	{ "Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61" },
	{ "DelegatedPermissionGrant.ReadWrite.All",
	    "8e8e4742-1d95-4f68-9d56-6ee75648c72a" },
	{ "GroupMember.ReadWrite.All", "dbaae8cf-10b5-4b86-a4a1-f871c94c6695" },
	{ "Application.Read.All", "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30" },
	{ "AppRoleAssignment.ReadWrite.All",
	    "06b708a9-e830-4db3-a914-8e69da51d44f" },
	{ "DelegatedPermissionGrant.Read.All", NULL },
	{ "Directory.ReadWrite.All", "19dbc75e-c2e2-444c-a770-ec69d8559fc7" },
	{ "Group.Read.All", "5b567255-7703-4780-807c-7be8301ae99b" },
	{ "Group.ReadWrite.All", "62a82d76-70ea-41e2-9197-370581804d09" },
	{ "GroupMember.Read.All", "98830695-27a2-44f7-8c18-0c3ebc9698f6" },
	{ "Organization.Read.All", "498476ce-e0fe-48b0-b801-37ba7e2685c6" },
	{ "User.Read.All", "df021288-bdef-4463-88db-98f22de89214" },
	{ NULL, NULL }
};

static struct json_object *
scope_list(const struct scopedef *d, int roles)
{
	struct json_object	*a = json_object_new_array(), *o;
	char			 id[37];
	int			 i;

	for (i = 0; d[i].name != NULL; i++) {
		if (d[i].id != NULL)
			snprintf(id, sizeof(id), "%s", d[i].id);
		else
			name_guid(d[i].name, id);
		o = json_object_new_object();
		if (roles) {
			pj_add(o, "allowedMemberTypes",
			    json_object_new_array());
			json_object_array_add(pj_arr(o, "allowedMemberTypes"),
			    json_object_new_string("Application"));
			pj_add_str(o, "description", d[i].name);
			pj_add_str(o, "displayName", d[i].name);
			pj_add_str(o, "id", id);
			pj_add_bool(o, "isEnabled", 1);
			pj_add_str(o, "origin", "Application");
			pj_add_str(o, "value", d[i].name);
		} else {
			pj_add_str(o, "adminConsentDescription", d[i].name);
			pj_add_str(o, "adminConsentDisplayName", d[i].name);
			pj_add_str(o, "id", id);
			pj_add_bool(o, "isEnabled", 1);
			pj_add_str(o, "type", strstr(d[i].name, "All") ?
			    "Admin" : "User");
			pj_add_str(o, "userConsentDescription", d[i].name);
			pj_add_str(o, "userConsentDisplayName", d[i].name);
			pj_add_str(o, "value", d[i].name);
		}
		json_object_array_add(a, o);
	}
	return a;
}

static void
copy_member(struct json_object *dst, struct json_object *src,
    const char *key, struct json_object *def)
{
	struct json_object	*v;

	if (json_object_object_get_ex(src, key, &v)) {
		json_object_object_add(dst, key, json_object_get(v));
		json_object_put(def);
	} else
		json_object_object_add(dst, key, def);
}

static const char *
str_or_guid(struct json_object *o, const char *key, char buf[37])
{
	const char	*s = pj_str(o, key);

	if (s != NULL)
		return s;
	sim_guid(buf);
	return buf;
}

/*
 * Build a fresh tenant state from a seed document.  basedir resolves
 * relative .pbix paths.  Returns a new reference; caller holds g.mu.
 */
struct json_object *
sim_seed_normalize(struct json_object *seed, const char *basedir)
{
	struct json_object	*st, *t, *a, *o, *n, *arr, *wk;
	struct json_object	*save;
	char			 id[37], hash[65];
	const char		*s;
	size_t			 i, j;

	save = g.state;
	st = json_object_new_object();
	g.state = st;
	t = json_object_new_object();
	pj_add_str(t, "id", str_or_guid(pj_obj(seed, "tenant"), "id", id));
	pj_add_str(t, "domain", pj_str(pj_obj(seed, "tenant"), "domain") ?
	    pj_str(pj_obj(seed, "tenant"), "domain") :
	    "contoso.onmicrosoft.com");
	pj_add_int(t, "tokenLifetime", pj_int(pj_obj(seed, "tenant"),
	    "tokenLifetime", 3599));
	pj_add_int(t, "deviceCodeInterval", pj_int(pj_obj(seed, "tenant"),
	    "deviceCodeInterval", 5));
	pj_add_int(t, "deviceCodeExpiresIn", pj_int(pj_obj(seed, "tenant"),
	    "deviceCodeExpiresIn", 900));
	pj_add_int(t, "workspaceLimit", pj_int(pj_obj(seed, "tenant"),
	    "workspaceLimit", 1000));
	pj_add(st, "tenant", t);

	o = pj_obj(seed, "powerBI");
	n = json_object_new_object();
	pj_add_bool(n, "allowServicePrincipals",
	    pj_bool(o, "allowServicePrincipals", 1));
	pj_add_str(n, "servicePrincipalGroup", pj_str(o,
	    "servicePrincipalGroup"));
	pj_add_bool(n, "allowServicePrincipalAdminApis",
	    pj_bool(o, "allowServicePrincipalAdminApis", 1));
	pj_add(st, "powerBI", n);

	arr = sim_arr(st, "users");
	a = pj_arr(seed, "users");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		if ((s = pj_str(o, "userPrincipalName")) == NULL)
			continue;
		n = json_object_new_object();
		pj_add_str(n, "id", str_or_guid(o, "id", id));
		pj_add_str(n, "userPrincipalName", s);
		pj_add_str(n, "displayName", pj_str(o, "displayName") ?
		    pj_str(o, "displayName") : s);
		pj_add_str(n, "mail", s);
		pj_add_bool(n, "_tenantAdmin", pj_bool(o, "tenantAdmin", 0));
		/* directory roles: a tenant admin is a Global Administrator */
		t = json_object_new_array();
		if (pj_bool(o, "tenantAdmin", 0))
			json_object_array_add(t, json_object_new_string(
			    SIM_ROLE_GLOBAL_ADMIN));
		wk = pj_arr(o, "directoryRoles");
		for (j = 0; j < pj_len(wk); j++) {
			const char *rid = sim_dir_role_id(
			    json_object_get_string(pj_idx(wk, j)));

			if (rid != NULL && strcmp(rid, SIM_ROLE_GLOBAL_ADMIN)
			    != 0)
				json_object_array_add(t,
				    json_object_new_string(rid));
		}
		pj_add(n, "_wids", t);
		pj_add_bool(n, "_mfa", pj_bool(o, "mfa", 0));
		if ((s = pj_str(o, "password")) != NULL) {
			sha256_hex(s, hash);
			pj_add_str(n, "__passwordHash", hash);
		}
		json_object_array_add(arr, n);
	}

	arr = sim_arr(st, "applications");
	a = pj_arr(seed, "applications");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		n = sim_pub(json_object_array_get_idx(a, i), 0);
		sim_dir_normalize_app(n);
		json_object_array_add(arr, n);
	}

	arr = sim_arr(st, "servicePrincipals");
	wk = pj_obj(seed, "wellKnownServicePrincipals");
	if (pj_bool(wk, "powerBI", 1) || pj_obj(wk, "powerBI") != NULL) {
		n = sim_dir_sp_new(SIM_PBI_APPID, "Power BI Service",
		    pj_str(pj_obj(wk, "powerBI"), "id"));
		pj_add(n, "oauth2PermissionScopes",
		    scope_list(powerbi_scopes, 0));
		json_object_array_add(arr, n);
	}
	if (pj_bool(wk, "graph", 1) || pj_obj(wk, "graph") != NULL) {
		n = sim_dir_sp_new(SIM_GRAPH_APPID, "Microsoft Graph",
		    pj_str(pj_obj(wk, "graph"), "id"));
		pj_add(n, "oauth2PermissionScopes",
		    scope_list(msgraph_scopes, 0));
		pj_add(n, "appRoles", scope_list(msgraph_roles, 1));
		json_object_array_add(arr, n);
	}
	a = pj_arr(seed, "servicePrincipals");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		if ((s = pj_str(o, "appId")) == NULL ||
		    sim_find(arr, "appId", s) != NULL)
			continue;
		t = sim_find(pj_arr(st, "applications"), "appId", s);
		n = sim_dir_sp_new(s, pj_str(o, "displayName") ?
		    pj_str(o, "displayName") : pj_str(t, "displayName"),
		    pj_str(o, "id"));
		json_object_array_add(arr, n);
	}

	arr = sim_arr(st, "oauth2PermissionGrants");
	a = pj_arr(seed, "oauth2PermissionGrants");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		n = json_object_new_object();
		if ((s = pj_str(o, "id")) == NULL) {
			sim_randhex(hash, 44);
			s = hash;
		}
		pj_add_str(n, "clientId", pj_str(o, "clientId"));
		pj_add_str(n, "consentType", pj_str(o, "consentType") ?
		    pj_str(o, "consentType") : "AllPrincipals");
		pj_add_str(n, "id", s);
		pj_add_str(n, "principalId", pj_str(o, "principalId"));
		pj_add_str(n, "resourceId", pj_str(o, "resourceId"));
		pj_add_str(n, "scope", pj_str(o, "scope") ?
		    pj_str(o, "scope") : "");
		json_object_array_add(arr, n);
	}

	/* Application permissions granted (app roles), as seeded. */
	arr = sim_arr(st, "appRoleAssignments");
	a = pj_arr(seed, "appRoleAssignments");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++)
		json_object_array_add(arr, sim_pub(json_object_array_get_idx(a,
		    i), 0));

	arr = sim_arr(st, "groups");
	a = pj_arr(seed, "groups");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		n = json_object_new_object();
		pj_add_str(n, "id", str_or_guid(o, "id", id));
		pj_add_str(n, "displayName", pj_str(o, "displayName"));
		pj_add_bool(n, "securityEnabled", 1);
		pj_add_bool(n, "mailEnabled", 0);
		copy_member(n, o, "members", json_object_new_array());
		json_object_object_add(n, "_members",
		    json_object_get(pj_arr(n, "members")));
		json_object_object_del(n, "members");
		json_object_array_add(arr, n);
	}

	arr = sim_arr(st, "capacities");
	a = pj_arr(seed, "capacities");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		n = json_object_new_object();
		pj_add_str(n, "id", str_or_guid(o, "id", id));
		pj_add_str(n, "displayName", pj_str(o, "displayName") ?
		    pj_str(o, "displayName") : "capacity");
		copy_member(n, o, "admins", json_object_new_array());
		pj_add_str(n, "sku", pj_str(o, "sku") ? pj_str(o, "sku") :
		    "A1");
		pj_add_str(n, "state", pj_str(o, "state") ?
		    pj_str(o, "state") : "Active");
		pj_add_str(n, "region", pj_str(o, "region") ?
		    pj_str(o, "region") : "West Europe");
		copy_member(n, o, "assign", json_object_new_array());
		json_object_object_add(n, "_assign",
		    json_object_get(pj_arr(n, "assign")));
		json_object_object_del(n, "assign");
		json_object_array_add(arr, n);
	}

	arr = sim_arr(st, "profiles");
	a = pj_arr(seed, "profiles");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		n = json_object_new_object();
		pj_add_str(n, "id", str_or_guid(o, "id", id));
		pj_add_str(n, "displayName", pj_str(o, "displayName"));
		pj_add_str(n, "_appId", pj_str(o, "appId"));
		json_object_array_add(arr, n);
	}

	arr = sim_arr(st, "workspaces");
	a = pj_arr(seed, "workspaces");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		n = sim_pub(json_object_array_get_idx(a, i), 0);
		sim_ws_normalize(n, 0, basedir);
		json_object_array_add(arr, n);
	}

	arr = sim_arr(st, "collections");
	a = pj_arr(seed, "collections");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		n = json_object_new_object();
		pj_add_str(n, "name", pj_str(o, "name"));
		pj_add_str(n, "subscriptionId", pj_str(o, "subscriptionId") ?
		    pj_str(o, "subscriptionId") :
		    "00000000-0000-0000-0000-000000000001");
		pj_add_str(n, "resourceGroup", pj_str(o, "resourceGroup") ?
		    pj_str(o, "resourceGroup") : "embedded");
		pj_add_str(n, "location", pj_str(o, "location") ?
		    pj_str(o, "location") : "westeurope");
		copy_member(n, o, "accessKeys", json_object_new_array());
		json_object_object_add(n, "__accessKeys",
		    json_object_get(pj_arr(n, "accessKeys")));
		json_object_object_del(n, "accessKeys");
		t = sim_arr(n, "workspaces");
		wk = pj_arr(o, "workspaces");
		for (j = 0; wk != NULL && j < json_object_array_length(wk);
		    j++) {
			struct json_object *w;

			w = sim_pub(json_object_array_get_idx(wk, j), 0);
			if (pj_str(w, "workspaceCollectionName") == NULL)
				pj_add_str(w, "workspaceCollectionName",
				    pj_str(o, "name"));
			sim_ws_normalize(w, 1, basedir);
			json_object_array_add(t, w);
		}
		json_object_array_add(arr, n);
	}
	g.state = save;
	return st;
}

/*
 * Save the state, with the signing key and the clock offset, to file
 * (nothing when NULL) through a temporary file.  Caller holds g.mu.
 */
void
sim_state_save(const char *file)
{
	char	 tmp[PATH_MAX];
	char	*pem;
	FILE	*f;

	if (file == NULL)
		return;
	if ((pem = jwt_key_pem()) != NULL) {
		pj_add_str(g.state, "__signingKey", pem);
		OPENSSL_cleanse(pem, strlen(pem));
		free(pem);
	}
	pj_add_int(g.state, "__clockOffsetMs", g.clock_off_ms);
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "pbisim: %s: %s\n", tmp, strerror(errno));
		return;
	}
	fputs(pj_text(g.state, PJ_PRETTY), f);
	fputc('\n', f);
	if (fclose(f) != 0 || rename(tmp, file) != 0)
		fprintf(stderr, "pbisim: cannot save state '%s': %s\n",
		    file, strerror(errno));
}
