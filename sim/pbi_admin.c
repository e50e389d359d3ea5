/*
 * pbi_admin.c: the admin APIs (api-facts 3.9, 6.7, 7): who may call them
 * (a tenant admin; a service principal only if the tenant setting allows
 * it and its Power BI permissions carry no admin consent), their
 * documented limits per tenant, admin/groups with $top, $filter and
 * $expand, a workspace's users, the capacities and the profiles; the
 * scanner routes are in pbi_scanner.c.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Does service principal oid hold Power BI permissions with admin
 * consent: a delegated grant for all principals on the Power BI service
 * principal, or an application permission (app role) assigned on it?
 */
static int
admin_consented(const char *oid)
{
	struct json_object	*pbi = sim_dir_sp_by_appid(SIM_PBI_APPID), *e;
	struct json_object	*a;
	const char		*res = pj_str(pbi, "id");
	size_t			 i;

	if (res == NULL)
		return 0;
	a = pj_arr(g.state, "oauth2PermissionGrants");
	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		if (sim_streq_ci(pj_str(e, "clientId"), oid) &&
		    sim_streq_ci(pj_str(e, "resourceId"), res) &&
		    sim_streq_ci(pj_str(e, "consentType"), "AllPrincipals"))
			return 1;
	}
	a = pj_arr(g.state, "appRoleAssignments");
	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		if (sim_streq_ci(pj_str(e, "principalId"), oid) &&
		    sim_streq_ci(pj_str(e, "resourceId"), res))
			return 1;
	}
	return 0;
}

/*
 * May r call the admin APIs?  A tenant admin may; a service principal if
 * the tenant setting allows it and its app holds no admin-consented
 * Power BI permission (api-facts 3.9, 7: refused with 401
 * PowerBINotAuthorizedException); a profile never.
 */
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
	if (!pj_bool(pj_obj(g.state, "powerBI"),
	    "allowServicePrincipalAdminApis", 1))
		return 0;
	return !admin_consented(r->pr.oid);
}

/*
 * Count r against route's documented limits (api-facts 3.9); the
 * adminRateLimit fault replaces the hourly limit of admin/groups, and a
 * negative one lifts them all.  Returns -1 after answering 429.
 */
int
sim_admin_budget(struct req *r, const char *route, int per_hour,
    int per_min)
{
	if (g.f.admin_rate_limit < 0)
		return 0;
	if (g.f.admin_rate_limit > 0 && strcmp(route, "groups") == 0)
		per_hour = g.f.admin_rate_limit;
	return sim_admin_rate_check(r, route, per_hour, per_min);
}

/* The admin view of workspace ws, with what expand names. */
struct json_object *
sim_admin_ws(struct json_object *ws, const char *expand)
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
		for (i = 0; i < pj_len(u); i++) {
			e = sim_pub(pj_idx(u, i), 1);
			pj_add_str(e, "graphId", pj_str(e, "identifier"));
			json_object_array_add(a, e);
		}
		pj_add(o, "users", a);
	}
	if (strstr(expand, "reports") != NULL) {
		a = json_object_new_array();
		u = pj_arr(ws, "_reports");
		for (i = 0; i < pj_len(u); i++)
			json_object_array_add(a, sim_ws_report_json(ws,
			    pj_idx(u, i), 0));
		pj_add(o, "reports", a);
	}
	if (strstr(expand, "datasets") != NULL) {
		a = json_object_new_array();
		u = pj_arr(ws, "_datasets");
		for (i = 0; i < pj_len(u); i++)
			json_object_array_add(a, sim_ws_dataset_json(ws,
			    pj_idx(u, i), 0));
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
	for (i = 0; i < pj_len(u); i++)
		if (sim_streq_ci(pj_str(pj_idx(u, i), "groupUserAccessRight"),
		    "Admin"))
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
			m = pj_len(u) == 0;
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

/* GET admin/groups: every workspace of the tenant (api-facts 3.9). */
static void
admin_groups(struct req *r)
{
	struct json_object	*wsa = pj_arr(g.state, "workspaces"), *ws, *val;
	long			 top, skip, seen = 0;
	size_t			 i;
	int			 m;

	/* 50 an hour or 15 a minute, per tenant */
	if (sim_admin_budget(r, "groups", 50, 15) != 0)
		return;
	if (sim_q(r, "$top") == NULL) {
		/* api-facts 6.7: $top is mandatory */
		sim_pbi_error(r, 400, "InvalidRequest", "The $top query "
		    "parameter is required (1-5000)");
		return;
	}
	if (sim_pbi_topskip(r, &top, &skip, 5000) != 0)
		return;
	val = json_object_new_array();
	for (i = 0; i < pj_len(wsa); i++) {
		ws = pj_idx(wsa, i);
		if ((m = admin_filter(sim_q(r, "$filter"), ws)) < 0) {
			json_object_put(val);
			sim_pbi_error(r, 400, "InvalidRequest", "Unsupported "
			    "$filter");
			return;
		}
		if (!m || seen++ < skip ||
		    (long)json_object_array_length(val) >= top)
			continue;
		sim_ws_settle(ws);
		json_object_array_add(val, sim_admin_ws(ws, sim_q(r,
		    "$expand")));
	}
	sim_pbi_reply_list(r, "groups", val, 0);
}

/* GET admin/groups/{id}/users: a workspace's members, with graphId. */
static void
admin_group_users(struct req *r)
{
	struct json_object	*ws, *o;

	if (sim_admin_budget(r, "groups/users", 200, 0) != 0)
		return;
	if ((ws = sim_ws_find(r->seg[4])) == NULL) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Workspace '%s' "
		    "was not found", r->seg[4]);
		return;
	}
	o = sim_admin_ws(ws, "users");
	sim_pbi_reply_list(r, "groupUsers", json_object_get(pj_arr(o,
	    "users")), 0);
	json_object_put(o);
}

