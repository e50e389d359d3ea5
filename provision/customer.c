/*
 * customer.c: one customer's corner of Power BI: a profile (isolation
 * mode profile), a workspace created as that profile, its admins, its
 * capacity and its reports.  Every mutating step is journalled before the
 * call; a re-run reconciles (finds by deterministic name) and adopts what
 * the ledger or its journal says is ours, never creating twice.
 */
#include "provision.h"
#include "lag.h"
#include "powerbi/powerbi.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DRY_ID	"00000000-0000-0000-0000-000000000000"

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

const struct pbi_err *
pbi_report_file_load(struct pbi_report_file *f, const char *path,
    const char *name)
{
	const struct pbi_err	*err;
	const char		*base;
	size_t			 n;

	memset(f, 0, sizeof(*f));
	f->path = path;
	/* 10 GB: the most a Premium capacity imports (api-facts 3.4). */
	if ((err = pbi_map_file(path, (size_t)10 << 30, &f->data, &f->len,
	    f->sha256)) != NULL)
		return err;
	if ((err = pbi_pbix_check(path, f->data, f->len)) != NULL) {
		pbi_report_file_release(f);
		return err;
	}
	if (name == NULL) {
		base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		n = strlen(base);
		if (n > 5 && strcasecmp(base + n - 5, ".pbix") == 0)
			n -= 5;
		snprintf(f->name, sizeof(f->name), "%.*s", (int)n, base);
	} else
		pbi_strlcpy(f->name, name, sizeof(f->name));
	if (f->name[0] == '\0') {
		pbi_report_file_release(f);
		return pbi_err(PBI_ERR_INPUT, "'%s': no report name", path);
	}
	return NULL;
}

void
pbi_report_file_release(struct pbi_report_file *f)
{
	pbi_unmap_file(f->data, f->len);
	f->data = NULL;
}

/* Fill the cache of capacities, once.  Caller holds p->lock. */
static const struct pbi_err *
capacities_locked(struct pbi_prov *p)
{
	if (p->capacities != NULL)
		return NULL;
	return pb_capacities(p->svc, NULL, &p->capacities);
}

const struct pbi_err *
pbi_capacity_list(struct pbi_prov *p, struct json_object **out)
{
	const struct pbi_err	*err;

	*out = NULL;
	pthread_mutex_lock(p->lock);
	/* A copy: the cache's reference count is not for other threads. */
	if ((err = capacities_locked(p)) == NULL &&
	    json_object_deep_copy(p->capacities, out, NULL) != 0)
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
	pthread_mutex_unlock(p->lock);
	return err;
}

const struct pbi_err *
pbi_capacity_check(struct pbi_prov *p, const char *cap)
{
	const struct pbi_err	*err;
	struct json_object	*c = NULL;
	char			 st[32] = "", right[32] = "", name[256] = "";
	size_t			 i;
	int			 found = 0;

	if (!pbi_is_guid(cap))
		return pbi_err(PBI_ERR_INPUT, "invalid capacity id '%s'", cap);
	pthread_mutex_lock(p->lock);
	if ((err = capacities_locked(p)) == NULL) {
		for (i = 0; i < pj_len(p->capacities); i++) {
			c = pj_idx(p->capacities, i);
			if (pj_str(c, "id") == NULL ||
			    strcasecmp(pj_str(c, "id"), cap) != 0)
				continue;
			found = 1;
			pbi_strlcpy(st, pj_str(c, "state") ? pj_str(c,
			    "state") : "?", sizeof(st));
			pbi_strlcpy(right, pj_str(c,
			    "capacityUserAccessRight") ? pj_str(c,
			    "capacityUserAccessRight") : "", sizeof(right));
			pbi_strlcpy(name, pj_str(c, "displayName") ?
			    pj_str(c, "displayName") : "", sizeof(name));
		}
	}
	pthread_mutex_unlock(p->lock);
	if (err != NULL)
		return pbi_err_ctx(err, "cannot list capacities");
	if (!found)
		return pbi_err(PBI_ERR_NOTFOUND, "capacity %s is not among the "
		    "capacities this principal may assign (pbictl capacity "
		    "list)", cap);
	if (strcmp(st, "Active") != 0)
		return pbi_err(PBI_ERR_REFUSED, "capacity %s (%s) is %s, not "
		    "Active", cap, name, st);
	if (right[0] != '\0' && strcmp(right, "Assign") != 0 &&
	    strcmp(right, "Admin") != 0)
		return pbi_err(PBI_ERR_REFUSED, "capacity %s (%s): this "
		    "principal may not assign workspaces to it (%s)", cap,
		    name, right);
	return NULL;
}

