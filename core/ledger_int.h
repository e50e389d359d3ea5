/*
 * ledger_int.h: what the files of the ledger share, and its tests: the
 * ledger itself, the one way to run a statement, and the migration
 * runner.  Nothing outside core/ledger*.c and the unit tests includes
 * it.
 */
#ifndef PBI_LEDGER_INT_H
#define PBI_LEDGER_INT_H

#include <stddef.h>
#include <stdint.h>

#include <pthread.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "migrations.h"

struct json_object;
struct pbi_err;

/* The two backends; only ledger_db.c and ledger.c tell them apart. */
enum db_kind {
	DB_SQLITE,
	DB_PG
};

/*
 * SQLite statements kept prepared after use, by their text: the same
 * few statements run once per customer, and preparing one costs more
 * than running it.  A statement in use by one thread is busy; another
 * thread running the same text prepares its own.
 */
#define DB_NCACHE	64
struct db_cache {
	pthread_mutex_t	 mu;
	struct {
		char		*sql;
		sqlite3_stmt	*st;
		int		 busy;
	}		 e[DB_NCACHE];
	int		 n;
};

struct pbi_ledger {
	enum db_kind	 kind;
	sqlite3		*db;		/* DB_SQLITE */
	PGconn		*pg;		/* DB_PG */
	pthread_mutex_t	 mu;		/* DB_PG: one statement at a time */
	int		 mu_init;
	char		*path;		/* a file, or the URI (no secret) */
	int		 created;
	int		 lock_wait;	/* seconds pbi_ledger_lock waits */
	int		 verbose;
	struct db_cache	*cache;		/* DB_SQLITE, NULL: none */
};

/*
 * A statement being run: prepared with its parameters bound by
 * db_query, stepped row by row with db_row, finished with db_done.
 * Prepared statements only: the SQL is always a constant of ours, every
 * value a bound parameter.
 */
struct db_stmt {
	struct pbi_ledger	*l;
	sqlite3_stmt		*st;	/* DB_SQLITE */
	PGresult		*res;	/* DB_PG: every row, fetched at once */
	int			 row;	/* DB_PG: the current row, -1 before */
	const char		*what;	/* "cannot record a customer" */
	const struct pbi_err	*err;	/* the first failure */
	int			 rc;	/* of the last step */
	int			 slot;	/* st's cache entry + 1, 0: none */
};

/*
 * Prepare sql on the ledger and bind ?1, ?2, ... in order from the arguments
 * that types describes, one character each:
 *	s	const char *, NULL binds NULL
 *	i	int
 *	I	int64_t
 *	N	int64_t, bound as NULL when 0 or less (an absent id)
 * The number of parameters in sql must be strlen(types).  The SQL is
 * SQLite's; for PostgreSQL ?N becomes $N and strftime(FMT, 'now') its
 * to_char equivalent (db_pg_sql), outside string literals.  With
 * PostgreSQL every row is fetched here.  what names
 * the operation in errors.  On success q is ready for db_row; on failure
 * nothing needs releasing.  Returns NULL or a PBI_ERR_LEDGER error.
 */
const struct pbi_err	*db_query(struct db_stmt *q, struct pbi_ledger *l,
			    const char *what, const char *sql,
			    const char *types, ...);
/*
 * Step q: 1 when a row is ready for the column readers, 0 when the
 * statement is done or failed (db_done tells which).
 */
int			 db_row(struct db_stmt *q);
/*
 * Run q to its end (the rows left unread are discarded), finalize it,
 * and return the first failure of any step or of the finalize: in
 * autocommit mode a write is committed at its last step, so only a NULL
 * here means that it is on disk.  Safe after a failed db_query.
 */
const struct pbi_err	*db_done(struct db_stmt *q);

/* Column i of the current row: text (borrowed; NULL for NULL), int. */
const char		*db_text(struct db_stmt *q, int i);
int64_t			 db_int(struct db_stmt *q, int i);
/* Copy column i into dst (empty for NULL). */
void			 db_copy(struct db_stmt *q, int i, char *dst,
			    size_t len);

/*
 * The current row of q as a JSON object keyed by column name (a new
 * reference; NULL when out of memory): rows one at a time, for results
 * read as they come rather than whole.
 */
