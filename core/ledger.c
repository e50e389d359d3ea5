/*
 * ledger.c: the SQLite ledger: open, migrate, settings, status, export,
 * journal and verify.  Prepared statements only.
 */
#include "core.h"
#include "ledger_int.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pbi_ledger {
	sqlite3	*db;
	char	*path;
	int	 created;
};

int
pbi_ledger_schema(void)
{
	return pbi_nmigrations;
}

static const struct pbi_err *
db_err(sqlite3 *db, const char *what)
{
	return pbi_err(PBI_ERR_LEDGER, "%s: %s", what, sqlite3_errmsg(db));
}

/* Run one statement without parameters or results. */
static const struct pbi_err *
exec1(sqlite3 *db, const char *sql)
{
	char	*msg = NULL;
	const struct pbi_err *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err = pbi_err(PBI_ERR_LEDGER, "%s", msg ? msg :
		    sqlite3_errmsg(db));
		sqlite3_free(msg);
	}
	return err;
}

/* A one-integer query (a PRAGMA); -1 in *v when there is no row. */
static const struct pbi_err *
query_int(sqlite3 *db, const char *sql, long *v)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	*v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(db, sql);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(db, sql);
	return NULL;
}

const struct pbi_err *
pbi_ledger_migrate(sqlite3 *db, const struct pbi_migration *m, int n)
{
	const struct pbi_err	*err;
	long			 have;
	int			 i;
	char			 sql[64];

	if ((err = query_int(db, "PRAGMA user_version", &have)) != NULL)
		return err;
	if (have > n)
		return pbi_err(PBI_ERR_LEDGER, "schema version %ld is newer "
		    "than this pbictl knows (%d): upgrade pbictl", have, n);
	for (i = (int)have; i < n; i++) {
		if (m[i].version != i + 1)
			return pbi_err(PBI_ERR_LEDGER, "migration %s is out "
			    "of order", m[i].name);
		if ((err = exec1(db, "BEGIN IMMEDIATE")) != NULL)
			return pbi_err_ctx(err, "cannot apply %s", m[i].name);
		err = exec1(db, m[i].sql);
		if (err == NULL && i == 0) {
			snprintf(sql, sizeof(sql), "PRAGMA application_id=%d",
			    PBI_LEDGER_APPID);
			err = exec1(db, sql);
		}
		if (err == NULL) {
			/* A PRAGMA takes no parameter: the number is ours. */
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
			    m[i].version);
			err = exec1(db, sql);
		}
		if (err == NULL)
			err = exec1(db, "COMMIT");
		if (err != NULL) {
			struct pbi_err	 saved;

			pbi_err_copy(&saved, err);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			err = pbi_err(PBI_ERR_LEDGER, "cannot apply %s: %s",
			    m[i].name, saved.msg);
			return err;
		}
	}
	return NULL;
}

/*
 * Look at an existing file without changing a byte: is it a pbictl
 * ledger (or an empty file), and one this binary can use?  *fresh is set
 * for an empty file.
 */
static const struct pbi_err *
inspect(const char *path, int *fresh)
{
	const struct pbi_err	*err = NULL;
	sqlite3			*db = NULL;
	long			 appid, ver, ntab;
	struct stat		 sb;

	*fresh = 0;
	if (stat(path, &sb) == -1)
		return pbi_err_errno("cannot open ledger '%s'", path);
	if (!S_ISREG(sb.st_mode))
		return pbi_err(PBI_ERR_LEDGER, "'%s' is not a pbictl ledger "
		    "(not a regular file)", path);
	if (sb.st_size == 0) {
		*fresh = 1;
		return NULL;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		err = pbi_err(PBI_ERR_LEDGER, "cannot open ledger '%s': %s",
		    path, db ? sqlite3_errmsg(db) : "out of memory");
		goto done;
	}
	if (query_int(db, "PRAGMA application_id", &appid) != NULL ||
	    query_int(db, "PRAGMA user_version", &ver) != NULL ||
	    query_int(db, "SELECT count(*) FROM sqlite_master", &ntab) !=
	    NULL) {
		err = pbi_err(PBI_ERR_LEDGER, "'%s' is not a pbictl ledger "
		    "(%s)", path, sqlite3_errmsg(db));
		goto done;
	}
	if (appid == 0 && ver == 0 && ntab == 0) {
		*fresh = 1;
		goto done;
	}
	if (appid != PBI_LEDGER_APPID) {
		err = pbi_err(PBI_ERR_LEDGER, "'%s' is not a pbictl ledger "
		    "(application id %#lx)", path, (unsigned long)appid);
		goto done;
	}
	if (ver > pbi_nmigrations)
		err = pbi_err(PBI_ERR_LEDGER, "ledger '%s' has schema version "
		    "%ld, newer than this pbictl knows (%d): upgrade pbictl; "
		    "the file was not changed", path, ver, pbi_nmigrations);
done:
	sqlite3_close(db);
	return err;
}

