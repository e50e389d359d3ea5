/*
 * svc.c: authenticated calls, token renewal, access keys, dry runs.
 */
#include "core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define TOKEN_MAX	16384
#define COLL_PREFIX	"/v1.0/collections/"

/* The access key of one Workspace Collection. */
struct pbi_appkey {
	struct pbi_appkey	*next;
	char			*collection;
	char			*key;		/* wiped */
};

const struct pbi_err *
pbi_svc_new(const char *cloud, const struct pbi_authconf *ac, int verbose,
    int dry_run, struct pbi_svc **out)
{
	const struct pbi_err	*err;
	struct pbi_http_conf	 hc;
	struct pbi_svc		*s;
	pthread_mutex_t		*m;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (m = malloc(sizeof(*m))) == NULL) {
		free(s);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(m, NULL);
	s->lock = m;
	s->dry_run = dry_run;
	if ((err = pbi_endpoints_get(cloud, &s->ep)) != NULL)
		goto fail;
	pbi_http_conf_init(&hc);
	hc.verbose = verbose;
	if ((err = pbi_http_new(&hc, &s->http)) != NULL)
		goto fail;
	if ((err = pbi_auth_new(ac, &s->ep, s->http, &s->auth)) != NULL)
		goto fail;
	*out = s;
	return NULL;
fail:
	pbi_svc_free(s);
	return err;
}

static void
appkey_free(struct pbi_appkey *k)
{
	if (k == NULL)
		return;
	pbi_wipe_free(k->key);
	free(k->collection);
	free(k);
}

void
pbi_svc_free(struct pbi_svc *s)
{
	struct pbi_appkey	*k;

	if (s == NULL)
		return;
	while ((k = s->appkeys) != NULL) {
		s->appkeys = k->next;
		appkey_free(k);
	}
	pbi_auth_free(s->auth);
	pbi_http_free(s->http);
	json_object_put(s->dry_calls);
	if (s->lock != NULL) {
		pthread_mutex_destroy(s->lock);
		free(s->lock);
	}
	free(s);
}

const struct pbi_err *
pbi_svc_appkey(struct pbi_svc *s, const char *collection, const char *key)
{
	struct pbi_appkey	**kp, *k = NULL, *old;

	if (collection == NULL || *collection == '\0' ||
	    strcspn(collection, "/?#%") != strlen(collection))
		return pbi_err(PBI_ERR_INPUT, "invalid Workspace Collection "
		    "name '%s'", collection ? collection : "");
	if (key != NULL && (*key == '\0' || strpbrk(key, "\r\n") != NULL))
		return pbi_err(PBI_ERR_INPUT, "the access key of Workspace "
		    "Collection '%s' is not one line of text", collection);
	if (key != NULL && ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->collection = strdup(collection)) == NULL ||
	    (k->key = strdup(key)) == NULL)) {
		appkey_free(k);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_lock(s->lock);
	for (kp = &s->appkeys; *kp != NULL; kp = &(*kp)->next)
		if (strcasecmp((*kp)->collection, collection) == 0) {
			old = *kp;
			*kp = old->next;
			appkey_free(old);
			break;
		}
	if (k != NULL) {
		k->next = s->appkeys;
		s->appkeys = k;
	}
	pthread_mutex_unlock(s->lock);
	return NULL;
}

/*
 * The Authorization value "AppKey <key>" for a Workspace Collections call
 * to url (wipe and free it with pbi_wipe_free), or NULL with the error
 * raised.  The key is that of the collection named in the path, and goes
 * only to the Workspace Collections endpoint.
 */
static char *
appkey_for(struct pbi_svc *s, const char *url, const struct pbi_err **err)
{
	const struct pbi_appkey	*k;
	const char		*base = s->ep.collections, *name;
	char			*auth = NULL, *shown;
	size_t			 blen = strlen(base), n;

	if (strncasecmp(url, base, blen) != 0 || url[blen] != '/') {
		shown = pbi_redact_url(url);
		*err = pbi_err(PBI_ERR_REFUSED, "refusing to send a Workspace "
		    "Collections key to '%s': not %s", shown ? shown : "?",
		    base);
		free(shown);
		return NULL;
	}
	name = url + blen;
	if (strncasecmp(name, COLL_PREFIX, strlen(COLL_PREFIX)) != 0 ||
	    (n = strcspn(name += strlen(COLL_PREFIX), "/?#")) == 0) {
		*err = pbi_err(PBI_ERR_CONFIG, "'%.200s' names no Workspace "
		    "Collection", url + blen);
		return NULL;
	}
	pthread_mutex_lock(s->lock);
	for (k = s->appkeys; k != NULL; k = k->next)
		if (strlen(k->collection) == n &&
		    strncasecmp(k->collection, name, n) == 0)
			break;
	if (k != NULL) {
		n = strlen(k->key) + sizeof("AppKey ");
		if ((auth = malloc(n)) != NULL)
			snprintf(auth, n, "AppKey %s", k->key);
	}
	pthread_mutex_unlock(s->lock);
	if (k == NULL)
		*err = pbi_err(PBI_ERR_CONFIG, "no access key for Workspace "
		    "Collection '%.*s'", (int)(n > 200 ? 200 : n), name);
	else if (auth == NULL)
		*err = pbi_err(PBI_ERR_NOMEM, "out of memory");
	return auth;
}

