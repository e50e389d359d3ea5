/*
 * ledger_copy.c: one ledger into another, between backends: every row
 * of every table, in one transaction on each side, then each table's
 * count compared.
 */
#include "core.h"
#include "ledger_int.h"

#include <string.h>

/*
 * The tables, references after their targets; serial says that its id
 * is generated (PostgreSQL's identity is moved past the copied ids).  A
 * migration that adds a table adds it here.
 */
static const struct {
	const char	*name;
	const char	*order;
	int		 serial;
} tables[] = {
	{ "settings",		"key",			0 },
	{ "customers",		"id",			1 },
	{ "profiles",		"id",			0 },
	{ "workspaces",		"id",			0 },
	{ "reports",		"id",			0 },
	{ "grants",		"id",			0 },
	{ "migrations_map",	"id",			1 },
	{ "journal",		"id",			1 },
	{ "customer_admins",	"customer_id, upn",	0 },
	{ "datasets",		"id",			0 },
	{ "datasources",	"dataset_id, target",	0 },
	{ "audits",		"id",			1 },
	{ "audit_findings",	"audit_id, key",	0 },
	{ "audit_scans",	"workspace_id",		0 },
	{ "migrate_reports",	"collection, legacy_workspace_id, legacy_report_id", 0 },
};
#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

/* The number of rows of table i in *n. */
static const struct pbi_err *
count(struct pbi_ledger *l, size_t i, long *n)
{
	char	 sql[128];

	/* The name is ours, from the table above. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i].name);
	return db_long(l, sql, n);
}

/* Copy table i's rows; in *n how many. */
static const struct pbi_err *
copy_table(struct pbi_ledger *from, struct pbi_ledger *to, size_t i,
    long *n)
{
	const struct pbi_err	*err;
	struct json_object	*rows = NULL;
	char			 sql[160];
	size_t			 k;

	*n = 0;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY %s",
	    tables[i].name, tables[i].order);
	if ((err = db_rows(from, "cannot read the ledger", &rows, sql, "")) !=
	    NULL)
		return err;
	for (k = 0; err == NULL && k < pj_len(rows); k++)
		err = db_insert(to, tables[i].name, pj_idx(rows, k));
	*n = (long)pj_len(rows);
	json_object_put(rows);
	if (err != NULL || !tables[i].serial || !db_is_pg(to))
		return err;
	/* New rows of the target number on from the copied ones. */
	snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence("
	    "'%s', 'id'), coalesce(max(id), 0) + 1, false) FROM %s",
	    tables[i].name, tables[i].name);
	return db_exec(to, sql);
}

const struct pbi_err *
pbi_ledger_copy(struct pbi_ledger *from, struct pbi_ledger *to,
    struct json_object **counts)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*o;
	struct pbi_err		 saved;
	long			 n, m;
	size_t			 i;

	*counts = NULL;
	for (i = 0; i < NTABLES; i++) {
		if ((err = count(to, i, &n)) != NULL)
			return err;
		if (n != 0)
			return pbi_err(PBI_ERR_REFUSED, "ledger '%s' is not "
			    "empty (%ld rows in %s): copy only into a new "
			    "ledger", pbi_ledger_path(to), n, tables[i].name);
	}
	if ((o = json_object_new_object()) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	/* One snapshot of the source; the target all or nothing. */
	if ((err = db_exec(from, db_sql(from, "BEGIN", "BEGIN ISOLATION "
	    "LEVEL REPEATABLE READ READ ONLY"))) != NULL)
		goto fail;
	if ((err = db_exec(to, "BEGIN IMMEDIATE")) != NULL) {
		pbi_err_copy(&saved, err);
		db_exec(from, "ROLLBACK");
		err = pbi_err_restore(&saved);
		goto fail;
	}
	for (i = 0; err == NULL && i < NTABLES; i++) {
		if ((err = copy_table(from, to, i, &n)) != NULL)
			break;
		if ((err = count(to, i, &m)) == NULL && m != n)
			err = pbi_err(PBI_ERR_LEDGER, "copied %ld rows of %s "
			    "but ledger '%s' has %ld", n, tables[i].name,
			    pbi_ledger_path(to), m);
		pj_add_int(o, tables[i].name, n);
	}
	if (err == NULL && (err = db_exec(to, "COMMIT")) == NULL) {
		db_exec(from, "COMMIT");
		*counts = o;
		return NULL;
	}
	pbi_err_copy(&saved, err);
	db_exec(to, "ROLLBACK");
	db_exec(from, "ROLLBACK");
	err = pbi_err_restore(&saved);
fail:
	json_object_put(o);
	return err;
}
