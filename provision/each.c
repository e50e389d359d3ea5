/*
 * each.c: a workflow over many customers, --jobs at a time.  The threads
 * share one HTTP client (one connection pool), one token cache and the
 * ledger; each customer's outcome is kept, in order, for the report.
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
		err = e->fn(e->p, e->slugs[i], e->o, r);
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
