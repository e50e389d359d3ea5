/*
 * test_ledger_pg.c: the ledger on PostgreSQL: the SQL translation, the
 * typed helper, the migration runner, the journal, the locks and copy.
 * The server is the one tests/tools/pg.sh (or tests/run.sh) started,
 * named by PBICTL_TEST_PG_DIR; each run makes a database of its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "core/ledger_int.h"

static char	 uri[512];

/* A fresh database on the test server; its URI in uri. */
static int
newdb(void **state)
{
	const char	*dir = getenv("PBICTL_TEST_PG_DIR");
	const char	*user = getenv("PBICTL_TEST_PG_USER");
	char		 conn[512], sql[128], name[64];
	PGconn		*c;
	PGresult	*r;
	static int	 n;

	(void)state;
	if (dir == NULL || *dir == '\0') {
		fprintf(stderr, "PBICTL_TEST_PG_DIR is not set: run under "
		    "tests/tools/pg.sh\n");
		return -1;
	}
	snprintf(name, sizeof(name), "unit_%ld_%d", (long)getpid(), n++);
	snprintf(conn, sizeof(conn), "host=%s dbname=postgres%s%s", dir,
	    user ? " user=" : "", user ? user : "");
	c = PQconnectdb(conn);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fprintf(stderr, "%s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	snprintf(uri, sizeof(uri), "postgresql:///%s?host=%s%s%s", name, dir,
	    user ? "&user=" : "", user ? user : "");
	return 0;
}

