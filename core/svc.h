/*
 * svc.h: calls to Microsoft Graph and Power BI as the configured
 * principal.  Builds the URL from the cloud's endpoints, adds a token,
 * renews it once when the service says it expired, and in dry-run mode
 * records every write instead of sending it.  Thread-safe.
 */
#ifndef PBI_SVC_H
#define PBI_SVC_H

#include "auth.h"

struct json_object;
struct pbi_err;
struct pbi_http;

struct pbi_svc {
	struct pbi_http		*http;		/* owned */
	struct pbi_auth		*auth;		/* owned */
	struct pbi_endpoints	 ep;
	int			 dry_run;
	struct json_object	*dry_calls;	/* writes not sent */
	void			*lock;		/* pthread_mutex_t */
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
 * A JSON call to api at path ("/v1.0/myorg/groups?..."), as in
 * pbi_http_json.  With dry_run, a method other than GET is recorded in
 * dry_calls (body redacted) and not sent: *out is then NULL.
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

/* Every item of a collection at path: Graph nextLink or Power BI paging. */
const struct pbi_err	*pbi_svc_all(struct pbi_svc *, enum pbi_api,
			    const char *path, const char *const *headers,
			    int flags, struct json_object **out);

#endif /* PBI_SVC_H */
