/*
 * test_ledger.c: the migration runner and the statement helper on
 * :memory:, and the ledger's refusals, invariants and write failures on
 * real files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "core/ledger_int.h"

/* A SQLite ledger of db, for the helpers that take one. */
static struct pbi_ledger *
wrap(sqlite3 *db)
{
	static struct pbi_ledger	 w;

	pbi_ledger_wrap(&w, db);
	return &w;
}

static long
int_query(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	long		 v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
migrations_apply_in_order(void **state)
{
	sqlite3	*db;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_null(pbi_ledger_migrate(wrap(db), pbi_migrations, pbi_nmigrations));
	assert_int_equal(int_query(db, "PRAGMA user_version"),
	    pbi_nmigrations);
	assert_int_equal(int_query(db, "PRAGMA application_id"),
	    PBI_LEDGER_APPID);
	assert_int_equal(int_query(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name IN ('settings', 'customers', "
	    "'profiles', 'workspaces', 'reports', 'grants', "
	    "'migrations_map', 'journal')"), 8);
	/* Again: nothing to do, nothing changes. */
	assert_null(pbi_ledger_migrate(wrap(db), pbi_migrations, pbi_nmigrations));
	assert_int_equal(int_query(db, "PRAGMA user_version"),
	    pbi_nmigrations);
	sqlite3_close(db);
}

static void
failed_migration_rolls_back(void **state)
{
	static const struct pbi_migration m[] = {
		{ 1, "0001_a.sql", "CREATE TABLE a (x);", NULL },
		{ 2, "0002_b.sql", "CREATE TABLE b (x); INSERT INTO nope "
		  "VALUES (1);", NULL },
	};
	const struct pbi_err	*err;
	sqlite3			*db;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	err = pbi_ledger_migrate(wrap(db), m, 2);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "0002_b.sql"));
	assert_int_equal(int_query(db, "PRAGMA user_version"), 1);
	assert_int_equal(int_query(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 'b'"), 0);
	assert_int_equal(int_query(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 'a'"), 1);
	sqlite3_close(db);
}

static void
newer_schema_refused(void **state)
{
	const struct pbi_err	*err;
	sqlite3			*db;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL,
	    NULL, NULL), SQLITE_OK);
	err = pbi_ledger_migrate(wrap(db), pbi_migrations, pbi_nmigrations);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "newer"));
	assert_int_equal(int_query(db, "PRAGMA user_version"), 99);
	sqlite3_close(db);
}

