/*
 * ledger.h: the ledger of one tenant deployment: a local SQLite file,
 * or a PostgreSQL database a team shares.
 *
 * All SQL stays behind these functions, so that provision/ never sees
 * SQLite or libpq.  Nothing secret is ever
 * stored.  See pbictl-ledger(5) for the schema.
 */
#ifndef PBI_LEDGER_H
#define PBI_LEDGER_H

#include <stdint.h>
#include <stdio.h>

struct json_object;
struct pbi_err;
struct pbi_ledger;

#define PBI_LEDGER_APPID	0x50424931	/* "PBI1" */

#define PBI_LEDGER_CREATE	(1 << 0)	/* create if missing */

/* The schema version this binary produces. */
int			 pbi_ledger_schema(void);

/*
 * For every ledger opened after: trace PostgreSQL connections to stderr
 * (verbose), and how many seconds pbi_ledger_lock waits (lock_wait).
 */
void			 pbi_ledger_configure(int verbose, int lock_wait);
/*
 * Non-zero if s names a PostgreSQL ledger: postgresql://..., 
 * postgres://... or postgres: followed by libpq keywords.
 */
int			 pbi_ledger_is_uri(const char *s);
/*
 * Non-zero for a ledger shared by concurrent runs (PostgreSQL), which
 * locks by customer (pbi_ledger_lock) rather than as a whole.
 */
int			 pbi_ledger_shared(const struct pbi_ledger *);
/*
 * Take the named lock of a shared ledger ("customer:SLUG", "tenant"),
 * waiting up to the configured seconds: *got 1 when taken at once, 2
 * when taken after waiting for another run, 0 when that run still
 * holds it.  Held until pbi_ledger_unlock or the process's end.  A
 * SQLite ledger has its whole-file lock instead: *got is always 1.
 */
const struct pbi_err	*pbi_ledger_lock(struct pbi_ledger *,
			    const char *name, int *got);
const struct pbi_err	*pbi_ledger_unlock(struct pbi_ledger *,
			    const char *name);
/* The seconds pbi_ledger_lock waits. */
int			 pbi_ledger_lock_wait(const struct pbi_ledger *);

/*
 * Open the ledger at path (a file, or a PostgreSQL URI: then refuse
 * one carrying a password): refuse a file that is not a pbictl ledger or
 * whose schema is newer than this binary, leaving it untouched; else
 * apply pending migrations.  With PBI_LEDGER_CREATE a missing file is
 * created with mode 0600.  *out is freed with pbi_ledger_close.
 */
const struct pbi_err	*pbi_ledger_open(const char *path, int flags,
			    struct pbi_ledger **out);
void			 pbi_ledger_close(struct pbi_ledger *);
/* Borrowed. */
const char		*pbi_ledger_path(const struct pbi_ledger *);
/* Non-zero if this open created the ledger. */
int			 pbi_ledger_created(const struct pbi_ledger *);

/* A setting's value in *val (free(3); NULL if unset). */
const struct pbi_err	*pbi_ledger_get(struct pbi_ledger *, const char *key,
			    char **val);
const struct pbi_err	*pbi_ledger_set(struct pbi_ledger *, const char *key,
			    const char *val);
/* Every setting as a JSON object of strings (a new reference). */
const struct pbi_err	*pbi_ledger_settings(struct pbi_ledger *,
			    struct json_object **out);

/* Schema version, application id and row counts (a new reference). */
const struct pbi_err	*pbi_ledger_status(struct pbi_ledger *,
			    struct json_object **out);
/*
 * Write every table to fp as {"schemaVersion":N,"settings":{},
 * "customers":[],...}, row by row as they are read (memory flat in the
 * size of the ledger).  A failure part-way leaves a truncated document
 * on fp; a write error on fp is the caller's to check (ferror).
 */
const struct pbi_err	*pbi_ledger_export(struct pbi_ledger *, FILE *fp);
/*
 * The last limit journal entries (all if limit <= 0), oldest first, for
 * one customer slug or all (NULL), as a JSON array.
 */
const struct pbi_err	*pbi_ledger_log(struct pbi_ledger *,
			    const char *slug, long limit,
			    struct json_object **out);
/*
 * Copy every row of from into to, which must be empty (a new ledger):
 * the journal and the audits included, in one transaction on each side,
 * each table's count compared.  *counts receives {"table": N, ...} (a
 * new reference).  Works between backends both ways.
 */
const struct pbi_err	*pbi_ledger_copy(struct pbi_ledger *from,
			    struct pbi_ledger *to, struct json_object **counts);
/*
 * Integrity and invariants: a JSON array of findings
 * {"severity":"error"|"warning","check":...,"detail":...}.
 */
const struct pbi_err	*pbi_ledger_verify(struct pbi_ledger *,
			    struct json_object **out);

/*
 * Journal a step before its call: state 'intent'.  customer_id 0 for a
 * tenant-wide step.  *id receives the entry's id for pbi_ledger_done.
 */
const struct pbi_err	*pbi_ledger_intent(struct pbi_ledger *,
			    const char *run_id, int64_t customer_id,
			    const char *step, const char *target,
			    int64_t *id);
