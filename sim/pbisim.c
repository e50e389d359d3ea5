/*
 * pbisim.c: main, options, the HTTP server, routing, the request log,
 * fault injection, control endpoints (/_sim/...) and seed/state files.
 */
#include "sim/sim.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/sha.h>

#define MAXBODY		(256 * 1024 * 1024)

struct sim g;

static struct json_object	*g_seed_state;	/* normalized seed */
static char			**g_log;	/* ring of JSON lines */
static size_t			 g_logn;	/* total entries so far */
static FILE			*g_logf;
static char			*g_state_file;

/* Connections suspended for a latency fault. */
struct delayed {
	struct MHD_Connection	*conn;
	int64_t			 wake;
};
static pthread_mutex_t	 d_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 d_cv;
static struct delayed	*d_q;
static size_t		 d_n, d_cap;
static int		 d_stop;

/* Per-principal token buckets for --rate-limit. */
struct bucket {
	char	 who[128];
	double	 tokens;
	int64_t	 last;
};
static struct bucket	 buckets[256];

static int64_t		 admin_hits[8192];	/* sim ms of admin calls */
static size_t		 admin_nhits;

static const char *demo_seed =
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
"        \"endDateTime\": \"2099-01-01T00:00:00Z\"}]}\n"
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
"           \"pbix\": \"UEsDBAoAAAAAAEtrdl3iJtO9JwAAACcAAAAPAAAARGF0YU1vZGVsU2NoZW1heyJtb2RlbCI6eyJyb2xlcyI6W10sImV4cHJlc3Npb25zIjpbXX19UEsDBAoAAAAAAEtrdl1tcds+EQAAABEAAAANAAAAUmVwb3J0X0xheW91dHsidmVyc2lvbiI6IjEuMCJ9UEsBAh4DCgAAAAAAS2t2XeIm070nAAAAJwAAAA8AAAAAAAAAAAAAAKSBAAAAAERhdGFNb2RlbFNjaGVtYVBLAQIeAwoAAAAAAEtrdl1tcds+EQAAABEAAAANAAAAAAAAAAAAAACkgVQAAABSZXBvcnRfTGF5b3V0UEsFBgAAAAACAAIAeAAAAJAAAAAAAA==\"},\n"
"          {\"id\": \"e1000000-0000-4000-8000-000000000002\", \"name\": \"Live\",\n"
"           \"datasetId\": \"d1000000-0000-4000-8000-000000000002\",\n"
"           \"importedAt\": \"2016-06-01T10:00:00Z\"}]}]}\n"
"  ]\n"
"}\n";

static __attribute__((noreturn)) void
usage(int status)
{
	FILE	*f = status ? stderr : stdout;

	fprintf(f,
	    "usage: pbisim [--listen ADDR:PORT] [--port-file FILE] "
	    "[--seed FILE] [--state FILE]\n"
	    "              [--request-log FILE] [--log-size N] "
	    "[--tls-cert FILE --tls-key FILE]\n"
	    "              [--token-lifetime S]\n"
	    "              [--latency MS[:JITTER]] [--p429 P] "
	    "[--retry-after S] [--p5xx P] [--pdrop P]\n"
	    "              [--p500-after-commit P] [--p307 P] "
	    "[--replication-delay S]\n"
	    "              [--import-seconds S] [--assign-seconds S] "
	    "[--assign-stuck]\n"
	    "              [--rate-limit N] [--admin-rate-limit N] "
	    "[--seed-random N]\n"
	    "       pbisim --print-seed\n");
	exit(status);
}

static char *
slurp(const char *path, size_t *n)
{
	FILE	*f;
	struct buf b = { 0 };
	char	 tmp[65536];
	size_t	 k;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, k);
	fclose(f);
	if (b.p == NULL)
		buf_add(&b, "", 0);
	if (n != NULL)
		*n = b.len;
	return b.p;
}

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

static const struct scopedef pbi_scopes[] = {
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

static const struct scopedef graph_scopes[] = {
	{ "User.Read", "e1fe6dd8-ba31-4d61-89e7-88639da4683d" },
	{ "Directory.AccessAsUser.All", "0e263e50-5827-48a4-b97c-d940288653c7" },
	{ "Directory.Read.All", "06da0dbc-49e2-44d2-8312-53f166ab848a" },
	{ "Application.ReadWrite.All", "bdfbf15f-ee85-4955-8675-146e8e5296b5" },
	{ "DelegatedPermissionGrant.ReadWrite.All",
	    "41ce6ca6-6826-4807-84f1-1c82854f7ee5" },
	{ "Group.ReadWrite.All", "4e46008b-f24c-477d-8fff-7bb4ec7aafe0" },
	{ "openid", "37f7f235-527c-4136-accd-4a02d197296e" },
	{ "offline_access", "7427e0e9-2fba-42fe-b0c0-848c9e6a8182" },
	{ "profile", "14dad69e-099b-42c9-810b-d002981feec1" },
	{ "email", "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0" },
	{ NULL, NULL }
};

static const struct scopedef graph_roles[] = {
	{ "Application.ReadWrite.All", "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9" },
	{ "Application.ReadWrite.OwnedBy",
	    "18a4783c-866b-4cc7-a460-3d5e5662c884" },
	{ "Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61" },
	{ "DelegatedPermissionGrant.ReadWrite.All",
	    "8e8e4742-1d95-4f68-9d56-6ee75648c72a" },
	{ "GroupMember.ReadWrite.All", "dbaae8cf-10b5-4b86-a4a1-f871c94c6695" },
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
static struct json_object *
seed_normalize(struct json_object *seed, const char *basedir)
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
		entra_normalize_app(n);
		json_object_array_add(arr, n);
	}

	arr = sim_arr(st, "servicePrincipals");
	wk = pj_obj(seed, "wellKnownServicePrincipals");
	if (pj_bool(wk, "powerBI", 1) || pj_obj(wk, "powerBI") != NULL) {
		n = graph_sp_new(SIM_PBI_APPID, "Power BI Service",
		    pj_str(pj_obj(wk, "powerBI"), "id"));
		pj_add(n, "oauth2PermissionScopes", scope_list(pbi_scopes, 0));
		json_object_array_add(arr, n);
	}
	if (pj_bool(wk, "graph", 1) || pj_obj(wk, "graph") != NULL) {
		n = graph_sp_new(SIM_GRAPH_APPID, "Microsoft Graph",
		    pj_str(pj_obj(wk, "graph"), "id"));
		pj_add(n, "oauth2PermissionScopes",
		    scope_list(graph_scopes, 0));
		pj_add(n, "appRoles", scope_list(graph_roles, 1));
		json_object_array_add(arr, n);
	}
	a = pj_arr(seed, "servicePrincipals");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		if ((s = pj_str(o, "appId")) == NULL ||
		    sim_find(arr, "appId", s) != NULL)
			continue;
		t = sim_find(pj_arr(st, "applications"), "appId", s);
		n = graph_sp_new(s, pj_str(o, "displayName") ?
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
		pbi_normalize_ws(n, 0, basedir);
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
			pbi_normalize_ws(w, 1, basedir);
			json_object_array_add(t, w);
		}
		json_object_array_add(arr, n);
	}
	g.state = save;
	return st;
}

