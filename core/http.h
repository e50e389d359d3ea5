/*
 * http.h: the one way pbictl talks to a service.
 *
 * JSON requests over libcurl with bearer auth, connection reuse across
 * threads, retries (429/503 honouring Retry-After; 5xx and dropped
 * connections for idempotent requests only), a total deadline, paging,
 * error extraction from every service's error shape, and traces with
 * secrets redacted.  Thread-safe: one struct pbi_http serves all jobs.
 */
#ifndef PBI_HTTP_H
#define PBI_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;
struct pbi_err;
struct pbi_http;

struct pbi_http_conf {
	long	 connect_timeout_ms;	/* default 10 s */
	long	 timeout_ms;		/* one attempt, default 120 s */
	long	 deadline_ms;		/* all attempts and waits, 300 s */
	long	 retry_after_cap_s;	/* longest wait honoured, 120 s */
	int	 max_attempts;		/* default 8 */
	long	 backoff_base_ms;	/* default 500 ms */
	long	 backoff_cap_ms;	/* default 30 s */
	long	 replication_ms;	/* PBI_REQ_REPLICATION budget, 60 s */
	double	 rate;			/* requests a second per principal,
					   the pace's ceiling; 0: unpaced;
					   default PBI_HTTP_RATE */
	int	 verbose;		/* 1: calls, 2: and bodies */
	FILE	*trace;			/* default stderr */
	const char *ca_bundle;		/* default $PBICTL_CA_BUNDLE */
	/* For tests: a clock and a sleep that need not wait. */
	int64_t	 (*now_ms)(void *);
	void	 (*sleep_ms)(void *, int64_t);
	void	*hook_arg;
};

/*
 * The default pace, requests a second per principal.  Power BI documents
 * no rate for the calls outside its admin APIs (api-facts 3.10: their
 * throttling exists but is undocumented), so pbictl starts here, at the
 * per-principal limit pbictl's bench models, and learns a lower one from
 * the 429 answers it gets.
 */
#define PBI_HTTP_RATE		100.0

#define PBI_REQ_IDEMPOTENT	(1 << 0)  /* safe to repeat (PATCH ...) */
#define PBI_REQ_SECRET		(1 << 1)  /* the answer holds a secret */
#define PBI_REQ_REPLICATION	(1 << 2)  /* retry directory lag answers */
#define PBI_REQ_NOFAIL		(1 << 3)  /* an error status is no error */
#define PBI_REQ_NOLONGWAIT	(1 << 4)  /* a 429 or 503 whose Retry-After
					     passes retry_after_cap_s fails
					     at once, unrepeated */
#define PBI_REQ_TOKEN		(1 << 5)  /* a token request: no step's id */

struct pbi_req {
	const char	 *method;
	const char	 *url;		/* absolute */
	const char	 *bearer;	/* access token, or NULL */
	const char	 *auth;		/* whole Authorization value, or NULL */
	const char *const *headers;	/* extra "Name: value", NULL-ended */
	const char	 *content_type;	/* of body */
	const void	 *body;
	size_t		  body_len;
	FILE		 *sink;		/* a 2xx body goes here, not to memory */
	int		  flags;
};

struct pbi_resp {
	long	 status;
	char	*body;			/* NUL-terminated; NULL if none */
	size_t	 body_len;
	char	 request_id[96];
	char	 error_info[128];	/* X-PowerBI-Error-Info */
	char	 location[2048];
	char	 retry_after[64];
	char	 content_type[128];
	int	 attempts;
};

/*
 * Release resp; with PBI_REQ_SECRET the body is wiped first.  (A plain
 * pbi_resp_release does not wipe.)
 */
void			 pbi_resp_wipe(struct pbi_resp *);

/* Defaults for every field, then $PBICTL_CA_BUNDLE. */
void			 pbi_http_conf_init(struct pbi_http_conf *);
const struct pbi_err	*pbi_http_new(const struct pbi_http_conf *,
			    struct pbi_http **);
void			 pbi_http_free(struct pbi_http *);

/*
 * Perform req, retrying as its method and flags allow, and fill resp
 * (release it with pbi_resp_release, also on error).  Returns NULL for a
 * 2xx/3xx answer, or an error naming the call, the status, the service's
 * code and message and the request id.
 */
