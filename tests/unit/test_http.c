/*
 * test_http.c: core/http's retry rules, paging, errors and traces,
 * against a scripted local server, with a fake clock so that waits are
 * asserted, not slept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core.h"
#include "testsrv.h"

struct fakeclock {
	int64_t	 now;
	int64_t	 slept[32];
	int	 nslept;
};

static int64_t
fc_now(void *arg)
{
	return ((struct fakeclock *)arg)->now;
}

static void
fc_sleep(void *arg, int64_t ms)
{
	struct fakeclock	*fc = arg;

	if (fc->nslept < 32)
		fc->slept[fc->nslept++] = ms;
	fc->now += ms;
}

struct fixture {
	struct testsrv		 ts;
	struct fakeclock	 fc;
	struct pbi_http		*h;
	struct pbi_http_conf	 conf;
	char			*trace;
	size_t			 tracelen;
	FILE			*tracefp;
};

static struct fixture	 F;

/* Start the server with script and a client with the fake clock. */
static void
setup(const struct ts_resp *script, size_t n, int verbose)
{
	memset(&F, 0, sizeof(F));
	assert_int_equal(ts_start(&F.ts, script, n), 0);
	pbi_http_conf_init(&F.conf);
	F.conf.now_ms = fc_now;
	F.conf.sleep_ms = fc_sleep;
	F.conf.hook_arg = &F.fc;
	F.conf.deadline_ms = 60000;
	F.conf.verbose = verbose;
	F.tracefp = open_memstream(&F.trace, &F.tracelen);
	F.conf.trace = F.tracefp;
	assert_null(pbi_http_new(&F.conf, &F.h));
}

static void
teardown_f(void)
{
	pbi_http_free(F.h);
	ts_stop(&F.ts);
	fclose(F.tracefp);
	free(F.trace);
}

static const struct pbi_err *
call(const char *method, const char *path, const char *body,
    struct pbi_resp *resp)
{
	struct pbi_req	 req;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = ts_url(&F.ts, path);
	req.bearer = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token";
	if (body != NULL) {
		req.body = body;
		req.body_len = strlen(body);
		req.content_type = "application/json";
	}
	return pbi_http_do(F.h, &req, resp);
}

static void
retry_after_seconds_honoured(void **state)
{
	static const struct ts_resp script[] = {
		{ 429, "Retry-After: 7\nRequestId: r1\n",
		  "{\"error\":{\"code\":\"TooManyRequests\"}}", 0 },
		{ 200, "RequestId: r2\n", "{\"ok\":true}", 0 },
	};
	struct pbi_resp	 resp;

	(void)state;
	setup(script, 2, 0);
	assert_null(call("GET", "/v1.0/myorg/groups", NULL, &resp));
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.request_id, "r2");
	assert_int_equal(F.ts.nreqs, 2);
	assert_int_equal(F.fc.nslept, 1);
	assert_int_equal(F.fc.slept[0], 7000);
	pbi_resp_release(&resp);
	teardown_f();
}

static void
retry_after_date_honoured(void **state)
{
	static char		 hdr[128];
	struct ts_resp		 script[2] = {
		{ 503, hdr, "", 0 },
		{ 200, NULL, "{}", 0 },
	};
	struct pbi_resp		 resp;
	struct tm		 tm;
	time_t			 t = time(NULL) + 20;
	char			 date[64];

	(void)state;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(hdr, sizeof(hdr), "Retry-After: %s\n", date);
	setup(script, 2, 0);
	/* 503 is retried even for a POST: the service did not process it. */
	assert_null(call("POST", "/v1.0/myorg/groups", "{}", &resp));
	assert_int_equal(F.ts.nreqs, 2);
	assert_int_equal(F.fc.nslept, 1);
	assert_in_range(F.fc.slept[0], 18000, 20000);
	pbi_resp_release(&resp);
	teardown_f();
}

static void
retry_after_capped(void **state)
{
	static const struct ts_resp script[] = {
		{ 429, "Retry-After: 3392\n",
		  "{\"message\":\"Retry in 3392 seconds.\"}", 0 },
		{ 200, NULL, "{}", 0 },
	};
	struct pbi_resp	 resp;

	(void)state;
	setup(script, 2, 0);
	F.conf.retry_after_cap_s = 5;
	pbi_http_free(F.h);
	assert_null(pbi_http_new(&F.conf, &F.h));
	assert_null(call("GET", "/x", NULL, &resp));
	assert_int_equal(F.fc.slept[0], 5000);
	pbi_resp_release(&resp);
	teardown_f();
}

