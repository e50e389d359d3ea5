/*
 * control.c: the control endpoints under /_sim/ (pbisim(1) CONTROL
 * ENDPOINTS): the state, the request log, faults, the clock, reset, the
 * user's side of a device code, the consumer's side of an embed token,
 * and health.  They are neither faulted
 * nor logged.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdlib.h>
#include <string.h>

/* Serve a /_sim/ control request; caller holds g.mu. */
void
sim_control_route(struct req *r)
{
	struct json_object	*o = NULL, *b = NULL;
	struct buf		 out = { 0 };
	const char		*name = r->nseg > 1 ? r->seg[1] : "";
	size_t			 since = 0;
	char			 ts[40];

	long			 opened, open;

	if (strcmp(name, "state") == 0 && strcmp(r->method, "GET") == 0) {
		o = sim_pub(g.state, 2);
		sim_server_conns(&opened, &open, 0);
		b = json_object_new_object();
		pj_add_int(b, "opened", opened);
		pj_add_int(b, "open", open);
		pj_add(o, "_connections", b);
		sim_reply_json(r, 200, o);
	} else if (strcmp(name, "requests") == 0 &&
	    strcmp(r->method, "GET") == 0) {
		if (sim_q(r, "since") != NULL)
			since = strtoul(sim_q(r, "since"), NULL, 10);
		sim_log_json(&out, since);
		sim_reply(r, 200, "application/json", out.p, out.len);
		buf_release(&out);
	} else if (strcmp(name, "faults") == 0) {
		if (strcmp(r->method, "POST") == 0) {
			b = sim_body_json(r);
			if (sim_faults_from_json(b) != 0) {
				json_object_put(b);
				sim_pbi_error(r, 400, "InvalidRequest",
				    "faults body must be a JSON object");
				return;
			}
			json_object_put(b);
		}
		o = json_object_new_object();
		sim_faults_to_json(o, &g.f);
		sim_reply_json(r, 200, o);
	} else if (strcmp(name, "clock") == 0) {
		if (strcmp(r->method, "POST") == 0) {
			b = sim_body_json(r);
			g.clock_off_ms += (int64_t)(sim_json_num(b,
			    "advanceSeconds", 0) * 1000);
			json_object_put(b);
		}
		o = json_object_new_object();
		sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
		pj_add_str(o, "now", ts);
		pj_add_int(o, "epoch", sim_now());
		pj_add(o, "offsetSeconds", json_object_new_double(
		    (double)g.clock_off_ms / 1000.0));
		sim_reply_json(r, 200, o);
	} else if (strcmp(name, "reset") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		json_object_put(g.state);
		g.state = NULL;
		json_object_deep_copy(g.initial, &g.state, NULL);
		g.clock_off_ms = 0;
		g.f = g.f0;
		sim_faults_reset_limits();
		sim_server_conns(&opened, &open, 1);
		sim_reply_empty(r, 204);
	} else if (strcmp(name, "embed") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		sim_pbi_embed_check(r);
	} else if (strcmp(name, "devicecode") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		sim_entra_devicecode_control(r);
	} else if (strcmp(name, "health") == 0) {
		o = json_object_new_object();
		pj_add_bool(o, "ok", 1);
		pj_add_int(o, "port", g.port);
		sim_reply_json(r, 200, o);
	} else
		sim_pbi_error(r, 404, "NotFound", "no such control endpoint");
}
