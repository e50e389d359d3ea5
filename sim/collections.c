/*
 * collections.c: the retired Power BI Workspace Collections data plane
 * (api-facts 4.1, specs/workspace-collections.swagger.json), with
 * "Authorization: AppKey <key>" only.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Reports imported before this date cannot be exported (api-facts 4.1). */
#define EXPORT_CUTOFF	"2016-11-26T00:00:00Z"

static void
coll_list(struct req *r, const char *coll, const char *what,
    struct json_object *val)
{
	struct json_object	*o = json_object_new_object();
	char			 ctx[400];

	snprintf(ctx, sizeof(ctx), "%s://%s/v1.0/collections/%s/"
	    "$metadata#%s", sim_scheme(), sim_host(r), coll, what);
	pj_add_str(o, "@odata.context", ctx);
	pj_add(o, "value", val);
	sim_reply_json(r, 200, o);
}

static struct json_object *
ws_json(struct json_object *ws)
{
	struct json_object	*o = json_object_new_object();

	pj_add_str(o, "workspaceId", pj_str(ws, "workspaceId"));
	pj_add_str(o, "workspaceCollectionName", pj_str(ws,
	    "workspaceCollectionName"));
	pj_add_str(o, "displayName", pj_str(ws, "displayName"));
	return o;
}

/* Is the AppKey header one of the collection's keys? */
static int
appkey_ok(struct req *r, struct json_object *c)
{
	const char		*a = sim_hdr(r, "Authorization");
	struct json_object	*keys = pj_arr(c, "__accessKeys");
	size_t			 i;

	if (a == NULL || strncasecmp(a, "AppKey ", 7) != 0)
		return 0;
	a += 7;
	while (*a == ' ')
		a++;
	for (i = 0; keys != NULL && i < json_object_array_length(keys); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(
		    keys, i)), a) == 0)
			return 1;
	return 0;
}

static void
coll_reports(struct req *r, struct json_object *ws)
{
	struct json_object	*reps = sim_arr(ws, "_reports"), *rep, *val;
	struct json_object	*b = NULL, *ds, *n, *tws;
	const char		*op, *imported;
	char			*bytes, id[37];
	size_t			 i, len;

	if (r->nseg == 6) {
		val = json_object_new_array();
		for (i = 0; i < json_object_array_length(reps); i++)
			json_object_array_add(val, sim_ws_report_json(ws,
			    json_object_array_get_idx(reps, i), 1));
		coll_list(r, r->seg[2], "reports", val);
		return;
	}
	if ((rep = sim_find_ci(reps, "id", r->seg[6])) == NULL) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Report '%s' "
		    "was not found", r->seg[6]);
		return;
	}
	op = r->nseg == 8 ? r->seg[7] : NULL;
	if (op == NULL && strcmp(r->method, "DELETE") == 0) {
		sim_arr_del(reps, rep);
		sim_reply_empty(r, 200);
	} else if (op == NULL && strcmp(r->method, "GET") == 0) {
		sim_reply_json(r, 200, sim_ws_report_json(ws, rep, 1));
	} else if (op && strcmp(op, "Export") == 0) {
		ds = sim_find_ci(pj_arr(ws, "_datasets"), "id",
		    pj_str(rep, "datasetId"));
		imported = pj_str(rep, "_importedAt");
		if (pj_bool(ds, "addRowsAPIEnabled", 0)) {
			/* emulator choice of status and code */
			sim_pbi_error(r, 400, "ReportNotExportable", "Report "
			    "'%s' is bound to a push dataset and cannot be "
			    "downloaded", pj_str(rep, "id"));
			return;
		}
		if (imported != NULL && strcmp(imported, EXPORT_CUTOFF) < 0) {
			sim_pbi_error(r, 400, "ReportNotExportable", "Report "
			    "'%s' was imported before 2016-11-26 and cannot be "
			    "downloaded", pj_str(rep, "id"));
			return;
		}
		if ((bytes = sim_file_load(pj_str(rep, "_file"), &len)) ==
		    NULL) {
			sim_pbi_error(r, 400, "ReportNotExportable", "Report "
			    "'%s' has no package to download", pj_str(rep,
			    "id"));
			return;
		}
		sim_reply(r, 200, "application/octet-stream", bytes, len);
		free(bytes);
	} else if (op && strcmp(op, "Clone") == 0) {
		b = sim_body_json(r);
		if (pj_str(b, "name") == NULL) {
			sim_pbi_error(r, 400, "InvalidRequest", "name is "
			    "required");
			goto done;
		}
		tws = ws;
		if (pj_str(b, "targetWorkspaceId") != NULL) {
			tws = sim_find_ci(pj_arr(sim_find(pj_arr(g.state,
			    "collections"), "name", r->seg[2]), "workspaces"),
			    "workspaceId", pj_str(b, "targetWorkspaceId"));
			if (tws == NULL) {
				sim_pbi_error(r, 404, "PowerBIEntityNotFound",
				    "Target workspace was not found");
				goto done;
			}
		}
		n = json_object_new_object();
		sim_guid(id);
		pj_add_str(n, "id", id);
		pj_add_str(n, "name", pj_str(b, "name"));
		pj_add_str(n, "datasetId", pj_str(b, "targetModelId") ?
		    pj_str(b, "targetModelId") : pj_str(rep, "datasetId"));
		if (pj_str(rep, "_file") != NULL)
			pj_add_str(n, "_file", pj_str(rep, "_file"));
		json_object_array_add(sim_arr(tws, "_reports"), n);
		sim_reply_json(r, 200, sim_ws_report_json(tws, n, 1));
	} else if (op && strcmp(op, "Rebind") == 0) {
		b = sim_body_json(r);
		if (sim_find_ci(pj_arr(ws, "_datasets"), "id", pj_str(b,
		    "datasetId")) == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound",
			    "Dataset was not found");
			goto done;
		}
		pj_add_str(rep, "datasetId", pj_str(b, "datasetId"));
		sim_reply_empty(r, 200);
	} else
		sim_pbi_no_route(r);