/* ---------------------------------------------------------------- */
/* Faults */

static int
fault_applies(const struct req *r)
{
	size_t	 n;

	if (r->svc == SVC_SIM)
		return 0;
	if (g.f.match_method[0] != '\0' &&
	    strcasecmp(g.f.match_method, r->method) != 0)
		return 0;
	n = strlen(g.f.match_prefix);
	if (n > 0 && strncmp(r->rawpath, g.f.match_prefix, n) != 0)
		return 0;
	return 1;
}

static void
faults_to_json(struct json_object *o, const struct faults *f)
{
	char	 m[300];

	pj_add_int(o, "latencyMs", f->latency_ms);
	pj_add_int(o, "jitterMs", f->jitter_ms);
	pj_add(o, "p429", json_object_new_double(f->p429));
	pj_add_int(o, "retryAfter", f->retry_after);
	pj_add(o, "p5xx", json_object_new_double(f->p5xx));
	pj_add(o, "pdrop", json_object_new_double(f->pdrop));
	pj_add(o, "p500AfterCommit", json_object_new_double(f->p500ac));
	pj_add(o, "p307", json_object_new_double(f->p307));
	pj_add(o, "replicationDelay", json_object_new_double(f->repl_delay));
	pj_add(o, "importSeconds", json_object_new_double(f->import_s));
	pj_add(o, "assignSeconds", json_object_new_double(f->assign_s));
	pj_add_bool(o, "assignStuck", f->assign_stuck);
	pj_add_int(o, "rateLimit", f->rate_limit);
	pj_add_int(o, "adminRateLimit", f->admin_rate_limit);
	snprintf(m, sizeof(m), "%s%s%s", f->match_method,
	    f->match_method[0] ? " " : "", f->match_prefix);
	pj_add_str(o, "match", m);
}

static double
num(struct json_object *o, const char *k, double def)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, k, &v))
		return def;
	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double))
		return json_object_get_double(v);
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	return def;
}

static void
set_match(struct faults *f, const char *m)
{
	const char	*sp;

	f->match_method[0] = f->match_prefix[0] = '\0';
	if (m == NULL || *m == '\0')
		return;
	if (*m != '/' && (sp = strchr(m, ' ')) != NULL &&
	    (size_t)(sp - m) < sizeof(f->match_method)) {
		snprintf(f->match_method, sizeof(f->match_method), "%.*s",
		    (int)(sp - m), m);
		m = sp + 1;
	} else if (*m != '/') {
		snprintf(f->match_method, sizeof(f->match_method), "%s", m);
		return;
	}
	snprintf(f->match_prefix, sizeof(f->match_prefix), "%s", m);
}

/* Apply a /_sim/faults JSON body to g.f.  Returns 0, -1 on bad input. */
static int
faults_from_json(struct json_object *o)
{
	struct faults	*f = &g.f;
	struct json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return -1;
	if (pj_bool(o, "reset", 0))
		*f = g.f0;
	f->latency_ms = (int)num(o, "latencyMs", f->latency_ms);
	f->jitter_ms = (int)num(o, "jitterMs", f->jitter_ms);
	f->p429 = num(o, "p429", f->p429);
	f->retry_after = (int)num(o, "retryAfter", f->retry_after);
	f->p5xx = num(o, "p5xx", f->p5xx);
	f->pdrop = num(o, "pdrop", f->pdrop);
	f->p500ac = num(o, "p500AfterCommit", f->p500ac);
	f->p307 = num(o, "p307", f->p307);
	f->repl_delay = num(o, "replicationDelay", f->repl_delay);
	f->import_s = num(o, "importSeconds", f->import_s);
	f->assign_s = num(o, "assignSeconds", f->assign_s);
	f->assign_stuck = (int)num(o, "assignStuck", f->assign_stuck);
	f->rate_limit = (int)num(o, "rateLimit", f->rate_limit);
	f->admin_rate_limit = (int)num(o, "adminRateLimit",
	    f->admin_rate_limit);
	if (json_object_object_get_ex(o, "seedRandom", &v))
		g.rng = (uint64_t)json_object_get_int64(v) * 2654435761ULL +
		    88172645463325252ULL;
	if (json_object_object_get_ex(o, "match", &v))
		set_match(f, json_object_get_string(v));
	return 0;
}

