/*
 * token.c: embed tokens for one customer (api-facts 3.7), the last line
 * of isolation between customers.  Before any GenerateToken call, every
 * item the token would cover is checked live: in the customer's
 * workspace in the ledger and in the service, read as the customer's
 * profile, with the datasets' row-level security rules applied to the
 * identity asked for.  The token is minted as the profile, from an Entra
 * token that lasts long enough for the lifetime asked, and journalled
 * without itself.  Reading the tenant only, it takes no run lock.
 */
#include "provision.h"
#include "steps.h"
#include "powerbi/powerbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* powerbi-client's models.TokenType.Embed and models.Permissions. */
#define TOKENTYPE_EMBED	1
#define PERM_READWRITE	1
#define PERM_COPY	2

/* An answer this close to the Entra token's expiry was capped by it. */
#define CAP_SLACK_S	5

/* One token being prepared. */
struct tk {
	struct pbi_prov			*p;
	const struct pbi_token_opts	*o;
	struct pbi_customer		 c;
	const char			*profile;	/* c's, or NULL */
	struct json_object		*ledger;	/* c's, in the ledger */
	struct json_object		*live_reps;	/* the service's */
	struct json_object		*live_dss;
	struct json_object		*reps;		/* chosen (live) */
	struct json_object		*dss;		/* chosen (live) */
	struct json_object		*dash;		/* live ones */
	struct json_object		*tile;
	const char			*bound;		/* dataset the report is
							   bound to, or NULL */
	struct json_object		*rls;		/* ids needing one */
	char				 items[2048];	/* for the journal */
};

static void
tk_release(struct tk *t)
{
	json_object_put(t->ledger);
	json_object_put(t->live_reps);
	json_object_put(t->live_dss);
	json_object_put(t->reps);
	json_object_put(t->dss);
	json_object_put(t->dash);
	json_object_put(t->tile);
	json_object_put(t->rls);
}

/* The item of list whose member key is id, any case, or NULL. */
static struct json_object *
by(struct json_object *list, const char *key, const char *id)
{
	size_t	 i;

	for (i = 0; id != NULL && i < pj_len(list); i++)
		if (pj_str(pj_idx(list, i), key) != NULL &&
		    strcasecmp(pj_str(pj_idx(list, i), key), id) == 0)
			return pj_idx(list, i);
	return NULL;
}

/*
 * The other customer the ledger says owns the report or dataset id
 * (member field, "id" or "datasetId", of its reports) into who; "" when
 * none does.  For messages only: a failure to read says nothing.
 */
static void
owner_of(struct tk *t, const char *field, const char *id, char *who,
    size_t len)
{
	/* By key: one lookup, whatever the number of customers. */
	if (pbi_ledger_item_owner(t->p->ledger, strcmp(field, "datasetId") ==
	    0, id, t->c.slug, who, len) != NULL)
		who[0] = '\0';
}

/* Note an item for the journal: "report:ID dataset:ID ...". */
static void
note_item(struct tk *t, const char *kind, const char *id)
{
	size_t	 n = strlen(t->items);

	snprintf(t->items + n, sizeof(t->items) - n, "%s%s:%s",
	    n ? " " : "", kind, id);
}

/* The customer, its reports in the ledger and in the service. */
static const struct pbi_err *
load(struct tk *t, const char *slug)
{
	const struct pbi_err	*err;
	int			 found;

	if ((err = pbi_ledger_customer(t->p->ledger, slug, &t->c, &found)))
		return err;
	if (!found)
		return pbi_err(PBI_ERR_NOTFOUND, "customer '%s' is not in the "
		    "ledger", slug);
	if (strcmp(t->c.status, "removed") == 0 || t->c.workspace_id[0] == '\0')
		return pbi_err(PBI_ERR_REFUSED, "customer '%s' has no "
		    "workspace in the ledger", slug);
	if (t->p->profiles && t->c.profile_id[0] == '\0')
		return pbi_err(PBI_ERR_REFUSED, "customer '%s' has no profile "
		    "in the ledger", slug);
	t->profile = prov_as_profile(t->p, &t->c);
	if ((err = pbi_ledger_reports(t->p->ledger, t->c.workspace_id,
	    &t->ledger)) != NULL)
		return err;
	if ((err = pb_reports(t->p->svc, t->profile, t->c.workspace_id,
	    &t->live_reps)) != NULL ||
	    (err = pb_datasets(t->p->svc, t->profile, t->c.workspace_id,
	    &t->live_dss)) != NULL)
		return pbi_err_ctx(err, "cannot read the content of customer "
		    "'%s''s workspace %s", slug, t->c.workspace_id);
	t->reps = json_object_new_array();
	t->dss = json_object_new_array();
	t->rls = json_object_new_array();
	return NULL;
}

