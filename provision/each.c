/*
 * each.c: a workflow over many customers, --jobs at a time.  The threads
 * share one HTTP client (one connection pool), one token cache and the
 * ledger; each customer's outcome is kept, in order, for the report.
 * On a shared (PostgreSQL) ledger a run that changes customers
 * (lock_customers) works each under its own lock, so that concurrent
 * runs never work on one customer at once.
 */
#include "provision.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct each {
	struct pbi_prov			*p;
	const char *const		*slugs;
	size_t				 n;
	pbi_cust_fn			 fn;
	const struct pbi_cust_opts	*o;
	const char			*what;
	struct json_object		**res;
	pthread_mutex_t			 lock;
	size_t				 next;
	size_t				 done;
	size_t				 failed;
	int				 tty;
	/* For PBI_JOBS_AUTO: the threads, and what the done ones took. */
	int				 autojobs;
	pthread_t			 th[PBI_JOBS_MAX];
	int				 started;
	long				 sent0;	/* requests before */
	int64_t				 busy_ms; /* customers' time */
};

static void	*worker(void *);

/*
 * More threads, if the budget can feed them (pbi_each_customer).  Caller
 * holds e->lock.
 */
static void
grow(struct each *e)
{
	struct pbi_http	*h = e->p->svc ? e->p->svc->http : NULL;
	double		 rate, per, secs, want;
	size_t		 running;

	if (!e->autojobs || h == NULL || e->done == 0 ||
	    e->started >= PBI_JOBS_MAX)
		return;
	pbi_http_rate(h, &rate);
	running = e->next > e->done ? e->next - e->done : 0;
	/* Requests of the customers in flight count as half done. */
	per = (double)(pbi_http_sent(h) - e->sent0) /
	    ((double)e->done + (double)running / 2);
	secs = (double)e->busy_ms / 1000.0 / (double)e->done;
	if (rate <= 0 || per <= 0)
		want = PBI_JOBS_MAX;
	else
		want = (double)(long)(1.25 * rate * secs / per) + 1;
	while (e->started < want && e->started < PBI_JOBS_MAX &&
	    (size_t)e->started < e->n && e->next < e->n) {
		if (pthread_create(&e->th[e->started], NULL, worker, e) != 0)
			break;
		e->started++;
	}
}

static void
progress(struct each *e, const char *slug)
{
	if (!e->tty || e->p->quiet)
		return;
	fprintf(stderr, "\r%s: %zu/%zu done, %zu failed  %-40.40s", e->what,
	    e->done, e->n, e->failed, slug);
	if (e->done == e->n)
		fputc('\n', stderr);
	fflush(stderr);
}

/*
 * e->fn for slug, on a shared ledger under the customer's lock: a run
 * that cannot have it within the wait skips the customer (an error that
 * says so); a wait or a skip is journaled as step customer.lock, where
 * two runs' overlap shows.  Returns fn's error, or the skip's.
 */
static const struct pbi_err *
locked(struct each *e, const char *slug, struct json_object *r)
{
	const struct pbi_err	*err;
	struct pbi_ledger	*l = e->p->ledger;
	struct pbi_err		 saved;
	char			 name[96];
	int64_t			 jid = 0;
	int			 got;

	if (e->p->dry_run || !e->p->lock_customers || !pbi_ledger_shared(l))
		return e->fn(e->p, slug, e->o, r);
	snprintf(name, sizeof(name), "customer:%s", slug);
	if ((err = pbi_ledger_lock(l, name, &got)) != NULL)
		return err;
	if (got == 0) {
		err = pbi_err(PBI_ERR_REFUSED, "customer '%s' skipped: "
		    "another pbictl run has held its lock in ledger '%s' for "
		    "%d s (--lock-wait): re-run once it has finished", slug,
		    pbi_ledger_path(l), pbi_ledger_lock_wait(l));
		pbi_err_copy(&saved, err);
		if (prov_begin(e->p, 0, "customer.lock", slug, &jid) == NULL)
			prov_end(e->p, jid, "skipped", NULL, &saved);
		return pbi_err_restore(&saved);
	}
	if (got == 2 && (err = prov_begin(e->p, 0, "customer.lock", slug,
	    &jid)) == NULL)
		err = prov_end(e->p, jid, "ok", "waited for another run",
		    NULL);
	if (err == NULL)
		err = e->fn(e->p, slug, e->o, r);
	if (err != NULL) {
		pbi_err_copy(&saved, err);
		pbi_ledger_unlock(l, name);
		return pbi_err_restore(&saved);
	}
	return pbi_ledger_unlock(l, name);
}

