/*
 * pbi_embed.c: embed tokens (api-facts 3.7, 6.13): GenerateToken V2 over
 * several items and V1 of a report, a dataset, a dashboard or a tile,
 * with the membership, My workspace, RLS effective identity and role,
 * item count and lifetime rules.  Every token issued is remembered
 * (state "embedTokens", its hash a secret), so that the consumer's side
 * can be emulated: POST /_sim/embed says whether an embedded item would
 * load with a token, as whom, or why not (pbisim(1) EMBEDDING).
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define MAXITEMS	50

/* What a GenerateToken request asks for (ids borrowed or owned). */
struct emb {
	struct json_object	*reps;		/* report ids */
	struct json_object	*edit;		/* report ids with allowEdit */
	struct json_object	*dss;		/* dataset ids asked for */
	struct json_object	*wss;		/* target workspace ids */
	struct json_object	*idents;	/* EffectiveIdentity[] */
	struct json_object	*group;		/* V1: the path's workspace */
	const char		*path_ds;	/* V1: the path's dataset */
	struct json_object	*dash;		/* V1: dashboard, and tile */
	struct json_object	*tile;
	const char		*level;		/* V1 accessLevel */
	int			 save_as;
	int64_t			 lifemin;
};

static int
id_in(struct json_object *arr, const char *id)
{
	size_t	 i;

	for (i = 0; arr != NULL && i < pj_len(arr); i++)
		if (sim_streq_ci(json_object_get_string(
		    pj_idx(arr, i)), id))
			return 1;
	return 0;
}

static void
add_id(struct json_object *arr, const char *id)
{
	if (id != NULL && !id_in(arr, id))
		json_object_array_add(arr, json_object_new_string(id));
}

/*
 * May the caller put the items of ws into a token?  At least Member
 * (api-facts 3.7), and never My workspace.  0, or -1 after answering.
 */
static int
ws_ok(struct req *r, struct json_object *ws, struct json_object *group)
{
	if (group != NULL && ws != group) {
		/* a V1 route names the item's workspace */
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "The item was "
		    "not found in workspace '%s'", pj_str(group, "id"));
		return -1;
	}
	if (sim_streq_ci(pj_str(ws, "type"), "PersonalGroup")) {
		/* emulator wording: the service's is undocumented */
		sim_pbi_error(r, 400, "InvalidRequest", "Embed tokens cannot "
		    "be generated for items in My workspace");
		return -1;
	}
	if (sim_ws_access(r, ws) < R_MEMBER) {
		sim_pbi_not_authorized(r);
		return -1;
	}
	return 0;
}

/*
 * The effective identities against the datasets of the token (all, of
 * items and asked for): RLS needs one (for a service principal) with
 * roles the dataset has; a dataset without RLS takes none.  0, or -1
 * after answering.
 */
static int
identities_ok(struct req *r, struct json_object *all,
    struct json_object *idents)
{
	struct json_object	*ds, *ws, *e, *roles, *dsroles;
	const char		*id, *role;
	size_t			 i, j, k;
	int			 covered, rls;

	for (j = 0; idents != NULL && j < pj_len(idents);
	    j++) {
		e = pj_idx(idents, j);
		if (pj_str(e, "username") == NULL ||
		    strlen(pj_str(e, "username")) > 256) {
			sim_pbi_error(r, 400, "InvalidRequest", "Effective "
			    "identity username is required (max 256 "
			    "characters)");
			return -1;
		}
		roles = pj_arr(e, "roles");
		if (roles != NULL && pj_len(roles) > 50) {
			sim_pbi_error(r, 400, "InvalidRequest", "An effective "
			    "identity can contain up to 50 roles");
			return -1;
		}
	}
	for (i = 0; i < pj_len(all); i++) {
		id = json_object_get_string(pj_idx(all, i));
		if ((ds = sim_ws_find_item("_datasets", id, &ws)) == NULL)
			continue;
		dsroles = pj_arr(ds, "_roles");
		rls = pj_len(dsroles) > 0;
		covered = 0;
		for (j = 0; idents != NULL &&
		    j < pj_len(idents); j++)
			if (id_in(pj_arr(pj_idx(idents, j),
			    "datasets"), id))
				covered = 1;
		if (!rls && covered) {
			sim_pbi_error(r, 400, "InvalidRequest", "Creating "
			    "embed token for accessing dataset %s shouldn't "
			    "have effective identity", id);
			return -1;
		}
		if (rls && !covered && r->pr.kind == PR_APP) {
			sim_pbi_error(r, 400, "InvalidRequest", "Creating "
			    "embed token for accessing dataset %s requires "
			    "effective identity to be provided", id);
			return -1;
		}
		for (j = 0; idents != NULL &&
		    j < pj_len(idents); j++) {
			e = pj_idx(idents, j);
			if (!id_in(pj_arr(e, "datasets"), id))
				continue;
			roles = pj_arr(e, "roles");
			if (r->pr.kind == PR_APP &&
			    pj_len(roles) == 0) {
				sim_pbi_error(r, 400, "InvalidRequest",
				    "Creating embed token for accessing "
				    "dataset %s requires roles to be included "
				    "in provided effective identity", id);
				return -1;
			}
			for (k = 0; k < pj_len(roles); k++) {
				role = json_object_get_string(
				    pj_idx(roles, k));
				if (id_in(dsroles, role))
					continue;
				/* emulator wording, see pbisim(1) */
				sim_pbi_error(r, 400, "InvalidRequest", "Role "
				    "'%s' does not exist in dataset %s",
				    role ? role : "", id);
				return -1;
			}
		}
	}
	return 0;
}