/* The service says the token is no good (api-facts 3.0, 2.3). */
static int
token_refused(const struct pbi_err *e)
{
	if (e->code != PBI_ERR_HTTP)
		return 0;
	if (e->status == 401 &&
	    strcmp(e->svc_code, "InvalidAuthenticationToken") == 0)
		return 1;
	return e->status == 403 && (strcmp(e->svc_code, "TokenExpired") == 0 ||
	    strcmp(e->svc_code, "InvalidToken") == 0);
}

static void
dry_record(struct pbi_svc *s, const char *method, const char *url,
    struct json_object *body)
{
	struct json_object	*c;
	char			*red = NULL, *u;
	const char		*t;

	pthread_mutex_lock(s->lock);
	if (s->dry_calls == NULL)
		s->dry_calls = json_object_new_array();
	c = json_object_new_object();
	pj_add_str(c, "method", method);
	u = pbi_redact_url(url);
	pj_add_str(c, "url", u);
	free(u);
	if (body != NULL) {
		t = pj_text(body, 0);
		red = pbi_redact_json(t, strlen(t));
		pj_add(c, "body", red ? pj_parse(red, strlen(red)) : NULL);
		free(red);
	}
	json_object_array_add(s->dry_calls, c);
	pthread_mutex_unlock(s->lock);
}

static const char *
base_of(const struct pbi_svc *s, enum pbi_api api)
{
	switch (api) {
	case PBI_API_GRAPH:
		return s->ep.graph;
	case PBI_API_ARM:
		return s->ep.arm;
	case PBI_API_COLLECTIONS:
		return s->ep.collections;
	default:
		return s->ep.powerbi;
	}
}

/* Does the query of url name an api-version? */
static int
has_api_version(const char *url)
{
	const char	*q = strchr(url, '?');

	return q != NULL && (strncmp(q + 1, "api-version=", 12) == 0 ||
	    strstr(q, "&api-version=") != NULL);
}

/*
 * base + path into a new string (free(3)); an ARM URL gets the
 * api-version it lacks.
 */
static char *
url_for(struct pbi_svc *s, enum pbi_api api, const char *path)
{
	const char	*base = base_of(s, api);
	const char	*ver = "";
	size_t		 n;
	char		*u;

	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0)
		base = "";
	if (api == PBI_API_ARM && !has_api_version(path))
		ver = strchr(path, '?') ? "&api-version=" PBI_ARM_API_VERSION :
		    "?api-version=" PBI_ARM_API_VERSION;
	n = strlen(base) + strlen(path) + strlen(ver) + 1;
	if ((u = malloc(n)) != NULL)
		snprintf(u, n, "%s%s%s", base, path, ver);
	return u;
}

/*
 * Call fn with the credential of api for a call to url: a token, and
 * when the service refuses it as expired or revoked, once more with a
 * new one; or for Workspace Collections the collection's access key.
 * fn receives either bearer (a token) or auth (a whole Authorization
 * value), the other NULL.
 */