const struct pbi_err *
pbi_ledger_open(const char *path, int flags, struct pbi_ledger **out)
{
	const struct pbi_err	*err = NULL;
	struct pbi_ledger	*l = NULL;
	int			 fd, fresh = 0, created = 0;

	*out = NULL;
	if (access(path, F_OK) == -1) {
		if (errno != ENOENT)
			return pbi_err_errno("cannot open ledger '%s'", path);
		if (!(flags & PBI_LEDGER_CREATE))
			return pbi_err(PBI_ERR_CONFIG, "no ledger at '%s': "
			    "run 'pbictl init' first, or name one with "
			    "--ledger", path);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1)
			return pbi_err_errno("cannot create ledger '%s'", path);
		close(fd);
		created = 1;
	} else if ((err = inspect(path, &fresh)) != NULL)
		return err;
	if (fresh && !(flags & PBI_LEDGER_CREATE))
		return pbi_err(PBI_ERR_CONFIG, "ledger '%s' is empty: run "
		    "'pbictl init' first", path);

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->path = strdup(path)) == NULL) {
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		goto fail;
	}
	l->created = created || fresh;
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		err = pbi_err(PBI_ERR_LEDGER, "cannot open ledger '%s': %s",
		    path, l->db ? sqlite3_errmsg(l->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(l->db, 10000);
	sqlite3_extended_result_codes(l->db, 1);
	if ((err = exec1(l->db, "PRAGMA foreign_keys=ON")) != NULL ||
	    (err = exec1(l->db, "PRAGMA journal_mode=WAL")) != NULL ||
	    (err = exec1(l->db, "PRAGMA synchronous=NORMAL")) != NULL ||
	    (err = pbi_ledger_migrate(l->db, pbi_migrations,
	    pbi_nmigrations)) != NULL) {
		err = pbi_err_ctx(err, "ledger '%s'", path);
		goto fail;
	}
	*out = l;
	return NULL;
fail:
	pbi_ledger_close(l);
	if (created)
		unlink(path);
	return err;
}

void
pbi_ledger_close(struct pbi_ledger *l)
{
	if (l == NULL)
		return;
	sqlite3_close(l->db);
	free(l->path);
	free(l);
}

const char *
pbi_ledger_path(const struct pbi_ledger *l)
{
	return l->path;
}

int
pbi_ledger_created(const struct pbi_ledger *l)
{
	return l->created;
}

/* Prepare sql or raise an error naming it. */
static const struct pbi_err *
prep(struct pbi_ledger *l, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(l->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_err(l->db, "cannot prepare a ledger query");
	return NULL;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

const struct pbi_err *
pbi_ledger_get(struct pbi_ledger *l, const char *key, char **val)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;
	const char		*v;
	int			 rc;

	*val = NULL;
	if ((err = prep(l, "SELECT value FROM settings WHERE key = ?1",
	    &st)) != NULL)
		return err;
	bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		if (v != NULL && (*val = strdup(v)) == NULL)
			err = pbi_err(PBI_ERR_NOMEM, "out of memory");
	} else if (rc != SQLITE_DONE)
		err = db_err(l->db, "cannot read a setting");
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_set(struct pbi_ledger *l, const char *key, const char *val)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	if ((err = prep(l, "INSERT INTO settings (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
	    "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
	    "WHERE value IS NOT excluded.value", &st)) != NULL)
		return err;
	bind_text(st, 1, key);
	bind_text(st, 2, val);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_err(l->db, "cannot write a setting");
	sqlite3_finalize(st);
	return err;
}

/* The current row of st as a JSON object of its columns. */
static struct json_object *
row_json(sqlite3_stmt *st)
{
	struct json_object	*o;
	int			 i, n = sqlite3_column_count(st);
	const char		*name;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		name = sqlite3_column_name(st, i);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			pj_add_int(o, name, sqlite3_column_int64(st, i));
			break;
		case SQLITE_FLOAT:
			pj_add(o, name, json_object_new_double(
			    sqlite3_column_double(st, i)));
			break;
		case SQLITE_NULL:
			pj_add(o, name, NULL);
			break;
		default:
			pj_add_str(o, name,
			    (const char *)sqlite3_column_text(st, i));
			break;
		}
	}
	return o;
}

