/*
 * test_audit.c: the isolation audit's rules (provision/audit_rules.c) on
 * snapshots written by hand: one breach, one finding; precedence between
 * rules; the naming template; order; and what the target of a datasource
 * is.
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

#define SP	"5e7d0c3a-9b1f-4d2e-8a6c-3f4b5a6c7d8e"
#define PA	"aaaaaaaa-0000-4000-8000-00000000000a"
#define PB	"bbbbbbbb-0000-4000-8000-00000000000b"
#define WA	"aaaaaaaa-1111-4000-8000-00000000000a"
#define WB	"bbbbbbbb-1111-4000-8000-00000000000b"

/* A clean tenant of two customers, a and b, in admin mode. */
static const char base[] =
"{\"isolation\": \"profile\", \"template\": \"cust-{slug}\", \"sp\": \"" SP "\","
" \"workspaceLimit\": 1000,"
" \"ledger\": {\"customers\": ["
"  {\"slug\": \"a\", \"status\": \"active\", \"admins\": [\"ann@x\", \"boss@x\"],"
"   \"workspace\": {\"id\": \"" WA "\", \"name\": \"cust-a\", \"capacityId\": null},"
"   \"profile\": {\"id\": \"" PA "\"}, \"reports\": [{\"id\": \"r1\", \"name\": \"Sales\"}],"
"   \"datasets\": []},"
"  {\"slug\": \"b\", \"status\": \"active\", \"admins\": [\"bob@x\", \"boss@x\"],"
"   \"workspace\": {\"id\": \"" WB "\", \"name\": \"cust-b\", \"capacityId\": null},"
"   \"profile\": {\"id\": \"" PB "\"}, \"reports\": [], \"datasets\": []}],"
"  \"workspaces\": [{\"id\": \"" WA "\", \"customer\": \"a\"}, {\"id\": \"" WB "\", \"customer\": \"b\"}],"
"  \"profiles\": [{\"id\": \"" PA "\", \"customer\": \"a\"}, {\"id\": \"" PB "\", \"customer\": \"b\"}],"
"  \"targets\": [{\"target\": \"sql-b/sales\", \"customer\": \"b\"}], \"shared\": []},"
" \"verify\": [],"
" \"service\": {\"tenantWide\": true, \"missing\": [], \"reach\": [],"
"  \"profiles\": [{\"id\": \"" PA "\"}, {\"id\": \"" PB "\"}],"
"  \"workspaces\": ["
"   {\"id\": \"" WA "\", \"name\": \"cust-a\", \"state\": \"Active\","
"    \"users\": [{\"identifier\": \"" SP "\", \"principalType\": \"App\","
"     \"groupUserAccessRight\": \"Admin\", \"profile\": {\"id\": \"" PA "\"}},"
"     {\"identifier\": \"BOSS@x\", \"principalType\": \"User\", \"groupUserAccessRight\": \"Admin\"}],"
"    \"reports\": [{\"id\": \"r1\", \"name\": \"Sales\", \"datasetId\": \"d1\"}],"
"    \"datasets\": [{\"id\": \"d1\", \"name\": \"Sales\", \"datasources\": []}]},"
"   {\"id\": \"" WB "\", \"name\": \"cust-b\", \"state\": \"Active\","
"    \"users\": [{\"identifier\": \"" SP "\", \"principalType\": \"App\","
"     \"groupUserAccessRight\": \"Admin\", \"profile\": {\"id\": \"" PB "\"}}],"
"    \"reports\": [], \"datasets\": []}]},"
" \"probes\": []}";

/* JSON text s parsed (a new reference). */
static struct json_object *
J(const char *s)
{
	struct json_object	*o = pj_parse(s, strlen(s));

	assert_non_null(o);
	return o;
}

static struct json_object *
snap(void)
{
	struct json_object	*o = pj_parse(base, strlen(base));

	assert_non_null(o);
	return o;
}

/* The service workspace of id in s (borrowed). */
static struct json_object *
ws(struct json_object *s, const char *id)
{
	struct json_object	*a = pj_arr(pj_obj(s, "service"), "workspaces");
	size_t			 i;

	for (i = 0; i < pj_len(a); i++)
		if (strcmp(pj_str(pj_idx(a, i), "id"), id) == 0)
			return pj_idx(a, i);
	fail();
	return NULL;
}

static void
add_user(struct json_object *w, const char *json)
{
	json_object_array_add(pj_arr(w, "users"), pj_parse(json,
	    strlen(json)));
}

/* The findings of s as "rule/severity/customer" joined by spaces. */
static char *
rules(struct json_object *s)
{
	struct json_object	*f = pbi_audit_rules(s), *e;
	static char		 buf[2048];
	size_t			 i;

	buf[0] = '\0';
	for (i = 0; i < pj_len(f); i++) {
		e = pj_idx(f, i);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		    "%s%s/%s/%s", i ? " " : "", pj_str(e, "rule"),
		    pj_str(e, "severity"), pj_str(e, "customer") ?
		    pj_str(e, "customer") : "-");
		assert_true(strlen(pj_str(e, "remedy")) > 10);
	}
	json_object_put(f);
	return buf;
}

static void
clean_is_clean(void **state)
{
	struct json_object	*s = snap();

	(void)state;
	assert_string_equal(rules(s), "");
	json_object_put(s);
}

