/*
 * powerbi.c: the Power BI REST v1.0 myorg subset (api-facts 3): groups,
 * group users, profiles, capacities and assignment, imports and the
 * temporary upload blob, reports, datasets, embed tokens, admin and
 * scanner APIs.  The workspace content code is shared with collections.c.
 */
#include "sim/sim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAXITEMS	50

static const char *const rights[] = { "None", "Viewer", "Contributor",
    "Member", "Admin", NULL };

enum { R_NONE, R_VIEWER, R_CONTRIB, R_MEMBER, R_ADMIN };

static int
right_rank(const char *s)
{
	int	 i;

	for (i = 0; rights[i] != NULL; i++)
		if (sim_streq_ci(s, rights[i]))
			return i;
	return -1;
}

void
pbi_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
	struct json_object	*o, *e;
	char			 msg[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = json_object_new_object();
	pj_add_str(e, "code", code);
	pj_add_str(e, "message", msg);
	o = json_object_new_object();
	pj_add(o, "error", e);
	sim_reply_json(r, status, o);
}

/* api-facts 3.0: the {"error":{"code","pbi.error":{...}}} form. */
void
pbi_error_pbi(struct req *r, int status, const char *code,
    struct json_object *params)
{
	struct json_object	*o, *e, *p;

	p = json_object_new_object();
	pj_add_str(p, "code", code);
	pj_add(p, "parameters", params ? params : json_object_new_object());
	pj_add(p, "details", json_object_new_array());
	pj_add_int(p, "exceptionCulprit", 1);
	e = json_object_new_object();
	pj_add_str(e, "code", code);
	pj_add(e, "pbi.error", p);
	o = json_object_new_object();
	pj_add(o, "error", e);
	sim_reply_json(r, status, o);
}

/* A route pbisim does not know (pbi_route's fallback, used everywhere). */
void
pbi_no_route(struct req *r)
{
	pbi_error(r, 404, "NotFound", "Unsupported route");
}

/* A known path with a method the service does not define for it. */
void
pbi_no_method(struct req *r, const char *allow)
{
	sim_add_header(r, "Allow", allow);
	pbi_error(r, 405, "MethodNotAllowed", "The requested resource does "
	    "not support http method '%s'", r->method);
}

/* Whether method m is one of the ", " separated list. */
static int
method_in(const char *list, const char *m)
{
	const char	*p;
	size_t		 n = strlen(m);

	if (n == 0)
		return 0;
	for (p = list; (p = strstr(p, m)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' ||
		    p[n] == ','))
			return 1;
	return 0;
}

/* Whether the segments of r from first on are those of template path. */
static int
route_match(const struct req *r, int first, const char *path)
{
	const char	*p = path, *e;
	size_t		 n;
	int		 i = first;

	for (;;) {
		e = strchr(p, '/');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (i >= r->nseg)
			return 0;
		if (!(n == 1 && *p == '*') && (strlen(r->seg[i]) != n ||
		    strncmp(r->seg[i], p, n) != 0))
			return 0;
		i++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return i == r->nseg;
}

/*
 * Hold r (its segments from first on) against the routes of tab, ended
 * by a NULL path: a path no route matches answers 404 as an unknown
 * route, a method none of the matching routes allows 405, an allowed
 * method pbisim does not implement 404.  Returns 0 when r may be served,
 * -1 after answering.
 */
int
pbi_route_check(struct req *r, int first, const struct sim_route *tab)
{
	char	 allow[80] = "";
	size_t	 n;
	int	 known = 0, allowed = 0;

	for (; tab->path != NULL; tab++) {
		if (!route_match(r, first, tab->path))
			continue;
		if (method_in(tab->served, r->method))
			return 0;
		known = 1;
		if (method_in(tab->allow, r->method))
			allowed = 1;
		n = strlen(allow);
		snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "",
		    tab->allow);
	}
	if (!known || allowed)
		pbi_no_route(r);
	else
		pbi_no_method(r, allow);
	return -1;
}

static void
not_authorized(struct req *r)
{
	pbi_error_pbi(r, 401, "PowerBINotAuthorizedException", NULL);
}

static void
reply_list(struct req *r, const char *ctxname, struct json_object *val,
    int count)
{
	struct json_object	*o = json_object_new_object();
	char			 ctx[300];

	snprintf(ctx, sizeof(ctx), "%s%s", SIM_PBI_CTX, ctxname);
	pj_add_str(o, "@odata.context", ctx);
	if (count)
		pj_add_int(o, "@odata.count",
		    (int64_t)json_object_array_length(val));
	pj_add(o, "value", val);
	sim_reply_json(r, 200, o);
}

/* Principal key used for ownership: "app:<spid>[/<profile>]" or "user:". */
static void
caller_key(const struct req *r, char *out, size_t n)
{
	if (r->pr.kind == PR_APP)
		snprintf(out, n, "app:%s%s%s", r->pr.oid,
		    r->pr.profile[0] ? "/" : "", r->pr.profile);
	else
		snprintf(out, n, "user:%s", r->pr.upn);
}

static const char *
caller_name(const struct req *r)
{
	if (r->pr.kind == PR_APP)
		return r->pr.profile[0] ? r->pr.profile : r->pr.appid;
	return r->pr.upn;
}

/* Access right rank of the caller on workspace ws (R_NONE if none). */
static int
ws_access(const struct req *r, struct json_object *ws)
{
	struct json_object	*u = pj_arr(ws, "_users"), *e;
	const char		*pt, *id, *prof;
	size_t			 i;
	int			 best = R_NONE, k;

	for (i = 0; u != NULL && i < json_object_array_length(u); i++) {
		e = json_object_array_get_idx(u, i);
		pt = pj_str(e, "principalType");
		id = pj_str(e, "identifier");
		prof = pj_path_str(e, "profile.id");
		k = right_rank(pj_str(e, "groupUserAccessRight"));
		if (sim_streq_ci(pt, "App")) {
			if (r->pr.kind != PR_APP || !sim_streq_ci(id, r->pr.oid))
				continue;
			if ((prof == NULL) != (r->pr.profile[0] == '\0'))
				continue;
			if (prof != NULL && !sim_streq_ci(prof, r->pr.profile))
				continue;
		} else if (sim_streq_ci(pt, "User")) {
			if (r->pr.kind != PR_USER || (!sim_streq_ci(id,
			    r->pr.upn) && !sim_streq_ci(id, r->pr.oid)))
				continue;
		} else if (sim_streq_ci(pt, "Group")) {
			if (r->pr.profile[0] != '\0' ||
			    !graph_is_member(id, r->pr.oid))
				continue;
		} else
			continue;
		if (k > best)
			best = k;
	}
	return best;
}

static struct json_object *
ws_find(const char *id)
{
	return sim_find_ci(pj_arr(g.state, "workspaces"), "id", id);
}

/*
 * The workspace id with at least right need for the caller, settled; or
 * NULL after answering 404 / 401.
 */
static struct json_object *
ws_get(struct req *r, const char *id, int need)
{
	struct json_object	*ws = ws_find(id);

	if (ws == NULL) {
		pbi_error(r, 404, "PowerBIEntityNotFound", "Workspace '%s' "
		    "was not found", id);
		return NULL;
	}
	if (ws_access(r, ws) < (need < R_VIEWER ? R_VIEWER : need)) {
		not_authorized(r);
		return NULL;
	}
	ws_settle(ws);
	return ws;
}

static void
add_member(struct json_object *ws, const char *pt, const char *id,
    const char *right, const char *name, const char *email,
    const char *profid, const char *profname)
{
	struct json_object	*e, *p;

	e = json_object_new_object();
	if (email != NULL)
		pj_add_str(e, "emailAddress", email);
	pj_add_str(e, "groupUserAccessRight", right);
	if (name != NULL)
		pj_add_str(e, "displayName", name);
	pj_add_str(e, "identifier", id);
	pj_add_str(e, "principalType", pt);
	if (profid != NULL) {
		p = json_object_new_object();
		pj_add_str(p, "id", profid);
		if (profname != NULL)
			pj_add_str(p, "displayName", profname);
		pj_add(e, "profile", p);
	}
	json_object_array_add(sim_arr(ws, "_users"), e);
}

/* ---------------------------------------------------------------- */
/* Workspace content (shared with collections) */

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

static struct json_object *
ds_json(struct json_object *ws, struct json_object *ds, int coll)
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
ws_report_json(struct json_object *ws, struct json_object *rep, int coll)
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
pbi_normalize_ws(struct json_object *ws, int coll, const char *basedir)
{
	struct json_object	*a, *e, *n, *ds, *reps, *dss;
	char			 id[37], path[4096], ts[40];
	const char		*s, *owner;
	char			*bytes = NULL, *key;
	size_t			 i, len;

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
		pj_add_str(ws, "type", "Workspace");
		if (pj_str(ws, "name") == NULL)
			pj_add_str(ws, "name", pj_str(ws, "id"));
		a = pj_arr(ws, "users");
		json_object_object_add(ws, "_users", a ? json_object_get(a) :
		    json_object_new_array());
		json_object_object_del(ws, "users");
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
		    ws_report_json(ws, rep, coll));
	}
	pj_add_str(ds, "_file", key);
	json_object_array_add(sim_arr(imp, "datasets"), ds_json(ws, ds,
	    coll));
	pj_add_str(imp, "importState", "Succeeded");
}