static void
translation(void **state)
{
	char	*s;

	(void)state;
	s = db_pg_sql("SELECT ?1, '?2 it''s', ?12 FROM t WHERE "
	    "x = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
	assert_non_null(s);
	assert_string_equal(s, "SELECT $1, '?2 it''s', $12 FROM t WHERE "
	    "x = to_char(statement_timestamp() AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')");
	free(s);
	s = db_pg_sql("BEGIN IMMEDIATE");
	assert_string_equal(s, "BEGIN");
	free(s);
	/* Inside a literal nothing changes. */
	s = db_pg_sql("SELECT 'strftime(''%Y'', ''now'') ?1'");
	assert_string_equal(s, "SELECT 'strftime(''%Y'', ''now'') ?1'");
	free(s);
}

static void
helper_and_schema(void **state)
{
	struct pbi_ledger	*l = NULL, *l2 = NULL;
	struct json_object	*rows = NULL, *st = NULL;
	const struct pbi_err	*err;
	struct db_stmt		 q;
	long			 v;
	int			 got;

	(void)state;
	assert_non_null(pbi_ledger_open(uri, 0, &l));	/* empty: init first */
	assert_null(pbi_ledger_open(uri, PBI_LEDGER_CREATE, &l));
	assert_true(pbi_ledger_shared(l));
	assert_true(pbi_ledger_created(l));
	assert_null(db_version(l, &v));
	assert_int_equal(v, pbi_nmigrations);
	assert_null(db_appid(l, &v));
	assert_int_equal(v, PBI_LEDGER_APPID);
	/* Migrating again changes nothing. */
	assert_null(pbi_ledger_migrate(l, pbi_migrations, pbi_nmigrations));
	assert_null(db_long(l, "SELECT count(*) FROM pbictl_meta", &v));
	assert_int_equal(v, 1);

	assert_null(db_run(l, "cannot create", "CREATE TABLE t (s TEXT, "
	    "i INTEGER, big BIGINT, opt TEXT)", ""));
	assert_null(db_run(l, "cannot insert", "INSERT INTO t VALUES "
	    "(?1, ?2, ?3, ?4)", "siIN", "it's", 7, (int64_t)1 << 40,
	    (int64_t)0));
	assert_null(db_query(&q, l, "cannot read", "SELECT s, i, big, opt "
	    "FROM t", ""));
	assert_true(db_row(&q));
	assert_string_equal(db_text(&q, 0), "it's");
	assert_int_equal(db_int(&q, 1), 7);
	assert_true(db_int(&q, 2) == (int64_t)1 << 40);
	assert_null(db_text(&q, 3));
	assert_false(db_row(&q));
	assert_null(db_done(&q));
	assert_null(db_rows(l, "cannot read", &rows, "SELECT s, "
	    "i AS \"camelCase\", opt FROM t", ""));
	assert_string_equal(json_object_to_json_string_ext(rows,
	    JSON_C_TO_STRING_PLAIN),
	    "[{\"s\":\"it's\",\"camelCase\":7,\"opt\":null}]");
	json_object_put(rows);
	/* A wrong parameter count and a bad statement: errors, named. */
	err = db_run(l, "cannot insert", "INSERT INTO t (s) VALUES (?1)",
	    "ss", "a", "b");
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "takes 1 parameters, not 2"));
	err = db_rows(l, "cannot read", &rows, "SELECT nope FROM t", "");
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "cannot read: ledger '"));
	assert_non_null(strstr(err->msg, "nope"));

	/* The tenant's rows, the journal, status. */
	{
		struct pbi_customer	 c;
		int64_t			 id;
		int			 yes;

		assert_null(pbi_ledger_set(l, "tenant_id", "t1"));
		assert_null(pbi_ledger_customer_add(l, "acme", "Acme", &c));
		assert_true(c.id > 0);
		assert_null(pbi_ledger_intent(l, "run1", c.id,
		    "workspace.create", "cust-acme", &id));
		assert_null(pbi_ledger_journaled(l, "workspace.create",
		    "cust-", 1, &yes));
		assert_true(yes);
		assert_null(pbi_ledger_done(l, id, "ok", "w1", NULL, NULL));
		assert_null(pbi_ledger_status(l, &st));
		assert_int_equal(pj_int(pj_obj(st, "counts"), "journal", 0), 1);
		assert_int_equal(pj_int(st, "openIntents", -1), 0);
		json_object_put(st);
	}

	/* Locks: a second session waits, then does without. */
	assert_null(pbi_ledger_open(uri, 0, &l2));
	assert_null(pbi_ledger_lock(l, "customer:acme", &got));
	assert_int_equal(got, 1);
	pbi_ledger_configure(0, 0);
	pbi_ledger_close(l2);
	assert_null(pbi_ledger_open(uri, 0, &l2));
	assert_null(pbi_ledger_lock(l2, "customer:acme", &got));
	assert_int_equal(got, 0);
	assert_null(pbi_ledger_lock(l2, "customer:beta", &got));
	assert_int_equal(got, 1);
	assert_null(pbi_ledger_unlock(l, "customer:acme"));
	assert_null(pbi_ledger_lock(l2, "customer:acme", &got));
	assert_int_equal(got, 1);
	pbi_ledger_configure(0, 5);
	pbi_ledger_close(l2);
	pbi_ledger_close(l);
}

static void
newer_and_foreign_refused(void **state)
{
	struct pbi_ledger	*l = NULL;
	const struct pbi_err	*err;
	long			 v;

	(void)state;
	assert_null(pbi_ledger_open(uri, PBI_LEDGER_CREATE, &l));
	assert_null(db_exec(l, "UPDATE pbictl_meta SET schema_version = 99"));
	pbi_ledger_close(l);
	err = pbi_ledger_open(uri, PBI_LEDGER_CREATE, &l);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "newer than this pbictl"));
	/* Untouched: still 99. */
	{
		struct pbi_ledger	 raw;

		memset(&raw, 0, sizeof(raw));
		raw.path = uri;
		assert_null(db_pg_connect(&raw, uri));
		assert_null(db_version(&raw, &v));
		assert_int_equal(v, 99);
		assert_null(db_exec(&raw, "DROP TABLE pbictl_meta"));
		PQfinish(raw.pg);
		pthread_mutex_destroy(&raw.mu);
	}
	err = pbi_ledger_open(uri, PBI_LEDGER_CREATE, &l);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "is not a pbictl ledger"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(translation),
		cmocka_unit_test_setup(helper_and_schema, newdb),
		cmocka_unit_test_setup(newer_and_foreign_refused, newdb),
	};

	return cmocka_run_group_tests_name("ledger_pg", tests, NULL, NULL);
}
