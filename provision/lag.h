/*
 * lag.h: reconciling with an eventually consistent directory.
 */
#ifndef PBI_LAG_H
#define PBI_LAG_H

#include "provision.h"

/* A lookup: *out the object, or NULL when it is not (yet) visible. */
typedef const struct pbi_err *(*prov_lookup_fn)(struct pbi_prov *,
    const void *arg, struct json_object **out);

/*
 * Call fn until it finds the object or the replication window passes
 * ($PBICTL_REPLICATION_WAIT seconds, default 60), backing off.  *out is
 * NULL if it never appeared.
 */
const struct pbi_err	*prov_lookup_lagged(struct pbi_prov *,
			    prov_lookup_fn fn, const void *arg,
			    struct json_object **out);

/*
 * Was a create's outcome unknown: the service may have committed it
 * (5xx, a dropped connection, a garbled answer)?
 */
int			 prov_ambiguous(const struct pbi_err *);

/* A 409 for an object that already exists? */
int			 prov_exists(const struct pbi_err *);

#endif /* PBI_LAG_H */
