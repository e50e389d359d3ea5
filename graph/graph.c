/*
 * graph.c: Microsoft Graph v1.0 calls (api-facts section 2).
 */
#include "graph.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define V1	"/v1.0"

/* The one item of a filtered list, or NULL when there is none. */
static const struct pbi_err *
find_one(struct pbi_svc *s, const char *path, const char *what,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL;
	size_t			 n;

	*out = NULL;
	if ((err = pbi_svc_all(s, PBI_API_GRAPH, path, NULL, 0, &all)) != NULL)
		return pbi_err_ctx(err, "cannot look up %s", what);
	n = pj_len(all);
	if (n > 1)
		err = pbi_err(PBI_ERR_CONFLICT, "%zu objects match %s", n,
		    what);
	else if (n == 1)
		*out = json_object_get(pj_idx(all, 0));
	json_object_put(all);
	return err;
}

/* "/v1.0/SET?$filter=NAME eq 'VALUE'" (free(3)). */
static char *
filter_path(const char *set, const char *name, const char *value)
{
	char	*f, *p;
	size_t	 n;

	if ((f = pbi_odata_eq(name, value)) == NULL)
		return NULL;
	n = strlen(set) + strlen(f) + 32;
	if ((p = malloc(n)) != NULL)
		snprintf(p, n, V1 "/%s?$filter=%s", set, f);
	free(f);
	return p;
}

