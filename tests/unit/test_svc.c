/*
 * test_svc.c: core/svc's credentials per service, against a scripted
 * local server: a token for Azure Resource Manager from the configured
 * credential, a Workspace Collection's access key as "AppKey", and
 * neither ever in a -vv trace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "testsrv.h"

#define TENANT	"11112222-3333-4444-5555-666677778888"
#define CLIENT	"aaaaaaaa-0000-4000-8000-000000000001"
#define SECRET	"client-secret-never-shown"
#define ARMTOK	"arm-token-never-shown"
#define KEY1	"key1-never-shown-e1c2ab=="
#define KEY2	"key2-never-shown-77d0f3=="
#define ARMPATH	"/subscriptions/5b1d/resourceGroups/rg1/providers/" \
		"Microsoft.PowerBI/workspaceCollections/coll1"

static struct testsrv	 ts;
static struct pbi_svc	*svc;
static char		 trace[65536];
static int		 saved_fd = -1;
static char		 tpath[64];

/* Send fd 2, where the traces go, to a file until trace_end. */
static void
trace_begin(void)
{
	int	 fd;

	snprintf(tpath, sizeof(tpath), "/tmp/pbictl-trace-XXXXXX");
	fflush(stderr);
	assert_true((fd = mkstemp(tpath)) >= 0);
	assert_true((saved_fd = dup(2)) >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

/* Put fd 2 back and read what was traced into trace. */
static void
trace_end(void)
{
	ssize_t	 n;
	int	 fd;

	fflush(stderr);
	assert_int_equal(dup2(saved_fd, 2), 2);
	close(saved_fd);
	saved_fd = -1;
	assert_true((fd = open(tpath, O_RDONLY)) >= 0);
	n = read(fd, trace, sizeof(trace) - 1);
	close(fd);
	unlink(tpath);
	assert_true(n >= 0);
	trace[n] = '\0';
}

/* A server with script, and a -vv svc whose every endpoint is it. */
static void
start(const struct ts_resp *script, size_t n)
{
	struct pbi_authconf	 ac;
	const char		*base;

	assert_int_equal(ts_start(&ts, script, n), 0);
	base = ts_url(&ts, "");
	setenv("PBICTL_LOGIN_URL", base, 1);
	setenv("PBICTL_GRAPH_URL", base, 1);
	setenv("PBICTL_POWERBI_URL", base, 1);
	setenv("PBICTL_ARM_URL", base, 1);
	unsetenv("PBICTL_COLLECTIONS_URL");
	setenv("AZURE_TENANT_ID", TENANT, 1);
	setenv("AZURE_CLIENT_ID", CLIENT, 1);
	setenv("AZURE_CLIENT_SECRET", SECRET, 1);
	unsetenv("AZURE_CLIENT_CERTIFICATE_PATH");
	unsetenv("AZURE_USERNAME");
	unsetenv("AZURE_AUTHORITY_HOST");
	memset(&ac, 0, sizeof(ac));
	assert_null(pbi_svc_new("public", &ac, 2, 0, &svc));
}

static void
stop(void)
{
	pbi_svc_free(svc);
	svc = NULL;
	ts_stop(&ts);
}

/* After a failed assertion too: fd 2 back, and the server stopped. */
static int
cleanup(void **state)
{
	(void)state;
	if (saved_fd >= 0) {
		fflush(stderr);
		dup2(saved_fd, 2);
		close(saved_fd);
		saved_fd = -1;
		unlink(tpath);
	}
	if (ts.d != NULL)
		stop();
	return 0;
}

static void
no_secret_in_trace(void)
{
	assert_null(strstr(trace, KEY1));
	assert_null(strstr(trace, KEY2));
	assert_null(strstr(trace, ARMTOK));
	assert_null(strstr(trace, SECRET));
	assert_null(strstr(trace, "AppKey"));
	assert_null(strstr(trace, "Authorization"));
}

/*
 * migrate's first steps: an ARM token from the client secret, listKeys
 * (its answer holds the keys), then a Workspace Collections call with
 * the key as AppKey, and a list through its pages.
 */
static void
arm_then_appkey(void **state)
{
	static const struct ts_resp script[] = {
		{ 200, "Content-Type: application/json\n",
		  "{\"token_type\":\"Bearer\",\"expires_in\":3599,"
		  "\"access_token\":\"" ARMTOK "\"}", 0 },
		{ 200, "Content-Type: application/json\n",
		  "{\"key1\":\"" KEY1 "\",\"key2\":\"" KEY2 "\"}", 0 },
		{ 200, "Content-Type: application/json\n",
		  "{\"value\":[{\"workspaceId\":\"w1\"}]}", 0 },
		{ 200, "Content-Type: application/json\n",
		  "{\"value\":[{\"id\":\"r1\"}],\"nextLink\":\"NEXT\"}", 0 },
		{ 200, "Content-Type: application/json\n",
		  "{\"value\":[{\"id\":\"r2\"}]}", 0 },
	};
	static struct ts_resp	 live[5];
	struct json_object	*keys = NULL, *o = NULL;
	const struct pbi_err	*err;
	char			 next[512], *body;

	(void)state;
	memcpy(live, script, sizeof(live));
	start(live, 5);
	/* The second page is on this server, found by its nextLink. */
	snprintf(next, sizeof(next), "{\"value\":[{\"id\":\"r1\"}],"
	    "\"nextLink\":\"%s/v1.0/collections/coll1/workspaces/w1/"
	    "reports?page=2\"}", ts_url(&ts, ""));
	live[3].body = next;

	trace_begin();
	err = pbi_svc_json(svc, PBI_API_ARM, "POST", ARMPATH "/listKeys",
	    NULL, NULL, PBI_REQ_SECRET, &keys);
	if (err == NULL)
		err = pbi_svc_appkey(svc, "coll1", pj_str(keys, "key1"));
	if (err == NULL)
		err = pbi_svc_json(svc, PBI_API_COLLECTIONS, "GET",
		    "/v1.0/collections/coll1/workspaces", NULL, NULL, 0, &o);
	json_object_put(o);
	o = NULL;
	if (err == NULL)
		err = pbi_svc_all(svc, PBI_API_COLLECTIONS,
		    "/v1.0/collections/COLL1/workspaces/w1/reports", NULL, 0,
		    &o);
	trace_end();
	assert_null(err);
	pbi_json_wipe_put(keys);
	assert_int_equal(json_object_array_length(o), 2);
	assert_string_equal(pj_str(json_object_array_get_idx(o, 1), "id"),
	    "r2");
	json_object_put(o);

	assert_int_equal(ts.nreqs, 5);
	/* The token: ARM's scope, from the same credential. */
	assert_string_equal(ts.reqs[0].method, "POST");
	assert_string_equal(ts.reqs[0].url, "/" TENANT "/oauth2/v2.0/token");
	body = ts.reqs[0].body;
	assert_non_null(strstr(body, "grant_type=client_credentials"));
	assert_non_null(strstr(body, "scope=https%3A%2F%2Fmanagement.azure."
	    "com%2F.default"));
	/* ARM: the bearer token and the api-version of 2016. */
	assert_string_equal(ts.reqs[1].method, "POST");
	assert_string_equal(ts.reqs[1].url, ARMPATH "/listKeys"
	    "?api-version=" PBI_ARM_API_VERSION);
	assert_string_equal(ts.reqs[1].auth, "Bearer " ARMTOK);
	/* Workspace Collections: the key, exactly, and no token. */
	assert_string_equal(ts.reqs[2].url, "/v1.0/collections/coll1/"
	    "workspaces");
	assert_string_equal(ts.reqs[2].auth, "AppKey " KEY1);
	assert_string_equal(ts.reqs[3].url, "/v1.0/collections/COLL1/"
	    "workspaces/w1/reports");
	assert_string_equal(ts.reqs[3].auth, "AppKey " KEY1);
	assert_string_equal(ts.reqs[4].auth, "AppKey " KEY1);

	/* -vv showed the calls and bodies, never a key or a token. */
	assert_non_null(strstr(trace, "> POST "));
	assert_non_null(strstr(trace, "/listKeys"));
	assert_non_null(strstr(trace, "[REDACTED]"));
	assert_non_null(strstr(trace, "/v1.0/collections/coll1/workspaces"));
	no_secret_in_trace();
	stop();
}

/* An api-version the caller names is kept, not doubled. */
static void
arm_keeps_its_api_version(void **state)
{
	static const struct ts_resp script[] = {
		{ 200, "Content-Type: application/json\n",
		  "{\"token_type\":\"Bearer\",\"expires_in\":3599,"
		  "\"access_token\":\"" ARMTOK "\"}", 0 },
		{ 200, "Content-Type: application/json\n",
		  "{\"value\":[{\"name\":\"coll1\"}]}", 0 },
	};
	struct json_object	*o = NULL;

	(void)state;
	start(script, 2);
	trace_begin();
	assert_null(pbi_svc_all(svc, PBI_API_ARM, "/subscriptions/5b1d/"
	    "providers/Microsoft.PowerBI/workspaceCollections?"
	    "api-version=2017-01-01", NULL, 0, &o));
	trace_end();
	assert_int_equal(json_object_array_length(o), 1);
	json_object_put(o);
	assert_int_equal(ts.nreqs, 2);
	assert_string_equal(ts.reqs[1].url, "/subscriptions/5b1d/providers/"
	    "Microsoft.PowerBI/workspaceCollections?api-version=2017-01-01");
	assert_string_equal(ts.reqs[1].auth, "Bearer " ARMTOK);
	no_secret_in_trace();
	stop();
}

/* Without the collection's key, or to another host: nothing is sent. */
static void
appkey_refusals(void **state)
{
	static const struct ts_resp script[] = {
		{ 200, "Content-Type: application/json\n", "{\"value\":[]}",
		  0 },
	};
	const struct pbi_err	*err;
	struct json_object	*o = NULL;
	char			 url[256];

	(void)state;
	start(script, 1);
	trace_begin();
	err = pbi_svc_json(svc, PBI_API_COLLECTIONS, "GET",
	    "/v1.0/collections/coll1/workspaces", NULL, NULL, 0, &o);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_CONFIG);
	assert_non_null(strstr(err->msg, "no access key for Workspace "
	    "Collection 'coll1'"));

	assert_null(pbi_svc_appkey(svc, "coll1", KEY1));
	assert_null(pbi_svc_appkey(svc, "coll2", KEY2));
	/* Another collection's key is not this one's. */
	err = pbi_svc_json(svc, PBI_API_COLLECTIONS, "GET",
	    "/v1.0/collections/coll3/workspaces", NULL, NULL, 0, &o);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "'coll3'"));
	err = pbi_svc_json(svc, PBI_API_COLLECTIONS, "GET",
	    "/v1.0/myorg/groups", NULL, NULL, 0, &o);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "names no Workspace Collection"));
	/* A key goes to the Workspace Collections endpoint only. */
	err = pbi_svc_json(svc, PBI_API_COLLECTIONS, "GET",
	    "https://elsewhere.example/v1.0/collections/coll1/workspaces",
	    NULL, NULL, 0, &o);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_REFUSED);
	assert_null(strstr(err->msg, KEY1));
	assert_int_equal(ts.nreqs, 0);
	/* Keys are one line of text; names are one path segment. */
	assert_non_null(pbi_svc_appkey(svc, "coll1", "a\r\nX-Evil: 1"));
	assert_non_null(pbi_svc_appkey(svc, "coll1", ""));
	assert_non_null(pbi_svc_appkey(svc, "a/b", KEY1));
	assert_non_null(pbi_svc_appkey(svc, NULL, KEY1));

	/* The second key replaces the first; a forgotten key is gone. */
	assert_null(pbi_svc_appkey(svc, "COLL2", KEY1));
	assert_null(pbi_svc_json(svc, PBI_API_COLLECTIONS, "GET",
	    "/v1.0/collections/coll2/workspaces", NULL, NULL, 0, &o));
	json_object_put(o);
	o = NULL;
	assert_int_equal(ts.nreqs, 1);
	assert_string_equal(ts.reqs[0].auth, "AppKey " KEY1);
	assert_null(pbi_svc_appkey(svc, "coll2", NULL));
	err = pbi_svc_json(svc, PBI_API_COLLECTIONS, "GET",
	    "/v1.0/collections/coll2/workspaces", NULL, NULL, 0, &o);
	assert_non_null(err);
	assert_int_equal(ts.nreqs, 1);
	/* An absolute URL on the endpoint itself is fine. */
	snprintf(url, sizeof(url), "%s/v1.0/collections/coll1/workspaces",
	    ts_url(&ts, ""));
	assert_null(pbi_svc_json(svc, PBI_API_COLLECTIONS, "GET", url, NULL,
	    NULL, 0, &o));
	json_object_put(o);
	assert_int_equal(ts.nreqs, 2);
	assert_string_equal(ts.reqs[1].auth, "AppKey " KEY1);
	/* There is no token for Workspace Collections. */
	err = pbi_auth_token(svc->auth, PBI_API_COLLECTIONS, url,
	    sizeof(url), NULL);
	assert_non_null(err);
	assert_int_equal(ts.nreqs, 2);
	trace_end();
	assert_non_null(strstr(trace, "> GET "));
	no_secret_in_trace();
	stop();
}