/* What the emulator keeps of an identity: never a blob's value. */
static struct json_object *
identity_kept(struct json_object *e)
{
	struct json_object	*o = json_object_new_object(), *v;

	pj_add_str(o, "username", pj_str(e, "username"));
	pj_add(o, "roles", json_object_object_get_ex(e, "roles", &v) ?
	    json_object_get(v) : json_object_new_array());
	pj_add(o, "datasets", json_object_object_get_ex(e, "datasets", &v) ?
	    json_object_get(v) : json_object_new_array());
	pj_add_str(o, "customData", pj_str(e, "customData"));
	pj_add_bool(o, "identityBlob", pj_obj(e, "identityBlob") != NULL);
	return o;
}

/* Remember token tok as issued for q, covering all datasets. */
static void
remember(struct req *r, const struct emb *q, struct json_object *all,
    const char *tok, const char *tid, int64_t exp)
{
	struct json_object	*t = json_object_new_object(), *a;
	char			 hash[65], ts[40];
	size_t			 i;

	sha256_hex(tok, hash);
	pj_add_str(t, "tokenId", tid);
	sim_iso(sim_now_ms(), 0, ts, sizeof(ts));
	pj_add_str(t, "issuedAt", ts);
	sim_iso(exp * 1000, 0, ts, sizeof(ts));
	pj_add_str(t, "expiration", ts);
	pj_add_int(t, "_exp", exp);
	pj_add_str(t, "principal", r->pr.kind == PR_APP ? r->pr.appid :
	    r->pr.upn);
	pj_add_str(t, "principalType", r->pr.kind == PR_APP ? "App" :
	    "User");
	pj_add_str(t, "profileId", r->pr.profile[0] ? r->pr.profile : NULL);
	pj_add_str(t, "version", q->group || q->dash ? "V1" : "V2");
	pj_add_str(t, "accessLevel", q->level ? q->level :
	    pj_len(q->edit) > 0 ? "Edit" : "View");
	pj_add_bool(t, "allowSaveAs", q->save_as);
	pj_add(t, "reports", json_object_get(q->reps));
	pj_add(t, "editableReports", json_object_get(q->edit));
	pj_add(t, "datasets", json_object_get(all));
	pj_add(t, "targetWorkspaces", json_object_get(q->wss));
	pj_add_str(t, "dashboardId", q->dash ? pj_str(q->dash, "id") : NULL);
	pj_add_str(t, "tileId", q->tile ? pj_str(q->tile, "id") : NULL);
	a = json_object_new_array();
	for (i = 0; q->idents != NULL &&
	    i < pj_len(q->idents); i++)
		json_object_array_add(a, identity_kept(
		    pj_idx(q->idents, i)));
	pj_add(t, "identities", a);
	pj_add_str(t, "__sha256", hash);
	json_object_array_add(sim_arr(g.state, "embedTokens"), t);
}

/*
 * Issue an embed token for q: every item found, in a workspace the
 * caller is at least Member of; the identities right for the datasets;
 * the lifetime capped by the caller's Entra token.
 */
