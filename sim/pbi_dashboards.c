/*
 * pbi_dashboards.c: the dashboards of a workspace and their tiles
 * (api-facts 3.7: V1 embed tokens name them): create, list, get and
 * delete a dashboard; list, get and clone its tiles, which come from
 * the seed (pbisim(1) SEED); and the V1 GenerateToken of either.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <string.h>

/* Public JSON of dashboard d of ws (a new reference). */
static struct json_object *
dash_json(struct json_object *ws, struct json_object *d)
{
	struct json_object	*o = json_object_new_object();
	char			 u[300];

	pj_add_str(o, "id", pj_str(d, "id"));
	pj_add_str(o, "displayName", pj_str(d, "displayName"));
	pj_add_bool(o, "isReadOnly", pj_bool(d, "isReadOnly", 0));
	snprintf(u, sizeof(u), "https://app.powerbi.com/dashboardEmbed?"
	    "dashboardId=%s&groupId=%s", pj_str(d, "id"), pj_str(ws, "id"));
	pj_add_str(o, "embedUrl", u);
	snprintf(u, sizeof(u), "https://app.powerbi.com/groups/%s/dashboards/"
	    "%s", pj_str(ws, "id"), pj_str(d, "id"));
	pj_add_str(o, "webUrl", u);
	pj_add(o, "users", json_object_new_array());
	pj_add(o, "subscriptions", json_object_new_array());
	return o;
}

/* Public JSON of tile t of dashboard d in ws (a new reference). */
static struct json_object *
tile_json(struct json_object *ws, struct json_object *d, struct json_object *t)
{
	struct json_object	*o = json_object_new_object();
	char			 u[400];

	pj_add_str(o, "id", pj_str(t, "id"));
	pj_add_str(o, "title", pj_str(t, "title"));
	snprintf(u, sizeof(u), "https://app.powerbi.com/embed?dashboardId=%s"
	    "&tileId=%s&groupId=%s", pj_str(d, "id"), pj_str(t, "id"),
	    pj_str(ws, "id"));
	pj_add_str(o, "embedUrl", u);
	pj_add_str(o, "embedData", "");
	pj_add_int(o, "rowSpan", pj_int(t, "rowSpan", 0));
	pj_add_int(o, "colSpan", pj_int(t, "colSpan", 0));
	pj_add_str(o, "reportId", pj_str(t, "reportId"));
	pj_add_str(o, "datasetId", pj_str(t, "datasetId"));
	return o;
}

static void
dash_create(struct req *r, struct json_object *ws, struct json_object *all)
{
	struct json_object	*b = sim_body_json(r), *d, *o;
	char			 id[37];

	if (sim_ws_access(r, ws) < R_CONTRIB)
		sim_pbi_not_authorized(r);
	else if (pj_str(b, "name") == NULL || *pj_str(b, "name") == '\0')
		sim_pbi_error(r, 400, "InvalidRequest", "name is required");
	else {
		d = json_object_new_object();
		sim_guid(id);
		pj_add_str(d, "id", id);
		pj_add_str(d, "displayName", pj_str(b, "name"));
		sim_arr(d, "_tiles");
		json_object_array_add(all, d);
		o = dash_json(ws, d);
		pj_add_str(o, "@odata.context", SIM_PBI_CTX
		    "dashboards/$entity");
		sim_reply_json(r, 200, o);
	}
	json_object_put(b);
}

/*
 * POST .../tiles/{t}/Clone {targetDashboardId, targetWorkspaceId?,
 * targetReportId?, targetModelId?}: a copy of tile t on the target
 * dashboard, bound to the target report and dataset if named.  The
 * caller may write to the target workspace.
 */