/* PBICTL_COLLECTIONS_URL moves the key's endpoint, and only there. */
static void
collections_url_override(void **state)
{
	static const struct ts_resp script[] = {
		{ 200, "Content-Type: application/json\n", "{\"value\":[]}",
		  0 },
	};
	struct json_object	*o = NULL;
	struct pbi_endpoints	 e;
	struct pbi_authconf	 ac;
	const struct pbi_err	*err;
	char			 url[128];

	(void)state;
	start(script, 1);
	pbi_svc_free(svc);
	svc = NULL;
	/* The Power BI URL elsewhere: the key follows the override. */
	snprintf(url, sizeof(url), "%s", ts_url(&ts, ""));
	setenv("PBICTL_COLLECTIONS_URL", url, 1);
	setenv("PBICTL_POWERBI_URL", "http://127.0.0.1:9", 1);
	memset(&ac, 0, sizeof(ac));
	assert_null(pbi_svc_new("china", &ac, 0, 0, &svc));
	assert_string_equal(svc->ep.collections, url);
	assert_null(pbi_svc_appkey(svc, "coll1", KEY2));
	assert_null(pbi_svc_json(svc, PBI_API_COLLECTIONS, "GET",
	    "/v1.0/collections/coll1/workspaces", NULL, NULL, 0, &o));
	json_object_put(o);
	assert_int_equal(ts.nreqs, 1);
	assert_string_equal(ts.reqs[0].auth, "AppKey " KEY2);
	/* A plain http URL that is not loopback is refused. */
	setenv("PBICTL_COLLECTIONS_URL", "http://collections.example", 1);
	err = pbi_endpoints_get("public", &e);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "PBICTL_COLLECTIONS_URL"));
	unsetenv("PBICTL_COLLECTIONS_URL");
	stop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(arm_then_appkey, cleanup),
		cmocka_unit_test_teardown(arm_keeps_its_api_version,
		    cleanup),
		cmocka_unit_test_teardown(appkey_refusals, cleanup),
		cmocka_unit_test_teardown(collections_url_override, cleanup),
	};

	return cmocka_run_group_tests_name("svc", tests, NULL, NULL);
}
