/*
 * ledger.c: the SQLite ledger: open, look before touching, migrate.  The
 * rest is in ledger_journal.c, ledger_tenant.c, ledger_export.c and
 * ledger_verify.c; ledger_db.c runs their statements.
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

const struct pbi_err *
pbi_ledger_migrate(sqlite3 *db, const struct pbi_migration *m, int n)
{
	const struct pbi_err	*err;
	long			 have;
	int			 i;
	char			 sql[64];

	if ((err = db_long(db, "PRAGMA user_version", &have)) != NULL)
		return err;
	if (have > n)
		return pbi_err(PBI_ERR_LEDGER, "schema version %ld is newer "
		    "than this pbictl knows (%d): upgrade pbictl", have, n);
	while (have < n) {
		i = (int)have;
		if (m[i].version != i + 1)
			return pbi_err(PBI_ERR_LEDGER, "migration %s is out "
			    "of order", m[i].name);
		if ((err = db_exec(db, "BEGIN IMMEDIATE")) != NULL)
			return pbi_err_ctx(err, "cannot apply %s", m[i].name);
		/*
		 * Another process may have migrated since the last look:
		 * only now, holding the write lock, is the version sure.
		 */
		if ((err = db_long(db, "PRAGMA user_version", &have)) == NULL &&
		    have != i) {
			if ((err = db_exec(db, "COMMIT")) != NULL)
				return err;
			if (have > n)
				return pbi_err(PBI_ERR_LEDGER, "schema version "
				    "%ld is newer than this pbictl knows (%d): "
				    "upgrade pbictl", have, n);
			continue;
		}
		if (err == NULL)
			err = db_exec(db, m[i].sql);
		if (err == NULL && i == 0) {
			snprintf(sql, sizeof(sql), "PRAGMA application_id=%d",
			    PBI_LEDGER_APPID);
			err = db_exec(db, sql);
		}
		if (err == NULL) {
			/* A PRAGMA takes no parameter: the number is ours. */
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
			    m[i].version);
			err = db_exec(db, sql);
		}
		if (err == NULL)
			err = db_exec(db, "COMMIT");
		if (err != NULL) {
			struct pbi_err	 saved;

			pbi_err_copy(&saved, err);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			err = pbi_err(PBI_ERR_LEDGER, "cannot apply %s: %s",
			    m[i].name, saved.msg);
			return err;
		}
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
	if (db_long(db, "PRAGMA application_id", &appid) != NULL ||
	    db_long(db, "PRAGMA user_version", &ver) != NULL ||
	    db_long(db, "SELECT count(*) FROM sqlite_master", &ntab) !=
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
	if (db_query(&q, db, "cannot check the ledger", "PRAGMA quick_check",
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
	if ((err = db_exec(l->db, "PRAGMA foreign_keys=ON")) != NULL ||
	    (err = db_exec(l->db, "PRAGMA journal_mode=WAL")) != NULL ||
	    (err = db_exec(l->db, "PRAGMA synchronous=NORMAL")) != NULL ||
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
