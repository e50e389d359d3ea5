/*
 * migrate.c: the migration from the retired Workspace Collections
 * (pbictl-migrate(1), api-facts 4): the connections file, the plan
 * (enumerate, classify, map, name) and the status.  The run is in
 * migrate_run.c.
 */
#include "provision.h"
#include "powerbi/powerbi.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Reports imported before this cannot be exported (api-facts 4.1). */
#define EXPORT_CUTOFF	"2016-11-26"

const struct pbi_err *
pbi_migrate_connections_load(const char *path, struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*in, *d = NULL;
	char			 where[1200];
	const char		*cs;

	*out = NULL;
	if ((err = pbi_secret_json(path, "connections file",
	    " keyed by legacy dataset id", &in)) != NULL)
		return err;
	json_object_object_foreach(in, key, val) {
		snprintf(where, sizeof(where), "connections file '%s', "
		    "dataset %.64s", path, key);
		if (!pbi_is_guid(key))
			err = pbi_err(PBI_ERR_INPUT, "connections file '%s': "
			    "key '%.64s' is not a dataset id (a GUID)", path,
			    key);
		else if (!json_object_is_type(val, json_type_object))
			err = pbi_err(PBI_ERR_INPUT, "%s: not an object",
			    where);
		else if ((cs = pj_str(val, "connectionString")) == NULL ||
		    *cs == '\0')
			err = pbi_err(PBI_ERR_INPUT, "%s: no "
			    "connectionString", where);
		else if (pj_str(val, "credentialType") != NULL &&
		    strcmp(pj_str(val, "credentialType"), "Anonymous") == 0)
			err = pbi_err(PBI_ERR_INPUT, "%s: credentialType "
			    "must be Basic, Windows, Key or OAuth2", where);
		else if ((err = pbi_credentials_details(val, where, &d)) ==
		    NULL) {
			pbi_json_wipe_put(d);
			d = NULL;
		}
		if (err != NULL)
			break;
	}
	if (err != NULL) {
		pbi_json_wipe_put(in);
		return err;
	}
	*out = in;
	return NULL;
}

/* A customer name from a display name: lowercase, [a-z0-9-], 63 at most. */
static void
slugify(const char *name, const char *id, char *out, size_t len)
{
	size_t	 n = 0;
	int	 dash = 0;

	for (; name && *name && n + 1 < len && n < 63; name++) {
		if (isalnum((unsigned char)*name)) {
			if (dash && n > 0)
				out[n++] = '-';
			dash = 0;
			if (n + 1 < len)
				out[n++] = (char)tolower((unsigned char)*name);
		} else
			dash = 1;
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, len, "ws-%.8s", id);
}

/* The class of legacy report rep, with why it cannot move, if so. */
static const char *
classify(struct json_object *rep, struct json_object *datasets,
    struct json_object *imports, struct json_object *dq, char *why,
    size_t len)
{
	struct json_object	*ds = NULL, *imp, *reps;
	const char		*did = pj_str(rep, "datasetId"), *when = NULL;
	size_t			 i, j;

	why[0] = '\0';
	for (i = 0; did && i < pj_len(datasets); i++)
		if (pj_str(pj_idx(datasets, i), "id") != NULL &&
		    strcasecmp(pj_str(pj_idx(datasets, i), "id"), did) == 0)
			ds = pj_idx(datasets, i);
	if (pj_bool(ds, "addRowsAPIEnabled", 0)) {
		snprintf(why, len, "bound to push dataset '%s', which cannot "
		    "be downloaded: rebuild the report on a dataset in the new "
		    "workspace", pj_str(ds, "name") ? pj_str(ds, "name") : "");
		return "push";
	}
	for (i = 0; i < pj_len(imports); i++) {
		imp = pj_idx(imports, i);
		reps = pj_arr(imp, "reports");
		for (j = 0; j < pj_len(reps); j++)
			if (pj_str(pj_idx(reps, j), "id") != NULL &&
			    strcasecmp(pj_str(pj_idx(reps, j), "id"),
			    pj_str(rep, "id")) == 0)
				when = pj_str(imp, "updatedDateTime");
	}
	if (when != NULL && strncmp(when, EXPORT_CUTOFF, 10) < 0) {
		snprintf(why, len, "imported %.10s, before 2016-11-26, so it "
		    "cannot be downloaded: re-import it from your own copy of "
		    "the .pbix", when);
		return "pre2016";
	}
	if (did != NULL && pj_bool(dq, did, 0))
		return "directquery";
	return "exportable";
}