/*
 * Advance the asynchronous state of ws against the sim clock: imports
 * (api-facts 6.1) and capacity assignment (6.3).  Caller holds g.mu.
 */
void
ws_settle(struct json_object *ws)
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

static struct json_object *
import_json(struct json_object *imp)
{
	struct json_object	*o = sim_pub(imp, 1);

	return o;
}

static char *
strip_ext(const char *name)
{
	char	*s = strdup(name ? name : "Imported");
	size_t	 n = strlen(s);

	if (n > 5 && strcasecmp(s + n - 5, ".pbix") == 0)
		s[n - 5] = '\0';
	return s;
}

static int
blob_bytes(const char *url, const char **key)
{
	const char		*p;
	char			 id[64];
	struct json_object	*b;

	if (url == NULL || (p = strstr(url, "/_blob/")) == NULL)
		return -1;
	p += 7;
	snprintf(id, sizeof(id), "%.*s", (int)strcspn(p, "?/."), p);
	b = pj_obj(pj_obj(g.state, "__blobs"), id);
	if (b == NULL || (*key = pj_str(b, "file")) == NULL)
		return -1;
	return 0;
}

/*
 * POST .../imports: accept any single multipart part or a JSON fileUrl,
 * apply the nameConflict rules of api-facts 3.4 / 6.2 and answer 202.
 */
void
ws_import_post(struct req *r, struct json_object *ws, int coll)
{
	struct json_object	*imp, *plan, *dss, *o, *b = NULL, *params;
	const char		*data = NULL, *ct, *mode, *fkey = NULL;
	const char		*target = NULL;
	char			*name = NULL, *key = NULL, *bytes = NULL;
	char			 id[37], ts[40], owner[200], uniq[300];
	size_t			 len = 0, i, cnt = 0, k;
	int			 valid;

	mode = sim_q(r, "nameConflict");
	if (mode == NULL)
		mode = "Ignore";
	if (strcmp(mode, "Ignore") != 0 && strcmp(mode, "Abort") != 0 &&
	    strcmp(mode, "Overwrite") != 0 &&
	    strcmp(mode, "CreateOrOverwrite") != 0 &&
	    strcmp(mode, "GenerateUniqueName") != 0) {
		pbi_error(r, 400, "InvalidRequest", "Invalid nameConflict "
		    "'%s'", mode);
		goto done;
	}
	ct = sim_hdr(r, "Content-Type");
	if (ct != NULL && sim_strcasestr(ct, "json") != NULL) {
		b = sim_body_json(r);
		if (blob_bytes(pj_str(b, "fileUrl"), &fkey) != 0) {
			pbi_error(r, 400, "InvalidRequest", "fileUrl does "
			    "not point at a committed temporary upload "
			    "location");
			goto done;
		}
		key = strdup(fkey);
		bytes = sim_file_load(key, &len);
		data = bytes;
	} else if (sim_multipart(r, &data, &len) != 0) {
		pbi_error(r, 400, "InvalidRequest", "The request body must "
		    "be multipart/form-data with one file part");
		goto done;
	}
	name = strip_ext(sim_q(r, "datasetDisplayName"));
	dss = sim_arr(ws, "_datasets");
	for (i = 0; i < json_object_array_length(dss); i++)
		if (sim_streq_ci(pj_str(json_object_array_get_idx(dss, i),
		    "name"), name)) {
			cnt++;
			target = pj_str(json_object_array_get_idx(dss, i),
			    "id");
		}
	if (strcmp(mode, "Abort") == 0 && cnt > 0) {
		/* emulator choice of code; 409 per api-facts 3.4 */
		pbi_error_pbi(r, 409, "DuplicatePackageFoundError", NULL);
		goto done;
	}
	if ((strcmp(mode, "Overwrite") == 0 ||
	    strcmp(mode, "CreateOrOverwrite") == 0) && cnt > 1) {
		params = json_object_new_object();
		pj_add(params, "DuplicatePackagesFullMatch", NULL);
		pbi_error_pbi(r, 409, "MoreThanOneDuplicatePackageFoundError",
		    params);
		goto done;
	}
	if (strcmp(mode, "Overwrite") == 0 && cnt == 0) {
		/* api-facts 3.4 / I-import: 404 with the pbi.error form */
		params = json_object_new_object();
		pj_add(params, "DuplicatePackagesFullMatch", NULL);
		pbi_error_pbi(r, 404, "DuplicatePackageNotFoundError",
		    params);
		goto done;
	}
	if (strcmp(mode, "Ignore") == 0 || strcmp(mode,
	    "GenerateUniqueName") == 0)
		target = NULL;
	if (strcmp(mode, "GenerateUniqueName") == 0 && cnt > 0) {
		for (k = 2;; k++) {
			snprintf(uniq, sizeof(uniq), "%s (%zu)", name, k);
			if (sim_find_ci(dss, "name", uniq) == NULL)
				break;
		}
		free(name);
		name = strdup(uniq);
	}
	valid = sim_is_zip(data, len);
	if (key == NULL)
		key = sim_file_store(data ? data : "", len);
	caller_key(r, owner, sizeof(owner));
	plan = json_object_new_object();
	pj_add_str(plan, "name", name);
	pj_add_str(plan, "file", key);
	pj_add_bool(plan, "valid", valid);
	pj_add_str(plan, "target", target);
	pj_add_bool(plan, "skipReport", sim_streq_ci(sim_q(r, "skipReport"),
	    "true"));
	pj_add_str(plan, "owner", owner);
	pj_add_str(plan, "ownerName", coll ? "AppKey" : caller_name(r));
	imp = json_object_new_object();
	sim_guid(id);
	sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
	pj_add_str(imp, "id", id);
	pj_add_str(imp, "importState", "Publishing");
	pj_add_str(imp, "createdDateTime", ts);
	pj_add_str(imp, "updatedDateTime", ts);
	pj_add_str(imp, "name", name);
	pj_add_str(imp, "connectionType", "import");
	pj_add_str(imp, "source", "Upload");
	pj_add(imp, "reports", json_object_new_array());
	pj_add(imp, "datasets", json_object_new_array());
	pj_add(imp, "_plan", plan);
	pj_add_int(imp, "_polls", 0);
	sim_stamp(imp);
	json_object_array_add(sim_arr(ws, "_imports"), imp);
	o = json_object_new_object();
	pj_add_str(o, "id", id);
	sim_reply_json(r, 202, o);
done:
	json_object_put(b);
	free(name);
	free(key);
	free(bytes);
}

/* GET .../imports[/{id}]: every GET counts as a poll (api-facts 6.1). */
void
ws_import_get(struct req *r, struct json_object *ws, const char *id,
    int coll)
{
	struct json_object	*imps = sim_arr(ws, "_imports"), *imp, *val;
	size_t			 i;

	(void)coll;
	for (i = 0; i < json_object_array_length(imps); i++) {
		imp = json_object_array_get_idx(imps, i);
		if (id == NULL || sim_streq_ci(pj_str(imp, "id"), id))
			pj_add_int(imp, "_polls", pj_int(imp, "_polls", 0) + 1);
	}
	if (id != NULL) {
		if ((imp = sim_find_ci(imps, "id", id)) == NULL) {
			pbi_error(r, 404, "PowerBIEntityNotFound", "Import "
			    "'%s' was not found", id);
			return;
		}
		if (pj_int(imp, "_polls", 0) > 1)
			ws_settle(ws);
		sim_reply_json(r, 200, import_json(imp));
		return;
	}
	val = json_object_new_array();
	for (i = 0; i < json_object_array_length(imps); i++) {
		imp = json_object_array_get_idx(imps, i);
		if (pj_int(imp, "_polls", 0) > 1)
			ws_settle(ws);
		json_object_array_add(val, import_json(imp));
	}
	reply_list(r, "imports", val, 0);
}

/* ---------------------------------------------------------------- */
/* Temporary upload location: a minimal Azure Blob block-blob endpoint */

static void
temp_upload(struct req *r)
{
	struct json_object	*blobs, *b, *o;
	char			 id[37], sig[33], ts[40], url[512], se[40];
	int64_t			 exp = sim_now_ms() + 3600 * 1000;

	if ((blobs = pj_obj(g.state, "__blobs")) == NULL) {
		blobs = json_object_new_object();
		json_object_object_add(g.state, "__blobs", blobs);
	}
	sim_guid(id);
	sim_randhex(sig, sizeof(sig));
	b = json_object_new_object();
	pj_add_int(b, "expires", exp);
	pj_add_str(b, "sig", sig);
	pj_add(b, "blocks", json_object_new_object());
	json_object_object_add(blobs, id, b);
	sim_iso(exp, 0, se, sizeof(se));
	snprintf(url, sizeof(url), "%s://%s/_blob/%s.pbix?sv=2020-08-04&"
	    "sr=b&se=%s&sp=rw&sig=%s", sim_scheme(), sim_host(r), id, se, sig);
	sim_iso(exp, 1, ts, sizeof(ts));
	/* api-facts 3.4 / 6.8: PascalCase Url and ExpirationTime */
	o = json_object_new_object();
	pj_add_str(o, "@odata.context", SIM_PBI_CTX
	    "Microsoft.PowerBI.ServiceContracts.Api.TemporaryUploadLocation");
	pj_add_str(o, "Url", url);
	pj_add_str(o, "ExpirationTime", ts);
	sim_reply_json(r, 200, o);
}

