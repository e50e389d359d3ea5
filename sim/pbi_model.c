/*
 * pbi_model.c: the content of a workspace, shared by Power BI and
 * Workspace Collections (api-facts 3.4-3.6, 4.1): datasets read from a
 * package's DataModelSchema, their and the reports' public JSON, a seed
 * workspace normalised, and the asynchronous imports (api-facts 6.1) and
 * capacity assignments (6.3) advanced on the sim clock.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void
schema_parse(struct json_object *ds, const char *file, size_t n)
{
	const char		*p;
	size_t			 len, i, j;
	struct json_object	*m = NULL, *a, *e, *roles, *params, *prm, *srcs;
	struct buf		 u8 = { 0 };
	const char		*ex, *q, *t;
	char			 val[256], type[32], id[37];

	roles = sim_arr(ds, "_roles");
	params = sim_arr(ds, "_parameters");
	if (sim_zip_find(file, n, "DataModelSchema", &p, &len) != 0)
		return;
	if (len >= 2 && (unsigned char)p[0] == 0xff &&
	    (unsigned char)p[1] == 0xfe) {
		/* UTF-16LE as Power BI Desktop writes it: keep ASCII */
		for (i = 2; i + 1 < len; i += 2)
			if (p[i + 1] == 0)
				buf_add(&u8, p + i, 1);
		m = pj_parse(u8.p, u8.len);
	} else
		m = pj_parse(p, len);
	buf_release(&u8);
	if (m == NULL)
		return;
	a = pj_path(m, "model.roles");
	for (i = 0; a != NULL && json_object_is_type(a, json_type_array) &&
	    i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		if (pj_str(e, "name") != NULL)
			json_object_array_add(roles,
			    json_object_new_string(pj_str(e, "name")));
	}
	a = pj_path(m, "model.expressions");
	for (i = 0; a != NULL && json_object_is_type(a, json_type_array) &&
	    i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		ex = pj_str(e, "expression");
		if (ex == NULL || pj_str(e, "name") == NULL ||
		    strstr(ex, "IsParameterQuery=true") == NULL)
			continue;
		val[0] = '\0';
		q = ex;
		while (*q == ' ')
			q++;
		if (*q == '"') {
			for (q++, j = 0; *q != '\0' && *q != '"' &&
			    j + 1 < sizeof(val); q++)
				val[j++] = *q;
			val[j] = '\0';
		} else
			snprintf(val, sizeof(val), "%.*s",
			    (int)strcspn(q, " "), q);
		snprintf(type, sizeof(type), "Any");
		if ((t = strstr(ex, "Type=\"")) != NULL)
			snprintf(type, sizeof(type), "%.*s",
			    (int)strcspn(t + 6, "\""), t + 6);
		prm = json_object_new_object();
		pj_add_str(prm, "name", pj_str(e, "name"));
		pj_add_str(prm, "type", type);
		pj_add_bool(prm, "isRequired", strstr(ex,
		    "IsParameterQueryRequired=true") != NULL);
		pj_add_str(prm, "currentValue", val);
		json_object_array_add(params, prm);
	}
	srcs = pj_path(m, "model.dataSources");
	for (i = 0; srcs != NULL && json_object_is_type(srcs,
	    json_type_array) && i < json_object_array_length(srcs); i++) {
		e = json_object_array_get_idx(srcs, i);
		prm = json_object_new_object();
		sim_guid(id);
		pj_add_str(prm, "id", id);
		sim_guid(id);
		pj_add_str(prm, "gatewayId", id);
		pj_add_str(prm, "datasourceType", pj_str(e, "datasourceType") ?
		    pj_str(e, "datasourceType") : "Sql");
		pj_add_str(prm, "connectionDetails", pj_obj(e,
		    "connectionDetails") ? pj_text(pj_obj(e,
		    "connectionDetails"), 0) : "{}");
		json_object_array_add(sim_arr(ds, "_datasources"), prm);
	}
	json_object_put(m);
}

