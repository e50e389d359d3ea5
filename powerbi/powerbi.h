/*
 * powerbi.h: the Power BI REST v1.0 client (myorg): profiles, workspaces
 * (groups) and their users, capacities, imports, reports, datasets,
 * dashboards and tiles, embed tokens.
 *
 * Every call may act as a service principal profile: profile is its id,
 * sent as X-PowerBI-Profile-Id, or NULL for the principal itself
 * (api-facts 3.8).  JSON results are new references; lookups answer NULL
 * in *out when nothing matches.  Creates are never repeated here.
 */
#ifndef PBI_POWERBI_H
#define PBI_POWERBI_H

#include "core/core.h"

#define PB_EMPTY_GUID	"00000000-0000-0000-0000-000000000000"

/* Profiles (only a service principal may call these). */
const struct pbi_err	*pb_profile_find(struct pbi_svc *, const char *name,
			    struct json_object **out);
const struct pbi_err	*pb_profile_create(struct pbi_svc *, const char *name,
			    struct json_object **out);
const struct pbi_err	*pb_profile_delete(struct pbi_svc *, const char *id);

/* Workspaces. */
const struct pbi_err	*pb_group_find(struct pbi_svc *, const char *profile,
			    const char *name, struct json_object **out);
const struct pbi_err	*pb_group_get(struct pbi_svc *, const char *profile,
			    const char *id, struct json_object **out);
const struct pbi_err	*pb_group_create(struct pbi_svc *,
			    const char *profile, const char *name,
			    struct json_object **out);
const struct pbi_err	*pb_group_delete(struct pbi_svc *,
			    const char *profile, const char *id);
const struct pbi_err	*pb_group_users(struct pbi_svc *, const char *profile,
			    const char *id, struct json_object **out);
/* Add a user: type "User" (UPN) or "App" (SP object id). */
const struct pbi_err	*pb_group_user_add(struct pbi_svc *,
			    const char *profile, const char *id,
			    const char *type, const char *identifier,
			    const char *right);

/* Capacities and assignment (asynchronous, api-facts 3.3). */
const struct pbi_err	*pb_capacities(struct pbi_svc *, const char *profile,
			    struct json_object **out);
const struct pbi_err	*pb_assign(struct pbi_svc *, const char *profile,
			    const char *group, const char *capacity);
const struct pbi_err	*pb_assign_status(struct pbi_svc *,
			    const char *profile, const char *group,
			    struct json_object **out);

/* Imports (asynchronous, api-facts 3.4): 202 {id}, then poll. */
const struct pbi_err	*pb_import(struct pbi_svc *, const char *profile,
			    const char *group, const char *name,
			    const char *conflict, const void *data, size_t len,
			    struct json_object **out);
/*
 * A large package (api-facts 3.4): a temporary upload location, the
 * package put to it in blocks, then an import from its URL.  *url (free
 * with free(3)) is the blob's URL with its SAS.
 */
const struct pbi_err	*pb_upload_location(struct pbi_svc *,
			    const char *profile, const char *group,
			    char **url);
/* Put data to the blob at url in blocks of block bytes, then commit. */
const struct pbi_err	*pb_blob_upload(struct pbi_svc *, const char *url,
			    const unsigned char *data, size_t len,
			    size_t block);
const struct pbi_err	*pb_import_url(struct pbi_svc *, const char *profile,
			    const char *group, const char *name,
			    const char *conflict, const char *url,
			    struct json_object **out);
const struct pbi_err	*pb_import_get(struct pbi_svc *, const char *profile,
			    const char *group, const char *id,
			    struct json_object **out);
const struct pbi_err	*pb_imports(struct pbi_svc *, const char *profile,
			    const char *group, struct json_object **out);

/* Reports and datasets of a workspace. */
const struct pbi_err	*pb_reports(struct pbi_svc *, const char *profile,
			    const char *group, struct json_object **out);
const struct pbi_err	*pb_datasets(struct pbi_svc *, const char *profile,
			    const char *group, struct json_object **out);
const struct pbi_err	*pb_takeover(struct pbi_svc *, const char *profile,
			    const char *group, const char *dataset);
/* updateDetails: [{"name","newValue"}] (borrowed). */
const struct pbi_err	*pb_update_params(struct pbi_svc *,
			    const char *profile, const char *group,
			    const char *dataset, struct json_object *details);
const struct pbi_err	*pb_refresh(struct pbi_svc *, const char *profile,
			    const char *group, const char *dataset);
const struct pbi_err	*pb_refreshes(struct pbi_svc *, const char *profile,
			    const char *group, const char *dataset,
			    struct json_object **out);

/*
 * Point every datasource of a DirectQuery dataset at connection
 * (Default.SetAllConnections); the string may hold a secret: it is
 * wiped, never traced.
 */
const struct pbi_err	*pb_set_connections(struct pbi_svc *,
			    const char *profile, const char *group,
			    const char *dataset, const char *connection);

/*
 * The retired Workspace Collections (collections.c, api-facts 4): the
 * data plane as the collection's access key (pbi_svc_appkey first), the
 * ARM control plane as the principal.  Lists are new references.
 */
