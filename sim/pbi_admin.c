/*
 * pbi_admin.c: the admin and scanner APIs (api-facts 3.9, 6.7, 6.14):
 * admin/groups with $top, $filter and $expand, and the scanner's getInfo,
 * scanStatus, scanResult and modified.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
admin_allowed(struct req *r)
{
	struct json_object	*u;

	if (r->pr.profile[0] != '\0')
		return 0;
	if (r->pr.kind == PR_USER) {
		u = sim_find(pj_arr(g.state, "users"), "id", r->pr.oid);
		return pj_bool(u, "_tenantAdmin", 0);
	}
	return pj_bool(pj_obj(g.state, "powerBI"),
	    "allowServicePrincipalAdminApis", 1);
}

static struct json_object *
admin_ws(struct json_object *ws, const char *expand)
{
	struct json_object	*o = sim_pub(ws, 1), *a, *u, *e;
	size_t			 i;

	pj_add_str(o, "state", "Active");
	pj_add_bool(o, "hasWorkspaceLevelSettings", 0);
	if (expand == NULL)
		return o;
	if (strstr(expand, "users") != NULL) {
		a = json_object_new_array();
		u = pj_arr(ws, "_users");
		for (i = 0; u != NULL && i < json_object_array_length(u); i++) {
			e = sim_pub(json_object_array_get_idx(u, i), 1);
			pj_add_str(e, "graphId", pj_str(e, "identifier"));
			json_object_array_add(a, e);
		}
		pj_add(o, "users", a);
	}
	if (strstr(expand, "reports") != NULL) {
		a = json_object_new_array();
		u = pj_arr(ws, "_reports");
		for (i = 0; u != NULL && i < json_object_array_length(u); i++)
			json_object_array_add(a, sim_ws_report_json(ws,
			    json_object_array_get_idx(u, i), 0));
		pj_add(o, "reports", a);
	}
	if (strstr(expand, "datasets") != NULL) {
		a = json_object_new_array();
		u = pj_arr(ws, "_datasets");
		for (i = 0; u != NULL && i < json_object_array_length(u); i++)
			json_object_array_add(a, sim_ws_dataset_json(ws,
			    json_object_array_get_idx(u, i), 0));
		pj_add(o, "datasets", a);
	}
	return o;
}

/*
 * Admin $filter: terms joined by " or ", each "name eq '..'",
 * "contains(name,'..')", "not users/any()" or "not users/any(u: ...
 * 'Admin')" (api-facts 3.9 orphan filter).  1 match, 0 not, -1 bad.
 */
static int
admin_filter(const char *f, struct json_object *ws)
{
	struct json_object	*u = pj_arr(ws, "_users");
	char			*copy, *p, *term, *e;
	size_t			 i, n;
	int			 any = 0, m, admins = 0, rc = 0;

	if (f == NULL || *f == '\0')
		return 1;
	for (i = 0; u != NULL && i < json_object_array_length(u); i++)
		if (sim_streq_ci(pj_str(json_object_array_get_idx(u, i),
		    "groupUserAccessRight"), "Admin"))
			admins++;
	copy = strdup(f);
	for (p = copy; p != NULL; p = e) {
		if ((e = strstr(p, " or ")) != NULL) {
			*e = '\0';
			e += 4;
		}
		term = p;
		while (*term == ' ' || *term == '(')
			term++;
		n = strlen(term);
		while (n > 0 && (term[n - 1] == ' ' || (term[n - 1] == ')' &&
		    strchr(term, '(') == NULL) || (term[n - 1] == ')' &&
		    n > 1 && term[n - 2] == ')')))
			term[--n] = '\0';
		if (strcmp(term, "not users/any(") == 0 ||
		    strcmp(term, "not users/any()") == 0)
			m = u == NULL || json_object_array_length(u) == 0;
		else if (strncmp(term, "not users/any(", 14) == 0 &&
		    sim_strcasestr(term, "'Admin'") != NULL)
			m = admins == 0;
		else if ((m = sim_pbi_name_filter(term,
		    pj_str(ws, "name"))) < 0) {
			rc = -1;
			goto done;
		}
		any |= m;
	}
	rc = any;
done:
	free(copy);
	return rc;
}

