/*
 * ledger_audit.c: what the isolation audit reads from the ledger and
 * records in it: each customer's admins and datasource targets, the
 * ledger's own view of who owns what, every audit with its findings,
 * and the scanner's last word on each workspace.
 */
#include "core.h"
#include "ledger_int.h"

#include <stdlib.h>
#include <string.h>

const struct pbi_err *
pbi_ledger_admin_put(struct pbi_ledger *l, int64_t customer, const char *upn)
{
	return db_run(l, "cannot record an admin", db_sql(l,
	    "INSERT OR IGNORE INTO customer_admins (customer_id, upn) "
	    "VALUES (?1, ?2)",
	    "INSERT INTO customer_admins (customer_id, upn) "
	    "VALUES (?1, ?2) ON CONFLICT DO NOTHING"), "Is", customer, upn);
}

const struct pbi_err *
pbi_ledger_datasources_put(struct pbi_ledger *l, const char *workspace,
    const char *dataset, struct json_object *sources)
{
	const struct pbi_err	*err;
	const char		*list = pj_text(sources, 0);

	/*
	 * Statements of their own, each atomic (other jobs share the
	 * connection, so no transaction): the new sources first, then the
	 * old ones go; a failure between leaves more, never fewer.
	 */
	if ((err = db_run(l, "cannot record a dataset",
	    "INSERT INTO datasets (id, workspace_id) VALUES (?1, ?2) "
	    "ON CONFLICT (id) DO UPDATE SET workspace_id = "
	    "excluded.workspace_id, recorded_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", "ss", dataset,
	    workspace)) != NULL)
		return err;
	if ((err = db_run(l, "cannot record datasources", db_sql(l,
	    "INSERT OR IGNORE INTO datasources (dataset_id, datasource_type, "
	    "server, database, target) SELECT ?1, "
	    "coalesce(json_extract(value, '$.datasourceType'), ''), "
	    "coalesce(json_extract(value, '$.server'), ''), "
	    "coalesce(json_extract(value, '$.database'), ''), "
	    "json_extract(value, '$.target') FROM json_each(?2) "
	    "WHERE json_extract(value, '$.target') IS NOT NULL",
	    "INSERT INTO datasources (dataset_id, datasource_type, "
	    "server, database, target) SELECT ?1, "
	    "coalesce(e.value->>'datasourceType', ''), "
	    "coalesce(e.value->>'server', ''), "
	    "coalesce(e.value->>'database', ''), e.value->>'target' "
	    "FROM json_array_elements(CAST(?2 AS json)) AS e(value) "
	    "WHERE e.value->>'target' IS NOT NULL ON CONFLICT DO NOTHING"),
	    "ss", dataset, list)) != NULL)
		return err;
	return db_run(l, "cannot record datasources", db_sql(l,
	    "DELETE FROM datasources WHERE dataset_id = ?1 AND target NOT IN "
	    "(SELECT json_extract(value, '$.target') FROM json_each(?2) "
	    "WHERE json_extract(value, '$.target') IS NOT NULL)",
	    "DELETE FROM datasources WHERE dataset_id = ?1 AND target NOT IN "
	    "(SELECT e.value->>'target' FROM json_array_elements(CAST(?2 AS "
	    "json)) AS e(value) WHERE e.value->>'target' IS NOT NULL)"), "ss",
	    dataset, list);
}

/*
 * Objects two customers' rows share (kind, id, customer, other,
 * detail), in SQL both backends run.
 */
