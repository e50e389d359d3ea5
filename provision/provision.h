/*
 * provision.h: the workflows.  Included first by every provision/ file
 * and by cmd/: everything a command needs comes through here.
 */
#ifndef PBI_PROVISION_H
#define PBI_PROVISION_H

#include "core/core.h"

/* The ledger settings, by key. */
#define PBI_SET_TENANT		"tenant_id"
#define PBI_SET_CLIENT		"client_id"
#define PBI_SET_CLOUD		"cloud"
#define PBI_SET_CAPACITY	"capacity_id"
#define PBI_SET_TEMPLATE	"name_template"
#define PBI_SET_ISOLATION	"isolation"

/*
 * Check value for setting key.  Returns NULL if it is acceptable, else a
 * PBI_ERR_INPUT error that says what is expected.
 */
const struct pbi_err	*pbi_setting_check(const char *key,
			    const char *value);
/* The default for key, or NULL if it has none.  Borrowed. */
const char		*pbi_setting_default(const char *key);

/* The clouds pbictl knows, NULL-terminated.  Borrowed. */
extern const char *const pbi_clouds[];

/* Settings pbictl records itself (not set by init). */
#define PBI_SET_SP		"sp_object_id"
#define PBI_SET_APP		"app_object_id"

/* What a workflow works with: the services, the ledger, one run id. */
struct pbi_prov {
	struct pbi_svc		*svc;		/* borrowed */
	struct pbi_ledger	*ledger;	/* borrowed */
	int			 dry_run;
	int			 quiet;
	int			 lock_customers; /* on a shared ledger, each
						    customer under its lock
						    (pbi_each_customer) */
	char			 run_id[40];
	/* The deployment's settings, by pbi_prov_load. */
	int			 profiles;	/* isolation mode profile */
	char			 template[256];
	char			 capacity[40];	/* the default, or "" */
	struct json_object	*capacities;	/* cached list */
	void			*lock;		/* for the cache */
	/* poll.c: how long each kind of wait takes, this run (ms). */
	int64_t			 async_ms[2];
};

void			 pbi_prov_init(struct pbi_prov *, struct pbi_svc *,
			    struct pbi_ledger *, int dry_run);
/* Read the deployment's settings from the ledger. */
const struct pbi_err	*pbi_prov_load(struct pbi_prov *);
void			 pbi_prov_release(struct pbi_prov *);
/*
 * Journal the intent of a mutating step before its call (nothing in a
 * dry run: *jid is then 0), and its outcome after: state "ok", "adopted",
 * "failed" or "skipped", result the object id, failure the error (left
 * in this thread's error slot, whatever journalling does).
 */
const struct pbi_err	*prov_begin(struct pbi_prov *, int64_t customer,
			    const char *step, const char *target,
			    int64_t *jid);
/* The same with a note on the intent, written with it (NULL: none). */
const struct pbi_err	*prov_begin_note(struct pbi_prov *, int64_t customer,
			    const char *step, const char *target,
			    const char *note, int64_t *jid);
const struct pbi_err	*prov_end(struct pbi_prov *, int64_t jid,
			    const char *state, const char *result,
			    const struct pbi_err *failure);

/* sp ensure. */
struct pbi_sp_opts {
	const char	*app_id;	/* default: the ledger's client id */
	const char	*create_app;	/* also the app registration */
	const char	*new_secret_file; /* addPassword, secret written 0600 */
	const char	*certificate;	/* PEM certificate to upload */
	const char	*security_group; /* add the SP to it */
};
const struct pbi_err	*pbi_sp_ensure(struct pbi_prov *,
			    const struct pbi_sp_opts *,
			    struct json_object **out);
const struct pbi_err	*pbi_sp_show(struct pbi_prov *,
			    struct json_object **out);

/* grant ensure | list | revoke. */
struct pbi_grant_opts {
	const char	*powerbi_scopes;	/* space-separated, or NULL */
	const char	*graph_scopes;
	const char	*consent;		/* "all" or "user:UPN" */
	const char	*revoke;		/* scopes to remove */
	int		 powerbi;		/* revoke/list: which resources */
	int		 graph;
};
#define PBI_DEFAULT_PBI_SCOPES						\
	"Dataset.ReadWrite.All Dashboard.Read.All Report.Read.All "	\
	"Group.Read Group.Read.All Content.Create Metadata.View_Any "	\
	"Dataset.Read.All Data.Alter_Any"
