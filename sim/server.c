/*
 * server.c: the HTTP server (libmicrohttpd): parse each request and tell
 * its service from the path, drop it or hold it back for a fault, run it
 * under g.mu through the faults and its service's router, log it, and
 * answer with the request-id headers of its service (api-facts 1.7, 2.3,
 * 3.0).
 */
#include "sim/sim.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAXBODY		(256 * 1024 * 1024)

/* Connections suspended for a latency fault. */
struct delayed {
	struct MHD_Connection	*conn;
	int64_t			 wake;
};
static pthread_mutex_t	 d_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 d_cv;
static struct delayed	*d_q;
static size_t		 d_n, d_cap;
static int		 d_stop;
static pthread_t	 dthr;

static void
parse_target(struct req *r)
{
	char	*q, *p, *s, *e;
	int	 n = 0;

	q = strchr(r->uri, '?');
	if (q != NULL) {
		r->rawpath = strndup(r->uri, (size_t)(q - r->uri));
		r->rawquery = strdup(q + 1);
		sim_form_parse(r->rawquery, strlen(r->rawquery), &r->query,
		    &r->nquery);
	} else
		r->rawpath = strdup(r->uri);
	p = r->rawpath;
	while (*p == '/')
		p++;
	while (*p != '\0' && n < SIM_MAXSEG) {
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		s = sim_pctdecode(p, (size_t)(e - p), 0);
		r->seg[n++] = s;
		p = *e ? e + 1 : e;
	}
	r->nseg = n;
	if (n > 1 && strcmp(r->seg[0], "_cluster") == 0) {
		/* the "home cluster" a 307 fault redirected to */
		free(r->seg[0]);
		memmove(r->seg, r->seg + 1, sizeof(r->seg[0]) * (size_t)(n - 1));
		r->nseg = n - 1;
		r->clustered = 1;
	}
}

static enum svc
classify(const struct req *r)
{
	if (r->nseg == 0)
		return SVC_NONE;
	if (strcmp(r->seg[0], "_sim") == 0)
		return SVC_SIM;
	if (strcmp(r->seg[0], "_blob") == 0)
		return SVC_BLOB;
	if (strcmp(r->seg[0], "subscriptions") == 0)
		return SVC_ARM;
	if (strcmp(r->seg[0], "v1.0") == 0) {
		if (r->nseg > 1 && strcmp(r->seg[1], "myorg") == 0)
			return SVC_PBI;
		if (r->nseg > 1 && strcmp(r->seg[1], "collections") == 0)
			return SVC_COLL;
		return SVC_GRAPH;
	}
	if (r->nseg >= 2)
		return SVC_ENTRA;
	return SVC_NONE;
}

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req	*r;

	(void)cls;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->uri = strdup(uri ? uri : "/");
	r->conn = c;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	return r;
}

static void
req_free(struct req *r)
{
	int	 i;

	if (r == NULL)
		return;
	free(r->uri);
	free(r->rawpath);
	free(r->rawquery);
	for (i = 0; i < r->nseg; i++)
		free(r->seg[i]);
	sim_kv_free(r->query, r->nquery);
	if (r->body.p != NULL)
		OPENSSL_cleanse(r->body.p, r->body.len);
	buf_release(&r->body);
	buf_release(&r->out);
	for (i = 0; i < r->nhdr; i++) {
		free(r->hk[i]);
		free(r->hv[i]);
	}
	free(r);
}

static void
done_cb(void *cls, struct MHD_Connection *c, void **cc,
    enum MHD_RequestTerminationCode tc)
{
	(void)cls;
	(void)c;
	(void)tc;
	req_free(*cc);
	*cc = NULL;
}

/* Connections accepted since start or the last reset, and open now. */
static pthread_mutex_t	 c_mu = PTHREAD_MUTEX_INITIALIZER;
static long		 c_opened, c_open;

static void
conn_cb(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)c;
	(void)socket_context;
	pthread_mutex_lock(&c_mu);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		c_opened++;
		c_open++;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && c_open > 0)
		c_open--;
	pthread_mutex_unlock(&c_mu);
}

