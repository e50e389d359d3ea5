/*
 * grant.c: OAuth2 permission grants of the app's service principal on the
 * Power BI Service and Microsoft Graph: created when missing, widened to
 * the union of scopes, narrowed on request, never deleted but for the
 * last scope revoked.
 */
#include "provision.h"
#include "reconcile.h"
#include "graph/graph.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char	*name;		/* in results */
	const char	*label;		/* for people */
	const char	*app_id;
} resources[] = {
	{ "powerbi", "Power BI", GRAPH_PBI_APPID },
	{ "graph", "Microsoft Graph", GRAPH_GRAPH_APPID },
};
#define NRES	(sizeof(resources) / sizeof(resources[0]))

/* A set of scope names, in the order first seen. */
struct scopes {
	char	**v;
	size_t	  n;
};

static int
scopes_has(const struct scopes *s, const char *name)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 1;
	return 0;
}

/* Add the space-separated names of list.  Returns -1 out of memory. */
static int
scopes_add(struct scopes *s, const char *list)
{
	const char	*p = list, *e;
	char		**nv, *w;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, " \t");
		if (e == p)
			break;
		if ((w = strndup(p, (size_t)(e - p))) == NULL)
			return -1;
		if (scopes_has(s, w)) {
			free(w);
		} else {
			if ((nv = realloc(s->v, (s->n + 1) * sizeof(*nv))) ==
			    NULL) {
				free(w);
				return -1;
			}
			s->v = nv;
			s->v[s->n++] = w;
		}
		p = e;
	}
	return 0;
}

static void
scopes_release(struct scopes *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The names joined by spaces (free(3)). */
static char *
scopes_join(const struct scopes *s)
{
	size_t	 i, n = 1;
	char	*out;

	for (i = 0; i < s->n; i++)
		n += strlen(s->v[i]) + 1;
	if ((out = calloc(1, n)) == NULL)
		return NULL;
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			strncat(out, " ", n - strlen(out) - 1);
		strncat(out, s->v[i], n - strlen(out) - 1);
	}
	return out;
}

static struct json_object *
scopes_json(const struct scopes *s)
{
	struct json_object	*a = json_object_new_array();
	size_t			 i;

	for (i = 0; i < s->n; i++)
		json_object_array_add(a, json_object_new_string(s->v[i]));
	return a;
}

/*
 * The client SP: as sp ensure recorded it (no call needed; it may still
 * be invisible to lookups, api-facts 2.4), or looked up by the client id.
 */