/*
 * Dataset id, to be covered by the token: the customer's in the ledger
 * (the dataset of one of its reports) and in its workspace now.  what
 * says how the request came to name it.
 */
static const struct pbi_err *
take_dataset(struct tk *t, const char *id, const char *what)
{
	struct json_object	*ds;
	char			 who[128];

	if (by(t->dss, "id", id) != NULL)
		return NULL;
	ds = by(t->live_dss, "id", id);
	if (by(t->ledger, "datasetId", id) == NULL || ds == NULL) {
		owner_of(t, "datasetId", id, who, sizeof(who));
		if (who[0] != '\0')
			return pbi_err(PBI_ERR_REFUSED, "%s dataset %s, which "
			    "belongs to customer '%s', not '%s'", what, id,
			    who, t->c.slug);
		return pbi_err(PBI_ERR_REFUSED, "%s dataset %s, which is not "
		    "customer '%s''s %s", what, id, t->c.slug, ds == NULL ?
		    "in its workspace in the service" : "in the ledger");
	}
	if (pj_len(t->dss) == PBI_TOKEN_MAX_ITEMS)
		return pbi_err(PBI_ERR_INPUT, "a token covers at most %d "
		    "datasets (api-facts 3.7)", PBI_TOKEN_MAX_ITEMS);
	json_object_array_add(t->dss, json_object_get(ds));
	note_item(t, "dataset", pj_str(ds, "id"));
	if (pj_bool(ds, "isEffectiveIdentityRequired", 0))
		json_object_array_add(t->rls, json_object_new_string(
		    pj_str(ds, "id")));
	return NULL;
}

/* Report ref (a name or an id of the ledger), and its dataset. */
static const struct pbi_err *
take_report(struct tk *t, const char *ref)
{
	struct json_object	*row, *rep;
	const char		*ds, *dws;
	char			 who[128], what[400];

	row = pbi_is_guid(ref) ? by(t->ledger, "id", ref) :
	    by(t->ledger, "name", ref);
	if (row == NULL && pbi_is_guid(ref)) {
		owner_of(t, "id", ref, who, sizeof(who));
		if (who[0] != '\0')
			return pbi_err(PBI_ERR_REFUSED, "report %s belongs to "
			    "customer '%s', not '%s'", ref, who, t->c.slug);
		return pbi_err(PBI_ERR_REFUSED, "report %s is not customer "
		    "'%s''s: the ledger does not know it", ref, t->c.slug);
	}
	if (row == NULL)
		return pbi_err(PBI_ERR_NOTFOUND, "customer '%s' has no report "
		    "named '%s' in the ledger", t->c.slug, ref);
	if ((rep = by(t->live_reps, "id", pj_str(row, "id"))) == NULL)
		return pbi_err(PBI_ERR_REFUSED, "report '%s' (%s) of customer "
		    "'%s' is in the ledger but not in its workspace %s in the "
		    "service", pj_str(row, "name"), pj_str(row, "id"),
		    t->c.slug, t->c.workspace_id);
	if (by(t->reps, "id", pj_str(rep, "id")) != NULL)
		return NULL;
	if (pj_len(t->reps) == PBI_TOKEN_MAX_ITEMS)
		return pbi_err(PBI_ERR_INPUT, "a token covers at most %d "
		    "reports (api-facts 3.7)", PBI_TOKEN_MAX_ITEMS);
	/* Rebound behind the ledger's back, it shows another's data. */
	ds = pj_str(rep, "datasetId");
	dws = pj_str(rep, "datasetWorkspaceId");
	if (ds == NULL || (dws != NULL &&
	    strcasecmp(dws, t->c.workspace_id) != 0)) {
		owner_of(t, "datasetId", ds ? ds : "", who, sizeof(who));
		return pbi_err(PBI_ERR_REFUSED, "report '%s' (%s) of customer "
		    "'%s' is bound to dataset %s of another workspace, %s%s%s",
		    pj_str(rep, "name"), pj_str(rep, "id"), t->c.slug,
		    ds ? ds : "(none)", dws ? dws : "?", who[0] ? ", which "
		    "belongs to customer " : "", who);
	}
	json_object_array_add(t->reps, json_object_get(rep));
	note_item(t, "report", pj_str(rep, "id"));
	snprintf(what, sizeof(what), "report '%s' (%s) is bound to",
	    pj_str(rep, "name"), pj_str(rep, "id"));
	return t->bound ? NULL : take_dataset(t, ds, what);
}

