/*
 * faults.c: fault injection (pbisim(1) FAULTS; api-facts 6.4 and 6.5):
 * which requests a fault applies to, the fault settings as JSON, the
 * per-principal --rate-limit, the budgets of the admin APIs per route
 * (api-facts 3.9), and the answer a fault gives in its service's error
 * shape.
 */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Per-principal token buckets for --rate-limit. */
struct bucket {
	char	 who[128];
	double	 tokens;
	int64_t	 last;
};
static struct bucket	 buckets[256];

static void		 admin_reset(void);


/* Does the current fault setting apply to r (never to /_sim/)? */
int
sim_fault_applies(const struct req *r)
{
	size_t	 n;

	if (r->svc == SVC_SIM)
		return 0;
	if (g.f.match_method[0] != '\0' &&
	    strcasecmp(g.f.match_method, r->method) != 0)
		return 0;
	/* A prefix, or with a final '$' the whole path. */
	n = strlen(g.f.match_prefix);
	if (n > 0 && g.f.match_prefix[n - 1] == '$')
		return strlen(r->rawpath) == n - 1 &&
		    strncmp(r->rawpath, g.f.match_prefix, n - 1) == 0;
	if (n > 0 && strncmp(r->rawpath, g.f.match_prefix, n) != 0)
		return 0;
	return 1;
}

/* Add the members of f to o, as GET /_sim/faults shows them. */
void
sim_faults_to_json(struct json_object *o, const struct faults *f)
{
	char	 m[300];

	pj_add_int(o, "latencyMs", f->latency_ms);
	pj_add_int(o, "jitterMs", f->jitter_ms);
	pj_add_int(o, "latencyAfterCommitMs", f->latency_ac_ms);
	pj_add(o, "p429", json_object_new_double(f->p429));
	pj_add_int(o, "retryAfter", f->retry_after);
	pj_add(o, "p5xx", json_object_new_double(f->p5xx));
	pj_add(o, "pdrop", json_object_new_double(f->pdrop));
	pj_add(o, "p500AfterCommit", json_object_new_double(f->p500ac));
	pj_add(o, "p307", json_object_new_double(f->p307));
	pj_add(o, "replicationDelay", json_object_new_double(f->repl_delay));
	pj_add(o, "importSeconds", json_object_new_double(f->import_s));
	pj_add(o, "assignSeconds", json_object_new_double(f->assign_s));
	pj_add_bool(o, "assignStuck", f->assign_stuck);
	pj_add_int(o, "rateLimit", f->rate_limit);
	pj_add_int(o, "adminRateLimit", f->admin_rate_limit);
	snprintf(m, sizeof(m), "%s%s%s", f->match_method,
	    f->match_method[0] ? " " : "", f->match_prefix);
	pj_add_str(o, "match", m);
	pj_add(o, "bodyAfterCommit", f->body_ac_set ?
	    json_object_new_string(f->body_ac) : NULL);
	pj_add_int(o, "statusAfterCommit", f->status_ac);
}

static void
set_match(struct faults *f, const char *m)
{
	const char	*sp;

	f->match_method[0] = f->match_prefix[0] = '\0';
	if (m == NULL || *m == '\0')
		return;
	if (*m != '/' && (sp = strchr(m, ' ')) != NULL &&
	    (size_t)(sp - m) < sizeof(f->match_method)) {
		snprintf(f->match_method, sizeof(f->match_method), "%.*s",
		    (int)(sp - m), m);
		m = sp + 1;
	} else if (*m != '/') {
		snprintf(f->match_method, sizeof(f->match_method), "%s", m);
		return;
	}
	snprintf(f->match_prefix, sizeof(f->match_prefix), "%s", m);
}

