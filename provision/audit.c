/*
 * audit.c: the isolation audit's reads.  It gathers what the ledger
 * records and what the service answers into one snapshot, which
 * audit_rules.c judges, then records the audit in the ledger.
 *
 * Admin mode reads the whole tenant through admin/groups (one call per
 * 5000 workspaces) and the scanner for what datasets connect to, only
 * for workspaces modified since the ledger last knew them.  Workspace
 * mode reads each customer's workspace as its profile, --jobs at a time.
 * Nothing here writes to the tenant: the scanner's getInfo starts a scan
 * (a read in effect) and --probe's GenerateToken mints a token that is
 * wiped unread.
 */
#include "provision.h"
#include "steps.h"
#include "graph/graph.h"
#include "powerbi/powerbi.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit_int.h"

/* Note that what could not be checked, and why (err, copied). */
void
audit_unchecked(struct json_object *list, const char *what,
    const struct pbi_err *err, const char *why)
{
	struct json_object	*o = json_object_new_object();
	char			 msg[1024];

	pj_add_str(o, "what", what);
	pj_add_str(o, "why", err ? pbi_err_str(err, msg, sizeof(msg)) : why);
	json_object_array_add(list, o);
}

/* "2026-11-22T13:19:19Z" (or with fractions) as a time, or -1. */
time_t
audit_iso_time(const char *s)
{
	int64_t	 ms = pbi_iso8601_ms(s);

	return ms < 0 ? -1 : (time_t)(ms / 1000);
}

/* id in lower case into k: the key of maps by id (GUIDs ignore case). */
static const char *
lkey(const char *id, char k[64])
{
	size_t	 j;

	for (j = 0; id != NULL && id[j] != '\0' && j + 1 < 64; j++)
		k[j] = (char)(id[j] >= 'A' && id[j] <= 'Z' ? id[j] + 32 :
		    id[j]);
	k[j] = '\0';
	return k;
}

/* Put v (taken over) under lower(id) in map. */
void
audit_map_put(struct json_object *map, const char *id, struct json_object *v)
{
	char	 k[64];

	if (id != NULL)
		json_object_object_add(map, lkey(id, k), v);
	else
		json_object_put(v);
}

/* Every item of list (objects with "id") under lower(id) in a new map. */
struct json_object *
audit_id_map(struct json_object *list)
{
	struct json_object	*m = json_object_new_object();
	size_t			 i;

	for (i = 0; i < pj_len(list); i++)
		audit_map_put(m, pj_str(pj_idx(list, i), "id"),
		    json_object_get(pj_idx(list, i)));
	return m;
}

struct json_object *
audit_by_id(struct json_object *map, const char *id)
{
	struct json_object	*v = NULL;
	char			 k[64];

	if (id == NULL)
		return NULL;
	return json_object_object_get_ex(map, lkey(id, k), &v) ? v : NULL;
}

/*
 * Run fn(a, i, arg) for i in [0, n) on jobs threads.  fn must touch
 * only its own i's data and thread-safe services.
 */
struct each_job {
	struct audit	*a;
	size_t		 n, next;
	void		 (*fn)(struct audit *, size_t, void *);
	void		*arg;
	pthread_mutex_t	 lock;
};

static void *
each_worker(void *v)
{
	struct each_job	*e = v;
	size_t		 i;

	for (;;) {
		pthread_mutex_lock(&e->lock);
		i = e->next++;
		pthread_mutex_unlock(&e->lock);
		if (i >= e->n)
			return NULL;
		e->fn(e->a, i, e->arg);
	}
}

static void
each(struct audit *a, size_t n, int jobs,
    void (*fn)(struct audit *, size_t, void *), void *arg)
{
	struct each_job	 e;
	pthread_t	 th[64];
	int		 t, started = 0;

	memset(&e, 0, sizeof(e));
	e.a = a;
	e.n = n;
	e.fn = fn;
	e.arg = arg;
	pthread_mutex_init(&e.lock, NULL);
	if (jobs > 64)
		jobs = 64;
	if ((size_t)jobs > n)
		jobs = (int)n;
	for (t = 0; jobs > 1 && t < jobs; t++)
		if (pthread_create(&th[started], NULL, each_worker, &e) == 0)
			started++;
	if (started == 0)
		each_worker(&e);
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&e.lock);
}

/*
 * Who we are: our service principal's object id (the ledger's record,
 * the token's oid, or Graph), and whether we are it.
 */
