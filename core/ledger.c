/*
 * ledger.c: the ledger, a SQLite file or a PostgreSQL database: open,
 * look before touching, migrate, lock.  The rest is in
 * ledger_journal.c, ledger_tenant.c, ledger_export.c, ledger_verify.c,
 * ledger_audit.c and ledger_copy.c; ledger_db.c runs their statements.
 */
#include "core.h"
#include "ledger_int.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
pbi_ledger_schema(void)
{
	return pbi_nmigrations;
}

static int	 opt_verbose;
static int	 opt_lock_wait = 5;

void
pbi_ledger_configure(int verbose, int lock_wait)
{
	opt_verbose = verbose;
	opt_lock_wait = lock_wait;
}

int
pbi_ledger_is_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0 ||
	    strncmp(s, "postgres:", 9) == 0;
}

int
pbi_ledger_shared(const struct pbi_ledger *l)
{
	return l != NULL && l->kind == DB_PG;
}

/* Roll back after err, keeping err's text: "cannot apply NAME: ...". */
static const struct pbi_err *
migrate_fail(struct pbi_ledger *l, const char *name,
    const struct pbi_err *err)
{
	struct pbi_err	 saved;

	pbi_err_copy(&saved, err);
	if (l->kind == DB_PG)
		db_exec(l, "ROLLBACK");
	else
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return pbi_err(PBI_ERR_LEDGER, "cannot apply %s: %s", name,
	    saved.msg);
}

/*
 * Take the migration's advisory lock, held to the end of the
 * transaction: a runner migrating holds it until its commit.
 */
static const struct pbi_err *
pg_migration_lock(struct pbi_ledger *l)
{
	char	 sql[64];

	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d, 0)",
	    PBI_LEDGER_APPID);
	return db_exec(l, sql);
}

/*
 * PostgreSQL: each file in a transaction under the runner's advisory
 * lock, the version read again under it, so that of two runners
 * upgrading at once the second finds the work done.
 */
static const struct pbi_err *
migrate_pg(struct pbi_ledger *l, const struct pbi_migration *m, int n)
{
	const struct pbi_err	*err;
	long			 have;
	char			 sql[160];

	for (;;) {
		if ((err = db_exec(l, "BEGIN")) != NULL)
			return err;
		if ((err = pg_migration_lock(l)) != NULL ||
		    (err = db_version(l, &have)) != NULL)
			return migrate_fail(l, "the schema", err);
		if (have > n) {
			db_exec(l, "ROLLBACK");
			return pbi_err(PBI_ERR_LEDGER, "schema version %ld is "
			    "newer than this pbictl knows (%d): upgrade pbictl",
			    have, n);
		}
		if (have == n)
			return db_exec(l, "COMMIT");
		if (m[have].version != have + 1) {
			db_exec(l, "ROLLBACK");
			return pbi_err(PBI_ERR_LEDGER, "migration %s is out "
			    "of order", m[have].name);
		}
		if (have == 0) {
			snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT "
			    "EXISTS pbictl_meta (application_id integer NOT "
			    "NULL, schema_version integer NOT NULL); "
			    "INSERT INTO pbictl_meta VALUES (%d, 0)",
			    PBI_LEDGER_APPID);
			if ((err = db_exec(l, sql)) != NULL)
				return migrate_fail(l, m[have].name, err);
		}
		if ((err = db_exec(l, m[have].pg_sql ? m[have].pg_sql :
		    m[have].sql)) != NULL)
			return migrate_fail(l, m[have].name, err);
		/* The number is ours, not input. */
		snprintf(sql, sizeof(sql), "UPDATE pbictl_meta SET "
		    "schema_version = %d", m[have].version);
		if ((err = db_exec(l, sql)) != NULL ||
		    (err = db_exec(l, "COMMIT")) != NULL)
			return migrate_fail(l, m[have].name, err);
	}
}