/* Is principal who over the --rate-limit budget?  Caller holds g.mu. */
static int
rate_limited(const char *who)
{
	struct bucket	*b = NULL;
	int64_t		 now = sim_now_ms();
	size_t		 i, old = 0;

	if (g.f.rate_limit <= 0)
		return 0;
	for (i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++) {
		if (strcmp(buckets[i].who, who) == 0) {
			b = &buckets[i];
			break;
		}
		if (buckets[i].last < buckets[old].last)
			old = i;
	}
	if (b == NULL) {
		b = &buckets[old];
		snprintf(b->who, sizeof(b->who), "%s", who);
		b->tokens = g.f.rate_limit;
		b->last = now;
	}
	b->tokens += (double)(now - b->last) * g.f.rate_limit / 1000.0;
	if (b->tokens > g.f.rate_limit)
		b->tokens = g.f.rate_limit;
	b->last = now;
	if (b->tokens < 1.0)
		return 1;
	b->tokens -= 1.0;
	return 0;
}

/*
 * Count an admin API call against --admin-rate-limit (per hour, sim
 * clock).  Returns 0 if allowed; otherwise answers 429 and returns -1.
 */
int
sim_admin_rate_check(struct req *r)
{
	int64_t		 now = sim_now_ms(), wait;
	size_t		 i, k = 0;
	struct json_object *o;
	char		 msg[256], ra[32];

	if (g.f.admin_rate_limit <= 0)
		return 0;
	for (i = 0; i < admin_nhits; i++)
		if (now - admin_hits[i] < 3600 * 1000)
			admin_hits[k++] = admin_hits[i];
	admin_nhits = k;
	if ((int)admin_nhits >= g.f.admin_rate_limit) {
		wait = (admin_hits[0] + 3600 * 1000 - now + 999) / 1000;
		if (wait < 1)
			wait = 1;
		/* api-facts 3.0: bare message, not wrapped in "error" */
		snprintf(msg, sizeof(msg), "You have exceeded the amount of "
		    "requests allowed in the current time frame and further "
		    "requests will fail. Retry in %lld seconds.",
		    (long long)wait);
		o = json_object_new_object();
		pj_add_str(o, "message", msg);
		snprintf(ra, sizeof(ra), "%lld", (long long)wait);
		sim_add_header(r, "Retry-After", ra);
		sim_reply_json(r, 429, o);
		return -1;
	}
	if (admin_nhits < sizeof(admin_hits) / sizeof(admin_hits[0]))
		admin_hits[admin_nhits++] = now;
	return 0;
}

static void
fault_reply(struct req *r, int status)
{
	char	 ra[32];

	snprintf(ra, sizeof(ra), "%d", g.f.retry_after > 0 ?
	    g.f.retry_after : 1);
	if (status == 429 || status == 503)
		sim_add_header(r, "Retry-After", ra);
	switch (r->svc) {
	case SVC_GRAPH:
		if (status == 429)
			graph_error(r, 429, "Request_ThrottledTemporarily",
			    "The request has been throttled temporarily.");
		else if (status == 503)
			graph_error(r, 503, "serviceNotAvailable",
			    "The service is temporarily unavailable.");
		else
			graph_error(r, 500, "generalException",
			    "An internal server error occurred.");
		break;
	case SVC_ENTRA: {
		struct json_object *o = json_object_new_object();

		pj_add_str(o, "error", "temporarily_unavailable");
		pj_add_str(o, "error_description", status == 429 ?
		    "AADSTS50196: The server terminated an operation because "
		    "it encountered a client request loop." :
		    "AADSTS90033: A transient error has occurred. Please try "
		    "again.");
		sim_reply_json(r, status, o);
		break;
	}
	default:
		if (status == 429)
			pbi_error(r, 429, "TooManyRequests", "Too many "
			    "requests. Retry in %s seconds.", ra);
		else if (status == 503)
			pbi_error(r, 503, "ServiceUnavailable",
			    "The service is temporarily unavailable.");
		else
			pbi_error_pbi(r, 500, "UnknownError", NULL);
		break;
	}
}

/* ---------------------------------------------------------------- */
/* Request log */

static int
secret_key(const char *k)
{
	static const char *const keys[] = { "client_secret", "password",
	    "client_assertion", "secretText", "accessKey", "accessKeys",
	    "key1", "key2", "access_token", "refresh_token", "id_token",
	    "token", "credentials", "basicCredentials", "device_code",
	    "identityBlob", "secret", "assertion", "code", NULL };
	int	 i;

	for (i = 0; keys[i] != NULL; i++)
		if (strcasecmp(k, keys[i]) == 0)
			return 1;
	return 0;
}

static void
redact(struct json_object *o)
{
	size_t	 i;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			redact(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		if (secret_key(k))
			json_object_object_add(o, k,
			    json_object_new_string("REDACTED"));
		else
			redact(v);
	}
}

static struct json_object *
log_body(struct req *r)
{
	const char		*ct = sim_hdr(r, "Content-Type");
	struct json_object	*o = NULL;
	struct kv		*kv = NULL;
	int			 n = 0, i;

	if (r->body.len == 0 || ct == NULL)
		return NULL;
	if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
		sim_form_parse(r->body.p, r->body.len, &kv, &n);
		o = json_object_new_object();
		for (i = 0; i < n; i++)
			pj_add_str(o, kv[i].k, kv[i].v);
		sim_kv_free(kv, n);
	} else if (sim_strcasestr(ct, "json") != NULL)
		o = sim_body_json(r);
	else if (strncasecmp(ct, "multipart/", 10) == 0) {
		o = json_object_new_object();
		pj_add_int(o, "multipartBytes", (int64_t)r->body.len);
	}
	if (o != NULL)
		redact(o);
	return o;
}