#define SHARED_SQL \
    /* One object under ids that differ only in case. */ \
    "  SELECT 'workspace' AS kind, w.id AS id, c.slug AS customer," \
    "  c2.slug AS other, 'workspace ' || w.id || ' is recorded for" \
    " customer ''' || c2.slug || ''' too' AS detail" \
    "  FROM workspaces w JOIN customers c ON c.id = w.customer_id" \
    "  JOIN workspaces w2 ON lower(w2.id) = lower(w.id)" \
    "  AND w2.customer_id <> w.customer_id" \
    "  JOIN customers c2 ON c2.id = w2.customer_id" \
    "  WHERE lower(w.id) IN (SELECT lower(id) FROM workspaces" \
    "  GROUP BY lower(id) HAVING count(DISTINCT customer_id) > 1)" \
    "  UNION ALL SELECT 'profile', p.id, c.slug, c2.slug, 'profile ' ||" \
    "  p.id || ' is recorded for customer ''' || c2.slug || ''' too'" \
    "  FROM profiles p JOIN customers c ON c.id = p.customer_id" \
    "  JOIN profiles p2 ON lower(p2.id) = lower(p.id)" \
    "  AND p2.customer_id <> p.customer_id" \
    "  JOIN customers c2 ON c2.id = p2.customer_id" \
    "  WHERE lower(p.id) IN (SELECT lower(id) FROM profiles" \
    "  GROUP BY lower(id) HAVING count(DISTINCT customer_id) > 1)" \
    /* A workspace tied to another customer's profile. */ \
    "  UNION ALL SELECT 'profile', p.id, cw.slug, cp.slug, 'its workspace" \
    " ' || w.id || ' is recorded as created by profile ' || p.id ||" \
    "  ', the profile of customer ''' || cp.slug || ''''" \
    "  FROM workspaces w JOIN profiles p ON p.id = w.profile_id" \
    "  JOIN customers cw ON cw.id = w.customer_id" \
    "  JOIN customers cp ON cp.id = p.customer_id" \
    "  WHERE p.customer_id <> w.customer_id" \
    /* A migrated item pointing at another customer's workspace. */ \
    "  UNION ALL SELECT 'workspace', w.id, cm.slug, cw.slug, 'its migrated" \
    " item ' || m.collection || '/' || m.legacy_workspace_id || ' is" \
    " recorded in workspace ' || w.id || ' of customer ''' || cw.slug ||" \
    "  '''' FROM migrations_map m JOIN workspaces w" \
    "  ON w.id = m.workspace_id JOIN customers cw ON cw.id = w.customer_id" \
    "  JOIN customers cm ON cm.id = m.customer_id" \
    "  WHERE m.customer_id IS NOT NULL AND w.customer_id <> m.customer_id"

/*
 * The ledger as the audit sees it, in one statement so that it is one
 * consistent read: a single row holding one JSON document.
 */
static const char view_sql[] =
    "SELECT json_object("
    "'customers', (SELECT json_group_array(json_object("
    "  'slug', c.slug, 'status', c.status,"
    "  'workspace', json((SELECT json_object('id', w.id, 'name', w.name,"
    "    'capacityId', w.capacity_id) FROM workspaces w"
    "    WHERE w.customer_id = c.id AND w.state = 'active')),"
    "  'profile', json((SELECT json_object('id', p.id, 'name',"
    "    p.display_name) FROM profiles p"
    "    WHERE p.customer_id = c.id AND p.state = 'active')),"
    "  'admins', json((SELECT json_group_array(a.upn)"
    "    FROM customer_admins a WHERE a.customer_id = c.id)),"
    "  'reports', json((SELECT json_group_array(json_object('id', r.id,"
    "    'name', r.name, 'datasetId', r.dataset_id)) FROM reports r"
    "    JOIN workspaces w ON w.id = r.workspace_id"
    "    WHERE w.customer_id = c.id AND w.state = 'active')),"
    "  'datasets', json((SELECT json_group_array(json_object('id', d.id,"
    "    'recordedAt', d.recorded_at, 'datasources',"
    "    json((SELECT json_group_array(json_object('datasourceType',"
    "      s.datasource_type, 'server', s.server, 'database', s.database,"
    "      'target', s.target)) FROM datasources s"
    "      WHERE s.dataset_id = d.id))))"
    "    FROM datasets d JOIN workspaces w ON w.id = d.workspace_id"
    "    WHERE w.customer_id = c.id AND w.state = 'active'))"
    ")) FROM (SELECT * FROM customers ORDER BY slug) c),"
    "'workspaces', (SELECT json_group_array(json_object('id', w.id,"
    "  'customer', c.slug, 'state', w.state, 'name', w.name))"
    "  FROM workspaces w JOIN customers c ON c.id = w.customer_id),"
    "'profiles', (SELECT json_group_array(json_object('id', p.id,"
    "  'customer', c.slug, 'state', p.state))"
    "  FROM profiles p JOIN customers c ON c.id = p.customer_id),"
    "'targets', (SELECT json_group_array(json_object('target', t.target,"
    "  'customer', t.slug)) FROM (SELECT DISTINCT s.target AS target,"
    "  c.slug AS slug FROM datasources s JOIN datasets d"
    "  ON d.id = s.dataset_id JOIN workspaces w ON w.id = d.workspace_id"
    "  JOIN customers c ON c.id = w.customer_id) t),"
    "'shared', (SELECT json_group_array(json_object('kind', x.kind,"
    "  'id', x.id, 'customer', x.customer, 'other', x.other, 'detail',"
    "  x.detail)) FROM (" SHARED_SQL ") x))";

