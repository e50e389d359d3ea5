/*
 * customer.c: one customer's corner of Power BI: a profile (isolation
 * mode profile), a workspace created as that profile, its admins, then
 * its capacity (capacity.c) and its reports (publish.c).  Every mutating
 * step is journalled before the call; a re-run reconciles (finds by
 * deterministic name) and adopts what the ledger or its journal says is
 * ours, never creating twice.
 */
#include "provision.h"
#include "steps.h"
#include "powerbi/powerbi.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
pbi_slug_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

void
pbi_ws_name(const struct pbi_prov *p, const char *slug, char *buf,
    size_t len)
{
	const char	*at = strstr(p->template, "{slug}");

	if (at == NULL)
		snprintf(buf, len, "%s", slug);
	else
		snprintf(buf, len, "%.*s%s%s", (int)(at - p->template),
		    p->template, slug, at + 6);
}

/*
 * How many times more a profile or workspace create is sent after a 5xx
 * or a lost answer, when the lookup shows it was not created: names are
 * unique (api-facts 3.1), so the service refuses a duplicate with 409.
 */
#define CREATE_RESENDS	2

static const struct pbi_err *
find_profile(struct pbi_prov *p, const void *name, struct json_object **out)
{
	const struct pbi_err	*err;

	if ((err = pb_profile_find(p->svc, name, out)) != NULL)
		return pbi_err_ctx(err, "cannot look up profile '%s'",
		    (const char *)name);
	return NULL;
}

static const struct pbi_err *
create_profile(struct pbi_prov *p, const void *name,
    struct json_object **out)
{
	return pb_profile_create(p->svc, name, out);
}

/* The profile of customer c: ledger, then lookup, then create. */
static const struct pbi_err *
step_profile(struct pbi_prov *p, struct pbi_customer *c, const char *name,
    struct json_object *res)
{
	const struct pbi_err	*err;
	struct json_object	*obj = NULL;
	enum prov_how		 how;
	char			 what[300];
	const struct prov_object o = { .what = what,
	    .step = "profile.create", .target = name, .customer = c->id,
	    .flags = PROV_GUID | PROV_UNIQUE, .resends = CREATE_RESENDS,
	    .find = find_profile, .create = create_profile, .arg = name };

	if (c->profile_id[0] != '\0')
		return NULL;
	snprintf(what, sizeof(what), "profile '%s'", name);
	if ((err = prov_reconcile(p, &o, &obj, &how)) != NULL)
		return err;
	prov_did(res, "profile", how == PROV_FOUND ? "adopted" : "created");
	pbi_strlcpy(c->profile_id, obj ? prov_object_id(&o, obj) :
	    PROV_DRY_ID, sizeof(c->profile_id));
	json_object_put(obj);
	if (!p->dry_run)
		err = pbi_ledger_profile_put(p->ledger, c->id, c->profile_id,
		    name);
	return err;
}

/* A workspace's name, and the profile it is created as (or NULL). */
struct ws_key {
	const char	*profile;
	const char	*name;
};

static const struct pbi_err *
find_workspace(struct pbi_prov *p, const void *arg, struct json_object **out)
{
	const struct ws_key	*k = arg;
	const struct pbi_err	*err;

	if ((err = pb_group_find(p->svc, k->profile, k->name, out)) != NULL)
		return pbi_err_ctx(err, "cannot look up workspace '%s'",
		    k->name);
	return NULL;
}

static const struct pbi_err *
create_workspace(struct pbi_prov *p, const void *arg,
    struct json_object **out)
{
	const struct ws_key	*k = arg;

	return pb_group_create(p->svc, k->profile, k->name, out);
}

/* The workspace of customer c, created as its profile. */
static const struct pbi_err *
step_workspace(struct pbi_prov *p, struct pbi_customer *c, const char *name,
    struct json_object *res)
{
	const struct pbi_err	*err = NULL;
	struct ws_key		 k;
	struct json_object	*obj = NULL;
	enum prov_how		 how;
	const char		*cap;
	char			 what[300];
	const struct prov_object o = { .what = what,
	    .step = "workspace.create", .target = name, .customer = c->id,
	    .flags = PROV_GUID | PROV_UNIQUE, .resends = CREATE_RESENDS,
	    .find = find_workspace, .create = create_workspace, .arg = &k };