/* Note what a step did in the customer's result. */
static void
did(struct json_object *res, const char *step, const char *what)
{
	struct json_object	*steps = pj_obj(res, "steps");

	if (steps == NULL) {
		steps = json_object_new_object();
		pj_add(res, "steps", steps);
	}
	pj_add_str(steps, step, what);
}

/* The profile of customer c: ledger, then lookup, then create. */
static const struct pbi_err *
step_profile(struct pbi_prov *p, struct pbi_customer *c, const char *name,
    struct json_object *res)
{
	const struct pbi_err	*err;
	struct pbi_err		 saved;
	struct json_object	*o = NULL;
	int64_t			 jid;
	int			 ours;

	if (c->profile_id[0] != '\0')
		return NULL;
	if ((err = pb_profile_find(p->svc, name, &o)) != NULL)
		return pbi_err_ctx(err, "cannot look up profile '%s'", name);
	if (o != NULL) {
		if ((err = pbi_ledger_journaled(p->ledger, "profile.create",
		    name, 0, &ours)) != NULL)
			goto done;
		if (!ours) {
			err = pbi_err(PBI_ERR_REFUSED, "a profile named '%s' "
			    "exists that this ledger did not create: "
			    "refusing to adopt it", name);
			goto done;
		}
		did(res, "profile", "adopted");
		if (!p->dry_run && (err = pbi_ledger_settle(p->ledger,
		    "profile.create", name, pj_str(o, "id"))) != NULL)
			goto done;
	} else {
		if ((err = prov_begin(p, c->id, "profile.create", name,
		    &jid)) != NULL)
			goto done;
		err = pb_profile_create(p->svc, name, &o);
		if (prov_ambiguous(err) || prov_exists(err)) {
			pbi_err_copy(&saved, err);
			if ((err = pb_profile_find(p->svc, name, &o)) == NULL &&
			    o == NULL)
				err = pbi_err_ctx(pbi_err_restore(&saved), "profile '%s' was not "
				    "created", name);
		}
		prov_end(p, jid, err ? "failed" : "ok",
		    o ? pj_str(o, "id") : NULL, err);
		if (err != NULL) {
			err = pbi_err_ctx(err, "cannot create profile '%s'",
			    name);
			goto done;
		}
		did(res, "profile", "created");
	}
	pbi_strlcpy(c->profile_id, o ? pj_str(o, "id") : DRY_ID,
	    sizeof(c->profile_id));
	if (!p->dry_run)
		err = pbi_ledger_profile_put(p->ledger, c->id, c->profile_id,
		    name);
done:
	json_object_put(o);
	return err;
}

/* The workspace of customer c, created as its profile. */
static const struct pbi_err *
step_workspace(struct pbi_prov *p, struct pbi_customer *c, const char *name,
    struct json_object *res)
{
	const struct pbi_err	*err;
	struct pbi_err		 saved;
	struct json_object	*o = NULL;
	const char		*prof = p->profiles ? c->profile_id : NULL;
	int64_t			 jid;
	int			 ours;

