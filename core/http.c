/*
 * http.c: libcurl underneath, the retry rules of design.md section 5 on
 * top.  The error shapes are read in http_error.c, collections paged in
 * http_page.c.
 */
#include "core.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#define POOL_MAX	64
#define PACE_SLOTS	16
#define PACE_WINDOW_MS	1000	/* the pace learns once a second */
#define PACE_MIN	0.5	/* requests a second, the lowest pace */
/* Idle connections kept for reuse, shared by every thread (--jobs). */
#define CONNS_MAX	64
#define MAX_REDIRECTS	5
#define BODY_MAX	((size_t)1 << 30)
/* A refused connection is retried this long at most (ms), not 45 s. */
#define REFUSED_RETRY_MS 3000

struct pbi_http {
	struct pbi_http_conf	 conf;
	CURLSH			*share;
	pthread_mutex_t		 share_lock[CURL_LOCK_DATA_LAST];
	pthread_mutex_t		 lock;		/* pool, pace, trace */
	CURL			*pool[POOL_MAX];
	size_t			 npool;
	struct pace {
		uint64_t	 key;
		int64_t		 used_ms;	/* for reuse of the slot */
		double		 rate;		/* requests a second now */
		double		 next_ms;	/* the next free slot */
		int64_t		 win_ms;	/* this window's start */
		int		 win_sent, win_429;
		double		 noise;		/* 429 share pacing can't cut */
		double		 cut_share;	/* share when last cut, or 0 */
		double		 cut_from;	/* rate before that cut */
	}			 pace[PACE_SLOTS];
	char			*ca_bundle;
	long			 sent;		/* attempts made, under lock */
	long			 throttled;	/* answered 429, under lock */
	long			 answered;	/* answers timed, under lock */
	int64_t			 latency_ms;	/* their sum, under lock */
};

static pthread_once_t	 global_once = PTHREAD_ONCE_INIT;
/* The request ids since pbi_http_mark (pbi_http_request_id). */
static _Thread_local struct {
	char	 write[96];
	char	 last[96];
} answered;
static CURLcode		 global_rc;

static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t
clock_ms(const struct pbi_http *h)
{
	if (h->conf.now_ms != NULL)
		return h->conf.now_ms(h->conf.hook_arg);
	return pbi_now_ms();
}

static void
wait_ms(const struct pbi_http *h, int64_t ms)
{
	if (ms <= 0)
		return;
	if (h->conf.sleep_ms != NULL)
		h->conf.sleep_ms(h->conf.hook_arg, ms);
	else
		pbi_sleep_ms(ms);
}

static void
share_lock(CURL *c, curl_lock_data d, curl_lock_access a, void *arg)
{
	struct pbi_http	*h = arg;

	(void)c;
	(void)a;
	pthread_mutex_lock(&h->share_lock[d]);
}

static void
share_unlock(CURL *c, curl_lock_data d, void *arg)
{
	struct pbi_http	*h = arg;

	(void)c;
	pthread_mutex_unlock(&h->share_lock[d]);
}

void
pbi_http_conf_init(struct pbi_http_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->connect_timeout_ms = 10000;
	c->timeout_ms = 120000;
	c->deadline_ms = 300000;
	c->retry_after_cap_s = 120;
	c->max_attempts = 8;
	c->backoff_base_ms = 500;
	c->backoff_cap_ms = 30000;
	c->replication_ms = 60000;
	c->rate = PBI_HTTP_RATE;
	c->ca_bundle = getenv("PBICTL_CA_BUNDLE");
	/* Empty counts as unset (pbictl-auth(1)). */
	if (c->ca_bundle != NULL && *c->ca_bundle == '\0')
		c->ca_bundle = NULL;
}

