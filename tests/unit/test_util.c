/*
 * test_util.c: Retry-After parsing, redaction, base64url, identifiers,
 * URL rules, and error extraction from every service's error shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provision/provision.h"

static void
retry_after_values(void **state)
{
	time_t	 now = 1700000000;	/* Tue, 14 Nov 2023 22:13:20 GMT */

	(void)state;
	assert_int_equal(pbi_retry_after("120", now), 120);
	assert_int_equal(pbi_retry_after(" 0", now), 0);
	assert_int_equal(pbi_retry_after("3392\r\n", now), 3392);
	assert_int_equal(pbi_retry_after(
	    "Tue, 14 Nov 2023 22:13:50 GMT", now), 30);
	/* RFC 850 and asctime forms (RFC 9110 5.6.7). */
	assert_int_equal(pbi_retry_after(
	    "Tuesday, 14-Nov-23 22:14:20 GMT", now), 60);
	assert_int_equal(pbi_retry_after("Tue Nov 14 22:13:25 2023", now), 5);
	/* A date in the past means now. */
	assert_int_equal(pbi_retry_after(
	    "Tue, 14 Nov 2023 22:00:00 GMT", now), 0);
	assert_int_equal(pbi_retry_after(NULL, now), -1);
	assert_int_equal(pbi_retry_after("", now), -1);
	assert_int_equal(pbi_retry_after("-5", now), -1);
	assert_int_equal(pbi_retry_after("12abc", now), -1);
	assert_int_equal(pbi_retry_after("1.5", now), -1);
	assert_int_equal(pbi_retry_after("soon", now), -1);
	assert_int_equal(pbi_retry_after("99999999999999", now), -1);
}

/* The services' ISO 8601 times, with and without fractions and zones. */
static void
iso8601_times(void **state)
{
	(void)state;
	assert_int_equal(pbi_iso8601_ms("2023-11-14T22:13:20Z"),
	    1700000000000LL);
	assert_int_equal(pbi_iso8601_ms("2023-11-14T22:13:20"),
	    1700000000000LL);
	assert_int_equal(pbi_iso8601_ms("2023-11-14T22:13:20.153Z"),
	    1700000000153LL);
	assert_int_equal(pbi_iso8601_ms("2023-11-14T22:13:20.1534567Z"),
	    1700000000153LL);
	assert_int_equal(pbi_iso8601_ms("2023-11-14T22:13:20.5"),
	    1700000000500LL);
	assert_int_equal(pbi_iso8601_ms("2023-11-14T23:13:20+01:00"),
	    1700000000000LL);
	assert_int_equal(pbi_iso8601_ms("2023-11-14T21:13:20-01:00"),
	    1700000000000LL);
	/* Later fractions sort later: .9 before .10 would not. */
	assert_true(pbi_iso8601_ms("2023-11-14T22:13:20.9Z") >
	    pbi_iso8601_ms("2023-11-14T22:13:20.10Z"));
	assert_int_equal(pbi_iso8601_ms(NULL), -1);
	assert_int_equal(pbi_iso8601_ms(""), -1);
	assert_int_equal(pbi_iso8601_ms("yesterday"), -1);
	assert_int_equal(pbi_iso8601_ms("2023-13-14T22:13:20Z"), -1);
	assert_int_equal(pbi_iso8601_ms("2023-11-14T22:13:20Zjunk"), -1);
	assert_int_equal(pbi_iso8601_ms("2023-11-14T22:13:20+1"), -1);
	assert_int_equal(pbi_iso8601_ms("1969-12-31T23:59:59Z"), -1);
}

