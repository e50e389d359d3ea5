/*
 * testsrv.h: a scripted HTTP server for core/http's unit tests.
 *
 * It runs inside the test process on a random loopback port, answers
 * requests with the scripted responses in order (the last one repeats)
 * and records what each request carried, so tests assert on what crossed
 * the wire.  Header-only: each test includes it once.
 */
#ifndef TESTSRV_H
#define TESTSRV_H

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ts_resp {
	int		 status;
	const char	*headers;	/* "Name: value\n" lines, or NULL */
	const char	*body;		/* or NULL */
	int		 drop;		/* close the connection, no answer */
};

#define TS_MAXREQ	64

struct ts_req {
	char		 method[16];
	char		 url[1024];
	char		 auth[512];
	char		 ctype[128];
	char		 body[8192];
	size_t		 body_len;
};

struct testsrv {
	struct MHD_Daemon	*d;
	int			 port;
	const struct ts_resp	*script;
	size_t			 nscript;
	size_t			 next;
	struct ts_req		 reqs[TS_MAXREQ];
	size_t			 nreqs;
	pthread_mutex_t		 lock;
	char			 urlbuf[256];
};

struct ts_conn {
	char	 body[8192];
	size_t	 len;
};

static void
ts_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result
ts_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct testsrv		*ts = cls;
	struct ts_conn		*tc = *con_cls;
	const struct ts_resp	*r;
	struct MHD_Response	*resp;
	struct ts_req		*rq;
	const char		*h, *nl, *colon, *q, *v;
	char			 name[128], value[512];
	size_t			 n;
	enum MHD_Result		 ret;

	(void)version;
	if (tc == NULL) {
		if ((tc = calloc(1, sizeof(*tc))) == NULL)
			return MHD_NO;
		*con_cls = tc;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		n = *upload_size;
		if (tc->len + n >= sizeof(tc->body))
			n = sizeof(tc->body) - tc->len - 1;
		memcpy(tc->body + tc->len, upload, n);
		tc->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&ts->lock);
	r = &ts->script[ts->next < ts->nscript ? ts->next : ts->nscript - 1];
	ts->next++;
	if (ts->nreqs < TS_MAXREQ) {
		rq = &ts->reqs[ts->nreqs++];
		snprintf(rq->method, sizeof(rq->method), "%s", method);
		q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "$skip");
		v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "api-version");
		snprintf(rq->url, sizeof(rq->url), "%s%s%s%s%s", url,
		    q ? "?$skip=" : "", q ? q : "",
		    v ? (q ? "&api-version=" : "?api-version=") : "",
		    v ? v : "");
		h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "Authorization");
		snprintf(rq->auth, sizeof(rq->auth), "%s", h ? h : "");
		h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "Content-Type");
		snprintf(rq->ctype, sizeof(rq->ctype), "%s", h ? h : "");
		memcpy(rq->body, tc->body, tc->len);
		rq->body[tc->len] = '\0';
		rq->body_len = tc->len;
	}
	pthread_mutex_unlock(&ts->lock);
	if (r->drop)
		return MHD_NO;
	h = r->body ? r->body : "";
	resp = MHD_create_response_from_buffer(strlen(h), (void *)h,
	    MHD_RESPMEM_MUST_COPY);
	for (h = r->headers; h != NULL && *h != '\0'; h = nl + 1) {
		nl = strchr(h, '\n');
		colon = strchr(h, ':');
		if (nl == NULL || colon == NULL || colon > nl)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(colon - h), h);
		snprintf(value, sizeof(value), "%.*s", (int)(nl - colon - 2),
		    colon + 2);
		MHD_add_response_header(resp, name, value);
	}
	ret = MHD_queue_response(c, (unsigned int)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Start ts with a script of n responses.  Returns 0 or -1. */
__attribute__((unused)) static int
ts_start(struct testsrv *ts, const struct ts_resp *script, size_t n)
{
	const union MHD_DaemonInfo	*di;
	struct sockaddr_in		 sin;

	memset(ts, 0, sizeof(*ts));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ts->script = script;
	ts->nscript = n;
	pthread_mutex_init(&ts->lock, NULL);
	ts->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, ts_handler, ts,
	    MHD_OPTION_NOTIFY_COMPLETED, ts_completed, NULL,
	    MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_END);
	if (ts->d == NULL)
		return -1;
	di = MHD_get_daemon_info(ts->d, MHD_DAEMON_INFO_BIND_PORT);
	ts->port = di ? di->port : 0;
	return ts->port ? 0 : -1;
}

__attribute__((unused)) static void
ts_stop(struct testsrv *ts)
{
	if (ts->d != NULL)
		MHD_stop_daemon(ts->d);
	ts->d = NULL;
	pthread_mutex_destroy(&ts->lock);
}

/* "http://127.0.0.1:PORT" + path, in a buffer of ts. */
__attribute__((unused)) static const char *
ts_url(struct testsrv *ts, const char *path)
{
	snprintf(ts->urlbuf, sizeof(ts->urlbuf), "http://127.0.0.1:%d%s",
	    ts->port, path);
	return ts->urlbuf;
}

#endif /* TESTSRV_H */
