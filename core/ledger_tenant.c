/*
 * ledger_tenant.c: the rows of the tenant deployment: settings,
 * customers, profiles, workspaces, reports, grants.
 */
#include "core.h"
#include "ledger_int.h"

#include <stdlib.h>
#include <string.h>

const struct pbi_err *
pbi_ledger_get(struct pbi_ledger *l, const char *key, char **val)
{
	const struct pbi_err	*err;
	struct db_stmt		 q;
	const char		*v;

	*val = NULL;
	if ((err = db_query(&q, l, "cannot read a setting",
	    "SELECT value FROM settings WHERE key = ?1", "s", key)) != NULL)
		return err;
	if (db_row(&q) && (v = db_text(&q, 0)) != NULL &&
	    (*val = strdup(v)) == NULL) {
		db_done(&q);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	if ((err = db_done(&q)) != NULL) {
		free(*val);
		*val = NULL;
	}
	return err;
}

const struct pbi_err *
pbi_ledger_set(struct pbi_ledger *l, const char *key, const char *val)
{
	return db_run(l, "cannot write a setting",
	    "INSERT INTO settings (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
	    "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
	    "WHERE settings.value IS DISTINCT FROM excluded.value", "ss", key,
	    val);
}

const struct pbi_err *
pbi_ledger_settings(struct pbi_ledger *l, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*o;
	struct db_stmt		 q;

	*out = NULL;
	if ((err = db_query(&q, l, "cannot read the ledger",
	    "SELECT key, value FROM settings ORDER BY key", "")) != NULL)
		return err;
	if ((o = json_object_new_object()) == NULL) {
		db_done(&q);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	while (db_row(&q))
		pj_add_str(o, db_text(&q, 0), db_text(&q, 1));
	if ((err = db_done(&q)) != NULL) {
		json_object_put(o);
		return err;
	}
	*out = o;
	return NULL;
}

const struct pbi_err *
pbi_ledger_customer(struct pbi_ledger *l, const char *slug,
    struct pbi_customer *c, int *found)
{
	const struct pbi_err	*err;
	struct db_stmt		 q;

	*found = 0;
	memset(c, 0, sizeof(*c));
	if ((err = db_query(&q, l, "cannot read a customer",
	    "SELECT c.id, c.slug, c.display_name, c.status, "
	    "(SELECT p.id FROM profiles p WHERE p.customer_id = c.id AND "
	    "p.state = 'active'), w.id, w.name, w.capacity_id "
	    "FROM customers c LEFT JOIN workspaces w ON w.customer_id = c.id "
	    "AND w.state = 'active' WHERE c.slug = ?1", "s", slug)) != NULL)
		return err;
	if (db_row(&q)) {
		c->id = db_int(&q, 0);
		db_copy(&q, 1, c->slug, sizeof(c->slug));
		db_copy(&q, 2, c->display_name, sizeof(c->display_name));
		db_copy(&q, 3, c->status, sizeof(c->status));
		db_copy(&q, 4, c->profile_id, sizeof(c->profile_id));
		db_copy(&q, 5, c->workspace_id, sizeof(c->workspace_id));
		db_copy(&q, 6, c->workspace_name, sizeof(c->workspace_name));
		db_copy(&q, 7, c->capacity_id, sizeof(c->capacity_id));
		*found = 1;
	}
	if ((err = db_done(&q)) != NULL) {
		*found = 0;
		memset(c, 0, sizeof(*c));
	}
	return err;
}

const struct pbi_err *
pbi_ledger_customer_add(struct pbi_ledger *l, const char *slug,
    const char *display_name, struct pbi_customer *c)
{
	const struct pbi_err	*err;
	int			 found;

	if ((err = db_run(l, "cannot record a customer",
	    "INSERT INTO customers (slug, display_name) "
	    "VALUES (?1, ?2) ON CONFLICT (slug) DO UPDATE SET "
	    "display_name = coalesce(?3, customers.display_name), "
	    "status = CASE customers.status WHEN 'removed' THEN 'pending' "
	    "ELSE customers.status END, removed_at = NULL, updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", "sss", slug,
	    display_name ? display_name : slug, display_name)) != NULL)
		return err;
	if ((err = pbi_ledger_customer(l, slug, c, &found)) == NULL && !found)
		err = pbi_err(PBI_ERR_LEDGER, "customer '%s' vanished", slug);
	return err;
}

const struct pbi_err *
pbi_ledger_customer_status(struct pbi_ledger *l, int64_t id,
    const char *status)
{
	return db_run(l, "cannot set a customer's status",
	    "UPDATE customers SET status = ?2, updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), removed_at = CASE ?2 "
	    "WHEN 'removed' THEN coalesce(removed_at, "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) ELSE removed_at END "
	    "WHERE id = ?1", "Is", id, status);
}

/* The columns of a customer's row; the query ends with its WHERE. */
#define CUSTOMER_ROW							\
	"SELECT c.slug AS customer, c.display_name AS \"displayName\", " \
	"c.status, (SELECT p.id FROM profiles p WHERE "			\
	"p.customer_id = c.id AND p.state = 'active') AS \"profileId\", " \
	"w.id AS \"workspaceId\", w.name AS \"workspaceName\", "	\
	"w.capacity_id AS \"capacityId\", (SELECT count(*) FROM reports r " \
	"WHERE r.workspace_id = w.id) AS reports, c.created_at AS "	\
	"\"createdAt\", c.removed_at AS \"removedAt\" FROM customers c " \
	"LEFT JOIN workspaces w "					\
	"ON w.customer_id = c.id AND w.state = 'active' "

const struct pbi_err *
pbi_ledger_customers_each(struct pbi_ledger *l, int with_removed,
    pbi_ledger_row_fn fn, void *arg)
{
	const struct pbi_err	*err, *stop = NULL;
	struct json_object	*row;
	struct db_stmt		 q;

	if ((err = db_query(&q, l, "cannot read the ledger",
	    CUSTOMER_ROW "WHERE ?1 <> 0 OR c.status <> 'removed' ORDER BY c.slug",
	    "i", with_removed)) != NULL)
		return err;
	while (stop == NULL && db_row(&q)) {
		if ((row = db_row_json(&q)) == NULL)
			stop = pbi_err(PBI_ERR_NOMEM, "out of memory");
		else
			stop = fn(arg, row);
		json_object_put(row);
	}
	err = db_done(&q);
	return stop != NULL ? stop : err;
}

/* pbi_ledger_customers' fn: add the row to the array arg. */
static const struct pbi_err *
customers_add(void *arg, struct json_object *row)
{
	if (json_object_array_add(arg, json_object_get(row)) != 0) {
		json_object_put(row);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	return NULL;
}

const struct pbi_err *
pbi_ledger_customers(struct pbi_ledger *l, int with_removed,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*a;

	*out = NULL;
	if ((a = json_object_new_array()) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	if ((err = pbi_ledger_customers_each(l, with_removed, customers_add,
	    a)) != NULL) {
		json_object_put(a);
		return err;
	}
	*out = a;
	return NULL;
}

const struct pbi_err *
pbi_ledger_customer_row(struct pbi_ledger *l, const char *slug,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct db_stmt		 q;

	*out = NULL;
	if ((err = db_query(&q, l, "cannot read a customer",
	    CUSTOMER_ROW "WHERE c.slug = ?1", "s", slug)) != NULL)
		return err;
	if (db_row(&q) && (*out = db_row_json(&q)) == NULL) {
		db_done(&q);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	if ((err = db_done(&q)) != NULL) {
		json_object_put(*out);
		*out = NULL;
	}
	return err;
}

const struct pbi_err *
pbi_ledger_item_owner(struct pbi_ledger *l, int dataset, const char *id,
    const char *except, char *who, size_t len)
{
	const struct pbi_err	*err;
	struct db_stmt		 q;

	who[0] = '\0';
	/* Two queries, so that each is one lookup in its own index. */
	if ((err = db_query(&q, l, "cannot read the ledger", dataset ?
	    "SELECT c.slug FROM reports r JOIN workspaces w ON "
	    "w.id = r.workspace_id JOIN customers c ON c.id = w.customer_id "
	    "WHERE r.dataset_id = ?1 AND w.state = 'active' AND "
	    "c.slug <> ?2 ORDER BY c.slug LIMIT 1" :
	    "SELECT c.slug FROM reports r JOIN workspaces w ON "
	    "w.id = r.workspace_id JOIN customers c ON c.id = w.customer_id "
	    "WHERE r.id = ?1 AND w.state = 'active' AND c.slug <> ?2 "
	    "LIMIT 1", "ss", id, except ? except : "")) != NULL)
		return err;
	if (db_row(&q))
		db_copy(&q, 0, who, len);
	if ((err = db_done(&q)) != NULL)
		who[0] = '\0';
	return err;
}

const struct pbi_err *
pbi_ledger_reports(struct pbi_ledger *l, const char *workspace_id,
    struct json_object **out)
{
	return db_rows(l, "cannot read the ledger", out,
	    "SELECT id, name, dataset_id AS \"datasetId\", sha256, "
	    "version, import_id AS \"importId\", "
	    "published_at AS \"publishedAt\" "
	    "FROM reports WHERE workspace_id = ?1 ORDER BY name", "s",
	    workspace_id);
}

const struct pbi_err *
pbi_ledger_profile_put(struct pbi_ledger *l, int64_t customer, const char *id,
    const char *name)
{
	return db_run(l, "cannot record a profile",
	    "INSERT INTO profiles (id, customer_id, display_name) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE "
	    "SET state = 'active', deleted_at = NULL", "sIs", id, customer,
	    name);
}

const struct pbi_err *
pbi_ledger_profile_gone(struct pbi_ledger *l, const char *id)
{
	return db_run(l, "cannot record a deleted profile",
	    "UPDATE profiles SET state = 'deleted', deleted_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1", "s", id);
}

const struct pbi_err *
pbi_ledger_workspace_put(struct pbi_ledger *l, int64_t customer,
    const char *id, const char *name, const char *profile)
{
	return db_run(l, "cannot record a workspace",
	    "INSERT INTO workspaces (id, customer_id, name, "
	    "profile_id) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (id) DO UPDATE SET state = 'active', deleted_at = "
	    "NULL, name = excluded.name", "sIss", id, customer, name,
	    profile);
}

const struct pbi_err *
pbi_ledger_workspace_capacity(struct pbi_ledger *l, const char *id,
    const char *capacity)
{
	return db_run(l, "cannot record a capacity",
	    "UPDATE workspaces SET capacity_id = ?2, updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1", "ss", id,
	    capacity);
}

const struct pbi_err *
pbi_ledger_workspace_gone(struct pbi_ledger *l, const char *id)
{
	const struct pbi_err	*err;

	/* Its reports went with it; the journal keeps their history. */
	if ((err = db_run(l, "cannot forget a workspace's reports",
	    "DELETE FROM reports WHERE workspace_id = ?1", "s", id)) != NULL)
		return err;
	return db_run(l, "cannot record a deleted workspace",
	    "UPDATE workspaces SET state = 'deleted', deleted_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1", "s", id);
}

const struct pbi_err *
pbi_ledger_report_put(struct pbi_ledger *l, const char *workspace,
    const char *id, const char *dataset, const char *name,
    const char *sha256, const char *import_id)
{
	/* One row per (workspace, name): a new version replaces it. */
	return db_run(l, "cannot record a report",
	    "INSERT INTO reports (id, workspace_id, dataset_id, "
	    "name, sha256, import_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT (workspace_id, name) DO UPDATE SET id = excluded.id, "
	    "dataset_id = excluded.dataset_id, import_id = excluded.import_id, "
	    "version = reports.version + CASE WHEN reports.sha256 <> "
	    "excluded.sha256 THEN 1 "
	    "ELSE 0 END, sha256 = "
	    "excluded.sha256, published_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", "ssssss", id, workspace,
	    dataset, name, sha256, import_id);
}

const struct pbi_err *
pbi_ledger_grant_put(struct pbi_ledger *l, const char *id, const char *client,
    const char *resource, const char *resource_app, const char *consent,
    const char *principal, const char *scope)
{
	return db_run(l, "cannot record a grant",
	    "INSERT INTO grants (id, client_id, resource_id, "
	    "resource_app_id, consent_type, principal_id, scope) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET "
	    "scope = excluded.scope, updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", "sssssss", id, client,
	    resource, resource_app, consent, principal, scope);
}

const struct pbi_err *
pbi_ledger_grant_del(struct pbi_ledger *l, const char *id)
{
	return db_run(l, "cannot forget a grant",
	    "DELETE FROM grants WHERE id = ?1", "s", id);
}