static struct json_object *
ds_new(const char *id, const char *name, const char *owner,
    const char *ownername)
{
	struct json_object	*d = json_object_new_object();
	char			 gid[37], ts[40];

	if (id == NULL) {
		sim_guid(gid);
		id = gid;
	}
	sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
	pj_add_str(d, "id", id);
	pj_add_str(d, "name", name);
	pj_add_bool(d, "addRowsAPIEnabled", 0);
	pj_add_str(d, "configuredBy", ownername);
	pj_add_bool(d, "isRefreshable", 1);
	pj_add_bool(d, "isOnPremGatewayRequired", 0);
	pj_add_str(d, "targetStorageMode", "Abf");
	pj_add_str(d, "createdDate", ts);
	pj_add_str(d, "_owner", owner);
	sim_arr(d, "_roles");
	sim_arr(d, "_parameters");
	sim_arr(d, "_datasources");
	return d;
}

struct json_object *
sim_ws_dataset_json(struct json_object *ws, struct json_object *ds, int coll)
{
	struct json_object	*o;
	char			 u[300];
	int			 rls;

	o = json_object_new_object();
	pj_add_str(o, "id", pj_str(ds, "id"));
	pj_add_str(o, "name", pj_str(ds, "name"));
	pj_add_bool(o, "addRowsAPIEnabled", pj_bool(ds, "addRowsAPIEnabled",
	    0));
	if (coll)
		return o;
	snprintf(u, sizeof(u), "https://app.powerbi.com/groups/%s/datasets/%s",
	    pj_str(ws, "id"), pj_str(ds, "id"));
	pj_add_str(o, "webUrl", u);
	pj_add_str(o, "configuredBy", pj_str(ds, "configuredBy"));
	pj_add_bool(o, "isRefreshable", pj_bool(ds, "isRefreshable", 1));
	rls = pj_arr(ds, "_roles") != NULL &&
	    json_object_array_length(pj_arr(ds, "_roles")) > 0;
	pj_add_bool(o, "isEffectiveIdentityRequired", rls);
	pj_add_bool(o, "isEffectiveIdentityRolesRequired", rls);
	pj_add_bool(o, "isOnPremGatewayRequired", pj_bool(ds,
	    "isOnPremGatewayRequired", 0));
	pj_add_str(o, "targetStorageMode", pj_str(ds, "targetStorageMode"));
	pj_add_str(o, "createdDate", pj_str(ds, "createdDate"));
	snprintf(u, sizeof(u), "https://app.powerbi.com/reportEmbed?"
	    "config=create&datasetId=%s&groupId=%s", pj_str(ds, "id"),
	    pj_str(ws, "id"));
	pj_add_str(o, "createReportEmbedURL", u);
	return o;
}

/* Public JSON of report rep in ws (new reference). */
struct json_object *
sim_ws_report_json(struct json_object *ws, struct json_object *rep, int coll)
{
	struct json_object	*o = json_object_new_object();
	char			 u[400];
	const char		*wid = pj_str(ws, coll ? "workspaceId" : "id");
	const char		*rid = pj_str(rep, "id");

	pj_add_str(o, "id", rid);
	if (coll) {
		pj_add_str(o, "name", pj_str(rep, "name"));
		snprintf(u, sizeof(u), "https://app.powerbi.com/reports/%s",
		    rid);
		pj_add_str(o, "webUrl", u);
		snprintf(u, sizeof(u), "https://embedded.powerbi.com/"
		    "appTokenReportEmbed?reportId=%s", rid);
		pj_add_str(o, "embedUrl", u);
		pj_add_str(o, "datasetId", pj_str(rep, "datasetId"));
		return o;
	}
	pj_add_str(o, "reportType", "PowerBIReport");
	pj_add_str(o, "name", pj_str(rep, "name"));
	snprintf(u, sizeof(u), "https://app.powerbi.com/groups/%s/reports/%s",
	    wid, rid);
	pj_add_str(o, "webUrl", u);
	snprintf(u, sizeof(u), "https://app.powerbi.com/reportEmbed?"
	    "reportId=%s&groupId=%s&w=2", rid, wid);
	pj_add_str(o, "embedUrl", u);
	pj_add_bool(o, "isFromPbix", 1);
	pj_add_bool(o, "isOwnedByMe", 1);
	pj_add_str(o, "datasetId", pj_str(rep, "datasetId"));
	pj_add_str(o, "datasetWorkspaceId", pj_str(rep, "datasetWorkspaceId") ?
	    pj_str(rep, "datasetWorkspaceId") : wid);
	pj_add(o, "users", json_object_new_array());
	pj_add(o, "subscriptions", json_object_new_array());
	return o;
}