/*
 * The reports and datasets asked for.  One report and one dataset that
 * is not the report's own: the report is bound to that dataset (dynamic
 * binding), and its own dataset is not covered.
 */
static const struct pbi_err *
take_content(struct tk *t)
{
	const struct pbi_token_opts	*o = t->o;
	const struct pbi_err		*err;
	struct json_object		*row;
	size_t				 i;

	if (o->nreports == 1 && o->ndatasets == 1 && !o->create &&
	    (row = by(t->ledger, pbi_is_guid(o->reports[0]) ? "id" : "name",
	    o->reports[0])) != NULL && pj_str(row, "datasetId") != NULL &&
	    strcasecmp(pj_str(row, "datasetId"), o->datasets[0]) != 0) {
		if ((err = take_dataset(t, o->datasets[0], "the binding "
		    "names")) != NULL)
			return err;
		t->bound = pj_str(pj_idx(t->dss, 0), "id");
	}
	if (o->all_reports) {
		if (pj_len(t->ledger) == 0)
			return pbi_err(PBI_ERR_NOTFOUND, "customer '%s' has no "
			    "report in the ledger", t->c.slug);
		for (i = 0; i < pj_len(t->ledger); i++)
			if ((err = take_report(t, pj_str(pj_idx(t->ledger, i),
			    "id"))) != NULL)
				return err;
	}
	for (i = 0; i < o->nreports; i++)
		if ((err = take_report(t, o->reports[i])) != NULL)
			return err;
	for (i = 0; i < o->ndatasets; i++)
		if ((err = take_dataset(t, o->datasets[i], "the token would "
		    "cover")) != NULL)
			return err;
	return NULL;
}

/*
 * The dashboard (and tile) of a V1 token: in the customer's workspace
 * in the service (dashboards have no rows of their own in the ledger:
 * the workspace has), and the datasets of its tiles the customer's.
 */
static const struct pbi_err *
take_dashboard(struct tk *t)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *tiles = NULL, *tl;
	const char		*ds;
	char			 what[256];
	size_t			 i;

	if ((err = pb_dashboards(t->p->svc, t->profile, t->c.workspace_id,
	    &all)) != NULL)
		return pbi_err_ctx(err, "cannot list the dashboards of "
		    "customer '%s'", t->c.slug);
	if ((t->dash = json_object_get(by(all, "id", t->o->dashboard))) ==
	    NULL) {
		json_object_put(all);
		return pbi_err(PBI_ERR_REFUSED, "dashboard %s is not in "
		    "customer '%s''s workspace %s", t->o->dashboard, t->c.slug,
		    t->c.workspace_id);
	}
	json_object_put(all);
	note_item(t, "dashboard", pj_str(t->dash, "id"));
	if ((err = pb_tiles(t->p->svc, t->profile, t->c.workspace_id,
	    pj_str(t->dash, "id"), &tiles)) != NULL)
		return pbi_err_ctx(err, "cannot list the tiles of dashboard "
		    "%s", pj_str(t->dash, "id"));
	if (t->o->tile != NULL &&
	    (t->tile = json_object_get(by(tiles, "id", t->o->tile))) ==
	    NULL) {
		json_object_put(tiles);
		return pbi_err(PBI_ERR_REFUSED, "tile %s is not on dashboard "
		    "%s of customer '%s'", t->o->tile, t->o->dashboard,
		    t->c.slug);
	}
	if (t->tile != NULL)
		note_item(t, "tile", pj_str(t->tile, "id"));
	for (i = 0; err == NULL && i < pj_len(tiles); i++) {
		tl = pj_idx(tiles, i);
		if (t->tile != NULL && tl != t->tile)
			continue;
		if ((ds = pj_str(tl, "datasetId")) == NULL || *ds == '\0')
			continue;
		snprintf(what, sizeof(what), "tile '%s' (%s) shows",
		    pj_str(tl, "title") ? pj_str(tl, "title") : "",
		    pj_str(tl, "id"));
		err = take_dataset(t, ds, what);
	}
	json_object_put(tiles);
	return err;
}

