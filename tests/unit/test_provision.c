/*
 * test_provision.c: pure workflow helpers: customer names, the name
 * template, the CSV reader, the migration's map and connections files
 * and the .pbix check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sys/resource.h>

#include <cmocka.h>

#include "core/util.h"

#include "provision/provision.h"

static void
slugs_and_names(void **state)
{
	struct pbi_prov	 p;
	char		 buf[64];

	(void)state;
	assert_true(pbi_slug_ok("acme"));
	assert_true(pbi_slug_ok("a-1"));
	assert_false(pbi_slug_ok(""));
	assert_false(pbi_slug_ok("-a"));
	assert_false(pbi_slug_ok("a-"));
	assert_false(pbi_slug_ok("Acme"));
	assert_false(pbi_slug_ok("a_b"));
	assert_false(pbi_slug_ok("a b"));
	memset(&p, 0, sizeof(p));
	snprintf(p.template, sizeof(p.template), "%s", "cust-{slug}");
	pbi_ws_name(&p, "acme", buf, sizeof(buf));
	assert_string_equal(buf, "cust-acme");
	snprintf(p.template, sizeof(p.template), "%s", "{slug} Analytics");
	pbi_ws_name(&p, "acme", buf, sizeof(buf));
	assert_string_equal(buf, "acme Analytics");
}

/* Write text to a temporary file; returns its path (static). */
static const char *
tmpfile_with(const char *text)
{
	static char	 path[64];
	FILE		*fp;
	int		 fd;

	snprintf(path, sizeof(path), "/tmp/pbictl-unit-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
csv_reader(void **state)
{
	struct json_object	*a = NULL;
	const struct pbi_err	*err;
	const char		*f;

	(void)state;
	f = tmpfile_with("customer,display name,admin\n# note\n\n"
	    "acme,\"Acme, Inc.\",bob@x.com\r\nbeta , Beta \n"
	    "gamma,\"Say \"\"hi\"\"\"\ndelta\n");
	assert_null(pbi_csv_customers(f, &a));
	unlink(f);
	assert_int_equal(json_object_array_length(a), 4);
	assert_string_equal(pj_str(json_object_array_get_idx(a, 0),
	    "displayName"), "Acme, Inc.");
	assert_string_equal(pj_str(json_object_array_get_idx(a, 0), "admin"),
	    "bob@x.com");
	assert_string_equal(pj_str(json_object_array_get_idx(a, 1),
	    "customer"), "beta");
	assert_string_equal(pj_str(json_object_array_get_idx(a, 1),
	    "displayName"), "Beta");
	assert_string_equal(pj_str(json_object_array_get_idx(a, 2),
	    "displayName"), "Say \"hi\"");
	assert_null(pj_str(json_object_array_get_idx(a, 3), "displayName"));
	json_object_put(a);

	f = tmpfile_with("acme,A\n\"beta,B\n");
	err = pbi_csv_customers(f, &a);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, ":2:"));
	assert_null(a);
	unlink(f);
	f = tmpfile_with("acme,A\nBad Name,B\n");
	err = pbi_csv_customers(f, &a);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, ":2: invalid customer name"));
	unlink(f);
	f = tmpfile_with("a,b,c,d\n");
	assert_non_null(pbi_csv_customers(f, &a));
	unlink(f);
}

static void
migrate_map(void **state)
{
	struct json_object	*a = NULL;
	const struct pbi_err	*err;
	const char		*f;

	(void)state;
	f = tmpfile_with("workspaceId,customer,display name\n# c\n\n"
	    "f0000000-0000-4000-8000-000000000001,acme,\"Acme, Inc.\"\n"
	    "F0000000-0000-4000-8000-000000000002 , beta\n");
	assert_null(pbi_migrate_map_load(f, &a));
	unlink(f);
	assert_int_equal(json_object_array_length(a), 2);
	assert_string_equal(pj_str(pj_idx(a, 0), "displayName"), "Acme, Inc.");
	assert_int_equal(pj_int(pj_idx(a, 0), "line", 0), 4);
	assert_string_equal(pj_str(pj_idx(a, 1), "customer"), "beta");
	assert_null(pj_str(pj_idx(a, 1), "displayName"));
	json_object_put(a);
	a = NULL;
	/* Each bad line is named, and nothing comes back. */
	f = tmpfile_with("f0000000-0000-4000-8000-000000000001,acme\n"
	    "not-a-guid,beta\n");
	err = pbi_migrate_map_load(f, &a);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, ":2: 'not-a-guid' is not a "
	    "workspace id"));
	assert_null(a);
	unlink(f);
	f = tmpfile_with("f0000000-0000-4000-8000-000000000001,Acme_Inc\n");
	err = pbi_migrate_map_load(f, &a);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, ":1: invalid customer name"));
	unlink(f);
	f = tmpfile_with("f0000000-0000-4000-8000-000000000001,acme\n"
	    "f0000000-0000-4000-8000-000000000001,beta\n");
	err = pbi_migrate_map_load(f, &a);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, ":2: workspace "
	    "f0000000-0000-4000-8000-000000000001 is already mapped on "
	    "line 1"));
	unlink(f);
	f = tmpfile_with("f0000000-0000-4000-8000-000000000001\n");
	assert_non_null(pbi_migrate_map_load(f, &a));
	unlink(f);
}

