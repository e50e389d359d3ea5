/*
 * audit_admin.c: the audit's admin-mode reads: the whole tenant through
 * admin/groups and what datasets connect to through the scanner, only
 * for workspaces modified since the ledger last knew them.
 */
#include "provision.h"
#include "steps.h"
#include "powerbi/powerbi.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_int.h"

/* ---------------------------------------------------------------- */
/* Admin mode */

/*
 * What the ledger knows that workspace ws's datasets connect to, and
 * since when (*since); NULL if it does not know all of them.  The
 * scanner's last answer, or the records of their publishes.
 */
static struct json_object *
known_sources(struct json_object *scans,
    struct json_object *c, struct json_object *ws, time_t *since)
{
	struct json_object	*dss = pj_arr(ws, "datasets"), *have, *known;
	struct json_object	*out, *d, *k;
	time_t			 t, best = -1;
	size_t			 i;

	*since = -1;
	have = pj_obj(scans, pj_str(ws, "id"));
	if (have != NULL) {
		known = audit_id_map(pj_arr(have, "datasets"));
		for (i = 0; i < pj_len(dss); i++)
			if (audit_by_id(known, pj_str(pj_idx(dss, i), "id")) == NULL)
				break;
		if (i == pj_len(dss) && pj_len(dss) ==
		    pj_len(pj_arr(have, "datasets"))) {
			*since = audit_iso_time(pj_str(have, "scannedAt"));
			json_object_put(known);
			return json_object_get(pj_arr(have, "datasets"));
		}
		json_object_put(known);
	}
	/* The publishes recorded each dataset's sources: all of them? */
	known = audit_id_map(pj_arr(c, "datasets"));
	out = json_object_new_array();
	for (i = 0; i < pj_len(dss); i++) {
		if ((k = audit_by_id(known, pj_str(pj_idx(dss, i), "id"))) == NULL ||
		    (t = audit_iso_time(pj_str(k, "recordedAt"))) < 0) {
			json_object_put(out);
			json_object_put(known);
			return NULL;
		}
		if (best < 0 || t < best)
			best = t;
		d = json_object_new_object();
		pj_add_str(d, "id", pj_str(k, "id"));
		pj_add(d, "datasources", json_object_get(pj_arr(k,
		    "datasources")));
		json_object_array_add(out, d);
	}
	json_object_put(known);
	*since = best;
	return out;
}

/* Wait for scan id to succeed; *res receives its result. */
static const struct pbi_err *
scan_wait(struct audit *a, const char *id, struct json_object **res)
{
	const struct pbi_err	*err;
	struct json_object	*st = NULL;
	const char		*s;
	int64_t			 end, wait = 200;

	end = pbi_now_ms() + prov_env_ms("PBICTL_SCAN_TIMEOUT", 300);
	for (;;) {
		if ((err = pb_scan_status(a->p->svc, id, &st)) != NULL)
			return err;
		s = pj_str(st, "status");
		if (s != NULL && strcmp(s, "Succeeded") == 0)
			break;
		if (s != NULL && strcmp(s, "Failed") == 0) {
			err = pbi_err(PBI_ERR_HTTP, "scan %s failed: %.300s",
			    id, pj_path_str(st, "error.message") ?
			    pj_path_str(st, "error.message") : "no reason");
			json_object_put(st);
			return err;
		}
		json_object_put(st);
		st = NULL;
		if (pbi_now_ms() + wait > end)
			return pbi_err(PBI_ERR_DEADLINE, "scan %s is still %s",
			    id, s ? s : "pending");
		pbi_sleep_ms(wait);
		if (wait < 5000)
			wait = wait * 3 / 2;
	}
	json_object_put(st);
	return pb_scan_result(a->p->svc, id, res);
}

