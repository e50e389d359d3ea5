/*
 * ledger.h: the local SQLite ledger of one tenant deployment.
 *
 * All SQL stays behind these functions, so that provision/ never sees
 * SQLite and a second backend can be added here.  Nothing secret is ever
 * stored.  See pbictl-ledger(5) for the schema.
 */
#ifndef PBI_LEDGER_H
#define PBI_LEDGER_H

#include <stdint.h>

struct json_object;
struct pbi_err;
struct pbi_ledger;

#define PBI_LEDGER_APPID	0x50424931	/* "PBI1" */

#define PBI_LEDGER_CREATE	(1 << 0)	/* create if missing */

/* The schema version this binary produces. */
int			 pbi_ledger_schema(void);

/*
 * Open the ledger at path: refuse a file that is not a pbictl ledger or
 * whose schema is newer than this binary, leaving it untouched; else
 * apply pending migrations.  With PBI_LEDGER_CREATE a missing file is
 * created with mode 0600.  *out is freed with pbi_ledger_close.
 */
const struct pbi_err	*pbi_ledger_open(const char *path, int flags,
			    struct pbi_ledger **out);
void			 pbi_ledger_close(struct pbi_ledger *);
/* Borrowed. */
const char		*pbi_ledger_path(const struct pbi_ledger *);
/* Non-zero if this open created the ledger. */
int			 pbi_ledger_created(const struct pbi_ledger *);

/* A setting's value in *val (free(3); NULL if unset). */
const struct pbi_err	*pbi_ledger_get(struct pbi_ledger *, const char *key,
			    char **val);
const struct pbi_err	*pbi_ledger_set(struct pbi_ledger *, const char *key,
			    const char *val);
/* Every setting as a JSON object of strings (a new reference). */
const struct pbi_err	*pbi_ledger_settings(struct pbi_ledger *,
			    struct json_object **out);

/* Schema version, application id and row counts (a new reference). */
const struct pbi_err	*pbi_ledger_status(struct pbi_ledger *,
			    struct json_object **out);
/* Every table, as {"schemaVersion":N,"settings":{},"customers":[],...}. */
const struct pbi_err	*pbi_ledger_export(struct pbi_ledger *,
			    struct json_object **out);
/*
 * The last limit journal entries (all if limit <= 0), oldest first, for
 * one customer slug or all (NULL), as a JSON array.
 */
const struct pbi_err	*pbi_ledger_log(struct pbi_ledger *,
			    const char *slug, long limit,
			    struct json_object **out);
/*
 * Integrity and invariants: a JSON array of findings
 * {"severity":"error"|"warning","check":...,"detail":...}.
 */
const struct pbi_err	*pbi_ledger_verify(struct pbi_ledger *,
			    struct json_object **out);

/*
 * Journal a step before its call: state 'intent'.  customer_id 0 for a
 * tenant-wide step.  *id receives the entry's id for pbi_ledger_done.
 */
const struct pbi_err	*pbi_ledger_intent(struct pbi_ledger *,
			    const char *run_id, int64_t customer_id,
			    const char *step, const char *target,
			    int64_t *id);
/*
 * Record the outcome of journal entry id: state 'ok', 'failed',
 * 'adopted' or 'skipped'; result (an object id), and for a failure the
 * error (its HTTP status, request id and message).
 */
const struct pbi_err	*pbi_ledger_done(struct pbi_ledger *, int64_t id,
			    const char *state, const char *result,
			    const struct pbi_err *failure);

#endif /* PBI_LEDGER_H */