/*
 * Row-level security, as the datasets say before the call: an identity
 * where one is required, with roles where they are, and none where no
 * dataset has security.
 */
static const struct pbi_err *
check_identity(struct tk *t)
{
	const struct pbi_token_opts	*o = t->o;
	struct json_object		*ds;
	size_t				 i;

	for (i = 0; i < pj_len(t->dss); i++) {
		ds = pj_idx(t->dss, i);
		if (!pj_bool(ds, "isEffectiveIdentityRequired", 0))
			continue;
		if (o->username == NULL)
			return pbi_err(PBI_ERR_REFUSED, "dataset '%s' (%s) has "
			    "row-level security: the token needs an effective "
			    "identity (--username, and --role)",
			    pj_str(ds, "name"), pj_str(ds, "id"));
		if (o->nroles == 0 &&
		    pj_bool(ds, "isEffectiveIdentityRolesRequired", 0))
			return pbi_err(PBI_ERR_REFUSED, "dataset '%s' (%s) "
			    "requires roles for its effective identity: name "
			    "them with --role", pj_str(ds, "name"),
			    pj_str(ds, "id"));
	}
	/* --all: the identity is for the customers whose data has RLS. */
	if (o->username != NULL && pj_len(t->rls) == 0 && !o->all_reports)
		return pbi_err(PBI_ERR_REFUSED, "an effective identity was "
		    "given, but no dataset of the token has row-level "
		    "security (%s): the service refuses identities there",
		    pj_len(t->dss) ? pj_str(pj_idx(t->dss, 0), "name") :
		    "no dataset");
	if (o->username == NULL && (o->nroles > 0 || o->custom_data != NULL ||
	    o->identity_blob != NULL))
		return pbi_err(PBI_ERR_USAGE, "--role, --custom-data and "
		    "--identity-blob-file need --username");
	return NULL;
}

/* The effective identity of the request, over exactly the RLS datasets. */
static struct json_object *
identity(struct tk *t, int with_secret)
{
	const struct pbi_token_opts	*o = t->o;
	struct json_object		*id, *a, *blob;
	size_t				 i;

	id = json_object_new_object();
	pj_add_str(id, "username", o->username);
	if (o->nroles > 0) {
		a = json_object_new_array();
		for (i = 0; i < o->nroles; i++)
			json_object_array_add(a, json_object_new_string(
			    o->roles[i]));
		pj_add(id, "roles", a);
	}
	/* Copies: the request is wiped, the result kept. */
	a = json_object_new_array();
	for (i = 0; i < pj_len(t->rls); i++)
		json_object_array_add(a, json_object_new_string(
		    json_object_get_string(pj_idx(t->rls, i))));
	pj_add(id, "datasets", a);
	if (o->custom_data != NULL)
		pj_add_str(id, "customData", o->custom_data);
	if (o->identity_blob != NULL && with_secret) {
		blob = json_object_new_object();
		pj_add_str(blob, "value", o->identity_blob);
		pj_add(id, "identityBlob", blob);
	}
	return id;
}

/* The GenerateToken body, V2 or V1 (wipe it: it may hold a blob). */
static struct json_object *
request(struct tk *t)
{
	const struct pbi_token_opts	*o = t->o;
	struct json_object		*b = json_object_new_object(), *a, *e;
	size_t				 i;

	if (t->dash != NULL) {
		pj_add_str(b, "accessLevel", "View");
	} else {
		a = json_object_new_array();
		for (i = 0; i < pj_len(t->reps); i++) {
			e = json_object_new_object();
			pj_add_str(e, "id", pj_str(pj_idx(t->reps, i), "id"));
			if (o->allow_edit)
				pj_add_bool(e, "allowEdit", 1);
			json_object_array_add(a, e);
		}
		pj_add(b, "reports", a);
		a = json_object_new_array();
		for (i = 0; i < pj_len(t->dss); i++) {
			e = json_object_new_object();
			pj_add_str(e, "id", pj_str(pj_idx(t->dss, i), "id"));
			if (o->xmla_read_only)
				pj_add_str(e, "xmlaPermissions", "ReadOnly");
			json_object_array_add(a, e);
		}
		pj_add(b, "datasets", a);
		/* Saving goes to the customer's own workspace, only. */
		if (o->allow_edit || o->allow_save_as || o->create) {
			a = json_object_new_array();
			e = json_object_new_object();
			pj_add_str(e, "id", t->c.workspace_id);
			json_object_array_add(a, e);
			pj_add(b, "targetWorkspaces", a);
		}
	}
	if (o->username != NULL && pj_len(t->rls) > 0) {
		a = json_object_new_array();
		json_object_array_add(a, identity(t, 1));
		pj_add(b, "identities", a);
	}
	if (o->lifetime > 0)
		pj_add_int(b, "lifetimeInMinutes", o->lifetime);
	return b;
}

