/*
 * test_auth.c: the client assertion checked by an independent verifier
 * (OpenSSL's own signature check, x5t from X509_digest of the DER), the
 * clouds' endpoints, the advice for Entra errors and a certificate's
 * public part.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/core.h"
#include "core/auth_int.h"

static EVP_PKEY	*key;
static X509	*cert;

static int
make_cert(void **state)
{
	X509_NAME	*name;

	(void)state;
	key = EVP_RSA_gen(2048);
	cert = X509_new();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 42);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"pbictl-test", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	return X509_sign(cert, key, EVP_sha256()) > 0 ? 0 : -1;
}

static int
free_cert(void **state)
{
	(void)state;
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}

/* Decode one base64url JWT part as JSON. */
static struct json_object *
part(const char *s, size_t n)
{
	unsigned char		*dec;
	struct json_object	*o;
	size_t			 len;

	dec = pbi_b64url_decode(s, n, &len);
	assert_non_null(dec);
	o = pj_parse((const char *)dec, len);
	free(dec);
	assert_non_null(o);
	return o;
}

static void
check_assertion(int rs256)
{
	const struct pbi_err	*err;
	const char		*aud = "https://login.microsoftonline.com/"
	    "contoso.onmicrosoft.com/oauth2/v2.0/token";
	const char		*client = "6a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";
	char			*jwt, *d1, *d2, *x5t;
	struct json_object	*hdr, *claims;
	unsigned char		 md[EVP_MAX_MD_SIZE], *sig;
	unsigned int		 mdlen;
	size_t			 siglen;
	EVP_MD_CTX		*m;
	EVP_PKEY_CTX		*pctx;
	time_t			 now = 1700000000;

	jwt = pbi_assertion(key, cert, rs256, client, aud, now, &err);
	assert_null(err);
	assert_non_null(jwt);
	d1 = strchr(jwt, '.');
	d2 = strchr(d1 + 1, '.');
	assert_non_null(d2);

	hdr = part(jwt, (size_t)(d1 - jwt));
	assert_string_equal(pj_str(hdr, "alg"), rs256 ? "RS256" : "PS256");
	assert_string_equal(pj_str(hdr, "typ"), "JWT");
	assert_true(X509_digest(cert, rs256 ? EVP_sha1() : EVP_sha256(), md,
	    &mdlen));
	x5t = pbi_b64url(md, mdlen);
	assert_string_equal(pj_str(hdr, rs256 ? "x5t" : "x5t#S256"), x5t);
	assert_null(pj_str(hdr, rs256 ? "x5t#S256" : "x5t"));
	free(x5t);

	claims = part(d1 + 1, (size_t)(d2 - d1 - 1));
	assert_string_equal(pj_str(claims, "aud"), aud);
	assert_string_equal(pj_str(claims, "iss"), client);
	assert_string_equal(pj_str(claims, "sub"), client);
	assert_true(pbi_is_guid(pj_str(claims, "jti")));
	assert_int_equal(pj_int(claims, "nbf", 0), now);
	assert_int_equal(pj_int(claims, "exp", 0), now + 600);

	/* OpenSSL verifies the signature over "header.claims". */
	sig = pbi_b64url_decode(d2 + 1, strlen(d2 + 1), &siglen);
	assert_non_null(sig);
	m = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(m, &pctx, EVP_sha256(), NULL,
	    X509_get0_pubkey(cert)), 1);
	if (!rs256) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32), 1);
	}
	assert_int_equal(EVP_DigestVerify(m, sig, siglen,
	    (unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
	/* And refuses it when one byte of the claims changes. */
	d1[3] ^= 1;
	EVP_MD_CTX_free(m);
	m = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(m, &pctx, EVP_sha256(), NULL,
	    X509_get0_pubkey(cert)), 1);
	if (!rs256) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
	}
	assert_int_not_equal(EVP_DigestVerify(m, sig, siglen,
	    (unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
	EVP_MD_CTX_free(m);
	free(sig);
	json_object_put(hdr);
	json_object_put(claims);
	free(jwt);
}

static void
assertion_ps256(void **state)
{
	(void)state;
	check_assertion(0);
}

static void
assertion_rs256(void **state)
{
	(void)state;
	check_assertion(1);
}

static void
assertions_differ_in_jti(void **state)
{
	const struct pbi_err	*err;
	char			*a, *b;

	(void)state;
	a = pbi_assertion(key, cert, 0, "c", "aud", 1, &err);
	b = pbi_assertion(key, cert, 0, "c", "aud", 1, &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
}

static void
cloud_endpoints(void **state)
{
	struct pbi_endpoints	 e;

	(void)state;
	unsetenv("PBICTL_LOGIN_URL");
	unsetenv("PBICTL_GRAPH_URL");
	unsetenv("PBICTL_POWERBI_URL");
	unsetenv("PBICTL_ARM_URL");
	unsetenv("PBICTL_COLLECTIONS_URL");
	unsetenv("AZURE_AUTHORITY_HOST");
	assert_null(pbi_endpoints_get("public", &e));
	assert_string_equal(e.login, "https://login.microsoftonline.com");
	assert_string_equal(e.powerbi_resource,
	    "https://analysis.windows.net/powerbi/api");
	assert_string_equal(e.arm, "https://management.azure.com");
	assert_string_equal(e.arm_resource, "https://management.azure.com");
	assert_string_equal(e.collections, "https://api.powerbi.com");
	assert_null(pbi_endpoints_get("usgov", &e));
	assert_string_equal(e.arm, "https://management.azure.com");
	assert_null(pbi_endpoints_get("usgovhigh", &e));
	assert_string_equal(e.login, "https://login.microsoftonline.us");
	assert_string_equal(e.graph, "https://graph.microsoft.us");
	assert_string_equal(e.powerbi, "https://api.high.powerbigov.us");
	assert_string_equal(e.arm, "https://management.usgovcloudapi.net");
	assert_null(pbi_endpoints_get("dod", &e));
	assert_string_equal(e.arm, "https://management.usgovcloudapi.net");
	assert_string_equal(e.graph, "https://dod-graph.microsoft.us");
	assert_string_equal(e.powerbi_resource,
	    "https://mil.analysis.usgovcloudapi.net/powerbi/api");
	assert_null(pbi_endpoints_get("china", &e));
	assert_string_equal(e.login, "https://login.chinacloudapi.cn");
	assert_string_equal(e.powerbi, "https://api.powerbi.cn");
	assert_string_equal(e.arm, "https://management.chinacloudapi.cn");
	assert_string_equal(e.collections, "https://api.powerbi.cn");
	assert_non_null(pbi_endpoints_get("germany", &e));

	setenv("PBICTL_POWERBI_URL", "http://127.0.0.1:9/", 1);
	setenv("AZURE_AUTHORITY_HOST", "https://login.example/", 1);
	assert_null(pbi_endpoints_get("usgov", &e));
	assert_string_equal(e.powerbi, "http://127.0.0.1:9");
	assert_string_equal(e.login, "https://login.example");
	/* The resource stays the cloud's: it is the tokens' audience. */
	assert_string_equal(e.powerbi_resource,
	    "https://analysis.usgovcloudapi.net/powerbi/api");
	/* Workspace Collections follow the Power BI URL, unless named. */
	assert_string_equal(e.collections, "http://127.0.0.1:9");
	setenv("PBICTL_ARM_URL", "http://localhost:7/", 1);
	setenv("PBICTL_COLLECTIONS_URL", "http://127.0.0.1:8", 1);
	assert_null(pbi_endpoints_get("china", &e));
	assert_string_equal(e.arm, "http://localhost:7");
	assert_string_equal(e.arm_resource,
	    "https://management.chinacloudapi.cn");
	assert_string_equal(e.collections, "http://127.0.0.1:8");
	assert_string_equal(e.powerbi, "http://127.0.0.1:9");
	setenv("PBICTL_ARM_URL", "http://management.example", 1);
	assert_non_null(pbi_endpoints_get("public", &e));
	unsetenv("PBICTL_ARM_URL");
	unsetenv("PBICTL_COLLECTIONS_URL");
	setenv("PBICTL_LOGIN_URL", "http://10.1.2.3/", 1);
	assert_non_null(pbi_endpoints_get("public", &e));
	unsetenv("PBICTL_LOGIN_URL");
	unsetenv("PBICTL_POWERBI_URL");
	unsetenv("AZURE_AUTHORITY_HOST");
}

static void
advice_and_claims(void **state)
{
	struct json_object	*c;
	char			*p, tok[256];

	(void)state;
	assert_non_null(strstr(pbi_aadsts_advice("AADSTS7000215"), "secret"));
	assert_non_null(strstr(pbi_aadsts_advice("AADSTS700024"), "clock"));
	assert_non_null(strstr(pbi_aadsts_advice("AADSTS50076"),
	    "multi-factor"));
	assert_null(pbi_aadsts_advice("AADSTS1"));
	p = pbi_b64url((const unsigned char *)"{\"oid\":\"x\",\"exp\":5}", 20);
	snprintf(tok, sizeof(tok), "eyJhbGciOiJSUzI1NiJ9.%s.c2ln", p);
	free(p);
	c = pbi_jwt_claims(tok);
	assert_non_null(c);
	assert_string_equal(pj_str(c, "oid"), "x");
	json_object_put(c);
	assert_null(pbi_jwt_claims("opaque-token"));
	assert_null(pbi_jwt_claims("a.!!.c"));
}

/*
 * The certificate's public part, checked against OpenSSL's own DER,
 * digest and base64.
 */
static void
certificate_public_part(void **state)
{
	const struct pbi_err	*err;
	struct pbi_cert		 c;
	unsigned char		*der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned char		 b64[8192], mdb64[64];
	unsigned int		 mdlen, i;
	char			 path[] = "/tmp/pbictl-cert-XXXXXX", hex[41];
	FILE			*fp;
	int			 fd, n;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	assert_int_equal(PEM_write_X509(fp, cert), 1);
	fclose(fp);
	assert_null(pbi_cert_public(path, &c));
	n = i2d_X509(cert, &der);
	assert_true(n > 0 && n * 4 / 3 + 8 < (int)sizeof(b64));
	EVP_EncodeBlock(b64, der, n);
	OPENSSL_free(der);
	assert_string_equal(c.der_b64, (char *)b64);
	assert_int_equal(X509_digest(cert, EVP_sha1(), md, &mdlen), 1);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + i * 2, 3, "%02X", md[i]);
	assert_string_equal(c.thumb, hex);
	EVP_EncodeBlock(mdb64, md, (int)mdlen);
	assert_string_equal(c.thumb_b64, (char *)mdb64);
	assert_string_equal(c.subject, "/CN=pbictl-test");
	pbi_cert_release(&c);
	assert_null(c.der_b64);
	pbi_cert_release(&c);

	/* Not a certificate; no file. */
	assert_non_null(fp = fopen(path, "w"));
	fputs("hello\n", fp);
	fclose(fp);
	err = pbi_cert_public(path, &c);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_INPUT);
	assert_null(c.der_b64);
	unlink(path);
	err = pbi_cert_public(path, &c);
	assert_non_null(err);
	assert_int_equal(err->code, PBI_ERR_ERRNO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(assertion_ps256),
		cmocka_unit_test(assertion_rs256),
		cmocka_unit_test(assertions_differ_in_jti),
		cmocka_unit_test(cloud_endpoints),
		cmocka_unit_test(advice_and_claims),
		cmocka_unit_test(certificate_public_part),
	};

	return cmocka_run_group_tests_name("auth", tests, make_cert, free_cert);
}
