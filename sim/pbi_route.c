/*
 * pbi_route.c: the Power BI REST v1.0 myorg routes (api-facts 3): the
 * bearer token, the tenant switch for service principals, the
 * X-PowerBI-Profile-Id a call is made as (api-facts 6.12), the route
 * table held against the swagger, and the dispatch to each area.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	if (grp != NULL && *grp != '\0' && !sim_dir_is_member(grp, r->pr.oid))
		return 0;
	return 1;
}

/*
 * Every route under /v1.0/myorg/ pbisim serves, with the methods
 * powerbi-rest.swagger.json defines for its path and those pbisim
 * implements.  A literal segment comes before a "*" that would match it.
 */
static const struct sim_route myorg_routes[] = {
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
	{ "groups/*/dashboards", "GET, POST", "GET, POST" },
	{ "groups/*/dashboards/*", "GET, DELETE", "GET, DELETE" },
	{ "groups/*/dashboards/*/GenerateToken", "POST", "POST" },
	{ "groups/*/dashboards/*/tiles", "GET", "GET" },
	{ "groups/*/dashboards/*/tiles/*", "GET", "GET" },
	{ "groups/*/dashboards/*/tiles/*/GenerateToken", "POST", "POST" },
	{ "groups/*/dashboards/*/tiles/*/Clone", "POST", "POST" },
	{ "profiles", "GET, POST", "GET, POST" },
	{ "profiles/*", "GET, PUT, DELETE", "GET, PUT, DELETE" },
	{ "capacities", "GET", "GET" },
	{ "GenerateToken", "POST", "POST" },
	{ "gateways/*/datasources/*", "GET, DELETE, PATCH", "GET, PATCH" },
	{ "admin/groups", "GET", "GET" },
	{ "admin/groups/*/users", "GET, POST", "GET" },
	{ "admin/capacities", "GET", "GET" },
	{ "admin/profiles", "GET", "GET" },
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
sim_pbi_route(struct req *r)
{
	struct json_object	*ws, *p;
	const char		*prof, *s2, *s4;

	if (sim_auth(r, 1) != 0)
		return;
	if (!sp_allowed(r)) {
		/* tenant switch "service principals can use Power BI APIs" */
		sim_pbi_not_authorized(r);
		return;
	}
	if ((prof = sim_hdr(r, "X-PowerBI-Profile-Id")) != NULL &&
	    *prof != '\0') {
		p = sim_find_ci(pj_arr(g.state, "profiles"), "id", prof);
		if (r->pr.kind != PR_APP) {
			sim_pbi_error(r, 400, "InvalidRequest", "Profiles can "
			    "only be used by a service principal");
			return;
		}
		if (p == NULL || !sim_streq_ci(pj_str(p, "_appId"),
		    r->pr.appid)) {
			/* emulator choice, see pbisim(1) */
			sim_pbi_error(r, 404, "PowerBIEntityNotFound",
			    "Profile '%s' was not found", prof);
			return;
		}
		snprintf(r->pr.profile, sizeof(r->pr.profile), "%s",
		    pj_str(p, "id"));
		sim_log_principal(r, r->pr.appid, r->pr.profile);
	}
	if (sim_route_check(r, 2, myorg_routes) != 0)
		return;
	/* a user token's delegated scopes (perms.c) */
	if (sim_pbi_scoped(r) != 0)
		return;
	s2 = r->seg[2];
	if (strcmp(s2, "groups") == 0) {
		if (r->nseg == 3) {
			if (strcmp(r->method, "GET") == 0)
				sim_pbi_groups_list(r);
			else if (strcmp(r->method, "POST") == 0)
				sim_pbi_groups_create(r);
			else
				sim_pbi_no_method(r, "GET, POST");
			return;
		}
		if ((ws = sim_ws_get(r, r->seg[3], R_VIEWER)) == NULL)
			return;
		if (r->nseg == 4) {
			sim_pbi_group(r, ws);
			if (strcmp(r->method, "PATCH") == 0 &&
			    r->status / 100 == 2)
				sim_ws_touch(ws);
			return;
		}
		s4 = r->seg[4];
		if (strcmp(s4, "users") == 0)
			sim_pbi_group_users(r, ws);
		else if (strcmp(s4, "AssignToCapacity") == 0 &&
		    strcmp(r->method, "POST") == 0) {
			if (sim_ws_access(r, ws) < R_ADMIN)
				sim_pbi_not_authorized(r);
			else
				sim_pbi_assign(r, ws);
		} else if (strcmp(s4, "CapacityAssignmentStatus") == 0)
			sim_pbi_assign_status(r, ws);
		else if (strcmp(s4, "imports") == 0) {
			if (r->nseg == 6 && strcmp(r->seg[5],
			    "createTemporaryUploadLocation") == 0 &&
			    strcmp(r->method, "POST") == 0) {
				if (sim_ws_access(r, ws) < R_CONTRIB)
					sim_pbi_not_authorized(r);
				else
					sim_pbi_temp_upload(r);
			} else if (r->nseg == 5 && strcmp(r->method, "POST") ==
			    0) {
				if (sim_ws_access(r, ws) < R_CONTRIB)
					sim_pbi_not_authorized(r);
				else
					sim_ws_import_post(r, ws, 0);
			} else if (strcmp(r->method, "GET") == 0)
				sim_ws_import_get(r, ws, r->nseg == 6 ?
				    r->seg[5] : NULL, 0);
			else
				sim_pbi_no_method(r, "GET, POST");
		} else if (strcmp(s4, "reports") == 0)
			sim_pbi_reports(r, ws);
		else if (strcmp(s4, "dashboards") == 0)
			sim_pbi_dashboards(r, ws);
		else if (strcmp(s4, "datasets") == 0) {
			if (strcmp(r->method, "GET") != 0 &&
			    sim_ws_access(r, ws) < R_CONTRIB)
				sim_pbi_not_authorized(r);
			else
				sim_ws_datasets(r, ws, 0);
		} else
			sim_pbi_no_route(r);
		/* Any change in a workspace is a modification of it. */
		if (strcmp(r->method, "GET") != 0 && r->status / 100 == 2)
			sim_ws_touch(ws);
	} else if (strcmp(s2, "profiles") == 0)
		sim_pbi_profiles(r);
	else if (strcmp(s2, "capacities") == 0 && strcmp(r->method, "GET") ==
	    0)
		sim_pbi_capacities(r);
	else if (strcmp(s2, "GenerateToken") == 0 &&
	    strcmp(r->method, "POST") == 0)
		sim_pbi_generate_v2(r);
	else if (strcmp(s2, "gateways") == 0)
		sim_pbi_gateways(r);
	else if (strcmp(s2, "admin") == 0)
		sim_pbi_admin(r);
	else if (strcmp(s2, "reports") == 0 || strcmp(s2, "datasets") == 0 ||
	    strcmp(s2, "imports") == 0 || strcmp(s2, "dashboards") == 0) {
		/* api-facts 6.11: no My workspace for service principals */
		if (r->pr.kind == PR_APP)
			sim_pbi_not_authorized(r);
		else
			sim_pbi_reply_list(r, s2, json_object_new_array(), 0);
	} else
		sim_pbi_no_route(r);
}