static const struct pbi_err *
with_cred(struct pbi_svc *s, enum pbi_api api, const char *url,
    const struct pbi_err *(*fn)(struct pbi_svc *, const char *,
    const char *, void *), void *arg)
{
	const struct pbi_err	*err = NULL;
	char			*tok;
	int			 tries;

	if (api == PBI_API_COLLECTIONS) {
		if ((tok = appkey_for(s, url, &err)) == NULL)
			return err;
		err = fn(s, NULL, tok, arg);
		pbi_wipe_free(tok);
		return err;
	}
	if ((tok = malloc(TOKEN_MAX)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	for (tries = 0; tries < 2; tries++) {
		if ((err = pbi_auth_token(s->auth, api, tok, TOKEN_MAX,
		    NULL)) != NULL)
			break;
		if ((err = fn(s, tok, NULL, arg)) == NULL ||
		    !token_refused(err))
			break;
		pbi_auth_expired(s->auth, api, tok);
	}
	OPENSSL_cleanse(tok, TOKEN_MAX);
	free(tok);
	return err;
}

struct send {
	struct pbi_req		 req;
	const char		*path;
	struct json_object	**out;
};

static const struct pbi_err *
send_fn(struct pbi_svc *s, const char *bearer, const char *auth, void *arg)
{
	struct send		*a = arg;
	struct pbi_resp		 resp;
	const struct pbi_err	*err;
	struct pbi_err		*e;

	a->req.bearer = bearer;
	a->req.auth = auth;
	err = pbi_http_do(s->http, &a->req, &resp);
	if (err == NULL && a->out != NULL && resp.body_len > 0 &&
	    resp.status < 300 &&
	    (*a->out = pj_parse(resp.body, resp.body_len)) == NULL) {
		e = pbi_err_slot();
		e->code = PBI_ERR_PROTO;
		e->status = resp.status;
		snprintf(e->call, sizeof(e->call), "%s %.200s", a->req.method,
		    a->path);
		pbi_strlcpy(e->request_id, resp.request_id,
		    sizeof(e->request_id));
		snprintf(e->msg, sizeof(e->msg), "the service answered %zu "
		    "bytes that are not JSON", resp.body_len);
		err = e;
	}
	if (a->req.flags & PBI_REQ_SECRET)
		pbi_resp_wipe(&resp);
	else
		pbi_resp_release(&resp);
	return err;
}

/* One call; in a dry run a write is recorded (jbody shown) and not sent. */
static const struct pbi_err *
send(struct pbi_svc *s, enum pbi_api api, const char *method,
    const char *path, const char *const *headers, const char *ctype,
    const void *body, size_t len, struct json_object *jbody, int flags,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct send		 a;
	char			*url;

	if (out != NULL)
		*out = NULL;
	if ((url = url_for(s, api, path)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	if (s->dry_run && strcmp(method, "GET") != 0) {
		dry_record(s, method, url, jbody);
		free(url);
		return NULL;
	}
	memset(&a, 0, sizeof(a));
	a.req.method = method;
	a.req.url = url;
	a.req.headers = headers;
	a.req.content_type = ctype;
	a.req.body = body;
	a.req.body_len = len;
	a.req.flags = flags;
	a.path = path;
	a.out = out;
	err = with_cred(s, api, url, send_fn, &a);
	free(url);
	return err;
}

const struct pbi_err *
pbi_svc_json(struct pbi_svc *s, enum pbi_api api, const char *method,
    const char *path, const char *const *headers, struct json_object *body,
    int flags, struct json_object **out)
{
	const char	*text = body ? pj_text(body, 0) : NULL;

	return send(s, api, method, path, headers, body ?
	    "application/json; charset=utf-8" : NULL, text, text ?
	    strlen(text) : 0, body, flags, out);
}

const struct pbi_err *
pbi_svc_raw(struct pbi_svc *s, enum pbi_api api, const char *method,
    const char *path, const char *const *headers, const char *ctype,
    const void *body, size_t len, int flags, struct json_object **out)
{
	return send(s, api, method, path, headers, ctype, body, len, NULL,
	    flags, out);
}

const struct pbi_err *
pbi_svc_download(struct pbi_svc *s, enum pbi_api api, const char *path,
    const char *const *headers, FILE *sink)
{
	const struct pbi_err	*err;
	struct send		 a;
	char			*url;

	if ((url = url_for(s, api, path)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	memset(&a, 0, sizeof(a));
	a.req.method = "GET";
	a.req.url = url;
	a.req.headers = headers;
	a.req.sink = sink;
	a.req.flags = PBI_REQ_IDEMPOTENT;
	a.path = path;
	err = with_cred(s, api, url, send_fn, &a);
	free(url);
	return err;
}

struct all {
	enum pbi_api		 api;
	const char		*url;
	const char *const	*headers;
	int			 flags;
	struct json_object	**out;
};

static const struct pbi_err *
all_fn(struct pbi_svc *s, const char *tok, const char *auth, void *arg)
{
	struct all	*a = arg;
	struct pbi_req	 req;

	if (a->api == PBI_API_ARM || a->api == PBI_API_COLLECTIONS) {
		memset(&req, 0, sizeof(req));
		req.url = a->url;
		req.bearer = tok;
		req.auth = auth;
		req.headers = a->headers;
		req.flags = a->flags;
		return pbi_http_list(s->http, &req, "nextLink", a->out);
	}

	if (a->api == PBI_API_GRAPH)
		return pbi_http_graph_all(s->http, a->url, tok, a->headers,
		    a->flags, a->out);
	return pbi_http_pbi_all(s->http, a->url, tok, a->headers, 5000,
	    a->out);
}

const struct pbi_err *
pbi_svc_all(struct pbi_svc *s, enum pbi_api api, const char *path,
    const char *const *headers, int flags, struct json_object **out)
{
	const struct pbi_err	*err;
	struct all		 a;
	char			*url;

	*out = NULL;
	if ((url = url_for(s, api, path)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	a.api = api;
	a.url = url;
	a.headers = headers;
	a.flags = flags;
	a.out = out;
	err = with_cred(s, api, url, all_fn, &a);
	free(url);
	return err;
}