/* The datasets of a scan result's workspace, with their targets. */
static struct json_object *
scanned_datasets(struct json_object *sw, struct json_object *instances)
{
	struct json_object	*out = json_object_new_array(), *ds, *d, *src;
	struct json_object	*use, *t;
	size_t			 i, j;

	for (i = 0; i < pj_len(pj_arr(sw, "datasets")); i++) {
		ds = pj_idx(pj_arr(sw, "datasets"), i);
		d = json_object_new_object();
		pj_add_str(d, "id", pj_str(ds, "id"));
		pj_add(d, "datasources", json_object_new_array());
		use = pj_arr(ds, "datasourceUsages");
		for (j = 0; j < pj_len(use); j++) {
			src = audit_by_id(instances, pj_str(pj_idx(use, j),
			    "datasourceInstanceId"));
			if ((t = pbi_datasource_target(src)) != NULL)
				json_object_array_add(pj_arr(d, "datasources"),
				    t);
		}
		json_object_array_add(out, d);
	}
	return out;
}

/* Scan the workspaces of ids (at most 100); results into sources. */
static void
scan_batch(struct audit *a, struct json_object *ids,
    struct json_object *sources)
{
	const struct pbi_err	*err;
	struct json_object	*s = NULL, *res = NULL, *inst, *sw, *sets;
	char			 what[128], now[32];
	size_t			 i;

	snprintf(what, sizeof(what), "what the datasets of %zu workspaces "
	    "connect to", pj_len(ids));
	if (a->p->dry_run) {
		audit_unchecked(a->unchecked, what, NULL, "a dry run starts no scan");
		return;
	}
	if ((err = pb_scan_start(a->p->svc, ids, &s)) != NULL ||
	    (err = scan_wait(a, pj_str(s, "id"), &res)) != NULL) {
		audit_unchecked(a->unchecked, what, err, NULL);
		json_object_put(s);
		return;
	}
	inst = json_object_new_object();
	for (i = 0; i < pj_len(pj_arr(res, "datasourceInstances")); i++) {
		sw = pj_idx(pj_arr(res, "datasourceInstances"), i);
		audit_map_put(inst, pj_str(sw, "datasourceId"), json_object_get(sw));
	}
	pbi_iso8601(time(NULL), now, sizeof(now));
	for (i = 0; i < pj_len(pj_arr(res, "workspaces")); i++) {
		sw = pj_idx(pj_arr(res, "workspaces"), i);
		if (pj_str(sw, "id") == NULL)
			continue;
		sets = scanned_datasets(sw, inst);
		json_object_object_add(sources, pj_str(sw, "id"), sets);
		if (!a->p->dry_run && (err = pbi_ledger_scan_put(a->p->ledger,
		    pj_str(sw, "id"), now, sets)) != NULL)
			audit_unchecked(a->unchecked, "the ledger's record of a "
			    "scan", err, NULL);
	}
	json_object_put(inst);
	json_object_put(res);
	json_object_put(s);
}

/* Put what each dataset connects to into the snapshot's workspaces. */
static void
attach_sources(struct json_object *ws, struct json_object *sets)
{
	struct json_object	*map = audit_id_map(sets), *d, *k;
	size_t			 i;

	for (i = 0; i < pj_len(pj_arr(ws, "datasets")); i++) {
		d = pj_idx(pj_arr(ws, "datasets"), i);
		if ((k = audit_by_id(map, pj_str(d, "id"))) != NULL)
			pj_add(d, "datasources", json_object_get(pj_arr(k,
			    "datasources")));
	}
	json_object_put(map);
}

/*
 * What the audited customers' datasets connect to: known to the ledger
 * for the workspaces not modified since it learnt it, scanned for the
 * rest.
 */