/*
 * Give every report a name unique in its customer's workspace, the same
 * on every run: ordered by name, collection, workspace and id, the first
 * keeps its name and the others become "NAME (2)", "NAME (3)"...
 */
static int
by_target(const void *a, const void *b)
{
	struct json_object	*x = *(struct json_object *const *)a;
	struct json_object	*y = *(struct json_object *const *)b;
	int			 c;

	if ((c = strcmp(pj_str(x, "customer"), pj_str(y, "customer"))) != 0)
		return c;
	if ((c = strcasecmp(pj_str(x, "name"), pj_str(y, "name"))) != 0)
		return c;
	if ((c = strcmp(pj_str(x, "collection"), pj_str(y, "collection"))))
		return c;
	if ((c = strcasecmp(pj_str(x, "workspaceId"),
	    pj_str(y, "workspaceId"))) != 0)
		return c;
	return strcasecmp(pj_str(x, "reportId"), pj_str(y, "reportId"));
}

/* Non-zero if one of reps[0..upto) of customer cust is named name. */
static int
name_taken(struct json_object *reps, size_t upto, const char *cust,
    const char *name)
{
	size_t	 i;

	for (i = 0; i < upto; i++)
		if (strcmp(pj_str(pj_idx(reps, i), "customer"), cust) == 0 &&
		    strcasecmp(pj_str(pj_idx(reps, i), "targetName"), name) ==
		    0)
			return 1;
	return 0;
}

static void
resolve_names(struct json_object *reps)
{
	struct json_object	*r;
	size_t			 i, k;
	char			 name[300];

	json_object_array_sort(reps, by_target);
	for (i = 0; i < pj_len(reps); i++) {
		r = pj_idx(reps, i);
		pbi_strlcpy(name, pj_str(r, "name"), sizeof(name));
		for (k = 2; name_taken(reps, i, pj_str(r, "customer"), name);
		    k++)
			snprintf(name, sizeof(name), "%.250s (%zu)",
			    pj_str(r, "name"), k);
		pj_add_str(r, "targetName", name);
	}
}

/* The name of ARM resource id's resource group. */
static void
arm_group(const char *id, char *out, size_t len)
{
	const char	*p = id ? strstr(id, "/resourceGroups/") : NULL;

	out[0] = '\0';
	if (p != NULL) {
		p += 16;
		snprintf(out, len, "%.*s", (int)strcspn(p, "/"), p);
	}
}

/*
 * Plan the workspaces of collection coll (its key set already) into
 * plan: each mapped to its customer (map, else a slug of its name), each
 * report classified.  sub and rg, when the plan comes from ARM, are
 * recorded so that a run reads the key again.
 */