/* GET admin/capacities: every capacity of the tenant, with its state. */
static void
admin_capacities(struct req *r)
{
	struct json_object	*a = pj_arr(g.state, "capacities"), *val, *c;
	size_t			 i;

	if (sim_admin_budget(r, "capacities", 200, 0) != 0)
		return;
	val = json_object_new_array();
	for (i = 0; i < pj_len(a); i++) {
		c = sim_pub(pj_idx(a, i), 1);
		pj_add_str(c, "capacityUserAccessRight", "Admin");
		json_object_array_add(val, c);
	}
	sim_pbi_reply_list(r, "capacities", val, 0);
}

/* GET admin/profiles: every profile, with its service principal. */
static void
admin_profiles(struct req *r)
{
	struct json_object	*a = pj_arr(g.state, "profiles"), *val, *p, *sp;
	long			 top, skip;
	size_t			 i;

	if (sim_admin_budget(r, "profiles", 200, 0) != 0)
		return;
	if (sim_pbi_topskip(r, &top, &skip, 5000) != 0)
		return;
	val = json_object_new_array();
	for (i = (size_t)skip; i < pj_len(a) &&
	    (long)json_object_array_length(val) < top; i++) {
		p = sim_pub(pj_idx(a, i), 1);
		sp = sim_dir_sp_by_appid(pj_str(pj_idx(a, i), "_appId"));
		pj_add_str(p, "servicePrincipalId", pj_str(sp, "id"));
		json_object_array_add(val, p);
	}
	sim_pbi_reply_list(r, "profiles", val, 0);
}

/* Everything under admin/ (api-facts 3.9). */
void
sim_pbi_admin(struct req *r)
{
	const char	*s3 = r->nseg > 3 ? r->seg[3] : "";

	if (!admin_allowed(r)) {
		sim_pbi_not_authorized(r);
		return;
	}
	if (strcmp(s3, "workspaces") == 0) {
		sim_pbi_scanner(r);
		return;
	}
	if (strcmp(r->method, "GET") != 0) {
		sim_pbi_no_route(r);
		return;
	}
	if (strcmp(s3, "groups") == 0 && r->nseg == 4)
		admin_groups(r);
	else if (strcmp(s3, "groups") == 0 && r->nseg == 6 &&
	    strcmp(r->seg[5], "users") == 0)
		admin_group_users(r);
	else if (strcmp(s3, "capacities") == 0 && r->nseg == 4)
		admin_capacities(r);
	else if (strcmp(s3, "profiles") == 0 && r->nseg == 4)
		admin_profiles(r);
	else
		sim_pbi_no_route(r);
}