done:
	json_object_put(b);
}

static void
coll_gateway(struct req *r, struct json_object *ws)
{
	struct json_object	*dss = pj_arr(ws, "_datasets"), *src, *b;
	size_t			 i;

	for (i = 0; dss != NULL && i < json_object_array_length(dss); i++) {
		src = sim_find_ci(pj_arr(json_object_array_get_idx(dss, i),
		    "_datasources"), "id", r->seg[8]);
		if (src == NULL || !sim_streq_ci(pj_str(src, "gatewayId"),
		    r->seg[6]))
			continue;
		b = sim_body_json(r);
		if (pj_str(b, "credentialType") == NULL) {
			json_object_put(b);
			sim_pbi_error(r, 400, "InvalidRequest",
			    "credentialType is required");
			return;
		}
		/* never keep the credentials themselves */
		pj_add_str(src, "credentialType", pj_str(b, "credentialType"));
		json_object_put(b);
		sim_reply_empty(r, 200);
		return;
	}
	sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Datasource was not "
	    "found");
}

/*
 * POST workspaces/{wid}/datasets: a push dataset {name, tables} (its
 * reports cannot be exported, api-facts 4.1).  201 with the dataset.
 */
static void
coll_push_dataset(struct req *r, struct json_object *ws)
{
	struct json_object	*b = sim_body_json(r), *d;
	char			 id[37];

	if (pj_str(b, "name") == NULL || pj_arr(b, "tables") == NULL) {
		sim_pbi_error(r, 400, "InvalidRequest", "A push dataset needs "
		    "name and tables");
		json_object_put(b);
		return;
	}
	d = json_object_new_object();
	sim_guid(id);
	pj_add_str(d, "id", id);
	pj_add_str(d, "name", pj_str(b, "name"));
	pj_add_bool(d, "addRowsAPIEnabled", 1);
	pj_add(d, "_tables", json_object_get(pj_arr(b, "tables")));
	sim_arr(d, "_roles");
	sim_arr(d, "_parameters");
	sim_arr(d, "_datasources");
	json_object_array_add(sim_arr(ws, "_datasets"), d);
	json_object_put(b);
	sim_reply_json(r, 201, sim_ws_dataset_json(ws, d, 1));
}

/*
 * Check an "Authorization: AppToken <jwt>" embed token (api-facts 4.3):
 * HS256 over the UTF-8 bytes of key1 or key2, ver 0.1.0/0.2.0, type,
 * wcn, wid, rid or did, aud, nbf and exp.  Only GET of the report (rid)
 * or dataset (did) it names is allowed.  Returns 0, or -1 after a 403.
 */