/* The same with a note (see pbi_ledger_note) in the one write; NULL: none. */
const struct pbi_err	*pbi_ledger_intent_note(struct pbi_ledger *,
			    const char *run_id, int64_t customer_id,
			    const char *step, const char *target,
			    const char *note, int64_t *id);
/*
 * Record the outcome of journal entry id: state 'ok', 'failed',
 * 'adopted' or 'skipped'; result (an object id); request_id, the
 * service's id of the call that did it (NULL if none); and for a
 * failure the error (its HTTP status, request id and message: the
 * failure's request id, when it has one, is recorded instead).
 */
const struct pbi_err	*pbi_ledger_done(struct pbi_ledger *, int64_t id,
			    const char *state, const char *result,
			    const char *request_id,
			    const struct pbi_err *failure);

/* A customer and what the ledger says it owns. */
struct pbi_customer {
	int64_t	 id;
	char	 slug[64];
	char	 display_name[256];
	char	 status[16];
	char	 profile_id[40];	/* active profile, or "" */
	char	 workspace_id[40];	/* active workspace, or "" */
	char	 workspace_name[256];
	char	 capacity_id[40];	/* of the active workspace */
};

/* The customer of slug; *found is 0 when there is none. */
const struct pbi_err	*pbi_ledger_customer(struct pbi_ledger *,
			    const char *slug, struct pbi_customer *c,
			    int *found);
/*
 * Add customer slug (status pending), or find it: a removed customer
 * comes back as pending.  Fills c.
 */
const struct pbi_err	*pbi_ledger_customer_add(struct pbi_ledger *,
			    const char *slug, const char *display_name,
			    struct pbi_customer *c);
/* Set a customer's status (removed also stamps removed_at). */
const struct pbi_err	*pbi_ledger_customer_status(struct pbi_ledger *,
			    int64_t id, const char *status);
/*
 * A row read as it comes: row is borrowed and freed when fn returns; a
 * non-NULL return stops the reading and is returned.
 */
typedef const struct pbi_err *(*pbi_ledger_row_fn)(void *arg,
			    struct json_object *row);
/*
 * Every customer (removed ones too with with_removed) with its
 * workspace, profile, capacity and report count, in slug order, one row
 * at a time to fn: {customer, displayName, status, profileId,
 * workspaceId, workspaceName, capacityId, reports, createdAt,
 * removedAt}.
 */
const struct pbi_err	*pbi_ledger_customers_each(struct pbi_ledger *,
			    int with_removed, pbi_ledger_row_fn fn, void *arg);
/* Every customer as one JSON array of those rows (a new reference). */
const struct pbi_err	*pbi_ledger_customers(struct pbi_ledger *,
			    int with_removed, struct json_object **out);
/*
 * The migration from Workspace Collections (ledger_migrate.c).  Store a
 * plan, in one transaction: plan is {workspaces: [{collection,
 * workspaceId, customer, displayName, subscription, resourceGroup}],
 * reports: [{collection, workspaceId, reportId, datasetId, customer,
 * name, targetName, class, state, reason}]}.  A report already under
 * way (exported, imported, configured, done) keeps its state.
 */
const struct pbi_err	*pbi_ledger_migrate_plan(struct pbi_ledger *,
			    struct json_object *plan);
/* The planned workspaces, and the reports (of customer, or all). */
const struct pbi_err	*pbi_ledger_migrate_workspaces(struct pbi_ledger *,
			    struct json_object **out);
const struct pbi_err	*pbi_ledger_migrate_reports(struct pbi_ledger *,
			    const char *customer, struct json_object **out);
/*
 * Move one report to state (reason may be NULL); the other values, when
 * not NULL, are recorded too.
 */
struct pbi_migrate_step {
	const char	*state;
	const char	*reason;
	const char	*sha256;
	const char	*staged_path;
	const char	*workspace_id;
	const char	*report_id;
	const char	*dataset_id;
};
const struct pbi_err	*pbi_ledger_migrate_set(struct pbi_ledger *,
			    const char *collection, const char *workspace,
			    const char *report,
			    const struct pbi_migrate_step *);
/*
 * The row of customer slug as pbi_ledger_customers_each gives it (a new
 * reference), found by its key; NULL in *out when there is none.
 */
const struct pbi_err	*pbi_ledger_customer_row(struct pbi_ledger *,
			    const char *slug, struct json_object **out);
/*
 * The slug of the customer (other than except) whose recorded reports
 * hold report id (dataset 0) or dataset id (dataset 1), by key, into
 * who ("" when none).
 */
const struct pbi_err	*pbi_ledger_item_owner(struct pbi_ledger *,
			    int dataset, const char *id, const char *except,
			    char *who, size_t len);
/* The reports of a workspace (id, name, dataset_id, sha256, version). */
const struct pbi_err	*pbi_ledger_reports(struct pbi_ledger *,
			    const char *workspace_id,
			    struct json_object **out);

const struct pbi_err	*pbi_ledger_profile_put(struct pbi_ledger *,
			    int64_t customer, const char *id,
			    const char *name);