	if (c->workspace_id[0] != '\0')
		return NULL;
	if (p->dry_run && prof != NULL && strcmp(prof, DRY_ID) == 0)
		prof = NULL;
	if ((err = pb_group_find(p->svc, prof, name, &o)) != NULL)
		return pbi_err_ctx(err, "cannot look up workspace '%s'", name);
	if (o == NULL) {
		if ((err = prov_begin(p, c->id, "workspace.create", name,
		    &jid)) != NULL)
			return err;
		err = pb_group_create(p->svc, prof, name, &o);
		if (prov_ambiguous(err) || prov_exists(err)) {
			/* Names are unique in the tenant (api-facts 3.1). */
			pbi_err_copy(&saved, err);
			if ((err = pb_group_find(p->svc, prof, name, &o)) ==
			    NULL && o == NULL)
				/*
				 * The 409 stays in the error and so in the
				 * journal: a failed 409 is no evidence that
				 * the name is ours (pbi_ledger_journaled).
				 */
				err = prov_exists(&saved) ?
				    pbi_err_ctx(pbi_err_restore(&saved),
				    "workspace name '%s' is taken by a "
				    "workspace this principal cannot see: "
				    "someone else's", name) :
				    pbi_err_ctx(pbi_err_restore(&saved),
				    "workspace '%s' was not created", name);
		}
		prov_end(p, jid, err ? "failed" : o ? "ok" : "ok",
		    o ? pj_str(o, "id") : NULL, err);
		if (err != NULL)
			return pbi_err_ctx(err, "cannot create workspace '%s'",
			    name);
		did(res, "workspace", "created");
	} else {
		/* Ours only if this ledger ever set out to create it. */
		if ((err = pbi_ledger_journaled(p->ledger, "workspace.create",
		    name, 0, &ours)) != NULL)
			goto done;
		if (!ours) {
			err = pbi_err(PBI_ERR_REFUSED, "workspace '%s' (%s) "
			    "exists and this ledger did not create it: "
			    "someone else's workspace, not adopted", name,
			    pj_str(o, "id"));
			goto done;
		}
		did(res, "workspace", "adopted");
		if (!p->dry_run && (err = pbi_ledger_settle(p->ledger,
		    "workspace.create", name, pj_str(o, "id"))) != NULL)
			goto done;
	}
	pbi_strlcpy(c->workspace_id, o ? pj_str(o, "id") : DRY_ID,
	    sizeof(c->workspace_id));
	pbi_strlcpy(c->workspace_name, name, sizeof(c->workspace_name));
	if (o != NULL && pj_str(o, "capacityId") != NULL &&
	    pj_bool(o, "isOnDedicatedCapacity", 0))
		pbi_strlcpy(c->capacity_id, pj_str(o, "capacityId"),
		    sizeof(c->capacity_id));
	if (!p->dry_run) {
		err = pbi_ledger_workspace_put(p->ledger, c->id,
		    c->workspace_id, name, p->profiles ? c->profile_id : NULL);
		if (err == NULL && c->capacity_id[0] != '\0')
			err = pbi_ledger_workspace_capacity(p->ledger,
			    c->workspace_id, c->capacity_id);
	}
done:
	json_object_put(o);
	return err;
}

static const char *
as_profile(const struct pbi_prov *p, const struct pbi_customer *c)
{
	if (!p->profiles || c->profile_id[0] == '\0' ||
	    strcmp(c->profile_id, DRY_ID) == 0)
		return NULL;
	return c->profile_id;
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
	if (strcmp(c->workspace_id, DRY_ID) != 0 &&
	    (err = pb_group_users(p->svc, as_profile(p, c), c->workspace_id,
	    &users)) != NULL)
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
		if (have)
			continue;
		if ((err = prov_begin(p, c->id, "workspace.addUser",
		    o->admins[i], &jid)) != NULL)
			break;
		err = pb_group_user_add(p->svc, as_profile(p, c),
		    c->workspace_id, "User", o->admins[i], "Admin");
		prov_end(p, jid, err ? "failed" : "ok", c->workspace_id, err);
		if (err != NULL)
			err = pbi_err_ctx(err, "cannot add admin '%s' to "
			    "workspace '%s'", o->admins[i], c->workspace_name);
		added++;
	}
	if (added > 0 && err == NULL)
		did(res, "admins", "added");
	json_object_put(users);
	return err;
}

static int64_t
env_ms(const char *name, int64_t def_s)
{
	const char	*v = getenv(name);

	return (v && *v ? atol(v) : def_s) * 1000;
}