static void
redact_json_members(void **state)
{
	const char	*in = "{\"client_secret\":\"s3cr3t\",\"nested\":{"
	    "\"password\":\"pw\",\"access_token\":\"eyJ\",\"keep\":\"yes\"},"
	    "\"value\":[{\"secretText\":\"abc\",\"keyId\":\"k\"}],"
	    "\"identityBlob\":{\"value\":\"aad\"},\"code\":\"Request_X\"}";
	char		*out;

	(void)state;
	out = pbi_redact_json(in, strlen(in));
	assert_non_null(out);
	assert_null(strstr(out, "s3cr3t"));
	assert_null(strstr(out, "\"pw\""));
	assert_null(strstr(out, "eyJ"));
	assert_null(strstr(out, "abc"));
	assert_null(strstr(out, "aad"));
	assert_non_null(strstr(out, "\"keep\":\"yes\""));
	assert_non_null(strstr(out, "\"keyId\":\"k\""));
	assert_non_null(strstr(out, "Request_X"));
	free(out);
	/* Not JSON: nothing of it is shown. */
	out = pbi_redact_json("password=x", 10);
	assert_string_equal(out, "[10 bytes, not JSON]");
	free(out);
}

static void
redact_form_and_url(void **state)
{
	const char	*f = "client_id=a&client_secret=b%2Bc&password=p&"
	    "username=u&client_assertion=eyJ.x.y&scope=s";
	char		*out;

	(void)state;
	out = pbi_redact_form(f, strlen(f));
	assert_string_equal(out, "client_id=a&client_secret=[REDACTED]&"
	    "password=[REDACTED]&username=u&client_assertion=[REDACTED]&"
	    "scope=s");
	free(out);
	out = pbi_redact_url("https://b.blob.core.windows.net/c/f?sv=1&"
	    "sig=abc%3D&comp=block");
	assert_string_equal(out, "https://b.blob.core.windows.net/c/f?sv=1&"
	    "sig=[REDACTED]&comp=block");
	free(out);
	/* Empty secret values grow the most: every one must fit. */
	out = pbi_redact_url("https://x/y?sig=&sig=&sig=&sig=&sig=&sig=");
	assert_string_equal(out, "https://x/y?sig=[REDACTED]&sig=[REDACTED]&"
	    "sig=[REDACTED]&sig=[REDACTED]&sig=[REDACTED]&sig=[REDACTED]");
	free(out);
	out = pbi_redact_form("password=", 9);
	assert_string_equal(out, "password=[REDACTED]");
	free(out);
	out = pbi_redact_url("https://x/y");
	assert_string_equal(out, "https://x/y");
	free(out);
}

static void
base64url_round_trip(void **state)
{
	/* The x5t example of api-facts 1.3. */
	static const unsigned char sha1[] = {
		0x84, 0xE0, 0x5C, 0x1D, 0x98, 0xBC, 0xE3, 0xA5, 0x42, 0x1D,
		0x22, 0x5B, 0x14, 0x0B, 0x36, 0xE8, 0x6A, 0x3D, 0x55, 0x34
	};
	unsigned char	*dec;
	char		*enc;
	size_t		 n, len;

	(void)state;
	enc = pbi_b64url(sha1, sizeof(sha1));
	assert_string_equal(enc, "hOBcHZi846VCHSJbFAs26Go9VTQ");
	dec = pbi_b64url_decode(enc, strlen(enc), &n);
	assert_int_equal(n, sizeof(sha1));
	assert_memory_equal(dec, sha1, n);
	free(enc);
	free(dec);
	for (len = 0; len < 5; len++) {
		enc = pbi_b64url((const unsigned char *)"abcd", len);
		dec = pbi_b64url_decode(enc, strlen(enc), &n);
		assert_int_equal(n, len);
		assert_memory_equal(dec, "abcd", len);
		free(enc);
		free(dec);
	}
	assert_null(pbi_b64url_decode("a", 1, &n));
	assert_null(pbi_b64url_decode("ab!c", 4, &n));
}

