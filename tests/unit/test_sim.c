/*
 * test_sim.c: pbisim's pure pieces: base64, form and percent decoding,
 * OData equality filters, ISO dates, the zip reader that finds a
 * package's DataModelSchema, and its own JWTs (RS256 access tokens and
 * the HS256 app tokens of Workspace Collections).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/hmac.h>

#include "sim/sim.h"

static void
base64(void **state)
{
	unsigned char	*d;
	char		*e;
	size_t		 n;

	(void)state;
	e = b64_enc("\xfb\xff", 2);
	assert_string_equal(e, "+/8=");
	free(e);
	e = b64url_enc("\xfb\xff", 2);
	assert_string_equal(e, "-_8");
	d = b64_dec(e, strlen(e), &n);
	assert_int_equal(n, 2);
	assert_memory_equal(d, "\xfb\xff", 2);
	free(d);
	free(e);
	d = b64_dec("+/8=", 4, &n);
	assert_int_equal(n, 2);
	free(d);
	assert_null(b64_dec("@@@@", 4, &n));
}

static void
forms_and_filters(void **state)
{
	struct kv	*kv = NULL;
	char		 keys[4][64], vals[4][256], *s;
	int		 n = 0;

	(void)state;
	assert_int_equal(sim_form_parse("a=1&b=x%20y+z&c=", 16, &kv, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(sim_kv_get(kv, n, "b"), "x y z");
	assert_string_equal(sim_kv_get(kv, n, "c"), "");
	assert_null(sim_kv_get(kv, n, "d"));
	sim_kv_free(kv, n);
	s = sim_pctdecode("a%2Bb+c", 7, 0);
	assert_string_equal(s, "a+b+c");
	free(s);
	assert_int_equal(sim_filter_eq("clientId eq 'x' and consentType eq "
	    "'AllPrincipals'", keys, vals, 4), 2);
	assert_string_equal(keys[1], "consentType");
	assert_string_equal(vals[1], "AllPrincipals");
	assert_int_equal(sim_filter_eq("startswith(name,'x')", keys, vals, 4),
	    -1);
	assert_int_equal(sim_parse_iso("2016-11-26T00:00:00Z"),
	    1480118400000LL);
	assert_int_equal(sim_parse_iso("2016-11-26"), 1480118400000LL);
	assert_int_equal(sim_parse_iso("yesterday"), -1);
}

/* ISO dates: the forms the services send, and bounds on hostile ones. */
static void
iso_dates(void **state)
{
	char	 b[40];

	(void)state;
	assert_int_equal(sim_parse_iso("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(sim_parse_iso("2024-02-29T12:34:56.789Z"),
	    1709210096789LL);
	assert_int_equal(sim_parse_iso("2024-02-29T14:34:56.7+02:00"),
	    1709210096700LL);
	assert_int_equal(sim_parse_iso("2024-02-29 12:34"), 1709210040000LL);
	assert_int_equal(sim_parse_iso("9999-12-31T23:59:59Z"),
	    253402300799000LL);
	sim_iso(1709210096789LL, 1, b, sizeof(b));
	assert_int_equal(sim_parse_iso(b), 1709210096789LL);
	/* the date that overflowed timegm's product before bounds */
	assert_int_equal(sim_parse_iso("-555455555-455-4555566c"), -1);
	assert_int_equal(sim_parse_iso("99999-01-01"), -1);
	assert_int_equal(sim_parse_iso("2147483647-12-31T23:59:59Z"), -1);
	assert_int_equal(sim_parse_iso("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(sim_parse_iso("1970-01-01T00:30+01:00"), -1);
	assert_int_equal(sim_parse_iso("2023-02-29"), -1);
	assert_int_equal(sim_parse_iso("2024-13-01"), -1);
	assert_int_equal(sim_parse_iso("2024-00-10"), -1);
	assert_int_equal(sim_parse_iso("2024-04-31"), -1);
	assert_int_equal(sim_parse_iso("2024-01-01T24:00:00Z"), -1);
	assert_int_equal(sim_parse_iso("2024-01-01T23:60:00Z"), -1);
	assert_int_equal(sim_parse_iso("2024-01-01T00:00:00Zjunk"), -1);
	assert_int_equal(sim_parse_iso("2024-1-01"), -1);
	assert_int_equal(sim_parse_iso("+2024-01-01"), -1);
	assert_int_equal(sim_parse_iso("2024-01-01T00:00:00."), -1);
	assert_int_equal(sim_parse_iso(""), -1);
	assert_int_equal(sim_parse_iso(NULL), -1);
}

/* A stored zip of one entry, by hand. */
static size_t
zip1(unsigned char *b, const char *name, const char *data, int method)
{
	size_t	 o = 0, nl = strlen(name), dl = strlen(data), cd;

#define W16(v) do { b[o++] = (v) & 0xff; b[o++] = ((v) >> 8) & 0xff; } while (0)
#define W32(v) do { uint32_t w_ = (v); W16(w_ & 0xffff); W16(w_ >> 16); } while (0)
	W32(0x04034b50); W16(20); W16(0); W16(method); W16(0); W16(0);
	W32(0); W32(dl); W32(dl); W16(nl); W16(0);
	memcpy(b + o, name, nl);
	o += nl;
	memcpy(b + o, data, dl);
	o += dl;
	cd = o;
	W32(0x02014b50); W16(20); W16(20); W16(0); W16(method); W16(0);
	W16(0); W32(0); W32(dl); W32(dl); W16(nl); W16(0); W16(0); W16(0);
	W16(0); W32(0); W32(0);
	memcpy(b + o, name, nl);
	o += nl;
	dl = o - cd;
	W32(0x06054b50); W16(0); W16(0); W16(1); W16(1); W32(dl); W32(cd);
	W16(0);
	return o;
#undef W16
#undef W32
}

static void
zip_reader(void **state)
{
	unsigned char	 b[512];
	const char	*data;
	size_t		 n, len;

	(void)state;
	n = zip1(b, "DataModelSchema", "{\"model\":{}}", 0);
	assert_true(sim_is_zip((char *)b, n));
	assert_int_equal(sim_zip_find((char *)b, n, "DataModelSchema", &data,
	    &len), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(data, "{\"model\":{}}", 12);
	assert_int_equal(sim_zip_find((char *)b, n, "Other", &data, &len), -1);
	n = zip1(b, "DataModelSchema", "xx", 8);
	assert_int_equal(sim_zip_find((char *)b, n, "DataModelSchema", &data,
	    &len), 1);
	assert_false(sim_is_zip("not a zip at all, not at all", 28));
}

static void
jwts(void **state)
{
	struct json_object	*c, *got = NULL;
	unsigned char		 mac[64];
	unsigned int		 ml;
	char			*tok, *sig, buf[512];

	(void)state;
	pthread_mutex_init(&g.mu, NULL);
	assert_int_equal(jwt_keygen(), 0);
	c = json_object_new_object();
	pj_add_str(c, "aud", "https://analysis.windows.net/powerbi/api");
	tok = jwt_sign(c);
	assert_non_null(tok);
	assert_int_equal(jwt_verify_own(tok, &got), 0);
	assert_string_equal(pj_str(got, "aud"),
	    "https://analysis.windows.net/powerbi/api");
	json_object_put(got);
	/* One byte of the claims changed: refused. */
	strchr(tok, '.')[2] ^= 1;
	assert_int_not_equal(jwt_verify_own(tok, &got), 0);
	free(tok);
	json_object_put(c);

	/* Workspace Collections: HMAC with the key's UTF-8 bytes as-is. */
	snprintf(buf, sizeof(buf), "%s", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."
	    "eyJ2ZXIiOiIwLjIuMCJ9");
	HMAC(EVP_sha256(), "key1==", 6, (unsigned char *)buf, strlen(buf),
	    mac, &ml);
	sig = b64url_enc(mac, ml);
	strncat(buf, ".", sizeof(buf) - strlen(buf) - 1);
	strncat(buf, sig, sizeof(buf) - strlen(buf) - 1);
	free(sig);
	assert_true(jwt_verify_hs256(buf, "key1=="));
	assert_false(jwt_verify_hs256(buf, "key2=="));
	EVP_PKEY_free(g.key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(base64),
		cmocka_unit_test(forms_and_filters),
		cmocka_unit_test(iso_dates),
		cmocka_unit_test(zip_reader),
		cmocka_unit_test(jwts),
	};

	return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