static void
embed_token(struct req *r, const struct emb *q)
{
	struct json_object	*all = json_object_new_array(), *o, *ws, *it;
	const char		*id;
	unsigned char		 rnd[120];
	char			*tok = NULL, tid[37], ts[40];
	size_t			 i;
	int64_t			 exp;

	if (pj_len(q->reps) > MAXITEMS ||
	    pj_len(q->dss) > MAXITEMS ||
	    (q->wss && pj_len(q->wss) > MAXITEMS)) {
		sim_pbi_error(r, 400, "InvalidRequest", "The number of "
		    "reports, datasets or target workspaces exceeds the limit "
		    "of %d", MAXITEMS);
		goto done;
	}
	if (q->lifemin < 0) {
		/* swagger: "The value must be a positive integer" */
		sim_pbi_error(r, 400, "InvalidRequest", "lifetimeInMinutes "
		    "must be a positive integer");
		goto done;
	}
	if (q->level != NULL && !sim_streq_ci(q->level, "View") &&
	    !sim_streq_ci(q->level, "Edit") &&
	    !sim_streq_ci(q->level, "Create")) {
		sim_pbi_error(r, 400, "InvalidRequest", "accessLevel must be "
		    "View, Edit or Create");
		goto done;
	}
	for (i = 0; i < pj_len(q->reps); i++) {
		id = json_object_get_string(pj_idx(q->reps,
		    i));
		if ((it = sim_ws_find_item("_reports", id, &ws)) == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Report "
			    "'%s' was not found", id ? id : "");
			goto done;
		}
		if (ws_ok(r, ws, q->group) != 0)
			goto done;
		/*
		 * A V2 request that lists datasets covers those (a report
		 * may be bound to one at embedding); else the reports'.
		 */
		if (q->group != NULL || pj_len(q->dss) == 0)
			add_id(all, pj_str(it, "datasetId"));
	}
	if (q->dash != NULL) {
		/* a dashboard's tiles show their datasets */
		for (i = 0; i < pj_len(pj_arr(q->dash,
		    "_tiles")); i++) {
			it = pj_idx(pj_arr(q->dash,
			    "_tiles"), i);
			if (q->tile == NULL || it == q->tile)
				add_id(all, pj_str(it, "datasetId"));
		}
	}
	for (i = 0; i < pj_len(q->dss); i++)
		add_id(all, json_object_get_string(pj_idx(
		    q->dss, i)));
	for (i = 0; q->wss != NULL && i < pj_len(q->wss);
	    i++) {
		id = json_object_get_string(pj_idx(q->wss,
		    i));
		if ((ws = sim_ws_find(id)) == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound",
			    "Workspace '%s' was not found", id ? id : "");
			goto done;
		}
		if (ws_ok(r, ws, NULL) != 0)
			goto done;
	}
	for (i = 0; i < pj_len(all); i++) {
		id = json_object_get_string(pj_idx(all, i));
		if (sim_ws_find_item("_datasets", id, &ws) == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound",
			    "Dataset '%s' was not found", id ? id : "");
			goto done;
		}
		/* Only the dataset a V1 route names must be in its group. */
		if (ws_ok(r, ws, sim_streq_ci(id, q->path_ds) ? q->group :
		    NULL) != 0)
			goto done;
	}
	if (identities_ok(r, all, q->idents) != 0)
		goto done;
	/* api-facts 3.7: capped by the caller's AAD token lifetime */
	exp = r->pr.exp;
	if (q->lifemin > 0 && sim_now() + q->lifemin * 60 < exp)
		exp = sim_now() + q->lifemin * 60;
	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (unsigned char)(sim_rand() * 256);
	rnd[0] = 0x1f;
	rnd[1] = 0x8b;
	rnd[2] = 0x08;
	tok = b64_enc(rnd, sizeof(rnd));
	sim_guid(tid);
	sim_iso(exp * 1000, 0, ts, sizeof(ts));
	remember(r, q, all, tok, tid, exp);
	o = json_object_new_object();
	pj_add_str(o, "@odata.context", SIM_PBI_CTX
	    "Microsoft.PowerBI.ServiceContracts.Api.V1.EmbedToken");
	pj_add_str(o, "token", tok);
	pj_add_str(o, "tokenId", tid);
	pj_add_str(o, "expiration", ts);
	sim_reply_json(r, 200, o);
done:
	if (tok != NULL)
		OPENSSL_cleanse(tok, strlen(tok));
	free(tok);
	json_object_put(all);
}

static struct json_object *
ids_of(struct json_object *arr, const char *flag)
{
	struct json_object	*o = json_object_new_array(), *e;
	size_t			 i;
	const char		*id;

	for (i = 0; arr != NULL && i < pj_len(arr); i++) {
		e = pj_idx(arr, i);
		id = pj_str(e, "id");
		if (id != NULL && (flag == NULL || pj_bool(e, flag, 0)))
			json_object_array_add(o, json_object_new_string(id));
	}
	return o;
}