/* An ISO 8601 UTC time ("2018-07-29T17:58:19Z"), or 0. */
static time_t
iso_time(const char *s)
{
	int64_t	 ms = pbi_iso8601_ms(s);

	return ms < 0 ? 0 : (time_t)(ms / 1000);
}

/* What the journal keeps of a token: never the token, never a blob. */
static void
journal_result(struct tk *t, struct json_object *ans, const char *note,
    char *buf, size_t len)
{
	const struct pbi_token_opts	*o = t->o;
	size_t				 i, n;

	snprintf(buf, len, "tokenId=%s expiration=%s", pj_str(ans, "tokenId"),
	    pj_str(ans, "expiration"));
	if (o->username != NULL && pj_len(t->rls) > 0) {
		n = strlen(buf);
		snprintf(buf + n, len - n, " username=%s roles=", o->username);
		for (i = 0; i < o->nroles; i++) {
			n = strlen(buf);
			snprintf(buf + n, len - n, "%s%s", i ? "," : "",
			    o->roles[i]);
		}
	}
	if (note != NULL) {
		n = strlen(buf);
		snprintf(buf + n, len - n, " (%s)", note);
	}
}

/*
 * Call GenerateToken with body, journalled, from an Entra token good for
 * the lifetime asked (api-facts 3.7: the embed token ends with it).
 * When the answer shows the service counted less of the Entra token left
 * than this machine does (it capped a lifetime a whole Entra token would
 * have covered), ask once more with a new Entra token.  *ans (wipe it)
 * is NULL in a dry run; res receives the effective expiry.
 */
static const struct pbi_err *
mint(struct tk *t, struct json_object *body, struct json_object **ans,
    struct json_object *res)
{
	const struct pbi_token_opts	*o = t->o;
	const struct pbi_err		*err;
	struct pbi_tokinfo		 ti;
	unsigned			 drop = 0;
	long				 min_s, left = 0, skew;
	time_t				 exp = 0, now;
	int64_t				 jid;
	int				 attempt, capped = 0, again;
	char				 note[1024];

	*ans = NULL;
	min_s = o->lifetime > 0 ? o->lifetime * 60 + 60 : 0;
	for (attempt = 0;; attempt++) {
		if ((err = pbi_auth_fresh(t->p->svc->auth, PBI_API_POWERBI,
		    min_s, drop, &ti)) != NULL ||
		    (err = prov_begin(t->p, t->c.id, "token", t->items, &jid)))
			return err;
		if (t->dash != NULL)
			err = pb_embed_token_v1(t->p->svc, t->profile,
			    t->c.workspace_id, pj_str(t->dash, "id"),
			    t->tile ? pj_str(t->tile, "id") : NULL, body, ans);
		else
			err = pb_embed_token(t->p->svc, t->profile, body, ans);
		if (err == NULL && *ans == NULL && !t->p->dry_run)
			err = pbi_err(PBI_ERR_PROTO, "GenerateToken answered "
			    "nothing");
		if (err == NULL && *ans != NULL &&
		    (pj_str(*ans, "token") == NULL ||
		    pj_str(*ans, "tokenId") == NULL ||
		    (exp = iso_time(pj_str(*ans, "expiration"))) == 0))
			err = pbi_err(PBI_ERR_PROTO, "GenerateToken answered "
			    "no token, tokenId or expiration");
		if (err != NULL) {
			prov_end(t->p, jid, "failed", NULL, err);
			return pbi_err_ctx(err, "cannot mint a token for "
			    "customer '%s'", t->c.slug);
		}
		if (*ans == NULL)
			return NULL;
		/* The service's clock, as the Entra token told it. */
		now = time(NULL);
		skew = ti.claim_iat != 0 ? (long)(ti.claim_iat - ti.got) : 0;
		left = (long)(exp - (now + skew));
		capped = ti.claim_exp != 0 &&
		    exp >= ti.claim_exp - CAP_SLACK_S &&
		    exp <= ti.claim_exp + CAP_SLACK_S;
		again = attempt == 0 && o->lifetime > 0 && capped &&
		    min_s <= (long)(ti.claim_exp - ti.claim_iat);
		journal_result(t, *ans, again ? "cut short by the Entra token "
		    "used: asked again with a new one" : NULL, note,
		    sizeof(note));
		if ((err = prov_end(t->p, jid, "ok", note, NULL)) != NULL)
			return err;
		if (!again)
			break;
		pbi_json_wipe_put(*ans);
		*ans = NULL;
		drop = ti.gen;
	}
	pj_add_int(res, "expiresInMinutes", (left + 30) / 60);
	pj_add(res, "lifetimeMinutes", o->lifetime > 0 ?
	    json_object_new_int64(o->lifetime) : NULL);
	pj_add_bool(res, "shortened", o->lifetime > 0 && (capped ||
	    left < o->lifetime * 60 - 60));
	return NULL;
}