static void
no_retry_of_post_after_500(void **state)
{
	static const struct ts_resp script[] = {
		{ 500, "RequestId: 5a1f-post\n",
		  "{\"error\":{\"code\":\"InternalError\","
		  "\"message\":\"boom\"}}", 0 },
		{ 200, NULL, "{}", 0 },
	};
	const struct pbi_err	*err;
	struct pbi_resp		 resp;
	char			 buf[1024];

	(void)state;
	setup(script, 2, 0);
	err = call("POST", "/v1.0/myorg/groups?workspaceV2=true",
	    "{\"name\":\"cust-a\"}", &resp);
	assert_non_null(err);
	assert_int_equal(F.ts.nreqs, 1);
	assert_int_equal(F.fc.nslept, 0);
	assert_int_equal(err->code, PBI_ERR_HTTP);
	assert_int_equal(err->status, 500);
	assert_string_equal(err->svc_code, "InternalError");
	assert_string_equal(err->request_id, "5a1f-post");
	assert_string_equal(err->call, "POST /v1.0/myorg/groups");
	pbi_err_str(pbi_err_ctx(err, "cannot create workspace 'cust-a'"),
	    buf, sizeof(buf));
	assert_string_equal(buf, "cannot create workspace 'cust-a': 500 "
	    "InternalError boom [POST /v1.0/myorg/groups] "
	    "(request id 5a1f-post)");
	assert_string_equal(F.ts.reqs[0].body, "{\"name\":\"cust-a\"}");
	pbi_resp_release(&resp);
	teardown_f();
}

static void
get_backs_off_on_5xx(void **state)
{
	static const struct ts_resp script[] = {
		{ 500, NULL, "", 0 },
		{ 502, NULL, "", 0 },
		{ 500, NULL, "", 0 },
		{ 200, NULL, "{\"value\":[]}", 0 },
	};
	struct pbi_resp	 resp;

	(void)state;
	setup(script, 4, 0);
	assert_null(call("GET", "/v1.0/myorg/groups", NULL, &resp));
	assert_int_equal(F.ts.nreqs, 4);
	assert_int_equal(resp.attempts, 4);
	assert_int_equal(F.fc.nslept, 3);
	/* Base 500 ms doubling, jitter between half and all. */
	assert_in_range(F.fc.slept[0], 250, 500);
	assert_in_range(F.fc.slept[1], 500, 1000);
	assert_in_range(F.fc.slept[2], 1000, 2000);
	pbi_resp_release(&resp);
	teardown_f();
}

static void
deadline_respected(void **state)
{
	static const struct ts_resp script[] = {
		{ 503, "Retry-After: 25\nRequestId: busy\n", "", 0 },
	};
	const struct pbi_err	*err;
	struct pbi_resp		 resp;

	(void)state;
	setup(script, 1, 0);
	err = call("GET", "/x", NULL, &resp);
	assert_non_null(err);
	/* 60 s deadline: waits of 25 s at 0 and 25; a third would pass 60. */
	assert_int_equal(F.ts.nreqs, 3);
	assert_int_equal(F.fc.nslept, 2);
	assert_true(F.fc.now <= 60000);
	assert_int_equal(err->status, 503);
	assert_string_equal(err->request_id, "busy");
	assert_non_null(strstr(err->msg, "deadline"));
	pbi_resp_release(&resp);
	teardown_f();
}

static void
dropped_connection_retried_only_if_idempotent(void **state)
{
	static const struct ts_resp script[] = {
		{ 0, NULL, NULL, 1 },
		{ 200, NULL, "{}", 0 },
	};
	const struct pbi_err	*err;
	struct pbi_resp		 resp;

	(void)state;
	setup(script, 2, 0);
	err = call("POST", "/v1.0/myorg/groups", "{}", &resp);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_NET);
	assert_int_equal(F.ts.nreqs, 1);
	pbi_resp_release(&resp);
	teardown_f();

	setup(script, 2, 0);
	assert_null(call("DELETE", "/v1.0/myorg/groups/1", NULL, &resp));
	assert_int_equal(F.ts.nreqs, 2);
	pbi_resp_release(&resp);
	teardown_f();
}

/*
 * A POST on a kept-alive connection that dies before any answer: libcurl
 * would send it again on a fresh connection by itself; pbictl's rules
 * decide instead, and they never repeat a POST that may have landed.
 * Each write is sent once; a PUT (idempotent) is sent again by pbictl.
 */