static void
journal_and_invariants(void **state)
{
	struct pbi_ledger	*l = NULL;
	struct json_object	*a = NULL, *log = NULL;
	const struct pbi_err	*err;
	sqlite3			*db;
	char			 path[] = "/tmp/pbictl-test-XXXXXX";
	char			 file[64];
	struct stat		 sb;
	int64_t			 id;
	int			 fd;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/l.db", path);
	assert_non_null(pbi_ledger_open(file, 0, &l));	/* not created */
	assert_null(pbi_ledger_open(file, PBI_LEDGER_CREATE, &l));
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_null(pbi_ledger_verify(l, &a));
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);

	assert_null(pbi_ledger_intent(l, "run1", 0, "sp.create", "app", &id));
	assert_null(pbi_ledger_verify(l, &a));
	assert_int_equal(json_object_array_length(a), 1);
	assert_string_equal(pj_str(json_object_array_get_idx(a, 0), "check"),
	    "open-intent");
	json_object_put(a);
	err = pbi_err(PBI_ERR_HTTP, "cannot create");
	((struct pbi_err *)err)->status = 409;
	snprintf(((struct pbi_err *)err)->request_id, 96, "rid-9");
	assert_null(pbi_ledger_done(l, id, "failed", NULL, NULL, err));
	assert_null(pbi_ledger_log(l, NULL, 10, &log));
	assert_int_equal(json_object_array_length(log), 1);
	assert_string_equal(pj_str(json_object_array_get_idx(log, 0),
	    "request_id"), "rid-9");
	assert_int_equal(pj_int(json_object_array_get_idx(log, 0), "status",
	    0), 409);
	json_object_put(log);

	/* Ownership: an intent is evidence, a 409 refusal is not. */
	int yes;

	assert_null(pbi_ledger_intent(l, "run1", 0, "workspace.create",
	    "cust-x", &id));
	assert_null(pbi_ledger_journaled(l, "workspace.create", "cust-x", 0,
	    &yes));
	assert_true(yes);
	err = pbi_err(PBI_ERR_HTTP, "taken");
	((struct pbi_err *)err)->status = 409;
	assert_null(pbi_ledger_done(l, id, "failed", NULL, NULL, err));
	assert_null(pbi_ledger_journaled(l, "workspace.create", "cust-x", 0,
	    &yes));
	assert_false(yes);
	assert_null(pbi_ledger_journaled(l, "workspace.create", "cust-", 1,
	    &yes));
	assert_false(yes);
	pbi_ledger_close(l);

	/* A workspace tied to another customer's profile is a finding. */
	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "INSERT INTO customers (id, slug, display_name, status) VALUES "
	    "(1, 'a', 'A', 'active'), (2, 'b', 'B', 'removed');"
	    "INSERT INTO profiles (id, customer_id, display_name) VALUES "
	    "('p-a', 1, 'a'), ('p-b', 2, 'b');"
	    "INSERT INTO workspaces (id, customer_id, name, profile_id) "
	    "VALUES ('w-a', 1, 'cust-a', 'p-b');",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(pbi_ledger_open(file, 0, &l));
	assert_null(pbi_ledger_verify(l, &a));
	assert_non_null(strstr(pj_text(a, 0), "workspace-profile-owner"));
	assert_non_null(strstr(pj_text(a, 0), "removed-customer-profile"));
	json_object_put(a);
	pbi_ledger_close(l);

	/* Not a ledger: refused, untouched. */
	fd = open(file, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello, world\n", 13), 13);
	close(fd);
	err = pbi_ledger_open(file, PBI_LEDGER_CREATE, &l);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "not a pbictl ledger"));
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_size, 13);
	unlink(file);
	rmdir(path);
}