const struct pbi_err	*pbi_http_do(struct pbi_http *,
			    const struct pbi_req *, struct pbi_resp *);
void			 pbi_resp_release(struct pbi_resp *);
/*
 * The request ids of this thread's answered calls since its last
 * pbi_http_mark, for the journal of a step: that of the first write
 * (any method but GET and HEAD) answered 2xx, else that of the last call
 * answered 2xx; NULL when there is none.  The string is the thread's
 * own, valid until its next call.
 */
void			 pbi_http_mark(void);
const char		*pbi_http_request_id(void);
/* How many requests h has sent (every attempt counts), so far. */
long			 pbi_http_sent(struct pbi_http *);

/*
 * The pace: every request of a principal (the credential it carries)
 * takes a slot of that principal's token bucket, shared by all threads,
 * refilled at a rate that starts at conf.rate.  A second whose share of
 * 429 answers stands out lowers the rate by a fifth and pauses the
 * principal for the Retry-After; when lowering did not lower the share
 * (429s that come whatever the pace), the rate is restored and that
 * share is taken as the noise to ignore; each calm second raises the
 * rate by a twentieth of the ceiling, up to it.  A lone 429 only delays
 * its own retry.
 */
void			 pbi_http_set_rate(struct pbi_http *, double rate);
/* The ceiling (conf.rate), and the lowest rate any principal paces at. */
double			 pbi_http_rate(struct pbi_http *, double *lowest);
/* Requests answered 429 so far; and the mean latency in ms (or 0). */
long			 pbi_http_throttled(struct pbi_http *, double *latency);

/*
 * A JSON call: body (borrowed, may be NULL) is sent as JSON; a JSON
 * answer is stored in *out (a new reference; NULL for an empty body) if
 * out is not NULL.  An answer that is not JSON is a PBI_ERR_PROTO.
 * headers and flags as in struct pbi_req; resp, if not NULL, receives
 * the response (release it).
 */
const struct pbi_err	*pbi_http_json(struct pbi_http *, const char *method,
			    const char *url, const char *bearer,
			    const char *const *headers,
			    struct json_object *body, int flags,
			    struct json_object **out);

/*
 * pbi_http_do, and a JSON answer into *out as pbi_http_json does; with
 * PBI_REQ_SECRET the answer is wiped once parsed.
 */
const struct pbi_err	*pbi_http_do_json(struct pbi_http *,
			    const struct pbi_req *req,
			    struct json_object **out);

/*
 * Every item of a list, its "value" and the pages its member next names
 * ("@odata.nextLink" for Graph, "nextLink" for Azure Resource Manager and
 * Workspace Collections), followed only to the same scheme and host.
 * req gives the first page's url, the credential (bearer or auth), the
 * headers and flags; each page is a GET.  *out receives a new JSON
 * array.
 */
const struct pbi_err	*pbi_http_list(struct pbi_http *,
			    const struct pbi_req *req, const char *next,
			    struct json_object **out);

/* Every item of a Graph collection: pbi_http_list by @odata.nextLink. */
const struct pbi_err	*pbi_http_graph_all(struct pbi_http *,
			    const char *url, const char *bearer,
			    const char *const *headers, int flags,
			    struct json_object **out);

/*
 * Every item of a Power BI collection: pages of top items with $top and
 * $skip until a short page.  *out receives a new JSON array.
 */
const struct pbi_err	*pbi_http_pbi_all(struct pbi_http *,
			    const char *url, const char *bearer,
			    const char *const *headers, int top,
			    struct json_object **out);

/*
 * The error for an answer with an error status: extracts code, message
 * and request id from each service's error shape (Graph, Power BI with
 * message or pbi.error, empty 403 with X-PowerBI-Error-Info, a bare
 * message, Entra's error_description and error_codes).  call is
 * "METHOD /path".  Returns this thread's error slot.
 */
const struct pbi_err	*pbi_http_error(const char *call,
			    const struct pbi_resp *resp);

/*
 * url with "$top=top&$skip=skip" appended.  Returns a new string (free
 * with free(3)) or NULL.
 */
char			*pbi_url_page(const char *url, int top, long skip);

#endif /* PBI_HTTP_H */
