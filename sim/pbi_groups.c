/*
 * pbi_groups.c: Power BI groups (workspaces) and their users (api-facts
 * 3.1, 3.2): list, create, get, rename and delete a workspace, and its
 * members with their access rights, profiles included.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int
ws_visible_to(struct req *r, struct json_object *ws)
{
	return sim_ws_access(r, ws) >= R_VIEWER;
}

/* GET groups: the workspaces the caller can see (api-facts 3.1). */
void
sim_pbi_groups_list(struct req *r)
{
	struct json_object	*arr = pj_arr(g.state, "workspaces"), *ws, *val;
	long			 top, skip, seen = 0;
	size_t			 i;
	int			 m;

	if (sim_pbi_topskip(r, &top, &skip, 5000) != 0)
		return;
	val = json_object_new_array();
	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
		ws = json_object_array_get_idx(arr, i);
		if (!ws_visible_to(r, ws))
			continue;
		m = sim_pbi_name_filter(sim_q(r, "$filter"), pj_str(ws,
		    "name"));
		if (m < 0) {
			json_object_put(val);
			sim_pbi_error(r, 400, "InvalidRequest", "Unsupported "
			    "$filter");
			return;
		}
		if (!m || seen++ < skip)
			continue;
		if ((long)json_object_array_length(val) >= top)
			break;
		sim_ws_settle(ws);
		json_object_array_add(val, sim_pub(ws, 1));
	}
	sim_pbi_reply_list(r, "groups", val, 1);
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

