/*
 * ledger_db.c: the one way the ledger runs a statement: prepare, bind
 * typed parameters, step, finalize, every result checked.  The only
 * file that knows the backend: SQLite (sqlite3) or PostgreSQL (libpq).
 */
#include "core.h"
#include "ledger_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* PostgreSQL's type oids for what we bind and read. */
#define OID_BOOL	16
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_TEXT	25
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_NUMERIC	1700

#define MAXPARAMS	16

int
db_is_pg(const struct pbi_ledger *l)
{
	return l->kind == DB_PG;
}

const char *
db_sql(const struct pbi_ledger *l, const char *sqlite, const char *pg)
{
	return l->kind == DB_PG ? pg : sqlite;
}

void
pbi_ledger_wrap(struct pbi_ledger *l, sqlite3 *db)
{
	memset(l, 0, sizeof(*l));
	l->kind = DB_SQLITE;
	l->db = db;
}

/* A PostgreSQL message on one line, without libpq's final newline. */
static void
pg_msg(const char *m, char *buf, size_t len)
{
	size_t	 n;

	pbi_strlcpy(buf, m && *m ? m : "unknown error", len);
	for (n = strlen(buf); n > 0 && isspace((unsigned char)buf[n - 1]); n--)
		buf[n - 1] = '\0';
	for (n = 0; buf[n] != '\0'; n++)
		if (buf[n] == '\n')
			buf[n] = ' ';
}

/* The error of a failed PostgreSQL call, naming the ledger. */
static const struct pbi_err *
pg_fail(struct pbi_ledger *l, const char *what, const PGresult *r)
{
	char		 m[512];
	const char	*primary = r != NULL ?
	    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	pg_msg(primary != NULL ? primary : r != NULL &&
	    PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) :
	    PQerrorMessage(l->pg), m, sizeof(m));
	if (PQstatus(l->pg) == CONNECTION_BAD)
		return pbi_err(PBI_ERR_LEDGER, "%s: lost the connection to "
		    "ledger '%s': %s", what, l->path, m);
	return pbi_err(PBI_ERR_LEDGER, "%s: ledger '%s': %s", what, l->path,
	    m);
}

/* Record q's first failure: what it was doing and SQLite's message. */
static const struct pbi_err *
fail(struct db_stmt *q, int rc)
{
	if (q->err == NULL)
		q->err = pbi_err(PBI_ERR_LEDGER, "%s: %s", q->what,
		    rc == SQLITE_NOMEM ? "out of memory" :
		    sqlite3_errmsg(q->l->db));
	return q->err;
}