/* A connections file of mode 0600 with text. */
static const char *
conn_file(const char *text)
{
	const char	*f = tmpfile_with(text);

	assert_int_equal(chmod(f, 0600), 0);
	return f;
}

static void
migrate_connections(void **state)
{
	struct json_object	*o = NULL;
	const struct pbi_err	*err;
	const char		*f;

	(void)state;
	f = conn_file("{\"fd000000-0000-4000-8000-000000000001\": "
	    "{\"connectionString\": \"data source=s\", \"credentialType\": "
	    "\"Basic\", \"username\": \"u\", \"password\": \"p\"},"
	    "\"fd000000-0000-4000-8000-000000000002\": {\"connectionString\":"
	    " \"x\", \"credentialType\": \"Key\", \"key\": \"k\"}}");
	assert_null(pbi_migrate_connections_load(f, &o));
	assert_string_equal(pj_path_str(o,
	    "fd000000-0000-4000-8000-000000000001.connectionString"),
	    "data source=s");
	pbi_json_wipe_put(o);
	o = NULL;
	/* Readable by others: refused, whatever it holds. */
	assert_int_equal(chmod(f, 0644), 0);
	assert_non_null(pbi_migrate_connections_load(f, &o));
	assert_null(o);
	unlink(f);
	f = conn_file("[1, 2]");
	err = pbi_migrate_connections_load(f, &o);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "is not a JSON object"));
	unlink(f);
	f = conn_file("{\"fd000000-0000-4000-8000-000000000001\": ");
	assert_non_null(pbi_migrate_connections_load(f, &o));
	unlink(f);
	f = conn_file("{\"nope\": {\"connectionString\": \"x\"}}");
	err = pbi_migrate_connections_load(f, &o);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "key 'nope' is not a dataset id"));
	unlink(f);
	f = conn_file("{\"fd000000-0000-4000-8000-000000000001\": "
	    "{\"credentialType\": \"Basic\"}}");
	err = pbi_migrate_connections_load(f, &o);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "dataset "
	    "fd000000-0000-4000-8000-000000000001: no connectionString"));
	unlink(f);
	f = conn_file("{\"fd000000-0000-4000-8000-000000000001\": "
	    "{\"connectionString\": \"x\", \"credentialType\": "
	    "\"Windows\", \"username\": \"u\"}}");
	err = pbi_migrate_connections_load(f, &o);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "Windows needs username and "
	    "password"));
	unlink(f);
	f = conn_file("{\"fd000000-0000-4000-8000-000000000001\": "
	    "{\"connectionString\": \"x\", \"credentialType\": "
	    "\"Anonymous\"}}");
	assert_non_null(pbi_migrate_connections_load(f, &o));
	unlink(f);
	assert_null(o);
}

/*
 * A stored zip with the named entries (no data), built by hand; with
 * zip64, its directory found through the ZIP64 records, as a package
 * over 4 GiB has it.
 */
static size_t
zip_with(unsigned char *b, const char *const *names, size_t n, int zip64)
{
	size_t	 o = 0, cd, i, nl, off[8], z;

#define W16(v) do { b[o++] = (v) & 0xff; b[o++] = ((v) >> 8) & 0xff; } while (0)
#define W32(v) do { W16((v) & 0xffff); W16(((v) >> 16) & 0xffff); } while (0)
	for (i = 0; i < n; i++) {
		off[i] = o;
		nl = strlen(names[i]);
		W32(0x04034b50); W16(20); W16(0); W16(0); W16(0); W16(0);
		W32(0); W32(0); W32(0); W16(nl); W16(0);
		memcpy(b + o, names[i], nl);
		o += nl;
	}
	cd = o;
	for (i = 0; i < n; i++) {
		nl = strlen(names[i]);
		W32(0x02014b50); W16(20); W16(20); W16(0); W16(0); W16(0);
		W16(0); W32(0); W32(0); W32(0); W16(nl); W16(0); W16(0);
		W16(0); W16(0); W32(0); W32(off[i]);
		memcpy(b + o, names[i], nl);
		o += nl;
	}
	i = o - cd;	/* the directory's size, before o moves on */
	if (zip64) {
		z = o;
		W32(0x06064b50); W32(44); W32(0); W16(45); W16(45); W32(0);
		W32(0); W32(n); W32(0); W32(n); W32(0); W32(i); W32(0);
		W32(cd); W32(0);
		W32(0x07064b50); W32(0); W32(z); W32(0); W32(1);
		W32(0x06054b50); W16(0); W16(0); W16(0xffff); W16(0xffff);
		W32(0xffffffff); W32(0xffffffff); W16(0);
		return o;
	}
	W32(0x06054b50); W16(0); W16(0); W16(n); W16(n); W32(i);
	W32(cd); W16(0);
	return o;
}

