/*
 * poll.c: when to poll an asynchronous operation (steps.h): the first
 * poll near the time operations of its kind took this run, then the
 * back-off ladder.
 */
#include "steps.h"

#include <pthread.h>
#include <string.h>

#define LADDER_CAP_MS	5000

void
prov_poll_begin(struct prov_poll *pl, struct pbi_prov *p,
    enum prov_async kind, int64_t base_ms, int fresh)
{
	int64_t	 est;

	memset(pl, 0, sizeof(*pl));
	pl->p = p;
	pl->kind = kind;
	pl->fresh = fresh;
	pl->start = pbi_now_ms();
	pl->step = base_ms;
	pl->first = -1;
	if (p->lock != NULL)
		pthread_mutex_lock(p->lock);
	est = p->async_ms[kind];
	if (p->lock != NULL)
		pthread_mutex_unlock(p->lock);
	pl->est = fresh ? est : 0;
	/* An import shows Publishing to one poll at least (api-facts 6). */
	pl->lead = kind == PROV_ASYNC_IMPORT ? 1 : 0;
	pl->due = pl->start + (pl->lead == 0 ? pl->est : 0);
}

void
prov_poll_wait(struct prov_poll *pl, int64_t end)
{
	int64_t	 now = pbi_now_ms(), at = pl->due < end ? pl->due : end;

	if (at > now)
		pbi_sleep_ms(at - now);
	pl->sent = pbi_now_ms() - pl->start;
	if (pl->first < 0)
		pl->first = pl->sent;
	pl->polls++;
}

/* What this operation teaches the estimate of its kind. */
static void
learn(struct prov_poll *pl)
{
	struct pbi_prov	*p = pl->p;
	int64_t		*est = &p->async_ms[pl->kind], e, seen = pl->sent;

	if (p->lock != NULL)
		pthread_mutex_lock(p->lock);
	e = *est;
	if (pl->polls == pl->lead + 1 && e > 0)
		/* Done when first looked: perhaps earlier still. */
		e -= e / 100 > 0 ? e / 100 : 1;
	else if (pl->polls == pl->lead + 1)
		e = seen;
	else if (e > 0) {
		/* Not done at the estimate: later, not past when seen. */
		e += e * 15 / 100 > 0 ? e * 15 / 100 : 1;
		if (e > seen)
			e = seen;
	} else
		/* The first of its kind: between the last two polls. */
		e = pl->pending + (seen - pl->pending) / 2;
	*est = e > 0 ? e : 1;
	if (p->lock != NULL)
		pthread_mutex_unlock(p->lock);
}

int64_t
prov_poll_seen(struct prov_poll *pl, int done)
{
	int64_t	 now = pbi_now_ms();

	if (done) {
		if (pl->fresh)
			learn(pl);
		return now;
	}
	pl->pending = pl->sent;
	if (pl->polls == pl->lead && pl->start + pl->est > now) {
		/* The lead poll is answered: on to the estimate. */
		pl->due = pl->start + pl->est;
		return pl->due;
	}
	pl->due = now + pl->step;
	if (pl->step < LADDER_CAP_MS)
		pl->step = pl->step * 3 / 2;
	return pl->due;
}