struct json_object	*db_row_json(struct db_stmt *q);

/* A write (or any statement whose rows do not matter), run to its end. */
const struct pbi_err	*db_run(struct pbi_ledger *l, const char *what,
			    const char *sql, const char *types, ...);
/*
 * Every row as a JSON array of objects keyed by column name (a new
 * reference in *out).
 */
const struct pbi_err	*db_rows(struct pbi_ledger *l, const char *what,
			    struct json_object **out, const char *sql,
			    const char *types, ...);
/* A one-integer query without parameters; -1 in *v when no row. */
const struct pbi_err	*db_long(struct pbi_ledger *l, const char *sql,
			    long *v);
/*
 * Run SQL text of several statements without parameters (a migration's
 * file, BEGIN IMMEDIATE, COMMIT, ROLLBACK) through sqlite3_exec or
 * PQexec (BEGIN IMMEDIATE is BEGIN there).
 */
const struct pbi_err	*db_exec(struct pbi_ledger *l, const char *sql);

/*
 * Insert row (borrowed; its keys are table's columns, ours, its values
 * strings, integers or null, bound as such) into table.
 */
const struct pbi_err	*db_insert(struct pbi_ledger *l, const char *table,
			    struct json_object *row);

/* Non-zero for a PostgreSQL ledger. */
int			 db_is_pg(const struct pbi_ledger *l);
/* The text that the backend of l runs: sqlite's or pg's (borrowed). */
const char		*db_sql(const struct pbi_ledger *l, const char *sqlite,
			    const char *pg);
/*
 * The schema version (SQLite's user_version, pbictl_meta's
 * schema_version) and application id of the ledger in *v; 0 for none.
 */
const struct pbi_err	*db_version(struct pbi_ledger *l, long *v);
const struct pbi_err	*db_appid(struct pbi_ledger *l, long *v);
/*
 * Translate SQLite's text for PostgreSQL into a new string (free(3)):
 * ?N to $N, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') (and %fZ, with
 * milliseconds) to to_char of statement_timestamp() in UTC, BEGIN
 * IMMEDIATE to BEGIN; string literals are left alone.  NULL when out
 * of memory.
 */
char			*db_pg_sql(const char *sql);
/*
 * Connect l (kind, path and verbose set) to the PostgreSQL ledger of
 * conninfo (a URI or keywords): l->pg, or an error naming the ledger.
 */
const struct pbi_err	*db_pg_connect(struct pbi_ledger *l,
			    const char *conninfo);
/*
 * Try the session advisory lock (PBI_LEDGER_APPID, hashtext(name)) for
 * up to wait seconds, every 100 ms: *got 1 when held at once, 2 when
 * held after a wait, 0 when not held.
 */
const struct pbi_err	*db_pg_lock(struct pbi_ledger *l, const char *name,
			    int wait, int *got);
const struct pbi_err	*db_pg_unlock(struct pbi_ledger *l,
			    const char *name);

/*
 * Bring the ledger from its schema version up to the last of the n
 * migrations m (m[i].version == i + 1), each in a transaction of its
 * own rolled back on error.  SQLite: BEGIN IMMEDIATE; sql; PRAGMA
 * user_version=N; COMMIT, a db at version 0 also getting the ledger's
 * application_id.  PostgreSQL: BEGIN; pg_advisory_xact_lock; the
 * version read again; pg_sql (or sql); pbictl_meta updated; COMMIT, so
 * that two runners upgrading at once apply each file once.  Refuses a
 * ledger newer than m[n-1] without touching it.
 */
const struct pbi_err	*pbi_ledger_migrate(struct pbi_ledger *l,
			    const struct pbi_migration *m, int n);

/* A SQLite ledger of db (borrowed), for inspection and the tests. */
void			 pbi_ledger_wrap(struct pbi_ledger *l, sqlite3 *db);
/*
 * Keep l's SQLite statements prepared from now on (db_cache_free
 * finalizes them, before the connection closes).
 */
const struct pbi_err	*db_cache_init(struct pbi_ledger *l);
void			 db_cache_free(struct pbi_ledger *l);

#endif /* PBI_LEDGER_INT_H */