#define PBI_DEFAULT_GRAPH_SCOPES	"User.Read Directory.AccessAsUser.All"

const struct pbi_err	*pbi_grant_ensure(struct pbi_prov *,
			    const struct pbi_grant_opts *,
			    struct json_object **out);
const struct pbi_err	*pbi_grant_list(struct pbi_prov *,
			    struct json_object **out);
const struct pbi_err	*pbi_grant_revoke(struct pbi_prov *,
			    const struct pbi_grant_opts *,
			    struct json_object **out);

/* Customers: onboarding, publishing, capacity, offboarding. */
struct pbi_report_file {
	const char	*path;
	char		 name[256];	/* the report's name in the service */
	const unsigned char *data;	/* the package, mapped */
	size_t		 len;
	char		 sha256[65];
};

struct pbi_cust_opts {
	const char		 *display_name;
	const char *const	 *admins;	/* UPNs made workspace admins */
	size_t			  nadmins;
	const char		 *capacity;	/* assign to it, or NULL */
	struct pbi_report_file	 *files;	/* publish these */
	size_t			  nfiles;
	struct json_object	 *params;	/* [{name,newValue}], or NULL */
	struct json_object	 *credentials;	/* credentialDetails, or NULL */
	int			  refresh;
	int			  keep_workspace; /* remove */
	struct json_object	 *rows;		/* by slug, each customer's
						   {displayName, admin} (from
						   a CSV), or NULL */
	int			  existing;	/* only customers with a
						   workspace already */
	const struct pbi_token_opts *token;	/* token --all */
	const void		 *ctx;		/* a workflow's own (migrate) */
};

/* Non-zero if slug is a valid customer name: [a-z0-9-], 1..63. */
int			 pbi_slug_ok(const char *slug);
/* The workspace (and profile) name of slug, from the template. */
void			 pbi_ws_name(const struct pbi_prov *, const char *slug,
			    char *buf, size_t len);
/*
 * Read and check the package at path: refused unless a .pbix; name is the
 * report name (NULL: the file's base name without .pbix).
 */
const struct pbi_err	*pbi_report_file_load(struct pbi_report_file *,
			    const char *path, const char *name);
void			 pbi_report_file_release(struct pbi_report_file *);
/* Refuse a capacity that is missing, not Active or not assignable. */
const struct pbi_err	*pbi_capacity_check(struct pbi_prov *,
			    const char *capacity);
/* The capacities the principal may assign (a new reference). */
const struct pbi_err	*pbi_capacity_list(struct pbi_prov *,
			    struct json_object **out);

/*
 * One customer's pipeline: ledger row, profile, workspace, admins,
 * capacity, reports, as o asks.  Each step is journalled and reconciled;
 * res (an object) receives what was done.
 */
const struct pbi_err	*pbi_customer_onboard(struct pbi_prov *,
			    const char *slug, const struct pbi_cust_opts *o,
			    struct json_object *res);
/* Offboard: delete the workspace (unless kept) and the profile. */
const struct pbi_err	*pbi_customer_remove(struct pbi_prov *,
			    const char *slug, const struct pbi_cust_opts *o,
			    struct json_object *res);

/*
 * Run fn for each of the n slugs on jobs threads.  *out receives one
 * result object per slug, in order ({customer, status, error, ...});
 * *failed the number that failed.  Progress goes to stderr when it is a
 * terminal.  jobs 0 (PBI_JOBS_AUTO) chooses: PBI_JOBS_START threads at
 * first, then, each time a customer is done, as many as the rate budget
 * can feed, ceil(1.25 x rate x seconds per customer / requests per
 * customer) as measured so far, at most PBI_JOBS_MAX.
 */
#define PBI_JOBS_AUTO	0
#define PBI_JOBS_START	4
#define PBI_JOBS_MAX	64
typedef const struct pbi_err *(*pbi_cust_fn)(struct pbi_prov *,
    const char *, const struct pbi_cust_opts *, struct json_object *);
