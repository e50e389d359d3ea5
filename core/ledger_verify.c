/*
 * ledger_verify.c: the ledger's integrity and its invariants, as
 * findings.
 */
#include "core.h"
#include "ledger_int.h"

#include <sys/stat.h>

#include <string.h>

#define HEX4	"[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]"
#define GUID_GLOB HEX4 HEX4 "-" HEX4 "-" HEX4 "-" HEX4 "-" HEX4 HEX4 HEX4
#define GUID_RE	"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-" \
	"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
/* Every stored id the service gives as a GUID; the WHERE follows. */
#define ID_NOT_GUID							\
	"SELECT 'id-not-guid', kind || ' ''' || id || ''' is not a GUID " \
	"(or is the dry-run placeholder): re-run the customer''s "	\
	"onboarding after correcting it' FROM ("			\
	"SELECT 'profile' AS kind, id FROM profiles UNION ALL "		\
	"SELECT 'workspace', id FROM workspaces UNION ALL "		\
	"SELECT 'workspace capacity', capacity_id FROM workspaces "	\
	"WHERE capacity_id IS NOT NULL UNION ALL "			\
	"SELECT 'report', id FROM reports UNION ALL "			\
	"SELECT 'report dataset', dataset_id FROM reports "		\
	"WHERE dataset_id IS NOT NULL UNION ALL "			\
	"SELECT 'dataset', id FROM datasets) AS ids "

/* Each invariant: a query whose rows are findings (columns check, detail). */
static const struct {
	const char	*severity;
	const char	*sql;
	const char	*pg;	/* PostgreSQL's, where it differs */
} invariants[] = {
	{ "error", "SELECT 'one-active-workspace', 'customer ''' || c.slug || "
	  "''' has ' || count(*) || ' active workspaces' FROM workspaces w "
	  "JOIN customers c ON c.id = w.customer_id WHERE w.state = 'active' "
	  "GROUP BY w.customer_id, c.slug HAVING count(*) > 1", NULL },
	{ "error", "SELECT 'one-active-profile', 'customer ''' || c.slug || "
	  "''' has ' || count(*) || ' active profiles' FROM profiles p "
	  "JOIN customers c ON c.id = p.customer_id WHERE p.state = 'active' "
	  "GROUP BY p.customer_id, c.slug HAVING count(*) > 1", NULL },
	{ "error", "SELECT 'workspace-profile-owner', 'workspace ' || w.id || "
	  "' of customer ''' || cw.slug || ''' is tied to profile ' || p.id || "
	  "' of customer ''' || cp.slug || '''' FROM workspaces w "
	  "JOIN profiles p ON p.id = w.profile_id "
	  "JOIN customers cw ON cw.id = w.customer_id "
	  "JOIN customers cp ON cp.id = p.customer_id "
	  "WHERE p.customer_id <> w.customer_id", NULL },
	{ "warning", "SELECT 'removed-customer-active', 'removed customer ''' "
	  "|| c.slug || ''' still has active workspace ' || w.id || "
	  "' (kept with --keep-workspace?)' "
	  "FROM workspaces w JOIN customers c ON c.id = w.customer_id "
	  "WHERE c.status = 'removed' AND w.state = 'active'", NULL },
	{ "warning", "SELECT 'removed-customer-profile', 'removed customer ''' "
	  "|| c.slug || ''' still has active profile ' || p.id || "
	  "' (kept with --keep-workspace?)' "
	  "FROM profiles p JOIN customers c ON c.id = p.customer_id "
	  "WHERE c.status = 'removed' AND p.state = 'active'", NULL },
	{ "error", "SELECT 'report-in-deleted-workspace', 'report ' || r.id || "
	  "' (' || r.name || ') is in deleted workspace ' || w.id "
	  "FROM reports r JOIN workspaces w ON w.id = r.workspace_id "
	  "WHERE w.state = 'deleted'", NULL },
	{ "error", "SELECT 'migration-owner', 'migrated item ' || m.collection "
	  "|| '/' || m.legacy_workspace_id || ' points at workspace ' || "
	  "w.id || ' of another customer' FROM migrations_map m "
	  "JOIN workspaces w ON w.id = m.workspace_id "
	  "WHERE m.customer_id IS NOT NULL AND "
	  "w.customer_id <> m.customer_id", NULL },
	{ "warning", "SELECT 'active-without-workspace', 'active customer ''' "
	  "|| c.slug || ''' has no active workspace' FROM customers c "
	  "WHERE c.status = 'active' AND NOT EXISTS (SELECT 1 FROM "
	  "workspaces w WHERE w.customer_id = c.id AND w.state = 'active')", NULL },
	/*
	 * Two runs that imported one report name into one workspace at
	 * the same time (a run lock bypassed, an older pbictl): the
	 * service then holds two reports of that name, the ledger one.
	 * The journal target is WORKSPACE/NAME@SHA256-16.
	 */
	{ "error", "SELECT 'report-duplicate', 'workspace ' || "
	  "substr(a.target, 1, 36) || ' may hold two reports named ''' || "
	  "substr(a.target, 38, length(a.target) - 54) || ''': imports that "
	  "ran at once made ' || a.result || ' and ' || b.result || "
	  "' (pbictl audit shows them; delete the one the ledger does not "
	  "know)' FROM journal a JOIN journal b ON b.step = a.step AND "
	  "b.id > a.id AND substr(b.target, 1, length(b.target) - 16) = "
	  "substr(a.target, 1, length(a.target) - 16) AND b.result <> "
	  "a.result AND b.started_at < coalesce(a.finished_at, b.started_at) "
	  "WHERE a.step = 'report.import' AND a.state IN ('ok', 'adopted') "
	  "AND b.state IN ('ok', 'adopted')", NULL },
	/*
	 * Ids the service gives as GUIDs, stored as something else (an
	 * older pbictl stored what it was answered) or as the dry-run
	 * placeholder.
	 */
	{ "error", ID_NOT_GUID "WHERE NOT (id GLOB '" GUID_GLOB "') OR "
	  "id = '00000000-0000-0000-0000-000000000000'",
	  ID_NOT_GUID "WHERE id !~ '^" GUID_RE "$' OR "
	  "id = '00000000-0000-0000-0000-000000000000'" },
	{ "warning", "SELECT 'open-intent', 'step ' || j.step || ' on ' || "
	  "coalesce(j.target, '-') || ' started ' || j.started_at || "
	  "' has no outcome (an interrupted run: re-run to reconcile)' "
	  "FROM journal j WHERE j.state = 'intent'", NULL },
};