static void
blob_error(struct req *r, int status, const char *code)
{
	struct buf	 b = { 0 };

	buf_printf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error>"
	    "<Code>%s</Code><Message>%s</Message></Error>", code, code);
	sim_reply(r, status, "application/xml", b.p, b.len);
	buf_release(&b);
}

void
blob_route(struct req *r)
{
	struct json_object	*b, *blocks;
	const char		*comp, *bid, *p, *e, *v;
	char			 id[64], *b64, *key, *bytes;
	struct buf		 all = { 0 };
	size_t			 n;

	if (r->nseg != 2 || strcmp(r->method, "PUT") != 0) {
		blob_error(r, 400, "InvalidUri");
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)strcspn(r->seg[1], "."),
	    r->seg[1]);
	b = pj_obj(pj_obj(g.state, "__blobs"), id);
	if (b == NULL) {
		blob_error(r, 404, "BlobNotFound");
		return;
	}
	if (!sim_streq_ci(sim_q(r, "sig"), pj_str(b, "sig")) ||
	    sim_now_ms() > pj_int(b, "expires", 0)) {
		blob_error(r, 403, "AuthenticationFailed");
		return;
	}
	blocks = pj_obj(b, "blocks");
	comp = sim_q(r, "comp");
	if (comp != NULL && strcmp(comp, "block") == 0) {
		if ((bid = sim_q(r, "blockid")) == NULL) {
			blob_error(r, 400, "InvalidQueryParameterValue");
			return;
		}
		b64 = b64_enc(r->body.p ? r->body.p : "", r->body.len);
		json_object_object_add(blocks, bid,
		    json_object_new_string(b64));
		free(b64);
		sim_reply_empty(r, 201);
	} else if (comp != NULL && strcmp(comp, "blocklist") == 0) {
		p = r->body.p ? r->body.p : "";
		while ((p = strchr(p, '<')) != NULL) {
			if (strncmp(p, "<Latest>", 8) == 0 ||
			    strncmp(p, "<Uncommitted>", 13) == 0 ||
			    strncmp(p, "<Committed>", 11) == 0) {
				p = strchr(p, '>') + 1;
				if ((e = strchr(p, '<')) == NULL)
					break;
				snprintf(id, sizeof(id), "%.*s",
				    (int)(e - p), p);
				if ((v = pj_str(blocks, id)) == NULL) {
					buf_release(&all);
					blob_error(r, 400, "InvalidBlockList");
					return;
				}
				bytes = (char *)b64_dec(v, strlen(v), &n);
				buf_add(&all, bytes, n);
				free(bytes);
				p = e;
			} else
				p++;
		}
		key = sim_file_store(all.p ? all.p : "", all.len);
		pj_add_str(b, "file", key);
		free(key);
		buf_release(&all);
		json_object_object_add(b, "blocks", json_object_new_object());
		sim_reply_empty(r, 201);
	} else {
		key = sim_file_store(r->body.p ? r->body.p : "", r->body.len);
		pj_add_str(b, "file", key);
		free(key);
		sim_reply_empty(r, 201);
	}
}

/* ---------------------------------------------------------------- */
/* Groups and users */

static int
ws_visible_to(struct req *r, struct json_object *ws)
{
	return ws_access(r, ws) >= R_VIEWER;
}

/* contains(name,'x') or name eq 'x'; 1 match, 0 not, -1 bad filter. */
static int
name_filter(const char *f, const char *name)
{
	char		 keys[4][64], vals[4][256], v[256];
	const char	*p;
	size_t		 n;

	if (f == NULL || *f == '\0')
		return 1;
	if (strncasecmp(f, "contains(name,", 14) == 0) {
		p = f + 14;
		while (*p == ' ')
			p++;
		if (*p != '\'')
			return -1;
		p++;
		n = strcspn(p, "'");
		snprintf(v, sizeof(v), "%.*s", (int)n, p);
		return name != NULL && sim_strcasestr(name, v) != NULL;
	}
	if (sim_filter_eq(f, keys, vals, 4) != 1 ||
	    strcasecmp(keys[0], "name") != 0)
		return -1;
	return sim_streq_ci(name, vals[0]);
}

static int
topskip(struct req *r, long *top, long *skip, long max)
{
	const char	*t = sim_q(r, "$top"), *s = sim_q(r, "$skip");

	*top = t ? strtol(t, NULL, 10) : max;
	*skip = s ? strtol(s, NULL, 10) : 0;
	if (*top < 1 || *top > max || *skip < 0) {
		pbi_error(r, 400, "InvalidRequest", "Invalid $top or $skip");
		return -1;
	}
	return 0;
}

static void
groups_list(struct req *r)
{
	struct json_object	*arr = pj_arr(g.state, "workspaces"), *ws, *val;
	long			 top, skip, seen = 0;
	size_t			 i;
	int			 m;

	if (topskip(r, &top, &skip, 5000) != 0)
		return;
	val = json_object_new_array();
	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
		ws = json_object_array_get_idx(arr, i);
		if (!ws_visible_to(r, ws))
			continue;
		m = name_filter(sim_q(r, "$filter"), pj_str(ws, "name"));
		if (m < 0) {
			json_object_put(val);
			pbi_error(r, 400, "InvalidRequest", "Unsupported "
			    "$filter");
			return;
		}
		if (!m || seen++ < skip)
			continue;
		if ((long)json_object_array_length(val) >= top)
			break;
		ws_settle(ws);
		json_object_array_add(val, sim_pub(ws, 1));
	}
	reply_list(r, "groups", val, 1);
}

static int
name_taken(const char *name, struct json_object *except)
{
	struct json_object	*arr = pj_arr(g.state, "workspaces"), *ws;
	size_t			 i;

	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
		ws = json_object_array_get_idx(arr, i);
		if (ws != except && sim_streq_ci(pj_str(ws, "name"), name))
			return 1;
	}
	return 0;
}

static long
owned_count(const char *owner)
{
	struct json_object	*arr = pj_arr(g.state, "workspaces");
	size_t			 i;
	long			 n = 0;

	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++)
		if (sim_streq_ci(pj_str(json_object_array_get_idx(arr, i),
		    "_owner"), owner))
			n++;
	return n;
}