/* The same for PostgreSQL, whose JSON functions have other names. */
static const char view_pg_sql[] =
    "SELECT json_build_object("
    "'customers', (SELECT coalesce(json_agg(json_build_object("
    "  'slug', c.slug, 'status', c.status,"
    "  'workspace', (SELECT json_build_object('id', w.id, 'name', w.name,"
    "    'capacityId', w.capacity_id) FROM workspaces w"
    "    WHERE w.customer_id = c.id AND w.state = 'active'),"
    "  'profile', (SELECT json_build_object('id', p.id, 'name',"
    "    p.display_name) FROM profiles p"
    "    WHERE p.customer_id = c.id AND p.state = 'active'),"
    "  'admins', (SELECT coalesce(json_agg(a.upn), '[]')"
    "    FROM customer_admins a WHERE a.customer_id = c.id),"
    "  'reports', (SELECT coalesce(json_agg(json_build_object('id', r.id,"
    "    'name', r.name, 'datasetId', r.dataset_id)), '[]') FROM reports r"
    "    JOIN workspaces w ON w.id = r.workspace_id"
    "    WHERE w.customer_id = c.id AND w.state = 'active'),"
    "  'datasets', (SELECT coalesce(json_agg(json_build_object('id', d.id,"
    "    'recordedAt', d.recorded_at, 'datasources',"
    "    (SELECT coalesce(json_agg(json_build_object('datasourceType',"
    "      s.datasource_type, 'server', s.server, 'database', s.database,"
    "      'target', s.target)), '[]') FROM datasources s"
    "      WHERE s.dataset_id = d.id))), '[]')"
    "    FROM datasets d JOIN workspaces w ON w.id = d.workspace_id"
    "    WHERE w.customer_id = c.id AND w.state = 'active')"
    ") ORDER BY c.slug), '[]') FROM customers c),"
    "'workspaces', (SELECT coalesce(json_agg(json_build_object('id', w.id,"
    "  'customer', c.slug, 'state', w.state, 'name', w.name)), '[]')"
    "  FROM workspaces w JOIN customers c ON c.id = w.customer_id),"
    "'profiles', (SELECT coalesce(json_agg(json_build_object('id', p.id,"
    "  'customer', c.slug, 'state', p.state)), '[]')"
    "  FROM profiles p JOIN customers c ON c.id = p.customer_id),"
    "'targets', (SELECT coalesce(json_agg(json_build_object('target',"
    "  t.target, 'customer', t.slug)), '[]') FROM (SELECT DISTINCT"
    "  s.target AS target, c.slug AS slug FROM datasources s JOIN datasets d"
    "  ON d.id = s.dataset_id JOIN workspaces w ON w.id = d.workspace_id"
    "  JOIN customers c ON c.id = w.customer_id) t),"
    "'shared', (SELECT coalesce(json_agg(json_build_object('kind', x.kind,"
    "  'id', x.id, 'customer', x.customer, 'other', x.other, 'detail',"
    "  x.detail)), '[]') FROM (" SHARED_SQL ") x))";

const struct pbi_err *
pbi_ledger_audit_view(struct pbi_ledger *l, struct json_object **out)
{
	const struct pbi_err	*err;
	struct db_stmt		 q;
	const char		*t;

	*out = NULL;
	if ((err = db_query(&q, l, "cannot read the ledger",
	    db_sql(l, view_sql, view_pg_sql),
	    "")) != NULL)
		return err;
	if (db_row(&q) && (t = db_text(&q, 0)) != NULL &&
	    (*out = pj_parse(t, strlen(t))) == NULL) {
		db_done(&q);
		return pbi_err(PBI_ERR_LEDGER, "cannot read the ledger: "
		    "its audit view is not JSON");
	}
	if ((err = db_done(&q)) != NULL) {
		json_object_put(*out);
		*out = NULL;
		return err;
	}
	if (*out == NULL)
		return pbi_err(PBI_ERR_LEDGER, "cannot read the ledger: no "
		    "audit view");
	return NULL;
}

/* The key that identifies finding f from one audit to the next. */
static void
finding_key(struct json_object *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s|%s|%s|%s", pj_str(f, "rule") ?
	    pj_str(f, "rule") : "", pj_str(f, "customer") ?
	    pj_str(f, "customer") : "", pj_str(f, "workspace") ?
	    pj_str(f, "workspace") : "", pj_str(f, "item") ?
	    pj_str(f, "item") : "");
}

const struct pbi_err *
pbi_ledger_audit_put(struct pbi_ledger *l, struct json_object *summary,
    struct json_object *findings, int64_t *id)
{
	const struct pbi_err	*err;
	struct json_object	*f, *c = pj_obj(summary, "findings");
	struct db_stmt		 q;
	char			 key[1024];
	size_t			 i;