const struct pbi_err *
pbi_http_new(const struct pbi_http_conf *conf, struct pbi_http **out)
{
	struct pbi_http	*h = NULL;
	int		 i;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return pbi_err(PBI_ERR_NET, "cannot initialise libcurl: %s",
		    curl_easy_strerror(global_rc));
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	h->conf = *conf;
	if (h->conf.trace == NULL)
		h->conf.trace = stderr;
	if (conf->ca_bundle != NULL &&
	    (h->ca_bundle = strdup(conf->ca_bundle)) == NULL) {
		free(h);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	h->conf.ca_bundle = h->ca_bundle;
	pthread_mutex_init(&h->lock, NULL);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&h->share_lock[i], NULL);
	if ((h->share = curl_share_init()) == NULL) {
		pbi_http_free(h);
		return pbi_err(PBI_ERR_NOMEM, "cannot create a curl share");
	}
	curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(h->share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	*out = h;
	return NULL;
}

void
pbi_http_free(struct pbi_http *h)
{
	size_t	 i;

	if (h == NULL)
		return;
	for (i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	if (h->share != NULL)
		curl_share_cleanup(h->share);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&h->share_lock[i]);
	pthread_mutex_destroy(&h->lock);
	free(h->ca_bundle);
	free(h);
}

/* An easy handle from the pool, or a new one; NULL when out of memory. */
static CURL *
handle_get(struct pbi_http *h)
{
	CURL	*c = NULL;

	pthread_mutex_lock(&h->lock);
	if (h->npool > 0)
		c = h->pool[--h->npool];
	pthread_mutex_unlock(&h->lock);
	if (c == NULL)
		c = curl_easy_init();
	return c;
}

static void
handle_put(struct pbi_http *h, CURL *c)
{
	pthread_mutex_lock(&h->lock);
	if (h->npool < POOL_MAX) {
		h->pool[h->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	if (c != NULL)
		curl_easy_cleanup(c);
}

void
pbi_resp_wipe(struct pbi_resp *r)
{
	if (r != NULL && r->body != NULL)
		OPENSSL_cleanse(r->body, r->body_len);
	pbi_resp_release(r);
}

void
pbi_resp_release(struct pbi_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* State of one transfer, for the curl callbacks. */
struct xfer {
	struct pbi_resp	*resp;
	FILE		*sink;
	size_t		 cap;
	int		 overflow;
	int		 sink_err;
	const char	*up;		/* the request body, read by curl */
	size_t		 up_len;
	size_t		 up_off;
};

/* The request body, handed to curl as it asks. */
static size_t
on_read(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 k = x->up_len - x->up_off;

	if (k > sz * n)
		k = sz * n;
	memcpy(p, x->up + x->up_off, k);
	x->up_off += k;
	return k;
}

/*
 * Never: libcurl rewinds the body to send a request again by itself (on
 * a kept-alive connection that died before any answer, for one), and a
 * write that may have landed must not be repeated behind pbictl's back.
 * It fails with CURLE_SEND_FAIL_REWIND instead, and pbi_http_do's rules
 * decide.
 */
static int
on_seek(void *arg, curl_off_t off, int origin)
{
	(void)arg;
	(void)off;
	(void)origin;
	return CURL_SEEKFUNC_CANTSEEK;
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer	*x = arg;
	struct pbi_resp	*r = x->resp;
	size_t		 len = sz * n, ncap;
	char		*nb;

	if (x->sink != NULL && r->status >= 200 && r->status < 300) {
		if (fwrite(p, 1, len, x->sink) != len) {
			x->sink_err = 1;
			return 0;
		}
		r->body_len += len;
		return len;
	}
	if (r->body_len + len + 1 > x->cap) {
		if (r->body_len + len + 1 > BODY_MAX) {
			x->overflow = 1;
			return 0;
		}
		ncap = x->cap ? x->cap : 4096;
		while (ncap < r->body_len + len + 1)
			ncap *= 2;
		if ((nb = realloc(r->body, ncap)) == NULL)
			return 0;
		r->body = nb;
		x->cap = ncap;
	}
	memcpy(r->body + r->body_len, p, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

/* Copy a header value, trimmed, into dst. */
static void
hdr_copy(char *dst, size_t size, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer	*x = arg;
	struct pbi_resp	*r = x->resp;
	size_t		 len = sz * n, k;
	const char	*colon;
	long		 code;

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new status line: interim answers leave nothing. */
		r->request_id[0] = r->error_info[0] = r->location[0] = '\0';
		r->retry_after[0] = r->content_type[0] = '\0';
		if (sscanf(p, "HTTP/%*s %ld", &code) == 1)
			r->status = code;
		return len;
	}
	if ((colon = memchr(p, ':', len)) == NULL)
		return len;
	k = (size_t)(colon - p);
	colon++;
#define IS(name) (k == sizeof(name) - 1 && strncasecmp(p, name, k) == 0)
#define SET(f) hdr_copy(r->f, sizeof(r->f), colon, len - k - 1)
	if (IS("RequestId") || IS("request-id"))
		SET(request_id);
	else if (IS("x-ms-request-id") && r->request_id[0] == '\0')
		SET(request_id);
	else if (IS("X-PowerBI-Error-Info"))
		SET(error_info);
	else if (IS("Location"))
		SET(location);
	else if (IS("Retry-After"))
		SET(retry_after);
	else if (IS("Content-Type"))
		SET(content_type);
#undef IS
#undef SET
	return len;
}

static int
is_idempotent(const struct pbi_req *req)
{
	if (req->flags & PBI_REQ_IDEMPOTENT)
		return 1;
	return strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0 ||
	    strcmp(req->method, "PUT") == 0 ||
	    strcmp(req->method, "DELETE") == 0 ||
	    strcmp(req->method, "OPTIONS") == 0;
}

/* "METHOD /path" of url, without query, into buf. */
static void
call_name(char *buf, size_t len, const char *method, const char *url)
{
	const char	*p = strstr(url, "://");
	size_t		 n;

	p = p ? strchr(p + 3, '/') : NULL;
	if (p == NULL)
		p = "/";
	n = strcspn(p, "?#");
	snprintf(buf, len, "%s %.*s", method, (int)(n > 200 ? 200 : n), p);
}

/* FNV-1a of the credential, so a pause applies to one principal. */
static uint64_t
principal_key(const struct pbi_req *req)
{
	const char	*s = req->bearer ? req->bearer : req->auth;
	uint64_t	 k = 1469598103934665603ULL;

	for (; s != NULL && *s != '\0'; s++)
		k = (k ^ (unsigned char)*s) * 1099511628211ULL;
	return k;
}

/* The pace slot of key, taken over if need be.  Caller holds h->lock. */
static struct pace *
pace_slot(struct pbi_http *h, uint64_t key, int64_t now)
{
	struct pace	*p = NULL;
	size_t		 i, at = 0;

	for (i = 0; i < PACE_SLOTS; i++) {
		if (h->pace[i].key == key && h->pace[i].used_ms != 0) {
			p = &h->pace[i];
			break;
		}
		if (h->pace[i].used_ms < h->pace[at].used_ms)
			at = i;
	}
	if (p == NULL) {
		p = &h->pace[at];
		memset(p, 0, sizeof(*p));
		p->key = key;
		p->rate = h->conf.rate;
		p->next_ms = (double)now;
		p->win_ms = now;
	}
	p->used_ms = now > 0 ? now : 1;
	return p;
}

/*
 * Take the principal's next slot and wait for it, no later than
 * deadline.  Slots are 1/rate apart; a bucket of a twentieth of a
 * second's requests (at least one) may go at once.
 */
static void
pace_wait(struct pbi_http *h, uint64_t key, int64_t deadline)
{
	struct pace	*p;
	int64_t		 now = clock_ms(h), at;
	double		 gap, slot;

	pthread_mutex_lock(&h->lock);
	if (h->conf.rate <= 0) {
		pthread_mutex_unlock(&h->lock);
		return;
	}
	p = pace_slot(h, key, now);
	gap = 1000.0 / p->rate;
	slot = p->next_ms;
	if (slot < (double)now - gap * (1.0 + p->rate / 20.0))
		slot = (double)now - gap * (1.0 + p->rate / 20.0);
	p->next_ms = slot + gap;
	at = (int64_t)slot;
	pthread_mutex_unlock(&h->lock);
	if (at > deadline)
		at = deadline;
	if (at > now)
		wait_ms(h, at - now);
}

/*
 * Learn from an answer of the principal: throttled or not, and the
 * Retry-After in ms (or -1).  Once a window is over: a share of 429s
 * above the noise cuts the rate by a fifth and pauses the principal for
 * retry_ms; if the next window shows the same share, the cut did
 * nothing: the rate comes back and that share becomes the noise; a calm
 * window raises the rate by a twentieth of the ceiling.
 */
static void
pace_note(struct pbi_http *h, uint64_t key, int throttled, int64_t retry_ms)
{
	struct pace	*p;
	int64_t		 now = clock_ms(h);
	double		 share;

	pthread_mutex_lock(&h->lock);
	if (h->conf.rate <= 0) {
		pthread_mutex_unlock(&h->lock);
		return;
	}
	p = pace_slot(h, key, now);
	p->win_sent++;
	p->win_429 += throttled != 0;
	if (now - p->win_ms < PACE_WINDOW_MS && !(throttled &&
	    p->win_429 >= 4 && p->win_429 * 2 > p->win_sent)) {
		pthread_mutex_unlock(&h->lock);
		return;
	}
	share = (double)p->win_429 / p->win_sent;
	if (p->cut_share > 0 && share >= p->cut_share * 0.75 &&
	    share > 0) {
		/* Cutting did not help: these 429s are not the pace's. */
		p->noise = share;
		p->rate = p->cut_from;
		p->cut_share = 0;
	} else if (share > p->noise + 0.05 && p->win_429 >= 2) {
		p->cut_share = share;
		p->cut_from = p->rate;
		p->rate *= 0.8;
		if (p->rate < PACE_MIN)
			p->rate = PACE_MIN;
		if (retry_ms > 0 && p->next_ms < (double)(now + retry_ms))
			p->next_ms = (double)(now + retry_ms);
	} else {
		p->cut_share = 0;
		if (share <= p->noise + 0.02) {
			p->rate += h->conf.rate / 20.0;
			if (p->rate > h->conf.rate)
				p->rate = h->conf.rate;
		}
	}
	p->win_ms = now;
	p->win_sent = p->win_429 = 0;
	pthread_mutex_unlock(&h->lock);
}

void
pbi_http_set_rate(struct pbi_http *h, double rate)
{
	size_t	 i;

	pthread_mutex_lock(&h->lock);
	h->conf.rate = rate > 0 ? rate : 0;
	for (i = 0; i < PACE_SLOTS; i++)
		h->pace[i].used_ms = 0;
	pthread_mutex_unlock(&h->lock);
}

double
pbi_http_rate(struct pbi_http *h, double *lowest)
{
	double	 r;
	size_t	 i;

	pthread_mutex_lock(&h->lock);
	r = h->conf.rate;
	if (lowest != NULL) {
		*lowest = r;
		for (i = 0; i < PACE_SLOTS; i++)
			if (h->pace[i].used_ms != 0 && h->pace[i].rate < *lowest)
				*lowest = h->pace[i].rate;
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

long
pbi_http_throttled(struct pbi_http *h, double *latency)
{
	long	 n;

	pthread_mutex_lock(&h->lock);
	n = h->throttled;
	if (latency != NULL)
		*latency = h->answered > 0 ? (double)h->latency_ms /
		    (double)h->answered : 0;
	pthread_mutex_unlock(&h->lock);
	return n;
}

/* Exponential backoff with full jitter for attempt n (1-based). */
static int64_t
backoff(const struct pbi_http *h, int n)
{
	static _Thread_local unsigned int	 seed;
	int64_t					 d = h->conf.backoff_base_ms;

	if (seed == 0)
		seed = (unsigned int)pbi_now_ms() ^ (unsigned int)(uintptr_t)&d;
	while (--n > 0 && d < h->conf.backoff_cap_ms)
		d *= 2;
	if (d > h->conf.backoff_cap_ms)
		d = h->conf.backoff_cap_ms;
	/* Between half and all of d. */
	return d / 2 + (d > 1 ? rand_r(&seed) % (d / 2 + 1) : 0);
}

/* Write one trace line, serialised with the other threads. */
__attribute__((format(printf, 2, 3)))
static void
trace(struct pbi_http *h, const char *fmt, ...)
{
	va_list	 ap;

	pthread_mutex_lock(&h->lock);
	fputs("pbictl: ", h->conf.trace);
	va_start(ap, fmt);
	vfprintf(h->conf.trace, fmt, ap);
	va_end(ap);
	fputc('\n', h->conf.trace);
	fflush(h->conf.trace);
	pthread_mutex_unlock(&h->lock);
}

/* A redacted copy of a body for a -vv trace (free(3)). */
static char *
trace_body(const char *ctype, const char *body, size_t len)
{
	char	 note[64];

	if (body == NULL || len == 0)
		return strdup("(empty)");
	if (ctype != NULL &&
	    strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0)
		return pbi_redact_form(body, len);
	if (ctype == NULL || strstr(ctype, "json") != NULL)
		return pbi_redact_json(body, len);
	snprintf(note, sizeof(note), "[%zu bytes of %.30s]", len, ctype);
	return strdup(note);
}

/*
 * May a request to from carry its token on to to?  Only to the same
 * scheme, host and port, or to another Power BI cluster (api-facts 3.0:
 * the home-cluster redirect).
 */
static int
redirect_ok(const char *from, const char *to)
{
	static const char *const clusters[] = { ".analysis.windows.net",
	    ".analysis.usgovcloudapi.net", ".analysis.chinacloudapi.cn",
	    ".powerbi.com", ".powerbigov.us", ".powerbi.cn", NULL };
	const char	*h;
	size_t		 n, k;
	int		 i;

	if (pbi_same_origin(from, to))
		return 1;
	if (strncasecmp(to, "https://", 8) != 0)
		return 0;
	h = to + 8;
	n = strcspn(h, ":/?#");
	for (i = 0; clusters[i] != NULL; i++) {
		k = strlen(clusters[i]);
		if (n > k && strncasecmp(h + n - k, clusters[i], k) == 0)
			return 1;
	}
	return 0;
}

/* Is this answer the directory's replication lag (api-facts 2.3)? */
static int
replication_lag(const struct pbi_err *e)
{
	if (e->status == 404 && strcmp(e->svc_code,
	    "Request_ResourceNotFound") == 0)
		return 1;
	if (e->status != 400)
		return 0;
	/* A reference to an object the directory does not show yet. */
	return strcmp(e->svc_detail, "NoBackingApplicationObject") == 0 ||
	    (strcmp(e->svc_code, "Request_BadRequest") == 0 &&
	    strstr(e->svc_msg, "Invalid value specified for property") !=
	    NULL);
}

/* Is a curl failure one where the request surely never left? */
static int
never_sent(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	    cc == CURLE_COULDNT_RESOLVE_PROXY;
}

/*
 * One attempt: perform req against url into resp.  Returns the curl code;
 * resp->status is 0 when nothing was answered.
 */
static CURLcode
attempt(struct pbi_http *h, CURL *c, const struct pbi_req *req,
    const char *url, long timeout_ms, struct pbi_resp *resp, char *cerr)
{
	struct curl_slist	*hl = NULL, *nl;
	struct xfer		 x;
	char			 line[8192];
	const char *const	*hp;
	CURLcode		 cc;
	int			 oom = 0;

	memset(&x, 0, sizeof(x));
	x.resp = resp;
	x.sink = req->sink;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->status = 0;
	if (req->sink != NULL)
		rewind(req->sink);

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	/* Keep enough idle connections for every job (default 5). */
	curl_easy_setopt(c, CURLOPT_MAXCONNECTS, (long)CONNS_MAX);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->conf.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->conf.ca_bundle != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->conf.ca_bundle);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pbictl/" PBICTL_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");

	if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body != NULL || strcmp(req->method, "DELETE") != 0) {
			/* Even an empty POST says Content-Length: 0. */
			x.up = req->body ? req->body : "";
			x.up_len = req->body ? req->body_len : 0;
			curl_easy_setopt(c, CURLOPT_POST, 1L);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)x.up_len);
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(c, CURLOPT_READDATA, &x);
			curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
			curl_easy_setopt(c, CURLOPT_SEEKDATA, &x);
			/* curl_easy_reset undoes CUSTOMREQUEST: set after. */
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
			    req->method);
		}
	}

	/* curl_slist_append leaves the list alone when it fails. */
#define APPEND(s) do {							\
	if (!oom && (nl = curl_slist_append(hl, (s))) != NULL)		\
		hl = nl;						\
	else								\
		oom = 1;						\
} while (0)
	APPEND("Accept: application/json");
	APPEND("Expect:");
	if (req->content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s",
		    req->content_type);
		APPEND(line);
	}
	if (req->bearer != NULL || req->auth != NULL) {
		if (req->bearer != NULL)
			snprintf(line, sizeof(line),
			    "Authorization: Bearer %s", req->bearer);
		else
			snprintf(line, sizeof(line), "Authorization: %s",
			    req->auth);
		APPEND(line);
		OPENSSL_cleanse(line, sizeof(line));
	}
	for (hp = req->headers; hp != NULL && *hp != NULL; hp++)
		APPEND(*hp);