/* Record r in the ring and the log file; caller holds g.mu. */
static void
log_request(struct req *r)
{
	struct json_object	*o;
	struct timespec		 t1;
	char			 ts[40];
	double			 ms;
	const char		*s;
	size_t			 slot;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - r->t0.tv_sec) * 1000.0 +
	    (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6;
	sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
	o = json_object_new_object();
	pj_add_int(o, "n", (int64_t)g_logn);
	pj_add_str(o, "time", ts);
	pj_add_str(o, "method", r->method);
	pj_add_str(o, "path", r->rawpath);
	pj_add_str(o, "query", r->rawquery ? r->rawquery : "");
	pj_add_int(o, "status", r->dropped ? 0 : r->status);
	if (r->dropped)
		pj_add_bool(o, "dropped", 1);
	pj_add_str(o, "principal", r->who[0] ? r->who : NULL);
	pj_add_str(o, "profileId", r->whoprof[0] ? r->whoprof : NULL);
	pj_add_str(o, "requestId", r->reqid);
	pj_add(o, "durationMs", json_object_new_double(
	    (double)(int64_t)(ms * 1000) / 1000.0));
	pj_add(o, "body", log_body(r));
	s = pj_text(o, 0);
	slot = g_logn % g.logmax;
	free(g_log[slot]);
	g_log[slot] = strdup(s);
	g_logn++;
	if (g_logf != NULL) {
		fputs(s, g_logf);
		fputc('\n', g_logf);
		fflush(g_logf);
	}
	json_object_put(o);
}

void
sim_log_principal(struct req *r, const char *who, const char *profile)
{
	snprintf(r->who, sizeof(r->who), "%s", who ? who : "");
	snprintf(r->whoprof, sizeof(r->whoprof), "%s", profile ? profile : "");
}

/* ---------------------------------------------------------------- */
/* Control endpoints: /_sim/... */

static void
save_state(void)
{
	char	 tmp[PATH_MAX];
	char	*pem;
	FILE	*f;

	if (g_state_file == NULL)
		return;
	if ((pem = jwt_key_pem()) != NULL) {
		pj_add_str(g.state, "__signingKey", pem);
		OPENSSL_cleanse(pem, strlen(pem));
		free(pem);
	}
	pj_add_int(g.state, "__clockOffsetMs", g.clock_off_ms);
	snprintf(tmp, sizeof(tmp), "%s.tmp", g_state_file);
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "pbisim: %s: %s\n", tmp, strerror(errno));
		return;
	}
	fputs(pj_text(g.state, PJ_PRETTY), f);
	fputc('\n', f);
	if (fclose(f) != 0 || rename(tmp, g_state_file) != 0)
		fprintf(stderr, "pbisim: cannot save state '%s': %s\n",
		    g_state_file, strerror(errno));
}

static void
sim_route(struct req *r)
{
	struct json_object	*o = NULL, *b = NULL;
	struct buf		 out = { 0 };
	const char		*name = r->nseg > 1 ? r->seg[1] : "";
	size_t			 i, first, since = 0;
	char			 ts[40];

	if (strcmp(name, "state") == 0 && strcmp(r->method, "GET") == 0) {
		sim_reply_json(r, 200, sim_pub(g.state, 2));
	} else if (strcmp(name, "requests") == 0 &&
	    strcmp(r->method, "GET") == 0) {
		if (sim_q(r, "since") != NULL)
			since = strtoul(sim_q(r, "since"), NULL, 10);
		first = g_logn > g.logmax ? g_logn - g.logmax : 0;
		if (since > first)
			first = since;
		buf_addstr(&out, "[");
		for (i = first; i < g_logn; i++) {
			if (i > first)
				buf_addstr(&out, ",");
			buf_addstr(&out, g_log[i % g.logmax]);
		}
		buf_addstr(&out, "]");
		sim_reply(r, 200, "application/json", out.p, out.len);
		buf_release(&out);
	} else if (strcmp(name, "faults") == 0) {
		if (strcmp(r->method, "POST") == 0) {
			b = sim_body_json(r);
			if (faults_from_json(b) != 0) {
				json_object_put(b);
				pbi_error(r, 400, "InvalidRequest",
				    "faults body must be a JSON object");
				return;
			}
			json_object_put(b);
		}
		o = json_object_new_object();
		faults_to_json(o, &g.f);
		sim_reply_json(r, 200, o);
	} else if (strcmp(name, "clock") == 0) {
		if (strcmp(r->method, "POST") == 0) {
			b = sim_body_json(r);
			g.clock_off_ms += (int64_t)(num(b, "advanceSeconds", 0)
			    * 1000);
			json_object_put(b);
		}
		o = json_object_new_object();
		sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
		pj_add_str(o, "now", ts);
		pj_add_int(o, "epoch", sim_now());
		pj_add(o, "offsetSeconds", json_object_new_double(
		    (double)g.clock_off_ms / 1000.0));
		sim_reply_json(r, 200, o);
	} else if (strcmp(name, "reset") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		json_object_put(g.state);
		g.state = NULL;
		json_object_deep_copy(g.initial, &g.state, NULL);
		g.clock_off_ms = 0;
		g.f = g.f0;
		admin_nhits = 0;
		memset(buckets, 0, sizeof(buckets));
		sim_reply_empty(r, 204);
	} else if (strcmp(name, "devicecode") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		entra_devicecode_control(r);
	} else if (strcmp(name, "health") == 0) {
		o = json_object_new_object();
		pj_add_bool(o, "ok", 1);
		pj_add_int(o, "port", g.port);
		sim_reply_json(r, 200, o);
	} else
		pbi_error(r, 404, "NotFound", "no such control endpoint");
}