static void
finding(struct json_object *a, const char *sev, const char *check,
    const char *detail)
{
	struct json_object	*f = json_object_new_object();

	pj_add_str(f, "severity", sev);
	pj_add_str(f, "check", check);
	pj_add_str(f, "detail", detail);
	json_object_array_add(a, f);
}

const struct pbi_err *
pbi_ledger_verify(struct pbi_ledger *l, struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*a;
	struct db_stmt		 q;
	struct stat		 sb;
	const char		*s;
	char			 buf[256];
	long			 v;
	size_t			 i;

	*out = NULL;
	if ((a = json_object_new_array()) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	/* PostgreSQL checks its pages and foreign keys itself. */
	if (db_is_pg(l))
		goto versions;
	if ((err = db_query(&q, l, "cannot verify the ledger",
	    "PRAGMA integrity_check", "")) != NULL)
		goto done;
	while (db_row(&q))
		if ((s = db_text(&q, 0)) != NULL && strcmp(s, "ok") != 0)
			finding(a, "error", "integrity", s);
	if ((err = db_done(&q)) != NULL)
		goto done;
	if ((err = db_query(&q, l, "cannot verify the ledger",
	    "PRAGMA foreign_key_check", "")) != NULL)
		goto done;
	while (db_row(&q)) {
		snprintf(buf, sizeof(buf), "row %lld of %s refers to a "
		    "missing %s row", (long long)db_int(&q, 1),
		    db_text(&q, 0), db_text(&q, 2));
		finding(a, "error", "foreign-key", buf);
	}
	if ((err = db_done(&q)) != NULL)
		goto done;
versions:
	if ((err = db_version(l, &v)) != NULL)
		goto done;
	if (v != pbi_nmigrations) {
		snprintf(buf, sizeof(buf), "schema version %ld, expected %d",
		    v, pbi_nmigrations);
		finding(a, "error", "schema-version", buf);
	}
	if ((err = db_appid(l, &v)) != NULL)
		goto done;
	if (v != PBI_LEDGER_APPID)
		finding(a, "error", "application-id", "not a pbictl ledger");
	if (!db_is_pg(l) && stat(l->path, &sb) == 0 &&
	    (sb.st_mode & 077) != 0) {
		snprintf(buf, sizeof(buf), "mode %04o: others may read the "
		    "ledger (chmod 600 '%s')", (unsigned)(sb.st_mode & 07777),
		    l->path);
		finding(a, "warning", "file-mode", buf);
	}
	for (i = 0; i < sizeof(invariants) / sizeof(invariants[0]); i++) {
		if ((err = db_query(&q, l, "cannot verify the ledger",
		    invariants[i].pg != NULL ? db_sql(l, invariants[i].sql,
		    invariants[i].pg) : invariants[i].sql, "")) != NULL)
			goto done;
		while (db_row(&q))
			finding(a, invariants[i].severity, db_text(&q, 0),
			    db_text(&q, 1));
		if ((err = db_done(&q)) != NULL)
			goto done;
	}
done:
	if (err != NULL)
		json_object_put(a);
	else
		*out = a;
	return err;
}