static const struct pbi_err *
identity(struct audit *a)
{
	const struct pbi_err	*err;
	struct json_object	*claims = NULL, *sp = NULL;
	enum pbi_authmethod	 m = pbi_auth_method(a->p->svc->auth);
	char			*rec = NULL, *client = NULL, tok[16384];

	a->app = m == PBI_AUTH_SECRET || m == PBI_AUTH_CERT;
	if ((err = pbi_ledger_get(a->p->ledger, PBI_SET_SP, &rec)) != NULL)
		return err;
	if (rec != NULL && pbi_is_guid(rec)) {
		pbi_strlcpy(a->sp, rec, sizeof(a->sp));
		free(rec);
		return NULL;
	}
	free(rec);
	if (a->app) {
		if ((err = pbi_auth_token(a->p->svc->auth, PBI_API_POWERBI, tok,
		    sizeof(tok), NULL)) != NULL)
			return err;
		claims = pbi_jwt_claims(tok);
		pbi_wipe(tok, sizeof(tok));
		if (pbi_is_guid(pj_str(claims, "oid")))
			pbi_strlcpy(a->sp, pj_str(claims, "oid"),
			    sizeof(a->sp));
		json_object_put(claims);
		return NULL;
	}
	if ((err = pbi_ledger_get(a->p->ledger, PBI_SET_CLIENT, &client)) !=
	    NULL)
		return err;
	if (client != NULL && (err = graph_sp_find(a->p->svc, client, &sp)) ==
	    NULL && pbi_is_guid(pj_str(sp, "id")))
		pbi_strlcpy(a->sp, pj_str(sp, "id"), sizeof(a->sp));
	json_object_put(sp);
	free(client);
	if (err != NULL)
		audit_unchecked(a->unchecked, "which members are the app's service "
		    "principal", err, NULL);
	return NULL;
}

/* A workspace of the service into the snapshot, merged by id. */
void
audit_add_ws(struct audit *a, struct json_object *map,
    struct json_object *ws)
{
	struct json_object	*old = audit_by_id(map, pj_str(ws, "id"));

	if (pj_str(ws, "id") == NULL || old == ws)
		return;
	if (old == NULL) {
		json_object_array_add(pj_arr(a->svc, "workspaces"),
		    json_object_get(ws));
		audit_map_put(map, pj_str(ws, "id"), json_object_get(ws));
		return;
	}
	/* What one read added (users, reports, datasets) joins the rest. */
	json_object_object_foreach(ws, k, v) {
		if (!json_object_object_get_ex(old, k, NULL) ||
		    strcmp(k, "users") == 0 || strcmp(k, "reports") == 0 ||
		    strcmp(k, "datasets") == 0)
			json_object_object_add(old, k, json_object_get(v));
	}
}

/* ---------------------------------------------------------------- */
/* Workspace mode */

/* What one customer's reads found, for the main thread to merge. */
struct ws_read {
	struct json_object	*c;		/* ledger customer, borrowed */
	struct json_object	*reach;		/* [ids] or NULL */
	struct json_object	*seen;		/* workspaces it saw */
	struct json_object	*ws;		/* its own, read in full */
	int			 missing;
	struct json_object	*unchecked;
};

/* Read dataset ds's datasources into it, as the profile. */
static const struct pbi_err *
read_sources(struct audit *a, const char *prof, const char *ws,
    struct json_object *ds)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *out, *t;
	size_t			 i;

	if ((err = pb_bound_datasources(a->p->svc, prof, ws, pj_str(ds, "id"),
	    &all)) != NULL)
		return err;
	out = json_object_new_array();
	for (i = 0; i < pj_len(all); i++)
		if ((t = pbi_datasource_target(pj_idx(all, i))) != NULL)
			json_object_array_add(out, t);
	pj_add(ds, "datasources", out);
	json_object_put(all);
	return NULL;
}