static int
apptoken_ok(struct req *r, struct json_object *c)
{
	struct json_object	*hdr = NULL, *cl = NULL, *keys;
	const char		*tok = sim_hdr(r, "Authorization") + 9;
	const char		*why = NULL, *ver, *type, *aud, *rid, *did;
	size_t			 i;
	int			 sig = 0;
	int64_t			 now = sim_now();

	while (*tok == ' ')
		tok++;
	keys = pj_arr(c, "__accessKeys");
	for (i = 0; keys != NULL && i < json_object_array_length(keys); i++)
		if (jwt_verify_hs256(tok, json_object_get_string(
		    json_object_array_get_idx(keys, i))))
			sig = 1;
	if (jwt_split(tok, &hdr, &cl) != 0 ||
	    !sim_streq_ci(pj_str(hdr, "alg"), "HS256") || !sig) {
		why = "signature";
		goto done;
	}
	ver = pj_str(cl, "ver");
	type = pj_str(cl, "type");
	aud = pj_str(cl, "aud");
	rid = pj_str(cl, "rid");
	did = pj_str(cl, "did");
	if (!sim_streq_ci(ver, "0.2.0") && !sim_streq_ci(ver, "0.1.0"))
		why = "ver";
	else if (!sim_streq_ci(type, "embed") && !sim_streq_ci(type, "dev") &&
	    !sim_streq_ci(type, "provision"))
		why = "type";
	else if (!sim_streq_ci(pj_str(cl, "wcn"), r->seg[2]))
		why = "wcn";
	else if (r->nseg < 5 || !sim_streq_ci(pj_str(cl, "wid"), r->seg[4]))
		why = "wid";
	else if (!sim_streq_ci(aud, "https://analysis.windows.net/powerbi/api")
	    && !sim_streq_ci(aud,
	    "https://analysis.chinacloudapi.cn/powerbi/api"))
		why = "aud";
	else if (rid == NULL && did == NULL)
		why = "rid";
	else if (pj_int(cl, "exp", 0) <= now || pj_int(cl, "nbf", 0) > now +
	    300)
		why = "lifetime";
	else if (strcmp(r->method, "GET") != 0 || r->nseg < 7 ||
	    !((strcmp(r->seg[5], "reports") == 0 && sim_streq_ci(rid,
	    r->seg[6])) || (strcmp(r->seg[5], "datasets") == 0 &&
	    sim_streq_ci(did, r->seg[6]))))
		why = "scope";
done:
	json_object_put(hdr);
	json_object_put(cl);
	if (why != NULL) {
		/* emulator choice of code */
		sim_pbi_error(r, 403, "InvalidAppToken", "The app token is not "
		    "valid for this request (%s)", why);
		return -1;
	}
	return 0;
}

/*
 * Every route under /v1.0/collections/{name}/ pbisim serves, with the
 * methods workspace-collections.swagger.json defines for its path (for a
 * route the swagger lacks, those pbisim serves) and those it implements.
 */
static const struct sim_route coll_routes[] = {
	{ "workspaces", "GET, POST", "GET, POST" },
	{ "workspaces/*", "GET", "GET" },
	{ "workspaces/*/reports", "GET", "GET" },
	{ "workspaces/*/reports/*", "GET, DELETE", "GET, DELETE" },
	{ "workspaces/*/reports/*/Export", "GET", "GET" },
	{ "workspaces/*/reports/*/Clone", "POST", "POST" },
	{ "workspaces/*/reports/*/Rebind", "POST", "POST" },
	{ "workspaces/*/datasets", "GET, POST", "GET, POST" },
	{ "workspaces/*/datasets/*", "GET, DELETE", "GET, DELETE" },
	{ "workspaces/*/datasets/*/datasources", "GET", "GET" },
	{ "workspaces/*/datasets/*/Default.GetBoundGatewayDatasources", "GET",
	    "GET" },
	{ "workspaces/*/datasets/*/Default.SetAllConnections", "POST",
	    "POST" },
	/* myorg dataset operations sim_ws_datasets() also serves here */
	{ "workspaces/*/datasets/*/parameters", "GET", "GET" },
	{ "workspaces/*/datasets/*/Default.TakeOver", "POST", "POST" },
	{ "workspaces/*/datasets/*/Default.UpdateDatasources", "POST",
	    "POST" },
	{ "workspaces/*/datasets/*/Default.UpdateParameters", "POST",
	    "POST" },
	{ "workspaces/*/gateways/*/datasources/*", "PATCH", "PATCH" },
	{ "workspaces/*/imports", "GET, POST", "GET, POST" },
	{ "workspaces/*/imports/*", "GET", "GET" },
	{ NULL, NULL, NULL }
};