static void
identifiers_and_urls(void **state)
{
	(void)state;
	assert_true(pbi_is_guid("00000009-0000-0000-c000-000000000000"));
	assert_false(pbi_is_guid("00000009-0000-0000-c000-00000000000"));
	assert_false(pbi_is_guid("00000009x0000-0000-c000-000000000000"));
	assert_false(pbi_is_guid(NULL));
	assert_true(pbi_url_allowed("https://api.powerbi.com/v1.0/myorg"));
	assert_true(pbi_url_allowed("http://127.0.0.1:8080/x"));
	assert_true(pbi_url_allowed("http://127.9.9.9/x"));
	assert_true(pbi_url_allowed("http://localhost:1/x"));
	assert_true(pbi_url_allowed("http://[::1]:99/x"));
	assert_false(pbi_url_allowed("http://api.powerbi.com/x"));
	assert_false(pbi_url_allowed("http://10.0.0.1/x"));
	assert_false(pbi_url_allowed("http://127.0.0.1.evil.com/x"));
	assert_false(pbi_url_allowed("http://user@127.0.0.1/x"));
	assert_false(pbi_url_allowed("ftp://127.0.0.1/x"));
	assert_false(pbi_url_allowed("http://127.0.0.1:"));
	assert_false(pbi_url_allowed("http://127.0.0.1:/x"));
	assert_false(pbi_url_allowed("http://127.0.0.1:8x/x"));
	assert_true(pbi_url_allowed("http://127.0.0.1:8080"));
	assert_false(pbi_url_allowed("https:///x"));
}

/* Extract an error from status, headers and body. */
static const struct pbi_err *
shape(long status, const char *rid, const char *info, const char *body)
{
	static struct pbi_resp	 r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	snprintf(r.request_id, sizeof(r.request_id), "%s", rid ? rid : "");
	snprintf(r.error_info, sizeof(r.error_info), "%s", info ? info : "");
	r.body = (char *)body;
	r.body_len = body ? strlen(body) : 0;
	return pbi_http_error("GET /x", &r);
}

