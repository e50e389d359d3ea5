/*
 * ledger_journal.c: the step journal: an intent before each call, its
 * outcome after, and what a re-run learns from them.
 */
#include "core.h"
#include "ledger_int.h"

#include <string.h>

const struct pbi_err *
pbi_ledger_intent(struct pbi_ledger *l, const char *run_id,
    int64_t customer_id, const char *step, const char *target, int64_t *id)
{
	return pbi_ledger_intent_note(l, run_id, customer_id, step, target,
	    NULL, id);
}

const struct pbi_err *
pbi_ledger_intent_note(struct pbi_ledger *l, const char *run_id,
    int64_t customer_id, const char *step, const char *target,
    const char *note, int64_t *id)
{
	const struct pbi_err	*err;
	struct db_stmt		 q;
	int64_t			 got = 0;

	/* RETURNING: other threads insert on this connection too. */
	if ((err = db_query(&q, l, "cannot journal a step",
	    "INSERT INTO journal (run_id, customer_id, step, target, result) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", "sNsss", run_id,
	    customer_id, step, target, note)) != NULL)
		return err;
	if (db_row(&q))
		got = db_int(&q, 0);
	/*
	 * The commit happens when the statement ends: only once db_done
	 * says so is the intent on disk, and may the call it announces be
	 * made.
	 */
	if ((err = db_done(&q)) != NULL)
		return err;
	if (got == 0)
		return pbi_err(PBI_ERR_LEDGER, "cannot journal a step: no id");
	*id = got;
	return NULL;
}

const struct pbi_err *
pbi_ledger_done(struct pbi_ledger *l, int64_t id, const char *state,
    const char *result, const char *request_id,
    const struct pbi_err *failure)
{
	const struct pbi_err	*err;
	struct pbi_err		 f;
	char			 msg[1024];

	pbi_err_copy(&f, failure);
	if ((err = db_run(l, "cannot journal an outcome",
	    "UPDATE journal SET state = ?2, result = ?3, "
	    "http_status = ?4, request_id = ?5, error = ?6, finished_at = "
	    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1", "IssNss",
	    id, state, result, (int64_t)(failure != NULL ? f.status : 0),
	    failure != NULL && f.request_id[0] ? f.request_id :
	    request_id != NULL && request_id[0] ? request_id : NULL,
	    failure != NULL ? pbi_err_str(&f, msg, sizeof(msg)) : NULL)) !=
	    NULL)
		return err;
	if (strcmp(state, "ok") != 0 && strcmp(state, "adopted") != 0)
		return NULL;
	/* This step is done: intents an interrupted run left are settled. */
	return db_run(l, "cannot settle earlier intents",
	    "UPDATE journal SET state = 'skipped', error = "
	    "'superseded by journal entry ' || ?1, finished_at = "
	    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE state = 'intent' "
	    "AND id < ?1 AND (step, target) = (SELECT step, target FROM "
	    "journal WHERE id = ?1) AND customer_id IS NOT DISTINCT FROM "
	    "(SELECT customer_id "
	    "FROM journal WHERE id = ?1)", "I", id);
}

const struct pbi_err *
pbi_ledger_journaled(struct pbi_ledger *l, const char *step,
    const char *target, int prefix, int *yes)
{
	const struct pbi_err	*err;
	struct db_stmt		 q;
	char			 end[512];
	size_t			 n = strlen(target);

	*yes = 0;
	/*
	 * Both forms are a range of the (step, target) index, never a scan
	 * of the step's entries: a prefix is the targets from target up to
	 * end, target with its last byte raised (the byte order of
	 * SQLite's BINARY collation); substr keeps the answer exact.
	 */
	if (prefix && n > 0 && n < sizeof(end) &&
	    (unsigned char)target[n - 1] < 0xff) {
		memcpy(end, target, n + 1);
		end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
	} else if (prefix && l->kind != DB_PG)
		pbi_strlcpy(end, "\xff", sizeof(end));	/* above all UTF-8 */
	else
		pbi_strlcpy(end, target, sizeof(end));
	/* A create refused with 409 was someone else's name, not ours. */
	if ((err = db_query(&q, l, "cannot read the journal", db_sql(l,
	    "SELECT 1 FROM journal WHERE step = ?1 AND target >= ?2 AND "
	    "target <= ?3 AND "
	    "(target = ?2 OR (?4 <> 0 AND substr(target, 1, length(?2)) = ?2)) "
	    "AND NOT (state = 'failed' AND coalesce(http_status, 0) = 409) "
	    "LIMIT 1",
	    /* PostgreSQL: no byte-order range (collations differ). */
	    "SELECT 1 FROM journal WHERE step = ?1 AND CAST(?3 AS text) <> '' AND "
	    "(target = ?2 OR (?4 <> 0 AND substr(target, 1, length(?2)) = ?2)) "
	    "AND NOT (state = 'failed' AND coalesce(http_status, 0) = 409) "
	    "LIMIT 1"),
	    "sssi", step, target, end, prefix)) != NULL)
		return err;
	if (db_row(&q))
		*yes = 1;
	return db_done(&q);
}

const struct pbi_err *
pbi_ledger_attempted(struct pbi_ledger *l, int64_t customer_id,
    const char *step, const char *target, int *yes)
{
	const struct pbi_err	*err;
	struct db_stmt		 q;

	*yes = 0;
	if ((err = db_query(&q, l, "cannot read the journal", db_sql(l,
	    "SELECT 1 FROM journal WHERE step = ?1 AND target = ?2 AND "
	    "customer_id IS ?3 LIMIT 1",
	    "SELECT 1 FROM journal WHERE step = ?1 AND target = ?2 AND "
	    "customer_id IS NOT DISTINCT FROM ?3 LIMIT 1"), "ssN", step, target,
	    customer_id)) != NULL)
		return err;
	if (db_row(&q))
		*yes = 1;
	return db_done(&q);
}

const struct pbi_err *
pbi_ledger_settle(struct pbi_ledger *l, const char *step, const char *target,
    const char *result)
{
	return db_run(l, "cannot settle a journal entry",
	    "UPDATE journal SET state = 'adopted', result = ?3, "
	    "finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE "
	    "state = 'intent' AND step = ?1 AND target = ?2", "sss", step,
	    target, result);
}

const struct pbi_err *
pbi_ledger_open_intent(struct pbi_ledger *l, const char *step,
    const char *target, int64_t *id, char *note, size_t len)
{
	const struct pbi_err	*err;
	struct db_stmt		 q;

	*id = 0;
	note[0] = '\0';
	if ((err = db_query(&q, l, "cannot read the journal",
	    "SELECT id, result FROM journal WHERE step = ?1 "
	    "AND target = ?2 AND state = 'intent' ORDER BY id DESC LIMIT 1",
	    "ss", step, target)) != NULL)
		return err;
	if (db_row(&q)) {
		*id = db_int(&q, 0);
		db_copy(&q, 1, note, len);
	}
	if ((err = db_done(&q)) != NULL) {
		*id = 0;
		note[0] = '\0';
	}
	return err;
}

const struct pbi_err *
pbi_ledger_note(struct pbi_ledger *l, int64_t id, const char *note)
{
	if (id == 0)
		return NULL;
	return db_run(l, "cannot note a journal entry",
	    "UPDATE journal SET result = ?2 WHERE id = ?1", "Is", id, note);
}