static const struct pbi_err *
plan_collection(struct pbi_prov *p, const char *coll, const char *sub,
    const char *rg, struct json_object *map, struct json_object *plan)
{
	const struct pbi_err	*err;
	struct json_object	*wss = NULL, *ws, *m, *w, *reps = NULL;
	struct json_object	*dss = NULL, *imps = NULL, *dq = NULL, *gw;
	struct json_object	*r, *o;
	const char		*wid, *cust, *cls;
	char			 slug[64], why[512];
	size_t			 i, j;

	if ((err = wc_workspaces(p->svc, coll, &wss)) != NULL) {
		if (err->status == 401 || err->status == 403)
			return pbi_err_ctx(err, "the access key of collection "
			    "'%s' was refused", coll);
		return pbi_err_ctx(err, "cannot list the workspaces of "
		    "collection '%s'", coll);
	}
	for (i = 0; err == NULL && i < pj_len(wss); i++) {
		ws = pj_idx(wss, i);
		wid = pj_str(ws, "workspaceId");
		if (!pbi_is_guid(wid)) {
			err = pbi_err(PBI_ERR_PROTO, "collection '%s' lists a "
			    "workspace without a valid id", coll);
			break;
		}
		m = NULL;
		for (j = 0; j < pj_len(map); j++)
			if (strcasecmp(pj_str(pj_idx(map, j), "workspaceId"),
			    wid) == 0)
				m = pj_idx(map, j);
		if (m != NULL) {
			pj_add_bool(m, "found", 1);
			cust = pj_str(m, "customer");
		} else {
			slugify(pj_str(ws, "displayName"), wid, slug,
			    sizeof(slug));
			cust = slug;
		}
		w = json_object_new_object();
		pj_add_str(w, "collection", coll);
		pj_add_str(w, "workspaceId", wid);
		pj_add_str(w, "legacyName", pj_str(ws, "displayName"));
		pj_add_str(w, "customer", cust);
		pj_add_str(w, "displayName", m && pj_str(m, "displayName") ?
		    pj_str(m, "displayName") : pj_str(ws, "displayName"));
		pj_add_str(w, "subscription", sub);
		pj_add_str(w, "resourceGroup", rg);
		json_object_array_add(pj_arr(plan, "workspaces"), w);
		if ((err = wc_list(p->svc, coll, wid, "reports", &reps)) ||
		    (err = wc_list(p->svc, coll, wid, "datasets", &dss)) ||
		    (err = wc_list(p->svc, coll, wid, "imports", &imps))) {
			err = pbi_err_ctx(err, "cannot read legacy workspace "
			    "%s", wid);
			break;
		}
		/* A dataset bound to gateway datasources is DirectQuery. */
		dq = json_object_new_object();
		for (j = 0; err == NULL && j < pj_len(dss); j++) {
			o = pj_idx(dss, j);
			if (pj_bool(o, "addRowsAPIEnabled", 0) ||
			    !pbi_is_guid(pj_str(o, "id")))
				continue;
			if ((err = wc_gateway_datasources(p->svc, coll, wid,
			    pj_str(o, "id"), &gw)) != NULL)
				err = pbi_err_ctx(err, "cannot read dataset %s",
				    pj_str(o, "id"));
			else if (pj_len(gw) > 0)
				pj_add_bool(dq, pj_str(o, "id"), 1);
			json_object_put(gw);
		}
		for (j = 0; err == NULL && j < pj_len(reps); j++) {
			o = pj_idx(reps, j);
			if (!pbi_is_guid(pj_str(o, "id")))
				continue;
			cls = classify(o, dss, imps, dq, why, sizeof(why));
			r = json_object_new_object();
			pj_add_str(r, "collection", coll);
			pj_add_str(r, "workspaceId", wid);
			pj_add_str(r, "reportId", pj_str(o, "id"));
			pj_add_str(r, "datasetId", pj_str(o, "datasetId"));
			pj_add_str(r, "customer", cust);
			pj_add_str(r, "name", pj_str(o, "name") ?
			    pj_str(o, "name") : pj_str(o, "id"));
			pj_add_str(r, "class", cls);
			pj_add_str(r, "state", why[0] ? "skipped" : "planned");
			pj_add_str(r, "reason", why[0] ? why : NULL);
			json_object_array_add(pj_arr(plan, "reports"), r);
		}
		json_object_put(reps);
		json_object_put(dss);
		json_object_put(imps);
		json_object_put(dq);
		reps = dss = imps = dq = NULL;
	}
	json_object_put(wss);
	return err;
}