static void
groups_create(struct req *r)
{
	struct json_object	*b = sim_body_json(r), *ws, *sp, *prof;
	const char		*name = pj_str(b, "name"), *v2;
	char			 id[37], owner[200];

	v2 = sim_q(r, "workspaceV2");
	if (v2 != NULL && strcasecmp(v2, "true") != 0) {
		pbi_error(r, 400, "InvalidRequest", "workspaceV2 only "
		    "accepts true");
		goto done;
	}
	if (name == NULL || *name == '\0') {
		pbi_error(r, 400, "InvalidRequest", "Workspace name is "
		    "required");
		goto done;
	}
	if (name_taken(name, NULL)) {
		/* api-facts 3.1: names are unique in the tenant */
		pbi_error_pbi(r, 409, "PowerBIEntityAlreadyExists", NULL);
		goto done;
	}
	caller_key(r, owner, sizeof(owner));
	if (r->pr.kind == PR_APP && owned_count(owner) >= pj_int(pj_obj(g.state,
	    "tenant"), "workspaceLimit", 1000)) {
		/* api-facts 6.11: 1,000 workspaces per SP or profile */
		pbi_error(r, 400, "WorkspaceLimitExceeded", "The service "
		    "principal or profile has reached its limit of "
		    "workspaces");
		goto done;
	}
	ws = json_object_new_object();
	sim_guid(id);
	pj_add_str(ws, "id", id);
	pj_add_bool(ws, "isReadOnly", 0);
	pj_add_bool(ws, "isOnDedicatedCapacity", 0);
	pj_add_str(ws, "type", "Workspace");
	pj_add_str(ws, "name", name);
	pj_add_str(ws, "_owner", owner);
	sim_arr(ws, "_users");
	sim_arr(ws, "_reports");
	sim_arr(ws, "_datasets");
	sim_arr(ws, "_imports");
	if (r->pr.kind == PR_APP) {
		sp = sim_find(pj_arr(g.state, "servicePrincipals"), "id",
		    r->pr.oid);
		prof = r->pr.profile[0] ? sim_find(pj_arr(g.state,
		    "profiles"), "id", r->pr.profile) : NULL;
		/* a workspace created as a profile belongs to the profile */
		add_member(ws, "App", r->pr.oid, "Admin",
		    pj_str(sp, "displayName"), NULL,
		    prof ? pj_str(prof, "id") : NULL,
		    prof ? pj_str(prof, "displayName") : NULL);
	} else
		add_member(ws, "User", r->pr.upn, "Admin", r->pr.upn,
		    r->pr.upn, NULL, NULL);
	json_object_array_add(sim_arr(g.state, "workspaces"), ws);
	/* api-facts 3.0: Create Group returns the single object */
	{
		struct json_object *o = json_object_new_object(), *p;

		pj_add_str(o, "@odata.context", SIM_PBI_CTX "groups/$entity");
		p = sim_pub(ws, 1);
		json_object_object_foreach(p, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(p);
		sim_reply_json(r, 200, o);
	}
done:
	json_object_put(b);
}

static struct json_object *
member_find(struct json_object *ws, const char *id, const char *prof)
{
	struct json_object	*u = pj_arr(ws, "_users"), *e;
	const char		*p;
	size_t			 i;

	for (i = 0; u != NULL && i < json_object_array_length(u); i++) {
		e = json_object_array_get_idx(u, i);
		p = pj_path_str(e, "profile.id");
		if (!sim_streq_ci(pj_str(e, "identifier"), id) &&
		    !sim_streq_ci(pj_str(e, "emailAddress"), id))
			continue;
		if ((p == NULL) != (prof == NULL || *prof == '\0'))
			continue;
		if (p != NULL && !sim_streq_ci(p, prof))
			continue;
		return e;
	}
	return NULL;
}

static void
group_users(struct req *r, struct json_object *ws)
{
	struct json_object	*b = NULL, *e, *val, *sp = NULL, *prof = NULL;
	struct json_object	*u;
	const char		*id, *pt, *ar, *pid;
	long			 top, skip;
	size_t			 i;

	if (r->nseg == 5 && strcmp(r->method, "GET") == 0) {
		if (topskip(r, &top, &skip, 5000) != 0)
			return;
		u = pj_arr(ws, "_users");
		val = json_object_new_array();
		for (i = (size_t)skip; u != NULL && i <
		    json_object_array_length(u) && (long)json_object_array_length(
		    val) < top; i++)
			json_object_array_add(val, sim_pub(
			    json_object_array_get_idx(u, i), 1));
		reply_list(r, "groupUsers", val, 0);
		return;
	}
	if (ws_access(r, ws) < R_ADMIN) {
		not_authorized(r);
		return;
	}
	if (r->nseg == 6 && strcmp(r->method, "DELETE") == 0) {
		e = member_find(ws, r->seg[5], sim_q(r, "profileId"));
		if (e == NULL) {
			pbi_error(r, 404, "PowerBIEntityNotFound", "User '%s' "
			    "is not a member of the workspace", r->seg[5]);
			return;
		}
		sim_arr_del(pj_arr(ws, "_users"), e);
		sim_reply_empty(r, 200);
		return;
	}
	if (r->nseg != 5 || (strcmp(r->method, "POST") != 0 &&
	    strcmp(r->method, "PUT") != 0)) {
		pbi_no_method(r, r->nseg == 5 ? "GET, POST, PUT" : "DELETE");
		return;
	}
	b = sim_body_json(r);
	id = pj_str(b, "identifier");
	if (id == NULL)
		id = pj_str(b, "emailAddress");
	pt = pj_str(b, "principalType");
	ar = pj_str(b, "groupUserAccessRight");
	pid = pj_path_str(b, "profile.id");
	if (id == NULL || pt == NULL || ar == NULL || right_rank(ar) <= 0 ||
	    (strcmp(pt, "User") != 0 && strcmp(pt, "Group") != 0 &&
	    strcmp(pt, "App") != 0)) {
		pbi_error(r, 400, "InvalidRequest", "identifier, principalType "
		    "(User|Group|App) and groupUserAccessRight "
		    "(Admin|Member|Contributor|Viewer) are required");
		goto done;
	}
	if (strcmp(pt, "App") == 0) {
		/* api-facts 3.2: the SP object id, not the appId */
		sp = sim_find_ci(pj_arr(g.state, "servicePrincipals"), "id",
		    id);
		if (sp == NULL || !sim_visible(sp)) {
			pbi_error(r, 400, "InvalidRequest", "Principal '%s' "
			    "of type App was not found in the directory "
			    "(use the service principal object id)", id);
			goto done;
		}
		if (pid != NULL) {
			prof = sim_find_ci(pj_arr(g.state, "profiles"), "id",
			    pid);
			if (prof == NULL || !sim_streq_ci(pj_str(prof,
			    "_appId"), pj_str(sp, "appId"))) {
				pbi_error(r, 404, "PowerBIEntityNotFound",
				    "Profile '%s' was not found", pid);
				goto done;
			}
		}
	} else if (pid != NULL) {
		pbi_error(r, 400, "InvalidRequest", "profile is only valid "
		    "for principalType App");
		goto done;
	}
	e = member_find(ws, id, pid);
	if (strcmp(r->method, "POST") == 0) {
		if (e != NULL) {
			pbi_error(r, 400,
			    "AddingAlreadyExistsGroupUserNotSupportedError",
			    "Principal '%s' already has access to the "
			    "workspace", id);
			goto done;
		}
		add_member(ws, pt, id, rights[right_rank(ar)],
		    sp ? pj_str(sp, "displayName") : pj_str(b, "displayName")
		    ? pj_str(b, "displayName") : id,
		    strcmp(pt, "User") == 0 ? id : NULL,
		    prof ? pj_str(prof, "id") : NULL,
		    prof ? pj_str(prof, "displayName") : NULL);
	} else {
		if (e == NULL) {
			pbi_error(r, 404, "PowerBIEntityNotFound", "Principal "
			    "'%s' is not a member of the workspace", id);
			goto done;
		}
		pj_add_str(e, "groupUserAccessRight", rights[right_rank(ar)]);
	}
	sim_reply_empty(r, 200);
done:
	json_object_put(b);
}

/* ---------------------------------------------------------------- */
/* Capacities */

static int
cap_right(struct req *r, struct json_object *cap)
{
	struct json_object	*a;
	const char		*s;
	size_t			 i;
	int			 best = 0;

	a = pj_arr(cap, "admins");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		s = json_object_get_string(json_object_array_get_idx(a, i));
		if ((r->pr.kind == PR_USER && sim_streq_ci(s, r->pr.upn)) ||
		    sim_streq_ci(s, r->pr.oid) || (r->pr.kind == PR_APP &&
		    sim_streq_ci(s, r->pr.appid)))
			return 2;
	}
	a = pj_arr(cap, "_assign");
	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		s = json_object_get_string(json_object_array_get_idx(a, i));
		if ((r->pr.kind == PR_USER && sim_streq_ci(s, r->pr.upn)) ||
		    sim_streq_ci(s, r->pr.oid) || (r->pr.kind == PR_APP &&
		    sim_streq_ci(s, r->pr.appid)) || graph_is_member(s,
		    r->pr.oid))
			best = 1;
	}
	return best;
}

static void
capacities(struct req *r)
{
	struct json_object	*a = pj_arr(g.state, "capacities"), *c, *o;
	struct json_object	*val = json_object_new_array();
	size_t			 i;
	int			 k;

	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		c = json_object_array_get_idx(a, i);
		if ((k = cap_right(r, c)) == 0)
			continue;
		o = sim_pub(c, 1);
		pj_add_str(o, "capacityUserAccessRight", k == 2 ? "Admin" :
		    "Assign");
		json_object_array_add(val, o);
	}
	reply_list(r, "capacities", val, 0);
}

static void
assign(struct req *r, struct json_object *ws)
{
	struct json_object	*b = sim_body_json(r), *cap, *as;
	const char		*cid = pj_str(b, "capacityId");
	char			 ts[40], aid[37];

	if (cid == NULL) {
		pbi_error(r, 400, "InvalidRequest", "capacityId is required");
		goto done;
	}
	if (strcmp(cid, SIM_EMPTY_GUID) != 0) {
		cap = sim_find_ci(pj_arr(g.state, "capacities"), "id", cid);
		if (cap == NULL || cap_right(r, cap) == 0) {
			not_authorized(r);
			goto done;
		}
		cid = pj_str(cap, "id");
	}
	as = json_object_new_object();
	pj_add_str(as, "status", g.f.assign_s > 0 ? "Pending" : "InProgress");
	sim_guid(aid);
	pj_add_str(as, "activityId", aid);
	sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
	pj_add_str(as, "startTime", ts);
	pj_add_str(as, "capacityId", cid);
	pj_add_int(as, "_start", sim_now_ms());
	pj_add(ws, "_assign", as);
	sim_reply_empty(r, 200);
done:
	json_object_put(b);
}

static void
assign_status(struct req *r, struct json_object *ws)
{
	struct json_object	*as = pj_obj(ws, "_assign"), *o;

	if (as == NULL) {
		o = json_object_new_object();
		pj_add_str(o, "status", "CompletedSuccessfully");
		pj_add_str(o, "capacityId", pj_str(ws, "capacityId") ?
		    pj_str(ws, "capacityId") : SIM_EMPTY_GUID);
	} else
		o = sim_pub(as, 1);
	{
		struct json_object *out = json_object_new_object();

		pj_add_str(out, "@odata.context", SIM_PBI_CTX
		    "groups/$entity/capacityAssignmentStatus");
		json_object_object_foreach(o, k, v)
			json_object_object_add(out, k, json_object_get(v));
		json_object_put(o);
		sim_reply_json(r, 200, out);
	}
}

/* ---------------------------------------------------------------- */
/* Embed tokens (api-facts 3.7) */

static struct json_object *
find_item(const char *kind, const char *id, struct json_object **wsout)
{
	struct json_object	*a = pj_arr(g.state, "workspaces"), *ws, *o;
	size_t			 i;

	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		ws = json_object_array_get_idx(a, i);
		ws_settle(ws);
		if ((o = sim_find_ci(pj_arr(ws, kind), "id", id)) != NULL) {
			*wsout = ws;
			return o;
		}
	}
	return NULL;
}

