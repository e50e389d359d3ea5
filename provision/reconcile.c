/*
 * reconcile.c: find, adopt or create one object, the same way for every
 * kind (profiles, workspaces, grants, service principals, applications),
 * and lookups through Graph's replication delay (api-facts 2.4).
 */
#include "reconcile.h"

#include <stdlib.h>
#include <string.h>

#define B64URL	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
		"0123456789-_"

const struct pbi_err *
prov_lookup_lagged(struct pbi_prov *p, prov_lookup_fn fn, const void *arg,
    struct json_object **out)
{
	const struct pbi_err	*err;
	const char		*v = getenv("PBICTL_REPLICATION_WAIT");
	int64_t			 end, wait = 250;

	end = pbi_now_ms() + (v && *v ? atol(v) : 60) * 1000;
	for (;;) {
		if ((err = fn(p, arg, out)) != NULL || *out != NULL)
			return err;
		if (pbi_now_ms() + wait > end)
			return NULL;
		pbi_sleep_ms(wait);
		if (wait < 8000)
			wait *= 2;
	}
}

int
prov_ambiguous(const struct pbi_err *e)
{
	if (e == NULL)
		return 0;
	if (e->code == PBI_ERR_NET || e->code == PBI_ERR_PROTO ||
	    e->code == PBI_ERR_DEADLINE)
		return 1;
	return e->code == PBI_ERR_HTTP && e->status >= 500;
}

int
prov_exists(const struct pbi_err *e)
{
	return e != NULL && e->code == PBI_ERR_HTTP && e->status == 409;
}

const char *
prov_object_id(const struct prov_object *o, const struct json_object *obj)
{
	const char	*id = pj_str(obj, o->id_key ? o->id_key : "id");
	size_t		 n;

	if (id == NULL || (n = strlen(id)) == 0 || n > 256)
		return NULL;
	if (o->flags & PROV_GUID)
		/* The dry-run placeholder is nobody's id. */
		return pbi_is_guid(id) && strcmp(id, PROV_DRY_ID) != 0 ? id :
		    NULL;
	/* Opaque ids (a grant's) are base64url (api-facts 2.2). */
	return strspn(id, B64URL) == n ? id : NULL;
}

/* The error for obj, which the service shows without a usable id. */
static const struct pbi_err *
bad_id(const struct prov_object *o, const struct json_object *obj)
{
	const char	*id = pj_str(obj, o->id_key ? o->id_key : "id");

	if (id == NULL)
		return pbi_err(PBI_ERR_PROTO, "the service shows %s without "
		    "an id", o->what);
	return pbi_err(PBI_ERR_PROTO, "the service shows %s with an invalid "
	    "id '%.64s'", o->what, id);
}

/* obj, found before any create: ours if its key or the journal says so. */
static const struct pbi_err *
adopt(struct pbi_prov *p, const struct prov_object *o,
    struct json_object *obj, struct json_object **out, enum prov_how *how)
{
	const struct pbi_err	*err;
	const char		*id;
	int			 ours = 1;

	if ((id = prov_object_id(o, obj)) == NULL) {
		err = bad_id(o, obj);
		goto fail;
	}
	if (!(o->flags & PROV_ADOPT_ANY) && p->ledger != NULL &&
	    (err = pbi_ledger_journaled(p->ledger, o->step, o->target, 0,
	    &ours)) != NULL)
		goto fail;
	if (!ours || (!(o->flags & PROV_ADOPT_ANY) && p->ledger == NULL)) {
		err = pbi_err(PBI_ERR_REFUSED, "%s (%s) exists and this ledger "
		    "did not create it: someone else's, not adopted", o->what,
		    id);
		goto fail;
	}
	/* What an interrupted run set out to do is done. */
	if (!p->dry_run && p->ledger != NULL &&
	    (err = pbi_ledger_settle(p->ledger, o->step, o->target, id)) !=
	    NULL)
		goto fail;
	*how = PROV_FOUND;
	*out = obj;
	return NULL;
fail:
	json_object_put(obj);
	return err;
}