static void *
worker(void *arg)
{
	struct each		*e = arg;
	const struct pbi_err	*err;
	struct json_object	*r;
	char			 msg[2048];
	size_t			 i;
	int64_t			 t0;

	for (;;) {
		pthread_mutex_lock(&e->lock);
		i = e->next++;
		pthread_mutex_unlock(&e->lock);
		if (i >= e->n)
			break;
		r = e->res[i];
		t0 = pbi_now_ms();
		err = locked(e, e->slugs[i], r);
		pj_add_str(r, "status", err ? "failed" : "ok");
		if (err != NULL) {
			pj_add_str(r, "error", pbi_err_str(err, msg,
			    sizeof(msg)));
			pj_add_str(r, "requestId", err->request_id[0] ?
			    err->request_id : NULL);
		}
		pthread_mutex_lock(&e->lock);
		e->done++;
		e->failed += err != NULL;
		e->busy_ms += pbi_now_ms() - t0;
		progress(e, e->slugs[i]);
		grow(e);
		pthread_mutex_unlock(&e->lock);
	}
	return NULL;
}

const struct pbi_err *
pbi_each_customer(struct pbi_prov *p, const char *const *slugs, size_t n,
    int jobs, pbi_cust_fn fn, const struct pbi_cust_opts *o,
    const char *what, struct json_object **out, size_t *failed)
{
	struct each	*ep;
	size_t		 i;
	int		 t;

	*out = NULL;
	*failed = 0;
	/* Big (the threads), and the threads' own: not on this stack. */
	if ((ep = calloc(1, sizeof(*ep))) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	ep->p = p;
	ep->slugs = slugs;
	ep->n = n;
	ep->fn = fn;
	ep->o = o;
	ep->what = what;
	ep->tty = isatty(STDERR_FILENO);
	if ((ep->res = calloc(n ? n : 1, sizeof(*ep->res))) == NULL) {
		free(ep);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		ep->res[i] = json_object_new_object();
		pj_add_str(ep->res[i], "customer", slugs[i]);
	}
	pthread_mutex_init(&ep->lock, NULL);
	if (jobs <= PBI_JOBS_AUTO) {
		ep->autojobs = 1;
		jobs = PBI_JOBS_START;
		ep->sent0 = p->svc ? pbi_http_sent(p->svc->http) : 0;
	}
	if (jobs > PBI_JOBS_MAX)
		jobs = PBI_JOBS_MAX;
	if ((size_t)jobs > n)
		jobs = (int)(n ? n : 1);
	pthread_mutex_lock(&ep->lock);
	for (t = 0; jobs > 1 && t < jobs; t++)
		if (pthread_create(&ep->th[ep->started], NULL, worker, ep) == 0)
			ep->started++;
	pthread_mutex_unlock(&ep->lock);
	if (ep->started == 0)
		worker(ep);
	/* grow() adds threads while these run; started only grows. */
	for (t = 0;; t++) {
		pthread_mutex_lock(&ep->lock);
		if (t >= ep->started) {
			pthread_mutex_unlock(&ep->lock);
			break;
		}
		pthread_mutex_unlock(&ep->lock);
		pthread_join(ep->th[t], NULL);
	}
	pthread_mutex_destroy(&ep->lock);
	*out = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(*out, ep->res[i]);
	free(ep->res);
	*failed = ep->failed;
	free(ep);
	return NULL;
}