static void
error_shapes(void **state)
{
	const struct pbi_err	*e;

	(void)state;
	/* Graph, with the request id only in innerError (api-facts 2.3). */
	e = shape(409, NULL, NULL, "{\"error\":{\"code\":"
	    "\"Request_MultipleObjectsWithSameKeyValue\",\"message\":"
	    "\"Permission entry already exists.\",\"innerError\":{\"date\":"
	    "\"2024-01-01T00:00:00\",\"request-id\":\"g-rid\","
	    "\"client-request-id\":\"c\"}}}");
	assert_int_equal(e->code, PBI_ERR_HTTP);
	assert_int_equal(e->status, 409);
	assert_string_equal(e->svc_code,
	    "Request_MultipleObjectsWithSameKeyValue");
	assert_string_equal(e->svc_msg, "Permission entry already exists.");
	assert_string_equal(e->request_id, "g-rid");
	/* Graph details: NoBackingApplicationObject. */
	e = shape(400, "hdr", NULL, "{\"error\":{\"code\":\"Request_BadRequest\","
	    "\"message\":\"m\",\"details\":[{\"code\":"
	    "\"NoBackingApplicationObject\",\"target\":\"appId\"}]}}");
	assert_string_equal(e->svc_detail, "NoBackingApplicationObject");
	assert_string_equal(e->request_id, "hdr");
	/* Power BI with message. */
	e = shape(409, "pbi-rid", NULL, "{\"error\":{\"code\":"
	    "\"PowerBIEntityAlreadyExists\",\"message\":\"Workspace exists\"}}");
	assert_string_equal(e->svc_code, "PowerBIEntityAlreadyExists");
	assert_string_equal(e->request_id, "pbi-rid");
	/* Power BI with pbi.error and no message. */
	e = shape(401, "r", NULL, "{\"error\":{\"code\":"
	    "\"PowerBINotAuthorizedException\",\"pbi.error\":{\"code\":"
	    "\"PowerBINotAuthorizedException\",\"parameters\":{},"
	    "\"details\":[],\"exceptionCulprit\":1}}}");
	assert_string_equal(e->svc_code, "PowerBINotAuthorizedException");
	assert_string_equal(e->svc_msg, "");
	/* 403, empty body, the header says why. */
	e = shape(403, "r403", "InvalidToken", NULL);
	assert_string_equal(e->svc_code, "InvalidToken");
	assert_string_equal(e->request_id, "r403");
	/* Token expired. */
	e = shape(403, NULL, "TokenExpired", "{\"error\":{\"code\":"
	    "\"TokenExpired\",\"message\":\"Access token has expired, "
	    "resubmit with a new access token\"}}");
	assert_string_equal(e->svc_code, "TokenExpired");
	/* Admin 429: a bare message. */
	e = shape(429, NULL, NULL, "{\"message\":\"You have exceeded the "
	    "amount of requests allowed in the current time frame and "
	    "further requests will fail. Retry in 3392 seconds.\"}");
	assert_string_equal(e->svc_code, "");
	assert_non_null(strstr(e->svc_msg, "Retry in 3392 seconds."));
	/* Entra: error_description without its trace lines, AADSTS code. */
	e = shape(401, NULL, NULL, "{\"error\":\"invalid_client\","
	    "\"error_description\":\"AADSTS7000215: Invalid client secret "
	    "provided.\\r\\nTrace ID: t\\r\\nCorrelation ID: c\","
	    "\"error_codes\":[7000215],\"timestamp\":\"2024-01-01 00:00:00Z\","
	    "\"trace_id\":\"trace-1\",\"correlation_id\":\"corr-1\"}");
	assert_string_equal(e->svc_code, "invalid_client");
	assert_string_equal(e->svc_msg,
	    "AADSTS7000215: Invalid client secret provided.");
	assert_string_equal(e->svc_detail, "AADSTS7000215");
	assert_string_equal(e->request_id, "trace-1");
	/* Garbage. */
	e = shape(502, NULL, NULL, "<html>\x01gateway</html>");
	assert_non_null(strstr(e->svc_msg, "not JSON"));
	assert_non_null(strstr(e->svc_msg, "<html>?gateway"));
}

static void
settings_rules(void **state)
{
	(void)state;
	assert_null(pbi_setting_check(PBI_SET_TENANT,
	    "contoso.onmicrosoft.com"));
	assert_null(pbi_setting_check(PBI_SET_TENANT,
	    "72f988bf-86f1-41af-91ab-2d7cd011db47"));
	assert_non_null(pbi_setting_check(PBI_SET_TENANT, "contoso"));
	assert_non_null(pbi_setting_check(PBI_SET_TENANT, "a..b"));
	assert_non_null(pbi_setting_check(PBI_SET_CLIENT, "app"));
	assert_null(pbi_setting_check(PBI_SET_CLOUD, "usgovhigh"));
	assert_non_null(pbi_setting_check(PBI_SET_CLOUD, "germany"));
	assert_null(pbi_setting_check(PBI_SET_TEMPLATE, "cust-{slug}"));
	assert_null(pbi_setting_check(PBI_SET_TEMPLATE, "{slug} Analytics"));
	assert_non_null(pbi_setting_check(PBI_SET_TEMPLATE, "cust"));
	assert_non_null(pbi_setting_check(PBI_SET_TEMPLATE,
	    "{slug}-{slug}"));
	assert_non_null(pbi_setting_check(PBI_SET_TEMPLATE, "{slug}/{id}"));
	assert_null(pbi_setting_check(PBI_SET_ISOLATION, "workspace"));
	assert_non_null(pbi_setting_check(PBI_SET_ISOLATION, "tenant"));
	assert_non_null(pbi_setting_check("nope", "x"));
}

