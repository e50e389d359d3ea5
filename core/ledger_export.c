/*
 * ledger_export.c: the ledger read whole: status, export and the
 * journal's log.
 */
#include "core.h"
#include "ledger_int.h"

#include <stdint.h>

/* The tables, in an order that keeps references after their targets. */
static const struct {
	const char	*name;
	const char	*count;
	const char	*all;
} tables[] = {
	{ "customers", "SELECT count(*) FROM customers",
	  "SELECT * FROM customers ORDER BY id" },
	{ "profiles", "SELECT count(*) FROM profiles",
	  "SELECT * FROM profiles ORDER BY created_at, id" },
	{ "workspaces", "SELECT count(*) FROM workspaces",
	  "SELECT * FROM workspaces ORDER BY created_at, id" },
	{ "reports", "SELECT count(*) FROM reports",
	  "SELECT * FROM reports ORDER BY published_at, id" },
	{ "grants", "SELECT count(*) FROM grants",
	  "SELECT * FROM grants ORDER BY id" },
	{ "migrations_map", "SELECT count(*) FROM migrations_map",
	  "SELECT * FROM migrations_map ORDER BY id" },
	{ "migrate_reports", "SELECT count(*) FROM migrate_reports",
	  "SELECT * FROM migrate_reports ORDER BY collection, "
	  "legacy_workspace_id, legacy_report_id" },
	{ "journal", "SELECT count(*) FROM journal",
	  "SELECT * FROM journal ORDER BY id" },
};

const struct pbi_err *
pbi_ledger_status(struct pbi_ledger *l, struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*o = NULL, *counts;
	long			 v;
	size_t			 i;

	*out = NULL;
	if ((o = json_object_new_object()) == NULL ||
	    (counts = json_object_new_object()) == NULL) {
		json_object_put(o);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	pj_add_str(o, "path", l->path);
	if ((err = db_version(l, &v)) != NULL)
		goto done;
	pj_add_int(o, "schemaVersion", v);
	pj_add_int(o, "binarySchemaVersion", pbi_nmigrations);
	if ((err = db_appid(l, &v)) != NULL)
		goto done;
	pj_add_int(o, "applicationId", v);
	pj_add(o, "counts", counts);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if ((err = db_long(l, tables[i].count, &v)) != NULL)
			goto done;
		pj_add_int(counts, tables[i].name, v);
	}
	if ((err = db_long(l, "SELECT count(*) FROM customers WHERE "
	    "status = 'active'", &v)) != NULL)
		goto done;
	pj_add_int(o, "activeCustomers", v);
	if ((err = db_long(l, "SELECT count(*) FROM journal WHERE "
	    "state = 'intent'", &v)) != NULL)
		goto done;
	pj_add_int(o, "openIntents", v);
done:
	if (err != NULL)
		json_object_put(o);
	else
		*out = o;
	return err;
}

/* Write the rows of sql as the array key of w, one at a time. */
static const struct pbi_err *
export_rows(struct pbi_ledger *l, struct pbi_jsonw *w, const char *key,
    const char *sql)
{
	const struct pbi_err	*err;
	struct json_object	*row;
	struct db_stmt		 q;

	if ((err = db_query(&q, l, "cannot read the ledger", sql,
	    "")) != NULL)
		return err;
	pbi_jsonw_array(w, key);
	while (db_row(&q)) {
		if ((row = db_row_json(&q)) == NULL) {
			db_done(&q);
			return pbi_err(PBI_ERR_NOMEM, "out of memory");
		}
		pbi_jsonw_value(w, NULL, row);
		json_object_put(row);
	}
	if ((err = db_done(&q)) == NULL)
		pbi_jsonw_close(w, 1);
	return err;
}

const struct pbi_err *
pbi_ledger_export(struct pbi_ledger *l, FILE *fp)
{
	const struct pbi_err	*err;
	struct json_object	*settings = NULL, *v;
	struct pbi_jsonw	 w;
	size_t			 i;

	/* The settings first: a failure there writes nothing. */
	if ((err = pbi_ledger_settings(l, &settings)) != NULL)
		return err;
	pbi_jsonw_init(&w, fp);
	pbi_jsonw_object(&w, NULL);
	v = json_object_new_int(pbi_nmigrations);
	pbi_jsonw_value(&w, "schemaVersion", v);
	json_object_put(v);
	pbi_jsonw_value(&w, "settings", settings);
	json_object_put(settings);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if ((err = export_rows(l, &w, tables[i].name,
		    tables[i].all)) != NULL)
			return err;
	pbi_jsonw_close(&w, 0);
	return NULL;
}

const struct pbi_err *
pbi_ledger_log(struct pbi_ledger *l, const char *slug, long limit,
    struct json_object **out)
{
	return db_rows(l, "cannot read the ledger", out,
	    "SELECT * FROM (SELECT j.id, j.run_id AS run, "
	    "c.slug AS customer, j.step, j.target, j.state, j.result, "
	    "j.http_status AS status, j.request_id, j.error, j.started_at, "
	    "j.finished_at FROM journal j LEFT JOIN customers c "
	    "ON c.id = j.customer_id WHERE ?1 IS NULL OR c.slug = ?1 "
	    "ORDER BY j.id DESC LIMIT ?2) AS j ORDER BY id", "sI", slug,
	    (int64_t)(limit > 0 ? limit : INT64_MAX));
}