/* POST /GenerateToken: the V2 multi-item embed token. */
void
sim_pbi_generate_v2(struct req *r)
{
	struct json_object	*b = sim_body_json(r);
	struct emb		 q;

	if (b == NULL) {
		sim_pbi_error(r, 400, "InvalidRequest", "Body required");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.reps = ids_of(pj_arr(b, "reports"), NULL);
	q.edit = ids_of(pj_arr(b, "reports"), "allowEdit");
	q.dss = ids_of(pj_arr(b, "datasets"), NULL);
	q.wss = ids_of(pj_arr(b, "targetWorkspaces"), NULL);
	q.idents = pj_arr(b, "identities");
	q.lifemin = pj_int(b, "lifetimeInMinutes", 0);
	if (pj_len(q.reps) + pj_len(q.dss)
	    == 0)
		sim_pbi_error(r, 400, "InvalidRequest", "At least one report "
		    "or dataset is required");
	else
		embed_token(r, &q);
	json_object_put(q.reps);
	json_object_put(q.edit);
	json_object_put(q.dss);
	json_object_put(q.wss);
	json_object_put(b);
}

/*
 * The V1 GenerateToken in workspace ws of report rid, of dataset did, or
 * (both NULL) of a new report on the body's datasetId; or of dashboard
 * dash (and its tile).
 */
void
sim_pbi_generate_v1(struct req *r, struct json_object *ws, const char *rid,
    const char *did, struct json_object *dash, struct json_object *tile)
{
	struct json_object	*b = sim_body_json(r);
	struct emb		 q;

	memset(&q, 0, sizeof(q));
	q.reps = json_object_new_array();
	q.edit = json_object_new_array();
	q.dss = json_object_new_array();
	q.group = ws;
	q.path_ds = did;
	q.dash = dash;
	q.tile = tile;
	q.level = pj_str(b, "accessLevel");
	q.save_as = pj_bool(b, "allowSaveAs", 0);
	q.idents = pj_arr(b, "identities");
	q.lifemin = pj_int(b, "lifetimeInMinutes", 0);
	if (rid != NULL)
		json_object_array_add(q.reps, json_object_new_string(rid));
	if (rid != NULL && sim_streq_ci(q.level, "Edit"))
		json_object_array_add(q.edit, json_object_new_string(rid));
	add_id(q.dss, did);
	add_id(q.dss, pj_str(b, "datasetId"));
	if (rid == NULL && did == NULL && dash == NULL &&
	    pj_len(q.dss) == 0)
		sim_pbi_error(r, 400, "InvalidRequest", "datasetId is "
		    "required to create a report");
	else
		embed_token(r, &q);
	json_object_put(q.reps);
	json_object_put(q.edit);
	json_object_put(q.dss);
	json_object_put(b);
}

/* The remembered token whose text is tok, or NULL.  Borrowed. */
static struct json_object *
token_find(const char *tok)
{
	struct json_object	*a = pj_arr(g.state, "embedTokens"), *t;
	char			 hash[65];
	size_t			 i;

	sha256_hex(tok, hash);
	for (i = pj_len(a); i-- > 0;) {
		t = pj_idx(a, i);
		if (CRYPTO_memcmp(hash, pj_str(t, "__sha256") ? pj_str(t,
		    "__sha256") : "", 64) == 0)
			return t;
	}
	return NULL;
}

/* The identity of token t over dataset ds (borrowed), or NULL. */
static struct json_object *
identity_for(struct json_object *t, const char *ds)
{
	struct json_object	*a = pj_arr(t, "identities"), *e;
	size_t			 i;

	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		if (id_in(pj_arr(e, "datasets"), ds))
			return e;
	}
	return NULL;
}

/*
 * The data an embedded item shows comes from dataset ds: covered by t,
 * and with row-level security under an identity of t (a user's token
 * without one shows the data as that user).  Sets why, or fills o.
 */
static const char *
data_ok(struct json_object *t, const char *ds, struct json_object *o)
{
	struct json_object	*d, *ws, *e, *who;

	pj_add(o, "identity", NULL);
	if ((d = sim_ws_find_item("_datasets", ds, &ws)) == NULL)
		return "datasetNotFound";
	if (!id_in(pj_arr(t, "datasets"), ds))
		return "datasetNotCovered";
	if (pj_len(pj_arr(d, "_roles")) == 0)
		return NULL;
	if ((e = identity_for(t, ds)) != NULL) {
		who = json_object_new_object();
		pj_add_str(who, "username", pj_str(e, "username"));
		pj_add(who, "roles", json_object_get(pj_arr(e, "roles")));
		pj_add_str(who, "customData", pj_str(e, "customData"));
		pj_add(o, "identity", who);
		return NULL;
	}
	if (!sim_streq_ci(pj_str(t, "principalType"), "User"))
		return "identityMissing";
	who = json_object_new_object();
	pj_add_str(who, "username", pj_str(t, "principal"));
	pj_add(o, "identity", who);
	return NULL;
}