/* powerbi-client's embed configuration of item (type "report", ...). */
static struct json_object *
embed_config(const char *type, const char *id, const char *url,
    const char *token)
{
	struct json_object	*e = json_object_new_object();

	if (type != NULL)
		pj_add_str(e, "type", type);
	if (id != NULL)
		pj_add_str(e, "id", id);
	pj_add_str(e, "embedUrl", url);
	pj_add_str(e, "accessToken", token);
	pj_add_int(e, "tokenType", TOKENTYPE_EMBED);
	return e;
}

/* The result: the token, and what it opens, each as the SDK takes it. */
static void
result(struct tk *t, struct json_object *ans, struct json_object *res)
{
	const struct pbi_token_opts	*o = t->o;
	struct json_object		*a, *r, *rep, *e, *ds, *b;
	const char			*tok = pj_str(ans, "token");
	size_t				 i;

	pj_add_str(res, "workspaceId", t->c.workspace_id);
	pj_add_str(res, "profileId", t->profile);
	pj_add_str(res, "token", tok);
	pj_add_str(res, "tokenId", pj_str(ans, "tokenId"));
	pj_add_str(res, "expiration", pj_str(ans, "expiration"));
	a = json_object_new_array();
	for (i = 0; i < pj_len(t->reps); i++) {
		rep = pj_idx(t->reps, i);
		r = json_object_new_object();
		pj_add_str(r, "id", pj_str(rep, "id"));
		pj_add_str(r, "name", pj_str(rep, "name"));
		pj_add_str(r, "embedUrl", pj_str(rep, "embedUrl"));
		pj_add_str(r, "datasetId", t->bound ? t->bound :
		    pj_str(rep, "datasetId"));
		e = embed_config("report", pj_str(rep, "id"),
		    pj_str(rep, "embedUrl"), tok);
		pj_add_int(e, "permissions", (o->allow_edit ? PERM_READWRITE :
		    0) | (o->allow_save_as ? PERM_COPY : 0));
		if (t->bound != NULL) {
			pj_add_str(r, "boundFrom", pj_str(rep, "datasetId"));
			b = json_object_new_object();
			pj_add_str(b, "datasetId", t->bound);
			pj_add(e, "datasetBinding", b);
		}
		pj_add(r, "embedConfig", e);
		json_object_array_add(a, r);
	}
	pj_add(res, "reports", a);
	a = json_object_new_array();
	for (i = 0; i < pj_len(t->dss); i++) {
		ds = pj_idx(t->dss, i);
		r = json_object_new_object();
		pj_add_str(r, "id", pj_str(ds, "id"));
		pj_add_str(r, "name", pj_str(ds, "name"));
		pj_add_bool(r, "rowLevelSecurity", pj_bool(ds,
		    "isEffectiveIdentityRequired", 0));
		json_object_array_add(a, r);
	}
	pj_add(res, "datasets", a);
	if (o->create && pj_len(t->dss) > 0) {
		ds = pj_idx(t->dss, 0);
		r = json_object_new_object();
		pj_add_str(r, "datasetId", pj_str(ds, "id"));
		pj_add_str(r, "embedUrl", pj_str(ds, "createReportEmbedURL"));
		e = embed_config(NULL, NULL, pj_str(ds,
		    "createReportEmbedURL"), tok);
		pj_add_str(e, "datasetId", pj_str(ds, "id"));
		pj_add(r, "embedConfig", e);
		pj_add(res, "create", r);
	}
	if (t->dash != NULL) {
		r = json_object_new_object();
		pj_add_str(r, "id", pj_str(t->dash, "id"));
		pj_add_str(r, "name", pj_str(t->dash, "displayName"));
		pj_add_str(r, "embedUrl", pj_str(t->dash, "embedUrl"));
		pj_add(r, "embedConfig", embed_config("dashboard",
		    pj_str(t->dash, "id"), pj_str(t->dash, "embedUrl"), tok));
		pj_add(res, "dashboard", r);
	}
	if (t->tile != NULL) {
		r = json_object_new_object();
		pj_add_str(r, "id", pj_str(t->tile, "id"));
		pj_add_str(r, "name", pj_str(t->tile, "title"));
		pj_add_str(r, "embedUrl", pj_str(t->tile, "embedUrl"));
		e = embed_config("tile", pj_str(t->tile, "id"),
		    pj_str(t->tile, "embedUrl"), tok);
		pj_add_str(e, "dashboardId", pj_str(t->dash, "id"));
		pj_add(r, "embedConfig", e);
		pj_add(res, "tile", r);
	}
	pj_add(res, "identity", o->username && pj_len(t->rls) > 0 ?
	    identity(t, 0) : NULL);
}

