/*
 * pbi_capacities.c: capacities and workspace assignment (api-facts 3.3,
 * 6.3): the capacities a caller may see, AssignToCapacity and
 * CapacityAssignmentStatus.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
		    sim_streq_ci(s, r->pr.appid)) || sim_dir_is_member(s,
		    r->pr.oid))
			best = 1;
	}
	return best;
}

/* GET capacities: those the caller administers or may assign to. */
void
sim_pbi_capacities(struct req *r)
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
	sim_pbi_reply_list(r, "capacities", val, 0);
}

/* POST AssignToCapacity of ws: starts an assignment (api-facts 6.3). */
void
sim_pbi_assign(struct req *r, struct json_object *ws)
{
	struct json_object	*b = sim_body_json(r), *cap, *as;
	const char		*cid = pj_str(b, "capacityId");
	char			 ts[40], aid[37];

	if (cid == NULL) {
		sim_pbi_error(r, 400, "InvalidRequest", "capacityId is "
		    "required");
		goto done;
	}
	if (strcmp(cid, SIM_EMPTY_GUID) != 0) {
		cap = sim_find_ci(pj_arr(g.state, "capacities"), "id", cid);
		if (cap == NULL || cap_right(r, cap) == 0) {
			sim_pbi_not_authorized(r);
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

/* GET CapacityAssignmentStatus of ws. */
void
sim_pbi_assign_status(struct req *r, struct json_object *ws)
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
