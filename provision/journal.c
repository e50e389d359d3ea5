/*
 * journal.c: the run id and the step journal of a workflow, and what
 * the steps of a customer's pipeline share (steps.h).
 */
#include "provision.h"
#include "steps.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void
pbi_prov_init(struct pbi_prov *p, struct pbi_svc *svc, struct pbi_ledger *l,
    int dry_run)
{
	memset(p, 0, sizeof(*p));
	p->svc = svc;
	p->ledger = l;
	p->dry_run = dry_run;
	pbi_random_hex(p->run_id, 8);
}

const struct pbi_err *
prov_begin(struct pbi_prov *p, int64_t customer, const char *step,
    const char *target, int64_t *jid)
{
	return prov_begin_note(p, customer, step, target, NULL, jid);
}

const struct pbi_err *
prov_begin_note(struct pbi_prov *p, int64_t customer, const char *step,
    const char *target, const char *note, int64_t *jid)
{
	*jid = 0;
	if (p->dry_run || p->ledger == NULL)
		return NULL;
	/* The calls of this step, from here: their request ids. */
	pbi_http_mark();
	return pbi_ledger_intent_note(p->ledger, p->run_id, customer, step,
	    target, note, jid);
}

const struct pbi_err *
prov_end(struct pbi_prov *p, int64_t jid, const char *state,
    const char *result, const struct pbi_err *failure)
{
	const struct pbi_err	*err;
	struct pbi_err		 saved;

	if (jid == 0 || p->ledger == NULL)
		return NULL;
	if (failure == NULL)
		return pbi_ledger_done(p->ledger, jid, state, result,
		    pbi_http_request_id(), NULL);
	/*
	 * failure is this thread's error slot: keep it there for the
	 * caller, whatever journalling it raises.
	 */
	pbi_err_copy(&saved, failure);
	err = pbi_ledger_done(p->ledger, jid, state, result,
	    pbi_http_request_id(), &saved);
	(void)err;
	pbi_err_restore(&saved);
	return NULL;
}

const struct pbi_err *
pbi_prov_load(struct pbi_prov *p)
{
	const struct pbi_err	*err;
	char			*iso = NULL, *tpl = NULL, *cap = NULL;
	pthread_mutex_t		*m;

	if (p->lock == NULL) {
		if ((m = malloc(sizeof(*m))) == NULL)
			return pbi_err(PBI_ERR_NOMEM, "out of memory");
		pthread_mutex_init(m, NULL);
		p->lock = m;
	}
	if ((err = pbi_ledger_get(p->ledger, PBI_SET_ISOLATION, &iso)) ||
	    (err = pbi_ledger_get(p->ledger, PBI_SET_TEMPLATE, &tpl)) ||
	    (err = pbi_ledger_get(p->ledger, PBI_SET_CAPACITY, &cap)))
		goto done;
	p->profiles = iso == NULL || strcmp(iso, "profile") == 0;
	pbi_strlcpy(p->template, tpl ? tpl : "cust-{slug}",
	    sizeof(p->template));
	pbi_strlcpy(p->capacity, cap ? cap : "", sizeof(p->capacity));
done:
	free(iso);
	free(tpl);
	free(cap);
	return err;
}

void
pbi_prov_release(struct pbi_prov *p)
{
	json_object_put(p->capacities);
	p->capacities = NULL;
	if (p->lock != NULL) {
		pthread_mutex_destroy(p->lock);
		free(p->lock);
		p->lock = NULL;
	}
}

/* Note what a step did in the customer's result. */
void
prov_did(struct json_object *res, const char *step, const char *what)
{
	struct json_object	*steps = pj_obj(res, "steps");

	if (steps == NULL) {
		steps = json_object_new_object();
		pj_add(res, "steps", steps);
	}
	pj_add_str(steps, step, what);
}

const char *
prov_as_profile(const struct pbi_prov *p, const struct pbi_customer *c)
{
	if (!p->profiles || c->profile_id[0] == '\0' ||
	    strcmp(c->profile_id, PROV_DRY_ID) == 0)
		return NULL;
	return c->profile_id;
}

int64_t
prov_env_ms(const char *name, int64_t def_s)
{
	const char	*v = getenv(name);

	return (v && *v ? atol(v) : def_s) * 1000;
}
