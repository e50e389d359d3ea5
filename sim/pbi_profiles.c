/*
 * pbi_profiles.c: service principal profiles (api-facts 3.8, 6.12): list,
 * create, get, rename and delete the calling service principal's
 * profiles.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* profiles[/{id}]: the caller's service principal profiles. */
void
sim_pbi_profiles(struct req *r)
{
	struct json_object	*arr = sim_arr(g.state, "profiles"), *p, *b;
	struct json_object	*val;
	const char		*name, *f;
	char			 id[37], keys[2][64], vals[2][256];
	long			 top, skip, seen = 0;
	size_t			 i;

	if (r->pr.kind != PR_APP) {
		sim_pbi_not_authorized(r);
		return;
	}
	if (r->nseg == 3 && strcmp(r->method, "GET") == 0) {
		if (sim_pbi_topskip(r, &top, &skip, 100000) != 0)
			return;
		f = sim_q(r, "$filter");
		if (f != NULL && (sim_filter_eq(f, keys, vals, 2) != 1 ||
		    strcasecmp(keys[0], "displayName") != 0)) {
			sim_pbi_error(r, 400, "InvalidRequest", "Unsupported "
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
		sim_pbi_reply_list(r, "profiles", val, 0);
		return;
	}
	if (r->nseg == 3 && strcmp(r->method, "POST") == 0) {
		b = sim_body_json(r);
		name = pj_str(b, "displayName");
		if (name == NULL || *name == '\0') {
			sim_pbi_error(r, 400, "InvalidRequest", "displayName "
			    "is required");
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
				sim_pbi_error_pbi(r, 409,
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
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Profile '%s' "
		    "was not found", r->nseg >= 4 ? r->seg[3] : "");
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
					sim_ws_touch(json_object_array_get_idx(
					    wsa, i));
					continue;
				}
				j++;
			}
		}
		sim_arr_del(arr, p);
		sim_reply_empty(r, 200);
	} else
		sim_pbi_no_method(r, "GET, PUT, DELETE");
}