/* Another customer's profile is profile-cross-customer, once. */
static void
one_breach_one_finding(void **state)
{
	struct json_object	*s = snap();

	(void)state;
	add_user(ws(s, WA), "{\"identifier\": \"" SP "\", \"principalType\":"
	    " \"App\", \"groupUserAccessRight\": \"Viewer\", \"profile\":"
	    " {\"id\": \"" PB "\"}}");
	json_object_array_add(pj_arr(pj_obj(s, "service"), "reach"),
	    J("{\"profile\": \"" PB "\", \"workspaces\": [\"" WA "\"]}"));
	assert_string_equal(rules(s), "profile-cross-customer/critical/b");
	json_object_put(s);
}

static void
members_by_kind(void **state)
{
	struct json_object	*s = snap();

	(void)state;
	add_user(ws(s, WA), "{\"identifier\": \"bob@x\", \"principalType\":"
	    " \"User\", \"groupUserAccessRight\": \"Member\"}");
	add_user(ws(s, WA), "{\"identifier\": \"eve@x\", \"principalType\":"
	    " \"User\", \"groupUserAccessRight\": \"Viewer\"}");
	add_user(ws(s, WA), "{\"identifier\": \"" SP "\", \"principalType\":"
	    " \"App\", \"groupUserAccessRight\": \"Member\"}");
	add_user(ws(s, WA), "{\"identifier\": \"g1\", \"principalType\":"
	    " \"Group\", \"groupUserAccessRight\": \"Viewer\"}");
	/* Ordered by customer, then severity, then rule. */
	assert_string_equal(rules(s), "member-cross-customer/critical/a "
	    "member-unexpected/error/a member-unexpected/error/a "
	    "parent-sp-member/warning/a");
	/* In isolation mode workspace the principal belongs there. */
	pj_add_str(s, "isolation", "workspace");
	assert_string_equal(rules(s), "member-cross-customer/critical/a "
	    "member-unexpected/error/a member-unexpected/error/a");
	json_object_put(s);
}

static void
reports_and_bindings(void **state)
{
	struct json_object	*s = snap(), *r = pj_arr(ws(s, WA), "reports");

	(void)state;
	json_object_array_add(r, J("{\"id\": \"r2\", \"name\": "
	    "\"Sales\", \"datasetId\": \"d1\"}"));
	assert_string_equal(rules(s), "report-duplicate/warning/a");
	json_object_array_add(r, J("{\"id\": \"r3\", \"name\": \"X\", "
	    "\"datasetId\": \"dz\", \"datasetWorkspaceId\": \"" WB "\"}"));
	assert_string_equal(rules(s), "binding-cross-customer/critical/a "
	    "report-duplicate/warning/a report-unknown/warning/a");
	json_object_put(s);
}

static void
datasources_and_targets(void **state)
{
	struct json_object	*s = snap(), *src, *t;
	const char		*gw = "{\"datasourceType\": \"Sql\", "
				    "\"connectionDetails\": \"{\\\"server\\\":"
				    "\\\"SQL-B\\\",\\\"database\\\":\\\"Sales\\\"}\"}";

	(void)state;
	src = pj_parse(gw, strlen(gw));
	t = pbi_datasource_target(src);
	assert_string_equal(pj_str(t, "target"), "sql-b/sales");
	assert_string_equal(pj_str(t, "server"), "SQL-B");
	json_object_array_add(pj_arr(pj_idx(pj_arr(ws(s, WA), "datasets"), 0),
	    "datasources"), t);
	assert_string_equal(rules(s), "datasource-cross-customer/critical/a");
	json_object_put(src);
	json_object_put(s);
}

static void
orphans_and_missing(void **state)
{
	struct json_object	*s = snap(), *a;
	static const char	*names[] = { "cust-zz", "cust-", "cust-Zz",
				    "cust--x", "other", NULL };
	char			 j[256];
	size_t			 i;

	(void)state;
	a = pj_arr(pj_obj(s, "service"), "workspaces");
	for (i = 0; names[i] != NULL; i++) {
		snprintf(j, sizeof(j), "{\"id\": \"o%zu\", \"name\": \"%s\", "
		    "\"state\": \"Active\"}", i, names[i]);
		json_object_array_add(a, pj_parse(j, strlen(j)));
	}
	/* Only a name the template could have made is an orphan. */
	assert_string_equal(rules(s), "workspace-orphan/warning/-");
	pj_add_str(ws(s, WB), "state", "Deleted");
	assert_string_equal(rules(s), "workspace-orphan/warning/- "
	    "workspace-missing/error/b");
	json_object_put(s);
}

static void
ledger_findings(void **state)
{
	struct json_object	*s = snap(), *v = pj_arr(s, "verify");
	const char		*shared = "{\"kind\": \"profile\", \"id\": \"" PB
				    "\", \"customer\": \"a\", \"other\": \"b\","
				    " \"detail\": \"d\"}";

	(void)state;
	json_object_array_add(pj_arr(pj_obj(s, "ledger"), "shared"),
	    pj_parse(shared, strlen(shared)));
	json_object_array_add(v, J("{\"severity\": \"error\", "
	    "\"check\": \"workspace-profile-owner\", \"detail\": \"x\"}"));
	json_object_array_add(v, J("{\"severity\": \"warning\", "
	    "\"check\": \"file-mode\", \"detail\": \"mode 0644\"}"));
	/* ledger-shared says the profile owner once; the rest is ledger-verify. */
	assert_string_equal(rules(s), "ledger-verify/warning/- "
	    "ledger-shared/critical/a");
	json_object_put(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean_is_clean),
		cmocka_unit_test(one_breach_one_finding),
		cmocka_unit_test(members_by_kind),
		cmocka_unit_test(reports_and_bindings),
		cmocka_unit_test(datasources_and_targets),
		cmocka_unit_test(orphans_and_missing),
		cmocka_unit_test(ledger_findings),
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