static void
tile_clone(struct req *r, struct json_object *ws, struct json_object *t)
{
	struct json_object	*b = sim_body_json(r), *tws = ws, *td, *n;
	const char		*twid = pj_str(b, "targetWorkspaceId");
	const char		*rid = pj_str(b, "targetReportId");
	const char		*mid = pj_str(b, "targetModelId");
	struct json_object	*ows;
	char			 id[37];

	if (pj_str(b, "targetDashboardId") == NULL) {
		sim_pbi_error(r, 400, "InvalidRequest", "targetDashboardId is "
		    "required");
		goto done;
	}
	if (twid != NULL && (tws = sim_ws_get(r, twid, R_CONTRIB)) == NULL)
		goto done;
	if (sim_ws_access(r, tws) < R_CONTRIB) {
		sim_pbi_not_authorized(r);
		goto done;
	}
	if ((td = sim_find_ci(pj_arr(tws, "_dashboards"), "id",
	    pj_str(b, "targetDashboardId"))) == NULL) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Dashboard '%s' "
		    "was not found", pj_str(b, "targetDashboardId"));
		goto done;
	}
	if ((rid != NULL && sim_ws_find_item("_reports", rid, &ows) == NULL) ||
	    (mid != NULL && sim_ws_find_item("_datasets", mid, &ows) ==
	    NULL)) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "The target "
		    "report or dataset was not found");
		goto done;
	}
	n = json_object_new_object();
	sim_guid(id);
	pj_add_str(n, "id", id);
	pj_add_str(n, "title", pj_str(t, "title"));
	pj_add_str(n, "reportId", rid ? rid : pj_str(t, "reportId"));
	pj_add_str(n, "datasetId", mid ? mid : pj_str(t, "datasetId"));
	pj_add_int(n, "rowSpan", pj_int(t, "rowSpan", 0));
	pj_add_int(n, "colSpan", pj_int(t, "colSpan", 0));
	json_object_array_add(sim_arr(td, "_tiles"), n);
	sim_reply_json(r, 200, tile_json(tws, td, n));
done:
	json_object_put(b);
}

/* /groups/{ws}/dashboards[/{id}[/tiles[/{id}]][/GenerateToken]]. */
void
sim_pbi_dashboards(struct req *r, struct json_object *ws)
{
	struct json_object	*all = sim_arr(ws, "_dashboards"), *d, *t;
	struct json_object	*val, *tiles;
	const char		*last = r->seg[r->nseg - 1];
	size_t			 i;
	int			 post = strcmp(r->method, "POST") == 0;

	if (r->nseg == 5) {
		if (post) {
			dash_create(r, ws, all);
			return;
		}
		val = json_object_new_array();
		for (i = 0; i < pj_len(all); i++)
			json_object_array_add(val, dash_json(ws,
			    pj_idx(all, i)));
		sim_pbi_reply_list(r, "dashboards", val, 0);
		return;
	}
	if ((d = sim_find_ci(all, "id", r->seg[5])) == NULL) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Dashboard '%s' "
		    "was not found", r->seg[5]);
		return;
	}
	tiles = sim_arr(d, "_tiles");
	if (r->nseg == 6 && strcmp(r->method, "DELETE") == 0) {
		if (sim_ws_access(r, ws) < R_CONTRIB)
			sim_pbi_not_authorized(r);
		else {
			sim_arr_del(all, d);
			sim_reply_empty(r, 200);
		}
	} else if (r->nseg == 6) {
		val = dash_json(ws, d);
		pj_add_str(val, "@odata.context", SIM_PBI_CTX
		    "dashboards/$entity");
		sim_reply_json(r, 200, val);
	} else if (r->nseg == 7 && strcmp(last, "GenerateToken") == 0)
		sim_pbi_generate_v1(r, ws, NULL, NULL, d, NULL);
	else if (r->nseg == 7) {
		val = json_object_new_array();
		for (i = 0; i < pj_len(tiles); i++)
			json_object_array_add(val, tile_json(ws, d,
			    pj_idx(tiles, i)));
		sim_pbi_reply_list(r, "tiles", val, 0);
	} else if ((t = sim_find_ci(tiles, "id", r->seg[7])) == NULL)
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Tile '%s' was "
		    "not found", r->seg[7]);
	else if (r->nseg == 9 && strcmp(last, "Clone") == 0)
		tile_clone(r, ws, t);
	else if (r->nseg == 9)
		sim_pbi_generate_v1(r, ws, NULL, NULL, d, t);
	else {
		val = tile_json(ws, d, t);
		pj_add_str(val, "@odata.context", SIM_PBI_CTX "tiles/$entity");
		sim_reply_json(r, 200, val);
	}
}