static void
dead_reused_connection_never_resends_a_post(void **state)
{
	static const struct ts_resp script[] = {
		{ 200, NULL, "{}", 0 },
		{ 0, NULL, NULL, 1 },
		{ 200, NULL, "{}", 0 },
	};
	const struct pbi_err	*err;
	struct pbi_resp		 resp;

	(void)state;
	setup(script, 3, 0);
	assert_null(call("POST", "/v1.0/myorg/groups", "{\"name\":\"a\"}",
	    &resp));
	pbi_resp_release(&resp);
	err = call("POST", "/v1.0/myorg/groups", "{\"name\":\"b\"}", &resp);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_NET);
	assert_int_equal(resp.attempts, 1);
	/* The second POST crossed the wire once, and nothing after it. */
	assert_int_equal(F.ts.nreqs, 2);
	pbi_resp_release(&resp);
	teardown_f();

	setup(script, 3, 0);
	assert_null(call("PUT", "/v1.0/myorg/groups/1", "{}", &resp));
	pbi_resp_release(&resp);
	assert_null(call("PUT", "/v1.0/myorg/groups/1", "{\"x\":1}", &resp));
	assert_int_equal(F.ts.nreqs, 3);
	assert_string_equal(F.ts.reqs[2].body, "{\"x\":1}");
	pbi_resp_release(&resp);
	teardown_f();
}

/* A name that does not resolve fails at once, naming the endpoint. */
static void
unknown_host_fails_fast(void **state)
{
	struct pbi_http_conf	 conf;
	struct pbi_http		*h;
	struct fakeclock	 fc;
	struct pbi_req		 req;
	struct pbi_resp		 resp;
	const struct pbi_err	*err;

	(void)state;
	memset(&fc, 0, sizeof(fc));
	pbi_http_conf_init(&conf);
	conf.now_ms = fc_now;
	conf.sleep_ms = fc_sleep;
	conf.hook_arg = &fc;
	assert_null(pbi_http_new(&conf, &h));
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = "https://no-such-host.invalid/v1.0/myorg/groups";
	err = pbi_http_do(h, &req, &resp);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_NET);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(fc.nslept, 0);
	assert_non_null(strstr(err->msg, "no-such-host.invalid does not "
	    "resolve"));
	pbi_resp_release(&resp);
	pbi_http_free(h);
}

/* A refused connection is retried for a few seconds, not the deadline. */
static void
refused_connection_retried_briefly(void **state)
{
	struct pbi_http_conf	 conf;
	struct pbi_http		*h;
	struct fakeclock	 fc;
	struct pbi_req		 req;
	struct pbi_resp		 resp;
	const struct pbi_err	*err;

	(void)state;
	memset(&fc, 0, sizeof(fc));
	pbi_http_conf_init(&conf);
	conf.now_ms = fc_now;
	conf.sleep_ms = fc_sleep;
	conf.hook_arg = &fc;
	conf.max_attempts = 30;
	conf.deadline_ms = 45000;
	assert_null(pbi_http_new(&conf, &h));
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = "http://127.0.0.1:1/never";
	err = pbi_http_do(h, &req, &resp);
	assert_non_null(err);
	assert_true(resp.attempts < 30);
	assert_in_range(fc.now, 0, 3000 + 5000);
	assert_non_null(strstr(err->msg, "cannot connect to endpoint "
	    "127.0.0.1:1"));
	pbi_resp_release(&resp);
	pbi_http_free(h);
}

static void
refused_connection_retried_even_for_post(void **state)
{
	struct pbi_http_conf	 conf;
	struct pbi_http		*h;
	struct fakeclock	 fc;
	struct pbi_req		 req;
	struct pbi_resp		 resp;
	const struct pbi_err	*err;

	(void)state;
	memset(&fc, 0, sizeof(fc));
	pbi_http_conf_init(&conf);
	conf.now_ms = fc_now;
	conf.sleep_ms = fc_sleep;
	conf.hook_arg = &fc;
	conf.max_attempts = 3;
	assert_null(pbi_http_new(&conf, &h));
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = "http://127.0.0.1:1/never";	/* nothing listens */
	err = pbi_http_do(h, &req, &resp);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_NET);
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(fc.nslept, 2);
	pbi_resp_release(&resp);
	pbi_http_free(h);
}

static void
plain_http_refused_off_loopback(void **state)
{
	struct pbi_http_conf	 conf;
	struct pbi_http		*h;
	struct pbi_req		 req;
	struct pbi_resp		 resp;
	const struct pbi_err	*err;

	(void)state;
	pbi_http_conf_init(&conf);
	assert_null(pbi_http_new(&conf, &h));
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = "http://api.powerbi.com/v1.0/myorg/groups";
	err = pbi_http_do(h, &req, &resp);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_CONFIG);
	assert_non_null(strstr(err->msg, "plain http"));
	assert_int_equal(resp.attempts, 0);
	pbi_resp_release(&resp);
	pbi_http_free(h);
}