/* admin/groups and the scanner's admin/workspaces/... (api-facts 3.9). */
void
sim_pbi_admin(struct req *r)
{
	struct json_object	*wsa = pj_arr(g.state, "workspaces"), *ws, *val;
	struct json_object	*b, *list, *scan, *scans, *o, *res;
	const char		*t, *id;
	char			 sid[37], ts[40];
	long			 top, skip, seen = 0;
	size_t			 i;
	int			 m;
	int64_t			 since;

	if (!admin_allowed(r)) {
		sim_pbi_not_authorized(r);
		return;
	}
	if (r->nseg == 4 && strcmp(r->seg[3], "groups") == 0 &&
	    strcmp(r->method, "GET") == 0) {
		if (sim_admin_rate_check(r) != 0)
			return;
		if ((t = sim_q(r, "$top")) == NULL) {
			/* api-facts 6.7: $top is mandatory */
			sim_pbi_error(r, 400, "InvalidRequest", "The $top "
			    "query parameter is required (1-5000)");
			return;
		}
		if (sim_pbi_topskip(r, &top, &skip, 5000) != 0)
			return;
		val = json_object_new_array();
		for (i = 0; wsa != NULL && i < json_object_array_length(wsa);
		    i++) {
			ws = json_object_array_get_idx(wsa, i);
			m = admin_filter(sim_q(r, "$filter"), ws);
			if (m < 0) {
				json_object_put(val);
				sim_pbi_error(r, 400, "InvalidRequest",
				    "Unsupported $filter");
				return;
			}
			if (!m || seen++ < skip ||
			    (long)json_object_array_length(val) >= top)
				continue;
			sim_ws_settle(ws);
			json_object_array_add(val, admin_ws(ws,
			    sim_q(r, "$expand")));
		}
		sim_pbi_reply_list(r, "groups", val, 0);
		return;
	}
	if (r->nseg < 5 || strcmp(r->seg[3], "workspaces") != 0) {
		sim_pbi_no_route(r);
		return;
	}
	scans = sim_arr(g.state, "_scans");
	if (strcmp(r->seg[4], "getInfo") == 0 && strcmp(r->method, "POST") ==
	    0) {
		b = sim_body_json(r);
		list = pj_arr(b, "workspaces");
		if (list == NULL || json_object_array_length(list) < 1 ||
		    json_object_array_length(list) > 100) {
			json_object_put(b);
			sim_pbi_error(r, 400, "InvalidRequest", "workspaces "
			    "must hold 1 to 100 workspace ids");
			return;
		}
		scan = json_object_new_object();
		sim_guid(sid);
		sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
		pj_add_str(scan, "id", sid);
		pj_add_str(scan, "createdDateTime", ts);
		pj_add_str(scan, "status", "NotStarted");
		pj_add(scan, "_workspaces", json_object_get(list));
		json_object_array_add(scans, scan);
		json_object_put(b);
		sim_reply_json(r, 202, sim_pub(scan, 1));
		return;
	}
	if (strcmp(r->seg[4], "modified") == 0 && strcmp(r->method, "GET") ==
	    0) {
		t = sim_q(r, "modifiedSince");
		if (t != NULL) {
			since = sim_parse_iso(t);
			if (since < 0 || sim_now_ms() - since > 30LL * 86400000
			    || sim_now_ms() - since < 30LL * 60000) {
				sim_pbi_error(r, 400, "InvalidRequest",
				    "modifiedSince must be between 30 minutes "
				    "and 30 days ago");
				return;
			}
		}
		val = json_object_new_array();
		for (i = 0; wsa != NULL && i < json_object_array_length(wsa);
		    i++) {
			o = json_object_new_object();
			pj_add_str(o, "id", pj_str(json_object_array_get_idx(
			    wsa, i), "id"));
			json_object_array_add(val, o);
		}
		/* api-facts 6.14: a bare array */
		sim_reply_json(r, 200, val);
		return;
	}
	if (r->nseg != 6 || (scan = sim_find_ci(scans, "id", r->seg[5])) ==
	    NULL) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Scan was not "
		    "found");
		return;
	}
	if (strcmp(r->seg[4], "scanStatus") == 0) {
		t = pj_str(scan, "status");
		if (strcmp(t, "NotStarted") == 0)
			pj_add_str(scan, "status", "Running");
		else if (strcmp(t, "Running") == 0)
			pj_add_str(scan, "status", "Succeeded");
		sim_reply_json(r, 200, sim_pub(scan, 1));
	} else if (strcmp(r->seg[4], "scanResult") == 0) {
		if (strcmp(pj_str(scan, "status"), "Succeeded") != 0) {
			/* emulator choice: undocumented in api-facts */
			sim_pbi_error(r, 400, "ScanNotCompleted", "The scan "
			    "has not succeeded yet");
			return;
		}
		val = json_object_new_array();
		list = pj_arr(scan, "_workspaces");
		for (i = 0; i < json_object_array_length(list); i++) {
			id = json_object_get_string(json_object_array_get_idx(
			    list, i));
			if ((ws = sim_ws_find(id)) == NULL)
				continue;
			json_object_array_add(val, admin_ws(ws,
			    "users,reports,datasets"));
		}
		res = json_object_new_object();
		pj_add(res, "workspaces", val);
		pj_add(res, "datasourceInstances", json_object_new_array());
		pj_add(res, "misconfiguredDatasourceInstances",
		    json_object_new_array());
		sim_reply_json(r, 200, res);
	} else
		sim_pbi_no_route(r);
}