	if (c->workspace_id[0] != '\0')
		return NULL;
	k.name = name;
	k.profile = p->profiles ? c->profile_id : NULL;
	if (p->dry_run && k.profile != NULL &&
	    strcmp(k.profile, PROV_DRY_ID) == 0)
		k.profile = NULL;
	snprintf(what, sizeof(what), "workspace '%s'", name);
	if ((err = prov_reconcile(p, &o, &obj, &how)) != NULL)
		return err;
	prov_did(res, "workspace", how == PROV_FOUND ? "adopted" : "created");
	pbi_strlcpy(c->workspace_id, obj ? prov_object_id(&o, obj) :
	    PROV_DRY_ID, sizeof(c->workspace_id));
	pbi_strlcpy(c->workspace_name, name, sizeof(c->workspace_name));
	if ((cap = pj_str(obj, "capacityId")) != NULL && pbi_is_guid(cap) &&
	    pj_bool(obj, "isOnDedicatedCapacity", 0))
		pbi_strlcpy(c->capacity_id, cap, sizeof(c->capacity_id));
	json_object_put(obj);
	if (!p->dry_run) {
		err = pbi_ledger_workspace_put(p->ledger, c->id,
		    c->workspace_id, name, p->profiles ? c->profile_id : NULL);
		if (err == NULL && c->capacity_id[0] != '\0')
			err = pbi_ledger_workspace_capacity(p->ledger,
			    c->workspace_id, c->capacity_id);
	}
	return err;
}

/* Make each UPN an admin of the workspace, once. */
static const struct pbi_err *
step_admins(struct pbi_prov *p, struct pbi_customer *c,
    const struct pbi_cust_opts *o, struct json_object *res)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*users = NULL;
	const char		*id;
	size_t			 i, j;
	int64_t			 jid;
	int			 have, added = 0;

	if (o->nadmins == 0)
		return NULL;
	if (strcmp(c->workspace_id, PROV_DRY_ID) != 0 &&
	    (err = pb_group_users(p->svc, prov_as_profile(p, c),
	    c->workspace_id, &users)) != NULL)
		return pbi_err_ctx(err, "cannot list the users of workspace "
		    "'%s'", c->workspace_name);
	for (i = 0; i < o->nadmins && err == NULL; i++) {
		have = 0;
		for (j = 0; j < pj_len(users); j++) {
			id = pj_str(pj_idx(users, j),
			    "identifier");
			if (id == NULL)
				id = pj_str(pj_idx(users, j),
				    "emailAddress");
			if (id != NULL && strcasecmp(id, o->admins[i]) == 0)
				have = 1;
		}
		/* The audit expects the admins configured, however added. */
		if (!p->dry_run && (err = pbi_ledger_admin_put(p->ledger,
		    c->id, o->admins[i])) != NULL)
			break;
		if (have)
			continue;
		if ((err = prov_begin(p, c->id, "workspace.addUser",
		    o->admins[i], &jid)) != NULL)
			break;
		err = pb_group_user_add(p->svc, prov_as_profile(p, c),
		    c->workspace_id, "User", o->admins[i], "Admin");
		prov_end(p, jid, err ? "failed" : "ok", c->workspace_id, err);
		if (err != NULL)
			err = pbi_err_ctx(err, "cannot add admin '%s' to "
			    "workspace '%s'", o->admins[i], c->workspace_name);
		added++;
	}
	if (added > 0 && err == NULL)
		prov_did(res, "admins", "added");
	json_object_put(users);
	return err;
}