static const char *
why_text(const char *why)
{
	static const struct {
		const char	*code;
		const char	*text;
	} t[] = {
		{ "unknownToken", "pbisim issued no such embed token" },
		{ "expired", "the embed token has expired" },
		{ "itemNotFound", "the item no longer exists" },
		{ "itemNotCovered", "the embed token does not cover the item" },
		{ "datasetNotFound", "the item's dataset no longer exists" },
		{ "datasetNotCovered", "the embed token does not cover the "
		    "dataset the item shows" },
		{ "identityMissing", "the dataset has row-level security and "
		    "the embed token carries no identity for it" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].code, why) == 0)
			return t[i].text;
	return why;
}

/*
 * POST /_sim/embed {token, reportId [, datasetId] | dashboardId
 * [, tileId]}: would the item load in an embedding page with this
 * token?  Answers {loads, reason, message, tokenId, item, datasetId,
 * identity, accessLevel, expiration}.  Caller holds g.mu.
 */
void
sim_pbi_embed_check(struct req *r)
{
	struct json_object	*b = sim_body_json(r), *o, *t, *it, *ws;
	struct json_object	*dash, *tiles, *tl;
	const char		*tok, *rid, *did, *dsh, *tid, *ds;
	const char		*why = NULL;
	size_t			 i;

	tok = pj_str(b, "token");
	rid = pj_str(b, "reportId");
	did = pj_str(b, "datasetId");
	dsh = pj_str(b, "dashboardId");
	tid = pj_str(b, "tileId");
	if (tok == NULL || (rid == NULL) == (dsh == NULL)) {
		json_object_put(b);
		sim_pbi_error(r, 400, "InvalidRequest", "embed needs a token "
		    "and a reportId (and datasetId) or a dashboardId (and "
		    "tileId)");
		return;
	}
	o = json_object_new_object();
	it = json_object_new_object();
	pj_add_str(it, "type", rid ? "report" : tid ? "tile" : "dashboard");
	pj_add_str(it, "id", rid ? rid : tid ? tid : dsh);
	pj_add(o, "item", it);
	if ((t = token_find(tok)) == NULL) {
		why = "unknownToken";
		goto done;
	}
	pj_add_str(o, "tokenId", pj_str(t, "tokenId"));
	pj_add_str(o, "expiration", pj_str(t, "expiration"));
	pj_add_str(o, "accessLevel", pj_str(t, "accessLevel"));
	if (pj_int(t, "_exp", 0) <= sim_now()) {
		why = "expired";
		goto done;
	}
	if (rid != NULL) {
		if ((it = sim_ws_find_item("_reports", rid, &ws)) == NULL)
			why = "itemNotFound";
		else if (!id_in(pj_arr(t, "reports"), rid))
			why = "itemNotCovered";
		else {
			/* dynamic binding: the page names the dataset */
			ds = did ? did : pj_str(it, "datasetId");
			pj_add_str(o, "datasetId", ds);
			why = data_ok(t, ds, o);
		}
		goto done;
	}
	dash = NULL;
	for (i = 0; i < pj_len(pj_arr(g.state,
	    "workspaces")) && dash == NULL; i++)
		dash = sim_find_ci(pj_arr(pj_idx(
		    pj_arr(g.state, "workspaces"), i), "_dashboards"), "id",
		    dsh);
	if (dash == NULL) {
		why = "itemNotFound";
		goto done;
	}
	if (!sim_streq_ci(pj_str(t, "dashboardId"), dsh) ||
	    (pj_str(t, "tileId") != NULL && !sim_streq_ci(pj_str(t,
	    "tileId"), tid))) {
		why = "itemNotCovered";
		goto done;
	}
	tiles = pj_arr(dash, "_tiles");
	if (tid != NULL && sim_find_ci(tiles, "id", tid) == NULL) {
		why = "itemNotFound";
		goto done;
	}
	for (i = 0; why == NULL && i < pj_len(tiles); i++) {
		tl = pj_idx(tiles, i);
		if ((tid == NULL || sim_streq_ci(pj_str(tl, "id"), tid)) &&
		    pj_str(tl, "datasetId") != NULL)
			why = data_ok(t, pj_str(tl, "datasetId"), o);
	}
done:
	pj_add_bool(o, "loads", why == NULL);
	pj_add_str(o, "reason", why);
	pj_add_str(o, "message", why ? why_text(why) : NULL);
	/* the token's text is never echoed */
	json_object_put(b);
	sim_reply_json(r, 200, o);
}
