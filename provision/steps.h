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