#undef APPEND
	if (oom) {
		for (nl = hl; nl != NULL; nl = nl->next)
			OPENSSL_cleanse(nl->data, strlen(nl->data));
		curl_slist_free_all(hl);
		return CURLE_OUT_OF_MEMORY;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	else if (x.overflow)
		snprintf(cerr, CURL_ERROR_SIZE, "answer larger than %zu bytes",
		    BODY_MAX);
	else if (x.sink_err)
		snprintf(cerr, CURL_ERROR_SIZE, "cannot write the answer");
	else if (cc == CURLE_SEND_FAIL_REWIND)
		snprintf(cerr, CURL_ERROR_SIZE, "the connection was lost "
		    "before any answer (the request may have been processed)");
	else if (cc == CURLE_COULDNT_RESOLVE_HOST ||
	    cc == CURLE_COULDNT_CONNECT) {
		const char	*hs = strstr(url, "://");
		size_t		 hn;

		hs = hs ? hs + 3 : url;
		hn = strcspn(hs, "/?#");
		snprintf(cerr, CURL_ERROR_SIZE, cc == CURLE_COULDNT_CONNECT ?
		    "cannot connect to endpoint %.*s (refused or unreachable)" :
		    "endpoint host %.*s does not resolve (check --cloud and "
		    "the PBICTL_*_URL variables)", (int)(hn > 200 ? 200 : hn),
		    hs);
	}
	/* Wipe the copy of the credential curl holds in the list. */
	for (nl = hl; nl != NULL; nl = nl->next)
		if (strncasecmp(nl->data, "Authorization:", 14) == 0)
			OPENSSL_cleanse(nl->data, strlen(nl->data));
	curl_slist_free_all(hl);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	return cc;
}