const struct pbi_err *
pbi_customer_onboard(struct pbi_prov *p, const char *slug,
    const struct pbi_cust_opts *o, struct json_object *res)
{
	const struct pbi_err	*err;
	struct pbi_customer	 c;
	struct pbi_cust_opts	 mine;
	struct json_object	*reports, *row = NULL;
	const char		*admins[33];
	char			 name[256];
	size_t			 i;
	int			 found;

	/* A CSV row may name this customer's display name and an admin. */
	if (o->rows != NULL)
		json_object_object_get_ex(o->rows, slug, &row);
	if (row != NULL && (pj_str(row, "displayName") ||
	    pj_str(row, "admin"))) {
		mine = *o;
		if (pj_str(row, "displayName") != NULL)
			mine.display_name = pj_str(row, "displayName");
		if (pj_str(row, "admin") != NULL && o->nadmins < 32) {
			for (i = 0; i < o->nadmins; i++)
				admins[i] = o->admins[i];
			admins[i] = pj_str(row, "admin");
			mine.admins = admins;
			mine.nadmins = o->nadmins + 1;
		}
		o = &mine;
	}
	if (!pbi_slug_ok(slug))
		return pbi_err(PBI_ERR_INPUT, "invalid customer name '%s': "
		    "use 1 to 63 lowercase letters, digits and '-'", slug);
	pbi_ws_name(p, slug, name, sizeof(name));
	if (o->existing) {
		if ((err = pbi_ledger_customer(p->ledger, slug, &c, &found)))
			return err;
		if (!found || c.workspace_id[0] == '\0' ||
		    strcmp(c.status, "removed") == 0)
			return pbi_err(PBI_ERR_NOTFOUND, "customer '%s' has no "
			    "workspace: onboard it first (pbictl customer add)",
			    slug);
	}
	if (p->dry_run) {
		/* Read once: --existing has just read it. */
		if (!o->existing &&
		    (err = pbi_ledger_customer(p->ledger, slug, &c, &found)))
			return err;
		if (!found)
			pbi_strlcpy(c.slug, slug, sizeof(c.slug));
	} else if ((err = pbi_ledger_customer_add(p->ledger, slug,
	    o->display_name, &c)) != NULL)
		return err;
	if (p->profiles && (err = step_profile(p, &c, name, res)) != NULL)
		goto fail;
	if ((err = step_workspace(p, &c, name, res)) != NULL ||
	    (err = step_admins(p, &c, o, res)) != NULL ||
	    (err = prov_step_capacity(p, &c, o->capacity, res)) != NULL)
		goto fail;
	reports = json_object_new_array();
	pj_add(res, "reports", reports);
	for (i = 0; i < o->nfiles; i++)
		if ((err = prov_step_publish(p, &c, &o->files[i], o, reports)))
			goto fail;
	pj_add_str(res, "profileId", c.profile_id[0] ? c.profile_id : NULL);
	pj_add_str(res, "workspaceId", c.workspace_id);
	pj_add_str(res, "workspaceName", c.workspace_name);
	pj_add_str(res, "capacityId", c.capacity_id[0] ? c.capacity_id :
	    NULL);
	if (!p->dry_run)
		return pbi_ledger_customer_status(p->ledger, c.id, "active");
	return NULL;
fail:
	pj_add_str(res, "profileId", c.profile_id[0] ? c.profile_id : NULL);
	pj_add_str(res, "workspaceId", c.workspace_id[0] ? c.workspace_id :
	    NULL);
	if (!p->dry_run && c.id > 0 && strcmp(c.status, "active") != 0) {
		struct pbi_err	 saved;

		pbi_err_copy(&saved, err);
		pbi_ledger_customer_status(p->ledger, c.id, "failed");
		return pbi_err_restore(&saved);
	}
	return err;
}

const struct pbi_err *
pbi_customer_remove(struct pbi_prov *p, const char *slug,
    const struct pbi_cust_opts *o, struct json_object *res)
{
	const struct pbi_err	*err = NULL;
	struct pbi_customer	 c;
	int64_t			 jid;
	int			 found;

	if ((err = pbi_ledger_customer(p->ledger, slug, &c, &found)) != NULL)
		return err;
	if (!found)
		return pbi_err(PBI_ERR_NOTFOUND, "no customer '%s' in the "
		    "ledger", slug);
	if (c.workspace_id[0] != '\0' && !o->keep_workspace) {
		if ((err = prov_begin(p, c.id, "workspace.delete",
		    c.workspace_id, &jid)) != NULL)
			return err;
		err = pb_group_delete(p->svc, prov_as_profile(p, &c),
		    c.workspace_id);
		if (err != NULL && err->status == 404)
			err = NULL;	/* already gone */
		prov_end(p, jid, err ? "failed" : "ok", c.workspace_id, err);
		if (err != NULL)
			return pbi_err_ctx(err, "cannot delete workspace '%s'",
			    c.workspace_name);
		prov_did(res, "workspace", "deleted");
		if (!p->dry_run && (err = pbi_ledger_workspace_gone(p->ledger,
		    c.workspace_id)) != NULL)
			return err;
	}
	/* A kept workspace keeps the profile that can still reach it. */
	if (c.profile_id[0] != '\0' && !o->keep_workspace) {
		if ((err = prov_begin(p, c.id, "profile.delete", c.profile_id,
		    &jid)) != NULL)
			return err;
		err = pb_profile_delete(p->svc, c.profile_id);
		if (err != NULL && err->status == 404)
			err = NULL;
		prov_end(p, jid, err ? "failed" : "ok", c.profile_id, err);
		if (err != NULL)
			return pbi_err_ctx(err, "cannot delete profile %s",
			    c.profile_id);
		prov_did(res, "profile", "deleted");
		if (!p->dry_run && (err = pbi_ledger_profile_gone(p->ledger,
		    c.profile_id)) != NULL)
			return err;
	}
	if (strcmp(c.status, "removed") == 0 && pj_obj(res, "steps") == NULL)
		prov_did(res, "customer", "already removed");
	if (!p->dry_run)
		err = pbi_ledger_customer_status(p->ledger, c.id, "removed");
	return err;
}