/* Assign the workspace to cap and wait for the assignment to finish. */
static const struct pbi_err *
step_capacity(struct pbi_prov *p, struct pbi_customer *c, const char *cap,
    struct json_object *res)
{
	const struct pbi_err	*err;
	struct json_object	*st = NULL;
	const char		*s, *prof = as_profile(p, c);
	int64_t			 jid, end, wait = 250;

	if (cap == NULL || cap[0] == '\0' ||
	    strcasecmp(c->capacity_id, cap) == 0)
		return NULL;
	if ((err = pbi_capacity_check(p, cap)) != NULL)
		return err;
	if ((err = prov_begin(p, c->id, "capacity.assign", c->workspace_id,
	    &jid)) != NULL)
		return err;
	if ((err = pb_assign(p->svc, prof, c->workspace_id, cap)) != NULL ||
	    p->dry_run)
		goto done;
	/* Asynchronous (api-facts 3.3): poll with backoff, to a deadline. */
	end = pbi_now_ms() + env_ms("PBICTL_ASSIGN_TIMEOUT", 600);
	for (;;) {
		json_object_put(st);
		st = NULL;
		if ((err = pb_assign_status(p->svc, prof, c->workspace_id,
		    &st)) != NULL)
			break;
		s = pj_str(st, "status");
		if (s != NULL && strcmp(s, "CompletedSuccessfully") == 0 &&
		    (pj_str(st, "capacityId") == NULL ||
		    strcasecmp(pj_str(st, "capacityId"), cap) == 0))
			break;
		if (s != NULL && strcmp(s, "AssignmentFailed") == 0) {
			err = pbi_err(PBI_ERR_HTTP, "the assignment failed "
			    "(activity %s)", pj_str(st, "activityId") ?
			    pj_str(st, "activityId") : "-");
			break;
		}
		if (pbi_now_ms() + wait > end) {
			err = pbi_err(PBI_ERR_DEADLINE, "the assignment is "
			    "still %s after %lld s; re-run to resume",
			    s ? s : "pending", (long long)env_ms(
			    "PBICTL_ASSIGN_TIMEOUT", 600) / 1000);
			break;
		}
		pbi_sleep_ms(wait);
		if (wait < 5000)
			wait = wait * 3 / 2;
	}
done:
	json_object_put(st);
	prov_end(p, jid, err ? "failed" : "ok", cap, err);
	if (err != NULL)
		return pbi_err_ctx(err, "cannot assign workspace '%s' to "
		    "capacity %s", c->workspace_name, cap);
	pbi_strlcpy(c->capacity_id, cap, sizeof(c->capacity_id));
	did(res, "capacity", "assigned");
	if (!p->dry_run)
		return pbi_ledger_workspace_capacity(p->ledger,
		    c->workspace_id, cap);
	return NULL;
}

/* Wait for an import to end; *imp receives its last state. */
static const struct pbi_err *
poll_import(struct pbi_prov *p, const char *prof, const char *ws,
    const char *id, struct json_object **imp)
{
	const struct pbi_err	*err = NULL;
	const char		*s;
	int64_t			 end, wait = 200;

	end = pbi_now_ms() + env_ms("PBICTL_IMPORT_TIMEOUT", 900);
	for (;;) {
		json_object_put(*imp);
		*imp = NULL;
		if ((err = pb_import_get(p->svc, prof, ws, id, imp)) != NULL)
			return err;
		s = pj_str(*imp, "importState");
		if (s != NULL && strcmp(s, "Succeeded") == 0)
			return NULL;
		if (s != NULL && strcmp(s, "Failed") == 0) {
			struct pbi_err	*e = pbi_err_slot();

			e->code = PBI_ERR_HTTP;
			snprintf(e->msg, sizeof(e->msg), "import %s failed",
			    id);
			pbi_strlcpy(e->svc_code, pj_path_str(*imp,
			    "error.code") ? pj_path_str(*imp, "error.code") :
			    "Failed", sizeof(e->svc_code));
			pbi_strlcpy(e->svc_msg, pj_path_str(*imp,
			    "error.message") ? pj_path_str(*imp,
			    "error.message") : "", sizeof(e->svc_msg));
			return e;
		}
		if (pbi_now_ms() + wait > end)
			return pbi_err(PBI_ERR_DEADLINE, "import %s is still "
			    "%s; re-run to resume", id, s ? s : "pending");
		pbi_sleep_ms(wait);
		if (wait < 5000)
			wait = wait * 3 / 2;
	}
}