void
sim_coll_route(struct req *r)
{
	struct json_object	*c, *wss, *ws, *b, *val;
	char			 id[37];
	size_t			 i;

	if (r->nseg < 4 || strcmp(r->seg[3], "workspaces") != 0) {
		sim_pbi_no_route(r);
		return;
	}
	c = sim_find(pj_arr(g.state, "collections"), "name", r->seg[2]);
	if (c != NULL && sim_hdr(r, "Authorization") != NULL &&
	    strncasecmp(sim_hdr(r, "Authorization"), "AppToken ", 9) == 0) {
		if (apptoken_ok(r, c) != 0)
			return;
	} else if (c == NULL || !appkey_ok(r, c)) {
		/* api-facts 6.15: AppKey only; Bearer is refused */
		sim_pbi_error(r, 403, "Forbidden", "The request requires an "
		    "'Authorization: AppKey <access key>' header with a key "
		    "of workspace collection '%s'", r->seg[2]);
		return;
	}
	sim_log_principal(r, r->seg[2], NULL);
	if (sim_route_check(r, 3, coll_routes) != 0)
		return;
	wss = sim_arr(c, "workspaces");
	if (r->nseg == 4) {
		if (strcmp(r->method, "GET") == 0) {
			val = json_object_new_array();
			for (i = 0; i < json_object_array_length(wss); i++)
				json_object_array_add(val, ws_json(
				    json_object_array_get_idx(wss, i)));
			coll_list(r, r->seg[2], "workspaces", val);
		} else if (strcmp(r->method, "POST") == 0) {
			b = sim_body_json(r);
			ws = json_object_new_object();
			sim_guid(id);
			pj_add_str(ws, "workspaceId", id);
			pj_add_str(ws, "workspaceCollectionName", r->seg[2]);
			pj_add_str(ws, "displayName", pj_str(b, "name") ?
			    pj_str(b, "name") : id);
			sim_arr(ws, "_reports");
			sim_arr(ws, "_datasets");
			sim_arr(ws, "_imports");
			json_object_array_add(wss, ws);
			json_object_put(b);
			sim_reply_json(r, 201, ws_json(ws));
		} else
			sim_pbi_no_method(r, "GET, POST");
		return;
	}
	if ((ws = sim_find_ci(wss, "workspaceId", r->seg[4])) == NULL) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Workspace '%s' "
		    "was not found", r->seg[4]);
		return;
	}
	sim_ws_settle(ws);
	if (r->nseg == 5) {
		sim_reply_json(r, 200, ws_json(ws));
		return;
	}
	if (strcmp(r->seg[5], "reports") == 0)
		coll_reports(r, ws);
	else if (strcmp(r->seg[5], "datasets") == 0 && r->nseg == 6 &&
	    strcmp(r->method, "POST") == 0)
		coll_push_dataset(r, ws);
	else if (strcmp(r->seg[5], "datasets") == 0)
		sim_ws_datasets(r, ws, 1);
	else if (strcmp(r->seg[5], "imports") == 0) {
		if (r->nseg == 6 && strcmp(r->method, "POST") == 0)
			sim_ws_import_post(r, ws, 1);
		else if (strcmp(r->method, "GET") == 0)
			sim_ws_import_get(r, ws, r->nseg == 7 ? r->seg[6] :
			    NULL, 1);
		else
			sim_pbi_no_method(r, "GET, POST");
	} else if (strcmp(r->seg[5], "gateways") == 0 && r->nseg == 9 &&
	    strcmp(r->seg[7], "datasources") == 0 &&
	    strcmp(r->method, "PATCH") == 0)
		coll_gateway(r, ws);
	else
		sim_pbi_no_route(r);
}

/* ---------------------------------------------------------------- */
/* ARM control plane of workspace collections (api-facts 4.2) */

static struct json_object *
arm_json(struct json_object *c)
{
	struct json_object	*o = json_object_new_object(), *sku, *p;
	char			 id[600];

	snprintf(id, sizeof(id), "/subscriptions/%s/resourceGroups/%s/"
	    "providers/Microsoft.PowerBI/workspaceCollections/%s",
	    pj_str(c, "subscriptionId"), pj_str(c, "resourceGroup"),
	    pj_str(c, "name"));
	pj_add_str(o, "id", id);
	pj_add_str(o, "name", pj_str(c, "name"));
	pj_add_str(o, "type", "Microsoft.PowerBI/workspaceCollections");
	pj_add_str(o, "location", pj_str(c, "location"));
	pj_add(o, "tags", json_object_new_object());
	sku = json_object_new_object();
	pj_add_str(sku, "name", "S1");
	pj_add_str(sku, "tier", "Standard");
	pj_add(o, "sku", sku);
	p = json_object_new_object();
	pj_add_str(p, "status", "Active");
	pj_add(o, "properties", p);
	return o;
}