/* Every row of a prepared st (parameters bound) as a JSON array. */
static const struct pbi_err *
rows_json(struct pbi_ledger *l, sqlite3_stmt *st, struct json_object **out)
{
	struct json_object	*a;
	int			 rc;

	*out = NULL;
	if ((a = json_object_new_array()) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_array_add(a, row_json(st));
	if (rc != SQLITE_DONE) {
		json_object_put(a);
		return db_err(l->db, "cannot read the ledger");
	}
	*out = a;
	return NULL;
}

/* Rows of a constant query without parameters. */
static const struct pbi_err *
query_json(struct pbi_ledger *l, const char *sql, struct json_object **out)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	if ((err = prep(l, sql, &st)) != NULL)
		return err;
	err = rows_json(l, st, out);
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_settings(struct pbi_ledger *l, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*rows = NULL, *o, *r;
	size_t			 i;

	*out = NULL;
	if ((err = query_json(l, "SELECT key, value FROM settings ORDER BY "
	    "key", &rows)) != NULL)
		return err;
	if ((o = json_object_new_object()) == NULL) {
		json_object_put(rows);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < json_object_array_length(rows); i++) {
		r = json_object_array_get_idx(rows, i);
		pj_add_str(o, pj_str(r, "key"), pj_str(r, "value"));
	}
	json_object_put(rows);
	*out = o;
	return NULL;
}

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
	if ((err = query_int(l->db, "PRAGMA user_version", &v)) != NULL)
		goto done;
	pj_add_int(o, "schemaVersion", v);
	pj_add_int(o, "binarySchemaVersion", pbi_nmigrations);
	if ((err = query_int(l->db, "PRAGMA application_id", &v)) != NULL)
		goto done;
	pj_add_int(o, "applicationId", v);
	pj_add(o, "counts", counts);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if ((err = query_int(l->db, tables[i].count, &v)) != NULL)
			goto done;
		pj_add_int(counts, tables[i].name, v);
	}
	if ((err = query_int(l->db, "SELECT count(*) FROM customers WHERE "
	    "status = 'active'", &v)) != NULL)
		goto done;
	pj_add_int(o, "activeCustomers", v);
	if ((err = query_int(l->db, "SELECT count(*) FROM journal WHERE "
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

const struct pbi_err *
pbi_ledger_export(struct pbi_ledger *l, struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*o, *v = NULL;
	size_t			 i;

	*out = NULL;
	if ((o = json_object_new_object()) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	pj_add_int(o, "schemaVersion", pbi_nmigrations);
	if ((err = pbi_ledger_settings(l, &v)) != NULL)
		goto done;
	pj_add(o, "settings", v);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if ((err = query_json(l, tables[i].all, &v)) != NULL)
			goto done;
		pj_add(o, tables[i].name, v);
	}
done:
	if (err != NULL)
		json_object_put(o);
	else
		*out = o;
	return err;
}

const struct pbi_err *
pbi_ledger_log(struct pbi_ledger *l, const char *slug, long limit,
    struct json_object **out)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	if ((err = prep(l, "SELECT * FROM (SELECT j.id, j.run_id AS run, "
	    "c.slug AS customer, j.step, j.target, j.state, j.result, "
	    "j.http_status AS status, j.request_id, j.error, j.started_at, "
	    "j.finished_at FROM journal j LEFT JOIN customers c "
	    "ON c.id = j.customer_id WHERE ?1 IS NULL OR c.slug = ?1 "
	    "ORDER BY j.id DESC LIMIT ?2) ORDER BY id", &st)) != NULL)
		return err;
	bind_text(st, 1, slug);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	err = rows_json(l, st, out);
	sqlite3_finalize(st);
	return err;
}

/* Each invariant: a query whose rows are findings (columns check, detail). */
static const struct {
	const char	*severity;
	const char	*sql;
} invariants[] = {
	{ "error", "SELECT 'one-active-workspace', 'customer ''' || c.slug || "
	  "''' has ' || count(*) || ' active workspaces' FROM workspaces w "
	  "JOIN customers c ON c.id = w.customer_id WHERE w.state = 'active' "
	  "GROUP BY w.customer_id HAVING count(*) > 1" },
	{ "error", "SELECT 'one-active-profile', 'customer ''' || c.slug || "
	  "''' has ' || count(*) || ' active profiles' FROM profiles p "
	  "JOIN customers c ON c.id = p.customer_id WHERE p.state = 'active' "
	  "GROUP BY p.customer_id HAVING count(*) > 1" },
	{ "error", "SELECT 'workspace-profile-owner', 'workspace ' || w.id || "
	  "' of customer ''' || cw.slug || ''' is tied to profile ' || p.id || "
	  "' of customer ''' || cp.slug || '''' FROM workspaces w "
	  "JOIN profiles p ON p.id = w.profile_id "
	  "JOIN customers cw ON cw.id = w.customer_id "
	  "JOIN customers cp ON cp.id = p.customer_id "
	  "WHERE p.customer_id <> w.customer_id" },
	{ "warning", "SELECT 'removed-customer-active', 'removed customer ''' "
	  "|| c.slug || ''' still has active workspace ' || w.id || "
	  "' (kept with --keep-workspace?)' "
	  "FROM workspaces w JOIN customers c ON c.id = w.customer_id "
	  "WHERE c.status = 'removed' AND w.state = 'active'" },
	{ "warning", "SELECT 'removed-customer-profile', 'removed customer ''' "
	  "|| c.slug || ''' still has active profile ' || p.id || "
	  "' (kept with --keep-workspace?)' "
	  "FROM profiles p JOIN customers c ON c.id = p.customer_id "
	  "WHERE c.status = 'removed' AND p.state = 'active'" },
	{ "error", "SELECT 'report-in-deleted-workspace', 'report ' || r.id || "
	  "' (' || r.name || ') is in deleted workspace ' || w.id "
	  "FROM reports r JOIN workspaces w ON w.id = r.workspace_id "
	  "WHERE w.state = 'deleted'" },
	{ "error", "SELECT 'migration-owner', 'migrated item ' || m.collection "
	  "|| '/' || m.legacy_workspace_id || ' points at workspace ' || "
	  "w.id || ' of another customer' FROM migrations_map m "
	  "JOIN workspaces w ON w.id = m.workspace_id "
	  "WHERE m.customer_id IS NOT NULL AND w.customer_id <> m.customer_id" },
	{ "warning", "SELECT 'active-without-workspace', 'active customer ''' "
	  "|| c.slug || ''' has no active workspace' FROM customers c "
	  "WHERE c.status = 'active' AND NOT EXISTS (SELECT 1 FROM "
	  "workspaces w WHERE w.customer_id = c.id AND w.state = 'active')" },
	{ "warning", "SELECT 'open-intent', 'step ' || j.step || ' on ' || "
	  "coalesce(j.target, '-') || ' started ' || j.started_at || "
	  "' has no outcome (an interrupted run: re-run to reconcile)' "
	  "FROM journal j WHERE j.state = 'intent'" },
};

static void
finding(struct json_object *a, const char *sev, const char *check,
    const char *detail)
{
	struct json_object	*f = json_object_new_object();

	pj_add_str(f, "severity", sev);
	pj_add_str(f, "check", check);
	pj_add_str(f, "detail", detail);
	json_object_array_add(a, f);
}

const struct pbi_err *
pbi_ledger_verify(struct pbi_ledger *l, struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*a;
	sqlite3_stmt		*st = NULL;
	struct stat		 sb;
	const char		*s;
	char			 buf[256];
	long			 v;
	size_t			 i;
	int			 rc;

	*out = NULL;
	if ((a = json_object_new_array()) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	if ((err = prep(l, "PRAGMA integrity_check", &st)) != NULL)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		if (s != NULL && strcmp(s, "ok") != 0)
			finding(a, "error", "integrity", s);
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((err = prep(l, "PRAGMA foreign_key_check", &st)) != NULL)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(buf, sizeof(buf), "row %lld of %s refers to a "
		    "missing %s row", (long long)sqlite3_column_int64(st, 1),
		    sqlite3_column_text(st, 0), sqlite3_column_text(st, 2));
		finding(a, "error", "foreign-key", buf);
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((err = query_int(l->db, "PRAGMA user_version", &v)) != NULL)
		goto done;
	if (v != pbi_nmigrations) {
		snprintf(buf, sizeof(buf), "schema version %ld, expected %d",
		    v, pbi_nmigrations);
		finding(a, "error", "schema-version", buf);
	}
	if ((err = query_int(l->db, "PRAGMA application_id", &v)) != NULL)
		goto done;
	if (v != PBI_LEDGER_APPID)
		finding(a, "error", "application-id", "not a pbictl ledger");
	if (stat(l->path, &sb) == 0 && (sb.st_mode & 077) != 0) {
		snprintf(buf, sizeof(buf), "mode %04o: others may read the "
		    "ledger (chmod 600 '%s')", (unsigned)(sb.st_mode & 07777),
		    l->path);
		finding(a, "warning", "file-mode", buf);
	}
	for (i = 0; i < sizeof(invariants) / sizeof(invariants[0]); i++) {
		if ((err = prep(l, invariants[i].sql, &st)) != NULL)
			goto done;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			finding(a, invariants[i].severity,
			    (const char *)sqlite3_column_text(st, 0),
			    (const char *)sqlite3_column_text(st, 1));
		if (rc != SQLITE_DONE) {
			err = db_err(l->db, "cannot verify the ledger");
			goto done;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
done:
	sqlite3_finalize(st);
	if (err != NULL)
		json_object_put(a);
	else
		*out = a;
	return err;
}

const struct pbi_err *
pbi_ledger_intent(struct pbi_ledger *l, const char *run_id,
    int64_t customer_id, const char *step, const char *target, int64_t *id)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	/* RETURNING: other threads insert on this connection too. */
	if ((err = prep(l, "INSERT INTO journal (run_id, customer_id, step, "
	    "target) VALUES (?1, ?2, ?3, ?4) RETURNING id", &st)) != NULL)
		return err;
	bind_text(st, 1, run_id);
	if (customer_id > 0)
		sqlite3_bind_int64(st, 2, customer_id);
	else
		sqlite3_bind_null(st, 2);
	bind_text(st, 3, step);
	bind_text(st, 4, target);
	if (sqlite3_step(st) != SQLITE_ROW)
		err = db_err(l->db, "cannot journal a step");
	else
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_done(struct pbi_ledger *l, int64_t id, const char *state,
    const char *result, const struct pbi_err *failure)
{
	const struct pbi_err	*err;
	struct pbi_err		 f;
	sqlite3_stmt		*st = NULL;
	char			 msg[1024];

	pbi_err_copy(&f, failure);
	if ((err = prep(l, "UPDATE journal SET state = ?2, result = ?3, "
	    "http_status = ?4, request_id = ?5, error = ?6, finished_at = "
	    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
	    &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, state);
	bind_text(st, 3, result);
	if (failure != NULL) {
		if (f.status != 0)
			sqlite3_bind_int64(st, 4, f.status);
		bind_text(st, 5, f.request_id[0] ? f.request_id : NULL);
		bind_text(st, 6, pbi_err_str(&f, msg, sizeof(msg)));
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_err(l->db, "cannot journal an outcome");
	sqlite3_finalize(st);
	st = NULL;
	if (err != NULL || (strcmp(state, "ok") != 0 &&
	    strcmp(state, "adopted") != 0))
		return err;
	/* This step is done: intents an interrupted run left are settled. */
	if ((err = prep(l, "UPDATE journal SET state = 'skipped', error = "
	    "'superseded by journal entry ' || ?1, finished_at = "
	    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE state = 'intent' "
	    "AND id < ?1 AND (step, target) = (SELECT step, target FROM "
	    "journal WHERE id = ?1) AND customer_id IS (SELECT customer_id "
	    "FROM journal WHERE id = ?1)", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_err(l->db, "cannot settle earlier intents");
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_grant_put(struct pbi_ledger *l, const char *id, const char *client,
    const char *resource, const char *resource_app, const char *consent,
    const char *principal, const char *scope)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	if ((err = prep(l, "INSERT INTO grants (id, client_id, resource_id, "
	    "resource_app_id, consent_type, principal_id, scope) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET "
	    "scope = excluded.scope, updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", &st)) != NULL)
		return err;
	bind_text(st, 1, id);
	bind_text(st, 2, client);
	bind_text(st, 3, resource);
	bind_text(st, 4, resource_app);
	bind_text(st, 5, consent);
	bind_text(st, 6, principal);
	bind_text(st, 7, scope);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_err(l->db, "cannot record a grant");
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_grant_del(struct pbi_ledger *l, const char *id)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	if ((err = prep(l, "DELETE FROM grants WHERE id = ?1", &st)) != NULL)
		return err;
	bind_text(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_err(l->db, "cannot forget a grant");
	sqlite3_finalize(st);
	return err;
}

/* Copy column i of st into dst (empty for NULL). */
static void
col(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const char	*v = (const char *)sqlite3_column_text(st, i);

	pbi_strlcpy(dst, v ? v : "", len);
}

const struct pbi_err *
pbi_ledger_customer(struct pbi_ledger *l, const char *slug,
    struct pbi_customer *c, int *found)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	*found = 0;
	memset(c, 0, sizeof(*c));
	if ((err = prep(l, "SELECT c.id, c.slug, c.display_name, c.status, "
	    "(SELECT p.id FROM profiles p WHERE p.customer_id = c.id AND "
	    "p.state = 'active'), w.id, w.name, w.capacity_id "
	    "FROM customers c LEFT JOIN workspaces w ON w.customer_id = c.id "
	    "AND w.state = 'active' WHERE c.slug = ?1", &st)) != NULL)
		return err;
	bind_text(st, 1, slug);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c->id = sqlite3_column_int64(st, 0);
		col(st, 1, c->slug, sizeof(c->slug));
		col(st, 2, c->display_name, sizeof(c->display_name));
		col(st, 3, c->status, sizeof(c->status));
		col(st, 4, c->profile_id, sizeof(c->profile_id));
		col(st, 5, c->workspace_id, sizeof(c->workspace_id));
		col(st, 6, c->workspace_name, sizeof(c->workspace_name));
		col(st, 7, c->capacity_id, sizeof(c->capacity_id));
		*found = 1;
	} else if (rc != SQLITE_DONE)
		err = db_err(l->db, "cannot read a customer");
	sqlite3_finalize(st);
	return err;
}

/* Run a prepared write with up to four text parameters. */
static const struct pbi_err *
write4(struct pbi_ledger *l, const char *sql, const char *a, const char *b,
    const char *c, const char *d, const char *what)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	if ((err = prep(l, sql, &st)) != NULL)
		return err;
	bind_text(st, 1, a);
	bind_text(st, 2, b);
	bind_text(st, 3, c);
	bind_text(st, 4, d);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_err(l->db, what);
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_customer_add(struct pbi_ledger *l, const char *slug,
    const char *display_name, struct pbi_customer *c)
{
	const struct pbi_err	*err;
	int			 found;

	if ((err = write4(l, "INSERT INTO customers (slug, display_name) "
	    "VALUES (?1, ?2) ON CONFLICT (slug) DO UPDATE SET "
	    "display_name = coalesce(?3, display_name), "
	    "status = CASE status WHEN 'removed' THEN 'pending' "
	    "ELSE status END, removed_at = NULL, updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", slug, display_name ?
	    display_name : slug, display_name, NULL,
	    "cannot record a customer")) != NULL)
		return err;
	if ((err = pbi_ledger_customer(l, slug, c, &found)) == NULL && !found)
		err = pbi_err(PBI_ERR_LEDGER, "customer '%s' vanished", slug);
	return err;
}

const struct pbi_err *
pbi_ledger_customer_status(struct pbi_ledger *l, int64_t id,
    const char *status)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	if ((err = prep(l, "UPDATE customers SET status = ?2, updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), removed_at = CASE ?2 "
	    "WHEN 'removed' THEN coalesce(removed_at, "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) ELSE removed_at END "
	    "WHERE id = ?1", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, status);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_err(l->db, "cannot set a customer's status");
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_customers(struct pbi_ledger *l, int with_removed,
    struct json_object **out)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	if ((err = prep(l, "SELECT c.slug AS customer, c.display_name AS "
	    "displayName, c.status, (SELECT p.id FROM profiles p WHERE "
	    "p.customer_id = c.id AND p.state = 'active') AS profileId, "
	    "w.id AS workspaceId, w.name AS workspaceName, w.capacity_id AS "
	    "capacityId, (SELECT count(*) FROM reports r WHERE "
	    "r.workspace_id = w.id) AS reports, c.created_at AS createdAt, "
	    "c.removed_at AS removedAt FROM customers c LEFT JOIN workspaces w "
	    "ON w.customer_id = c.id AND w.state = 'active' WHERE ?1 OR "
	    "c.status <> 'removed' ORDER BY c.slug", &st)) != NULL)
		return err;
	sqlite3_bind_int(st, 1, with_removed);
	err = rows_json(l, st, out);
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_reports(struct pbi_ledger *l, const char *workspace_id,
    struct json_object **out)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	if ((err = prep(l, "SELECT id, name, dataset_id AS datasetId, sha256, "
	    "version, import_id AS importId, published_at AS publishedAt "
	    "FROM reports WHERE workspace_id = ?1 ORDER BY name", &st)) !=
	    NULL)
		return err;
	bind_text(st, 1, workspace_id);
	err = rows_json(l, st, out);
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_profile_put(struct pbi_ledger *l, int64_t customer, const char *id,
    const char *name)
{
	char	 cid[32];

	snprintf(cid, sizeof(cid), "%lld", (long long)customer);
	return write4(l, "INSERT INTO profiles (id, customer_id, display_name) "
	    "VALUES (?1, CAST(?2 AS INTEGER), ?3) ON CONFLICT (id) DO UPDATE "
	    "SET state = 'active', deleted_at = NULL", id, cid, name, NULL,
	    "cannot record a profile");
}

const struct pbi_err *
pbi_ledger_profile_gone(struct pbi_ledger *l, const char *id)
{
	return write4(l, "UPDATE profiles SET state = 'deleted', deleted_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1", id, NULL,
	    NULL, NULL, "cannot record a deleted profile");
}

const struct pbi_err *
pbi_ledger_workspace_put(struct pbi_ledger *l, int64_t customer,
    const char *id, const char *name, const char *profile)
{
	char	 cid[32];

	snprintf(cid, sizeof(cid), "%lld", (long long)customer);
	return write4(l, "INSERT INTO workspaces (id, customer_id, name, "
	    "profile_id) VALUES (?1, CAST(?2 AS INTEGER), ?3, ?4) "
	    "ON CONFLICT (id) DO UPDATE SET state = 'active', deleted_at = "
	    "NULL, name = excluded.name", id, cid, name, profile,
	    "cannot record a workspace");
}

const struct pbi_err *
pbi_ledger_workspace_capacity(struct pbi_ledger *l, const char *id,
    const char *capacity)
{
	return write4(l, "UPDATE workspaces SET capacity_id = ?2, updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1", id,
	    capacity, NULL, NULL, "cannot record a capacity");
}

const struct pbi_err *
pbi_ledger_workspace_gone(struct pbi_ledger *l, const char *id)
{
	const struct pbi_err	*err;

	/* Its reports went with it; the journal keeps their history. */
	if ((err = write4(l, "DELETE FROM reports WHERE workspace_id = ?1", id,
	    NULL, NULL, NULL, "cannot forget a workspace's reports")) != NULL)
		return err;
	return write4(l, "UPDATE workspaces SET state = 'deleted', deleted_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1", id, NULL,
	    NULL, NULL, "cannot record a deleted workspace");
}

const struct pbi_err *
pbi_ledger_report_put(struct pbi_ledger *l, const char *workspace,
    const char *id, const char *dataset, const char *name,
    const char *sha256, const char *import_id)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	/* One row per (workspace, name): a new version replaces it. */
	if ((err = prep(l, "INSERT INTO reports (id, workspace_id, dataset_id, "
	    "name, sha256, import_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT (workspace_id, name) DO UPDATE SET id = excluded.id, "
	    "dataset_id = excluded.dataset_id, import_id = excluded.import_id, "
	    "version = version + (sha256 <> excluded.sha256), sha256 = "
	    "excluded.sha256, published_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", &st)) != NULL)
		return err;
	bind_text(st, 1, id);
	bind_text(st, 2, workspace);
	bind_text(st, 3, dataset);
	bind_text(st, 4, name);
	bind_text(st, 5, sha256);
	bind_text(st, 6, import_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_err(l->db, "cannot record a report");
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_journaled(struct pbi_ledger *l, const char *step,
    const char *target, int prefix, int *yes)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	*yes = 0;
	/* A create refused with 409 was someone else's name, not ours. */
	if ((err = prep(l, "SELECT 1 FROM journal WHERE step = ?1 AND "
	    "(target = ?2 OR (?3 AND substr(target, 1, length(?2)) = ?2)) "
	    "AND NOT (state = 'failed' AND http_status = 409) LIMIT 1",
	    &st)) != NULL)
		return err;
	bind_text(st, 1, step);
	bind_text(st, 2, target);
	sqlite3_bind_int(st, 3, prefix);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*yes = 1;
	else if (rc != SQLITE_DONE)
		err = db_err(l->db, "cannot read the journal");
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_settle(struct pbi_ledger *l, const char *step, const char *target,
    const char *result)
{
	return write4(l, "UPDATE journal SET state = 'adopted', result = ?3, "
	    "finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE "
	    "state = 'intent' AND step = ?1 AND target = ?2", step, target,
	    result, NULL, "cannot settle a journal entry");
}

const struct pbi_err *
pbi_ledger_open_intent(struct pbi_ledger *l, const char *step,
    const char *target, int64_t *id, char *note, size_t len)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	*id = 0;
	note[0] = '\0';
	if ((err = prep(l, "SELECT id, result FROM journal WHERE step = ?1 "
	    "AND target = ?2 AND state = 'intent' ORDER BY id DESC LIMIT 1",
	    &st)) != NULL)
		return err;
	bind_text(st, 1, step);
	bind_text(st, 2, target);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		col(st, 1, note, len);
	} else if (rc != SQLITE_DONE)
		err = db_err(l->db, "cannot read the journal");
	sqlite3_finalize(st);
	return err;
}

const struct pbi_err *
pbi_ledger_note(struct pbi_ledger *l, int64_t id, const char *note)
{
	const struct pbi_err	*err;
	sqlite3_stmt		*st = NULL;

	if (id == 0)
		return NULL;
	if ((err = prep(l, "UPDATE journal SET result = ?2 WHERE id = ?1",
	    &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, note);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = db_err(l->db, "cannot note a journal entry");
	sqlite3_finalize(st);
	return err;
}