void
sim_server_conns(long *opened, long *open, int reset)
{
	pthread_mutex_lock(&c_mu);
	*opened = c_opened;
	*open = c_open;
	if (reset)
		c_opened = 0;
	pthread_mutex_unlock(&c_mu);
}

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
delay_main(void *arg)
{
	int64_t		 now, next;
	struct timespec	 ts;
	size_t		 i;

	(void)arg;
	pthread_mutex_lock(&d_mu);
	while (!d_stop) {
		now = mono_ms();
		next = now + 1000;
		for (i = 0; i < d_n;) {
			if (d_q[i].wake <= now) {
				MHD_resume_connection(d_q[i].conn);
				d_q[i] = d_q[--d_n];
				continue;
			}
			if (d_q[i].wake < next)
				next = d_q[i].wake;
			i++;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (next - now) / 1000;
		ts.tv_nsec += (long)((next - now) % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d_cv, &d_mu, &ts);
	}
	for (i = 0; i < d_n; i++)
		MHD_resume_connection(d_q[i].conn);
	d_n = 0;
	pthread_mutex_unlock(&d_mu);
	return NULL;
}

static void
delay_add(struct MHD_Connection *c, int ms)
{
	struct delayed	*nq;

	pthread_mutex_lock(&d_mu);
	if (d_n == d_cap) {
		d_cap = d_cap ? d_cap * 2 : 64;
		if ((nq = realloc(d_q, d_cap * sizeof(*d_q))) == NULL)
			abort();
		d_q = nq;
	}
	d_q[d_n].conn = c;
	d_q[d_n].wake = mono_ms() + ms;
	d_n++;
	pthread_cond_signal(&d_cv);
	pthread_mutex_unlock(&d_mu);
}

/* Run the request under g.mu and leave the response in r. */
static void
process(struct req *r)
{
	char	 who[128];
	int	 faulty, commit500 = 0;

	pthread_mutex_lock(&g.mu);
	faulty = sim_fault_applies(r);
	if (r->toobig) {
		sim_pbi_error(r, 413, "RequestEntityTooLarge",
		    "request body too large");
		goto done;
	}
	if (faulty && sim_rate_limited(sim_fault_who(r, who,
	    sizeof(who)))) {
		sim_fault_reply(r, 429);
		goto done;
	}
	if (faulty && g.f.p429 > 0 && sim_rand() < g.f.p429) {
		sim_fault_reply(r, 429);
		goto done;
	}
	if (faulty && g.f.p5xx > 0 && sim_rand() < g.f.p5xx) {
		sim_fault_reply(r, sim_rand() < 0.5 ? 500 : 503);
		goto done;
	}
	if (faulty && g.f.p307 > 0 && r->svc == SVC_PBI && !r->clustered &&
	    sim_streq_ci(sim_q(r, "preferClientRouting"), "true") &&
	    sim_rand() < g.f.p307) {
		/* api-facts 3.0: 307 to the home cluster; clients follow */
		struct buf	 loc = { 0 };

		buf_printf(&loc, "%s://%s/_cluster%s", sim_scheme(),
		    sim_host(r), r->uri);
		sim_add_header(r, "Location", loc.p);
		buf_release(&loc);
		sim_reply_empty(r, 307);
		goto done;
	}
	if (faulty && g.f.p500ac > 0 && strcmp(r->method, "GET") != 0 &&
	    sim_rand() < g.f.p500ac)
		commit500 = 1;
	switch (r->svc) {
	case SVC_SIM:
		sim_control_route(r);
		break;
	case SVC_ENTRA:
		sim_entra_route(r);
		break;
	case SVC_GRAPH:
		sim_graph_route(r);
		break;
	case SVC_PBI:
		sim_pbi_route(r);
		break;
	case SVC_COLL:
		sim_coll_route(r);
		break;
	case SVC_BLOB:
		sim_blob_route(r);
		break;
	case SVC_ARM:
		if (r->nseg > 5 && strcasecmp(r->seg[5],
		    "Microsoft.PowerBIDedicated") == 0)
			sim_arm_capacities_route(r);
		else
			sim_arm_route(r);
		break;
	default:
		sim_pbi_error(r, 404, "NotFound", "no such route");
		break;
	}
	if (faulty && g.f.body_ac_set && strcmp(r->method, "GET") != 0 &&
	    r->status < 400) {
		/* the write happened; its answer is replaced */
		sim_reply(r, g.f.status_ac ? g.f.status_ac : r->status,
		    g.f.body_ac[0] ? "application/json; "
		    "charset=utf-8" : NULL, g.f.body_ac, strlen(g.f.body_ac));
	}
	if (commit500 && r->status < 400) {
		/* the write happened; the answer is lost */
		r->nhdr = 0;
		sim_fault_reply(r, 500);
	}
done:
	if (r->svc != SVC_SIM)
		sim_log_request(r);
	pthread_mutex_unlock(&g.mu);
}

static enum MHD_Result
queue(struct req *r)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;
	const char		*crid;
	int			 i;

	resp = MHD_create_response_from_buffer(r->out.len, r->out.p,
	    MHD_RESPMEM_MUST_FREE);
	r->out.p = NULL;
	r->out.len = r->out.cap = 0;
	if (resp == NULL)
		return MHD_NO;
	if (r->ctype != NULL)
		MHD_add_response_header(resp, "Content-Type", r->ctype);
	switch (r->svc) {
	case SVC_GRAPH:
		crid = sim_hdr(r, "client-request-id");
		MHD_add_response_header(resp, "request-id", r->reqid);
		MHD_add_response_header(resp, "client-request-id",
		    crid ? crid : r->reqid);
		break;
	case SVC_ENTRA:
		crid = sim_hdr(r, "client-request-id");
		MHD_add_response_header(resp, "x-ms-request-id", r->reqid);
		if (crid != NULL)
			MHD_add_response_header(resp, "client-request-id",
			    crid);
		break;
	case SVC_BLOB:
		MHD_add_response_header(resp, "x-ms-request-id", r->reqid);
		break;
	case SVC_ARM:
		MHD_add_response_header(resp, "x-ms-request-id", r->reqid);
		MHD_add_response_header(resp, "x-ms-correlation-request-id",
		    r->reqid);
		break;
	default:
		MHD_add_response_header(resp, "RequestId", r->reqid);
		break;
	}
	for (i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hk[i], r->hv[i]);
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *up, size_t *upsz,
    void **cc)
{
	struct req	*r = *cc;
	int		 delay = 0, drop = 0;

	(void)cls;
	(void)version;
	if (r == NULL) {
		r = uri_cb(NULL, url, c);
		*cc = r;
	}
	r->conn = c;
	if (r->stage == 0) {
		r->stage = 1;
		snprintf(r->method, sizeof(r->method), "%s", method);
		parse_target(r);
		r->svc = classify(r);
		return MHD_YES;
	}
	if (*upsz > 0) {
		if (r->body.len + *upsz > MAXBODY)
			r->toobig = 1;
		else
			buf_add(&r->body, up, *upsz);
		*upsz = 0;
		return MHD_YES;
	}
	if (r->stage == 3)		/* run, and held long enough */
		return queue(r);
	if (r->stage == 1) {
		r->stage = 2;
		pthread_mutex_lock(&g.mu);
		sim_guid(r->reqid);
		if (sim_fault_applies(r)) {
			if (g.f.pdrop > 0 && sim_rand() < g.f.pdrop)
				drop = 1;
			else if (g.f.latency_ms > 0 || g.f.jitter_ms > 0)
				delay = g.f.latency_ms + (g.f.jitter_ms > 0 ?
				    (int)(sim_rand() * (g.f.jitter_ms + 1)) :
				    0);
			r->hold_ms = g.f.latency_ac_ms;
		}
		if (drop) {
			r->dropped = 1;
			sim_log_request(r);
		}
		pthread_mutex_unlock(&g.mu);
		if (drop)
			return MHD_NO;
		if (delay > 0) {
			MHD_suspend_connection(c);
			delay_add(c, delay);
			return MHD_YES;
		}
	}
	process(r);
	/*
	 * The request has taken effect; its answer waits (a slow service,
	 * a client that may be gone before it comes).
	 */
	if (r->hold_ms > 0) {
		r->stage = 3;
		MHD_suspend_connection(c);
		delay_add(c, r->hold_ms);
		return MHD_YES;
	}
	return queue(r);
}