/*
 * /subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.PowerBI/
 * workspaceCollections[/{name}[/listKeys|/workspaces]]?api-version=...
 * Any valid ARM token of the tenant may call (no RBAC).
 */
void
sim_arm_route(struct req *r)
{
	struct json_object	*all = pj_arr(g.state, "collections"), *c, *val;
	struct json_object	*o, *w;
	const char		*sub, *rg = NULL, *name = NULL, *op = NULL;
	char			 id[700];
	size_t			 i;
	int			 k;

	if (sim_auth(r, 2) != 0)
		return;
	if (sim_q(r, "api-version") == NULL) {
		sim_pbi_error(r, 400, "MissingApiVersionParameter", "The "
		    "api-version query parameter (?api-version=) is required "
		    "for all requests.");
		return;
	}
	sub = r->nseg > 1 ? r->seg[1] : "";
	k = 2;
	if (r->nseg > 3 && strcasecmp(r->seg[2], "resourceGroups") == 0) {
		rg = r->seg[3];
		k = 4;
	}
	if (r->nseg < k + 3 || strcasecmp(r->seg[k], "providers") != 0 ||
	    strcasecmp(r->seg[k + 1], "Microsoft.PowerBI") != 0 ||
	    strcasecmp(r->seg[k + 2], "workspaceCollections") != 0) {
		sim_pbi_error(r, 404, "InvalidResourceType", "The resource "
		    "type could not be found.");
		return;
	}
	if (r->nseg > k + 3)
		name = r->seg[k + 3];
	if (r->nseg > k + 4)
		op = r->seg[k + 4];
	if (name == NULL) {
		val = json_object_new_array();
		for (i = 0; all != NULL && i < json_object_array_length(all);
		    i++) {
			c = json_object_array_get_idx(all, i);
			if (!sim_streq_ci(pj_str(c, "subscriptionId"), sub) ||
			    (rg != NULL && !sim_streq_ci(pj_str(c,
			    "resourceGroup"), rg)))
				continue;
			json_object_array_add(val, arm_json(c));
		}
		o = json_object_new_object();
		pj_add(o, "value", val);
		sim_reply_json(r, 200, o);
		return;
	}
	c = sim_find_ci(all, "name", name);
	if (c == NULL || rg == NULL || !sim_streq_ci(pj_str(c,
	    "subscriptionId"), sub) || !sim_streq_ci(pj_str(c,
	    "resourceGroup"), rg)) {
		sim_pbi_error(r, 404, "ResourceNotFound", "The Resource "
		    "'Microsoft.PowerBI/workspaceCollections/%s' under "
		    "resource group '%s' was not found.", name, rg ? rg : "");
		return;
	}
	if (op == NULL && strcmp(r->method, "GET") == 0)
		sim_reply_json(r, 200, arm_json(c));
	else if (op != NULL && strcmp(op, "listKeys") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		o = json_object_new_object();
		val = pj_arr(c, "__accessKeys");
		pj_add_str(o, "key1", json_object_get_string(
		    json_object_array_get_idx(val, 0)));
		pj_add_str(o, "key2", json_object_get_string(
		    json_object_array_get_idx(val, 1)));
		sim_reply_json(r, 200, o);
	} else if (op != NULL && strcmp(op, "workspaces") == 0 &&
	    strcmp(r->method, "GET") == 0) {
		val = json_object_new_array();
		all = pj_arr(c, "workspaces");
		for (i = 0; all != NULL && i < json_object_array_length(all);
		    i++) {
			w = json_object_array_get_idx(all, i);
			o = json_object_new_object();
			snprintf(id, sizeof(id), "/subscriptions/%s/"
			    "resourceGroups/%s/providers/Microsoft.PowerBI/"
			    "workspaceCollections/%s/workspaces/%s", sub, rg,
			    name, pj_str(w, "workspaceId"));
			pj_add_str(o, "id", id);
			pj_add_str(o, "name", pj_str(w, "workspaceId"));
			pj_add_str(o, "type", "Microsoft.PowerBI/"
			    "workspaceCollections/workspaces");
			pj_add(o, "properties", json_object_new_object());
			json_object_array_add(val, o);
		}
		o = json_object_new_object();
		pj_add(o, "value", val);
		sim_reply_json(r, 200, o);
	} else
		sim_pbi_error(r, 405, "MethodNotAllowed", "The requested "
		    "operation is not supported.");
}