/* One customer, as its profile (or as the principal in workspace mode). */
static void
read_customer(struct audit *a, size_t i, void *arg)
{
	struct ws_read		*r = (struct ws_read *)arg + i;
	const struct pbi_err	*err;
	struct json_object	*groups = NULL, *g, *ws = NULL, *x = NULL;
	const char		*slug = pj_str(r->c, "slug");
	const char		*wid = pj_path_str(r->c, "workspace.id");
	const char		*prof = a->profiles ?
				    pj_path_str(r->c, "profile.id") : NULL;
	char			 what[400];
	size_t			 k;

	r->unchecked = json_object_new_array();
	r->seen = json_object_new_array();
	snprintf(what, sizeof(what), "customer '%s'", slug);
	if (prof != NULL) {
		/* Everything the profile reaches: its own, and any other. */
		if ((err = pb_groups(a->p->svc, prof, &groups)) != NULL) {
			audit_unchecked(r->unchecked, what, err, NULL);
			return;
		}
		r->reach = json_object_new_array();
		for (k = 0; k < pj_len(groups); k++) {
			g = pj_idx(groups, k);
			json_object_array_add(r->reach,
			    json_object_new_string(pj_str(g, "id") ?
			    pj_str(g, "id") : ""));
			json_object_array_add(r->seen, json_object_get(g));
			if (wid != NULL && pj_str(g, "id") != NULL &&
			    strcasecmp(pj_str(g, "id"), wid) == 0)
				ws = json_object_get(g);
		}
		json_object_put(groups);
	}
	if (wid == NULL)
		return;
	if (ws == NULL) {
		err = pb_group_get(a->p->svc, prof, wid, &ws);
		if (err != NULL && err->status == 404) {
			r->missing = 1;
			return;
		}
		if (err != NULL) {
			snprintf(what, sizeof(what), "workspace %s of customer "
			    "'%s'", wid, slug);
			audit_unchecked(r->unchecked, what, err, NULL);
			return;
		}
	}
	snprintf(what, sizeof(what), "workspace %s of customer '%s'", wid,
	    slug);
	if ((err = pb_group_users(a->p->svc, prof, wid, &x)) != NULL)
		goto fail;
	pj_add(ws, "users", x);
	if ((err = pb_reports(a->p->svc, prof, wid, &x)) != NULL)
		goto fail;
	pj_add(ws, "reports", x);
	if ((err = pb_datasets(a->p->svc, prof, wid, &x)) != NULL)
		goto fail;
	for (k = 0; k < pj_len(x); k++)
		if ((err = read_sources(a, prof, wid, pj_idx(x, k))) != NULL) {
			json_object_put(x);
			goto fail;
		}
	pj_add(ws, "datasets", x);
	r->ws = ws;
	return;
fail:
	audit_unchecked(r->unchecked, what, err, NULL);
	json_object_put(ws);
}

/* What an orphan profile reaches. */
static void
read_orphan(struct audit *a, size_t i, void *arg)
{
	struct ws_read		*r = (struct ws_read *)arg + i;
	const struct pbi_err	*err;
	struct json_object	*groups = NULL, *g;
	char			 what[200];
	size_t			 k;

	r->unchecked = json_object_new_array();
	r->seen = json_object_new_array();
	if ((err = pb_groups(a->p->svc, pj_str(r->c, "id"), &groups)) !=
	    NULL) {
		snprintf(what, sizeof(what), "the workspaces of profile %s",
		    pj_str(r->c, "id"));
		audit_unchecked(r->unchecked, what, err, NULL);
		return;
	}
	r->reach = json_object_new_array();
	for (k = 0; k < pj_len(groups); k++) {
		g = pj_idx(groups, k);
		json_object_array_add(r->reach, json_object_new_string(
		    pj_str(g, "id") ? pj_str(g, "id") : ""));
		json_object_array_add(r->seen, json_object_get(g));
	}
	json_object_put(groups);
}

/* Fold the reads into the snapshot, then free them. */
static void
merge_reads(struct audit *a, struct ws_read *r, size_t n,
    struct json_object *map, int orphan)
{
	struct json_object	*e;
	size_t			 i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < pj_len(r[i].seen); k++)
			audit_add_ws(a, map, pj_idx(r[i].seen, k));
		if (r[i].ws != NULL)
			audit_add_ws(a, map, r[i].ws);
		if (r[i].reach != NULL) {
			e = json_object_new_object();
			pj_add_str(e, "profile", orphan ? pj_str(r[i].c, "id") :
			    pj_path_str(r[i].c, "profile.id"));
			pj_add(e, "workspaces", json_object_get(r[i].reach));
			json_object_array_add(pj_arr(a->svc, "reach"), e);
		}
		if (r[i].missing)
			json_object_array_add(pj_arr(a->svc, "missing"),
			    json_object_new_string(pj_path_str(r[i].c,
			    "workspace.id")));
		for (k = 0; k < pj_len(r[i].unchecked); k++)
			json_object_array_add(a->unchecked,
			    json_object_get(pj_idx(r[i].unchecked, k)));
		json_object_put(r[i].reach);
		json_object_put(r[i].seen);
		json_object_put(r[i].ws);
		json_object_put(r[i].unchecked);
	}
}