const struct pbi_err	*pbi_each_customer(struct pbi_prov *,
			    const char *const *slugs, size_t n, int jobs,
			    pbi_cust_fn fn, const struct pbi_cust_opts *o,
			    const char *what, struct json_object **out,
			    size_t *failed);

/*
 * The JSON object in secret file path (its mode checked as for every
 * secret) into *out, to be wiped with pbi_json_wipe_put; anything else
 * is "WHAT 'PATH' is not a JSON object SHAPE".
 */
const struct pbi_err	*pbi_secret_json(const char *path, const char *what,
			    const char *shape, struct json_object **out);
/*
 * Datasource credentials from a --credentials-file (mode checked like a
 * secret): {"credentialType": "Basic"|"Windows"|"Key"|"OAuth2"|
 * "Anonymous", "username", "password", "key", "accessToken",
 * "privacyLevel", "encryptedConnection"}.  *out receives the Power BI
 * credentialDetails object (wipe it with pbi_json_wipe_put).
 */
const struct pbi_err	*pbi_credentials_load(const char *path,
			    struct json_object **out);

/*
 * migrate: from the retired Workspace Collections (migrate*.c,
 * pbictl-migrate(1)).
 *
 * The map CSV "workspaceId,customer[,display name]" (a header line
 * starting "workspaceId" is skipped): *out receives [{workspaceId,
 * customer, displayName, line}]; a bad line is an error naming the file
 * and line.
 */
const struct pbi_err	*pbi_migrate_map_load(const char *path,
			    struct json_object **out);
/*
 * The connections file (a secret: mode checked, wipe *out with
 * pbi_json_wipe_put): a JSON object keyed by legacy dataset id, each
 * {connectionString, credentialType (Basic | Windows | Key | OAuth2),
 * username, password | key | accessToken}.  Checked whole: any bad
 * entry is an error naming the file and the dataset id.
 */
const struct pbi_err	*pbi_migrate_connections_load(const char *path,
			    struct json_object **out);
/* What to plan: one collection with its key, or a subscription's. */
struct pbi_migrate_opts {
	const char		*collection;
	const char		*subscription;
	const char		*resource_group;
	const char		*key;		/* secret, borrowed */
	struct json_object	*map;		/* pbi_migrate_map_load */
	/* run */
	const char		*staging;	/* folder of exported .pbix */
	struct json_object	*connections;	/* secret, borrowed */
	const char *const	*customers;	/* only these (NULL: all) */
	size_t			 ncustomers;
	const char		*capacity;
	int			 jobs;
};
/*
 * Enumerate, classify and map; store the plan in the ledger (nothing is
 * written unless every input is good).  *out: {collections, counts,
 * workspaces, reports}.
 */
const struct pbi_err	*pbi_migrate_plan(struct pbi_prov *,
			    const struct pbi_migrate_opts *,
			    struct json_object **out);
/*
 * Move every planned report, one customer per job: export (staged,
 * sha256 kept), onboard, import, connections and credentials.  *out is
 * the per-customer result list, *failed how many failed.
 */
const struct pbi_err	*pbi_migrate_run(struct pbi_prov *,
			    const struct pbi_migrate_opts *,
			    struct json_object **out, size_t *failed);
/* Counts by state and customer, and what was not moved and why. */
const struct pbi_err	*pbi_migrate_status(struct pbi_prov *,
			    struct json_object **out);

/*
 * The same from the object in (borrowed), where naming it in errors
 * ("credentials file 'F'").
 */
const struct pbi_err	*pbi_credentials_details(struct json_object *in,
			    const char *where, struct json_object **out);

/*
 * The customers of a CSV file: [{customer, displayName, admin}].  Any bad
 * line is an error naming the file and line; nothing is returned then.
 */
const struct pbi_err	*pbi_csv_customers(const char *path,
			    struct json_object **out);

/*
 * Refuse data (the file path) unless it is a Power BI package: a zip with
 * [Content_Types].xml and a report or model part.
 */
const struct pbi_err	*pbi_pbix_check(const char *path,
			    const unsigned char *data, size_t len);

/*
 * The isolation audit (audit.c collects, audit_rules.c judges,
 * audit_html.c writes the evidence page; pbictl-audit(1)).  It never
 * changes the tenant; it records each audit in the ledger.
 */