/* ---------------------------------------------------------------- */
/* Server */

static void
parse_target(struct req *r)
{
	char	*q, *p, *s, *e;
	int	 n = 0;

	q = strchr(r->uri, '?');
	if (q != NULL) {
		r->rawpath = strndup(r->uri, (size_t)(q - r->uri));
		r->rawquery = strdup(q + 1);
		sim_form_parse(r->rawquery, strlen(r->rawquery), &r->query,
		    &r->nquery);
	} else
		r->rawpath = strdup(r->uri);
	p = r->rawpath;
	while (*p == '/')
		p++;
	while (*p != '\0' && n < SIM_MAXSEG) {
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		s = sim_pctdecode(p, (size_t)(e - p), 0);
		r->seg[n++] = s;
		p = *e ? e + 1 : e;
	}
	r->nseg = n;
	if (n > 1 && strcmp(r->seg[0], "_cluster") == 0) {
		/* the "home cluster" a 307 fault redirected to */
		free(r->seg[0]);
		memmove(r->seg, r->seg + 1, sizeof(r->seg[0]) * (size_t)(n - 1));
		r->nseg = n - 1;
		r->clustered = 1;
	}
}

static enum svc
classify(const struct req *r)
{
	if (r->nseg == 0)
		return SVC_NONE;
	if (strcmp(r->seg[0], "_sim") == 0)
		return SVC_SIM;
	if (strcmp(r->seg[0], "_blob") == 0)
		return SVC_BLOB;
	if (strcmp(r->seg[0], "subscriptions") == 0)
		return SVC_ARM;
	if (strcmp(r->seg[0], "v1.0") == 0) {
		if (r->nseg > 1 && strcmp(r->seg[1], "myorg") == 0)
			return SVC_PBI;
		if (r->nseg > 1 && strcmp(r->seg[1], "collections") == 0)
			return SVC_COLL;
		return SVC_GRAPH;
	}
	if (r->nseg >= 2)
		return SVC_ENTRA;
	return SVC_NONE;
}

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req	*r;

	(void)cls;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->uri = strdup(uri ? uri : "/");
	r->conn = c;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	return r;
}

static void
req_free(struct req *r)
{
	int	 i;

	if (r == NULL)
		return;
	free(r->uri);
	free(r->rawpath);
	free(r->rawquery);
	for (i = 0; i < r->nseg; i++)
		free(r->seg[i]);
	sim_kv_free(r->query, r->nquery);
	if (r->body.p != NULL)
		OPENSSL_cleanse(r->body.p, r->body.len);
	buf_release(&r->body);
	buf_release(&r->out);
	for (i = 0; i < r->nhdr; i++) {
		free(r->hk[i]);
		free(r->hv[i]);
	}
	free(r);
}