const struct pbi_err *
prov_reconcile(struct pbi_prov *p, const struct prov_object *o,
    struct json_object **out, enum prov_how *how)
{
	const struct pbi_err	*err;
	struct pbi_err		 saved;
	struct json_object	*obj = NULL;
	prov_lookup_fn		 lookup = o->lookup ? o->lookup : o->find;
	int64_t			 jid = 0;
	int			 earlier = 0, maybe = 0, sends = 0, tried = 1;

	*out = NULL;
	*how = PROV_CREATED;
	/*
	 * A unique key this ledger never tried needs no lookup first: if
	 * it exists, the create's 409 says so, and the lookup after it
	 * applies the same rule.  A dry run sends no create, so it looks.
	 */
	if ((o->flags & PROV_UNIQUE) && !(o->flags & PROV_ADOPT_ANY) &&
	    p->ledger != NULL && !p->dry_run && o->find != NULL &&
	    (err = pbi_ledger_attempted(p->ledger, o->customer, o->step,
	    o->target, &tried)) != NULL)
		return err;
	if (o->find != NULL && tried) {
		if ((err = o->find(p, o->arg, &obj)) != NULL)
			return err;
		if (obj != NULL)
			return adopt(p, o, obj, out, how);
	}
	/*
	 * Did an earlier run set out to create it?  Asked before this
	 * run's intent is journalled, for a 409 below.
	 */
	if (!(o->flags & PROV_ADOPT_ANY) && p->ledger != NULL &&
	    (err = pbi_ledger_journaled(p->ledger, o->step, o->target, 0,
	    &earlier)) != NULL)
		return err;
	if ((err = prov_begin(p, o->customer, o->step, o->target, &jid)) !=
	    NULL)
		return err;
	for (;;) {
		err = o->create(p, o->arg, &obj);
		sends++;
		if (err == NULL && (p->dry_run || prov_object_id(o, obj)))
			break;
		if (err == NULL)
			/* An empty body, {} or {"id":42}: did it land? */
			err = pbi_err(PBI_ERR_PROTO, "the service answered "
			    "without a valid id");
		json_object_put(obj);
		obj = NULL;
		if (!prov_ambiguous(err) && !prov_exists(err))
			goto fail;
		pbi_err_copy(&saved, err);
		maybe |= prov_ambiguous(err);
		if ((err = o->flags & PROV_LAGGED ? prov_lookup_lagged(p,
		    lookup, o->arg, &obj) : lookup(p, o->arg, &obj)) != NULL)
			goto fail;
		if (obj != NULL && prov_object_id(o, obj) == NULL) {
			err = bad_id(o, obj);
			goto fail;
		}
		if (obj != NULL && !maybe && !earlier &&
		    !(o->flags & PROV_ADOPT_ANY)) {
			/*
			 * A 409 alone: it was made in the meantime, by
			 * someone else.  The 409 stays in the journal, no
			 * evidence of ownership.
			 */
			err = pbi_err_ctx(pbi_err_restore(&saved), "it %s, "
			    "and this ledger did not create it: someone "
			    "else's, not adopted", tried ? "appeared "
			    "meanwhile" : "exists");
			goto fail;
		}
		if (obj != NULL) {
			*how = PROV_RECOVERED;
			break;
		}
		if (prov_exists(&saved)) {
			err = pbi_err_ctx(pbi_err_restore(&saved), "it exists "
			    "but does not show %s", o->flags & PROV_LAGGED ?
			    "yet: re-run to reconcile" : "to this principal: "
			    "someone else's");
			goto fail;
		}
		/* Proven not created: sending again cannot duplicate it. */
		if (sends <= o->resends)
			continue;
		err = pbi_err_ctx(pbi_err_restore(&saved), "it does not show "
		    "after %d failed create%s: re-run to reconcile", sends,
		    sends > 1 ? "s" : "");
		goto fail;
	}
	if ((err = prov_end(p, jid, *how == PROV_RECOVERED ? "adopted" : "ok",
	    obj ? prov_object_id(o, obj) : NULL, NULL)) != NULL) {
		json_object_put(obj);
		return err;
	}
	*out = obj;
	return NULL;
fail:
	json_object_put(obj);
	err = pbi_err_ctx(err, "cannot create %s", o->what);
	prov_end(p, jid, "failed", NULL, err);
	return err;
}