/* The statement helper on :memory:: typed binds, rows, refusals. */
static void
helper_binds_and_reads(void **state)
{
	const struct pbi_err	*err;
	struct json_object	*rows = NULL, *r;
	struct db_stmt		 q;
	sqlite3			*db;
	char			 buf[4];
	long			 v;
	int			 n = 0;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_null(db_run(wrap(db), "cannot create", "CREATE TABLE t (s TEXT, "
	    "i INTEGER, big INTEGER, opt INTEGER)", ""));
	assert_null(db_run(wrap(db), "cannot insert", "INSERT INTO t VALUES "
	    "(?1, ?2, ?3, ?4)", "siIN", "it's", 7, (int64_t)1 << 40,
	    (int64_t)0));
	assert_null(db_run(wrap(db), "cannot insert", "INSERT INTO t VALUES "
	    "(?1, ?2, ?3, ?4)", "siIN", NULL, -1, (int64_t)-5,
	    (int64_t)9));
	/* Both rows, in order, with the NULLs NULL. */
	assert_null(db_query(&q, wrap(db), "cannot read", "SELECT s, i, big, opt "
	    "FROM t WHERE i > ?1 OR s IS NULL ORDER BY rowid", "i", -100));
	while (db_row(&q)) {
		if (n++ == 0) {
			assert_string_equal(db_text(&q, 0), "it's");
			assert_int_equal(db_int(&q, 1), 7);
			assert_true(db_int(&q, 2) == (int64_t)1 << 40);
			assert_null(db_text(&q, 3));
			db_copy(&q, 0, buf, sizeof(buf));
			assert_string_equal(buf, "it'");
		} else {
			assert_null(db_text(&q, 0));
			db_copy(&q, 0, buf, sizeof(buf));
			assert_string_equal(buf, "");
			assert_int_equal(db_int(&q, 3), 9);
		}
	}
	assert_null(db_done(&q));
	assert_int_equal(n, 2);
	/* Unread rows are fine: db_done runs the statement out. */
	assert_null(db_query(&q, wrap(db), "cannot read", "SELECT s FROM t", ""));
	assert_true(db_row(&q));
	assert_null(db_done(&q));

	assert_null(db_rows(wrap(db), "cannot read", &rows, "SELECT s, i, opt FROM "
	    "t WHERE i = ?1", "i", 7));
	assert_int_equal(json_object_array_length(rows), 1);
	r = json_object_array_get_idx(rows, 0);
	assert_string_equal(pj_str(r, "s"), "it's");
	assert_int_equal(pj_int(r, "i", 0), 7);
	assert_true(json_object_object_get_ex(r, "opt", NULL));
	assert_null(pj_obj(r, "opt"));
	json_object_put(rows);

	assert_null(db_long(wrap(db), "SELECT count(*) FROM t", &v));
	assert_int_equal(v, 2);
	assert_null(db_long(wrap(db), "SELECT 1 FROM t WHERE 0", &v));
	assert_int_equal(v, -1);

	/* Refused: the wrong number of values, an unknown type, bad SQL. */
	err = db_run(wrap(db), "cannot insert", "INSERT INTO t (s) VALUES (?1)",
	    "ss", "a", "b");
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_LEDGER);
	assert_non_null(strstr(err->msg, "cannot insert"));
	err = db_run(wrap(db), "cannot insert", "INSERT INTO t (s) VALUES (?1)",
	    "x", "a");
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_LEDGER);
	err = db_rows(wrap(db), "cannot read", &rows, "SELECT nope FROM t", "");
	assert_non_null(err);
	assert_null(rows);
	assert_non_null(strstr(err->msg, "cannot read: no such column"));
	/* A constraint is checked at the step: an error, no row. */
	assert_null(db_run(wrap(db), "cannot create", "CREATE TABLE u (k TEXT "
	    "PRIMARY KEY)", ""));
	assert_null(db_run(wrap(db), "cannot insert", "INSERT INTO u VALUES (?1)",
	    "s", "k"));
	err = db_run(wrap(db), "cannot insert", "INSERT INTO u VALUES (?1)", "s",
	    "k");
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "UNIQUE"));
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* A write the database cannot take is an error, not a lost row. */
static void
helper_reports_full_database(void **state)
{
	const struct pbi_err	*err;
	sqlite3			*db;
	char			*big;
	long			 v;

	(void)state;
	assert_non_null(big = malloc(64 * 1024));
	memset(big, 'x', 64 * 1024 - 1);
	big[64 * 1024 - 1] = '\0';
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_null(db_run(wrap(db), "cannot create", "CREATE TABLE t (s TEXT)",
	    ""));
	assert_null(db_exec(wrap(db), "PRAGMA max_page_count=2"));
	err = db_run(wrap(db), "cannot record", "INSERT INTO t VALUES (?1)", "s",
	    big);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_LEDGER);
	assert_non_null(strstr(err->msg, "cannot record: database or disk "
	    "is full"));
	assert_null(db_long(wrap(db), "SELECT count(*) FROM t", &v));
	assert_int_equal(v, 0);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	free(big);
}

/* A ledger in a new directory; the directory's name into dir. */
static struct pbi_ledger *
scratch_ledger(char *dir, char *file, size_t len)
{
	struct pbi_ledger	*l = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(file, len, "%s/l.db", dir);
	assert_null(pbi_ledger_open(file, PBI_LEDGER_CREATE, &l));
	return l;
}