static int
id_in(struct json_object *arr, const char *id)
{
	size_t	 i;

	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++)
		if (sim_streq_ci(json_object_get_string(
		    json_object_array_get_idx(arr, i)), id))
			return 1;
	return 0;
}

/*
 * Issue an embed token for the given report and dataset ids (arrays of
 * id strings, borrowed), checking membership and the RLS rules.
 */
static void
embed_token(struct req *r, struct json_object *reps, struct json_object *dss,
    struct json_object *wss, struct json_object *idents, int64_t lifemin)
{
	struct json_object	*all = json_object_new_array(), *o, *ws, *it;
	struct json_object	*e;
	const char		*id;
	unsigned char		 rnd[120];
	char			*tok = NULL, tid[37], ts[40];
	size_t			 i, j;
	int64_t			 exp;
	int			 covered, rls;

	if (json_object_array_length(reps) > MAXITEMS ||
	    json_object_array_length(dss) > MAXITEMS ||
	    (wss && json_object_array_length(wss) > MAXITEMS)) {
		pbi_error(r, 400, "InvalidRequest", "The number of reports, "
		    "datasets or target workspaces exceeds the limit of %d",
		    MAXITEMS);
		goto done;
	}
	for (i = 0; i < json_object_array_length(reps); i++) {
		id = json_object_get_string(json_object_array_get_idx(reps, i));
		if ((it = find_item("_reports", id, &ws)) == NULL) {
			pbi_error(r, 404, "PowerBIEntityNotFound", "Report "
			    "'%s' was not found", id ? id : "");
			goto done;
		}
		if (ws_access(r, ws) < R_MEMBER) {
			not_authorized(r);
			goto done;
		}
		if (!id_in(all, pj_str(it, "datasetId")))
			json_object_array_add(all, json_object_new_string(
			    pj_str(it, "datasetId")));
	}
	for (i = 0; i < json_object_array_length(dss); i++) {
		id = json_object_get_string(json_object_array_get_idx(dss, i));
		if (!id_in(all, id))
			json_object_array_add(all, json_object_new_string(id));
	}
	for (i = 0; wss != NULL && i < json_object_array_length(wss); i++) {
		id = json_object_get_string(json_object_array_get_idx(wss, i));
		if ((ws = ws_find(id)) == NULL) {
			pbi_error(r, 404, "PowerBIEntityNotFound", "Workspace "
			    "'%s' was not found", id ? id : "");
			goto done;
		}
		if (ws_access(r, ws) < R_MEMBER) {
			not_authorized(r);
			goto done;
		}
	}
	for (i = 0; i < json_object_array_length(all); i++) {
		id = json_object_get_string(json_object_array_get_idx(all, i));
		if ((it = find_item("_datasets", id, &ws)) == NULL) {
			pbi_error(r, 404, "PowerBIEntityNotFound", "Dataset "
			    "'%s' was not found", id ? id : "");
			goto done;
		}
		if (ws_access(r, ws) < R_MEMBER) {
			not_authorized(r);
			goto done;
		}
		rls = json_object_array_length(pj_arr(it, "_roles")) > 0;
		covered = 0;
		for (j = 0; idents != NULL &&
		    j < json_object_array_length(idents); j++) {
			e = json_object_array_get_idx(idents, j);
			if (id_in(pj_arr(e, "datasets"), id))
				covered = 1;
		}
		if (rls && !covered && r->pr.kind == PR_APP) {
			pbi_error(r, 400, "InvalidRequest", "Creating embed "
			    "token for accessing dataset %s requires "
			    "effective identity to be provided", id);
			goto done;
		}
		if (!rls && covered) {
			pbi_error(r, 400, "InvalidRequest", "Creating embed "
			    "token for accessing dataset %s shouldn't have "
			    "effective identity", id);
			goto done;
		}
	}
	for (j = 0; idents != NULL && j < json_object_array_length(idents);
	    j++) {
		e = json_object_array_get_idx(idents, j);
		if (pj_str(e, "username") == NULL ||
		    strlen(pj_str(e, "username")) > 256) {
			pbi_error(r, 400, "InvalidRequest", "Effective "
			    "identity username is required (max 256 "
			    "characters)");
			goto done;
		}
	}
	/* api-facts 3.7: capped by the caller's AAD token lifetime */
	exp = r->pr.exp;
	if (lifemin > 0 && sim_now() + lifemin * 60 < exp)
		exp = sim_now() + lifemin * 60;
	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (unsigned char)(sim_rand() * 256);
	rnd[0] = 0x1f;
	rnd[1] = 0x8b;
	rnd[2] = 0x08;
	tok = b64_enc(rnd, sizeof(rnd));
	sim_guid(tid);
	sim_iso(exp * 1000, 0, ts, sizeof(ts));
	o = json_object_new_object();
	pj_add_str(o, "@odata.context", SIM_PBI_CTX
	    "Microsoft.PowerBI.ServiceContracts.Api.V1.EmbedToken");
	pj_add_str(o, "token", tok);
	pj_add_str(o, "tokenId", tid);
	pj_add_str(o, "expiration", ts);
	sim_reply_json(r, 200, o);
done:
	free(tok);
	json_object_put(all);
}

static struct json_object *
ids_of(struct json_object *arr)
{
	struct json_object	*o = json_object_new_array();
	size_t			 i;
	const char		*id;

	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
		id = pj_str(json_object_array_get_idx(arr, i), "id");
		if (id != NULL)
			json_object_array_add(o, json_object_new_string(id));
	}
	return o;
}

static void
generate_v2(struct req *r)
{
	struct json_object	*b = sim_body_json(r), *reps, *dss, *wss;

	if (b == NULL) {
		pbi_error(r, 400, "InvalidRequest", "Body required");
		return;
	}
	reps = ids_of(pj_arr(b, "reports"));
	dss = ids_of(pj_arr(b, "datasets"));
	wss = ids_of(pj_arr(b, "targetWorkspaces"));
	if (json_object_array_length(reps) + json_object_array_length(dss)
	    == 0)
		pbi_error(r, 400, "InvalidRequest", "At least one report or "
		    "dataset is required");
	else
		embed_token(r, reps, dss, wss, pj_arr(b, "identities"),
		    pj_int(b, "lifetimeInMinutes", 0));
	json_object_put(reps);
	json_object_put(dss);
	json_object_put(wss);
	json_object_put(b);
}

static void
generate_v1(struct req *r, const char *rid, const char *did)
{
	struct json_object	*b = sim_body_json(r), *reps, *dss;

	reps = json_object_new_array();
	dss = json_object_new_array();
	if (rid != NULL)
		json_object_array_add(reps, json_object_new_string(rid));
	if (did != NULL)
		json_object_array_add(dss, json_object_new_string(did));
	if (pj_str(b, "datasetId") != NULL)
		json_object_array_add(dss, json_object_new_string(pj_str(b,
		    "datasetId")));
	embed_token(r, reps, dss, NULL, pj_arr(b, "identities"),
	    pj_int(b, "lifetimeInMinutes", 0));
	json_object_put(reps);
	json_object_put(dss);
	json_object_put(b);
}

/* ---------------------------------------------------------------- */
/* Reports and datasets */