const struct pbi_err *
pbi_migrate_plan(struct pbi_prov *p, const struct pbi_migrate_opts *o,
    struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*plan, *colls = NULL, *c, *counts, *r;
	const char		*name;
	char			 rg[128], key[256];
	size_t			 i;

	*out = NULL;
	plan = json_object_new_object();
	pj_add(plan, "collections", json_object_new_array());
	pj_add(plan, "workspaces", json_object_new_array());
	pj_add(plan, "reports", json_object_new_array());
	if (o->subscription != NULL) {
		if ((err = wc_arm_collections(p->svc, o->subscription,
		    o->resource_group, &colls)) != NULL) {
			err = pbi_err_ctx(err, "cannot list the workspace "
			    "collections of subscription %s", o->subscription);
			goto done;
		}
		for (i = 0; err == NULL && i < pj_len(colls); i++) {
			c = pj_idx(colls, i);
			name = pj_str(c, "name");
			arm_group(pj_str(c, "id"), rg, sizeof(rg));
			if ((err = wc_arm_key(p->svc, o->subscription, rg, name,
			    key, sizeof(key))) != NULL) {
				err = pbi_err_ctx(err, "cannot read the access "
				    "keys of collection '%s'", name);
				break;
			}
			err = pbi_svc_appkey(p->svc, name, key);
			pbi_wipe(key, sizeof(key));
			json_object_array_add(pj_arr(plan, "collections"),
			    json_object_new_string(name));
			if (err == NULL)
				err = plan_collection(p, name, o->subscription,
				    rg, o->map, plan);
		}
	} else {
		if ((err = pbi_svc_appkey(p->svc, o->collection, o->key)))
			goto done;
		json_object_array_add(pj_arr(plan, "collections"),
		    json_object_new_string(o->collection));
		err = plan_collection(p, o->collection, NULL, NULL, o->map,
		    plan);
	}
	if (err != NULL)
		goto done;
	/* A map line naming no workspace of these collections: nothing kept. */
	for (i = 0; i < pj_len(o->map); i++)
		if (!pj_bool(pj_idx(o->map, i), "found", 0)) {
			err = pbi_err(PBI_ERR_INPUT, "map line %d: workspace "
			    "%s is not in %s", (int)pj_int(pj_idx(o->map, i),
			    "line", 0), pj_str(pj_idx(o->map, i),
			    "workspaceId"), o->collection ? "the collection" :
			    "the subscription's collections");
			goto done;
		}
	for (i = 0; i < pj_len(pj_arr(plan, "workspaces")); i++)
		if (!pbi_slug_ok(pj_str(pj_idx(pj_arr(plan, "workspaces"), i),
		    "customer"))) {
			err = pbi_err(PBI_ERR_INPUT, "legacy workspace %s: no "
			    "valid customer name; map it with --map",
			    pj_str(pj_idx(pj_arr(plan, "workspaces"), i),
			    "workspaceId"));
			goto done;
		}
	resolve_names(pj_arr(plan, "reports"));
	counts = json_object_new_object();
	pj_add_int(counts, "exportable", 0);
	pj_add_int(counts, "directquery", 0);
	pj_add_int(counts, "push", 0);
	pj_add_int(counts, "pre2016", 0);
	for (i = 0; i < pj_len(pj_arr(plan, "reports")); i++) {
		r = pj_idx(pj_arr(plan, "reports"), i);
		pj_add_int(counts, pj_str(r, "class"), pj_int(counts,
		    pj_str(r, "class"), 0) + 1);
	}
	pj_add(plan, "counts", counts);
	if (!p->dry_run)
		err = pbi_ledger_migrate_plan(p->ledger, plan);
done:
	json_object_put(colls);
	if (err != NULL)
		json_object_put(plan);
	else
		*out = plan;
	return err;
}

const struct pbi_err *
pbi_migrate_status(struct pbi_prov *p, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*rows = NULL, *o, *states, *by, *c, *left, *r;
	struct json_object	*x;
	const char		*st;
	size_t			 i;

	*out = NULL;
	if ((err = pbi_ledger_migrate_reports(p->ledger, NULL, &rows)))
		return err;
	o = json_object_new_object();
	states = json_object_new_object();
	by = json_object_new_object();
	left = json_object_new_array();
	for (i = 0; i < pj_len(rows); i++) {
		r = pj_idx(rows, i);
		st = pj_str(r, "state");
		pj_add_int(states, st, pj_int(states, st, 0) + 1);
		if ((c = pj_obj(by, pj_str(r, "customer"))) == NULL) {
			c = json_object_new_object();
			pj_add(by, pj_str(r, "customer"), c);
		}
		pj_add_int(c, st, pj_int(c, st, 0) + 1);
		if (strcmp(st, "done") == 0)
			continue;
		x = json_object_new_object();
		pj_add_str(x, "customer", pj_str(r, "customer"));
		pj_add_str(x, "report", pj_str(r, "targetName"));
		pj_add_str(x, "legacyReportId", pj_str(r, "reportId"));
		pj_add_str(x, "class", pj_str(r, "class"));
		pj_add_str(x, "state", st);
		pj_add_str(x, "reason", pj_str(r, "reason") ? pj_str(r,
		    "reason") : strcmp(st, "planned") == 0 ? "not run yet" :
		    "interrupted: run again");
		json_object_array_add(left, x);
	}
	pj_add_int(o, "reports", (int64_t)pj_len(rows));
	pj_add(o, "states", states);
	pj_add(o, "customers", by);
	pj_add(o, "notMoved", left);
	json_object_put(rows);
	*out = o;
	return NULL;
}