/*
 * Start the thread that wakes delayed requests and a daemon listening on
 * sin, serving TLS with the PEM cert and key when cert is not NULL.
 * Returns the daemon, or NULL when it cannot listen; either way
 * sim_server_stop() ends what was started.
 */
struct MHD_Daemon *
sim_server_start(struct sockaddr_in *sin, const char *certmem,
    const char *keymem)
{
	struct MHD_Daemon	*d;
	unsigned int		 flags;

	{
		pthread_condattr_t	 ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&d_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_create(&dthr, NULL, delay_main, NULL);

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
	    MHD_ALLOW_SUSPEND_RESUME;
	if (certmem != NULL) {
		flags |= MHD_USE_TLS;
		g.tls = 1;
	}
	if (certmem != NULL)
		d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
		    MHD_OPTION_SOCK_ADDR, sin,
		    MHD_OPTION_THREAD_POOL_SIZE, 2,
		    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, NULL,
		    MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL,
		    MHD_OPTION_NOTIFY_CONNECTION, conn_cb, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, 60,
		    MHD_OPTION_CONNECTION_LIMIT, 1000,
		    MHD_OPTION_HTTPS_MEM_CERT, certmem,
		    MHD_OPTION_HTTPS_MEM_KEY, keymem,
		    MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
		    MHD_OPTION_SOCK_ADDR, sin,
		    MHD_OPTION_THREAD_POOL_SIZE, 2,
		    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, NULL,
		    MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL,
		    MHD_OPTION_NOTIFY_CONNECTION, conn_cb, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, 60,
		    MHD_OPTION_CONNECTION_LIMIT, 1000,
		    MHD_OPTION_END);
	return d;
}

/* Stop the delay thread, resuming what it holds, and the daemon d. */
void
sim_server_stop(struct MHD_Daemon *d)
{
	pthread_mutex_lock(&d_mu);
	d_stop = 1;
	pthread_cond_signal(&d_cv);
	pthread_mutex_unlock(&d_mu);
	pthread_join(dthr, NULL);
	if (d != NULL)
		MHD_stop_daemon(d);
	free(d_q);
}
