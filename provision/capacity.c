/*
 * capacity.c: the capacities a principal may assign, and the assignment
 * of a customer's workspace to one, asynchronous (api-facts 3.3).
 */
#include "provision.h"
#include "steps.h"
#include "powerbi/powerbi.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

/* Fill the cache of capacities, once.  Caller holds p->lock. */
static const struct pbi_err *
capacities_locked(struct pbi_prov *p)
{
	if (p->capacities != NULL)
		return NULL;
	return pb_capacities(p->svc, NULL, &p->capacities);
}

const struct pbi_err *
pbi_capacity_list(struct pbi_prov *p, struct json_object **out)
{
	const struct pbi_err	*err;

	*out = NULL;
	pthread_mutex_lock(p->lock);
	/* A copy: the cache's reference count is not for other threads. */
	if ((err = capacities_locked(p)) == NULL &&
	    json_object_deep_copy(p->capacities, out, NULL) != 0)
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
	pthread_mutex_unlock(p->lock);
	return err;
}

const struct pbi_err *
pbi_capacity_check(struct pbi_prov *p, const char *cap)
{
	const struct pbi_err	*err;
	struct json_object	*c = NULL;
	char			 st[32] = "", right[32] = "", name[256] = "";
	size_t			 i;
	int			 found = 0;

	if (!pbi_is_guid(cap))
		return pbi_err(PBI_ERR_INPUT, "invalid capacity id '%s'", cap);
	pthread_mutex_lock(p->lock);
	if ((err = capacities_locked(p)) == NULL) {
		for (i = 0; i < pj_len(p->capacities); i++) {
			c = pj_idx(p->capacities, i);
			if (pj_str(c, "id") == NULL ||
			    strcasecmp(pj_str(c, "id"), cap) != 0)
				continue;
			found = 1;
			pbi_strlcpy(st, pj_str(c, "state") ? pj_str(c,
			    "state") : "?", sizeof(st));
			pbi_strlcpy(right, pj_str(c,
			    "capacityUserAccessRight") ? pj_str(c,
			    "capacityUserAccessRight") : "", sizeof(right));
			pbi_strlcpy(name, pj_str(c, "displayName") ?
			    pj_str(c, "displayName") : "", sizeof(name));
		}
	}
	pthread_mutex_unlock(p->lock);
	if (err != NULL)
		return pbi_err_ctx(err, "cannot list capacities");
	if (!found)
		return pbi_err(PBI_ERR_NOTFOUND, "capacity %s is not among the "
		    "capacities this principal may assign (pbictl capacity "
		    "list)", cap);
	if (strcmp(st, "Active") != 0)
		return pbi_err(PBI_ERR_REFUSED, "capacity %s (%s) is %s, not "
		    "Active", cap, name, st);
	if (right[0] != '\0' && strcmp(right, "Assign") != 0 &&
	    strcmp(right, "Admin") != 0)
		return pbi_err(PBI_ERR_REFUSED, "capacity %s (%s): this "
		    "principal may not assign workspaces to it (%s)", cap,
		    name, right);
	return NULL;
}

/* Assign the workspace to cap and wait for the assignment to finish. */
const struct pbi_err *
prov_step_capacity(struct pbi_prov *p, struct pbi_customer *c, const char *cap,
    struct json_object *res)
{
	const struct pbi_err	*err;
	struct json_object	*st = NULL;
	struct prov_poll	 pl;
	const char		*s, *prof = prov_as_profile(p, c);
	int64_t			 jid, end;

	if (cap == NULL || cap[0] == '\0' ||
	    strcasecmp(c->capacity_id, cap) == 0)
		return NULL;
	if ((err = pbi_capacity_check(p, cap)) != NULL)
		return err;
	if ((err = prov_begin(p, c->id, "capacity.assign", c->workspace_id,
	    &jid)) != NULL)
		return err;
	if ((err = pb_assign(p->svc, prof, c->workspace_id, cap)) != NULL ||
	    p->dry_run)
		goto done;
	/*
	 * Asynchronous (api-facts 3.3): poll when assignments have been
	 * taking, then with backoff, to a deadline.
	 */
	end = pbi_now_ms() + prov_env_ms("PBICTL_ASSIGN_TIMEOUT", 600);
	prov_poll_begin(&pl, p, PROV_ASYNC_ASSIGN, 250, 1);
	for (;;) {
		json_object_put(st);
		st = NULL;
		prov_poll_wait(&pl, end);
		if ((err = pb_assign_status(p->svc, prof, c->workspace_id,
		    &st)) != NULL)
			break;
		s = pj_str(st, "status");
		if (s != NULL && strcmp(s, "CompletedSuccessfully") == 0 &&
		    (pj_str(st, "capacityId") == NULL ||
		    strcasecmp(pj_str(st, "capacityId"), cap) == 0)) {
			prov_poll_seen(&pl, 1);
			break;
		}
		if (s != NULL && strcmp(s, "AssignmentFailed") == 0) {
			err = pbi_err(PBI_ERR_HTTP, "the assignment failed "
			    "(activity %s)", pj_str(st, "activityId") ?
			    pj_str(st, "activityId") : "-");
			break;
		}
		if (prov_poll_seen(&pl, 0) > end) {
			err = pbi_err(PBI_ERR_DEADLINE, "the assignment is "
			    "still %s after %lld s; re-run to resume",
			    s ? s : "pending", (long long)prov_env_ms(
			    "PBICTL_ASSIGN_TIMEOUT", 600) / 1000);
			break;
		}
	}
done:
	json_object_put(st);
	prov_end(p, jid, err ? "failed" : "ok", cap, err);
	if (err != NULL)
		return pbi_err_ctx(err, "cannot assign workspace '%s' to "
		    "capacity %s", c->workspace_name, cap);
	pbi_strlcpy(c->capacity_id, cap, sizeof(c->capacity_id));
	prov_did(res, "capacity", "assigned");
	if (!p->dry_run)
		return pbi_ledger_workspace_capacity(p->ledger,
		    c->workspace_id, cap);
	return NULL;
}