static void
reports(struct req *r, struct json_object *ws)
{
	struct json_object	*reps = sim_arr(ws, "_reports"), *rep, *val;
	struct json_object	*b = NULL, *n, *tws, *ds, *dws;
	const char		*op, *name, *tid, *mid;
	char			 id[37];
	char			*bytes;
	size_t			 i, len;

	if (r->nseg == 5) {
		if (strcmp(r->method, "GET") != 0) {
			pbi_no_method(r, "GET");
			return;
		}
		val = json_object_new_array();
		for (i = 0; i < json_object_array_length(reps); i++)
			json_object_array_add(val, ws_report_json(ws,
			    json_object_array_get_idx(reps, i), 0));
		reply_list(r, "reports", val, 0);
		return;
	}
	if (r->nseg == 6 && strcmp(r->seg[5], "GenerateToken") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		generate_v1(r, NULL, NULL);
		return;
	}
	if ((rep = sim_find_ci(reps, "id", r->seg[5])) == NULL) {
		pbi_error(r, 404, "PowerBIEntityNotFound", "Report '%s' was "
		    "not found", r->seg[5]);
		return;
	}
	op = r->nseg == 7 ? r->seg[6] : NULL;
	if (op == NULL && strcmp(r->method, "GET") == 0) {
		n = ws_report_json(ws, rep, 0);
		pj_add_str(n, "@odata.context", SIM_PBI_CTX "reports/$entity");
		sim_reply_json(r, 200, n);
	} else if (op == NULL && strcmp(r->method, "DELETE") == 0) {
		if (ws_access(r, ws) < R_CONTRIB) {
			not_authorized(r);
			return;
		}
		sim_arr_del(reps, rep);
		sim_reply_empty(r, 200);
	} else if (op != NULL && strcmp(op, "Export") == 0 &&
	    strcmp(r->method, "GET") == 0) {
		bytes = sim_file_load(pj_str(rep, "_file"), &len);
		if (bytes == NULL) {
			pbi_error(r, 400, "ExportNotSupported", "This report "
			    "cannot be downloaded");
			return;
		}
		sim_reply(r, 200, "application/zip", bytes, len);
		free(bytes);
	} else if (op != NULL && strcmp(op, "GenerateToken") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		generate_v1(r, pj_str(rep, "id"), NULL);
	} else if (op != NULL && strcmp(op, "Clone") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		b = sim_body_json(r);
		name = pj_str(b, "name");
		tid = pj_str(b, "targetWorkspaceId");
		mid = pj_str(b, "targetModelId");
		if (name == NULL) {
			pbi_error(r, 400, "InvalidRequest", "name is required");
			goto done;
		}
		tws = ws;
		if (tid != NULL && *tid != '\0' &&
		    (tws = ws_get(r, tid, R_CONTRIB)) == NULL)
			goto done;
		if (mid != NULL && find_item("_datasets", mid, &dws) == NULL) {
			pbi_error(r, 404, "PowerBIEntityNotFound", "Dataset "
			    "'%s' was not found", mid);
			goto done;
		}
		n = json_object_new_object();
		sim_guid(id);
		pj_add_str(n, "id", id);
		pj_add_str(n, "name", name);
		pj_add_str(n, "datasetId", mid ? mid : pj_str(rep,
		    "datasetId"));
		if (!mid && tws != ws)
			pj_add_str(n, "datasetWorkspaceId", pj_str(ws, "id"));
		if (pj_str(rep, "_file") != NULL)
			pj_add_str(n, "_file", pj_str(rep, "_file"));
		json_object_array_add(sim_arr(tws, "_reports"), n);
		sim_reply_json(r, 200, ws_report_json(tws, n, 0));
	} else if (op != NULL && strcmp(op, "Rebind") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		b = sim_body_json(r);
		if ((ds = find_item("_datasets", pj_str(b, "datasetId") ?
		    pj_str(b, "datasetId") : "", &dws)) == NULL) {
			pbi_error(r, 404, "PowerBIEntityNotFound", "Dataset "
			    "'%s' was not found", pj_str(b, "datasetId") ?
			    pj_str(b, "datasetId") : "");
			goto done;
		}
		if (ws_access(r, dws) < R_VIEWER) {
			not_authorized(r);
			goto done;
		}
		pj_add_str(rep, "datasetId", pj_str(ds, "id"));
		if (dws != ws)
			pj_add_str(rep, "datasetWorkspaceId", pj_str(dws,
			    "id"));
		else
			json_object_object_del(rep, "datasetWorkspaceId");
		sim_reply_empty(r, 200);
	} else
		pbi_no_route(r);
done:
	json_object_put(b);
}

/*
 * .../datasets[/{id}[/op]] of workspace ws, for myorg (coll 0, segment 5
 * is the id) and collections (coll 1, segment 6).
 */
void
ws_datasets(struct req *r, struct json_object *ws, int coll)
{
	struct json_object	*dss = sim_arr(ws, "_datasets"), *ds, *val, *o;
	struct json_object	*b = NULL, *ud, *e, *p, *refs;
	const char		*op, *nm;
	char			 owner[200], id[37], ts[40];
	size_t			 i, j;
	int			 si = coll ? 6 : 5;

	if (r->nseg == si) {
		val = json_object_new_array();
		for (i = 0; i < json_object_array_length(dss); i++)
			json_object_array_add(val, ds_json(ws,
			    json_object_array_get_idx(dss, i), coll));
		reply_list(r, "datasets", val, 0);
		return;
	}
	if ((ds = sim_find_ci(dss, "id", r->seg[si])) == NULL) {
		pbi_error(r, 404, "PowerBIEntityNotFound", "Dataset '%s' was "
		    "not found", r->seg[si]);
		return;
	}
	op = r->nseg == si + 2 ? r->seg[si + 1] : NULL;
	caller_key(r, owner, sizeof(owner));
	if (op == NULL && strcmp(r->method, "GET") == 0) {
		o = ds_json(ws, ds, coll);
		sim_reply_json(r, 200, o);
	} else if (op == NULL && strcmp(r->method, "DELETE") == 0) {
		/* dependent reports go with the dataset */
		refs = sim_arr(ws, "_reports");
		for (i = 0; i < json_object_array_length(refs);) {
			if (sim_streq_ci(pj_str(json_object_array_get_idx(refs,
			    i), "datasetId"), pj_str(ds, "id"))) {
				json_object_array_del_idx(refs, i, 1);
				continue;
			}
			i++;
		}
		sim_arr_del(dss, ds);
		sim_reply_empty(r, 200);
	} else if (op && strcmp(op, "parameters") == 0) {
		reply_list(r, "parameters", sim_pub(sim_arr(ds,
		    "_parameters"), 1), 0);
	} else if (op && strcmp(op, "Default.TakeOver") == 0) {
		pj_add_str(ds, "_owner", owner);
		pj_add_str(ds, "configuredBy", caller_name(r));
		sim_reply_empty(r, 200);
	} else if (op && strcmp(op, "Default.UpdateParameters") == 0) {
		if (!sim_streq_ci(pj_str(ds, "_owner"), owner)) {
			pbi_error(r, 400, "InvalidRequest", "Only the dataset "
			    "owner can update parameters; take over the "
			    "dataset first");
			goto done;
		}
		b = sim_body_json(r);
		ud = pj_arr(b, "updateDetails");
		if (ud == NULL || json_object_array_length(ud) == 0 ||
		    json_object_array_length(ud) > 100) {
			pbi_error(r, 400, "InvalidRequest", "updateDetails "
			    "must hold 1 to 100 parameters");
			goto done;
		}
		for (i = 0; i < json_object_array_length(ud); i++) {
			e = json_object_array_get_idx(ud, i);
			nm = pj_str(e, "name");
			if (nm == NULL || sim_find(pj_arr(ds, "_parameters"),
			    "name", nm) == NULL) {
				pbi_error(r, 400, "InvalidRequest", "Parameter "
				    "'%s' does not exist (names are case "
				    "sensitive)", nm ? nm : "");
				goto done;
			}
			for (j = 0; j < i; j++)
				if (sim_streq_ci(pj_str(
				    json_object_array_get_idx(ud, j), "name"),
				    nm)) {
					pbi_error(r, 400, "InvalidRequest",
					    "Duplicate parameter '%s'", nm);
					goto done;
				}
		}
		for (i = 0; i < json_object_array_length(ud); i++) {
			e = json_object_array_get_idx(ud, i);
			p = sim_find(pj_arr(ds, "_parameters"), "name",
			    pj_str(e, "name"));
			pj_add_str(p, "currentValue", pj_str(e, "newValue"));
		}
		sim_reply_empty(r, 200);
	} else if (op && strcmp(op, "Default.GetBoundGatewayDatasources") ==
	    0) {
		reply_list(r, "gatewayDatasources", sim_pub(sim_arr(ds,
		    "_datasources"), 1), 0);
	} else if (op && strcmp(op, "datasources") == 0) {
		reply_list(r, "datasources", sim_pub(sim_arr(ds,
		    "_connections"), 1), 0);
	} else if (op && strcmp(op, "Default.SetAllConnections") == 0) {
		b = sim_body_json(r);
		if (pj_str(b, "connectionString") == NULL) {
			pbi_error(r, 400, "InvalidRequest", "connectionString "
			    "is required");
			goto done;
		}
		o = json_object_new_object();
		pj_add_str(o, "name", pj_str(ds, "name"));
		pj_add_str(o, "connectionString", pj_str(b,
		    "connectionString"));
		p = json_object_new_array();
		json_object_array_add(p, o);
		pj_add(ds, "_connections", p);
		sim_reply_empty(r, 200);
	} else if (op && strcmp(op, "Default.UpdateDatasources") == 0) {
		sim_reply_empty(r, 200);
	} else if (op && strcmp(op, "GenerateToken") == 0 && !coll) {
		generate_v1(r, NULL, pj_str(ds, "id"));
	} else if (op && strcmp(op, "refreshes") == 0 && !coll) {
		refs = sim_arr(ds, "_refreshes");
		if (strcmp(r->method, "POST") == 0) {
			o = json_object_new_object();
			sim_guid(id);
			sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
			pj_add_str(o, "requestId", id);
			pj_add_str(o, "id", id);
			pj_add_str(o, "refreshType", "ViaApi");
			pj_add_str(o, "startTime", ts);
			pj_add_str(o, "status", "Unknown");
			pj_add_int(o, "_start", sim_now_ms());
			json_object_array_add(refs, o);
			sim_add_header(r, "x-ms-request-id", id);
			sim_reply_empty(r, 202);
		} else {
			long	 top = 1000000;

			if (sim_q(r, "$top") != NULL)
				top = strtol(sim_q(r, "$top"), NULL, 10);
			val = json_object_new_array();
			/* most recent first */
			for (i = 0; i < json_object_array_length(refs) &&
			    (long)i < top; i++) {
				o = json_object_array_get_idx(refs,
				    json_object_array_length(refs) - 1 - i);
				if (strcmp(pj_str(o, "status"), "Unknown") ==
				    0 && sim_now_ms() - pj_int(o, "_start", 0)
				    >= 1000) {
					sim_iso(sim_now_ms(), 1, ts,
					    sizeof(ts));
					pj_add_str(o, "endTime", ts);
					pj_add_str(o, "status", "Completed");
				}
				json_object_array_add(val, sim_pub(o, 1));
			}
			reply_list(r, "refreshes", val, 0);
		}
	} else
		pbi_no_route(r);
done:
	json_object_put(b);
}

