/*
 * reply.c: the reply envelopes shared by the services: the Power BI error
 * shapes and collection envelope (api-facts 3.0), the Graph (2.3) and
 * Entra (1.7) error shapes, and the check of a request against a route
 * table that answers an unknown route 404 and a method the service lacks
 * 405.
 */
#include "sim/sim.h"

#include <stdio.h>
#include <string.h>

void
sim_pbi_error(struct req *r, int status, const char *code, const char *fmt,
    ...)
{
	struct json_object	*o, *e;
	char			 msg[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = json_object_new_object();
	pj_add_str(e, "code", code);
	pj_add_str(e, "message", msg);
	o = json_object_new_object();
	pj_add(o, "error", e);
	sim_reply_json(r, status, o);
}

/* api-facts 3.0: the {"error":{"code","pbi.error":{...}}} form. */
void
sim_pbi_error_pbi(struct req *r, int status, const char *code,
    struct json_object *params)
{
	struct json_object	*o, *e, *p;

	p = json_object_new_object();
	pj_add_str(p, "code", code);
	pj_add(p, "parameters", params ? params : json_object_new_object());
	pj_add(p, "details", json_object_new_array());
	pj_add_int(p, "exceptionCulprit", 1);
	e = json_object_new_object();
	pj_add_str(e, "code", code);
	pj_add(e, "pbi.error", p);
	o = json_object_new_object();
	pj_add(o, "error", e);
	sim_reply_json(r, status, o);
}

/* A route pbisim does not know (the fallback of every router). */
void
sim_pbi_no_route(struct req *r)
{
	sim_pbi_error(r, 404, "NotFound", "Unsupported route");
}

/* A known path with a method the service does not define for it. */
void
sim_pbi_no_method(struct req *r, const char *allow)
{
	sim_add_header(r, "Allow", allow);
	sim_pbi_error(r, 405, "MethodNotAllowed", "The requested resource does "
	    "not support http method '%s'", r->method);
}

/* Whether method m is one of the ", " separated list. */
static int
method_in(const char *list, const char *m)
{
	const char	*p;
	size_t		 n = strlen(m);

	if (n == 0)
		return 0;
	for (p = list; (p = strstr(p, m)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' ||
		    p[n] == ','))
			return 1;
	return 0;
}

/* Whether the segments of r from first on are those of template path. */
static int
route_match(const struct req *r, int first, const char *path)
{
	const char	*p = path, *e;
	size_t		 n;
	int		 i = first;

	for (;;) {
		e = strchr(p, '/');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (i >= r->nseg)
			return 0;
		if (!(n == 1 && *p == '*') && (strlen(r->seg[i]) != n ||
		    strncmp(r->seg[i], p, n) != 0))
			return 0;
		i++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return i == r->nseg;
}

/*
 * Hold r (its segments from first on) against the routes of tab, ended
 * by a NULL path: a path no route matches answers 404 as an unknown
 * route, a method none of the matching routes allows 405, an allowed
 * method pbisim does not implement 404.  Returns 0 when r may be served,
 * -1 after answering.
 */
int
sim_route_check(struct req *r, int first, const struct sim_route *tab)
{
	char	 allow[80] = "";
	size_t	 n;
	int	 known = 0, allowed = 0;

	for (; tab->path != NULL; tab++) {
		if (!route_match(r, first, tab->path))
			continue;
		if (method_in(tab->served, r->method))
			return 0;
		known = 1;
		if (method_in(tab->allow, r->method))
			allowed = 1;
		n = strlen(allow);
		snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "",
		    tab->allow);
	}
	if (!known || allowed)
		sim_pbi_no_route(r);
	else
		sim_pbi_no_method(r, allow);
	return -1;
}

/* 401 PowerBINotAuthorizedException: the caller may not do this. */
void
sim_pbi_not_authorized(struct req *r)
{
	sim_pbi_error_pbi(r, 401, "PowerBINotAuthorizedException", NULL);
}

/*
 * Answer 200 with the Power BI collection envelope of val (taken over):
 * @odata.context of ctxname, @odata.count when count, and value.
 */
void
sim_pbi_reply_list(struct req *r, const char *ctxname, struct json_object *val,
    int count)
{
	struct json_object	*o = json_object_new_object();
	char			 ctx[300];

	snprintf(ctx, sizeof(ctx), "%s%s", SIM_PBI_CTX, ctxname);
	pj_add_str(o, "@odata.context", ctx);
	if (count)
		pj_add_int(o, "@odata.count",
		    (int64_t)json_object_array_length(val));
	pj_add(o, "value", val);
	sim_reply_json(r, 200, o);
}

/* api-facts 2.3: error shape with innerError carrying the request id. */
void
sim_graph_error(struct req *r, int status, const char *code,
    const char *msg)
{
	struct json_object	*o, *e, *in;
	const char		*crid = sim_hdr(r, "client-request-id");
	char			 ts[40];

	sim_iso(sim_now_ms(), 0, ts, sizeof(ts));
	in = json_object_new_object();
	pj_add_str(in, "date", ts);
	pj_add_str(in, "request-id", r->reqid);
	pj_add_str(in, "client-request-id", crid ? crid : r->reqid);
	e = json_object_new_object();
	pj_add_str(e, "code", code);
	pj_add_str(e, "message", msg);
	pj_add(e, "innerError", in);
	o = json_object_new_object();
	pj_add(o, "error", e);
	sim_reply_json(r, status, o);
}

/*
 * Answer an Entra error in the shape of api-facts 1.7: error_description
 * starts with "AADSTSnnnnn:" and ends with the trace, correlation and
 * timestamp lines.
 */
void
sim_entra_error(struct req *r, int status, const char *error, int code,
    const char *fmt, ...)
{
	struct json_object	*o, *codes;
	char			 msg[1024], desc[1400], ts[40], uri[80];
	char			 corr[37];
	const char		*crid;
	va_list			 ap;
	int64_t			 now = sim_now_ms();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((crid = sim_hdr(r, "client-request-id")) != NULL)
		snprintf(corr, sizeof(corr), "%s", crid);
	else
		sim_guid(corr);
	sim_iso(now, 0, ts, sizeof(ts));
	ts[10] = ' ';		/* "YYYY-MM-DD HH:MM:SSZ" */
	snprintf(desc, sizeof(desc), "AADSTS%d: %s\r\nTrace ID: %s\r\n"
	    "Correlation ID: %s\r\nTimestamp: %s", code, msg, r->reqid, corr,
	    ts);
	o = json_object_new_object();
	pj_add_str(o, "error", error);
	pj_add_str(o, "error_description", desc);
	codes = json_object_new_array();
	json_object_array_add(codes, json_object_new_int(code));
	pj_add(o, "error_codes", codes);
	pj_add_str(o, "timestamp", ts);
	pj_add_str(o, "trace_id", r->reqid);
	pj_add_str(o, "correlation_id", corr);
	snprintf(uri, sizeof(uri), "https://login.microsoftonline.com/"
	    "error?code=%d", code);
	pj_add_str(o, "error_uri", uri);
	sim_reply_json(r, status, o);
}