static const struct pbi_err *
collect_workspaces(struct audit *a)
{
	const struct pbi_err	*err;
	struct json_object	*x = NULL, *map, *todo, *known, *orph, *e;
	struct ws_read		*r;
	size_t			 i, n;

	if (!a->app)
		return pbi_err(PBI_ERR_CONFIG, "workspace mode reads each "
		    "workspace as its profile: it needs the app's own "
		    "credential (a client secret or certificate), not a "
		    "user's");
	map = json_object_new_object();
	if (a->profiles) {
		if ((err = pb_profiles(a->p->svc, &x)) != NULL)
			audit_unchecked(a->unchecked, "the service principal's "
			    "profiles", err, NULL);
		else
			pj_add(a->svc, "profiles", x);
	}
	if ((err = pb_capacities(a->p->svc, NULL, &x)) != NULL)
		audit_unchecked(a->unchecked, "the capacities", err, NULL);
	else
		pj_add(a->svc, "capacities", x);
	/* The principal itself: in profile mode it should reach none. */
	if ((err = pb_groups(a->p->svc, NULL, &x)) != NULL)
		audit_unchecked(a->unchecked, "the workspaces of the service "
		    "principal", err, NULL);
	else {
		e = json_object_new_object();
		pj_add(e, "profile", NULL);
		pj_add(e, "workspaces", json_object_new_array());
		for (i = 0; i < pj_len(x); i++) {
			audit_add_ws(a, map, pj_idx(x, i));
			json_object_array_add(pj_arr(e, "workspaces"),
			    json_object_new_string(pj_str(pj_idx(x, i), "id") ?
			    pj_str(pj_idx(x, i), "id") : ""));
		}
		json_object_array_add(pj_arr(a->svc, "reach"), e);
		json_object_put(x);
	}
	/* Each audited customer with something to read. */
	todo = json_object_new_array();
	known = audit_id_map(pj_arr(a->svc, "profiles"));
	for (i = 0; i < pj_len(a->audited); i++) {
		e = pj_idx(a->audited, i);
		if (pj_obj(e, "workspace") == NULL && (!a->profiles ||
		    pj_obj(e, "profile") == NULL))
			continue;
		/* A profile that is gone is a finding; nothing to read. */
		if (a->profiles && pj_obj(e, "profile") != NULL &&
		    pj_arr(a->svc, "profiles") != NULL && audit_by_id(known,
		    pj_path_str(e, "profile.id")) == NULL)
			continue;
		json_object_array_add(todo, json_object_get(e));
	}
	json_object_put(known);
	n = pj_len(todo);
	if ((r = calloc(n ? n : 1, sizeof(*r))) == NULL) {
		json_object_put(todo);
		json_object_put(map);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		r[i].c = pj_idx(todo, i);
	each(a, n, a->o->jobs, read_customer, r);
	merge_reads(a, r, n, map, 0);
	free(r);
	json_object_put(todo);
	/* Profiles no ledger row knows: what do they reach? */
	if (a->profiles && a->o->customers == NULL &&
	    pj_arr(a->svc, "profiles") != NULL) {
		known = audit_id_map(pj_arr(a->view, "profiles"));
		orph = json_object_new_array();
		x = pj_arr(a->svc, "profiles");
		for (i = 0; i < pj_len(x); i++) {
			e = pj_idx(x, i);
			if (audit_by_id(known, pj_str(e, "id")) == NULL)
				json_object_array_add(orph,
				    json_object_get(e));
		}
		n = pj_len(orph);
		if ((r = calloc(n ? n : 1, sizeof(*r))) != NULL) {
			for (i = 0; i < n; i++)
				r[i].c = pj_idx(orph, i);
			each(a, n, a->o->jobs, read_orphan, r);
			merge_reads(a, r, n, map, 1);
			free(r);
		}
		json_object_put(orph);
		json_object_put(known);
	}
	json_object_put(map);
	return NULL;
}

/* ---------------------------------------------------------------- */
/* Probes */

struct probe {
	struct json_object	*from, *to;	/* ledger customers */
	struct json_object	*found;		/* [{kind, ...}] */
	struct json_object	*unchecked;
};

static void
probe_one(struct audit *a, size_t i, void *arg)
{
	struct probe		*pr = (struct probe *)arg + i;
	const struct pbi_err	*err;
	struct json_object	*e;
	enum pb_probe		 how;
	const char		*prof = pj_path_str(pr->from, "profile.id");
	const char		*ws = pj_path_str(pr->to, "workspace.id");
	const char		*rep = pj_str(pj_idx(pj_arr(pr->to,
				    "reports"), 0), "id");
	char			 what[300];
	int			 k;

	pr->found = json_object_new_array();
	pr->unchecked = json_object_new_array();
	for (k = 0; k < 2; k++) {
		if (k == 1 && rep == NULL)
			break;
		err = k == 0 ? pb_probe_read(a->p->svc, prof, ws, &how) :
		    pb_probe_token(a->p->svc, prof, rep, &how);
		if (err != NULL || how == PB_PROBE_UNKNOWN) {
			snprintf(what, sizeof(what), "probe %s of customer "
			    "'%s' as the profile of '%s'", k ? "token" : "read",
			    pj_str(pr->to, "slug"), pj_str(pr->from, "slug"));
			audit_unchecked(pr->unchecked, what, err, "no clear answer");
			continue;
		}
		e = json_object_new_object();
		pj_add_str(e, "kind", k ? "token" : "read");
		pj_add_str(e, "customer", pj_str(pr->from, "slug"));
		pj_add_str(e, "target", pj_str(pr->to, "slug"));
		pj_add_str(e, "workspace", ws);
		pj_add_str(e, "item", k ? rep : prof);
		pj_add_bool(e, "allowed", how == PB_PROBE_ALLOWED);
		json_object_array_add(pr->found, e);
	}
}

/*
 * Each audited customer's profile tries the next customer's workspace
 * (in name order, the last the first's): two requests a customer.
 */
static void
run_probes(struct audit *a)
{
	struct json_object	*who = json_object_new_array(), *c;
	struct probe		*pr;
	size_t			 i, k, n;

	if (!a->app || !a->profiles) {
		audit_unchecked(a->unchecked, "the probes", NULL, !a->profiles ?
		    "they act as profiles: the ledger's isolation mode is "
		    "workspace" : "they act as profiles: they need the app's "
		    "own credential");
		json_object_put(who);
		return;
	}
	if (a->p->dry_run) {
		audit_unchecked(a->unchecked, "the probes", NULL, "a dry run sends "
		    "no GenerateToken");
		json_object_put(who);
		return;
	}
	for (i = 0; i < pj_len(a->audited); i++) {
		c = pj_idx(a->audited, i);
		if (pj_obj(c, "profile") != NULL &&
		    pj_obj(c, "workspace") != NULL)
			json_object_array_add(who, json_object_get(c));
	}
	n = pj_len(who);
	if (n < 2 || (pr = calloc(n, sizeof(*pr))) == NULL) {
		json_object_put(who);
		return;
	}
	for (i = 0; i < n; i++) {
		pr[i].from = pj_idx(who, i);
		pr[i].to = pj_idx(who, (i + 1) % n);
	}
	each(a, n, a->o->jobs, probe_one, pr);
	for (i = 0; i < n; i++) {
		for (k = 0; k < pj_len(pr[i].found); k++)
			json_object_array_add(a->probes,
			    json_object_get(pj_idx(pr[i].found, k)));
		for (k = 0; k < pj_len(pr[i].unchecked); k++)
			json_object_array_add(a->unchecked,
			    json_object_get(pj_idx(pr[i].unchecked, k)));
		json_object_put(pr[i].found);
		json_object_put(pr[i].unchecked);
	}
	free(pr);
	json_object_put(who);
}

/* ---------------------------------------------------------------- */

/* The customers audited: --customer's, else all but the removed. */
static const struct pbi_err *
audited(struct audit *a)
{
	struct json_object	*all = pj_arr(a->view, "customers"), *c;
	size_t			 i, k;

	a->audited = json_object_new_array();
	for (k = 0; a->o->customers != NULL && k < a->o->ncustomers; k++) {
		for (i = 0; i < pj_len(all); i++)
			if (strcmp(pj_str(pj_idx(all, i), "slug"),
			    a->o->customers[k]) == 0)
				break;
		if (i == pj_len(all))
			return pbi_err(PBI_ERR_NOTFOUND, "no customer '%s' in "
			    "the ledger", a->o->customers[k]);
	}
	for (i = 0; i < pj_len(all); i++) {
		c = pj_idx(all, i);
		if (strcmp(pj_str(c, "status"), "removed") == 0)
			continue;
		for (k = 0; a->o->customers != NULL && k < a->o->ncustomers;
		    k++)
			if (strcmp(pj_str(c, "slug"), a->o->customers[k]) == 0)
				break;
		if (a->o->customers != NULL && k == a->o->ncustomers)
			continue;
		json_object_array_add(a->audited, json_object_get(c));
	}
	return NULL;
}

/*
 * Whose member u is, by the ledger: "profile of a", "admin of a, b",
 * "the service principal", or NULL (unknown) into buf.
 */
static const char *
whose(struct audit *a, struct json_object *u, char *buf, size_t len)
{
	struct json_object	*cs = pj_arr(a->view, "customers"), *c, *ad;
	const char		*id = pj_str(u, "identifier");
	const char		*prof = pj_path_str(u, "profile.id");
	size_t			 i, j, n = 0;

	buf[0] = '\0';
	if (id == NULL)
		id = pj_str(u, "emailAddress");
	if (id != NULL && a->sp[0] != '\0' && strcasecmp(id, a->sp) == 0 &&
	    prof == NULL)
		return "the service principal";
	for (i = 0; id != NULL && i < pj_len(cs); i++) {
		c = pj_idx(cs, i);
		if (prof != NULL && pj_path_str(c, "profile.id") != NULL &&
		    strcasecmp(pj_path_str(c, "profile.id"), prof) == 0) {
			snprintf(buf, len, "profile of %s", pj_str(c, "slug"));
			return buf;
		}
		ad = pj_arr(c, "admins");
		for (j = 0; prof == NULL && j < pj_len(ad); j++)
			if (strcasecmp(json_object_get_string(pj_idx(ad, j)),
			    id) == 0) {
				snprintf(buf + strlen(buf), len - strlen(buf),
				    "%s%s", n++ ? ", " : "admin of ",
				    pj_str(c, "slug"));
				break;
			}
	}
	return buf[0] ? buf : NULL;
}

/* Per customer: its workspace and who reaches it, for the report. */
static struct json_object *
per_customer(struct audit *a, struct json_object *findings,
    struct json_object *svcmap)
{
	struct json_object	*out = json_object_new_array(), *c, *o, *ws;
	struct json_object	*m, *u, *e;
	char			 who[1024];
	size_t			 i, j, n[4];

	for (i = 0; i < pj_len(a->audited); i++) {
		c = pj_idx(a->audited, i);
		o = json_object_new_object();
		pj_add_str(o, "customer", pj_str(c, "slug"));
		pj_add_str(o, "workspace", pj_path_str(c, "workspace.id"));
		pj_add_str(o, "workspaceName", pj_path_str(c,
		    "workspace.name"));
		pj_add_str(o, "profile", pj_path_str(c, "profile.id"));
		ws = audit_by_id(svcmap, pj_path_str(c, "workspace.id"));
		if (ws != NULL && pj_arr(ws, "users") != NULL) {
			m = json_object_new_array();
			for (j = 0; j < pj_len(pj_arr(ws, "users")); j++) {
				u = pj_idx(pj_arr(ws, "users"), j);
				e = json_object_new_object();
				pj_add_str(e, "principalType", pj_str(u,
				    "principalType"));
				pj_add_str(e, "identifier", pj_str(u,
				    "identifier") ? pj_str(u, "identifier") :
				    pj_str(u, "emailAddress"));
				pj_add_str(e, "profile", pj_path_str(u,
				    "profile.id"));
				pj_add_str(e, "accessRight", pj_str(u,
				    "groupUserAccessRight"));
				pj_add_str(e, "whose", whose(a, u, who,
				    sizeof(who)));
				json_object_array_add(m, e);
			}
			pj_add(o, "members", m);
		} else
			pj_add(o, "members", NULL);
		memset(n, 0, sizeof(n));
		for (j = 0; j < pj_len(findings); j++) {
			e = pj_idx(findings, j);
			if (pj_str(e, "customer") != NULL &&
			    strcmp(pj_str(e, "customer"), pj_str(c, "slug")) ==
			    0)
				n[pbi_severity_rank(pj_str(e, "severity"))]++;
		}
		pj_add_int(o, "critical", (int64_t)n[3]);
		pj_add_int(o, "error", (int64_t)n[2]);
		pj_add_int(o, "warning", (int64_t)n[1]);
		json_object_array_add(out, o);
	}
	return out;
}

/* New and resolved findings since the previous audit (by key). */
static struct json_object *
diff(struct json_object *prev, struct json_object *findings)
{
	struct json_object	*o = json_object_new_object(), *now, *then;
	struct json_object	*nw, *gone, *f, *p;
	char			 key[1024];
	size_t			 i;

	now = json_object_new_object();
	for (i = 0; i < pj_len(findings); i++) {
		f = pj_idx(findings, i);
		snprintf(key, sizeof(key), "%s|%s|%s|%s", pj_str(f, "rule"),
		    pj_str(f, "customer") ? pj_str(f, "customer") : "",
		    pj_str(f, "workspace") ? pj_str(f, "workspace") : "",
		    pj_str(f, "item") ? pj_str(f, "item") : "");
		json_object_object_add(now, key, json_object_get(f));
	}
	then = json_object_new_object();
	for (i = 0; i < pj_len(pj_arr(prev, "findings")); i++) {
		p = pj_idx(pj_arr(prev, "findings"), i);
		json_object_object_add(then, pj_str(p, "key"),
		    json_object_get(p));
	}
	nw = json_object_new_array();
	json_object_object_foreach(now, k1, v1) {
		if (!json_object_object_get_ex(then, k1, NULL))
			json_object_array_add(nw, json_object_get(v1));
	}
	gone = json_object_new_array();
	json_object_object_foreach(then, k2, v2) {
		if (!json_object_object_get_ex(now, k2, NULL)) {
			p = json_object_get(v2);
			json_object_object_del(p, "key");
			json_object_array_add(gone, p);
		}
	}
	if (prev != NULL) {
		p = json_object_new_object();
		pj_add_int(p, "auditId", pj_int(prev, "id", 0));
		pj_add_str(p, "startedAt", pj_str(prev, "startedAt"));
		pj_add_str(p, "mode", pj_str(prev, "mode"));
		pj_add(o, "previous", p);
	} else
		pj_add(o, "previous", NULL);
	pj_add(o, "new", nw);
	pj_add(o, "resolved", gone);
	json_object_put(now);
	json_object_put(then);
	return o;
}

/* What the audit summary says, findings counted by severity. */
static struct json_object *
summary(struct audit *a, struct json_object *findings, const char *mode,
    const char *started, int64_t t0, long requests)
{
	struct json_object	*s = json_object_new_object(), *n;
	char			 now[32], *tenant = NULL, scope[4096] = "";
	size_t			 i, c[4] = { 0 };

	for (i = 0; i < pj_len(findings); i++)
		c[pbi_severity_rank(pj_str(pj_idx(findings, i),
		    "severity"))]++;
	pbi_ledger_get(a->p->ledger, PBI_SET_TENANT, &tenant);
	pj_add_str(s, "tenant", tenant);
	free(tenant);
	pj_add_str(s, "pbictlVersion", PBICTL_VERSION);
	pj_add_str(s, "startedAt", started);
	pj_add_str(s, "finishedAt", pbi_iso8601(time(NULL), now,
	    sizeof(now)));
	pj_add(s, "seconds", json_object_new_double((double)(pbi_now_ms() -
	    t0) / 1000.0));
	pj_add_str(s, "mode", mode);
	pj_add_str(s, "modeReason", a->why);
	pj_add_str(s, "isolation", a->profiles ? "profile" : "workspace");
	for (i = 0; a->o->customers != NULL && i < a->o->ncustomers; i++) {
		if (i > 0)
			pbi_strlcpy(scope + strlen(scope), ",",
			    sizeof(scope) - strlen(scope));
		pbi_strlcpy(scope + strlen(scope), a->o->customers[i],
		    sizeof(scope) - strlen(scope));
	}
	pj_add_str(s, "scope", a->o->customers ? scope : NULL);
	pj_add_int(s, "customers", (int64_t)pj_len(a->audited));
	n = json_object_new_object();
	pj_add_int(n, "critical", (int64_t)c[3]);
	pj_add_int(n, "error", (int64_t)c[2]);
	pj_add_int(n, "warning", (int64_t)c[1]);
	pj_add_int(n, "total", (int64_t)pj_len(findings));
	pj_add(s, "findings", n);
	pj_add_int(s, "requests", requests);
	pj_add_bool(s, "probe", a->o->probe);
	pj_add_bool(s, "complete", pj_len(a->unchecked) == 0);
	pj_add(s, "unchecked", json_object_get(a->unchecked));
	pj_add_str(s, "failOn", a->o->fail_on);
	return s;
}

const struct pbi_err *
pbi_audit(struct pbi_prov *p, const struct pbi_audit_opts *o,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct audit		 a;
	struct json_object	*snap = NULL, *findings = NULL, *res, *s;
	struct json_object	*verify = NULL, *groups = NULL, *prev = NULL;
	struct json_object	*svcmap;
	const char		*mode;
	const char		*lim = getenv("PBICTL_WORKSPACE_LIMIT");
	char			 started[32];
	int64_t			 t0 = pbi_now_ms(), id = 0;
	long			 sent0 = pbi_http_sent(p->svc->http);
	size_t			 i;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	a.p = p;
	a.o = o;
	a.profiles = p->profiles;
	a.unchecked = json_object_new_array();
	a.probes = json_object_new_array();
	pbi_iso8601(time(NULL), started, sizeof(started));
	if ((err = pbi_ledger_audit_view(p->ledger, &a.view)) != NULL ||
	    (err = pbi_ledger_verify(p->ledger, &verify)) != NULL ||
	    (err = audited(&a)) != NULL || (err = identity(&a)) != NULL)
		goto done;
	snap = json_object_new_object();
	a.svc = json_object_new_object();
	pj_add(a.svc, "workspaces", json_object_new_array());
	pj_add(a.svc, "missing", json_object_new_array());
	pj_add(a.svc, "reach", json_object_new_array());
	mode = "admin";
	if (o->mode != PBI_AUDIT_WORKSPACE) {
		err = audit_collect_admin(&a, &groups);
		if (err != NULL && o->mode == PBI_AUDIT_AUTO &&
		    err->code == PBI_ERR_HTTP && (err->status == 401 ||
		    err->status == 403)) {
			snprintf(a.why, sizeof(a.why), "the admin APIs "
			    "refused this identity (%ld %s): the app may hold "
			    "admin-consented Power BI permissions, or the "
			    "tenant setting is off", err->status,
			    err->svc_code[0] ? err->svc_code : "refused");
			json_object_put(a.svc);
			a.svc = json_object_new_object();
			pj_add(a.svc, "workspaces", json_object_new_array());
			pj_add(a.svc, "missing", json_object_new_array());
			pj_add(a.svc, "reach", json_object_new_array());
			err = NULL;
			mode = "workspace";
		} else if (err != NULL && err->code != PBI_ERR_HTTP &&
		    err->code != PBI_ERR_NET && err->code != PBI_ERR_DEADLINE)
			goto done;
		else if (err != NULL) {
			/* Nothing of the tenant was read: say so. */
			audit_unchecked(a.unchecked, "the tenant's workspaces "
			    "(admin/groups)", err, NULL);
			pj_add_bool(a.svc, "tenantWide", 0);
			err = NULL;
		} else if (o->mode == PBI_AUDIT_AUTO)
			snprintf(a.why, sizeof(a.why), "the admin APIs "
			    "accepted this identity");
	} else
		mode = "workspace";
	if (strcmp(mode, "workspace") == 0) {
		if (a.why[0] == '\0')
			snprintf(a.why, sizeof(a.why), "--mode workspace");
		if ((err = collect_workspaces(&a)) != NULL)
			goto done;
	} else if (a.why[0] == '\0')
		snprintf(a.why, sizeof(a.why), "--mode admin");
	if (o->probe)
		run_probes(&a);
	pj_add_str(snap, "isolation", a.profiles ? "profile" : "workspace");
	pj_add_str(snap, "template", p->template);
	pj_add_str(snap, "sp", a.sp[0] ? a.sp : NULL);
	if (o->customers != NULL) {
		s = json_object_new_array();
		for (i = 0; i < o->ncustomers; i++)
			json_object_array_add(s,
			    json_object_new_string(o->customers[i]));
		pj_add(snap, "scope", s);
	}
	pj_add_int(snap, "workspaceLimit", lim && atol(lim) > 0 ? atol(lim) :
	    1000);
	pj_add(snap, "ledger", json_object_get(a.view));
	pj_add(snap, "verify", json_object_get(verify));
	pj_add(snap, "service", json_object_get(a.svc));
	pj_add(snap, "probes", json_object_get(a.probes));
	findings = pbi_audit_rules(snap);
	res = json_object_new_object();
	s = summary(&a, findings, mode, started, t0,
	    pbi_http_sent(p->svc->http) - sent0);
	pj_add(res, "summary", s);
	pj_add(res, "findings", json_object_get(findings));
	svcmap = audit_id_map(pj_arr(a.svc, "workspaces"));
	pj_add(res, "customers", per_customer(&a, findings, svcmap));
	json_object_put(svcmap);
	if (!p->dry_run) {
		if ((err = pbi_ledger_audit_put(p->ledger, s, findings, &id)) !=
		    NULL) {
			json_object_put(res);
			goto done;
		}
		pj_add_int(s, "auditId", id);
	} else
		pj_add(s, "auditId", NULL);
	if (o->diff) {
		if ((err = pbi_ledger_audit_prev(p->ledger, pj_str(s, "scope"),
		    id, &prev)) != NULL) {
			json_object_put(res);
			goto done;
		}
		pj_add(res, "diff", diff(prev, findings));
	}
	*out = res;
done:
	json_object_put(prev);
	json_object_put(groups);
	json_object_put(findings);
	json_object_put(snap);
	json_object_put(verify);
	json_object_put(a.view);
	json_object_put(a.svc);
	json_object_put(a.unchecked);
	json_object_put(a.audited);
	json_object_put(a.probes);
	return err;
}