/* Apply a /_sim/faults JSON body to g.f.  Returns 0, -1 on bad input. */
int
sim_faults_from_json(struct json_object *o)
{
	struct faults	*f = &g.f;
	struct json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return -1;
	/* Refused before anything changes. */
	if (sim_json_num(o, "latencyAfterCommitMs", 0) < 0 ||
	    sim_json_num(o, "latencyAfterCommitMs", 0) > 600000)
		return -1;
	if (pj_bool(o, "reset", 0))
		*f = g.f0;
	f->latency_ms = (int)sim_json_num(o, "latencyMs", f->latency_ms);
	f->jitter_ms = (int)sim_json_num(o, "jitterMs", f->jitter_ms);
	f->latency_ac_ms = (int)sim_json_num(o, "latencyAfterCommitMs",
	    f->latency_ac_ms);
	f->p429 = sim_json_num(o, "p429", f->p429);
	f->retry_after = (int)sim_json_num(o, "retryAfter", f->retry_after);
	f->p5xx = sim_json_num(o, "p5xx", f->p5xx);
	f->pdrop = sim_json_num(o, "pdrop", f->pdrop);
	f->p500ac = sim_json_num(o, "p500AfterCommit", f->p500ac);
	f->p307 = sim_json_num(o, "p307", f->p307);
	f->repl_delay = sim_json_num(o, "replicationDelay", f->repl_delay);
	f->import_s = sim_json_num(o, "importSeconds", f->import_s);
	f->assign_s = sim_json_num(o, "assignSeconds", f->assign_s);
	f->assign_stuck = (int)sim_json_num(o, "assignStuck", f->assign_stuck);
	f->rate_limit = (int)sim_json_num(o, "rateLimit", f->rate_limit);
	/* A new admin budget starts with an empty hour. */
	if (json_object_object_get_ex(o, "adminRateLimit", NULL) &&
	    (int)sim_json_num(o, "adminRateLimit", 0) != f->admin_rate_limit)
		admin_reset();
	f->admin_rate_limit = (int)sim_json_num(o, "adminRateLimit",
	    f->admin_rate_limit);
	if (json_object_object_get_ex(o, "seedRandom", &v))
		g.rng = (uint64_t)json_object_get_int64(v) * 2654435761ULL +
		    88172645463325252ULL;
	if (json_object_object_get_ex(o, "match", &v))
		set_match(f, json_object_get_string(v));
	if (json_object_object_get_ex(o, "bodyAfterCommit", &v)) {
		if (v != NULL && !json_object_is_type(v, json_type_string))
			return -1;
		f->body_ac_set = v != NULL;
		f->status_ac = (int)sim_json_num(o, "statusAfterCommit", 0);
		if (f->status_ac != 0 && (f->status_ac < 200 ||
		    f->status_ac > 599))
			return -1;
		snprintf(f->body_ac, sizeof(f->body_ac), "%s",
		    v ? json_object_get_string(v) : "");
	}
	return 0;
}

/* Is principal who over the --rate-limit budget?  Caller holds g.mu. */
int
sim_rate_limited(const char *who)
{
	struct bucket	*b = NULL;
	int64_t		 now = sim_now_ms();
	size_t		 i, old = 0;

	if (g.f.rate_limit <= 0)
		return 0;
	for (i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++) {
		if (strcmp(buckets[i].who, who) == 0) {
			b = &buckets[i];
			break;
		}
		if (buckets[i].last < buckets[old].last)
			old = i;
	}
	if (b == NULL) {
		b = &buckets[old];
		snprintf(b->who, sizeof(b->who), "%s", who);
		b->tokens = g.f.rate_limit;
		b->last = now;
	}
	b->tokens += (double)(now - b->last) * g.f.rate_limit / 1000.0;
	if (b->tokens > g.f.rate_limit)
		b->tokens = g.f.rate_limit;
	b->last = now;
	if (b->tokens < 1.0)
		return 1;
	b->tokens -= 1.0;
	return 0;
}

/*
 * The calls of one admin route in the last hour (sim ms), for its
 * documented limits (api-facts 3.9): per tenant, like the service.
 */
struct admin_window {
	char	 route[64];
	int64_t	*hits;
	size_t	 n;
	size_t	 cap;
};
static struct admin_window	 admin_windows[16];

/* Forget the admin calls: every budget starts a fresh hour. */
static void
admin_reset(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(admin_windows) / sizeof(admin_windows[0]);
	    i++)
		admin_windows[i].n = 0;
}

/* Answer 429 with the bare message and Retry-After of api-facts 3.0. */
static void
admin_throttled(struct req *r, int64_t wait)
{
	struct json_object	*o;
	char			 msg[256], ra[32];

	if (wait < 1)
		wait = 1;
	snprintf(msg, sizeof(msg), "You have exceeded the amount of "
	    "requests allowed in the current time frame and further "
	    "requests will fail. Retry in %lld seconds.", (long long)wait);
	o = json_object_new_object();
	pj_add_str(o, "message", msg);
	snprintf(ra, sizeof(ra), "%lld", (long long)wait);
	sim_add_header(r, "Retry-After", ra);
	sim_reply_json(r, 429, o);
}

