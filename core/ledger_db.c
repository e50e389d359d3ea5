/*
 * ledger_db.c: the one way the ledger runs a statement: prepare, bind
 * typed parameters, step, finalize, every result checked.
 */
#include "core.h"
#include "ledger_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Record q's first failure: what it was doing and SQLite's message. */
static const struct pbi_err *
fail(struct db_stmt *q, int rc)
{
	if (q->err == NULL)
		q->err = pbi_err(PBI_ERR_LEDGER, "%s: %s", q->what,
		    rc == SQLITE_NOMEM ? "out of memory" :
		    sqlite3_errmsg(q->db));
	return q->err;
}

static const struct pbi_err *
bindv(struct db_stmt *q, const char *types, va_list ap)
{
	const char	*s;
	int64_t		 v;
	int		 i, n = (int)strlen(types), rc = SQLITE_OK;

	if (sqlite3_bind_parameter_count(q->st) != n)
		return q->err = pbi_err(PBI_ERR_LEDGER, "%s: the query takes "
		    "%d parameters, not %d", q->what,
		    sqlite3_bind_parameter_count(q->st), n);
	for (i = 1; i <= n && rc == SQLITE_OK; i++) {
		switch (types[i - 1]) {
		case 's':
			s = va_arg(ap, const char *);
			rc = s == NULL ? sqlite3_bind_null(q->st, i) :
			    sqlite3_bind_text(q->st, i, s, -1,
			    SQLITE_TRANSIENT);
			break;
		case 'i':
			rc = sqlite3_bind_int(q->st, i, va_arg(ap, int));
			break;
		case 'I':
			rc = sqlite3_bind_int64(q->st, i, va_arg(ap, int64_t));
			break;
		case 'N':
			v = va_arg(ap, int64_t);
			rc = v > 0 ? sqlite3_bind_int64(q->st, i, v) :
			    sqlite3_bind_null(q->st, i);
			break;
		default:
			return q->err = pbi_err(PBI_ERR_LEDGER, "%s: unknown "
			    "parameter type '%c'", q->what, types[i - 1]);
		}
	}
	return rc == SQLITE_OK ? NULL : fail(q, rc);
}

static const struct pbi_err *
queryv(struct db_stmt *q, sqlite3 *db, const char *what, const char *sql,
    const char *types, va_list ap)
{
	int	 rc;

	memset(q, 0, sizeof(*q));
	q->db = db;
	q->what = what;
	q->rc = SQLITE_OK;
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &q->st, NULL)) != SQLITE_OK)
		return fail(q, rc);
	if (bindv(q, types, ap) != NULL) {
		sqlite3_finalize(q->st);
		q->st = NULL;
		return q->err;
	}
	return NULL;
}

const struct pbi_err *
db_query(struct db_stmt *q, sqlite3 *db, const char *what, const char *sql,
    const char *types, ...)
{
	const struct pbi_err	*err;
	va_list			 ap;

	va_start(ap, types);
	err = queryv(q, db, what, sql, types, ap);
	va_end(ap);
	return err;
}

int
db_row(struct db_stmt *q)
{
	if (q->st == NULL || q->err != NULL || q->rc == SQLITE_DONE)
		return 0;
	q->rc = sqlite3_step(q->st);
	if (q->rc == SQLITE_ROW)
		return 1;
	if (q->rc != SQLITE_DONE)
		fail(q, q->rc);
	return 0;
}

const struct pbi_err *
db_done(struct db_stmt *q)
{
	int	 rc;

	if (q->st == NULL)
		return q->err;
	/* The rest of the rows: a write commits at its last step. */
	while (db_row(q))
		;
	if ((rc = sqlite3_finalize(q->st)) != SQLITE_OK)
		fail(q, rc);
	q->st = NULL;
	return q->err;
}

const char *
db_text(struct db_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q->st, i);
}

int64_t
db_int(struct db_stmt *q, int i)
{
	return sqlite3_column_int64(q->st, i);
}

void
db_copy(struct db_stmt *q, int i, char *dst, size_t len)
{
	const char	*v = db_text(q, i);

	pbi_strlcpy(dst, v ? v : "", len);
}

const struct pbi_err *
db_run(sqlite3 *db, const char *what, const char *sql, const char *types,
    ...)
{
	struct db_stmt	 q;
	va_list		 ap;

	va_start(ap, types);
	queryv(&q, db, what, sql, types, ap);
	va_end(ap);
	return db_done(&q);
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

struct json_object *
db_row_json(struct db_stmt *q)
{
	return row_json(q->st);
}

const struct pbi_err *
db_rows(sqlite3 *db, const char *what, struct json_object **out,
    const char *sql, const char *types, ...)
{
	const struct pbi_err	*err;
	struct json_object	*a;
	struct db_stmt		 q;
	va_list			 ap;

	*out = NULL;
	va_start(ap, types);
	queryv(&q, db, what, sql, types, ap);
	va_end(ap);
	if ((a = json_object_new_array()) == NULL) {
		db_done(&q);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	while (db_row(&q))
		json_object_array_add(a, row_json(q.st));
	if ((err = db_done(&q)) != NULL) {
		json_object_put(a);
		return err;
	}
	*out = a;
	return NULL;
}

const struct pbi_err *
db_long(sqlite3 *db, const char *sql, long *v)
{
	struct db_stmt	 q;

	*v = -1;
	if (db_query(&q, db, sql, sql, "") == NULL && db_row(&q))
		*v = (long)db_int(&q, 0);
	return db_done(&q);
}

const struct pbi_err *
db_exec(sqlite3 *db, const char *sql)
{
	char			*msg = NULL;
	const struct pbi_err	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err = pbi_err(PBI_ERR_LEDGER, "%s", msg ? msg :
		    sqlite3_errmsg(db));
		sqlite3_free(msg);
	}
	return err;
}
