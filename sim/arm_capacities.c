/*
 * arm_capacities.c: the Azure Resource Manager side of Power BI Embedded
 * capacities (Microsoft.PowerBIDedicated/capacities, api-version
 * 2021-01-01): read one, suspend and resume it.  A suspended capacity is
 * "Suspended" to Power BI (api-facts 3.3) and "Paused" to ARM.  The
 * capacity is named by its display name; any subscription and resource
 * group of the tenant's token reach it (pbisim has no RBAC).
 */
#include "sim/sim.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static struct json_object *
arm_capacity_json(const struct req *r, struct json_object *c)
{
	struct json_object	*o = json_object_new_object(), *sku, *p;
	const char		*st = pj_str(c, "state");
	char			 id[600];

	snprintf(id, sizeof(id), "/subscriptions/%s/resourceGroups/%s/"
	    "providers/Microsoft.PowerBIDedicated/capacities/%s", r->seg[1],
	    r->seg[3], pj_str(c, "displayName"));
	pj_add_str(o, "id", id);
	pj_add_str(o, "name", pj_str(c, "displayName"));
	pj_add_str(o, "type", "Microsoft.PowerBIDedicated/capacities");
	pj_add_str(o, "location", pj_str(c, "region"));
	sku = json_object_new_object();
	pj_add_str(sku, "name", pj_str(c, "sku"));
	pj_add_str(sku, "tier", "PBIE_Azure");
	pj_add(o, "sku", sku);
	p = json_object_new_object();
	pj_add_str(p, "state", sim_streq_ci(st, "Active") ? "Succeeded" :
	    sim_streq_ci(st, "Suspended") ? "Paused" : st);
	pj_add_str(p, "provisioningState", "Succeeded");
	pj_add(o, "properties", p);
	return o;
}

/*
 * /subscriptions/{sub}/resourceGroups/{rg}/providers/
 * Microsoft.PowerBIDedicated/capacities/{name}[/suspend|/resume].
 */
void
sim_arm_capacities_route(struct req *r)
{
	struct json_object	*c;
	const char		*op;

	if (sim_auth(r, 2) != 0)
		return;
	if (sim_q(r, "api-version") == NULL) {
		sim_pbi_error(r, 400, "MissingApiVersionParameter", "The "
		    "api-version query parameter (?api-version=) is required "
		    "for all requests.");
		return;
	}
	if (r->nseg < 8 || r->nseg > 9 ||
	    strcasecmp(r->seg[2], "resourceGroups") != 0 ||
	    strcasecmp(r->seg[6], "capacities") != 0) {
		sim_pbi_error(r, 404, "InvalidResourceType", "The resource "
		    "type could not be found.");
		return;
	}
	c = sim_find_ci(pj_arr(g.state, "capacities"), "displayName",
	    r->seg[7]);
	if (c == NULL) {
		sim_pbi_error(r, 404, "ResourceNotFound", "The Resource "
		    "'Microsoft.PowerBIDedicated/capacities/%s' under resource "
		    "group '%s' was not found.", r->seg[7], r->seg[3]);
		return;
	}
	op = r->nseg == 9 ? r->seg[8] : NULL;
	if (op == NULL && strcmp(r->method, "GET") == 0)
		sim_reply_json(r, 200, arm_capacity_json(r, c));
	else if (op != NULL && strcmp(r->method, "POST") == 0 &&
	    (strcmp(op, "suspend") == 0 || strcmp(op, "resume") == 0)) {
		pj_add_str(c, "state", strcmp(op, "suspend") == 0 ?
		    "Suspended" : "Active");
		sim_reply_empty(r, 202);
	} else
		sim_pbi_error(r, 405, "MethodNotAllowed", "The requested "
		    "operation is not supported.");
}