const struct pbi_err	*wc_arm_collections(struct pbi_svc *,
			    const char *subscription, const char *group,
			    struct json_object **out);
/* listKeys: key1 into key (a secret: wipe it). */
const struct pbi_err	*wc_arm_key(struct pbi_svc *, const char *sub,
			    const char *group, const char *name, char *key,
			    size_t len);
const struct pbi_err	*wc_workspaces(struct pbi_svc *, const char *coll,
			    struct json_object **out);
/* what: "reports", "datasets" or "imports" of workspace ws. */
const struct pbi_err	*wc_list(struct pbi_svc *, const char *coll,
			    const char *ws, const char *what,
			    struct json_object **out);
const struct pbi_err	*wc_gateway_datasources(struct pbi_svc *,
			    const char *coll, const char *ws,
			    const char *dataset, struct json_object **out);
/* The report's .pbix (Export) written to f (truncated first). */
const struct pbi_err	*wc_export(struct pbi_svc *, const char *coll,
			    const char *ws, const char *report, FILE *f);

/* The gateway datasources a dataset is bound to. */
const struct pbi_err	*pb_bound_datasources(struct pbi_svc *,
			    const char *profile, const char *group,
			    const char *dataset, struct json_object **out);
/* PATCH a gateway datasource's credentialDetails (borrowed). */
const struct pbi_err	*pb_datasource_credentials(struct pbi_svc *,
			    const char *profile, const char *gateway,
			    const char *datasource,
			    struct json_object *details);

/*
 * What the isolation audit reads (admin.c).  The admin and scanner APIs
 * need a tenant admin, or a service principal allowed by the tenant
 * setting whose app holds no admin-consented Power BI permission
 * (api-facts 3.9); their hourly limits are the tenant's, and a 429 that
 * asks for a longer wait than pbictl makes fails at once.
 */
/* GET admin/groups, every page of 5000, with $expand (or NULL). */
const struct pbi_err	*pb_admin_groups(struct pbi_svc *, const char *expand,
			    struct json_object **out);
const struct pbi_err	*pb_admin_capacities(struct pbi_svc *,
			    struct json_object **out);
/* Every profile of the tenant, each with its servicePrincipalId. */
const struct pbi_err	*pb_admin_profiles(struct pbi_svc *,
			    struct json_object **out);
const struct pbi_err	*pb_admin_group_users(struct pbi_svc *,
			    const char *group, struct json_object **out);
/* The workspaces modified since since: a JSON array of {id}. */
const struct pbi_err	*pb_modified_since(struct pbi_svc *, time_t since,
			    struct json_object **out);
/* Start a scan (datasource details) of 1 to 100 workspace ids. */
const struct pbi_err	*pb_scan_start(struct pbi_svc *,
			    struct json_object *ids, struct json_object **out);
const struct pbi_err	*pb_scan_status(struct pbi_svc *, const char *scan,
			    struct json_object **out);
const struct pbi_err	*pb_scan_result(struct pbi_svc *, const char *scan,
			    struct json_object **out);
/* Every workspace profile (NULL: the principal) can see. */
const struct pbi_err	*pb_groups(struct pbi_svc *, const char *profile,
			    struct json_object **out);
/* Every profile of the calling service principal. */
const struct pbi_err	*pb_profiles(struct pbi_svc *,
			    struct json_object **out);

/*
 * The probes, as profile: may it read group's reports; may it have an
 * embed token for report (never kept)?  *how says; an answer that says
 * neither is the error returned.
 */
enum pb_probe {
	PB_PROBE_REFUSED,
	PB_PROBE_ALLOWED,
	PB_PROBE_UNKNOWN
};
const struct pbi_err	*pb_probe_read(struct pbi_svc *, const char *profile,
			    const char *group, enum pb_probe *how);
const struct pbi_err	*pb_probe_token(struct pbi_svc *,
			    const char *profile, const char *report,
			    enum pb_probe *how);

/*
 * Embed tokens (api-facts 3.7).  The answer {token, tokenId, expiration}
 * holds a secret: wipe it with pbi_json_wipe_put.  In a dry run nothing
 * is sent and *out is NULL.  req is the request body (borrowed).
 */
/* V2: POST /GenerateToken over reports, datasets, target workspaces. */
const struct pbi_err	*pb_embed_token(struct pbi_svc *, const char *profile,
			    struct json_object *req, struct json_object **out);
/* V1: a dashboard of group, or one of its tiles (tile NULL: none). */
const struct pbi_err	*pb_embed_token_v1(struct pbi_svc *,
			    const char *profile, const char *group,
			    const char *dashboard, const char *tile,
			    struct json_object *req, struct json_object **out);
/* The dashboards of a workspace, and the tiles of one. */
const struct pbi_err	*pb_dashboards(struct pbi_svc *, const char *profile,
			    const char *group, struct json_object **out);
const struct pbi_err	*pb_tiles(struct pbi_svc *, const char *profile,
			    const char *group, const char *dashboard,
			    struct json_object **out);

#endif /* PBI_POWERBI_H */