static void
gateways(struct req *r)
{
	struct json_object	*wsa = pj_arr(g.state, "workspaces"), *ws, *ds;
	struct json_object	*src, *b;
	size_t			 i, j;

	if (r->nseg != 6 || strcmp(r->seg[4], "datasources") != 0) {
		pbi_no_route(r);
		return;
	}
	for (i = 0; wsa != NULL && i < json_object_array_length(wsa); i++) {
		ws = json_object_array_get_idx(wsa, i);
		for (j = 0; j < json_object_array_length(sim_arr(ws,
		    "_datasets")); j++) {
			ds = json_object_array_get_idx(pj_arr(ws, "_datasets"),
			    j);
			src = sim_find_ci(pj_arr(ds, "_datasources"), "id",
			    r->seg[5]);
			if (src == NULL || !sim_streq_ci(pj_str(src,
			    "gatewayId"), r->seg[3]))
				continue;
			if (ws_access(r, ws) < R_CONTRIB) {
				not_authorized(r);
				return;
			}
			if (strcmp(r->method, "PATCH") == 0) {
				b = sim_body_json(r);
				if (pj_path_str(b,
				    "credentialDetails.credentialType") ==
				    NULL) {
					json_object_put(b);
					pbi_error(r, 400, "InvalidRequest",
					    "credentialDetails.credentialType "
					    "is required");
					return;
				}
				/* never store the credentials themselves */
				pj_add_str(src, "credentialType", pj_path_str(b,
				    "credentialDetails.credentialType"));
				json_object_put(b);
				sim_reply_empty(r, 200);
			} else
				sim_reply_json(r, 200, sim_pub(src, 1));
			return;
		}
	}
	pbi_error(r, 404, "PowerBIEntityNotFound", "Datasource '%s' was not "
	    "found", r->seg[5]);
}

/* ---------------------------------------------------------------- */
/* Profiles (api-facts 3.8) */

static void
profiles(struct req *r)
{
	struct json_object	*arr = sim_arr(g.state, "profiles"), *p, *b;
	struct json_object	*val;
	const char		*name, *f;
	char			 id[37], keys[2][64], vals[2][256];
	long			 top, skip, seen = 0;
	size_t			 i;

	if (r->pr.kind != PR_APP) {
		not_authorized(r);
		return;
	}
	if (r->nseg == 3 && strcmp(r->method, "GET") == 0) {
		if (topskip(r, &top, &skip, 100000) != 0)
			return;
		f = sim_q(r, "$filter");
		if (f != NULL && (sim_filter_eq(f, keys, vals, 2) != 1 ||
		    strcasecmp(keys[0], "displayName") != 0)) {
			pbi_error(r, 400, "InvalidRequest", "Unsupported "
			    "$filter");
			return;
		}
		val = json_object_new_array();
		for (i = 0; i < json_object_array_length(arr); i++) {
			p = json_object_array_get_idx(arr, i);
			if (!sim_streq_ci(pj_str(p, "_appId"), r->pr.appid))
				continue;
			if (f != NULL && (pj_str(p, "displayName") == NULL ||
			    strcmp(pj_str(p, "displayName"), vals[0]) != 0))
				continue;
			if (seen++ < skip ||
			    (long)json_object_array_length(val) >= top)
				continue;
			json_object_array_add(val, sim_pub(p, 1));
		}
		reply_list(r, "profiles", val, 0);
		return;
	}
	if (r->nseg == 3 && strcmp(r->method, "POST") == 0) {
		b = sim_body_json(r);
		name = pj_str(b, "displayName");
		if (name == NULL || *name == '\0') {
			pbi_error(r, 400, "InvalidRequest", "displayName is "
			    "required");
		} else {
			for (i = 0; i < json_object_array_length(arr); i++) {
				p = json_object_array_get_idx(arr, i);
				if (sim_streq_ci(pj_str(p, "_appId"),
				    r->pr.appid) && pj_str(p, "displayName") !=
				    NULL && strcmp(pj_str(p, "displayName"),
				    name) == 0)
					break;
			}
			if (i < json_object_array_length(arr)) {
				pbi_error_pbi(r, 409,
				    "PowerBIEntityAlreadyExists", NULL);
			} else {
				p = json_object_new_object();
				sim_guid(id);
				pj_add_str(p, "id", id);
				pj_add_str(p, "displayName", name);
				pj_add_str(p, "_appId", r->pr.appid);
				json_object_array_add(arr, p);
				val = sim_pub(p, 1);
				pj_add_str(val, "@odata.context", SIM_PBI_CTX
				    "profiles/$entity");
				sim_reply_json(r, 200, val);
			}
		}
		json_object_put(b);
		return;
	}
	p = r->nseg == 4 ? sim_find_ci(arr, "id", r->seg[3]) : NULL;
	if (p == NULL || !sim_streq_ci(pj_str(p, "_appId"), r->pr.appid)) {
		pbi_error(r, 404, "PowerBIEntityNotFound", "Profile '%s' was "
		    "not found", r->nseg >= 4 ? r->seg[3] : "");
		return;
	}
	if (strcmp(r->method, "GET") == 0)
		sim_reply_json(r, 200, sim_pub(p, 1));
	else if (strcmp(r->method, "PUT") == 0) {
		b = sim_body_json(r);
		if (pj_str(b, "displayName") != NULL)
			pj_add_str(p, "displayName", pj_str(b, "displayName"));
		json_object_put(b);
		sim_reply_empty(r, 200);
	} else if (strcmp(r->method, "DELETE") == 0) {
		/* the profile's memberships go; its workspaces stay */
		struct json_object *wsa = pj_arr(g.state, "workspaces"), *u;
		size_t		    j;

		for (i = 0; wsa != NULL && i < json_object_array_length(wsa);
		    i++) {
			u = pj_arr(json_object_array_get_idx(wsa, i),
			    "_users");
			for (j = 0; u != NULL &&
			    j < json_object_array_length(u);) {
				if (sim_streq_ci(pj_path_str(
				    json_object_array_get_idx(u, j),
				    "profile.id"), pj_str(p, "id"))) {
					json_object_array_del_idx(u, j, 1);
					continue;
				}
				j++;
			}
		}
		sim_arr_del(arr, p);
		sim_reply_empty(r, 200);
	} else
		pbi_no_method(r, "GET, PUT, DELETE");
}