const struct pbi_err *
pbi_ledger_migrate(struct pbi_ledger *l, const struct pbi_migration *m, int n)
{
	const struct pbi_err	*err;
	long			 have;
	int			 i;
	char			 sql[64];

	if (l->kind == DB_PG)
		return migrate_pg(l, m, n);
	if ((err = db_long(l, "PRAGMA user_version", &have)) != NULL)
		return err;
	if (have > n)
		return pbi_err(PBI_ERR_LEDGER, "schema version %ld is newer "
		    "than this pbictl knows (%d): upgrade pbictl", have, n);
	while (have < n) {
		i = (int)have;
		if (m[i].version != i + 1)
			return pbi_err(PBI_ERR_LEDGER, "migration %s is out "
			    "of order", m[i].name);
		if ((err = db_exec(l, "BEGIN IMMEDIATE")) != NULL)
			return pbi_err_ctx(err, "cannot apply %s", m[i].name);
		/*
		 * Another process may have migrated since the last look:
		 * only now, holding the write lock, is the version sure.
		 */
		if ((err = db_long(l, "PRAGMA user_version", &have)) == NULL &&
		    have != i) {
			if ((err = db_exec(l, "COMMIT")) != NULL)
				return err;
			if (have > n)
				return pbi_err(PBI_ERR_LEDGER, "schema version "
				    "%ld is newer than this pbictl knows (%d): "
				    "upgrade pbictl", have, n);
			continue;
		}
		if (err == NULL)
			err = db_exec(l, m[i].sql);
		if (err == NULL && i == 0) {
			snprintf(sql, sizeof(sql), "PRAGMA application_id=%d",
			    PBI_LEDGER_APPID);
			err = db_exec(l, sql);
		}
		if (err == NULL) {
			/* A PRAGMA takes no parameter: the number is ours. */
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
			    m[i].version);
			err = db_exec(l, sql);
		}
		if (err == NULL)
			err = db_exec(l, "COMMIT");
		if (err != NULL)
			return migrate_fail(l, m[i].name, err);
		have = i + 1;
	}
	return NULL;
}

/*
 * Look at an existing file without changing a byte: is it a pbictl
 * ledger (or an empty file), undamaged (quick_check), and one this
 * binary can use?  *fresh is set for an empty file.  The file is opened
 * read-write when it can be, though only read: SQLite removes the -wal
 * and -shm files a WAL ledger needs only when a writer closes it, and a
 * refused ledger must not be left with them beside it.
 */
static const struct pbi_err *
inspect(const char *path, int *fresh)
{
	const struct pbi_err	*err = NULL;
	struct pbi_ledger	 w;
	sqlite3			*db = NULL;
	long			 appid, ver, ntab;
	struct stat		 sb;
	struct db_stmt		 q;
	const char		*s;
	char			 why[256], wal[4096 + 8];
	size_t			 k;

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
	/*
	 * A -wal already there may hold commits (a crash): a writer would
	 * fold them in at close.  Read-only then: the -wal stays as found.
	 */
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == 0 || sqlite3_open_v2(path, &db,
	    SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		db = NULL;
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
		    SQLITE_OK) {
			err = pbi_err(PBI_ERR_LEDGER, "cannot open ledger "
			    "'%s': %s", path, db ? sqlite3_errmsg(db) :
			    "out of memory");
			goto done;
		}
	}
	pbi_ledger_wrap(&w, db);
	/*
	 * One read transaction: the answers below come from one state,
	 * never from both sides of another process's first migration.
	 * Closing the handle ends it.
	 */
	if (db_exec(&w, "BEGIN") != NULL ||
	    db_long(&w, "PRAGMA application_id", &appid) != NULL ||
	    db_long(&w, "PRAGMA user_version", &ver) != NULL ||
	    db_long(&w, "SELECT count(*) FROM sqlite_master", &ntab) !=
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
	if (ver > pbi_nmigrations) {
		err = pbi_err(PBI_ERR_LEDGER, "ledger '%s' has schema version "
		    "%ld, newer than this pbictl knows (%d): upgrade pbictl; "
		    "the file was not changed", path, ver, pbi_nmigrations);
		goto done;
	}
	/* A damaged b-tree: refused before anything writes into it. */
	why[0] = '\0';
	if (db_query(&q, &w, "cannot check the ledger", "PRAGMA quick_check",
	    "") == NULL && db_row(&q) && (s = db_text(&q, 0)) != NULL)
		pbi_strlcpy(why, s, sizeof(why));
	/* The error slot is one: done with q before raising another. */
	if (db_done(&q) != NULL && why[0] == '\0')
		pbi_strlcpy(why, sqlite3_errmsg(db), sizeof(why));
	if (strcmp(why, "ok") != 0) {
		for (k = 0; why[k] != '\0'; k++)
			if (why[k] == '\n')
				why[k] = ' ';
		err = pbi_err(PBI_ERR_LEDGER, "ledger '%s' is damaged (%s): "
		    "restore it from a backup; the file was not changed", path,
		    why);
	}
done:
	sqlite3_close(db);
	return err;
}