const struct pbi_err *
pbi_http_do(struct pbi_http *h, const struct pbi_req *req,
    struct pbi_resp *resp)
{
	const struct pbi_err	*err = NULL;
	struct pbi_err		*e;
	CURL			*c = NULL;
	char			 cerr[CURL_ERROR_SIZE], call[256];
	char			*url = NULL, *shown = NULL, *tb;
	int64_t			 start, deadline, t0, wait, left, replic_end;
	long			 ra;
	int			 n, idem, redirects = 0, retry;
	CURLcode		 cc;
	uint64_t		 pkey;

	memset(resp, 0, sizeof(*resp));
	call_name(call, sizeof(call), req->method, req->url);
	if ((url = strdup(req->url)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	if (!pbi_url_allowed(url)) {
		err = pbi_err(PBI_ERR_CONFIG, "refusing '%s': plain http is "
		    "allowed only to a loopback host", req->url);
		goto done;
	}
	if ((c = handle_get(h)) == NULL) {
		err = pbi_err(PBI_ERR_NOMEM, "cannot create a curl handle");
		goto done;
	}
	idem = is_idempotent(req);
	pkey = principal_key(req);
	start = clock_ms(h);
	deadline = start + h->conf.deadline_ms;
	replic_end = start + h->conf.replication_ms;

	for (n = 1;; n++) {
		pace_wait(h, pkey, deadline);
		left = deadline - clock_ms(h);
		if (left <= 0) {
			err = pbi_err(PBI_ERR_DEADLINE, "%s: no answer within "
			    "%ld s", call, h->conf.deadline_ms / 1000);
			goto done;
		}
		free(shown);
		shown = pbi_redact_url(url);
		if (h->conf.verbose >= 1)
			trace(h, "> %s %s", req->method, shown ? shown : "?");
		if (h->conf.verbose >= 2 && req->body != NULL) {
			tb = trace_body(req->content_type, req->body,
			    req->body_len);
			trace(h, "> %s", tb ? tb : "?");
			free(tb);
		}
		cerr[0] = '\0';
		t0 = clock_ms(h);
		pthread_mutex_lock(&h->lock);
		h->sent++;
		pthread_mutex_unlock(&h->lock);
		cc = attempt(h, c, req, url,
		    left < h->conf.timeout_ms ? left : h->conf.timeout_ms,
		    resp, cerr);
		resp->attempts = n;
		if (cc == CURLE_OK) {
			pthread_mutex_lock(&h->lock);
			h->answered++;
			h->latency_ms += clock_ms(h) - t0;
			h->throttled += resp->status == 429;
			pthread_mutex_unlock(&h->lock);
			if (resp->status != 429)
				pace_note(h, pkey, 0, -1);
		}
		if (h->conf.verbose >= 1) {
			if (cc != CURLE_OK)
				trace(h, "< %s %s: %s (%lld ms)", req->method,
				    shown ? shown : "?",
				    cerr[0] ? cerr : curl_easy_strerror(cc),
				    (long long)(clock_ms(h) - t0));
			else
				trace(h, "< %ld %s %s (%lld ms, request id %s)",
				    resp->status, req->method,
				    shown ? shown : "?",
				    (long long)(clock_ms(h) - t0),
				    resp->request_id[0] ? resp->request_id :
				    "none");
		}
		if (h->conf.verbose >= 2 && cc == CURLE_OK &&
		    (req->sink == NULL || resp->status >= 300)) {
			tb = trace_body(resp->content_type, resp->body,
			    resp->body_len);
			trace(h, "< %s", tb ? tb : "?");
			free(tb);
		}

		retry = 0;
		wait = 0;
		err = NULL;
		if (cc != CURLE_OK) {
			e = pbi_err_slot();
			e->code = PBI_ERR_NET;
			snprintf(e->msg, sizeof(e->msg), "%s: %s", call,
			    cerr[0] ? cerr : curl_easy_strerror(cc));
			err = e;
			/*
			 * A name that does not resolve will not resolve
			 * in a second either: fail at once.  A refused
			 * connection is retried briefly (a restart).
			 */
			if (cc == CURLE_COULDNT_RESOLVE_HOST ||
			    cc == CURLE_COULDNT_RESOLVE_PROXY ||
			    (cc == CURLE_COULDNT_CONNECT &&
			    clock_ms(h) - start >= REFUSED_RETRY_MS))
				;
			else if (never_sent(cc) || (idem && cc !=
			    CURLE_OUT_OF_MEMORY && cc != CURLE_WRITE_ERROR &&
			    cc != CURLE_SSL_CACERT_BADFILE &&
			    cc != CURLE_PEER_FAILED_VERIFICATION &&
			    cc != CURLE_UNSUPPORTED_PROTOCOL)) {
				retry = 1;
				wait = backoff(h, n);
			}
		} else if ((resp->status == 307 || resp->status == 308) &&
		    resp->location[0] != '\0') {
			/* Home-cluster redirect (api-facts 3.0): resend. */
			if (++redirects > MAX_REDIRECTS ||
			    !pbi_url_allowed(resp->location) ||
			    !redirect_ok(url, resp->location)) {
				err = pbi_err(PBI_ERR_PROTO, "%s: refusing "
				    "redirect to '%s'", call, resp->location);
				goto done;
			}
			free(url);
			if ((url = strdup(resp->location)) == NULL) {
				err = pbi_err(PBI_ERR_NOMEM, "out of memory");
				goto done;
			}
			n--;
			continue;
		} else if (resp->status >= 400) {
			err = pbi_http_error(call, resp);
			if (resp->status == 429 || resp->status == 503) {
				/* Not processed: safe to repeat any method. */
				retry = 1;
				ra = pbi_retry_after(resp->retry_after,
				    time(NULL));
				/* Told to wait longer than we would: no use. */
				if (ra > h->conf.retry_after_cap_s &&
				    (req->flags & PBI_REQ_NOLONGWAIT))
					break;
				if (ra > h->conf.retry_after_cap_s)
					ra = h->conf.retry_after_cap_s;
				wait = ra >= 0 ? ra * 1000 : backoff(h, n);
				if (resp->status == 429)
					pace_note(h, pkey, 1, wait);
			} else if (resp->status >= 500 && idem) {
				retry = 1;
				wait = backoff(h, n);
			} else if ((req->flags & PBI_REQ_REPLICATION) &&
			    replication_lag(err) && clock_ms(h) < replic_end) {
				retry = 1;
				wait = backoff(h, n);
			}
		}
		if (!retry)
			break;
		if (n >= h->conf.max_attempts) {
			err = pbi_err_ctx(err, "giving up after %d attempts",
			    n);
			break;
		}
		if (clock_ms(h) + wait > deadline) {
			e = (struct pbi_err *)err;
			err = pbi_err_ctx(err, "giving up: the next attempt "
			    "would pass the %ld s deadline",
			    h->conf.deadline_ms / 1000);
			if (e->code != PBI_ERR_HTTP)
				e->code = PBI_ERR_DEADLINE;
			break;
		}
		if (h->conf.verbose >= 1)
			trace(h, "retrying %s in %lld ms (attempt %d)", call,
			    (long long)wait, n + 1);
		wait_ms(h, wait);
	}
	if (err == NULL && resp->status >= 200 && resp->status < 300 &&
	    resp->request_id[0] != '\0' && !(req->flags & PBI_REQ_TOKEN)) {
		pbi_strlcpy(answered.last, resp->request_id,
		    sizeof(answered.last));
		if (answered.write[0] == '\0' &&
		    strcmp(req->method, "GET") != 0 &&
		    strcmp(req->method, "HEAD") != 0)
			pbi_strlcpy(answered.write, resp->request_id,
			    sizeof(answered.write));
	}
	if (err != NULL && (req->flags & PBI_REQ_NOFAIL) &&
	    err->code == PBI_ERR_HTTP)
		err = NULL;
done:
	if (c != NULL)
		handle_put(h, c);
	free(shown);
	free(url);
	return err;
}

void
pbi_http_mark(void)
{
	answered.write[0] = answered.last[0] = '\0';
}

const char *
pbi_http_request_id(void)
{
	if (answered.write[0] != '\0')
		return answered.write;
	return answered.last[0] != '\0' ? answered.last : NULL;
}

long
pbi_http_sent(struct pbi_http *h)
{
	long	 n;

	pthread_mutex_lock(&h->lock);
	n = h->sent;
	pthread_mutex_unlock(&h->lock);
	return n;
}

const struct pbi_err *
pbi_http_json(struct pbi_http *h, const char *method, const char *url,
    const char *bearer, const char *const *headers, struct json_object *body,
    int flags, struct json_object **out)
{
	struct pbi_req		 req;
	const char		*text = NULL;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.bearer = bearer;
	req.headers = headers;
	req.flags = flags;
	if (body != NULL) {
		text = pj_text(body, 0);
		req.body = text;
		req.body_len = strlen(text);
		req.content_type = "application/json; charset=utf-8";
	}
	return pbi_http_do_json(h, &req, out);
}

const struct pbi_err *
pbi_http_do_json(struct pbi_http *h, const struct pbi_req *req,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct pbi_resp		 resp;
	char			 call[256];

	if (out != NULL)
		*out = NULL;
	err = pbi_http_do(h, req, &resp);
	if (err == NULL && out != NULL && resp.body_len > 0 &&
	    resp.status < 300) {
		if ((*out = pj_parse(resp.body, resp.body_len)) == NULL) {
			struct pbi_err	*e = pbi_err_slot();

			call_name(call, sizeof(call), req->method, req->url);
			e->code = PBI_ERR_PROTO;
			e->status = resp.status;
			pbi_strlcpy(e->call, call, sizeof(e->call));
			pbi_strlcpy(e->request_id, resp.request_id,
			    sizeof(e->request_id));
			snprintf(e->msg, sizeof(e->msg), "the service answered "
			    "%zu bytes that are not JSON", resp.body_len);
			err = e;
		}
	}
	if (req->flags & PBI_REQ_SECRET)
		pbi_resp_wipe(&resp);
	else
		pbi_resp_release(&resp);
	return err;
}