static void
trace_redacts_tokens_and_secrets(void **state)
{
	static const struct ts_resp script[] = {
		{ 200, "RequestId: t1\nContent-Type: application/json\n",
		  "{\"token_type\":\"Bearer\",\"access_token\":\"eyJSECRET1\","
		  "\"expires_in\":3599}", 0 },
	};
	struct pbi_req	 req;
	struct pbi_resp	 resp;
	const char	*form = "grant_type=client_credentials&client_id=abc"
	    "&client_secret=TOPSECRETVALUE&scope=x";

	(void)state;
	setup(script, 1, 2);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = ts_url(&F.ts, "/t/oauth2/v2.0/token?sig=SASSIG&x=1");
	req.bearer = "BEARERSECRET";
	req.body = form;
	req.body_len = strlen(form);
	req.content_type = "application/x-www-form-urlencoded";
	assert_null(pbi_http_do(F.h, &req, &resp));
	fflush(F.tracefp);
	assert_non_null(F.trace);
	assert_null(strstr(F.trace, "TOPSECRETVALUE"));
	assert_null(strstr(F.trace, "eyJSECRET1"));
	assert_null(strstr(F.trace, "BEARERSECRET"));
	assert_null(strstr(F.trace, "SASSIG"));
	assert_non_null(strstr(F.trace, "client_id=abc"));
	assert_non_null(strstr(F.trace, "request id t1"));
	assert_non_null(strstr(F.trace, "expires_in"));
	/* The bearer did cross the wire. */
	assert_string_equal(F.ts.reqs[0].auth, "Bearer BEARERSECRET");
	pbi_resp_release(&resp);
	teardown_f();
}

static void
graph_paging_follows_next_link(void **state)
{
	static char		 page1[256];
	struct ts_resp		 script[2] = {
		{ 200, NULL, page1, 0 },
		{ 200, NULL, "{\"value\":[{\"id\":\"c\"}]}", 0 },
	};
	struct json_object	*all = NULL;

	(void)state;
	setup(script, 2, 0);
	snprintf(page1, sizeof(page1), "{\"@odata.context\":\"x\",\"value\":"
	    "[{\"id\":\"a\"},{\"id\":\"b\"}],\"@odata.nextLink\":"
	    "\"http://127.0.0.1:%d/v1.0/servicePrincipals?$skiptoken=Z\"}",
	    F.ts.port);
	assert_null(pbi_http_graph_all(F.h,
	    ts_url(&F.ts, "/v1.0/servicePrincipals"), "tok", NULL, 0, &all));
	assert_int_equal(json_object_array_length(all), 3);
	assert_string_equal(pj_str(json_object_array_get_idx(all, 2), "id"),
	    "c");
	assert_int_equal(F.ts.nreqs, 2);
	json_object_put(all);
	teardown_f();
}

static void
graph_paging_refuses_foreign_host(void **state)
{
	static const struct ts_resp script[] = {
		{ 200, NULL, "{\"value\":[],\"@odata.nextLink\":"
		  "\"https://evil.example/v1.0/x\"}", 0 },
	};
	struct json_object	*all = NULL;
	const struct pbi_err	*err;

	(void)state;
	setup(script, 1, 0);
	err = pbi_http_graph_all(F.h, ts_url(&F.ts, "/v1.0/x"), "tok", NULL,
	    0, &all);
	assert_non_null(err);
	assert_null(all);
	assert_int_equal(F.ts.nreqs, 1);
	teardown_f();
}

static void
pbi_paging_uses_top_and_skip(void **state)
{
	static const struct ts_resp script[] = {
		{ 200, NULL, "{\"value\":[{\"id\":\"1\"},{\"id\":\"2\"}]}", 0 },
		{ 200, NULL, "{\"value\":[{\"id\":\"3\"},{\"id\":\"4\"}]}", 0 },
		{ 200, NULL, "{\"value\":[{\"id\":\"5\"}]}", 0 },
	};
	struct json_object	*all = NULL;

	(void)state;
	setup(script, 3, 0);
	assert_null(pbi_http_pbi_all(F.h, ts_url(&F.ts, "/v1.0/myorg/groups"),
	    "tok", NULL, 2, &all));
	assert_int_equal(json_object_array_length(all), 5);
	assert_int_equal(F.ts.nreqs, 3);
	assert_string_equal(F.ts.reqs[0].url, "/v1.0/myorg/groups?$skip=0");
	assert_string_equal(F.ts.reqs[2].url, "/v1.0/myorg/groups?$skip=4");
	json_object_put(all);
	teardown_f();
}