/* Seed form of a workspace to the internal form (in place). */
void
sim_ws_normalize(struct json_object *ws, int coll, const char *basedir)
{
	struct json_object	*a, *e, *n, *ds, *reps, *dss, *dbs, *tiles, *tl;
	char			 id[37], path[4096], ts[40];
	const char		*s, *owner;
	char			*bytes = NULL, *key;
	size_t			 i, j, len;

	if (pj_str(ws, coll ? "workspaceId" : "id") == NULL) {
		sim_guid(id);
		pj_add_str(ws, coll ? "workspaceId" : "id", id);
	}
	if (coll) {
		if (pj_str(ws, "displayName") == NULL)
			pj_add_str(ws, "displayName", pj_str(ws,
			    "workspaceId"));
	} else {
		pj_add_bool(ws, "isReadOnly", pj_bool(ws, "isReadOnly", 0));
		pj_add_bool(ws, "isOnDedicatedCapacity",
		    pj_str(ws, "capacityId") != NULL);
		/* "My workspace" only when the seed says so */
		pj_add_str(ws, "type", sim_streq_ci(pj_str(ws, "type"),
		    "PersonalGroup") ? "PersonalGroup" : "Workspace");
		if (pj_str(ws, "name") == NULL)
			pj_add_str(ws, "name", pj_str(ws, "id"));
		a = pj_arr(ws, "users");
		json_object_object_add(ws, "_users", a ? json_object_get(a) :
		    json_object_new_array());
		json_object_object_del(ws, "users");
		/* When it last changed: admin/workspaces/modified. */
		s = pj_str(ws, "modifiedAt");
		pj_add_int(ws, "_modified", s && sim_parse_iso(s) >= 0 ?
		    sim_parse_iso(s) : sim_now_ms());
		json_object_object_del(ws, "modifiedAt");
	}
	owner = "seed";
	dss = sim_arr(ws, "_datasets");
	a = pj_arr(ws, "datasets");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		n = ds_new(pj_str(e, "id"), pj_str(e, "name") ?
		    pj_str(e, "name") : "dataset", owner,
		    pj_str(e, "configuredBy") ? pj_str(e, "configuredBy") :
		    "seed");
		pj_add_bool(n, "addRowsAPIEnabled", pj_bool(e,
		    "addRowsAPIEnabled", 0));
		if (pj_arr(e, "roles") != NULL)
			pj_add(n, "_roles", json_object_get(pj_arr(e,
			    "roles")));
		if (pj_arr(e, "parameters") != NULL)
			pj_add(n, "_parameters", json_object_get(pj_arr(e,
			    "parameters")));
		if (pj_arr(e, "datasources") != NULL)
			pj_add(n, "_connections", json_object_get(pj_arr(e,
			    "datasources")));
		if (pj_arr(e, "gatewayDatasources") != NULL)
			pj_add(n, "_datasources", json_object_get(pj_arr(e,
			    "gatewayDatasources")));
		json_object_array_add(dss, n);
	}
	json_object_object_del(ws, "datasets");
	reps = sim_arr(ws, "_reports");
	a = pj_arr(ws, "reports");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		n = json_object_new_object();
		pj_add_str(n, "id", pj_str(e, "id") ? pj_str(e, "id") :
		    (sim_guid(id), id));
		pj_add_str(n, "name", pj_str(e, "name") ? pj_str(e, "name") :
		    "report");
		len = 0;
		bytes = NULL;
		if ((s = pj_str(e, "pbix")) != NULL)
			bytes = (char *)b64_dec(s, strlen(s), &len);
		else if ((s = pj_str(e, "pbixFile")) != NULL) {
			FILE		*f;
			struct buf	 b = { 0 };
			char		 tmp[65536];
			size_t		 k;

			if (s[0] == '/')
				snprintf(path, sizeof(path), "%s", s);
			else
				snprintf(path, sizeof(path), "%s/%s", basedir,
				    s);
			if ((f = fopen(path, "rb")) != NULL) {
				while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
					buf_add(&b, tmp, k);
				fclose(f);
			} else
				fprintf(stderr, "pbisim: cannot read '%s'\n",
				    path);
			bytes = b.p;
			len = b.len;
		}
		s = pj_str(e, "datasetId");
		ds = s ? sim_find_ci(dss, "id", s) : NULL;
		if (ds == NULL) {
			ds = ds_new(s, pj_str(n, "name"), owner, "seed");
			json_object_array_add(dss, ds);
		}
		if (bytes != NULL) {
			key = sim_file_store(bytes, len);
			pj_add_str(n, "_file", key);
			if (json_object_array_length(pj_arr(ds, "_roles")) ==
			    0 && json_object_array_length(pj_arr(ds,
			    "_parameters")) == 0)
				schema_parse(ds, bytes, len);
			free(key);
			free(bytes);
		}
		pj_add_str(n, "datasetId", pj_str(ds, "id"));
		if ((s = pj_str(e, "importedAt")) == NULL) {
			sim_iso(sim_now_ms(), 0, ts, sizeof(ts));
			s = ts;
		}
		pj_add_str(n, "_importedAt", s);
		json_object_array_add(reps, n);
	}
	json_object_object_del(ws, "reports");
	sim_arr(ws, "_imports");
	if (coll) {
		/* A legacy report came from an import, dated by the seed. */
		for (i = 0; i < json_object_array_length(reps); i++) {
			e = json_object_array_get_idx(reps, i);
			n = json_object_new_object();
			sim_guid(id);
			pj_add_str(n, "id", id);
			pj_add_str(n, "importState", "Succeeded");
			s = pj_str(e, "_importedAt");
			pj_add_str(n, "createdDateTime", s);
			pj_add_str(n, "updatedDateTime", s);
			pj_add_str(n, "name", pj_str(e, "name"));
			pj_add_str(n, "connectionType", "import");
			pj_add_str(n, "source", "Upload");
			a = json_object_new_array();
			json_object_array_add(a, sim_ws_report_json(ws, e, 1));
			pj_add(n, "reports", a);
			a = json_object_new_array();
			ds = sim_find_ci(dss, "id", pj_str(e, "datasetId"));
			if (ds != NULL)
				json_object_array_add(a, sim_ws_dataset_json(ws,
				    ds, 1));
			pj_add(n, "datasets", a);
			json_object_array_add(pj_arr(ws, "_imports"), n);
		}
		return;
	}
	/* Dashboards and their tiles come from the seed only. */
	a = pj_arr(ws, "dashboards");
	dbs = sim_arr(ws, "_dashboards");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		n = json_object_new_object();
		pj_add_str(n, "id", pj_str(e, "id") ? pj_str(e, "id") :
		    (sim_guid(id), id));
		pj_add_str(n, "displayName", pj_str(e, "displayName") ?
		    pj_str(e, "displayName") : "dashboard");
		tiles = sim_arr(n, "_tiles");
		for (j = 0; j < pj_len(pj_arr(e, "tiles")); j++) {
			tl = sim_pub(pj_idx(pj_arr(e, "tiles"), j), 0);
			if (pj_str(tl, "id") == NULL)
				pj_add_str(tl, "id", (sim_guid(id), id));
			json_object_array_add(tiles, tl);
		}
		json_object_array_add(dbs, n);
	}
	json_object_object_del(ws, "dashboards");
}