static void
pbix_check(void **state)
{
	static const char *const good[] = { "[Content_Types].xml", "Version",
	    "Report/Layout" };
	static const char *const bad[] = { "hello.txt" };
	unsigned char		 b[2048];
	size_t			 n;

	(void)state;
	n = zip_with(b, good, 3, 0);
	assert_null(pbi_pbix_check("good.pbix", b, n));
	assert_non_null(pbi_pbix_check("trunc.pbix", b, n - 10));
	/* ZIP64: found through its records; a broken locator refused. */
	n = zip_with(b, good, 3, 1);
	assert_null(pbi_pbix_check("big.pbix", b, n));
	b[n - 22 - 20 + 8] = 0xf0;
	assert_non_null(strstr(pbi_pbix_check("big.pbix", b, n)->msg,
	    "bad ZIP64"));
	n = zip_with(b, bad, 1, 1);
	assert_non_null(strstr(pbi_pbix_check("x.pbix", b, n)->msg,
	    "not a .pbix package"));
	n = zip_with(b, bad, 1, 0);
	assert_non_null(strstr(pbi_pbix_check("x.pbix", b, n)->msg,
	    "not a .pbix package"));
	assert_non_null(strstr(pbi_pbix_check("t.pbix",
	    (const unsigned char *)"hello, this is text", 19)->msg,
	    "not a zip archive"));
}

/*
 * check the sparse ZIP64 package mkpbix.py makes of size bytes of model
 * (broken as corrupt says); *faults: the pages the check touched.
 */
static const struct pbi_err *
zip64_check(const char *dir, uint64_t size, const char *corrupt,
    long *faults)
{
	const struct pbi_err	*err;
	const unsigned char	*m;
	struct rusage		 a, b;
	char			 cmd[1024], path[512];
	size_t			 n;

	snprintf(path, sizeof(path), "%s/big-%s.pbix", dir, corrupt);
	snprintf(cmd, sizeof(cmd), "python3 tests/data/mkpbix.py --zip64 "
	    "'%s' %llu %s", path, (unsigned long long)size, corrupt);
	assert_int_equal(system(cmd), 0);
	assert_null(pbi_map_file(path, (size_t)10 << 30, &m, &n, NULL));
	getrusage(RUSAGE_SELF, &a);
	err = pbi_pbix_check(path, m, n);
	getrusage(RUSAGE_SELF, &b);
	*faults = b.ru_minflt - a.ru_minflt + b.ru_majflt - a.ru_majflt;
	pbi_unmap_file(m, n);
	unlink(path);
	return err;
}

static void
pbix_zip64(void **state)
{
	static const struct {
		const char	*corrupt;
		const char	*why;
	} bad[] = {
		{ "record", "bad ZIP64 end of central directory record" },
		{ "locator", "bad ZIP64 locator" },
		{ "extra", "bad ZIP64 extra field" },
		{ "count", "bad zip directory" },
	};
	const struct pbi_err	*err;
	char			 dir[] = "/tmp/pbix64.XXXXXX";
	long			 faults;
	size_t			 i;

	(void)state;
	if (sizeof(size_t) < 8)
		skip();		/* a 32-bit build cannot map 4.5 GiB */
	assert_non_null(mkdtemp(dir));
	/* 4.5 GiB of model: every offset after it needs ZIP64. */
	err = zip64_check(dir, (uint64_t)9 << 29, "", &faults);
	assert_null(err);
	/* The end and the directory only: a few pages, not a million. */
	assert_in_range(faults, 0, 64);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = zip64_check(dir, (uint64_t)9 << 29, bad[i].corrupt,
		    &faults);
		assert_non_null(err);
		if (strstr(err->msg, bad[i].why) == NULL)
			fail_msg("%s: %s", bad[i].corrupt, err->msg);
		assert_in_range(faults, 0, 64);
	}
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slugs_and_names),
		cmocka_unit_test(csv_reader),
		cmocka_unit_test(migrate_map),
		cmocka_unit_test(migrate_connections),
		cmocka_unit_test(pbix_check),
		cmocka_unit_test(pbix_zip64),
	};

	return cmocka_run_group_tests_name("provision", tests, NULL, NULL);
}