static const struct pbi_err *
client_sp(struct pbi_prov *p, char **id)
{
	const struct pbi_err	*err;
	struct json_object	*sp = NULL;
	char			*client = NULL;

	*id = NULL;
	if ((err = pbi_ledger_get(p->ledger, PBI_SET_SP, id)) != NULL ||
	    *id != NULL)
		return err;
	if ((err = pbi_ledger_get(p->ledger, PBI_SET_CLIENT, &client)) != NULL)
		return err;
	if (client == NULL)
		return pbi_err(PBI_ERR_CONFIG, "the ledger has no client id: "
		    "run 'pbictl init'");
	if ((err = graph_sp_find(p->svc, client, &sp)) == NULL) {
		if (sp == NULL)
			err = pbi_err(PBI_ERR_NOTFOUND, "app %s has no service "
			    "principal in this tenant: run 'pbictl sp ensure' "
			    "first", client);
		else if ((*id = strdup(pj_str(sp, "id"))) == NULL)
			err = pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	json_object_put(sp);
	free(client);
	return err;
}

/* The principal of --consent: NULL for all, else the user's object id. */
static const struct pbi_err *
consent_principal(struct pbi_prov *p, const char *consent, char **principal)
{
	const struct pbi_err	*err;
	struct json_object	*u = NULL;

	*principal = NULL;
	if (consent == NULL || strcmp(consent, "all") == 0)
		return NULL;
	if (strncmp(consent, "user:", 5) != 0 || consent[5] == '\0')
		return pbi_err(PBI_ERR_USAGE, "--consent: expected all or "
		    "user:UPN, not '%s'", consent);
	if ((err = graph_user(p->svc, consent + 5, &u)) != NULL)
		return pbi_err_ctx(err, "cannot look up user '%s'",
		    consent + 5);
	if (u == NULL || pj_str(u, "id") == NULL)
		err = pbi_err(PBI_ERR_NOTFOUND, "no user '%s' in this tenant",
		    consent + 5);
	else if ((*principal = strdup(pj_str(u, "id"))) == NULL)
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
	json_object_put(u);
	return err;
}

/*
 * The grant of client on resource for principal (NULL: AllPrincipals)
 * among all, or NULL.  Borrowed from all.
 */
static struct json_object *
pick(struct json_object *all, const char *resource, const char *principal)
{
	struct json_object	*g;
	const char		*ct, *pr;
	size_t			 i;

	for (i = 0; i < pj_len(all); i++) {
		g = pj_idx(all, i);
		ct = pj_str(g, "consentType");
		pr = pj_str(g, "principalId");
		if (pj_str(g, "resourceId") == NULL ||
		    strcasecmp(pj_str(g, "resourceId"), resource) != 0)
			continue;
		if (principal == NULL && ct && strcmp(ct, "AllPrincipals") == 0)
			return g;
		if (principal != NULL && ct && strcmp(ct, "Principal") == 0 &&
		    pr != NULL && strcasecmp(pr, principal) == 0)
			return g;
	}
	return NULL;
}

/*
 * The grant of client on resource for principal (NULL: AllPrincipals),
 * the scope a create asks for, and the grants read before any create.
 */
struct grant_key {
	const char		*client, *resource, *principal;
	const char		*scope;
	struct json_object	*all;
};

/* The first look: among the grants read once for every resource. */
static const struct pbi_err *
listed_grant(struct pbi_prov *p, const void *arg, struct json_object **out)
{
	const struct grant_key	*k = arg;
	struct json_object	*g;

	(void)p;
	g = pick(k->all, k->resource, k->principal);
	*out = g ? json_object_get(g) : NULL;
	return NULL;
}

static const struct pbi_err *
find_grant(struct pbi_prov *p, const void *arg, struct json_object **out)
{
	const struct grant_key	*k = arg;
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *g;

	*out = NULL;
	if ((err = graph_grants(p->svc, k->client, &all)) != NULL)
		return err;
	if ((g = pick(all, k->resource, k->principal)) != NULL)
		*out = json_object_get(g);
	json_object_put(all);
	return NULL;
}

/*
 * The resource SP of app_id and its scope names; refuse an unknown
 * requested scope, listing the valid ones.
 */
static const struct pbi_err *
resource_sp(struct pbi_prov *p, size_t r, const struct scopes *want,
    struct json_object **sp)
{
	const struct pbi_err	*err;
	struct json_object	*defs;
	struct scopes		 valid = { NULL, 0 }, bad = { NULL, 0 };
	char			*vs = NULL, *bs = NULL;
	size_t			 i;

	if ((err = graph_sp_find(p->svc, resources[r].app_id, sp)) != NULL)
		return err;
	if (*sp == NULL)
		return pbi_err(PBI_ERR_NOTFOUND, "the %s service principal "
		    "(app %s) is not in this tenant", resources[r].label,
		    resources[r].app_id);
	defs = pj_arr(*sp, "oauth2PermissionScopes");
	for (i = 0; i < pj_len(defs); i++)
		if (scopes_add(&valid, pj_str(pj_idx(defs,
		    i), "value")) == -1)
			goto nomem;
	for (i = 0; i < want->n; i++)
		if (!scopes_has(&valid, want->v[i]) &&
		    scopes_add(&bad, want->v[i]) == -1)
			goto nomem;
	if (bad.n > 0) {
		bs = scopes_join(&bad);
		vs = scopes_join(&valid);
		err = pbi_err(PBI_ERR_INPUT, "unknown %s scope%s '%s'; valid "
		    "scopes are: %s", resources[r].label, bad.n > 1 ? "s" : "",
		    bs ? bs : "?", vs ? vs : "?");
	}
	goto done;
nomem:
	err = pbi_err(PBI_ERR_NOMEM, "out of memory");
done:
	free(vs);
	free(bs);
	scopes_release(&valid);
	scopes_release(&bad);
	if (err != NULL) {
		json_object_put(*sp);
		*sp = NULL;
	}
	return err;
}

static const struct pbi_err *
create_grant(struct pbi_prov *p, const void *arg, struct json_object **out)
{
	const struct grant_key	*k = arg;

	return graph_grant_create(p->svc, k->client, k->resource, k->principal,
	    k->scope, out);
}

static const struct pbi_err *
patch_scope(struct pbi_prov *p, const char *id, const char *scope,
    const char *step)
{
	const struct pbi_err	*err;
	int64_t			 jid;

	if ((err = prov_begin(p, 0, step, id, &jid)) != NULL)
		return err;
	err = graph_grant_scope(p->svc, id, scope);
	prov_end(p, jid, err ? "failed" : "ok", id, err);
	return err ? pbi_err_ctx(err, "cannot change the scopes of grant %s",
	    id) : NULL;
}

static const struct pbi_err *
record(struct pbi_prov *p, struct json_object *g, size_t r, const char *scope)
{
	if (p->dry_run || g == NULL)
		return NULL;
	return pbi_ledger_grant_put(p->ledger, pj_str(g, "id"),
	    pj_str(g, "clientId"), pj_str(g, "resourceId"),
	    resources[r].app_id, pj_str(g, "consentType"),
	    pj_str(g, "principalId"), scope);
}

const struct pbi_err *
pbi_grant_ensure(struct pbi_prov *p, const struct pbi_grant_opts *o,
    struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*res_sp[NRES] = { NULL }, *all = NULL;
	struct json_object	*g = NULL, *list, *item;
	struct scopes		 want[NRES], have, added;
	struct grant_key	 k;
	char			*client = NULL, *principal = NULL, *scope = NULL;
	char			 target[128], what[160];
	enum prov_how		 how;
	size_t			 r, i;
	const struct prov_object ro = { .what = what, .step = "grant.create",
	    .target = target, .flags = PROV_ADOPT_ANY | PROV_LAGGED,
	    .resends = 1, .find = listed_grant, .lookup = find_grant,
	    .create = create_grant, .arg = &k };

	*out = NULL;
	memset(want, 0, sizeof(want));
	memset(&have, 0, sizeof(have));
	memset(&added, 0, sizeof(added));
	if (scopes_add(&want[0], o->powerbi_scopes ? o->powerbi_scopes :
	    PBI_DEFAULT_PBI_SCOPES) == -1 || scopes_add(&want[1],
	    o->graph_scopes ? o->graph_scopes : PBI_DEFAULT_GRAPH_SCOPES) ==
	    -1) {
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		goto done;
	}
	/* Everything is checked before the first write. */
	if ((err = client_sp(p, &client)) != NULL ||
	    (err = consent_principal(p, o->consent, &principal)) != NULL)
		goto done;
	for (r = 0; r < NRES; r++)
		if (want[r].n > 0 &&
		    (err = resource_sp(p, r, &want[r], &res_sp[r])) != NULL)
			goto done;
	if ((err = graph_grants(p->svc, client, &all)) != NULL)
		goto done;
	list = json_object_new_array();
	for (r = 0; r < NRES; r++) {
		if (want[r].n == 0)
			continue;
		k.client = client;
		k.resource = pj_str(res_sp[r], "id");
		k.principal = principal;
		k.all = all;
		snprintf(target, sizeof(target), "%s/%s", resources[r].name,
		    principal ? principal : "AllPrincipals");
		item = json_object_new_object();
		json_object_array_add(list, item);
		pj_add_str(item, "resource", resources[r].name);
		pj_add_str(item, "consentType", principal ? "Principal" :
		    "AllPrincipals");
		pj_add_str(item, "principalId", principal);
		scopes_release(&have);
		scopes_release(&added);
		free(scope);
		json_object_put(g);
		g = NULL;
		if ((scope = scopes_join(&want[r])) == NULL) {
			err = pbi_err(PBI_ERR_NOMEM, "out of memory");
			break;
		}
		/*
		 * One grant per client, resource and principal: a 409 or
		 * a lookup finds this deployment's, and a create a lookup
		 * proves lost may be sent once more (api-facts 2.3).
		 */
		k.scope = scope;
		snprintf(what, sizeof(what), "the %s grant", target);
		if ((err = prov_reconcile(p, &ro, &g, &how)) != NULL)
			break;
		if (how == PROV_CREATED) {
			pj_add_str(item, "action", "created");
			pj_add_str(item, "id", g ? pj_str(g, "id") : NULL);
			pj_add(item, "scopes", scopes_json(&want[r]));
			pj_add(item, "added", scopes_json(&want[r]));
			if ((err = record(p, g, r, scope)) != NULL)
				break;
			continue;
		}
		/*
		 * There, or another run's: widen it if it lacks scopes.
		 * The PATCH replaces the list: send the union (2.2).
		 */
		if (scopes_add(&have, pj_str(g, "scope")) == -1) {
			err = pbi_err(PBI_ERR_NOMEM, "out of memory");
			break;
		}
		for (i = 0; i < want[r].n; i++)
			if (!scopes_has(&have, want[r].v[i]))
				scopes_add(&added, want[r].v[i]);
		scopes_add(&have, pj_str(g, "scope"));
		for (i = 0; i < added.n; i++)
			scopes_add(&have, added.v[i]);
		free(scope);
		scope = scopes_join(&have);
		pj_add_str(item, "id", pj_str(g, "id"));
		if (added.n > 0) {
			if ((err = patch_scope(p, pj_str(g, "id"), scope,
			    "grant.widen")) != NULL)
				break;
			pj_add_str(item, "action", "updated");
		} else
			pj_add_str(item, "action", how == PROV_RECOVERED ?
			    "adopted" : "unchanged");
		pj_add(item, "scopes", scopes_json(&have));
		pj_add(item, "added", scopes_json(&added));
		if ((err = record(p, g, r, scope)) != NULL)
			break;
	}
	if (err == NULL) {
		*out = json_object_new_object();
		pj_add_str(*out, "clientId", client);
		pj_add(*out, "grants", list);
	} else
		json_object_put(list);
done:
	for (r = 0; r < NRES; r++) {
		json_object_put(res_sp[r]);
		scopes_release(&want[r]);
	}
	scopes_release(&have);
	scopes_release(&added);
	json_object_put(g);
	json_object_put(all);
	free(client);
	free(principal);
	free(scope);
	return err;
}

const struct pbi_err *
pbi_grant_list(struct pbi_prov *p, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *sp = NULL, *g, *o, *list;
	char			*client = NULL;
	const char		*rid;
	size_t			 i, r;
	const char		*ids[NRES] = { NULL };
	struct json_object	*sps[NRES] = { NULL };

	*out = NULL;
	if ((err = client_sp(p, &client)) != NULL)
		return err;
	if ((err = graph_grants(p->svc, client, &all)) != NULL)
		goto done;
	for (r = 0; r < NRES; r++) {
		if ((err = graph_sp_find(p->svc, resources[r].app_id,
		    &sps[r])) != NULL)
			goto done;
		ids[r] = sps[r] ? pj_str(sps[r], "id") : NULL;
	}
	list = json_object_new_array();
	for (i = 0; i < pj_len(all); i++) {
		g = pj_idx(all, i);
		rid = pj_str(g, "resourceId");
		o = json_object_new_object();
		pj_add_str(o, "id", pj_str(g, "id"));
		for (r = 0; r < NRES; r++)
			if (ids[r] && rid && strcasecmp(ids[r], rid) == 0)
				break;
		pj_add_str(o, "resource", r < NRES ? resources[r].name : rid);
		pj_add_str(o, "resourceId", rid);
		pj_add_str(o, "consentType", pj_str(g, "consentType"));
		pj_add_str(o, "principalId", pj_str(g, "principalId"));
		pj_add_str(o, "scope", pj_str(g, "scope"));
		json_object_array_add(list, o);
	}
	*out = json_object_new_object();
	pj_add_str(*out, "clientId", client);
	pj_add(*out, "grants", list);
done:
	for (r = 0; r < NRES; r++)
		json_object_put(sps[r]);
	json_object_put(sp);
	json_object_put(all);
	free(client);
	return err;
}

const struct pbi_err *
pbi_grant_revoke(struct pbi_prov *p, const struct pbi_grant_opts *o,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *sp = NULL, *g, *list, *item;
	struct scopes		 drop = { NULL, 0 }, have, kept, gone;
	char			*client = NULL, *principal = NULL;
	char			*scope = NULL;
	size_t			 r, i;
	int64_t			 jid;

	*out = NULL;
	memset(&have, 0, sizeof(have));
	memset(&kept, 0, sizeof(kept));
	memset(&gone, 0, sizeof(gone));
	if (scopes_add(&drop, o->revoke) == -1)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	if (drop.n == 0)
		return pbi_err(PBI_ERR_USAGE, "name the scopes to revoke with "
		    "--scope");
	if ((err = client_sp(p, &client)) != NULL ||
	    (err = consent_principal(p, o->consent, &principal)) != NULL ||
	    (err = graph_grants(p->svc, client, &all)) != NULL)
		goto done;
	list = json_object_new_array();
	for (r = 0; r < NRES && err == NULL; r++) {
		if ((r == 0 && !o->powerbi) || (r == 1 && !o->graph))
			continue;
		json_object_put(sp);
		if ((err = graph_sp_find(p->svc, resources[r].app_id, &sp)) !=
		    NULL || sp == NULL)
			continue;
		if ((g = pick(all, pj_str(sp, "id"), principal)) == NULL)
			continue;
		scopes_release(&have);
		scopes_release(&kept);
		scopes_release(&gone);
		scopes_add(&have, pj_str(g, "scope"));
		for (i = 0; i < have.n; i++)
			scopes_add(scopes_has(&drop, have.v[i]) ? &gone : &kept,
			    have.v[i]);
		item = json_object_new_object();
		json_object_array_add(list, item);
		pj_add_str(item, "resource", resources[r].name);
		pj_add_str(item, "id", pj_str(g, "id"));
		pj_add_str(item, "consentType", pj_str(g, "consentType"));
		pj_add_str(item, "principalId", pj_str(g, "principalId"));
		pj_add(item, "removed", scopes_json(&gone));
		pj_add(item, "scopes", scopes_json(&kept));
		if (gone.n == 0) {
			pj_add_str(item, "action", "unchanged");
			continue;
		}
		if (kept.n > 0) {
			free(scope);
			scope = scopes_join(&kept);
			if ((err = patch_scope(p, pj_str(g, "id"), scope,
			    "grant.narrow")) == NULL) {
				pj_add_str(item, "action", "updated");
				err = record(p, g, r, scope);
			}
			continue;
		}
		/* The last scope: the grant goes. */
		if ((err = prov_begin(p, 0, "grant.delete", pj_str(g, "id"),
		    &jid)) != NULL)
			continue;
		err = graph_grant_delete(p->svc, pj_str(g, "id"));
		if (err != NULL && err->status == 404)
			err = NULL;
		prov_end(p, jid, err ? "failed" : "ok", pj_str(g, "id"), err);
		if (err == NULL) {
			pj_add_str(item, "action", "deleted");
			if (!p->dry_run)
				err = pbi_ledger_grant_del(p->ledger,
				    pj_str(g, "id"));
		}
	}
	if (err == NULL) {
		*out = json_object_new_object();
		pj_add_str(*out, "clientId", client);
		pj_add(*out, "grants", list);
	} else
		json_object_put(list);
done:
	scopes_release(&drop);
	scopes_release(&have);
	scopes_release(&kept);
	scopes_release(&gone);
	json_object_put(all);
	json_object_put(sp);
	free(client);
	free(principal);
	free(scope);
	return err;
}