static void
import_complete(struct json_object *ws, struct json_object *imp, int coll)
{
	struct json_object	*plan = pj_obj(imp, "_plan"), *dss, *reps;
	struct json_object	*ds = NULL, *rep = NULL, *old;
	const char		*name = pj_str(plan, "name");
	const char		*key = pj_str(plan, "file");
	char			*bytes;
	char			 ts[40], id[37];
	size_t			 n = 0, i;

	sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
	pj_add_str(imp, "updatedDateTime", ts);
	if (!pj_bool(plan, "valid", 0)) {
		struct json_object *e = json_object_new_object();

		pj_add_str(imp, "importState", "Failed");
		/* emulator choice: the service's code is undocumented */
		pj_add_str(e, "code", "PackageNotValid");
		pj_add_str(e, "details", "The uploaded file is not a valid "
		    "Power BI package (.pbix must be a zip archive).");
		pj_add(imp, "error", e);
		return;
	}
	dss = sim_arr(ws, "_datasets");
	reps = sim_arr(ws, "_reports");
	if (pj_str(plan, "target") != NULL)
		ds = sim_find(dss, "id", pj_str(plan, "target"));
	if (ds == NULL) {
		ds = ds_new(NULL, name, pj_str(plan, "owner"),
		    pj_str(plan, "ownerName"));
		json_object_array_add(dss, ds);
	} else {
		pj_add(ds, "_roles", json_object_new_array());
		pj_add(ds, "_parameters", json_object_new_array());
		pj_add(ds, "_datasources", json_object_new_array());
	}
	bytes = sim_file_load(key, &n);
	if (bytes != NULL)
		schema_parse(ds, bytes, n);
	free(bytes);
	if (!pj_bool(plan, "skipReport", 0)) {
		for (i = 0; i < json_object_array_length(reps); i++) {
			old = json_object_array_get_idx(reps, i);
			if (sim_streq_ci(pj_str(old, "datasetId"),
			    pj_str(ds, "id")) &&
			    sim_streq_ci(pj_str(old, "name"), name)) {
				rep = old;
				break;
			}
		}
		if (rep == NULL) {
			rep = json_object_new_object();
			sim_guid(id);
			pj_add_str(rep, "id", id);
			pj_add_str(rep, "name", name);
			pj_add_str(rep, "datasetId", pj_str(ds, "id"));
			json_object_array_add(reps, rep);
		}
		pj_add_str(rep, "_file", key);
		sim_iso(sim_now_ms(), 0, ts, sizeof(ts));
		pj_add_str(rep, "_importedAt", ts);
		json_object_array_add(sim_arr(imp, "reports"),
		    sim_ws_report_json(ws, rep, coll));
	}
	pj_add_str(ds, "_file", key);
	json_object_array_add(sim_arr(imp, "datasets"), sim_ws_dataset_json(ws,
	    ds, coll));
	pj_add_str(imp, "importState", "Succeeded");
	sim_ws_touch(ws);
}