/* The profile is gone from the service: state deleted. */
const struct pbi_err	*pbi_ledger_profile_gone(struct pbi_ledger *,
			    const char *id);
const struct pbi_err	*pbi_ledger_workspace_put(struct pbi_ledger *,
			    int64_t customer, const char *id,
			    const char *name, const char *profile);
const struct pbi_err	*pbi_ledger_workspace_capacity(struct pbi_ledger *,
			    const char *id, const char *capacity);
const struct pbi_err	*pbi_ledger_workspace_gone(struct pbi_ledger *,
			    const char *id);
/*
 * Record a published report: a new name is version 1; a new file under
 * the same name (another sha256) is the next version.
 */
const struct pbi_err	*pbi_ledger_report_put(struct pbi_ledger *,
			    const char *workspace, const char *id,
			    const char *dataset, const char *name,
			    const char *sha256, const char *import_id);
/*
 * Did an earlier run of this ledger journal an intent on target for step
 * (so that an object of that name found on the service is ours)?  With
 * prefix, any target that starts with target counts.  A create the
 * service refused with 409 is no such evidence.
 */
const struct pbi_err	*pbi_ledger_journaled(struct pbi_ledger *,
			    const char *step, const char *target, int prefix,
			    int *yes);

/*
 * Has this ledger journalled any step on target for step and customer
 * (0: tenant-wide), whatever its outcome?  *yes 1 if so.  A create
 * never attempted needs no lookup before it.
 */
const struct pbi_err	*pbi_ledger_attempted(struct pbi_ledger *,
			    int64_t customer_id, const char *step,
			    const char *target, int *yes);

/*
 * A re-run found what an interrupted one started: its open intents on
 * step and target become 'adopted' with result.
 */
const struct pbi_err	*pbi_ledger_settle(struct pbi_ledger *,
			    const char *step, const char *target,
			    const char *result);

/*
 * The newest open intent ('intent', no outcome) on step and target: *id
 * (0 if none) and its result so far into note.
 */
const struct pbi_err	*pbi_ledger_open_intent(struct pbi_ledger *,
			    const char *step, const char *target, int64_t *id,
			    char *note, size_t len);
/* Set an open intent's result before its outcome (an import's id). */
const struct pbi_err	*pbi_ledger_note(struct pbi_ledger *, int64_t id,
			    const char *note);

/* Record a grant as last seen on Graph (insert or replace). */
const struct pbi_err	*pbi_ledger_grant_put(struct pbi_ledger *,
			    const char *id, const char *client,
			    const char *resource, const char *resource_app,
			    const char *consent, const char *principal,
			    const char *scope);
const struct pbi_err	*pbi_ledger_grant_del(struct pbi_ledger *,
			    const char *id);

/*
 * The isolation audit's side of the ledger (ledger_audit.c,
 * pbictl-audit(1)).
 */

/* Record upn as an admin configured for customer's workspace. */
const struct pbi_err	*pbi_ledger_admin_put(struct pbi_ledger *,
			    int64_t customer, const char *upn);
/*
 * Record what dataset (of workspace) connects to, as its publish found
 * it: sources (borrowed) is an array of {datasourceType, server,
 * database, target}; it replaces what was recorded for the dataset.
 */
const struct pbi_err	*pbi_ledger_datasources_put(struct pbi_ledger *,
			    const char *workspace, const char *dataset,
			    struct json_object *sources);
/*
 * What the audit compares the service with, in one read (a new
 * reference): {"customers": [{slug, status, workspace, profile, admins,
 * reports, datasets: [{id, recordedAt, datasources}]}], "workspaces" and
 * "profiles": every row ever recorded ({id, customer, state}),
 * "targets": [{target, customer}], "shared": [{kind, id, customer,
 * other, detail}] (an object customer's rows share with other's)}.
 */
const struct pbi_err	*pbi_ledger_audit_view(struct pbi_ledger *,
			    struct json_object **out);
/*
 * Record an audit: summary {startedAt, mode, scope, complete, probe,
 * customers, requests, findings: {critical, error, warning}} and its
 * findings (both borrowed).  *id receives the audit's id.
 */
const struct pbi_err	*pbi_ledger_audit_put(struct pbi_ledger *,
			    struct json_object *summary,
			    struct json_object *findings, int64_t *id);
/*
 * The latest complete audit of scope (NULL: every customer) before audit
 * before (0: the latest of all), as {id, startedAt, mode, findings:
 * [{key, rule, ...}]}, or NULL in *out when there is none.
 */
const struct pbi_err	*pbi_ledger_audit_prev(struct pbi_ledger *,
			    const char *scope, int64_t before,
			    struct json_object **out);
/* The scanner's last answers: {workspaceId: {scannedAt, datasets}}. */
const struct pbi_err	*pbi_ledger_scans(struct pbi_ledger *,
			    struct json_object **out);
const struct pbi_err	*pbi_ledger_scan_put(struct pbi_ledger *,
			    const char *workspace, const char *at,
			    struct json_object *datasets);

#endif /* PBI_LEDGER_H */