/* POST groups: a workspace owned by the caller (api-facts 3.1). */
void
sim_pbi_groups_create(struct req *r)
{
	struct json_object	*b = sim_body_json(r), *ws, *sp, *prof;
	const char		*name = pj_str(b, "name"), *v2;
	char			 id[37], owner[200];

	v2 = sim_q(r, "workspaceV2");
	if (v2 != NULL && strcasecmp(v2, "true") != 0) {
		sim_pbi_error(r, 400, "InvalidRequest", "workspaceV2 only "
		    "accepts true");
		goto done;
	}
	if (name == NULL || *name == '\0') {
		sim_pbi_error(r, 400, "InvalidRequest", "Workspace name is "
		    "required");
		goto done;
	}
	if (name_taken(name, NULL)) {
		/* api-facts 3.1: names are unique in the tenant */
		sim_pbi_error_pbi(r, 409, "PowerBIEntityAlreadyExists", NULL);
		goto done;
	}
	sim_pbi_caller_key(r, owner, sizeof(owner));
	if (r->pr.kind == PR_APP && owned_count(owner) >= pj_int(pj_obj(g.state,
	    "tenant"), "workspaceLimit", 1000)) {
		/* api-facts 6.11: 1,000 workspaces per SP or profile */
		sim_pbi_error(r, 400, "WorkspaceLimitExceeded", "The service "
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
	sim_ws_touch(ws);
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

/* GET, DELETE and PATCH of groups/{id}, the workspace ws (api-facts 3.1). */
void
sim_pbi_group(struct req *r, struct json_object *ws)
{
	struct json_object	*p;

	if (strcmp(r->method, "GET") == 0) {
		p = sim_pub(ws, 1);
		pj_add_str(p, "@odata.context", SIM_PBI_CTX "groups/$entity");
		sim_reply_json(r, 200, p);
	} else if (sim_ws_access(r, ws) < R_ADMIN)
		sim_pbi_not_authorized(r);
	else if (strcmp(r->method, "DELETE") == 0) {
		sim_arr_del(pj_arr(g.state, "workspaces"), ws);
		sim_reply_empty(r, 200);
	} else if (strcmp(r->method, "PATCH") == 0) {
		struct json_object *b = sim_body_json(r);
		const char *nm = pj_str(b, "name");

		if (nm != NULL && name_taken(nm, ws))
			sim_pbi_error_pbi(r, 409, "PowerBIEntityAlreadyExists",
			    NULL);
		else {
			if (nm != NULL)
				pj_add_str(ws, "name", nm);
			if (pj_str(b, "defaultDatasetStorageFormat"))
				pj_add_str(ws, "defaultDatasetStorageFormat",
				    pj_str(b, "defaultDatasetStorageFormat"));
			sim_reply_empty(r, 200);
		}
		json_object_put(b);
	} else
		sim_pbi_no_method(r, "GET, DELETE, PATCH");
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

/* groups/{id}/users[/{user}] of workspace ws (api-facts 3.2). */
void
sim_pbi_group_users(struct req *r, struct json_object *ws)
{
	struct json_object	*b = NULL, *e, *val, *sp = NULL, *prof = NULL;
	struct json_object	*u;
	const char		*id, *pt, *ar, *pid;
	long			 top, skip;
	size_t			 i;

	if (r->nseg == 5 && strcmp(r->method, "GET") == 0) {
		if (sim_pbi_topskip(r, &top, &skip, 5000) != 0)
			return;
		u = pj_arr(ws, "_users");
		val = json_object_new_array();
		for (i = (size_t)skip; u != NULL && i <
		    json_object_array_length(u) && (long)json_object_array_length(
		    val) < top; i++)
			json_object_array_add(val, sim_pub(
			    json_object_array_get_idx(u, i), 1));
		sim_pbi_reply_list(r, "groupUsers", val, 0);
		return;
	}
	if (sim_ws_access(r, ws) < R_ADMIN) {
		sim_pbi_not_authorized(r);
		return;
	}
	if (r->nseg == 6 && strcmp(r->method, "DELETE") == 0) {
		e = member_find(ws, r->seg[5], sim_q(r, "profileId"));
		if (e == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound", "User "
			    "'%s' is not a member of the workspace", r->seg[5]);
			return;
		}
		sim_arr_del(pj_arr(ws, "_users"), e);
		sim_reply_empty(r, 200);
		return;
	}
	if (r->nseg != 5 || (strcmp(r->method, "POST") != 0 &&
	    strcmp(r->method, "PUT") != 0)) {
		sim_pbi_no_method(r, r->nseg == 5 ? "GET, POST, PUT" :
		    "DELETE");
		return;
	}
	b = sim_body_json(r);
	id = pj_str(b, "identifier");
	if (id == NULL)
		id = pj_str(b, "emailAddress");
	pt = pj_str(b, "principalType");
	ar = pj_str(b, "groupUserAccessRight");
	pid = pj_path_str(b, "profile.id");
	if (id == NULL || pt == NULL || ar == NULL ||
	    sim_pbi_right_rank(ar) <= 0 || (strcmp(pt, "User") != 0 &&
	    strcmp(pt, "Group") != 0 && strcmp(pt, "App") != 0)) {
		sim_pbi_error(r, 400, "InvalidRequest", "identifier, "
		    "principalType (User|Group|App) and groupUserAccessRight "
		    "(Admin|Member|Contributor|Viewer) are required");
		goto done;
	}
	if (strcmp(pt, "App") == 0) {
		/* api-facts 3.2: the SP object id, not the appId */
		sp = sim_find_ci(pj_arr(g.state, "servicePrincipals"), "id",
		    id);
		if (sp == NULL || !sim_visible(sp)) {
			sim_pbi_error(r, 400, "InvalidRequest", "Principal "
			    "'%s' of type App was not found in the directory "
			    "(use the service principal object id)", id);
			goto done;
		}
		if (pid != NULL) {
			prof = sim_find_ci(pj_arr(g.state, "profiles"), "id",
			    pid);
			if (prof == NULL || !sim_streq_ci(pj_str(prof,
			    "_appId"), pj_str(sp, "appId"))) {
				sim_pbi_error(r, 404, "PowerBIEntityNotFound",
				    "Profile '%s' was not found", pid);
				goto done;
			}
		}
	} else if (pid != NULL) {
		sim_pbi_error(r, 400, "InvalidRequest", "profile is only valid "
		    "for principalType App");
		goto done;
	}
	e = member_find(ws, id, pid);
	if (strcmp(r->method, "POST") == 0) {
		if (e != NULL) {
			sim_pbi_error(r, 400,
			    "AddingAlreadyExistsGroupUserNotSupportedError",
			    "Principal '%s' already has access to the "
			    "workspace", id);
			goto done;
		}
		add_member(ws, pt, id, sim_pbi_rights[sim_pbi_right_rank(ar)],
		    sp ? pj_str(sp, "displayName") : pj_str(b, "displayName")
		    ? pj_str(b, "displayName") : id,
		    strcmp(pt, "User") == 0 ? id : NULL,
		    prof ? pj_str(prof, "id") : NULL,
		    prof ? pj_str(prof, "displayName") : NULL);
	} else {
		if (e == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound",
			    "Principal '%s' is not a member of the workspace",
			    id);
			goto done;
		}
		pj_add_str(e, "groupUserAccessRight",
		    sim_pbi_rights[sim_pbi_right_rank(ar)]);
	}
	sim_reply_empty(r, 200);
done:
	json_object_put(b);
}