char *
db_pg_sql(const char *sql)
{
	static const struct {
		const char	*from;
		const char	*to;
	} words[] = {
		{ "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
		  "to_char(statement_timestamp() AT TIME ZONE 'UTC', "
		  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" },
		{ "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
		  "to_char(statement_timestamp() AT TIME ZONE 'UTC', "
		  "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')" },
		{ "BEGIN IMMEDIATE", "BEGIN" },
	};
	const char	*s;
	char		*out, *o;
	size_t		 i, n;
	int		 quoted = 0;

	/* Each word grows at most by its replacement; ?N by nothing. */
	n = strlen(sql) * 4 + 256;
	if ((out = malloc(n)) == NULL)
		return NULL;
	for (s = sql, o = out; *s != '\0';) {
		if (*s == '\'') {
			quoted = !quoted;
			*o++ = *s++;
			continue;
		}
		if (!quoted) {
			for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
				if (strncmp(s, words[i].from,
				    strlen(words[i].from)) == 0)
					break;
			if (i < sizeof(words) / sizeof(words[0])) {
				if ((size_t)(o - out) + strlen(words[i].to) +
				    8 >= n) {
					free(out);
					return NULL;
				}
				memcpy(o, words[i].to, strlen(words[i].to));
				o += strlen(words[i].to);
				s += strlen(words[i].from);
				continue;
			}
			if (*s == '?' && isdigit((unsigned char)s[1])) {
				*o++ = '$';
				s++;
				continue;
			}
		}
		if ((size_t)(o - out) + 8 >= n) {
			free(out);
			return NULL;
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* The highest $N of PostgreSQL text sql: its number of parameters. */
static int
pg_nparams(const char *sql)
{
	const char	*s;
	int		 quoted = 0, max = 0, v;

	for (s = sql; *s != '\0'; s++) {
		if (*s == '\'')
			quoted = !quoted;
		else if (!quoted && *s == '$' && isdigit((unsigned char)s[1])) {
			v = atoi(s + 1);
			if (v > max)
				max = v;
		}
	}
	return max;
}

/* Prepare, bind and run q on PostgreSQL, keeping every row. */
static const struct pbi_err *
pg_queryv(struct db_stmt *q, const char *sql, const char *types, va_list ap)
{
	struct pbi_ledger	*l = q->l;
	const char		*vals[MAXPARAMS];
	Oid			 oids[MAXPARAMS];
	char			 nums[MAXPARAMS][24];
	char			*text;
	int64_t			 v;
	int			 i, n = (int)strlen(types);
	ExecStatusType		 st;

	if (n > MAXPARAMS)
		return q->err = pbi_err(PBI_ERR_LEDGER, "%s: too many "
		    "parameters", q->what);
	for (i = 0; i < n; i++) {
		vals[i] = NULL;
		switch (types[i]) {
		case 's':
			oids[i] = OID_TEXT;
			vals[i] = va_arg(ap, const char *);
			break;
		case 'i':
			oids[i] = OID_INT8;
			snprintf(nums[i], sizeof(nums[i]), "%d",
			    va_arg(ap, int));
			vals[i] = nums[i];
			break;
		case 'I':
		case 'N':
			oids[i] = OID_INT8;
			v = va_arg(ap, int64_t);
			snprintf(nums[i], sizeof(nums[i]), "%" PRId64, v);
			vals[i] = types[i] == 'N' && v <= 0 ? NULL : nums[i];
			break;
		default:
			return q->err = pbi_err(PBI_ERR_LEDGER, "%s: unknown "
			    "parameter type '%c'", q->what, types[i]);
		}
	}
	if ((text = db_pg_sql(sql)) == NULL)
		return q->err = pbi_err(PBI_ERR_NOMEM, "out of memory");
	if (pg_nparams(text) != n) {
		q->err = pbi_err(PBI_ERR_LEDGER, "%s: the query takes %d "
		    "parameters, not %d", q->what, pg_nparams(text), n);
		free(text);
		return q->err;
	}
	pthread_mutex_lock(&l->mu);
	q->res = PQexecParams(l->pg, text, n, oids, vals, NULL, NULL, 0);
	st = PQresultStatus(q->res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		q->err = pg_fail(l, q->what, q->res);
	pthread_mutex_unlock(&l->mu);
	free(text);
	if (q->err != NULL) {
		PQclear(q->res);
		q->res = NULL;
	}
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

const struct pbi_err *
db_cache_init(struct pbi_ledger *l)
{
	if ((l->cache = calloc(1, sizeof(*l->cache))) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&l->cache->mu, NULL);
	return NULL;
}

void
db_cache_free(struct pbi_ledger *l)
{
	int	 i;

	if (l->cache == NULL)
		return;
	for (i = 0; i < l->cache->n; i++) {
		sqlite3_finalize(l->cache->e[i].st);
		free(l->cache->e[i].sql);
	}
	pthread_mutex_destroy(&l->cache->mu);
	free(l->cache);
	l->cache = NULL;
}

/* A free prepared statement of sql from l's cache into q, or none. */
static void
cache_take(struct db_stmt *q, const char *sql)
{
	struct db_cache	*c = q->l->cache;
	int		 i;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->n; i++)
		if (!c->e[i].busy && strcmp(c->e[i].sql, sql) == 0) {
			c->e[i].busy = 1;
			q->st = c->e[i].st;
			q->slot = i + 1;
			break;
		}
	pthread_mutex_unlock(&c->mu);
}

/* Keep q's new statement of sql in the cache while there is room. */
static void
cache_put(struct db_stmt *q, const char *sql)
{
	struct db_cache	*c = q->l->cache;
	char		*s;

	if (c == NULL || (s = strdup(sql)) == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->n < DB_NCACHE) {
		c->e[c->n].sql = s;
		c->e[c->n].st = q->st;
		c->e[c->n].busy = 1;
		q->slot = ++c->n;
		s = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	free(s);
}

/*
 * Finish with q's statement: back to the cache, reset and unbound, or
 * finalized.  Either way the statement's outcome (the commit of a write
 * in autocommit) is its return code.
 */
static int
stmt_end(struct db_stmt *q)
{
	struct db_cache	*c = q->l->cache;
	int		 rc;

	if (q->slot == 0)
		rc = sqlite3_finalize(q->st);
	else {
		rc = sqlite3_reset(q->st);
		sqlite3_clear_bindings(q->st);
		pthread_mutex_lock(&c->mu);
		c->e[q->slot - 1].busy = 0;
		pthread_mutex_unlock(&c->mu);
	}
	q->st = NULL;
	q->slot = 0;
	return rc;
}

static const struct pbi_err *
queryv(struct db_stmt *q, struct pbi_ledger *l, const char *what,
    const char *sql, const char *types, va_list ap)
{
	int	 rc;

	memset(q, 0, sizeof(*q));
	q->l = l;
	q->what = what;
	q->rc = SQLITE_OK;
	q->row = -1;
	if (l->kind == DB_PG)
		return pg_queryv(q, sql, types, ap);
	cache_take(q, sql);
	if (q->st == NULL) {
		if ((rc = sqlite3_prepare_v2(l->db, sql, -1, &q->st, NULL)) !=
		    SQLITE_OK)
			return fail(q, rc);
		cache_put(q, sql);
	}
	if (bindv(q, types, ap) != NULL) {
		stmt_end(q);
		return q->err;
	}
	return NULL;
}

const struct pbi_err *
db_query(struct db_stmt *q, struct pbi_ledger *l, const char *what,
    const char *sql, const char *types, ...)
{
	const struct pbi_err	*err;
	va_list			 ap;

	va_start(ap, types);
	err = queryv(q, l, what, sql, types, ap);
	va_end(ap);
	return err;
}

int
db_row(struct db_stmt *q)
{
	if (q->l != NULL && q->l->kind == DB_PG) {
		if (q->res == NULL || q->err != NULL ||
		    q->row + 1 >= PQntuples(q->res))
			return 0;
		q->row++;
		return 1;
	}
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

	if (q->l != NULL && q->l->kind == DB_PG) {
		PQclear(q->res);
		q->res = NULL;
		return q->err;
	}
	if (q->st == NULL)
		return q->err;
	/* The rest of the rows: a write commits at its last step. */
	while (db_row(q))
		;
	if ((rc = stmt_end(q)) != SQLITE_OK)
		fail(q, rc);
	return q->err;
}

const char *
db_text(struct db_stmt *q, int i)
{
	if (q->l->kind == DB_PG)
		return PQgetisnull(q->res, q->row, i) ? NULL :
		    PQgetvalue(q->res, q->row, i);
	return (const char *)sqlite3_column_text(q->st, i);
}

int64_t
db_int(struct db_stmt *q, int i)
{
	const char	*v;

	if (q->l->kind == DB_PG)
		return (v = db_text(q, i)) == NULL ? 0 :
		    strtoll(v, NULL, 10);
	return sqlite3_column_int64(q->st, i);
}

void
db_copy(struct db_stmt *q, int i, char *dst, size_t len)
{
	const char	*v = db_text(q, i);

	pbi_strlcpy(dst, v ? v : "", len);
}

const struct pbi_err *
db_run(struct pbi_ledger *l, const char *what, const char *sql,
    const char *types, ...)
{
	struct db_stmt	 q;
	va_list		 ap;

	va_start(ap, types);
	queryv(&q, l, what, sql, types, ap);
	va_end(ap);
	return db_done(&q);
}

/* The current row of q as a JSON object of its columns. */
static struct json_object *
row_json(struct db_stmt *q)
{
	struct json_object	*o;
	sqlite3_stmt		*st = q->st;
	const char		*name;
	int			 i, n;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (q->l->kind == DB_PG) {
		n = PQnfields(q->res);
		for (i = 0; i < n; i++) {
			name = PQfname(q->res, i);
			if (PQgetisnull(q->res, q->row, i)) {
				pj_add(o, name, NULL);
				continue;
			}
			switch (PQftype(q->res, i)) {
			case OID_INT2:
			case OID_INT4:
			case OID_INT8:
				pj_add_int(o, name, db_int(q, i));
				break;
			case OID_FLOAT4:
			case OID_FLOAT8:
			case OID_NUMERIC:
				pj_add(o, name, json_object_new_double(
				    strtod(db_text(q, i), NULL)));
				break;
			default:
				pj_add_str(o, name, db_text(q, i));
				break;
			}
		}
		return o;
	}
	n = sqlite3_column_count(st);
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
	return row_json(q);
}

const struct pbi_err *
db_rows(struct pbi_ledger *l, const char *what, struct json_object **out,
    const char *sql, const char *types, ...)
{
	const struct pbi_err	*err;
	struct json_object	*a;
	struct db_stmt		 q;
	va_list			 ap;

	*out = NULL;
	va_start(ap, types);
	queryv(&q, l, what, sql, types, ap);
	va_end(ap);
	if ((a = json_object_new_array()) == NULL) {
		db_done(&q);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	while (db_row(&q))
		json_object_array_add(a, row_json(&q));
	if ((err = db_done(&q)) != NULL) {
		json_object_put(a);
		return err;
	}
	*out = a;
	return NULL;
}

const struct pbi_err *
db_long(struct pbi_ledger *l, const char *sql, long *v)
{
	struct db_stmt	 q;

	*v = -1;
	if (db_query(&q, l, sql, sql, "") == NULL && db_row(&q))
		*v = (long)db_int(&q, 0);
	return db_done(&q);
}

const struct pbi_err *
db_exec(struct pbi_ledger *l, const char *sql)
{
	char			*msg = NULL, *text;
	const struct pbi_err	*err = NULL;
	PGresult		*r;
	ExecStatusType		 st;

	if (l->kind == DB_PG) {
		if ((text = db_pg_sql(sql)) == NULL)
			return pbi_err(PBI_ERR_NOMEM, "out of memory");
		pthread_mutex_lock(&l->mu);
		r = PQexec(l->pg, text);
		st = PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			err = pg_fail(l, "cannot run a statement", r);
		pthread_mutex_unlock(&l->mu);
		PQclear(r);
		free(text);
		return err;
	}
	if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err = pbi_err(PBI_ERR_LEDGER, "%s", msg ? msg :
		    sqlite3_errmsg(l->db));
		sqlite3_free(msg);
	}
	return err;
}

/* pbictl_meta's column col, 0 when the table or its row is missing. */
static const struct pbi_err *
pg_meta(struct pbi_ledger *l, const char *sql, long *v)
{
	const struct pbi_err	*err;
	long			 have;

	*v = 0;
	if ((err = db_long(l, "SELECT count(*) FROM "
	    "information_schema.tables WHERE table_schema = current_schema() "
	    "AND table_name = 'pbictl_meta'", &have)) != NULL || have == 0)
		return err;
	if ((err = db_long(l, sql, v)) == NULL && *v < 0)
		*v = 0;
	return err;
}

const struct pbi_err *
db_version(struct pbi_ledger *l, long *v)
{
	if (l->kind == DB_PG)
		return pg_meta(l, "SELECT schema_version FROM pbictl_meta", v);
	return db_long(l, "PRAGMA user_version", v);
}

const struct pbi_err *
db_appid(struct pbi_ledger *l, long *v)
{
	if (l->kind == DB_PG)
		return pg_meta(l, "SELECT application_id FROM pbictl_meta", v);
	return db_long(l, "PRAGMA application_id", v);
}

/* Trace the connection at -v: who, where, how; never a secret. */
static void
pg_trace(struct pbi_ledger *l)
{
	const char	*ssl = PQparameterStatus(l->pg, "server_version");

	if (!l->verbose)
		return;
	fprintf(stderr, "* ledger: postgresql host=%s port=%s dbname=%s "
	    "user=%s ssl=%s server=%s\n", PQhost(l->pg) ? PQhost(l->pg) : "",
	    PQport(l->pg) ? PQport(l->pg) : "", PQdb(l->pg), PQuser(l->pg),
	    PQsslInUse(l->pg) ? "on" : "off", ssl ? ssl : "?");
}

const struct pbi_err *
db_pg_connect(struct pbi_ledger *l, const char *conninfo)
{
	char	 m[512];

	l->kind = DB_PG;
	if (pthread_mutex_init(&l->mu, NULL) != 0)
		return pbi_err(PBI_ERR_NOMEM, "cannot make a mutex");
	l->mu_init = 1;
	if (l->verbose)
		fprintf(stderr, "* ledger: connecting to '%s'\n", l->path);
	l->pg = PQconnectdb(conninfo);
	if (l->pg == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	if (PQstatus(l->pg) != CONNECTION_OK) {
		pg_msg(PQerrorMessage(l->pg), m, sizeof(m));
		return pbi_err(PBI_ERR_LEDGER, "cannot connect to ledger "
		    "'%s': %s", l->path, m);
	}
	pg_trace(l);
	/* The ledger's own session: UTC, quiet, our text. */
	return db_exec(l, "SET client_min_messages = warning; "
	    "SET TIME ZONE 'UTC'");
}

const struct pbi_err *
db_pg_lock(struct pbi_ledger *l, const char *name, int wait, int *got)
{
	const struct pbi_err	*err;
	struct timespec		 t0, now, nap = { 0, 100 * 1000 * 1000 };
	struct db_stmt		 q;
	int			 tries = 0;

	*got = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;; tries++) {
		if ((err = db_query(&q, l, "cannot take a lock",
		    "SELECT pg_try_advisory_lock(CAST(?1 AS integer), "
		    "hashtext(?2))", "is",
		    PBI_LEDGER_APPID, name)) != NULL)
			return err;
		if (db_row(&q) && db_text(&q, 0) != NULL &&
		    strcmp(db_text(&q, 0), "t") == 0)
			*got = tries == 0 ? 1 : 2;
		if ((err = db_done(&q)) != NULL || *got)
			return err;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000 >= (long)wait * 1000)
			return NULL;
		nanosleep(&nap, NULL);
	}
}

const struct pbi_err *
db_pg_unlock(struct pbi_ledger *l, const char *name)
{
	return db_run(l, "cannot release a lock",
	    "SELECT pg_advisory_unlock(CAST(?1 AS integer), "
	    "hashtext(?2))", "is",
	    PBI_LEDGER_APPID, name);
}

const struct pbi_err *
db_insert(struct pbi_ledger *l, const char *table, struct json_object *row)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*objs[64];
	const char		*vals[64];
	char			 sql[4096], nums[64][24], ph[16];
	size_t			 len, n = 0, i;
	int			 rc = SQLITE_OK;
	sqlite3_stmt		*st = NULL;
	PGresult		*r;

	len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (", table);
	json_object_object_foreach(row, key, v) {
		if (n == 64)
			return pbi_err(PBI_ERR_LEDGER, "cannot copy %s: too "
			    "many columns", table);
		len += (size_t)snprintf(sql + len, len < sizeof(sql) ?
		    sizeof(sql) - len : 0, "%s%s", n ? ", " : "", key);
		objs[n] = v;
		if (v == NULL)
			vals[n] = NULL;
		else if (json_object_is_type(v, json_type_int)) {
			snprintf(nums[n], sizeof(nums[n]), "%" PRId64,
			    json_object_get_int64(v));
			vals[n] = nums[n];
		} else
			vals[n] = json_object_get_string(v);
		n++;
	}
	len += (size_t)snprintf(sql + len, len < sizeof(sql) ?
	    sizeof(sql) - len : 0, ") VALUES (");
	for (i = 0; i < n; i++) {
		snprintf(ph, sizeof(ph), "%s%c%zu", i ? ", " : "",
		    l->kind == DB_PG ? '$' : '?', i + 1);
		len += (size_t)snprintf(sql + len, len < sizeof(sql) ?
		    sizeof(sql) - len : 0, "%s", ph);
	}
	len += (size_t)snprintf(sql + len, len < sizeof(sql) ?
	    sizeof(sql) - len : 0, ")");
	if (len >= sizeof(sql))
		return pbi_err(PBI_ERR_LEDGER, "cannot copy %s: a row too "
		    "wide", table);
	if (l->kind == DB_PG) {
		/* Untyped: the server takes each value as its column's type. */
		pthread_mutex_lock(&l->mu);
		r = PQexecParams(l->pg, sql, (int)n, NULL, vals, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			err = pg_fail(l, "cannot copy a row", r);
		pthread_mutex_unlock(&l->mu);
		PQclear(r);
		return err;
	}
	if ((rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL)) == SQLITE_OK)
		for (i = 0; i < n && rc == SQLITE_OK; i++) {
			if (objs[i] == NULL)
				rc = sqlite3_bind_null(st, (int)i + 1);
			else if (json_object_is_type(objs[i], json_type_int))
				rc = sqlite3_bind_int64(st, (int)i + 1,
				    json_object_get_int64(objs[i]));
			else
				rc = sqlite3_bind_text(st, (int)i + 1, vals[i],
				    -1, SQLITE_TRANSIENT);
		}
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc != SQLITE_OK)
		err = pbi_err(PBI_ERR_LEDGER, "cannot copy a row of %s: %s",
		    table, sqlite3_errmsg(l->db));
	sqlite3_finalize(st);
	return err;
}