static void
error_values(void **state)
{
	const struct pbi_err	*e;
	struct pbi_err		 copy;
	char			 buf[256];

	(void)state;
	e = pbi_err(PBI_ERR_INPUT, "bad '%s'", "x");
	assert_int_equal(pbi_err_exit(e), 1);
	pbi_err_copy(&copy, e);
	e = pbi_err(PBI_ERR_USAGE, "other");
	assert_int_equal(pbi_err_exit(e), 2);
	assert_string_equal(copy.msg, "bad 'x'");
	assert_int_equal(pbi_err_exit(NULL), 0);
	pbi_err_ctx(e, "while %s", "testing");
	assert_string_equal(pbi_err_str(e, buf, sizeof(buf)),
	    "while testing: other");
}

static void
table_output(void **state)
{
	static const char *const heads[] = { "NAME", "ID", NULL };
	static const char *const r1[] = { "acme", "1" };
	static const char *const r2[] = { "b", NULL };
	struct pbi_table	*t;
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*fp;

	(void)state;
	t = pbi_table_new(heads);
	assert_int_equal(pbi_table_row(t, r1), 0);
	assert_int_equal(pbi_table_row(t, r2), 0);
	assert_int_equal(pbi_table_rows(t), 2);
	fp = open_memstream(&buf, &len);
	pbi_table_print(t, fp);
	fclose(fp);
	assert_string_equal(buf, "NAME  ID\nacme  1\nb     -\n");
	free(buf);
	pbi_table_free(t);
}

/* JSON in: RFC 8259 numbers only.  JSON out, streamed: as json-c's. */
static void
json_parse_and_stream(void **state)
{
	static const char *const docs[] = { "[]", "{}", "[{\"a\":1,"
	    "\"b\":[],\"c\":{}},{\"d\":null}]", "{\"x\":[1,2],\"y\":"
	    "{\"z\":\"\\u00e9\"}}", "\"s\"" };
	struct json_object	*o;
	struct pbi_jsonw	 w;
	char			*mem = NULL;
	size_t			 len = 0, i, k;
	FILE			*fp;

	(void)state;
	assert_null(pj_parse("NaN", 3));
	assert_null(pj_parse("[1,-Infinity]", 13));
	assert_null(pj_parse("{\"a\":{\"b\":[nan]}}", 19));
	assert_non_null(o = pj_parse("[1.5e3]", 7));
	json_object_put(o);
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_non_null(o = pj_parse(docs[i], strlen(docs[i])));
		assert_non_null(fp = open_memstream(&mem, &len));
		pbi_jsonw_init(&w, fp);
		if (json_object_is_type(o, json_type_array)) {
			pbi_jsonw_array(&w, NULL);
			for (k = 0; k < pj_len(o); k++)
				pbi_jsonw_value(&w, NULL, pj_idx(o, k));
			pbi_jsonw_close(&w, 1);
		} else if (json_object_is_type(o, json_type_object)) {
			pbi_jsonw_object(&w, NULL);
			json_object_object_foreach(o, key, v)
				pbi_jsonw_value(&w, key, v);
			pbi_jsonw_close(&w, 0);
		} else
			pbi_jsonw_value(&w, NULL, o);
		fclose(fp);
		assert_int_equal(len, strlen(pj_text(o, PJ_PRETTY)) + 1);
		assert_memory_equal(mem, pj_text(o, PJ_PRETTY), len - 1);
		assert_int_equal(mem[len - 1], '\n');
		free(mem);
		mem = NULL;
		json_object_put(o);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(retry_after_values),
		cmocka_unit_test(iso8601_times),
		cmocka_unit_test(redact_json_members),
		cmocka_unit_test(redact_form_and_url),
		cmocka_unit_test(base64url_round_trip),
		cmocka_unit_test(identifiers_and_urls),
		cmocka_unit_test(error_shapes),
		cmocka_unit_test(settings_rules),
		cmocka_unit_test(error_values),
		cmocka_unit_test(table_output),
		cmocka_unit_test(json_parse_and_stream),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