/*
 * Wait for the dataset's latest refresh to end (status "Unknown" while
 * it runs, api-facts 3.6), backing off, to $PBICTL_REFRESH_TIMEOUT.
 */
static const struct pbi_err *
poll_refresh(struct pbi_prov *p, const char *prof, const char *ws,
    const char *dataset)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*all = NULL, *last;
	const char		*st;
	int64_t			 end, wait = 500;

	end = pbi_now_ms() + env_ms("PBICTL_REFRESH_TIMEOUT", 1800);
	for (;;) {
		json_object_put(all);
		all = NULL;
		if ((err = pb_refreshes(p->svc, prof, ws, dataset, &all)))
			break;
		last = pj_idx(all, 0);
		st = pj_str(last, "status");
		if (st != NULL && strcmp(st, "Completed") == 0)
			break;
		if (st != NULL && (strcmp(st, "Failed") == 0 ||
		    strcmp(st, "Disabled") == 0 ||
		    strcmp(st, "Cancelled") == 0)) {
			err = pbi_err(PBI_ERR_HTTP, "the refresh of dataset %s "
			    "ended %s%s%.200s", dataset, st,
			    pj_str(last, "serviceExceptionJson") ? ": " : "",
			    pj_str(last, "serviceExceptionJson") ?
			    pj_str(last, "serviceExceptionJson") : "");
			break;
		}
		if (pbi_now_ms() + wait > end) {
			err = pbi_err(PBI_ERR_DEADLINE, "the refresh of dataset "
			    "%s is still running", dataset);
			break;
		}
		pbi_sleep_ms(wait);
		if (wait < 10000)
			wait = wait * 3 / 2;
	}
	json_object_put(all);
	return err;
}

/* A report of this name in the ledger for the workspace: its sha256. */
static const struct pbi_err *
ledger_report(struct pbi_prov *p, const char *ws, const char *name,
    char sha[65], int *have)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *r;
	size_t			 i;

	*have = 0;
	sha[0] = '\0';
	if ((err = pbi_ledger_reports(p->ledger, ws, &all)) != NULL)
		return err;
	for (i = 0; i < pj_len(all); i++) {
		r = pj_idx(all, i);
		if (strcmp(pj_str(r, "name"), name) == 0) {
			*have = 1;
			pbi_strlcpy(sha, pj_str(r, "sha256") ?
			    pj_str(r, "sha256") : "", 65);
		}
	}
	json_object_put(all);
	return NULL;
}

/*
 * An import of name that is not among before (the imports there were
 * before this run sent its own), or NULL.
 */
static const struct pbi_err *
new_import(struct pbi_prov *p, const char *prof, const char *ws,
    const char *name, struct json_object *before, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *o;
	const char		*n, *id;
	size_t			 i, j;
	int			 old;

	*out = NULL;
	if ((err = pb_imports(p->svc, prof, ws, &all)) != NULL)
		return err;
	for (i = 0; i < pj_len(all) && *out == NULL; i++) {
		o = pj_idx(all, i);
		n = pj_str(o, "name");
		id = pj_str(o, "id");
		if (n == NULL || id == NULL || strcmp(n, name) != 0)
			continue;
		old = 0;
		for (j = 0; before && j < pj_len(before);
		    j++)
			if (pj_str(pj_idx(before, j), "id")
			    != NULL && strcmp(pj_str(pj_idx(
			    before, j), "id"), id) == 0)
				old = 1;
		if (!old)
			*out = json_object_get(o);
	}
	json_object_put(all);
	return NULL;
}

/*
 * Give every gateway datasource the dataset is bound to the credentials
 * of --credentials-file.  They go to the service only: never to the
 * ledger, the journal or a trace.
 */
