/*
 * pbi_scanner.c: the scanner API (api-facts 3.9, 6.14): getInfo,
 * scanStatus, scanResult with datasource details, and the workspaces
 * modified since a time, each within its documented hourly limit.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* POST admin/workspaces/getInfo: a scan of 1 to 100 workspaces. */
static void
scan_start(struct req *r, struct json_object *scans)
{
	struct json_object	*b, *list, *scan;
	char			 sid[37], ts[40];

	if (sim_admin_budget(r, "getInfo", 500, 0) != 0)
		return;
	b = sim_body_json(r);
	list = pj_arr(b, "workspaces");
	if (pj_len(list) < 1 || pj_len(list) > 100) {
		json_object_put(b);
		sim_pbi_error(r, 400, "InvalidRequest", "workspaces must hold "
		    "1 to 100 workspace ids");
		return;
	}
	scan = json_object_new_object();
	sim_guid(sid);
	sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
	pj_add_str(scan, "id", sid);
	pj_add_str(scan, "createdDateTime", ts);
	pj_add_str(scan, "status", "NotStarted");
	pj_add(scan, "_workspaces", json_object_get(list));
	pj_add_bool(scan, "_datasourceDetails", sim_streq_ci(sim_q(r,
	    "datasourceDetails"), "true"));
	json_object_array_add(scans, scan);
	json_object_put(b);
	sim_reply_json(r, 202, sim_pub(scan, 1));
}

/*
 * The datasets of ws as a scan shows them: with datasource details,
 * each names its datasources' instances, added once to instances.
 */
static struct json_object *
scan_workspace(struct json_object *ws, int details,
    struct json_object *instances)
{
	struct json_object	*o = sim_admin_ws(ws, "users,reports"), *dss;
	struct json_object	*ds, *d, *use, *src, *inst, *cd;
	const char		*t;
	size_t			 i, j;

	dss = json_object_new_array();
	for (i = 0; i < pj_len(pj_arr(ws, "_datasets")); i++) {
		ds = pj_idx(pj_arr(ws, "_datasets"), i);
		d = sim_ws_dataset_json(ws, ds, 0);
		if (details) {
			use = json_object_new_array();
			for (j = 0; j < pj_len(pj_arr(ds, "_datasources"));
			    j++) {
				src = pj_idx(pj_arr(ds, "_datasources"), j);
				inst = json_object_new_object();
				pj_add_str(inst, "datasourceInstanceId",
				    pj_str(src, "id"));
				json_object_array_add(use, inst);
				if (sim_find_ci(instances, "datasourceId",
				    pj_str(src, "id")) != NULL)
					continue;
				inst = json_object_new_object();
				pj_add_str(inst, "datasourceType", pj_str(src,
				    "datasourceType"));
				t = pj_str(src, "connectionDetails");
				cd = t ? pj_parse(t, strlen(t)) : NULL;
				pj_add(inst, "connectionDetails", cd ? cd :
				    json_object_new_object());
				pj_add_str(inst, "datasourceId", pj_str(src,
				    "id"));
				pj_add_str(inst, "gatewayId", pj_str(src,
				    "gatewayId"));
				json_object_array_add(instances, inst);
			}
			pj_add(d, "datasourceUsages", use);
		}
		json_object_array_add(dss, d);
	}
	pj_add(o, "datasets", dss);
	return o;
}

/* GET admin/workspaces/scanResult/{id} of a scan that succeeded. */
static void
scan_result(struct req *r, struct json_object *scan)
{
	struct json_object	*val, *list, *ws, *res, *inst;
	size_t			 i;
	int			 details = pj_bool(scan, "_datasourceDetails", 0);

	if (sim_admin_budget(r, "scanResult", 500, 0) != 0)
		return;
	if (strcmp(pj_str(scan, "status"), "Succeeded") != 0) {
		/* emulator choice: undocumented in api-facts */
		sim_pbi_error(r, 400, "ScanNotCompleted", "The scan has not "
		    "succeeded yet");
		return;
	}
	val = json_object_new_array();
	inst = json_object_new_array();
	list = pj_arr(scan, "_workspaces");
	for (i = 0; i < pj_len(list); i++) {
		if ((ws = sim_ws_find(json_object_get_string(pj_idx(list,
		    i)))) == NULL)
			continue;
		sim_ws_settle(ws);
		json_object_array_add(val, scan_workspace(ws, details, inst));
	}
	res = json_object_new_object();
	pj_add(res, "workspaces", val);
	pj_add(res, "datasourceInstances", inst);
	pj_add(res, "misconfiguredDatasourceInstances",
	    json_object_new_array());
	sim_reply_json(r, 200, res);
}

/*
 * GET admin/workspaces/modified[?modifiedSince=]: the ids of the
 * workspaces changed after that time (30 minutes to 30 days ago), as a
 * bare array (api-facts 6.14).
 */
static void
modified(struct req *r)
{
	struct json_object	*wsa = pj_arr(g.state, "workspaces"), *val, *o;
	const char		*t;
	int64_t			 since = -1, now = sim_now_ms();
	size_t			 i;

	if (sim_admin_budget(r, "modified", 30, 0) != 0)
		return;
	if ((t = sim_q(r, "modifiedSince")) != NULL) {
		since = sim_parse_iso(t);
		if (since < 0 || now - since > 30LL * 86400000 ||
		    now - since < 30LL * 60000) {
			sim_pbi_error(r, 400, "InvalidRequest", "modifiedSince "
			    "must be between 30 minutes and 30 days ago");
			return;
		}
	}
	val = json_object_new_array();
	for (i = 0; i < pj_len(wsa); i++) {
		if (since >= 0 && pj_int(pj_idx(wsa, i), "_modified", 0) <=
		    since)
			continue;
		o = json_object_new_object();
		pj_add_str(o, "id", pj_str(pj_idx(wsa, i), "id"));
		json_object_array_add(val, o);
	}
	sim_reply_json(r, 200, val);
}

/* admin/workspaces/... (api-facts 3.9). */
void
sim_pbi_scanner(struct req *r)
{
	struct json_object	*scans = sim_arr(g.state, "_scans"), *scan;
	const char		*t;

	if (r->nseg == 5 && strcmp(r->seg[4], "getInfo") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		scan_start(r, scans);
		return;
	}
	if (r->nseg == 5 && strcmp(r->seg[4], "modified") == 0 &&
	    strcmp(r->method, "GET") == 0) {
		modified(r);
		return;
	}
	if (r->nseg != 6 || strcmp(r->method, "GET") != 0 ||
	    (strcmp(r->seg[4], "scanStatus") != 0 &&
	    strcmp(r->seg[4], "scanResult") != 0)) {
		sim_pbi_no_route(r);
		return;
	}
	if (strcmp(r->seg[4], "scanStatus") == 0 &&
	    sim_admin_budget(r, "scanStatus", 10000, 0) != 0)
		return;
	if ((scan = sim_find_ci(scans, "id", r->seg[5])) == NULL) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Scan was not "
		    "found");
		return;
	}
	if (strcmp(r->seg[4], "scanResult") == 0) {
		scan_result(r, scan);
		return;
	}
	/* Each look moves a scan on: NotStarted, Running, Succeeded. */
	t = pj_str(scan, "status");
	if (strcmp(t, "NotStarted") == 0)
		pj_add_str(scan, "status", "Running");
	else if (strcmp(t, "Running") == 0)
		pj_add_str(scan, "status", "Succeeded");
	sim_reply_json(r, 200, sim_pub(scan, 1));
}