/*
 * The libpq conninfo of a ledger URI: the URI itself, or what follows
 * "postgres:" (keywords).  A password in it is refused: it would be on
 * a command line or in a shell's history.
 */
static const struct pbi_err *
pg_conninfo(const char *uri, const char **conninfo)
{
	PQconninfoOption	*opts, *o;
	char			*msg = NULL;
	int			 pw = 0;

	*conninfo = strncmp(uri, "postgres:", 9) == 0 &&
	    strncmp(uri, "postgres://", 11) != 0 ? uri + 9 : uri;
	if ((opts = PQconninfoParse(*conninfo, &msg)) == NULL) {
		char	 m[256];

		pbi_strlcpy(m, msg ? msg : "out of memory", sizeof(m));
		PQfreemem(msg);
		m[strcspn(m, "\n")] = '\0';
		return pbi_err(PBI_ERR_CONFIG, "invalid ledger URI: %s", m);
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			pw = 1;
	PQconninfoFree(opts);
	if (pw)
		return pbi_err(PBI_ERR_CONFIG, "the ledger URI carries a "
		    "password: refused, as a command line or environment "
		    "is no place for one; put it in ~/.pgpass (or "
		    "PGPASSFILE, PGSERVICEFILE) or in PGPASSWORD");
	return NULL;
}

/*
 * Read what the schema holds (application id, version, table count)
 * under the migration lock: the three answers come from one state,
 * never from half of another runner's first migration.
 */
static const struct pbi_err *
pg_look(struct pbi_ledger *l, long *appid, long *ver, long *ntab)
{
	const struct pbi_err	*err;

	if ((err = db_exec(l, "BEGIN")) != NULL)
		return err;
	if ((err = pg_migration_lock(l)) != NULL ||
	    (err = db_appid(l, appid)) != NULL ||
	    (err = db_version(l, ver)) != NULL ||
	    (err = db_long(l, "SELECT count(*) FROM information_schema.tables "
	    "WHERE table_schema = current_schema()", ntab)) != NULL) {
		struct pbi_err	 saved;

		pbi_err_copy(&saved, err);
		db_exec(l, "ROLLBACK");
		return pbi_err_restore(&saved);
	}
	return db_exec(l, "COMMIT");
}

/*
 * Open the PostgreSQL ledger of uri into l: look before touching (a
 * schema that holds tables but no pbictl_meta is not a ledger; a newer
 * schema is refused), then migrate.
 */
static const struct pbi_err *
pg_open(struct pbi_ledger *l, const char *uri, int flags)
{
	const struct pbi_err	*err;
	const char		*conninfo;
	long			 appid, ver, ntab;

	if ((err = pg_conninfo(uri, &conninfo)) != NULL ||
	    (err = db_pg_connect(l, conninfo)) != NULL ||
	    (err = pg_look(l, &appid, &ver, &ntab)) != NULL)
		return err;
	if (appid == 0 && ntab > 0)
		return pbi_err(PBI_ERR_LEDGER, "'%s' is not a pbictl ledger "
		    "(%ld tables, no pbictl_meta)", uri, ntab);
	if (appid != 0 && appid != PBI_LEDGER_APPID)
		return pbi_err(PBI_ERR_LEDGER, "'%s' is not a pbictl ledger "
		    "(application id %#lx)", uri, (unsigned long)appid);
	if (ver > pbi_nmigrations)
		return pbi_err(PBI_ERR_LEDGER, "ledger '%s' has schema version "
		    "%ld, newer than this pbictl knows (%d): upgrade pbictl; "
		    "the database was not changed", uri, ver, pbi_nmigrations);
	if (appid == 0 && !(flags & PBI_LEDGER_CREATE))
		return pbi_err(PBI_ERR_CONFIG, "ledger '%s' is empty: run "
		    "'pbictl init' first", uri);
	if ((err = pbi_ledger_migrate(l, pbi_migrations, pbi_nmigrations)) !=
	    NULL)
		return pbi_err_ctx(err, "ledger '%s'", uri);
	/* New, or migrated by an init that stopped before its settings. */
	if ((err = db_long(l, "SELECT count(*) FROM settings", &ntab)) != NULL)
		return err;
	l->created = appid == 0 || ntab == 0;
	return NULL;
}

const struct pbi_err *
pbi_ledger_open(const char *path, int flags, struct pbi_ledger **out)
{
	const struct pbi_err	*err = NULL;
	struct pbi_ledger	*l = NULL;
	int			 fd, fresh = 0, created = 0;

	*out = NULL;
	if (pbi_ledger_is_uri(path)) {
		if ((l = calloc(1, sizeof(*l))) == NULL ||
		    (l->path = strdup(path)) == NULL) {
			free(l);
			return pbi_err(PBI_ERR_NOMEM, "out of memory");
		}
		l->verbose = opt_verbose;
		l->lock_wait = opt_lock_wait;
		if ((err = pg_open(l, path, flags)) != NULL) {
			pbi_ledger_close(l);
			return err;
		}
		*out = l;
		return NULL;
	}
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
	l->lock_wait = opt_lock_wait;
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		err = pbi_err(PBI_ERR_LEDGER, "cannot open ledger '%s': %s",
		    path, l->db ? sqlite3_errmsg(l->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(l->db, 10000);
	sqlite3_extended_result_codes(l->db, 1);
	if ((err = db_cache_init(l)) != NULL ||
	    (err = db_exec(l, "PRAGMA foreign_keys=ON")) != NULL ||
	    (err = db_exec(l, "PRAGMA journal_mode=WAL")) != NULL ||
	    (err = db_exec(l, "PRAGMA synchronous=NORMAL")) != NULL ||
	    (err = pbi_ledger_migrate(l, pbi_migrations,
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
	db_cache_free(l);
	sqlite3_close(l->db);
	if (l->pg != NULL)
		PQfinish(l->pg);
	if (l->mu_init)
		pthread_mutex_destroy(&l->mu);
	free(l->path);
	free(l);
}

const struct pbi_err *
pbi_ledger_lock(struct pbi_ledger *l, const char *name, int *got)
{
	const struct pbi_err	*err;
	char			 key[128];

	*got = 1;
	if (l == NULL || l->kind != DB_PG)
		return NULL;
	snprintf(key, sizeof(key), "pbictl:%s", name);
	if ((err = db_pg_lock(l, key, l->lock_wait, got)) != NULL)
		*got = 0;
	return err;
}

const struct pbi_err *
pbi_ledger_unlock(struct pbi_ledger *l, const char *name)
{
	char	 key[128];

	if (l == NULL || l->kind != DB_PG)
		return NULL;
	snprintf(key, sizeof(key), "pbictl:%s", name);
	return db_pg_unlock(l, key);
}

int
pbi_ledger_lock_wait(const struct pbi_ledger *l)
{
	return l->lock_wait;
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