/* ---------------------------------------------------------------- */
/* Admin and scanner (api-facts 3.9) */

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
			json_object_array_add(a, ws_report_json(ws,
			    json_object_array_get_idx(u, i), 0));
		pj_add(o, "reports", a);
	}
	if (strstr(expand, "datasets") != NULL) {
		a = json_object_new_array();
		u = pj_arr(ws, "_datasets");
		for (i = 0; u != NULL && i < json_object_array_length(u); i++)
			json_object_array_add(a, ds_json(ws,
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
		else if ((m = name_filter(term, pj_str(ws, "name"))) < 0) {
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

static void
admin(struct req *r)
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
		not_authorized(r);
		return;
	}
	if (r->nseg == 4 && strcmp(r->seg[3], "groups") == 0 &&
	    strcmp(r->method, "GET") == 0) {
		if (sim_admin_rate_check(r) != 0)
			return;
		if ((t = sim_q(r, "$top")) == NULL) {
			/* api-facts 6.7: $top is mandatory */
			pbi_error(r, 400, "InvalidRequest", "The $top query "
			    "parameter is required (1-5000)");
			return;
		}
		if (topskip(r, &top, &skip, 5000) != 0)
			return;
		val = json_object_new_array();
		for (i = 0; wsa != NULL && i < json_object_array_length(wsa);
		    i++) {
			ws = json_object_array_get_idx(wsa, i);
			m = admin_filter(sim_q(r, "$filter"), ws);
			if (m < 0) {
				json_object_put(val);
				pbi_error(r, 400, "InvalidRequest",
				    "Unsupported $filter");
				return;
			}
			if (!m || seen++ < skip ||
			    (long)json_object_array_length(val) >= top)
				continue;
			ws_settle(ws);
			json_object_array_add(val, admin_ws(ws,
			    sim_q(r, "$expand")));
		}
		reply_list(r, "groups", val, 0);
		return;
	}
	if (r->nseg < 5 || strcmp(r->seg[3], "workspaces") != 0) {
		pbi_no_route(r);
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
			pbi_error(r, 400, "InvalidRequest", "workspaces must "
			    "hold 1 to 100 workspace ids");
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
				pbi_error(r, 400, "InvalidRequest",
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
		pbi_error(r, 404, "PowerBIEntityNotFound", "Scan was not "
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
			pbi_error(r, 400, "ScanNotCompleted", "The scan has "
			    "not succeeded yet");
			return;
		}
		val = json_object_new_array();
		list = pj_arr(scan, "_workspaces");
		for (i = 0; i < json_object_array_length(list); i++) {
			id = json_object_get_string(json_object_array_get_idx(
			    list, i));
			if ((ws = ws_find(id)) == NULL)
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
		pbi_no_route(r);
}

/* ---------------------------------------------------------------- */

static int
sp_allowed(struct req *r)
{
	struct json_object	*pb = pj_obj(g.state, "powerBI");
	const char		*grp;

	if (r->pr.kind != PR_APP)
		return 1;
	if (!pj_bool(pb, "allowServicePrincipals", 1))
		return 0;
	grp = pj_str(pb, "servicePrincipalGroup");
	if (grp != NULL && *grp != '\0' && !graph_is_member(grp, r->pr.oid))
		return 0;
	return 1;
}

/*
 * Every route under /v1.0/myorg/ pbisim serves, with the methods
 * powerbi-rest.swagger.json defines for its path and those pbisim
 * implements.  A literal segment comes before a "*" that would match it.
 */
static const struct sim_route pbi_routes[] = {
	{ "groups", "GET, POST", "GET, POST" },
	{ "groups/*", "GET, DELETE, PATCH", "GET, DELETE, PATCH" },
	{ "groups/*/users", "GET, POST, PUT", "GET, POST, PUT" },
	{ "groups/*/users/*", "DELETE", "DELETE" },
	{ "groups/*/AssignToCapacity", "POST", "POST" },
	{ "groups/*/CapacityAssignmentStatus", "GET", "GET" },
	{ "groups/*/imports", "GET, POST", "GET, POST" },
	{ "groups/*/imports/createTemporaryUploadLocation", "POST", "POST" },
	{ "groups/*/imports/*", "GET", "GET" },
	{ "groups/*/reports", "GET", "GET" },
	{ "groups/*/reports/GenerateToken", "POST", "POST" },
	{ "groups/*/reports/*", "GET, DELETE", "GET, DELETE" },
	{ "groups/*/reports/*/Clone", "POST", "POST" },
	{ "groups/*/reports/*/Export", "GET", "GET" },
	{ "groups/*/reports/*/GenerateToken", "POST", "POST" },
	{ "groups/*/reports/*/Rebind", "POST", "POST" },
	{ "groups/*/datasets", "GET, POST", "GET" },
	{ "groups/*/datasets/*", "GET, PATCH, DELETE", "GET, DELETE" },
	{ "groups/*/datasets/*/parameters", "GET", "GET" },
	{ "groups/*/datasets/*/datasources", "GET", "GET" },
	{ "groups/*/datasets/*/Default.GetBoundGatewayDatasources", "GET",
	    "GET" },
	{ "groups/*/datasets/*/Default.SetAllConnections", "POST", "POST" },
	{ "groups/*/datasets/*/Default.TakeOver", "POST", "POST" },
	{ "groups/*/datasets/*/Default.UpdateDatasources", "POST", "POST" },
	{ "groups/*/datasets/*/Default.UpdateParameters", "POST", "POST" },
	{ "groups/*/datasets/*/GenerateToken", "POST", "POST" },
	{ "groups/*/datasets/*/refreshes", "GET, POST", "GET, POST" },
	{ "profiles", "GET, POST", "GET, POST" },
	{ "profiles/*", "GET, PUT, DELETE", "GET, PUT, DELETE" },
	{ "capacities", "GET", "GET" },
	{ "GenerateToken", "POST", "POST" },
	{ "gateways/*/datasources/*", "GET, DELETE, PATCH", "GET, PATCH" },
	{ "admin/groups", "GET", "GET" },
	{ "admin/workspaces/getInfo", "POST", "POST" },
	{ "admin/workspaces/modified", "GET", "GET" },
	{ "admin/workspaces/scanStatus/*", "GET", "GET" },
	{ "admin/workspaces/scanResult/*", "GET", "GET" },
	/* "My workspace" lists */
	{ "reports", "GET", "GET" },
	{ "datasets", "GET, POST", "GET" },
	{ "imports", "GET, POST", "GET" },
	{ "dashboards", "GET, POST", "GET" },
	{ NULL, NULL, NULL }
};

void
pbi_route(struct req *r)
{
	struct json_object	*ws, *p;
	const char		*prof, *s2, *s4;

	if (sim_auth(r, 1) != 0)
		return;
	if (!sp_allowed(r)) {
		/* tenant switch "service principals can use Power BI APIs" */
		not_authorized(r);
		return;
	}
	if ((prof = sim_hdr(r, "X-PowerBI-Profile-Id")) != NULL &&
	    *prof != '\0') {
		p = sim_find_ci(pj_arr(g.state, "profiles"), "id", prof);
		if (r->pr.kind != PR_APP) {
			pbi_error(r, 400, "InvalidRequest", "Profiles can only "
			    "be used by a service principal");
			return;
		}
		if (p == NULL || !sim_streq_ci(pj_str(p, "_appId"),
		    r->pr.appid)) {
			/* emulator choice, see pbisim(1) */
			pbi_error(r, 404, "PowerBIEntityNotFound", "Profile "
			    "'%s' was not found", prof);
			return;
		}
		snprintf(r->pr.profile, sizeof(r->pr.profile), "%s",
		    pj_str(p, "id"));
		sim_log_principal(r, r->pr.appid, r->pr.profile);
	}
	if (pbi_route_check(r, 2, pbi_routes) != 0)
		return;
	s2 = r->seg[2];
	if (strcmp(s2, "groups") == 0) {
		if (r->nseg == 3) {
			if (strcmp(r->method, "GET") == 0)
				groups_list(r);
			else if (strcmp(r->method, "POST") == 0)
				groups_create(r);
			else
				pbi_no_method(r, "GET, POST");
			return;
		}
		if ((ws = ws_get(r, r->seg[3], R_VIEWER)) == NULL)
			return;
		if (r->nseg == 4) {
			if (strcmp(r->method, "GET") == 0) {
				p = sim_pub(ws, 1);
				pj_add_str(p, "@odata.context", SIM_PBI_CTX
				    "groups/$entity");
				sim_reply_json(r, 200, p);
			} else if (ws_access(r, ws) < R_ADMIN)
				not_authorized(r);
			else if (strcmp(r->method, "DELETE") == 0) {
				sim_arr_del(pj_arr(g.state, "workspaces"), ws);
				sim_reply_empty(r, 200);
			} else if (strcmp(r->method, "PATCH") == 0) {
				struct json_object *b = sim_body_json(r);
				const char *nm = pj_str(b, "name");

				if (nm != NULL && name_taken(nm, ws))
					pbi_error_pbi(r, 409,
					    "PowerBIEntityAlreadyExists", NULL);
				else {
					if (nm != NULL)
						pj_add_str(ws, "name", nm);
					if (pj_str(b,
					    "defaultDatasetStorageFormat"))
						pj_add_str(ws,
						    "defaultDatasetStorageFormat",
						    pj_str(b,
						    "defaultDatasetStorageFormat"));
					sim_reply_empty(r, 200);
				}
				json_object_put(b);
			} else
				pbi_no_method(r, "GET, DELETE, PATCH");
			return;
		}
		s4 = r->seg[4];
		if (strcmp(s4, "users") == 0)
			group_users(r, ws);
		else if (strcmp(s4, "AssignToCapacity") == 0 &&
		    strcmp(r->method, "POST") == 0) {
			if (ws_access(r, ws) < R_ADMIN)
				not_authorized(r);
			else
				assign(r, ws);
		} else if (strcmp(s4, "CapacityAssignmentStatus") == 0)
			assign_status(r, ws);
		else if (strcmp(s4, "imports") == 0) {
			if (r->nseg == 6 && strcmp(r->seg[5],
			    "createTemporaryUploadLocation") == 0 &&
			    strcmp(r->method, "POST") == 0) {
				if (ws_access(r, ws) < R_CONTRIB)
					not_authorized(r);
				else
					temp_upload(r);
			} else if (r->nseg == 5 && strcmp(r->method, "POST") ==
			    0) {
				if (ws_access(r, ws) < R_CONTRIB)
					not_authorized(r);
				else
					ws_import_post(r, ws, 0);
			} else if (strcmp(r->method, "GET") == 0)
				ws_import_get(r, ws, r->nseg == 6 ? r->seg[5] :
				    NULL, 0);
			else
				pbi_no_method(r, "GET, POST");
		} else if (strcmp(s4, "reports") == 0)
			reports(r, ws);
		else if (strcmp(s4, "datasets") == 0) {
			if (strcmp(r->method, "GET") != 0 &&
			    ws_access(r, ws) < R_CONTRIB)
				not_authorized(r);
			else
				ws_datasets(r, ws, 0);
		} else
			pbi_no_route(r);
	} else if (strcmp(s2, "profiles") == 0)
		profiles(r);
	else if (strcmp(s2, "capacities") == 0 && strcmp(r->method, "GET") ==
	    0)
		capacities(r);
	else if (strcmp(s2, "GenerateToken") == 0 &&
	    strcmp(r->method, "POST") == 0)
		generate_v2(r);
	else if (strcmp(s2, "gateways") == 0)
		gateways(r);
	else if (strcmp(s2, "admin") == 0)
		admin(r);
	else if (strcmp(s2, "reports") == 0 || strcmp(s2, "datasets") == 0 ||
	    strcmp(s2, "imports") == 0 || strcmp(s2, "dashboards") == 0) {
		/* api-facts 6.11: no My workspace for service principals */
		if (r->pr.kind == PR_APP)
			not_authorized(r);
		else
			reply_list(r, s2, json_object_new_array(), 0);
	} else
		pbi_no_route(r);
}
