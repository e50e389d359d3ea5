/*
 * pbi_embed.c: embed tokens (api-facts 3.7, 6.13): GenerateToken V1 of a
 * report or dataset and V2 over several items, with the membership, RLS
 * effective identity, item count and lifetime rules.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAXITEMS	50

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
		sim_pbi_error(r, 400, "InvalidRequest", "The number of "
		    "reports, datasets or target workspaces exceeds the limit "
		    "of %d", MAXITEMS);
		goto done;
	}
	for (i = 0; i < json_object_array_length(reps); i++) {
		id = json_object_get_string(json_object_array_get_idx(reps, i));
		if ((it = sim_ws_find_item("_reports", id, &ws)) == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Report "
			    "'%s' was not found", id ? id : "");
			goto done;
		}
		if (sim_ws_access(r, ws) < R_MEMBER) {
			sim_pbi_not_authorized(r);
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
		if ((ws = sim_ws_find(id)) == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound",
			    "Workspace '%s' was not found", id ? id : "");
			goto done;
		}
		if (sim_ws_access(r, ws) < R_MEMBER) {
			sim_pbi_not_authorized(r);
			goto done;
		}
	}
	for (i = 0; i < json_object_array_length(all); i++) {
		id = json_object_get_string(json_object_array_get_idx(all, i));
		if ((it = sim_ws_find_item("_datasets", id, &ws)) == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound",
			    "Dataset '%s' was not found", id ? id : "");
			goto done;
		}
		if (sim_ws_access(r, ws) < R_MEMBER) {
			sim_pbi_not_authorized(r);
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
			sim_pbi_error(r, 400, "InvalidRequest", "Creating "
			    "embed token for accessing dataset %s requires "
			    "effective identity to be provided", id);
			goto done;
		}
		if (!rls && covered) {
			sim_pbi_error(r, 400, "InvalidRequest", "Creating "
			    "embed token for accessing dataset %s shouldn't "
			    "have effective identity", id);
			goto done;
		}
	}
	for (j = 0; idents != NULL && j < json_object_array_length(idents);
	    j++) {
		e = json_object_array_get_idx(idents, j);
		if (pj_str(e, "username") == NULL ||
		    strlen(pj_str(e, "username")) > 256) {
			sim_pbi_error(r, 400, "InvalidRequest", "Effective "
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

/* POST /GenerateToken: the V2 multi-item embed token. */
void
sim_pbi_generate_v2(struct req *r)
{
	struct json_object	*b = sim_body_json(r), *reps, *dss, *wss;

	if (b == NULL) {
		sim_pbi_error(r, 400, "InvalidRequest", "Body required");
		return;
	}
	reps = ids_of(pj_arr(b, "reports"));
	dss = ids_of(pj_arr(b, "datasets"));
	wss = ids_of(pj_arr(b, "targetWorkspaces"));
	if (json_object_array_length(reps) + json_object_array_length(dss)
	    == 0)
		sim_pbi_error(r, 400, "InvalidRequest", "At least one report "
		    "or dataset is required");
	else
		embed_token(r, reps, dss, wss, pj_arr(b, "identities"),
		    pj_int(b, "lifetimeInMinutes", 0));
	json_object_put(reps);
	json_object_put(dss);
	json_object_put(wss);
	json_object_put(b);
}

/*
 * The V1 GenerateToken of report rid or dataset did (either may be NULL;
 * the body may name a dataset too).
 */
void
sim_pbi_generate_v1(struct req *r, const char *rid, const char *did)
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