static const struct pbi_err *
step_credentials(struct pbi_prov *p, struct pbi_customer *c,
    const char *prof, const char *dataset, struct json_object *details)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *d;
	const char		*gw, *id;
	size_t			 i;
	int64_t			 jid;

	if ((err = pb_bound_datasources(p->svc, prof, c->workspace_id,
	    dataset, &all)) != NULL)
		return pbi_err_ctx(err, "cannot list the datasources of "
		    "dataset %s", dataset);
	for (i = 0; i < pj_len(all) && err == NULL; i++) {
		d = pj_idx(all, i);
		gw = pj_str(d, "gatewayId");
		id = pj_str(d, "id");
		if (gw == NULL || id == NULL)
			continue;
		if ((err = prov_begin(p, c->id, "datasource.credentials", id,
		    &jid)) != NULL)
			break;
		err = pb_datasource_credentials(p->svc, prof, gw, id, details);
		prov_end(p, jid, err ? "failed" : "ok", id, err);
		if (err != NULL)
			err = pbi_err_ctx(err, "cannot set the credentials of "
			    "datasource %s", id);
	}
	json_object_put(all);
	return err;
}

/*
 * Start the import of f: multipart up to $PBICTL_LARGE_IMPORT_BYTES
 * (1 GiB, as Microsoft's SDK), else through a temporary upload location
 * in blocks of $PBICTL_UPLOAD_BLOCK_BYTES (4 MiB).
 */
static const struct pbi_err *
send_package(struct pbi_prov *p, const char *prof, const char *ws,
    const struct pbi_report_file *f, const char *mode,
    struct json_object **started)
{
	const struct pbi_err	*err;
	const char		*v = getenv("PBICTL_LARGE_IMPORT_BYTES");
	const char		*bv = getenv("PBICTL_UPLOAD_BLOCK_BYTES");
	size_t			 large = (size_t)1 << 30, block = 0;
	char			*url = NULL;

	if (v != NULL && *v != '\0')
		large = (size_t)strtoull(v, NULL, 10);
	if (bv != NULL && *bv != '\0')
		block = (size_t)strtoull(bv, NULL, 10);
	if (f->len <= large)
		return pb_import(p->svc, prof, ws, f->name, mode, f->data,
		    f->len, started);
	if (p->dry_run) {
		/* The location is made by a POST: show the call, stop. */
		return pb_upload_location(p->svc, prof, ws, &url);
	}
	if ((err = pb_upload_location(p->svc, prof, ws, &url)) == NULL &&
	    (err = pb_blob_upload(p->svc, url, f->data, f->len, block)) ==
	    NULL)
		err = pb_import_url(p->svc, prof, ws, f->name, mode, url,
		    started);
	free(url);
	return err;
}

/* Publish one package to the customer's workspace. */
static const struct pbi_err *
step_publish(struct pbi_prov *p, struct pbi_customer *c,
    const struct pbi_report_file *f, const struct pbi_cust_opts *o,
    struct json_object *reports)
{
	const struct pbi_err	*err;
	struct pbi_err		 saved;
	struct json_object	*imp = NULL, *started = NULL, *item, *ds;
	struct json_object	*before = NULL, *x;
	const char		*prof = as_profile(p, c), *mode, *iid;
	const char		*rid = NULL, *did_ = NULL;
	char			 sha[65], target[512], note[128];
	int64_t			 jid = 0, open = 0;
	size_t			 i;
	int			 have, earlier, adopted = 0;

