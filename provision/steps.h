/*
 * steps.h: the steps of a customer's pipeline that live in files of
 * their own (capacity.c, publish.c), called by customer.c, and what
 * every step shares (journal.c).  Internal to provision/.
 */
#ifndef PBI_STEPS_H
#define PBI_STEPS_H

#include "provision.h"
#include "reconcile.h"

/* Note in the customer's result that step did what ("created"...). */
void			 prov_did(struct json_object *res, const char *step,
			    const char *what);
/*
 * The profile c's calls act as: its profile in isolation mode profile,
 * else (and for a profile a dry run did not create) NULL.  Borrowed.
 */
const char		*prov_as_profile(const struct pbi_prov *,
			    const struct pbi_customer *c);
/* $name as seconds (def_s when unset or empty), in milliseconds. */
int64_t			 prov_env_ms(const char *name, int64_t def_s);

/*
 * Polling an asynchronous operation (poll.c): the first poll of one just
 * started goes when the operations of its kind this run took so far
 * were done (the running estimate all jobs share; an import's goes
 * second, after one at once, since an import shows Publishing to at
 * least one poll, api-facts 6 item 1); the later ones, and
 * every poll of an operation found under way, on the ladder polls always
 * kept: base, then half as much again each time, up to 5 s.  The
 * estimate learns from each operation: seen done at the first poll, it
 * is brought a hundredth earlier; not yet done, it is put off by 15 %,
 * never past when it was seen done.
 */
enum prov_async {
	PROV_ASYNC_ASSIGN,	/* capacity assignment */
	PROV_ASYNC_IMPORT	/* an import */
};
struct prov_poll {
	struct pbi_prov	*p;
	enum prov_async	 kind;
	int		 fresh;		/* started by this call */
	int		 polls;		/* sent so far */
	int64_t		 start;		/* when it was started (ms) */
	int64_t		 due;		/* when the next poll goes */
	int64_t		 step;		/* the ladder's next interval */
	int64_t		 first;		/* first poll's delay, or -1 */
	int64_t		 pending;	/* last pending poll's delay */
	int64_t		 sent;		/* this poll's delay */
	int64_t		 est;		/* the estimate, 0: none */
	int		 lead;		/* polls that go before it */
};
/* Begin polling: fresh when the operation was started just now. */
void			 prov_poll_begin(struct prov_poll *,
			    struct pbi_prov *, enum prov_async kind,
			    int64_t base_ms, int fresh);
/* Wait until the next poll is due (never past end, absolute ms). */
void			 prov_poll_wait(struct prov_poll *, int64_t end);
/*
 * The poll's answer: done or not.  Returns when the next poll is due
 * (absolute ms) when not done.
 */
int64_t			 prov_poll_seen(struct prov_poll *, int done);

/* Assign c's workspace to cap (NULL: none) and wait for it to finish. */
const struct pbi_err	*prov_step_capacity(struct pbi_prov *,
			    struct pbi_customer *c, const char *cap,
			    struct json_object *res);
/*
 * Publish the package f to c's workspace, then set o's parameters,
 * credentials and refresh; the report's outcome is appended to reports.
 */
const struct pbi_err	*prov_step_publish(struct pbi_prov *,
			    struct pbi_customer *c,
			    const struct pbi_report_file *f,
			    const struct pbi_cust_opts *o,
			    struct json_object *reports);

/*
 * Record in the ledger what dataset of c's workspace connects to, read
 * from its bound datasources (datasource.c; nothing in a dry run).
 */
const struct pbi_err	*prov_record_datasources(struct pbi_prov *,
			    const struct pbi_customer *c, const char *prof,
			    const char *dataset);

#endif /* PBI_STEPS_H */