static void
garbage_answer_is_a_clear_error(void **state)
{
	static const struct ts_resp script[] = {
		{ 200, "RequestId: g1\n", "<html>oops</html>", 0 },
	};
	const struct pbi_err	*err;
	struct json_object	*out = NULL;

	(void)state;
	setup(script, 1, 0);
	err = pbi_http_json(F.h, "GET", ts_url(&F.ts, "/v1.0/myorg/groups"),
	    "tok", NULL, NULL, 0, &out);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_PROTO);
	assert_string_equal(err->request_id, "g1");
	assert_string_equal(err->call, "GET /v1.0/myorg/groups");
	assert_null(out);
	teardown_f();
}

static void
replication_delay_retried_when_asked(void **state)
{
	static const struct ts_resp script[] = {
		{ 400, "request-id: rd1\n", "{\"error\":{\"code\":"
		  "\"Request_BadRequest\",\"message\":\"The appId of the "
		  "service principal does not reference a valid application "
		  "object.\",\"details\":[{\"code\":"
		  "\"NoBackingApplicationObject\",\"target\":\"appId\"}]}}", 0 },
		{ 201, NULL, "{\"id\":\"sp1\"}", 0 },
	};
	struct json_object	*out = NULL;

	(void)state;
	setup(script, 2, 0);
	assert_null(pbi_http_json(F.h, "POST",
	    ts_url(&F.ts, "/v1.0/servicePrincipals"), "tok", NULL, NULL,
	    PBI_REQ_REPLICATION, &out));
	assert_string_equal(pj_str(out, "id"), "sp1");
	assert_int_equal(F.ts.nreqs, 2);
	json_object_put(out);
	teardown_f();
}

static void
redirects_followed_only_within_reach(void **state)
{
	static char		 loc[128];
	struct ts_resp		 same[2] = {
		{ 307, loc, "", 0 },
		{ 200, NULL, "{\"ok\":1}", 0 },
	};
	static const struct ts_resp away[] = {
		{ 307, "Location: https://evil.example/v1.0/myorg/groups\n",
		  "", 0 },
	};
	const struct pbi_err	*err;
	struct pbi_resp		 resp;

	(void)state;
	setup(same, 2, 0);
	snprintf(loc, sizeof(loc), "Location: http://127.0.0.1:%d/moved\n",
	    F.ts.port);
	/* A POST is sent again to the home cluster (api-facts 3.0). */
	assert_null(call("POST", "/v1.0/myorg/groups", "{}", &resp));
	assert_int_equal(F.ts.nreqs, 2);
	assert_string_equal(F.ts.reqs[1].url, "/moved");
	assert_string_equal(F.ts.reqs[1].method, "POST");
	assert_string_equal(F.ts.reqs[1].body, "{}");
	pbi_resp_release(&resp);
	teardown_f();

	/* The token never follows a redirect to an unknown host. */
	setup(away, 1, 0);
	err = call("GET", "/v1.0/myorg/groups", NULL, &resp);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "refusing redirect"));
	assert_int_equal(F.ts.nreqs, 1);
	pbi_resp_release(&resp);
	teardown_f();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(retry_after_seconds_honoured),
		cmocka_unit_test(retry_after_date_honoured),
		cmocka_unit_test(retry_after_capped),
		cmocka_unit_test(no_retry_of_post_after_500),
		cmocka_unit_test(get_backs_off_on_5xx),
		cmocka_unit_test(deadline_respected),
		cmocka_unit_test(dropped_connection_retried_only_if_idempotent),
		cmocka_unit_test(dead_reused_connection_never_resends_a_post),
		cmocka_unit_test(unknown_host_fails_fast),
		cmocka_unit_test(refused_connection_retried_briefly),
		cmocka_unit_test(refused_connection_retried_even_for_post),
		cmocka_unit_test(plain_http_refused_off_loopback),
		cmocka_unit_test(trace_redacts_tokens_and_secrets),
		cmocka_unit_test(graph_paging_follows_next_link),
		cmocka_unit_test(graph_paging_refuses_foreign_host),
		cmocka_unit_test(pbi_paging_uses_top_and_skip),
		cmocka_unit_test(garbage_answer_is_a_clear_error),
		cmocka_unit_test(replication_delay_retried_when_asked),
		cmocka_unit_test(redirects_followed_only_within_reach),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
