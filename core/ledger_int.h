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

#include <sqlite3.h>

#include "migrations.h"

struct json_object;
struct pbi_err;

struct pbi_ledger {
	sqlite3	*db;
	char	*path;
	int	 created;
};

/*
 * A statement being run: prepared with its parameters bound by
 * db_query, stepped row by row with db_row, finished with db_done.
 * Prepared statements only: the SQL is always a constant of ours, every
 * value a bound parameter.
 */
struct db_stmt {
	sqlite3			*db;
	sqlite3_stmt		*st;
	const char		*what;	/* "cannot record a customer" */
	const struct pbi_err	*err;	/* the first failure */
	int			 rc;	/* of the last step */
};

/*
 * Prepare sql on db and bind ?1, ?2, ... in order from the arguments
 * that types describes, one character each:
 *	s	const char *, NULL binds NULL
 *	i	int
 *	I	int64_t
 *	N	int64_t, bound as NULL when 0 or less (an absent id)
 * The number of parameters in sql must be strlen(types).  what names
 * the operation in errors.  On success q is ready for db_row; on failure
 * nothing needs releasing.  Returns NULL or a PBI_ERR_LEDGER error.
 */
const struct pbi_err	*db_query(struct db_stmt *q, sqlite3 *db,
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
const struct pbi_err	*db_run(sqlite3 *db, const char *what,
			    const char *sql, const char *types, ...);
/*
 * Every row as a JSON array of objects keyed by column name (a new
 * reference in *out).
 */
const struct pbi_err	*db_rows(sqlite3 *db, const char *what,
			    struct json_object **out, const char *sql,
			    const char *types, ...);
/* A one-integer query without parameters; -1 in *v when no row. */
const struct pbi_err	*db_long(sqlite3 *db, const char *sql, long *v);
/*
 * Run SQL text of several statements without parameters (a migration's
 * file, a PRAGMA) through sqlite3_exec.
 */
const struct pbi_err	*db_exec(sqlite3 *db, const char *sql);

/*
 * Bring db from its user_version up to the last of the n migrations m
 * (m[i].version == i + 1), each as BEGIN IMMEDIATE; sql; PRAGMA
 * user_version=N; COMMIT, rolled back on error.  A db at version 0 also
 * gets the ledger's application_id in the first transaction.  Refuses a
 * db newer than m[n-1] without touching it.
 */
const struct pbi_err	*pbi_ledger_migrate(sqlite3 *db,
			    const struct pbi_migration *m, int n);

#endif /* PBI_LEDGER_INT_H */