enum pbi_audit_mode {
	PBI_AUDIT_AUTO,		/* admin when the identity may, else ... */
	PBI_AUDIT_ADMIN,	/* the admin and scanner APIs */
	PBI_AUDIT_WORKSPACE	/* each workspace as its profile */
};

struct pbi_audit_opts {
	const char *const	*customers;	/* only these (NULL: all) */
	size_t			 ncustomers;
	enum pbi_audit_mode	 mode;
	int			 probe;		/* --probe */
	int			 diff;		/* --diff */
	int			 jobs;
	const char		*fail_on;	/* severity, for the summary */
};

/*
 * Audit the tenant against the ledger.  *out (a new reference) is
 * {"summary": {...}, "findings": [...], "customers": [...]} and with
 * diff a "diff" {previous, new, resolved}; see pbictl-audit(1) for the
 * schema.  An audit that could not check everything is no error: its
 * summary says complete false and lists what was not checked.
 */
const struct pbi_err	*pbi_audit(struct pbi_prov *,
			    const struct pbi_audit_opts *,
			    struct json_object **out);
/*
 * The rules: the findings of snapshot snap (what the ledger records
 * and the service answered, as audit.c gathers it) as a new array,
 * ordered by customer, severity and rule.  Pure: no I/O.
 */
struct json_object	*pbi_audit_rules(struct json_object *snap);
/* The rank of severity ("critical" 3 ... "warning" 1), 0 if unknown. */
int			 pbi_severity_rank(const char *severity);
/*
 * Write the self-contained HTML evidence page of audit result res to
 * path (a regular file, replaced), for tenant.
 */
const struct pbi_err	*pbi_audit_html(struct json_object *res,
			    const char *path);
/*
 * What a dataset's datasource src connects to, as the ledger records it:
 * {datasourceType, server, database, target} (a new reference), or NULL
 * when src names no connection.  connectionDetails may be a JSON object
 * or a JSON string of one (datasource.c).
 */
struct json_object	*pbi_datasource_target(struct json_object *src);

/*
 * token: an embed token for one customer's items (api-facts 3.7),
 * refused before any GenerateToken call unless every item is the
 * customer's in the ledger and in the service (read as its profile).
 */
#define PBI_TOKEN_MAX_ITEMS	50	/* reports, datasets (api-facts 3.7) */
#define PBI_TOKEN_MAX_ROLES	50
#define PBI_TOKEN_MAX_LIFETIME	1440	/* minutes */

struct pbi_token_opts {
	const char *const	*reports;	/* names or ids */
	size_t			 nreports;
	const char *const	*datasets;	/* ids */
	size_t			 ndatasets;
	int			 all_reports;	/* all the ledger has */
	const char		*dashboard;	/* V1: a dashboard, */
	const char		*tile;		/* or one of its tiles */
	const char		*username;	/* the effective identity */
	const char *const	*roles;
	size_t			 nroles;
	const char		*custom_data;
	const char		*identity_blob;	/* a secret, borrowed */
	long			 lifetime;	/* minutes; 0: as it comes */
	int			 allow_edit;
	int			 allow_save_as;
	int			 create;	/* a report on the dataset */
	int			 xmla_read_only;
};

/*
 * Mint the token for customer slug as o asks.  *out receives the result
 * (customer, workspaceId, token, tokenId, expiration, expiresInMinutes,
 * shortened, reports, datasets, identity, embed configurations); it
 * holds the token: wipe it with pbi_json_wipe_put.  The journal records
 * the items, the identity's username and roles, the token id and the
 * expiry, never the token or an identity blob.
 */
const struct pbi_err	*pbi_token(struct pbi_prov *, const char *slug,
			    const struct pbi_token_opts *o,
			    struct json_object **out);
/*
 * For pbi_each_customer (token --all): a token for all the customer's
 * reports, with o->token's identity and lifetime; res receives what the
 * token is good for (tokenId, expiration, reports), never the token.
 */
const struct pbi_err	*pbi_token_check(struct pbi_prov *,
			    const char *slug, const struct pbi_cust_opts *o,
			    struct json_object *res);

#endif /* PBI_PROVISION_H */
