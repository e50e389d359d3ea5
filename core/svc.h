/*
 * svc.h: calls to Microsoft Graph, Power BI, Azure Resource Manager and
 * the retired Workspace Collections as the configured principal.  Builds
 * the URL from the cloud's endpoints, adds a token (or, for Workspace
 * Collections, the collection's access key), renews a token once when
 * the service says it expired, and in dry-run mode records every write
 * instead of sending it.  Thread-safe.
 */
#ifndef PBI_SVC_H
#define PBI_SVC_H

#include "auth.h"

#include <stdio.h>

struct json_object;
struct pbi_appkey;
struct pbi_err;
struct pbi_http;

/* Added to a PBI_API_ARM path that names no api-version (api-facts 4.2). */
#define PBI_ARM_API_VERSION	"2016-01-29"

struct pbi_svc {
	struct pbi_http		*http;		/* owned */
	struct pbi_auth		*auth;		/* owned */
	struct pbi_endpoints	 ep;
	int			 dry_run;
	struct json_object	*dry_calls;	/* writes not sent */
	void			*lock;		/* pthread_mutex_t */
	struct pbi_appkey	*appkeys;	/* owned, wiped when freed */
};

/*
 * Create the service context for cloud, tenant and client (either may be
 * NULL when the environment names them).  verbose as for traces.
 */
const struct pbi_err	*pbi_svc_new(const char *cloud,
			    const struct pbi_authconf *ac, int verbose,
			    int dry_run, struct pbi_svc **out);
void			 pbi_svc_free(struct pbi_svc *);

/*
 * The access key (key1 or key2 of ARM's listKeys, or from a file) of the
 * Workspace Collection named collection, for the PBI_API_COLLECTIONS
 * calls under /v1.0/collections/{collection}/ (the name compared without
 * regard to case).  key is copied and sent only as "Authorization:
 * AppKey <key>" to the Workspace Collections endpoint: never traced,
 * never written anywhere, wiped when replaced, forgotten (key NULL) or
 * freed.
 */
const struct pbi_err	*pbi_svc_appkey(struct pbi_svc *,
			    const char *collection, const char *key);

/*
 * A JSON call to api at path ("/v1.0/myorg/groups?..."), as in
 * pbi_http_json.  With dry_run, a method other than GET is recorded in
 * dry_calls (body redacted) and not sent: *out is then NULL.  A
 * PBI_API_COLLECTIONS path is "/v1.0/collections/{name}/..." and needs
 * that collection's key (pbi_svc_appkey); a PBI_API_ARM path without an
 * api-version gets PBI_ARM_API_VERSION.
 */
const struct pbi_err	*pbi_svc_json(struct pbi_svc *, enum pbi_api,
			    const char *method, const char *path,
			    const char *const *headers,
			    struct json_object *body, int flags,
			    struct json_object **out);

/*
 * The same with a body of any type: ctype and body[0..len) (a multipart
 * upload, for one).  *out receives a JSON answer, if any.
 */
const struct pbi_err	*pbi_svc_raw(struct pbi_svc *, enum pbi_api,
			    const char *method, const char *path,
			    const char *const *headers, const char *ctype,
			    const void *body, size_t len, int flags,
			    struct json_object **out);

/*
 * A GET at path whose 2xx body is written to sink (rewound before each
 * attempt), not kept in memory: an export.
 */
const struct pbi_err	*pbi_svc_download(struct pbi_svc *, enum pbi_api,
			    const char *path, const char *const *headers,
			    FILE *sink);

/*
 * Every item of a collection at path: Graph nextLink, Power BI paging,
 * or for ARM and Workspace Collections the "value" list and its
 * "nextLink" (to the same host only).
 */
const struct pbi_err	*pbi_svc_all(struct pbi_svc *, enum pbi_api,
			    const char *path, const char *const *headers,
			    int flags, struct json_object **out);

#endif /* PBI_SVC_H */
