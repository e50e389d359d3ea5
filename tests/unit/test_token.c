/*
 * test_token.c: what an embed token's lifetime rests on (api-facts 3.7):
 * pbi_auth_fresh against a scripted token endpoint: a token too short
 * for the call replaced, one long enough kept, one fetched a moment ago
 * for as long a call kept (one fetch for many jobs), a token the
 * service counted shorter dropped by its generation only, and the
 * token's own claims read for the issuer's clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core.h"
#include "testsrv.h"

#define TENANT	"11112222-3333-4444-5555-666677778888"
#define CLIENT	"aaaaaaaa-0000-4000-8000-000000000001"

static struct testsrv	 ts;
static struct pbi_svc	*svc;

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
	setenv("AZURE_TENANT_ID", TENANT, 1);
	setenv("AZURE_CLIENT_ID", CLIENT, 1);
	setenv("AZURE_CLIENT_SECRET", "s3cret", 1);
	unsetenv("AZURE_CLIENT_CERTIFICATE_PATH");
	unsetenv("AZURE_USERNAME");
	unsetenv("AZURE_AUTHORITY_HOST");
	memset(&ac, 0, sizeof(ac));
	assert_null(pbi_svc_new("public", &ac, 0, 0, &svc));
}

static int
cleanup(void **state)
{
	(void)state;
	pbi_svc_free(svc);
	svc = NULL;
	if (ts.d != NULL)
		ts_stop(&ts);
	return 0;
}

#define TOKEN(life, tok)						\
	{ 200, "Content-Type: application/json\n",			\
	  "{\"token_type\":\"Bearer\",\"expires_in\":" #life ","	\
	  "\"access_token\":\"" tok "\"}", 0 }

static void
fresh_replaces_only_what_is_short(void **state)
{
	static const struct ts_resp script[] = {
		TOKEN(300, "five-minutes"),
		TOKEN(3599, "an-hour"),
		TOKEN(3599, "another-hour"),
		TOKEN(3599, "a-third-hour"),
	};
	struct pbi_tokinfo	 ti;
	unsigned		 gen;

	(void)state;
	start(script, 4);
	/* The first: five minutes, by this machine's clock. */
	assert_null(pbi_auth_fresh(svc->auth, PBI_API_POWERBI, 0, 0, &ti));
	assert_int_equal(ts.nreqs, 1);
	assert_true(ti.exp - ti.got == 300);
	assert_int_equal(ti.claim_exp, 0);	/* no JWT */
	gen = ti.gen;
	/* 30 minutes asked: the five left are not enough. */
	assert_null(pbi_auth_fresh(svc->auth, PBI_API_POWERBI, 1860, 0, &ti));
	assert_int_equal(ts.nreqs, 2);
	assert_true(ti.exp - ti.got == 3599);
	assert_int_not_equal(ti.gen, gen);
	gen = ti.gen;
	/* An hour is enough for 30 minutes: kept. */
	assert_null(pbi_auth_fresh(svc->auth, PBI_API_POWERBI, 1860, 0, &ti));
	assert_int_equal(ts.nreqs, 2);
	assert_int_equal(ti.gen, gen);
	/*
	 * Ten hours: no token lasts that long.  The first such call
	 * fetches the freshest there is, the next ones (other jobs) keep
	 * it.
	 */
	assert_null(pbi_auth_fresh(svc->auth, PBI_API_POWERBI, 36060, 0,
	    &ti));
	assert_int_equal(ts.nreqs, 3);
	gen = ti.gen;
	assert_null(pbi_auth_fresh(svc->auth, PBI_API_POWERBI, 36060, 0,
	    &ti));
	assert_null(pbi_auth_fresh(svc->auth, PBI_API_POWERBI, 1860, 0, &ti));
	assert_int_equal(ts.nreqs, 3);
	assert_int_equal(ti.gen, gen);
	/* The service counted less: that generation goes, once. */
	assert_null(pbi_auth_fresh(svc->auth, PBI_API_POWERBI, 1860, gen,
	    &ti));
	assert_int_equal(ts.nreqs, 4);
	assert_int_not_equal(ti.gen, gen);
	assert_null(pbi_auth_fresh(svc->auth, PBI_API_POWERBI, 1860, gen,
	    &ti));
	assert_int_equal(ts.nreqs, 4);
	/* Each API has its own token; a key-only one has none. */
	assert_null(pbi_auth_fresh(svc->auth, PBI_API_GRAPH, 0, 0, &ti));
	assert_int_equal(ts.nreqs, 5);
	assert_non_null(pbi_auth_fresh(svc->auth, PBI_API_COLLECTIONS, 0, 0,
	    &ti));
	cleanup(NULL);
}

static void
fresh_reads_the_issuers_clock(void **state)
{
	/* {"iat":1000000000,"exp":1000003599}, base64url, in a JWT. */
	static const struct ts_resp script[] = {
		TOKEN(3599, "eyJhbGciOiJSUzI1NiJ9."
		    "eyJpYXQiOjEwMDAwMDAwMDAsImV4cCI6MTAwMDAwMzU5OX0.c2ln"),
	};
	struct pbi_tokinfo	 ti;

	(void)state;
	start(script, 1);
	assert_null(pbi_auth_fresh(svc->auth, PBI_API_POWERBI, 0, 0, &ti));
	assert_int_equal(ti.claim_iat, 1000000000);
	assert_int_equal(ti.claim_exp, 1000003599);
	cleanup(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(fresh_replaces_only_what_is_short,
		    cleanup),
		cmocka_unit_test_teardown(fresh_reads_the_issuers_clock,
		    cleanup),
	};

	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