int
sim_admin_rate_check(struct req *r, const char *route, int per_hour,
    int per_min)
{
	struct admin_window	*w = NULL;
	int64_t			 now = sim_now_ms(), *nh;
	size_t			 i, k, recent;

	for (i = 0; i < sizeof(admin_windows) / sizeof(admin_windows[0]);
	    i++) {
		w = &admin_windows[i];
		if (strcmp(w->route, route) == 0)
			break;
		if (w->route[0] == '\0') {
			snprintf(w->route, sizeof(w->route), "%s", route);
			break;
		}
	}
	if (i == sizeof(admin_windows) / sizeof(admin_windows[0]))
		return 0;
	for (i = k = 0; i < w->n; i++)
		if (now - w->hits[i] < 3600 * 1000)
			w->hits[k++] = w->hits[i];
	w->n = k;
	if (per_hour > 0 && w->n >= (size_t)per_hour) {
		admin_throttled(r, (w->hits[w->n - per_hour] + 3600 * 1000 -
		    now + 999) / 1000);
		return -1;
	}
	for (i = 0, recent = 0; i < w->n; i++)
		if (now - w->hits[i] < 60 * 1000)
			recent++;
	if (per_min > 0 && recent >= (size_t)per_min) {
		admin_throttled(r, (w->hits[w->n - per_min] + 60 * 1000 -
		    now + 999) / 1000);
		return -1;
	}
	if (w->n == w->cap) {
		if ((nh = realloc(w->hits, (w->cap ? w->cap * 2 : 64) *
		    sizeof(*nh))) == NULL)
			return 0;
		w->hits = nh;
		w->cap = w->cap ? w->cap * 2 : 64;
	}
	w->hits[w->n++] = now;
	return 0;
}

/*
 * Answer r with a fault of status (429, 500 or 503) in the shape of its
 * service, with Retry-After on 429 and 503.
 */
void
sim_fault_reply(struct req *r, int status)
{
	char	 ra[32];

	snprintf(ra, sizeof(ra), "%d", g.f.retry_after > 0 ?
	    g.f.retry_after : 1);
	if (status == 429 || status == 503)
		sim_add_header(r, "Retry-After", ra);
	switch (r->svc) {
	case SVC_GRAPH:
		if (status == 429)
			sim_graph_error(r, 429, "Request_ThrottledTemporarily",
			    "The request has been throttled temporarily.");
		else if (status == 503)
			sim_graph_error(r, 503, "serviceNotAvailable",
			    "The service is temporarily unavailable.");
		else
			sim_graph_error(r, 500, "generalException",
			    "An internal server error occurred.");
		break;
	case SVC_ENTRA: {
		struct json_object *o = json_object_new_object();

		pj_add_str(o, "error", "temporarily_unavailable");
		pj_add_str(o, "error_description", status == 429 ?
		    "AADSTS50196: The server terminated an operation because "
		    "it encountered a client request loop." :
		    "AADSTS90033: A transient error has occurred. Please try "
		    "again.");
		sim_reply_json(r, status, o);
		break;
	}
	default:
		if (status == 429)
			sim_pbi_error(r, 429, "TooManyRequests", "Too many "
			    "requests. Retry in %s seconds.", ra);
		else if (status == 503)
			sim_pbi_error(r, 503, "ServiceUnavailable",
			    "The service is temporarily unavailable.");
		else
			sim_pbi_error_pbi(r, 500, "UnknownError", NULL);
		break;
	}
}

/*
 * The principal r is counted under for --rate-limit: the upn or appid of
 * its bearer token, else the start of its Authorization, else
 * "anonymous".  Written to buf, which is returned.
 */
const char *
sim_fault_who(struct req *r, char *buf, size_t n)
{
	const char		*a = sim_hdr(r, "Authorization");
	struct json_object	*h = NULL, *c = NULL;

	snprintf(buf, n, "anonymous");
	if (a != NULL && strncasecmp(a, "Bearer ", 7) == 0 &&
	    jwt_split(a + 7, &h, &c) == 0) {
		snprintf(buf, n, "%s", pj_str(c, "upn") ? pj_str(c, "upn") :
		    pj_str(c, "appid") ? pj_str(c, "appid") : "anonymous");
		json_object_put(h);
		json_object_put(c);
	} else if (a != NULL)
		snprintf(buf, n, "%.*s", 24, a);
	return buf;
}

/* Forget the rate-limit buckets and the admin calls (POST /_sim/reset). */
void
sim_faults_reset_limits(void)
{
	admin_reset();
	memset(buckets, 0, sizeof(buckets));
}