/*
 * Advance the asynchronous state of ws against the sim clock: imports
 * (api-facts 6.1) and capacity assignment (6.3).  Caller holds g.mu.
 */
void
sim_ws_settle(struct json_object *ws)
{
	struct json_object	*imps = pj_arr(ws, "_imports"), *imp, *as, *cap;
	int64_t			 now = sim_now_ms(), el;
	size_t			 i;
	int			 coll = pj_str(ws, "workspaceId") != NULL;
	const char		*st, *cid;
	char			 ts[40];

	for (i = 0; imps != NULL && i < json_object_array_length(imps); i++) {
		imp = json_object_array_get_idx(imps, i);
		if (strcmp(pj_str(imp, "importState"), "Publishing") != 0)
			continue;
		if (pj_int(imp, "_polls", 0) >= 1 && now - pj_int(imp,
		    "_created", now) >= (int64_t)(g.f.import_s * 1000))
			import_complete(ws, imp, coll);
	}
	if ((as = pj_obj(ws, "_assign")) == NULL)
		return;
	st = pj_str(as, "status");
	if (strcmp(st, "CompletedSuccessfully") == 0 ||
	    strcmp(st, "AssignmentFailed") == 0)
		return;
	el = now - pj_int(as, "_start", now);
	if (el < (int64_t)(g.f.assign_s * 1000) / 3 && g.f.assign_s > 0) {
		pj_add_str(as, "status", "Pending");
		return;
	}
	if (g.f.assign_stuck || el < (int64_t)(g.f.assign_s * 1000)) {
		pj_add_str(as, "status", "InProgress");
		return;
	}
	cid = pj_str(as, "capacityId");
	sim_iso(now, 1, ts, sizeof(ts));
	pj_add_str(as, "endTime", ts);
	if (strcmp(cid, SIM_EMPTY_GUID) == 0) {
		pj_add_str(as, "status", "CompletedSuccessfully");
		json_object_object_del(ws, "capacityId");
		pj_add_bool(ws, "isOnDedicatedCapacity", 0);
		return;
	}
	cap = sim_find_ci(pj_arr(g.state, "capacities"), "id", cid);
	if (cap == NULL || !sim_streq_ci(pj_str(cap, "state"), "Active")) {
		pj_add_str(as, "status", "AssignmentFailed");
		return;
	}
	pj_add_str(as, "status", "CompletedSuccessfully");
	pj_add_str(ws, "capacityId", cid);
	pj_add_bool(ws, "isOnDedicatedCapacity", 1);
}