	*id = 0;
	if ((err = db_exec(l, "BEGIN IMMEDIATE")) != NULL)
		return err;
	if ((err = db_query(&q, l, "cannot record the audit",
	    "INSERT INTO audits (started_at, mode, scope, complete, probe, "
	    "customers, critical, errors, warnings, requests) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
	    "sssiiIIIII", pj_str(summary, "startedAt"),
	    pj_str(summary, "mode"), pj_str(summary, "scope"),
	    pj_bool(summary, "complete", 0), pj_bool(summary, "probe", 0),
	    pj_int(summary, "customers", 0), pj_int(c, "critical", 0),
	    pj_int(c, "error", 0), pj_int(c, "warning", 0),
	    pj_int(summary, "requests", 0))) == NULL) {
		if (db_row(&q))
			*id = db_int(&q, 0);
		err = db_done(&q);
	}
	for (i = 0; err == NULL && i < pj_len(findings); i++) {
		f = pj_idx(findings, i);
		finding_key(f, key, sizeof(key));
		err = db_run(l, "cannot record a finding", db_sql(l,
		    "INSERT OR IGNORE INTO audit_findings (audit_id, key, "
		    "rule, severity, customer, workspace, item, detail, "
		    "remedy) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		    "INSERT INTO audit_findings (audit_id, key, "
		    "rule, severity, customer, workspace, item, detail, "
		    "remedy) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
		    "ON CONFLICT DO NOTHING"),
		    "Issssssss", *id, key, pj_str(f, "rule"),
		    pj_str(f, "severity"), pj_str(f, "customer"),
		    pj_str(f, "workspace"), pj_str(f, "item"),
		    pj_str(f, "detail"), pj_str(f, "remedy"));
	}
	if (err == NULL && (err = db_exec(l, "COMMIT")) == NULL)
		return NULL;
	{
		struct pbi_err	 saved;

		pbi_err_copy(&saved, err);
		db_exec(l, "ROLLBACK");
		*id = 0;
		return pbi_err_restore(&saved);
	}
}

const struct pbi_err *
pbi_ledger_audit_prev(struct pbi_ledger *l, const char *scope, int64_t before,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*a = NULL, *o;

	*out = NULL;
	if ((err = db_rows(l, "cannot read the audits", &a,
	    "SELECT id, started_at AS \"startedAt\", mode FROM audits "
	    "WHERE complete = 1 AND scope IS NOT DISTINCT FROM ?1 AND "
	    "(?2 <= 0 OR id < ?2) "
	    "ORDER BY id DESC LIMIT 1", "sI", scope, before)) != NULL)
		return err;
	if (pj_len(a) == 0) {
		json_object_put(a);
		return NULL;
	}
	o = json_object_get(pj_idx(a, 0));
	json_object_put(a);
	a = NULL;
	if ((err = db_rows(l, "cannot read the audits", &a,
	    "SELECT key, rule, severity, customer, workspace, item, detail, "
	    "remedy FROM audit_findings WHERE audit_id = ?1 ORDER BY key",
	    "I", pj_int(o, "id", 0))) != NULL) {
		json_object_put(o);
		return err;
	}
	pj_add(o, "findings", a);
	*out = o;
	return NULL;
}

const struct pbi_err *
pbi_ledger_scans(struct pbi_ledger *l, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*a = NULL, *o, *r;
	const char		*t;
	size_t			 i;

	*out = NULL;
	if ((err = db_rows(l, "cannot read the audit's scans", &a,
	    "SELECT workspace_id AS id, scanned_at AS \"scannedAt\", datasets "
	    "FROM audit_scans", "")) != NULL)
		return err;
	o = json_object_new_object();
	for (i = 0; i < pj_len(a); i++) {
		r = pj_idx(a, i);
		if ((t = pj_str(r, "datasets")) == NULL)
			continue;
		pj_add(r, "datasets", pj_parse(t, strlen(t)));
		if (pj_arr(r, "datasets") != NULL)
			pj_add(o, pj_str(r, "id"), json_object_get(r));
	}
	json_object_put(a);
	*out = o;
	return NULL;
}

const struct pbi_err *
pbi_ledger_scan_put(struct pbi_ledger *l, const char *workspace,
    const char *at, struct json_object *datasets)
{
	return db_run(l, "cannot record a scan",
	    "INSERT INTO audit_scans (workspace_id, scanned_at, datasets) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (workspace_id) DO UPDATE SET "
	    "scanned_at = excluded.scanned_at, datasets = excluded.datasets",
	    "sss", workspace, at, pj_text(datasets, 0));
}
