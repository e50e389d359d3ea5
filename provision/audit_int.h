/*
 * audit_int.h: what the audit's reads share between workspace mode
 * (audit.c) and admin mode (audit_admin.c).  Private to provision/.
 */
#ifndef PBI_AUDIT_INT_H
#define PBI_AUDIT_INT_H

#include <time.h>

#define SCAN_BATCH	100	/* workspaces a scan may take (3.9) */
#define MODIFIED_MIN	(31 * 60)	/* modifiedSince: 30 min ... */
#define MODIFIED_MAX	(30 * 86400 - 600)	/* ... to 30 days ago */
#define CLOCK_MARGIN	600	/* for clocks that disagree */

struct audit {
	struct pbi_prov			*p;
	const struct pbi_audit_opts	*o;
	struct json_object		*view;		/* the ledger's */
	struct json_object		*svc;		/* snapshot.service */
	struct json_object		*unchecked;	/* [{what, why}] */
	struct json_object		*audited;	/* ledger customers */
	struct json_object		*probes;
	char				 sp[64];	/* our SP's object id */
	int				 app;		/* we are that SP */
	int				 profiles;	/* isolation profile */
	char				 why[512];	/* of the mode */
};

/* Note that what could not be checked, and why (err, copied). */
void	 audit_unchecked(struct json_object *, const char *,
	    const struct pbi_err *, const char *);
/* "2026-11-22T13:19:19Z" (or with fractions) as a time, or -1. */
time_t	 audit_iso_time(const char *);
/* Put v (taken over) under lower(id) in map. */
void	 audit_map_put(struct json_object *, const char *,
	    struct json_object *);
/* Every item of list (objects with "id") under lower(id) in a new map. */
struct json_object *audit_id_map(struct json_object *);
/* The item of map under lower(id), or NULL (borrowed). */
struct json_object *audit_by_id(struct json_object *, const char *);
/* A workspace of the service into the snapshot, merged by id. */
void	 audit_add_ws(struct audit *, struct json_object *,
	    struct json_object *);
/* Admin mode: the tenant's workspaces into *groups, and their sources. */
const struct pbi_err *audit_collect_admin(struct audit *,
	    struct json_object **);

#endif