static void
collect_sources(struct audit *a, struct json_object *svcmap)
{
	const struct pbi_err	*err;
	struct json_object	*scans = NULL, *need, *skip, *mod = NULL;
	struct json_object	*sources, *ws, *c, *k, *batch, *mods;
	time_t			 now = time(NULL), since, oldest = -1, from;
	size_t			 i, j;

	if ((err = pbi_ledger_scans(a->p->ledger, &scans)) != NULL) {
		audit_unchecked(a->unchecked, "the ledger's record of scans", err,
		    NULL);
		scans = json_object_new_object();
	}
	need = json_object_new_array();
	skip = json_object_new_object();	/* ws id: {since, sets} */
	for (i = 0; i < pj_len(a->audited); i++) {
		c = pj_idx(a->audited, i);
		ws = audit_by_id(svcmap, pj_path_str(c, "workspace.id"));
		if (ws == NULL || pj_len(pj_arr(ws, "datasets")) == 0)
			continue;
		k = known_sources(scans, c, ws, &since);
		if (k == NULL || since < 0 || now - since > MODIFIED_MAX) {
			json_object_put(k);
			json_object_array_add(need, json_object_new_string(
			    pj_str(ws, "id")));
			continue;
		}
		json_object_object_add(skip, pj_str(ws, "id"), k);
		if (oldest < 0 || since < oldest)
			oldest = since;
	}
	/* Of those the ledger knows, which changed since? */
	if (json_object_object_length(skip) > 0) {
		from = oldest - CLOCK_MARGIN;
		if (now - from < MODIFIED_MIN)
			from = now - MODIFIED_MIN;
		if (now - from > MODIFIED_MAX)
			from = now - MODIFIED_MAX;
		/* Without an answer, scan them all (said if that fails). */
		if (pb_modified_since(a->p->svc, from, &mod) != NULL)
			mod = NULL;
		mods = audit_id_map(mod);
		json_object_object_foreach(skip, wid, v) {
			(void)v;
			if (mod == NULL || audit_by_id(mods, wid) != NULL)
				json_object_array_add(need,
				    json_object_new_string(wid));
		}
		json_object_put(mods);
		json_object_put(mod);
	}
	sources = json_object_new_object();
	for (i = 0; i < pj_len(need); i += SCAN_BATCH) {
		batch = json_object_new_array();
		for (j = i; j < pj_len(need) && j < i + SCAN_BATCH; j++)
			json_object_array_add(batch,
			    json_object_get(pj_idx(need, j)));
		scan_batch(a, batch, sources);
		json_object_put(batch);
	}
	json_object_object_foreach(skip, id, v2) {
		if (!json_object_object_get_ex(sources, id, NULL))
			json_object_object_add(sources, id,
			    json_object_get(v2));
	}
	/* A scan that failed leaves its workspaces' datasets unread. */
	json_object_object_foreach(sources, wsid, sets) {
		if ((ws = audit_by_id(svcmap, wsid)) != NULL &&
		    json_object_is_type(sets, json_type_array))
			attach_sources(ws, sets);
	}
	json_object_put(sources);
	json_object_put(skip);
	json_object_put(need);
	json_object_put(scans);
}

const struct pbi_err *
audit_collect_admin(struct audit *a, struct json_object **groups)
{
	const struct pbi_err	*err;
	struct json_object	*x = NULL, *mine, *map;
	size_t			 i;

	if ((err = pb_admin_groups(a->p->svc, "users,reports,datasets",
	    groups)) != NULL)
		return err;
	pj_add_bool(a->svc, "tenantWide", 1);
	map = json_object_new_object();
	for (i = 0; i < pj_len(*groups); i++)
		audit_add_ws(a, map, pj_idx(*groups, i));
	if (a->profiles) {
		if (a->app)
			err = pb_profiles(a->p->svc, &x);
		else if ((err = pb_admin_profiles(a->p->svc, &x)) == NULL) {
			/* Only ours: those of the app's principal. */
			mine = json_object_new_array();
			for (i = 0; i < pj_len(x); i++)
				if (pj_str(pj_idx(x, i), "servicePrincipalId")
				    && strcasecmp(pj_str(pj_idx(x, i),
				    "servicePrincipalId"), a->sp) == 0)
					json_object_array_add(mine,
					    json_object_get(pj_idx(x, i)));
			json_object_put(x);
			x = mine;
		}
		if (err != NULL)
			audit_unchecked(a->unchecked, "the service principal's "
			    "profiles", err, NULL);
		else
			pj_add(a->svc, "profiles", x);
	}
	if ((err = pb_admin_capacities(a->p->svc, &x)) != NULL)
		audit_unchecked(a->unchecked, "the capacities", err, NULL);
	else
		pj_add(a->svc, "capacities", x);
	collect_sources(a, map);
	json_object_put(map);
	return NULL;
}