static void
done_cb(void *cls, struct MHD_Connection *c, void **cc,
    enum MHD_RequestTerminationCode tc)
{
	(void)cls;
	(void)c;
	(void)tc;
	req_free(*cc);
	*cc = NULL;
}

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
delay_main(void *arg)
{
	int64_t		 now, next;
	struct timespec	 ts;
	size_t		 i;

	(void)arg;
	pthread_mutex_lock(&d_mu);
	while (!d_stop) {
		now = mono_ms();
		next = now + 1000;
		for (i = 0; i < d_n;) {
			if (d_q[i].wake <= now) {
				MHD_resume_connection(d_q[i].conn);
				d_q[i] = d_q[--d_n];
				continue;
			}
			if (d_q[i].wake < next)
				next = d_q[i].wake;
			i++;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (next - now) / 1000;
		ts.tv_nsec += (long)((next - now) % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d_cv, &d_mu, &ts);
	}
	for (i = 0; i < d_n; i++)
		MHD_resume_connection(d_q[i].conn);
	d_n = 0;
	pthread_mutex_unlock(&d_mu);
	return NULL;
}

static void
delay_add(struct MHD_Connection *c, int ms)
{
	struct delayed	*nq;

	pthread_mutex_lock(&d_mu);
	if (d_n == d_cap) {
		d_cap = d_cap ? d_cap * 2 : 64;
		if ((nq = realloc(d_q, d_cap * sizeof(*d_q))) == NULL)
			abort();
		d_q = nq;
	}
	d_q[d_n].conn = c;
	d_q[d_n].wake = mono_ms() + ms;
	d_n++;
	pthread_cond_signal(&d_cv);
	pthread_mutex_unlock(&d_mu);
}

static const char *
fault_who(struct req *r, char *buf, size_t n)
{
	const char		*a = sim_hdr(r, "Authorization");
	struct json_object	*h = NULL, *c = NULL;

	snprintf(buf, n, "anonymous");
	if (a != NULL && strncasecmp(a, "Bearer ", 7) == 0 &&
	    jwt_split(a + 7, &h, &c) == 0) {
		snprintf(buf, n, "%s", pj_str(c, "upn") ? pj_str(c, "upn") :
		    pj_str(c, "appid") ? pj_str(c, "appid") : "anonymous");
		json_object_put(h);
		json_object_put(c);
	} else if (a != NULL)
		snprintf(buf, n, "%.*s", 24, a);
	return buf;
}

/* Run the request under g.mu and leave the response in r. */
static void
process(struct req *r)
{
	char	 who[128];
	int	 faulty, commit500 = 0;

	pthread_mutex_lock(&g.mu);
	faulty = fault_applies(r);
	if (r->toobig) {
		pbi_error(r, 413, "RequestEntityTooLarge",
		    "request body too large");
		goto done;
	}
	if (faulty && rate_limited(fault_who(r, who, sizeof(who)))) {
		fault_reply(r, 429);
		goto done;
	}
	if (faulty && g.f.p429 > 0 && sim_rand() < g.f.p429) {
		fault_reply(r, 429);
		goto done;
	}
	if (faulty && g.f.p5xx > 0 && sim_rand() < g.f.p5xx) {
		fault_reply(r, sim_rand() < 0.5 ? 500 : 503);
		goto done;
	}
	if (faulty && g.f.p307 > 0 && r->svc == SVC_PBI && !r->clustered &&
	    sim_streq_ci(sim_q(r, "preferClientRouting"), "true") &&
	    sim_rand() < g.f.p307) {
		/* api-facts 3.0: 307 to the home cluster; clients follow */
		struct buf	 loc = { 0 };

		buf_printf(&loc, "%s://%s/_cluster%s", sim_scheme(),
		    sim_host(r), r->uri);
		sim_add_header(r, "Location", loc.p);
		buf_release(&loc);
		sim_reply_empty(r, 307);
		goto done;
	}
	if (faulty && g.f.p500ac > 0 && strcmp(r->method, "GET") != 0 &&
	    sim_rand() < g.f.p500ac)
		commit500 = 1;
	switch (r->svc) {
	case SVC_SIM:
		sim_route(r);
		break;
	case SVC_ENTRA:
		entra_route(r);
		break;
	case SVC_GRAPH:
		graph_route(r);
		break;
	case SVC_PBI:
		pbi_route(r);
		break;
	case SVC_COLL:
		coll_route(r);
		break;
	case SVC_BLOB:
		blob_route(r);
		break;
	case SVC_ARM:
		arm_route(r);
		break;
	default:
		pbi_error(r, 404, "NotFound", "no such route");
		break;
	}
	if (commit500 && r->status < 400) {
		/* the write happened; the answer is lost */
		r->nhdr = 0;
		fault_reply(r, 500);
	}
done:
	if (r->svc != SVC_SIM)
		log_request(r);
	pthread_mutex_unlock(&g.mu);
}

static enum MHD_Result
queue(struct req *r)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;
	const char		*crid;
	int			 i;

	resp = MHD_create_response_from_buffer(r->out.len, r->out.p,
	    MHD_RESPMEM_MUST_FREE);
	r->out.p = NULL;
	r->out.len = r->out.cap = 0;
	if (resp == NULL)
		return MHD_NO;
	if (r->ctype != NULL)
		MHD_add_response_header(resp, "Content-Type", r->ctype);
	switch (r->svc) {
	case SVC_GRAPH:
		crid = sim_hdr(r, "client-request-id");
		MHD_add_response_header(resp, "request-id", r->reqid);
		MHD_add_response_header(resp, "client-request-id",
		    crid ? crid : r->reqid);
		break;
	case SVC_ENTRA:
		crid = sim_hdr(r, "client-request-id");
		MHD_add_response_header(resp, "x-ms-request-id", r->reqid);
		if (crid != NULL)
			MHD_add_response_header(resp, "client-request-id",
			    crid);
		break;
	case SVC_BLOB:
		MHD_add_response_header(resp, "x-ms-request-id", r->reqid);
		break;
	case SVC_ARM:
		MHD_add_response_header(resp, "x-ms-request-id", r->reqid);
		MHD_add_response_header(resp, "x-ms-correlation-request-id",
		    r->reqid);
		break;
	default:
		MHD_add_response_header(resp, "RequestId", r->reqid);
		break;
	}
	for (i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hk[i], r->hv[i]);
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *up, size_t *upsz,
    void **cc)
{
	struct req	*r = *cc;
	int		 delay = 0, drop = 0;

	(void)cls;
	(void)version;
	if (r == NULL) {
		r = uri_cb(NULL, url, c);
		*cc = r;
	}
	r->conn = c;
	if (r->stage == 0) {
		r->stage = 1;
		snprintf(r->method, sizeof(r->method), "%s", method);
		parse_target(r);
		r->svc = classify(r);
		return MHD_YES;
	}
	if (*upsz > 0) {
		if (r->body.len + *upsz > MAXBODY)
			r->toobig = 1;
		else
			buf_add(&r->body, up, *upsz);
		*upsz = 0;
		return MHD_YES;
	}
	if (r->stage == 1) {
		r->stage = 2;
		pthread_mutex_lock(&g.mu);
		sim_guid(r->reqid);
		if (fault_applies(r)) {
			if (g.f.pdrop > 0 && sim_rand() < g.f.pdrop)
				drop = 1;
			else if (g.f.latency_ms > 0 || g.f.jitter_ms > 0)
				delay = g.f.latency_ms + (g.f.jitter_ms > 0 ?
				    (int)(sim_rand() * (g.f.jitter_ms + 1)) :
				    0);
		}
		if (drop) {
			r->dropped = 1;
			log_request(r);
		}
		pthread_mutex_unlock(&g.mu);
		if (drop)
			return MHD_NO;
		if (delay > 0) {
			MHD_suspend_connection(c);
			delay_add(c, delay);
			return MHD_YES;
		}
	}
	process(r);
	return queue(r);
}

static int
parse_listen(const char *s, struct sockaddr_in *sin)
{
	char		 host[64];
	const char	*colon;
	long		 port;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if ((colon = strrchr(s, ':')) == NULL ||
	    (size_t)(colon - s) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "pbisim: refusing non-loopback address "
		    "'%s'\n", host);
		exit(2);
	}
	port = strtol(colon + 1, NULL, 10);
	if (port < 0 || port > 65535)
		return -1;
	sin->sin_port = htons((uint16_t)port);
	return 0;
}

