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
};

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

	for (;;) {
		pthread_mutex_lock(&e->lock);
		i = e->next++;
		pthread_mutex_unlock(&e->lock);
		if (i >= e->n)
			break;
		r = e->res[i];
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
		progress(e, e->slugs[i]);
		pthread_mutex_unlock(&e->lock);
	}
	return NULL;
}

const struct pbi_err *
pbi_each_customer(struct pbi_prov *p, const char *const *slugs, size_t n,
    int jobs, pbi_cust_fn fn, const struct pbi_cust_opts *o,
    const char *what, struct json_object **out, size_t *failed)
{
	struct each	 e;
	pthread_t	*th = NULL;
	size_t		 i;
	int		 started = 0, t;

	*out = NULL;
	*failed = 0;
	memset(&e, 0, sizeof(e));
	e.p = p;
	e.slugs = slugs;
	e.n = n;
	e.fn = fn;
	e.o = o;
	e.what = what;
	e.tty = isatty(STDERR_FILENO);
	if ((e.res = calloc(n ? n : 1, sizeof(*e.res))) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		e.res[i] = json_object_new_object();
		pj_add_str(e.res[i], "customer", slugs[i]);
	}
	pthread_mutex_init(&e.lock, NULL);
	if (jobs < 1)
		jobs = 1;
	if ((size_t)jobs > n)
		jobs = (int)(n ? n : 1);
	if (jobs > 1 && (th = calloc((size_t)jobs, sizeof(*th))) != NULL)
		for (t = 0; t < jobs; t++)
			if (pthread_create(&th[started], NULL, worker, &e) ==
			    0)
				started++;
	if (started == 0)
		worker(&e);
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	free(th);
	pthread_mutex_destroy(&e.lock);
	*out = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(*out, e.res[i]);
	free(e.res);
	*failed = e.failed;
	return NULL;
}