const struct pbi_err *
graph_sp_find(struct pbi_svc *s, const char *app_id, struct json_object **out)
{
	const struct pbi_err	*err;
	char			*p, what[96];

	*out = NULL;
	if ((p = filter_path("servicePrincipals", "appId", app_id)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	snprintf(what, sizeof(what), "the service principal of app %s",
	    app_id);
	err = find_one(s, p, what, out);
	free(p);
	return err;
}

const struct pbi_err *
graph_sp_create(struct pbi_svc *s, const char *app_id,
    struct json_object **out)
{
	struct json_object	*b = json_object_new_object();
	const struct pbi_err	*err;

	pj_add_str(b, "appId", app_id);
	/* Right after the app: 400 NoBackingApplicationObject (2.3). */
	err = pbi_svc_json(s, PBI_API_GRAPH, "POST", V1 "/servicePrincipals",
	    NULL, b, PBI_REQ_REPLICATION, out);
	json_object_put(b);
	return err;
}

const struct pbi_err *
graph_app_find(struct pbi_svc *s, const char *app_id, struct json_object **out)
{
	const struct pbi_err	*err;
	char			*p, what[96];

	*out = NULL;
	if ((p = filter_path("applications", "appId", app_id)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	snprintf(what, sizeof(what), "application %s", app_id);
	err = find_one(s, p, what, out);
	free(p);
	return err;
}

const struct pbi_err *
graph_app_named(struct pbi_svc *s, const char *name, struct json_object **out)
{
	const struct pbi_err	*err;
	char			*p;

	*out = NULL;
	if ((p = filter_path("applications", "displayName", name)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	err = pbi_svc_all(s, PBI_API_GRAPH, p, NULL, 0, out);
	free(p);
	return err;
}

/*
 * The delegated Microsoft Graph permissions a signed-in admin needs to
 * set pbictl up through the app (pbictl-sp(1) PERMISSIONS): sign-in,
 * users by name (grant --consent user:), applications and service
 * principals, permission grants, group membership.  Ids are Microsoft
 * Graph's published permission ids.
 */
static const char *const setup_scopes[] = {
	"e1fe6dd8-ba31-4d61-89e7-88639da4683d",	/* User.Read */
	"b340eb25-3456-403f-be2f-af7a0d370277",	/* User.ReadBasic.All */
	"bdfbf15f-ee85-4955-8675-146e8e5296b5",	/* Application.ReadWrite.All */
	"41ce6ca6-6826-4807-84f1-1c82854f7ee5",	/* DelegatedPermissionGrant.
						   ReadWrite.All */
	"f81125ac-d3b7-4573-a3b2-7099cc39df9e",	/* GroupMember.ReadWrite.All */
	NULL
};

const struct pbi_err *
graph_app_create(struct pbi_svc *s, const char *name, struct json_object **out)
{
	struct json_object	*b = json_object_new_object(), *rra, *r, *ra;
	struct json_object	*e;
	const struct pbi_err	*err;
	int			 i;

	pj_add_str(b, "displayName", name);
	pj_add_str(b, "signInAudience", "AzureADMyOrg");
	ra = json_object_new_array();
	for (i = 0; setup_scopes[i] != NULL; i++) {
		e = json_object_new_object();
		pj_add_str(e, "id", setup_scopes[i]);
		pj_add_str(e, "type", "Scope");
		json_object_array_add(ra, e);
	}
	r = json_object_new_object();
	pj_add_str(r, "resourceAppId", "00000003-0000-0000-c000-000000000000");
	pj_add(r, "resourceAccess", ra);
	rra = json_object_new_array();
	json_object_array_add(rra, r);
	pj_add(b, "requiredResourceAccess", rra);
	err = pbi_svc_json(s, PBI_API_GRAPH, "POST", V1 "/applications", NULL,
	    b, 0, out);
	json_object_put(b);
	return err;
}

const struct pbi_err *
graph_app_add_password(struct pbi_svc *s, const char *app_object_id,
    const char *name, struct json_object **out)
{
	struct json_object	*b = json_object_new_object(), *pc;
	const struct pbi_err	*err;
	char			 path[128];

	if (!pbi_is_guid(app_object_id))
		return pbi_err(PBI_ERR_INPUT, "invalid application object id "
		    "'%s'", app_object_id);
	pc = json_object_new_object();
	pj_add_str(pc, "displayName", name);
	pj_add(b, "passwordCredential", pc);
	snprintf(path, sizeof(path), V1 "/applications/%s/addPassword",
	    app_object_id);
	/* The answer's secretText is shown once, and wiped after. */
	err = pbi_svc_json(s, PBI_API_GRAPH, "POST", path, NULL, b,
	    PBI_REQ_REPLICATION | PBI_REQ_SECRET, out);
	json_object_put(b);
	return err;
}

const struct pbi_err *
graph_app_set_keys(struct pbi_svc *s, const char *app_object_id,
    struct json_object *keys)
{
	struct json_object	*b = json_object_new_object();
	const struct pbi_err	*err;
	char			 path[128];

	if (!pbi_is_guid(app_object_id))
		return pbi_err(PBI_ERR_INPUT, "invalid application object id "
		    "'%s'", app_object_id);
	pj_add(b, "keyCredentials", json_object_get(keys));
	snprintf(path, sizeof(path), V1 "/applications/%s", app_object_id);
	err = pbi_svc_json(s, PBI_API_GRAPH, "PATCH", path, NULL, b,
	    PBI_REQ_IDEMPOTENT | PBI_REQ_REPLICATION, NULL);
	json_object_put(b);
	return err;
}

const struct pbi_err *
graph_grants(struct pbi_svc *s, const char *client, struct json_object **out)
{
	const struct pbi_err	*err;
	char			*p;

	*out = NULL;
	if ((p = filter_path("oauth2PermissionGrants", "clientId", client)) ==
	    NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	if ((err = pbi_svc_all(s, PBI_API_GRAPH, p, NULL, 0, out)) != NULL)
		err = pbi_err_ctx(err, "cannot list the grants of %s", client);
	free(p);
	return err;
}

const struct pbi_err *
graph_grant_create(struct pbi_svc *s, const char *client,
    const char *resource, const char *principal, const char *scope,
    struct json_object **out)
{
	struct json_object	*b = json_object_new_object();
	const struct pbi_err	*err;

	pj_add_str(b, "clientId", client);
	pj_add_str(b, "consentType", principal ? "Principal" :
	    "AllPrincipals");
	pj_add_str(b, "principalId", principal);
	pj_add_str(b, "resourceId", resource);
	pj_add_str(b, "scope", scope);
	/* A client SP just created may not be known yet (2.4). */
	err = pbi_svc_json(s, PBI_API_GRAPH, "POST", V1
	    "/oauth2PermissionGrants", NULL, b, PBI_REQ_REPLICATION, out);
	json_object_put(b);
	return err;
}

/* Grant ids are opaque base64url (2.2): nothing else may go in a path. */
static int
grant_id_ok(const char *id)
{
	size_t	 n = strlen(id);

	return n > 0 && n < 128 && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

const struct pbi_err *
graph_grant_scope(struct pbi_svc *s, const char *id, const char *scope)
{
	struct json_object	*b = json_object_new_object();
	const struct pbi_err	*err;
	char			 path[256];

	if (!grant_id_ok(id))
		return pbi_err(PBI_ERR_INPUT, "invalid grant id '%s'", id);
	pj_add_str(b, "scope", scope);
	snprintf(path, sizeof(path), V1 "/oauth2PermissionGrants/%s", id);
	/* The PATCH replaces the list: repeating it is harmless. */
	err = pbi_svc_json(s, PBI_API_GRAPH, "PATCH", path, NULL, b,
	    PBI_REQ_IDEMPOTENT | PBI_REQ_REPLICATION, NULL);
	json_object_put(b);
	return err;
}

const struct pbi_err *
graph_grant_delete(struct pbi_svc *s, const char *id)
{
	char	 path[256];

	if (!grant_id_ok(id))
		return pbi_err(PBI_ERR_INPUT, "invalid grant id '%s'", id);
	snprintf(path, sizeof(path), V1 "/oauth2PermissionGrants/%s", id);
	return pbi_svc_json(s, PBI_API_GRAPH, "DELETE", path, NULL, NULL, 0,
	    NULL);
}

const struct pbi_err *
graph_user(struct pbi_svc *s, const char *upn, struct json_object **out)
{
	const struct pbi_err	*err;
	char			*enc, *path;
	size_t			 n;

	*out = NULL;
	if ((enc = pbi_urlenc(upn)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	n = strlen(enc) + 32;
	if ((path = malloc(n)) == NULL) {
		free(enc);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	snprintf(path, n, V1 "/users/%s", enc);
	err = pbi_svc_json(s, PBI_API_GRAPH, "GET", path, NULL, NULL, 0, out);
	if (err != NULL && err->status == 404)
		err = NULL;
	free(enc);
	free(path);
	return err;
}

const struct pbi_err *
graph_group_has(struct pbi_svc *s, const char *group_id,
    const char *member_id, int *yes)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL;
	char			 path[128];
	const char		*id;
	size_t			 i;

	*yes = 0;
	if (!pbi_is_guid(group_id))
		return pbi_err(PBI_ERR_INPUT, "invalid group id '%s'",
		    group_id);
	snprintf(path, sizeof(path), V1 "/groups/%s/members", group_id);
	if ((err = pbi_svc_all(s, PBI_API_GRAPH, path, NULL, 0, &all)) != NULL)
		return pbi_err_ctx(err, "cannot list the members of group %s",
		    group_id);
	for (i = 0; i < pj_len(all); i++) {
		id = pj_str(pj_idx(all, i), "id");
		if (id != NULL && strcasecmp(id, member_id) == 0)
			*yes = 1;
	}
	json_object_put(all);
	return NULL;
}

const struct pbi_err *
graph_group_add(struct pbi_svc *s, const char *group_id,
    const char *member_id)
{
	struct json_object	*b = json_object_new_object();
	const struct pbi_err	*err;
	char			 path[128], ref[256];

	if (!pbi_is_guid(group_id) || !pbi_is_guid(member_id))
		return pbi_err(PBI_ERR_INPUT, "invalid group or member id");
	snprintf(path, sizeof(path), V1 "/groups/%s/members/$ref", group_id);
	snprintf(ref, sizeof(ref), "%s/v1.0/directoryObjects/%s",
	    s->ep.graph, member_id);
	pj_add_str(b, "@odata.id", ref);
	err = pbi_svc_json(s, PBI_API_GRAPH, "POST", path, NULL, b,
	    PBI_REQ_REPLICATION, NULL);
	json_object_put(b);
	return err;
}