	item = json_object_new_object();
	json_object_array_add(reports, item);
	pj_add_str(item, "name", f->name);
	pj_add_str(item, "sha256", f->sha256);
	if ((err = ledger_report(p, c->workspace_id, f->name, sha, &have)))
		return err;
	if (have && strcmp(sha, f->sha256) == 0) {
		pj_add_str(item, "action", "unchanged");
		return NULL;
	}
	/* The journal names the file: ws/name@sha256 prefix. */
	snprintf(target, sizeof(target), "%s/%s@", c->workspace_id, f->name);
	if ((err = pbi_ledger_journaled(p->ledger, "report.import", target, 1,
	    &earlier)) != NULL)
		return err;
	snprintf(target, sizeof(target), "%s/%s@%.16s", c->workspace_id,
	    f->name, f->sha256);
	/*
	 * An interrupted run that got this file's import under way left
	 * its intent open with the import's id: follow that import, and
	 * adopt it if it succeeded.  Nothing else is adopted.
	 */
	if ((err = pbi_ledger_open_intent(p->ledger, "report.import", target,
	    &open, note, sizeof(note))) != NULL)
		return err;
	if (open != 0 && strncmp(note, "import:", 7) == 0 && !p->dry_run) {
		err = poll_import(p, prof, c->workspace_id, note + 7, &imp);
		if (err == NULL) {
			started = json_object_new_object();
			pj_add_str(started, "id", note + 7);
			adopted = 1;
			goto imported;
		}
		if (err->code != PBI_ERR_HTTP)
			goto out;
		err = NULL;		/* it failed: import afresh */
		json_object_put(imp);
		imp = NULL;
	}
	/*
	 * The imports of this name already there: one still publishing is
	 * waited for rather than raced; none of them can be taken for the
	 * one this run is about to start.
	 */
	if ((have || earlier) && !p->dry_run) {
		if ((err = pb_imports(p->svc, prof, c->workspace_id, &before)))
			goto out;
		for (i = 0; i < pj_len(before); i++) {
			x = pj_idx(before, i);
			if (pj_str(x, "name") == NULL || strcmp(pj_str(x,
			    "name"), f->name) != 0 || pj_str(x, "importState") ==
			    NULL || strcmp(pj_str(x, "importState"),
			    "Publishing") != 0)
				continue;
			err = poll_import(p, prof, c->workspace_id,
			    pj_str(x, "id"), &imp);
			json_object_put(imp);
			imp = NULL;
			if (err != NULL && err->code != PBI_ERR_HTTP)
				goto out;
			err = NULL;
		}
	}
	/* The first version must not overwrite; later ones replace. */
	mode = have || earlier ? "CreateOrOverwrite" : "Abort";
	if ((err = prov_begin(p, c->id, "report.import", target, &jid)))
		goto out;
	err = send_package(p, prof, c->workspace_id, f, mode, &started);
	if (prov_ambiguous(err)) {
		/*
		 * Did it land?  Only an import that was not there before
		 * is ours; without one, sending again cannot duplicate the
		 * report (CreateOrOverwrite).
		 */
		pbi_err_copy(&saved, err);
		if ((err = new_import(p, prof, c->workspace_id, f->name, before,
		    &started)) == NULL && started == NULL)
			err = send_package(p, prof, c->workspace_id, f,
			    "CreateOrOverwrite", &started);
	} else if (prov_exists(err) && !have && !earlier)
		err = pbi_err_ctx(err, "a report or dataset named '%s' exists "
		    "in workspace '%s' that pbictl did not publish",
		    f->name, c->workspace_name);
	if (err == NULL && !p->dry_run && pj_str(started, "id") != NULL) {
		/* A killed run can follow this very import on a re-run. */
		snprintf(note, sizeof(note), "import:%s", pj_str(started, "id"));
		err = pbi_ledger_note(p->ledger, jid, note);
	}
	if (err == NULL && p->dry_run) {
		pj_add_str(item, "action", "imported");
		goto done;
	}
	if (err == NULL && (iid = pj_str(started, "id")) == NULL)
		err = pbi_err(PBI_ERR_PROTO, "the import answer has no id");
	if (err == NULL)
		err = poll_import(p, prof, c->workspace_id,
		    pj_str(started, "id"), &imp);
imported:
	if (err == NULL) {
		rid = pj_str(pj_idx(pj_arr(imp, "reports"),
		    0), "id");
		ds = pj_idx(pj_arr(imp, "datasets"), 0);
		did_ = pj_str(ds, "id");
		if (rid == NULL)
			err = pbi_err(PBI_ERR_PROTO, "import of '%s' "
			    "succeeded without a report", f->name);
	}
	if (err != NULL) {
		pbi_err_copy(&saved, err);
		prov_end(p, jid, "failed", NULL, &saved);
		err = pbi_err_restore(&saved);
	} else
		err = prov_end(p, jid, "ok", rid, NULL);
	if (err != NULL) {
out:
		err = pbi_err_ctx(err, "cannot publish '%s' to workspace '%s'",
		    f->name, c->workspace_name);
		goto done;
	}
	if (adopted && (err = pbi_ledger_settle(p->ledger, "report.import",
	    target, rid)) != NULL)
		goto done;
	pj_add_str(item, "action", have ? "updated" : adopted ? "adopted" :
	    "published");
	pj_add_str(item, "reportId", rid);
	pj_add_str(item, "datasetId", did_);
	if (did_ != NULL && o->params != NULL) {
		/* Parameters need the dataset's owner (api-facts 3.6). */
		if ((err = prov_begin(p, c->id, "dataset.takeOver", did_,
		    &jid)) != NULL)
			goto done;
		err = pb_takeover(p->svc, prof, c->workspace_id, did_);
		prov_end(p, jid, err ? "failed" : "ok", did_, err);
		if (err == NULL && (err = prov_begin(p, c->id,
		    "dataset.updateParameters", did_, &jid)) == NULL) {
			err = pb_update_params(p->svc, prof, c->workspace_id,
			    did_, o->params);
			prov_end(p, jid, err ? "failed" : "ok", did_, err);
		}
		if (err != NULL) {
			err = pbi_err_ctx(err, "cannot set the parameters of "
			    "dataset %s", did_);
			goto done;
		}
	}
	if (did_ != NULL && o->credentials != NULL &&
	    (err = step_credentials(p, c, prof, did_, o->credentials)) != NULL)
		goto done;
	if (did_ != NULL && o->refresh) {
		if ((err = prov_begin(p, c->id, "dataset.refresh", did_,
		    &jid)) != NULL)
			goto done;
		err = pb_refresh(p->svc, prof, c->workspace_id, did_);
		if (err == NULL && !p->dry_run)
			err = poll_refresh(p, prof, c->workspace_id, did_);
		prov_end(p, jid, err ? "failed" : "ok", did_, err);
		if (err != NULL) {
			err = pbi_err_ctx(err, "cannot refresh dataset %s",
			    did_);
			goto done;
		}
	}
	/*
	 * Recorded last: a failed parameter or refresh step leaves the
	 * report unrecorded, and a re-run imports it again (replacing it)
	 * and retries the step.
	 */
	err = pbi_ledger_report_put(p->ledger, c->workspace_id, rid, did_,
	    f->name, f->sha256, pj_str(started, "id"));
done:
	json_object_put(before);
	json_object_put(started);
	json_object_put(imp);
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
	for (i = 0; o->rows && i < pj_len(o->rows); i++)
		if (strcmp(pj_str(pj_idx(o->rows, i),
		    "customer"), slug) == 0)
			row = pj_idx(o->rows, i);
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
		if ((err = pbi_ledger_customer(p->ledger, slug, &c, &found)))
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
	    (err = step_capacity(p, &c, o->capacity, res)) != NULL)
		goto fail;
	reports = json_object_new_array();
	pj_add(res, "reports", reports);
	for (i = 0; i < o->nfiles; i++)
		if ((err = step_publish(p, &c, &o->files[i], o, reports)))
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
		err = pb_group_delete(p->svc, as_profile(p, &c),
		    c.workspace_id);
		if (err != NULL && err->status == 404)
			err = NULL;	/* already gone */
		prov_end(p, jid, err ? "failed" : "ok", c.workspace_id, err);
		if (err != NULL)
			return pbi_err_ctx(err, "cannot delete workspace '%s'",
			    c.workspace_name);
		did(res, "workspace", "deleted");
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
		did(res, "profile", "deleted");
		if (!p->dry_run && (err = pbi_ledger_profile_gone(p->ledger,
		    c.profile_id)) != NULL)
			return err;
	}
	if (strcmp(c.status, "removed") == 0 && pj_obj(res, "steps") == NULL)
		did(res, "customer", "already removed");
	if (!p->dry_run)
		err = pbi_ledger_customer_status(p->ledger, c.id, "removed");
	return err;
}
