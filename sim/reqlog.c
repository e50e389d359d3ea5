/*
 * reqlog.c: the request log (pbisim(1) REQUEST LOG): one JSON line per
 * request with its secrets redacted, kept in a ring for GET
 * /_sim/requests and appended to the --request-log file, and the
 * principal each request is logged under.
 */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char			**g_log;	/* ring of JSON lines */
static size_t			 g_logn;	/* total entries so far */
static FILE			*g_logf;

static int
secret_key(const char *k)
{
	static const char *const keys[] = { "client_secret", "password",
	    "client_assertion", "secretText", "accessKey", "accessKeys",
	    "key1", "key2", "access_token", "refresh_token", "id_token",
	    "token", "credentials", "basicCredentials", "device_code",
	    "identityBlob", "secret", "assertion", "code", NULL };
	int	 i;

	for (i = 0; keys[i] != NULL; i++)
		if (strcasecmp(k, keys[i]) == 0)
			return 1;
	return 0;
}

static void
redact(struct json_object *o)
{
	size_t	 i;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			redact(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		if (secret_key(k))
			json_object_object_add(o, k,
			    json_object_new_string("REDACTED"));
		else
			redact(v);
	}
}

static struct json_object *
log_body(struct req *r)
{
	const char		*ct = sim_hdr(r, "Content-Type");
	struct json_object	*o = NULL;
	struct kv		*kv = NULL;
	int			 n = 0, i;

	if (r->body.len == 0 || ct == NULL)
		return NULL;
	if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
		sim_form_parse(r->body.p, r->body.len, &kv, &n);
		o = json_object_new_object();
		for (i = 0; i < n; i++)
			pj_add_str(o, kv[i].k, kv[i].v);
		sim_kv_free(kv, n);
	} else if (sim_strcasestr(ct, "json") != NULL)
		o = sim_body_json(r);
	else if (strncasecmp(ct, "multipart/", 10) == 0) {
		o = json_object_new_object();
		pj_add_int(o, "multipartBytes", (int64_t)r->body.len);
	}
	if (o != NULL)
		redact(o);
	return o;
}

/* Record r in the ring and the log file; caller holds g.mu. */
void
sim_log_request(struct req *r)
{
	struct json_object	*o;
	struct timespec		 t1;
	char			 ts[40];
	double			 ms;
	const char		*s;
	size_t			 slot;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - r->t0.tv_sec) * 1000.0 +
	    (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6;
	sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
	o = json_object_new_object();
	pj_add_int(o, "n", (int64_t)g_logn);
	pj_add_str(o, "time", ts);
	pj_add_str(o, "method", r->method);
	pj_add_str(o, "path", r->rawpath);
	pj_add_str(o, "query", r->rawquery ? r->rawquery : "");
	pj_add_int(o, "status", r->dropped ? 0 : r->status);
	if (r->dropped)
		pj_add_bool(o, "dropped", 1);
	pj_add_str(o, "principal", r->who[0] ? r->who : NULL);
	pj_add_str(o, "profileId", r->whoprof[0] ? r->whoprof : NULL);
	pj_add_str(o, "requestId", r->reqid);
	pj_add(o, "durationMs", json_object_new_double(
	    (double)(int64_t)(ms * 1000) / 1000.0));
	pj_add(o, "body", log_body(r));
	s = pj_text(o, 0);
	slot = g_logn % g.logmax;
	free(g_log[slot]);
	g_log[slot] = strdup(s);
	g_logn++;
	if (g_logf != NULL) {
		fputs(s, g_logf);
		fputc('\n', g_logf);
		fflush(g_logf);
	}
	json_object_put(o);
}

/* Name the principal (and profile) r is logged under. */
void
sim_log_principal(struct req *r, const char *who, const char *profile)
{
	snprintf(r->who, sizeof(r->who), "%s", who ? who : "");
	snprintf(r->whoprof, sizeof(r->whoprof), "%s", profile ? profile : "");
}

/* Allocate the ring of g.logmax entries. */
void
sim_log_init(void)
{
	if ((g_log = calloc(g.logmax, sizeof(*g_log))) == NULL)
		abort();
}

/* Append the log to the file path as well.  Returns 0, -1 with errno. */
int
sim_log_open(const char *path)
{
	if ((g_logf = fopen(path, "a")) == NULL)
		return -1;
	return 0;
}

/*
 * Append to out, as a JSON array, the entries from number since on that
 * the ring still holds.  Caller holds g.mu.
 */
void
sim_log_json(struct buf *out, size_t since)
{
	size_t	 i, first;

	first = g_logn > g.logmax ? g_logn - g.logmax : 0;
	if (since > first)
		first = since;
	buf_addstr(out, "[");
	for (i = first; i < g_logn; i++) {
		if (i > first)
			buf_addstr(out, ",");
		buf_addstr(out, g_log[i % g.logmax]);
	}
	buf_addstr(out, "]");
}

/* Close the log file and free the ring. */
void
sim_log_release(void)
{
	size_t	 n;

	if (g_logf != NULL)
		fclose(g_logf);
	if (g_log != NULL)
		for (n = 0; n < g.logmax; n++)
			free(g_log[n]);
	free(g_log);
}
