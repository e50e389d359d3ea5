/*
 * test_ledger.c: the migration runner on :memory:, and the ledger's
 * refusals and invariants on real files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "core/ledger_int.h"

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
	assert_null(pbi_ledger_migrate(db, pbi_migrations, pbi_nmigrations));
	assert_int_equal(int_query(db, "PRAGMA user_version"),
	    pbi_nmigrations);
	assert_int_equal(int_query(db, "PRAGMA application_id"),
	    PBI_LEDGER_APPID);
	assert_int_equal(int_query(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name IN ('settings', 'customers', "
	    "'profiles', 'workspaces', 'reports', 'grants', "
	    "'migrations_map', 'journal')"), 8);
	/* Again: nothing to do, nothing changes. */
	assert_null(pbi_ledger_migrate(db, pbi_migrations, pbi_nmigrations));
	assert_int_equal(int_query(db, "PRAGMA user_version"),
	    pbi_nmigrations);
	sqlite3_close(db);
}

static void
failed_migration_rolls_back(void **state)
{
	static const struct pbi_migration m[] = {
		{ 1, "0001_a.sql", "CREATE TABLE a (x);" },
		{ 2, "0002_b.sql", "CREATE TABLE b (x); INSERT INTO nope "
		  "VALUES (1);" },
	};
	const struct pbi_err	*err;
	sqlite3			*db;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	err = pbi_ledger_migrate(db, m, 2);
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
	err = pbi_ledger_migrate(db, pbi_migrations, pbi_nmigrations);
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
	assert_null(pbi_ledger_done(l, id, "failed", NULL, err));
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
	assert_null(pbi_ledger_done(l, id, "failed", NULL, err));
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migrations_apply_in_order),
		cmocka_unit_test(failed_migration_rolls_back),
		cmocka_unit_test(newer_schema_refused),
		cmocka_unit_test(journal_and_invariants),
	};

	return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
