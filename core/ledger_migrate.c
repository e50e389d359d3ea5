/*
 * ledger_migrate.c: the plan and progress of a migration from Workspace
 * Collections (migrations_map, migrate_reports; pbictl-ledger(5)).
 */
#include "core.h"
#include "ledger_int.h"

/* Roll back after err, keeping err. */
static const struct pbi_err *
rollback(struct pbi_ledger *l, const struct pbi_err *err)
{
	struct pbi_err	 saved;

	pbi_err_copy(&saved, err);
	db_exec(l, "ROLLBACK");
	return pbi_err_restore(&saved);
}

const struct pbi_err *
pbi_ledger_migrate_plan(struct pbi_ledger *l, struct json_object *plan)
{
	const struct pbi_err	*err;
	struct json_object	*w, *r, *a;
	size_t			 i;

	if ((err = db_exec(l, "BEGIN IMMEDIATE")) != NULL)
		return err;
	a = pj_arr(plan, "workspaces");
	for (i = 0; err == NULL && i < pj_len(a); i++) {
		w = pj_idx(a, i);
		err = db_run(l, "cannot record the migration plan",
		    "INSERT INTO migrations_map (collection, "
		    "legacy_workspace_id, legacy_report_id, customer, "
		    "display_name, subscription, resource_group) VALUES "
		    "(?1, ?2, '', ?3, ?4, ?5, ?6) ON CONFLICT (collection, "
		    "legacy_workspace_id, legacy_report_id) DO UPDATE SET "
		    "customer = excluded.customer, display_name = "
		    "excluded.display_name, subscription = "
		    "excluded.subscription, resource_group = "
		    "excluded.resource_group", "ssssss",
		    pj_str(w, "collection"), pj_str(w, "workspaceId"),
		    pj_str(w, "customer"), pj_str(w, "displayName"),
		    pj_str(w, "subscription"), pj_str(w, "resourceGroup"));
	}
	a = pj_arr(plan, "reports");
	for (i = 0; err == NULL && i < pj_len(a); i++) {
		r = pj_idx(a, i);
		err = db_run(l, "cannot record the migration plan",
		    "INSERT INTO migrate_reports (collection, "
		    "legacy_workspace_id, legacy_report_id, legacy_dataset_id, "
		    "customer, name, target_name, class, state, reason) VALUES "
		    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT "
		    "(collection, legacy_workspace_id, legacy_report_id) DO "
		    "UPDATE SET legacy_dataset_id = "
		    "excluded.legacy_dataset_id, "
		    "customer = excluded.customer, name = excluded.name, "
		    "target_name = excluded.target_name, class = "
		    "excluded.class, state = CASE WHEN migrate_reports.state "
		    "IN ('planned', 'skipped', 'failed') THEN excluded.state "
		    "ELSE migrate_reports.state END, reason = CASE WHEN "
		    "migrate_reports.state IN ('planned', 'skipped', 'failed') "
		    "THEN excluded.reason ELSE migrate_reports.reason END, "
		    "updated_at = excluded.updated_at", "ssssssssss",
		    pj_str(r, "collection"), pj_str(r, "workspaceId"),
		    pj_str(r, "reportId"), pj_str(r, "datasetId"),
		    pj_str(r, "customer"), pj_str(r, "name"),
		    pj_str(r, "targetName"), pj_str(r, "class"),
		    pj_str(r, "state"), pj_str(r, "reason"));
	}
	if (err == NULL && (err = db_exec(l, "COMMIT")) == NULL)
		return NULL;
	return rollback(l, err);
}

const struct pbi_err *
pbi_ledger_migrate_workspaces(struct pbi_ledger *l, struct json_object **out)
{
	return db_rows(l, "cannot read the migration plan", out,
	    "SELECT collection, legacy_workspace_id AS \"workspaceId\", customer, "
	    "display_name AS \"displayName\", subscription, resource_group AS "
	    "\"resourceGroup\" FROM migrations_map WHERE legacy_report_id = '' "
	    "AND customer IS NOT NULL ORDER BY customer, collection, "
	    "legacy_workspace_id", "");
}

const struct pbi_err *
pbi_ledger_migrate_reports(struct pbi_ledger *l, const char *customer,
    struct json_object **out)
{
	return db_rows(l, "cannot read the migration plan", out,
	    "SELECT collection, legacy_workspace_id AS \"workspaceId\", "
	    "legacy_report_id AS \"reportId\", legacy_dataset_id AS \"datasetId\", "
	    "customer, name, target_name AS \"targetName\", class, state, "
	    "reason, sha256, staged_path AS \"stagedPath\", workspace_id AS "
	    "\"newWorkspaceId\", report_id AS \"newReportId\", dataset_id AS "
	    "\"newDatasetId\", updated_at AS \"updatedAt\" FROM migrate_reports "
	    "WHERE ?1 IS NULL OR customer = ?1 ORDER BY customer, "
	    "target_name", "s", customer);
}

const struct pbi_err *
pbi_ledger_migrate_set(struct pbi_ledger *l, const char *collection,
    const char *workspace, const char *report,
    const struct pbi_migrate_step *s)
{
	return db_run(l, "cannot record a migration step",
	    "UPDATE migrate_reports SET state = ?4, reason = ?5, "
	    "sha256 = COALESCE(?6, sha256), staged_path = COALESCE(?7, "
	    "staged_path), workspace_id = COALESCE(?8, workspace_id), "
	    "report_id = COALESCE(?9, report_id), dataset_id = COALESCE(?10, "
	    "dataset_id), updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
	    "WHERE collection = ?1 AND legacy_workspace_id = ?2 AND "
	    "legacy_report_id = ?3", "ssssssssss", collection, workspace,
	    report, s->state, s->reason, s->sha256, s->staged_path,
	    s->workspace_id, s->report_id, s->dataset_id);
}