/* Mint for slug into res (an object holding "customer"). */
static const struct pbi_err *
token(struct pbi_prov *p, const char *slug, const struct pbi_token_opts *o,
    struct json_object *res)
{
	const struct pbi_err	*err;
	struct json_object	*body = NULL, *ans = NULL;
	struct tk		 t;

	memset(&t, 0, sizeof(t));
	t.p = p;
	t.o = o;
	if ((err = load(&t, slug)) != NULL ||
	    (err = o->dashboard ? take_dashboard(&t) : take_content(&t)) ||
	    (err = check_identity(&t)) != NULL)
		goto done;
	if (pj_len(t.reps) == 0 && pj_len(t.dss) == 0 && t.dash == NULL) {
		err = pbi_err(PBI_ERR_USAGE, "name a report, a dataset or a "
		    "dashboard");
		goto done;
	}
	body = request(&t);
	if ((err = mint(&t, body, &ans, res)) == NULL && ans != NULL)
		result(&t, ans, res);
done:
	pbi_json_wipe_put(body);
	pbi_json_wipe_put(ans);
	tk_release(&t);
	return err;
}

const struct pbi_err *
pbi_token(struct pbi_prov *p, const char *slug,
    const struct pbi_token_opts *o, struct json_object **out)
{
	const struct pbi_err	*err;

	*out = json_object_new_object();
	pj_add_str(*out, "customer", slug);
	if ((err = token(p, slug, o, *out)) != NULL) {
		pbi_json_wipe_put(*out);
		*out = NULL;
	}
	return err;
}

const struct pbi_err *
pbi_token_check(struct pbi_prov *p, const char *slug,
    const struct pbi_cust_opts *co, struct json_object *res)
{
	const struct pbi_err	*err;
	struct json_object	*out = json_object_new_object(), *a, *reps;
	static const char *const keep[] = { "workspaceId", "tokenId",
	    "expiration", "expiresInMinutes", "shortened", NULL };
	struct json_object	*v, *copy;
	size_t			 i;

	if ((err = token(p, slug, co->token, out)) == NULL) {
		/* Copies: out is wiped. */
		for (i = 0; keep[i] != NULL; i++) {
			copy = NULL;
			if (json_object_object_get_ex(out, keep[i], &v) &&
			    json_object_deep_copy(v, &copy, NULL) == 0)
				pj_add(res, keep[i], copy);
		}
		a = json_object_new_array();
		reps = pj_arr(out, "reports");
		for (i = 0; i < pj_len(reps); i++)
			json_object_array_add(a, json_object_new_string(
			    pj_str(pj_idx(reps, i), "name")));
		pj_add(res, "reports", a);
	}
	/* The token itself never leaves: wiped with the rest. */
	pbi_json_wipe_put(out);
	return err;
}
