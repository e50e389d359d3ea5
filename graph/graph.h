/*
 * graph.h: the Microsoft Graph v1.0 client: applications, service
 * principals, OAuth2 permission grants, group membership.
 *
 * Every function returns NULL or the error; JSON results are new
 * references.  Lookups answer NULL in *out when nothing matches.  Reads
 * of objects just created are retried through Graph's replication lag
 * (api-facts 2.4); creates are never repeated here: a caller that gets an
 * ambiguous answer reconciles with a lookup.
 */
#ifndef PBI_GRAPH_H
#define PBI_GRAPH_H

#include "core/core.h"

#define GRAPH_PBI_APPID		"00000009-0000-0000-c000-000000000000"
#define GRAPH_GRAPH_APPID	"00000003-0000-0000-c000-000000000000"

/* The service principal of appId, or NULL. */
const struct pbi_err	*graph_sp_find(struct pbi_svc *, const char *app_id,
			    struct json_object **out);
/* POST /servicePrincipals {"appId"}; 409 and lag are the caller's. */
const struct pbi_err	*graph_sp_create(struct pbi_svc *,
			    const char *app_id, struct json_object **out);

/* The application of appId, or NULL. */
const struct pbi_err	*graph_app_find(struct pbi_svc *, const char *app_id,
			    struct json_object **out);
/* Every application named name (a JSON array). */
const struct pbi_err	*graph_app_named(struct pbi_svc *, const char *name,
			    struct json_object **out);
/*
 * A new single-tenant application named name, its registration
 * requesting the delegated Graph permissions pbictl's setup takes.
 */
const struct pbi_err	*graph_app_create(struct pbi_svc *, const char *name,
			    struct json_object **out);
/* addPassword: the answer holds secretText, shown once. */
const struct pbi_err	*graph_app_add_password(struct pbi_svc *,
			    const char *app_object_id, const char *name,
			    struct json_object **out);
/* PATCH the application's keyCredentials to exactly keys (borrowed). */
const struct pbi_err	*graph_app_set_keys(struct pbi_svc *,
			    const char *app_object_id,
			    struct json_object *keys);

/* The grants of client (an SP object id), all resources. */
const struct pbi_err	*graph_grants(struct pbi_svc *, const char *client,
			    struct json_object **out);
/* POST /oauth2PermissionGrants; principal NULL for AllPrincipals. */
const struct pbi_err	*graph_grant_create(struct pbi_svc *,
			    const char *client, const char *resource,
			    const char *principal, const char *scope,
			    struct json_object **out);
/* PATCH the grant's scope (it replaces the list): 204. */
const struct pbi_err	*graph_grant_scope(struct pbi_svc *, const char *id,
			    const char *scope);
const struct pbi_err	*graph_grant_delete(struct pbi_svc *,
			    const char *id);

/* The user of a UPN or object id, or NULL. */
const struct pbi_err	*graph_user(struct pbi_svc *, const char *upn,
			    struct json_object **out);

/* Is member_id a direct member of group_id? */
const struct pbi_err	*graph_group_has(struct pbi_svc *,
			    const char *group_id, const char *member_id,
			    int *yes);
/* POST /groups/{id}/members/$ref. */
const struct pbi_err	*graph_group_add(struct pbi_svc *,
			    const char *group_id, const char *member_id);

/*
 * The certificate in the PEM file path as a keyCredential: type
 * AsymmetricX509Cert, usage Verify, key (base64 DER), displayName (the
 * subject), customKeyIdentifier (base64 SHA-1 thumbprint); thumb
 * receives the thumbprint in hex.  A new reference.  (keycred.c)
 */
const struct pbi_err	*graph_keycred(const char *path,
			    struct json_object **out, char thumb[41]);

#endif /* PBI_GRAPH_H */