static void
scratch_remove(const char *dir, const char *file)
{
	char	 p[128];

	unlink(file);
	snprintf(p, sizeof(p), "%s-wal", file);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", file);
	unlink(p);
	rmdir(dir);
}

static long
journal_rows(struct pbi_ledger *l)
{
	long	 v = -1;

	assert_null(db_long(l, "SELECT count(*) FROM journal", &v));
	return v;
}

/*
 * An intent is on disk before pbi_ledger_intent returns: when its commit
 * fails (here the write-ahead log cannot grow, as on a full disk), the
 * caller gets an error and must not make the call it announces.
 */
static void
intent_fails_when_commit_fails(void **state)
{
	const struct pbi_err	*err;
	struct pbi_ledger	*l;
	struct rlimit		 old, lim;
	void			(*was)(int);
	char			 dir[] = "/tmp/pbictl-test-XXXXXX", file[64];
	int64_t			 id = 0;
	int			 code;

	(void)state;
	l = scratch_ledger(dir, file, sizeof(file));
	assert_null(db_exec(l, "PRAGMA wal_checkpoint(TRUNCATE)"));
	fflush(stdout);
	fflush(stderr);
	was = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 0;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	err = pbi_ledger_intent(l, "run1", 0, "workspace.create", "cust-a",
	    &id);
	code = err ? err->code : PBI_ERR_NONE;
	/* Nothing may be written (a failed assertion) until this. */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, was);
	assert_int_equal(code, PBI_ERR_LEDGER);
	assert_non_null(strstr(err->msg, "cannot journal a step"));
	assert_int_equal(id, 0);
	assert_int_equal(journal_rows(l), 0);
	/* The disk has room again: the same intent goes through. */
	assert_null(pbi_ledger_intent(l, "run1", 0, "workspace.create",
	    "cust-a", &id));
	assert_true(id > 0);
	assert_int_equal(journal_rows(l), 1);
	pbi_ledger_close(l);
	scratch_remove(dir, file);
}

/*
 * The same with a failure that only the commit can find: with foreign
 * keys deferred, an intent for a customer that does not exist is
 * inserted by the first step and refused at the commit.
 */
static void
intent_fails_when_deferred_check_fails(void **state)
{
	const struct pbi_err	*err;
	struct pbi_ledger	*l;
	char			 dir[] = "/tmp/pbictl-test-XXXXXX", file[64];
	int64_t			 id = 0;

	(void)state;
	l = scratch_ledger(dir, file, sizeof(file));
	assert_null(db_exec(l, "PRAGMA defer_foreign_keys=ON"));
	err = pbi_ledger_intent(l, "run1", 424242, "profile.create",
	    "cust-b", &id);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_LEDGER);
	assert_non_null(strstr(err->msg, "FOREIGN KEY"));
	assert_int_equal(id, 0);
	assert_int_equal(journal_rows(l), 0);
	pbi_ledger_close(l);
	scratch_remove(dir, file);
}

/*
 * Statements kept prepared: the same text open twice at once runs as
 * two statements; one that failed is reusable; past the cache's room
 * statements are prepared and finalized as before; every commit error
 * still comes back.
 */
