/*
 * ledger_int.h: the migration runner, for core/ledger.c and its tests.
 */
#ifndef PBI_LEDGER_INT_H
#define PBI_LEDGER_INT_H

#include <sqlite3.h>

#include "migrations.h"

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
