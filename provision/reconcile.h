/*
 * reconcile.h: the one way pbictl makes an object exist on a service:
 * find it by its key, adopt it if it is ours, else journal the intent,
 * create it, and after an answer that may hide a committed create (or a
 * 409) look it up before anything else; settle the journal.  Internal
 * to provision/.
 */
#ifndef PBI_RECONCILE_H
#define PBI_RECONCILE_H

#include "provision.h"

/* A placeholder for the id of an object a dry run did not create. */
#define PROV_DRY_ID	"00000000-0000-0000-0000-000000000000"

/* A lookup: *out the object, or NULL when it is not (yet) visible. */
typedef const struct pbi_err *(*prov_lookup_fn)(struct pbi_prov *,
    const void *arg, struct json_object **out);
/* A create: *out the service's answer, NULL when it had no body. */
typedef const struct pbi_err *(*prov_create_fn)(struct pbi_prov *,
    const void *arg, struct json_object **out);

/*
 * What a lookup finds is ours whoever made it: its key is unique and
 * names this deployment's object (the service principal of an appId, the
 * grant of a client, resource and principal).  Without it, an object is
 * adopted only if this ledger journalled its create.
 */
#define PROV_ADOPT_ANY	(1 << 0)
/* Lookups after a create wait out Graph's replication delay (2.4). */
#define PROV_LAGGED	(1 << 1)
/* The object's id is a GUID (Power BI ids, Graph object ids). */
#define PROV_GUID	(1 << 2)
/*
 * The service refuses a second object of the key with 409 (profile and
 * workspace names, api-facts 3.1): when the journal shows no earlier
 * attempt on it, the create is sent without a lookup first, and a 409
 * is looked up and judged by the adoption rule instead.
 */
#define PROV_UNIQUE	(1 << 3)

/* One object to reconcile: the parts that differ between objects. */
struct prov_object {
	const char	*what;		/* for messages: "workspace 'x'" */
	const char	*step;		/* journal step: "workspace.create" */
	const char	*target;	/* journal target: its name or key */
	int64_t		 customer;	/* journal customer; 0 tenant-wide */
	const char	*id_key;	/* the id's member; NULL: "id" */
	int		 flags;		/* PROV_* */
	/*
	 * How many more times the create may be sent when an answer was
	 * ambiguous and the lookup proves nothing was created: only where
	 * the service refuses a second object of the key (409), so that a
	 * re-send cannot duplicate.  0 for a name that is not unique.
	 */
	int		 resends;
	prov_lookup_fn	 find;		/* before creating (skipped for a
					   PROV_UNIQUE key never tried);
					   NULL: the caller looked and
					   found none */
	prov_lookup_fn	 lookup;	/* after a failed create; NULL:
					   find */
	prov_create_fn	 create;
	const void	*arg;		/* for find, lookup and create */
};

enum prov_how {
	PROV_FOUND,		/* there already, and ours: adopted */
	PROV_CREATED,		/* made by the create (a dry run: would be) */
	PROV_RECOVERED		/* a lookup after an ambiguous answer or a
				   409 found it: adopted */
};

/*
 * Reconcile o: *out receives the object (a new reference; NULL only for
 * a create in a dry run, whose id is PROV_DRY_ID), *how what was done.
 * The create's intent is journalled before it is sent, its outcome
 * after ("ok", "adopted" or "failed", with the id); an object found at
 * the first look settles what an interrupted run left open.  An answer
 * without a valid id (an empty body, {}, {"id":42}, a non-GUID where
 * PROV_GUID) is ambiguous, never stored.  Errors say what failed with
 * o->what; one after a 409 keeps the 409, which is then no evidence of
 * ownership (pbi_ledger_journaled).
 */
const struct pbi_err	*prov_reconcile(struct pbi_prov *,
			    const struct prov_object *o,
			    struct json_object **out, enum prov_how *how);

/* The id of obj as o names it, if valid; else NULL.  Borrowed. */
const char		*prov_object_id(const struct prov_object *o,
			    const struct json_object *obj);

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

#endif /* PBI_RECONCILE_H */