static void
statements_kept_prepared(void **state)
{
	struct pbi_ledger	*l;
	struct db_stmt		 a, b;
	char			 dir[] = "/tmp/pbictl-test-XXXXXX", file[64];
	char			 sql[64];
	const char		*sel = "SELECT x FROM t ORDER BY x";
	int			 i, na = 0, nb = 0;

	(void)state;
	l = scratch_ledger(dir, file, sizeof(file));
	assert_non_null(l->cache);
	assert_null(db_run(l, "c", "CREATE TABLE t (x INTEGER PRIMARY KEY)",
	    ""));
	for (i = 1; i <= 3; i++)
		assert_null(db_run(l, "i", "INSERT INTO t VALUES (?1)", "i",
		    i));
	/* Nested: b must not be a's statement. */
	assert_null(db_query(&a, l, "r", sel, ""));
	while (db_row(&a)) {
		na++;
		assert_null(db_query(&b, l, "r", sel, ""));
		assert_ptr_not_equal(a.st, b.st);
		while (db_row(&b))
			nb++;
		assert_null(db_done(&b));
	}
	assert_null(db_done(&a));
	assert_int_equal(na, 3);
	assert_int_equal(nb, 9);
	/* A constraint failure, then the same statement succeeds. */
	assert_non_null(db_run(l, "i", "INSERT INTO t VALUES (?1)", "i", 1));
	assert_null(db_run(l, "i", "INSERT INTO t VALUES (?1)", "i", 4));
	/* The bindings of one use never leak into the next. */
	assert_null(db_query(&a, l, "r", "SELECT count(*) FROM t WHERE x > ?1",
	    "i", 2));
	assert_true(db_row(&a));
	assert_int_equal(db_int(&a, 0), 2);
	assert_null(db_done(&a));
	/* More distinct statements than the cache holds. */
	for (i = 0; i < 2 * DB_NCACHE; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) + %d FROM t", i);
		assert_null(db_query(&a, l, "r", sql, ""));
		assert_true(db_row(&a));
		assert_int_equal(db_int(&a, 0), 4 + i);
		assert_null(db_done(&a));
	}
	assert_int_equal(l->cache->n, DB_NCACHE);
	pbi_ledger_close(l);
	scratch_remove(dir, file);
}

/* Every kind of write of a full ledger says so. */
static void
writes_fail_on_a_full_ledger(void **state)
{
	const struct pbi_err	*err;
	struct pbi_ledger	*l;
	struct pbi_customer	 c;
	char			 dir[] = "/tmp/pbictl-test-XXXXXX", file[64];
	char			*big, *v = NULL;
	long			 pages;
	int64_t			 id;

	(void)state;
	assert_non_null(big = malloc(64 * 1024));
	memset(big, 'y', 64 * 1024 - 1);
	big[64 * 1024 - 1] = '\0';
	l = scratch_ledger(dir, file, sizeof(file));
	assert_null(pbi_ledger_customer_add(l, "acme", NULL, &c));
	assert_null(pbi_ledger_intent(l, "run1", c.id, "workspace.create",
	    "cust-acme", &id));
	assert_null(db_long(l, "PRAGMA page_count", &pages));
	assert_true(pages > 0);
	assert_null(db_exec(l, "PRAGMA max_page_count=1"));

	err = pbi_ledger_set(l, "note", big);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_LEDGER);
	assert_non_null(strstr(err->msg, "cannot write a setting: database "
	    "or disk is full"));
	err = pbi_ledger_intent(l, "run1", c.id, "workspace.create", big,
	    &id);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "cannot journal a step"));
	err = pbi_ledger_done(l, id, "ok", big, NULL, NULL);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "cannot journal an outcome"));
	err = pbi_ledger_note(l, id, big);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "cannot note a journal entry"));
	err = pbi_ledger_workspace_put(l, c.id, "w-1", big, NULL);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "cannot record a workspace"));
	/* Nothing of it landed; reads still work. */
	assert_null(pbi_ledger_get(l, "note", &v));
	assert_null(v);
	assert_int_equal(journal_rows(l), 1);
	pbi_ledger_close(l);
	scratch_remove(dir, file);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migrations_apply_in_order),
		cmocka_unit_test(failed_migration_rolls_back),
		cmocka_unit_test(newer_schema_refused),
		cmocka_unit_test(journal_and_invariants),
		cmocka_unit_test(helper_binds_and_reads),
		cmocka_unit_test(helper_reports_full_database),
		cmocka_unit_test(intent_fails_when_commit_fails),
		cmocka_unit_test(intent_fails_when_deferred_check_fails),
		cmocka_unit_test(writes_fail_on_a_full_ledger),
		cmocka_unit_test(statements_kept_prepared),
	};

	return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