static int
write_port_file(const char *path, int port)
{
	char	 tmp[PATH_MAX];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

static double
optnum(const char *s, const char *opt)
{
	char	*e;
	double	 d;

	d = strtod(s, &e);
	if (*s == '\0' || *e != '\0' || d < 0) {
		fprintf(stderr, "pbisim: bad value '%s' for --%s\n", s, opt);
		exit(2);
	}
	return d;
}

enum {
	O_LISTEN = 256, O_PORTFILE, O_SEED, O_STATE, O_REQLOG, O_TLSCERT,
	O_TLSKEY, O_LATENCY, O_P429, O_RETRY, O_P5XX, O_PDROP, O_P500AC,
	O_REPL, O_IMPORT, O_ASSIGN, O_STUCK, O_RATE, O_ADMINRATE, O_SEEDRND,
	O_PRINTSEED, O_LOGSIZE, O_TOKLIFE, O_P307
};

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "port-file", required_argument, NULL, O_PORTFILE },
	{ "seed", required_argument, NULL, O_SEED },
	{ "state", required_argument, NULL, O_STATE },
	{ "request-log", required_argument, NULL, O_REQLOG },
	{ "log-size", required_argument, NULL, O_LOGSIZE },
	{ "tls-cert", required_argument, NULL, O_TLSCERT },
	{ "tls-key", required_argument, NULL, O_TLSKEY },
	{ "latency", required_argument, NULL, O_LATENCY },
	{ "p429", required_argument, NULL, O_P429 },
	{ "retry-after", required_argument, NULL, O_RETRY },
	{ "p5xx", required_argument, NULL, O_P5XX },
	{ "pdrop", required_argument, NULL, O_PDROP },
	{ "p500-after-commit", required_argument, NULL, O_P500AC },
	{ "p307", required_argument, NULL, O_P307 },
	{ "replication-delay", required_argument, NULL, O_REPL },
	{ "import-seconds", required_argument, NULL, O_IMPORT },
	{ "assign-seconds", required_argument, NULL, O_ASSIGN },
	{ "assign-stuck", no_argument, NULL, O_STUCK },
	{ "rate-limit", required_argument, NULL, O_RATE },
	{ "admin-rate-limit", required_argument, NULL, O_ADMINRATE },
	{ "seed-random", required_argument, NULL, O_SEEDRND },
	{ "print-seed", no_argument, NULL, O_PRINTSEED },
	{ "token-lifetime", required_argument, NULL, O_TOKLIFE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	struct MHD_Daemon	*d = NULL;
	const union MHD_DaemonInfo *info;
	struct json_object	*seed = NULL, *loaded = NULL;
	const char		*portfile = NULL, *seedfile = NULL;
	const char		*reqlog = NULL, *tlscert = NULL;
	const char		*tlskey = NULL, *pem;
	char			*certmem = NULL, *keymem = NULL, *txt = NULL;
	char			*dirbuf = NULL, *colon;
	unsigned int		 flags;
	pthread_t		 dthr;
	sigset_t		 set;
	size_t			 n;
	int			 ch, sig, rc = 1, seeded_rng = 0;
	int64_t			 toklife = 0;

	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.mu, NULL);
	g.f.retry_after = 1;
	g.f.import_s = 1;
	g.f.assign_s = 2;
	g.logmax = 10000;
	parse_listen("127.0.0.1:0", &sin);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_LISTEN:
			if (parse_listen(optarg, &sin) != 0) {
				fprintf(stderr, "pbisim: bad --listen '%s'\n",
				    optarg);
				return 2;
			}
			break;
		case O_PORTFILE:
			portfile = optarg;
			break;
		case O_SEED:
			seedfile = optarg;
			break;
		case O_STATE:
			g_state_file = optarg;
			break;
		case O_REQLOG:
			reqlog = optarg;
			break;
		case O_LOGSIZE:
			g.logmax = (size_t)optnum(optarg, "log-size");
			if (g.logmax < 1)
				g.logmax = 1;
			break;
		case O_TLSCERT:
			tlscert = optarg;
			break;
		case O_TLSKEY:
			tlskey = optarg;
			break;
		case O_LATENCY:
			g.f.latency_ms = (int)strtol(optarg, &colon, 10);
			if (*colon == ':')
				g.f.jitter_ms = (int)optnum(colon + 1,
				    "latency");
			else if (*colon != '\0' || g.f.latency_ms < 0)
				optnum("x", "latency");
			break;
		case O_P429:
			g.f.p429 = optnum(optarg, "p429");
			break;
		case O_RETRY:
			g.f.retry_after = (int)optnum(optarg, "retry-after");
			break;
		case O_P5XX:
			g.f.p5xx = optnum(optarg, "p5xx");
			break;
		case O_PDROP:
			g.f.pdrop = optnum(optarg, "pdrop");
			break;
		case O_P500AC:
			g.f.p500ac = optnum(optarg, "p500-after-commit");
			break;
		case O_P307:
			g.f.p307 = optnum(optarg, "p307");
			break;
		case O_REPL:
			g.f.repl_delay = optnum(optarg, "replication-delay");
			break;
		case O_IMPORT:
			g.f.import_s = optnum(optarg, "import-seconds");
			break;
		case O_ASSIGN:
			g.f.assign_s = optnum(optarg, "assign-seconds");
			break;
		case O_STUCK:
			g.f.assign_stuck = 1;
			break;
		case O_RATE:
			g.f.rate_limit = (int)optnum(optarg, "rate-limit");
			break;
		case O_ADMINRATE:
			g.f.admin_rate_limit = (int)optnum(optarg,
			    "admin-rate-limit");
			break;
		case O_SEEDRND:
			g.rng = (uint64_t)optnum(optarg, "seed-random") *
			    2654435761ULL + 88172645463325252ULL;
			seeded_rng = 1;
			break;
		case O_TOKLIFE:
			toklife = (int64_t)optnum(optarg, "token-lifetime");
			break;
		case O_PRINTSEED:
			fputs(demo_seed, stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc || (tlscert == NULL) != (tlskey == NULL))
		usage(2);
	if (!seeded_rng)
		g.rng = (uint64_t)time(NULL) * 2654435761ULL ^
		    (uint64_t)getpid() << 32 ^ 88172645463325252ULL;
	g.f0 = g.f;
	if ((g_log = calloc(g.logmax, sizeof(*g_log))) == NULL)
		abort();

	if (seedfile != NULL) {
		if ((txt = slurp(seedfile, &n)) == NULL ||
		    (seed = pj_parse(txt, n)) == NULL) {
			fprintf(stderr, "pbisim: cannot read seed '%s'\n",
			    seedfile);
			goto done;
		}
		free(txt);
		txt = NULL;
	} else
		seed = pj_parse(demo_seed, strlen(demo_seed));
	dirbuf = strdup(seedfile ? seedfile : ".");
	g_seed_state = seed_normalize(seed, seedfile ? dirname(dirbuf) : ".");
	if (g_state_file != NULL && (txt = slurp(g_state_file, &n)) != NULL) {
		if ((loaded = pj_parse(txt, n)) == NULL) {
			fprintf(stderr, "pbisim: bad state file '%s'\n",
			    g_state_file);
			goto done;
		}
		if ((pem = pj_str(loaded, "__signingKey")) != NULL &&
		    jwt_key_load(pem) != 0) {
			fprintf(stderr, "pbisim: bad key in state '%s'\n",
			    g_state_file);
			goto done;
		}
		g.clock_off_ms = pj_int(loaded, "__clockOffsetMs", 0);
		g.state = loaded;
		loaded = NULL;
	} else
		g.state = NULL;
	if (g.key == NULL && jwt_keygen() != 0) {
		fprintf(stderr, "pbisim: cannot generate signing key\n");
		goto done;
	}
	if (g.state == NULL)
		json_object_deep_copy(g_seed_state, &g.state, NULL);
	if (toklife > 0) {
		pj_add_int(pj_obj(g_seed_state, "tenant"), "tokenLifetime",
		    toklife);
		pj_add_int(pj_obj(g.state, "tenant"), "tokenLifetime",
		    toklife);
	}
	g.initial = g_seed_state;
	g_seed_state = NULL;

	if (reqlog != NULL && (g_logf = fopen(reqlog, "a")) == NULL) {
		fprintf(stderr, "pbisim: %s: %s\n", reqlog, strerror(errno));
		goto done;
	}
	if (tlscert != NULL && ((certmem = slurp(tlscert, NULL)) == NULL ||
	    (keymem = slurp(tlskey, NULL)) == NULL)) {
		fprintf(stderr, "pbisim: cannot read TLS certificate or key\n");
		goto done;
	}

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	{
		pthread_condattr_t	 ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&d_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_create(&dthr, NULL, delay_main, NULL);

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
	    MHD_ALLOW_SUSPEND_RESUME;
	if (certmem != NULL) {
		flags |= MHD_USE_TLS;
		g.tls = 1;
	}
	if (certmem != NULL)
		d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
		    MHD_OPTION_SOCK_ADDR, &sin,
		    MHD_OPTION_THREAD_POOL_SIZE, 2,
		    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, NULL,
		    MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, 60,
		    MHD_OPTION_CONNECTION_LIMIT, 1000,
		    MHD_OPTION_HTTPS_MEM_CERT, certmem,
		    MHD_OPTION_HTTPS_MEM_KEY, keymem,
		    MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
		    MHD_OPTION_SOCK_ADDR, &sin,
		    MHD_OPTION_THREAD_POOL_SIZE, 2,
		    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, NULL,
		    MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, 60,
		    MHD_OPTION_CONNECTION_LIMIT, 1000,
		    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "pbisim: cannot listen\n");
		goto stop;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	g.port = info ? info->port : ntohs(sin.sin_port);
	if (portfile != NULL && write_port_file(portfile, g.port) != 0) {
		fprintf(stderr, "pbisim: cannot write '%s'\n", portfile);
		goto stop;
	}
	fprintf(stderr, "pbisim: listening on %s://127.0.0.1:%d\n",
	    certmem ? "https" : "http", g.port);
	sigwait(&set, &sig);
	rc = 0;
stop:
	pthread_mutex_lock(&d_mu);
	d_stop = 1;
	pthread_cond_signal(&d_cv);
	pthread_mutex_unlock(&d_mu);
	pthread_join(dthr, NULL);
	if (d != NULL)
		MHD_stop_daemon(d);
	pthread_mutex_lock(&g.mu);
	save_state();
	pthread_mutex_unlock(&g.mu);
done:
	if (g_logf != NULL)
		fclose(g_logf);
	if (g_log != NULL)
		for (n = 0; n < g.logmax; n++)
			free(g_log[n]);
	free(g_log);
	free(txt);
	free(certmem);
	free(keymem);
	free(dirbuf);
	json_object_put(seed);
	json_object_put(loaded);
	json_object_put(g.state);
	json_object_put(g.initial);
	json_object_put(g_seed_state);
	EVP_PKEY_free(g.key);
	free(d_q);
	return rc;
}
