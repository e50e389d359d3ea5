/*
 * jwt.c: the token signing key, JWT signing and verification (RS256,
 * PS256, and HS256 for Workspace Collections app tokens), X.509
 * thumbprints and SHA-256, with OpenSSL EVP.
 */
#include "sim/sim.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

void
sha256_hex(const char *s, char out[65])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	int		 i;

	SHA256((const unsigned char *)s, strlen(s), md);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
set_kid(void)
{
	unsigned char	*der = NULL;
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	int		 n;
	char		*k;

	n = i2d_PUBKEY(g.key, &der);
	if (n <= 0)
		return;
	SHA256(der, (size_t)n, md);
	OPENSSL_free(der);
	k = b64url_enc(md, 20);
	snprintf(g.kid, sizeof(g.kid), "%s", k);
	free(k);
}

/* Generate a fresh RSA-2048 signing key.  Returns 0 on success. */
int
jwt_keygen(void)
{
	EVP_PKEY	*k;

	if ((k = EVP_RSA_gen(2048)) == NULL)
		return -1;
	EVP_PKEY_free(g.key);
	g.key = k;
	set_kid();
	return 0;
}

/* Load the signing key from PEM.  Returns 0 on success. */
int
jwt_key_load(const char *pem)
{
	BIO		*b;
	EVP_PKEY	*k;

	if ((b = BIO_new_mem_buf(pem, -1)) == NULL)
		return -1;
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k == NULL)
		return -1;
	EVP_PKEY_free(g.key);
	g.key = k;
	set_kid();
	return 0;
}

/* The signing key as PKCS#8 PEM; free with free(3). */
char *
jwt_key_pem(void)
{
	BIO	*b;
	char	*p, *s = NULL;
	long	 n;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(b, g.key, NULL, NULL, 0, NULL, NULL)) {
		n = BIO_get_mem_data(b, &p);
		if ((s = malloc((size_t)n + 1)) != NULL) {
			memcpy(s, p, (size_t)n);
			s[n] = '\0';
		}
	}
	BIO_free(b);
	return s;
}

/*
 * Sign claims as an RS256 JWT with the pbisim key.  Returns the token;
 * free with free(3).
 */
char *
jwt_sign(struct json_object *claims)
{
	struct json_object	*hdr = NULL;
	struct buf		 in = { 0 };
	EVP_MD_CTX		*ctx = NULL;
	unsigned char		 sig[1024];
	size_t			 siglen = sizeof(sig);
	char			*h = NULL, *c = NULL, *s = NULL, *tok = NULL;
	const char		*t;

	hdr = json_object_new_object();
	pj_add_str(hdr, "typ", "JWT");
	pj_add_str(hdr, "alg", "RS256");
	pj_add_str(hdr, "x5t", g.kid);
	pj_add_str(hdr, "kid", g.kid);
	t = pj_text(hdr, 0);
	h = b64url_enc(t, strlen(t));
	t = pj_text(claims, 0);
	c = b64url_enc(t, strlen(t));
	buf_printf(&in, "%s.%s", h, c);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, g.key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)in.p,
	    in.len) != 1)
		goto done;
	s = b64url_enc(sig, siglen);
	buf_printf(&in, ".%s", s);
	tok = in.p;
	in.p = NULL;
done:
	EVP_MD_CTX_free(ctx);
	json_object_put(hdr);
	buf_release(&in);
	free(h);
	free(c);
	free(s);
	return tok;
}

/*
 * Decode header and claims of a compact JWT (not verified).  Returns 0
 * and two new references, or -1 if malformed.
 */
int
jwt_split(const char *tok, struct json_object **hdr, struct json_object **cl)
{
	const char	*d1, *d2;
	unsigned char	*a = NULL, *b = NULL;
	size_t		 al, bl;
	int		 rc = -1;

	*hdr = *cl = NULL;
	if ((d1 = strchr(tok, '.')) == NULL || (d2 = strchr(d1 + 1, '.')) ==
	    NULL || strchr(d2 + 1, '.') != NULL)
		return -1;
	if ((a = b64_dec(tok, (size_t)(d1 - tok), &al)) == NULL ||
	    (b = b64_dec(d1 + 1, (size_t)(d2 - d1 - 1), &bl)) == NULL)
		goto done;
	*hdr = pj_parse((char *)a, al);
	*cl = pj_parse((char *)b, bl);
	if (*hdr == NULL || *cl == NULL ||
	    !json_object_is_type(*hdr, json_type_object) ||
	    !json_object_is_type(*cl, json_type_object)) {
		json_object_put(*hdr);
		json_object_put(*cl);
		*hdr = *cl = NULL;
		goto done;
	}
	rc = 0;
done:
	free(a);
	free(b);
	return rc;
}

/*
 * Verify the signature of a compact JWT with pk; alg is "RS256" (PKCS#1
 * v1.5) or "PS256" (PSS, any salt length).  Returns 1 if valid.
 */
int
jwt_verify_sig(const char *tok, EVP_PKEY *pk, const char *alg)
{
	const char	*d2;
	unsigned char	*sig = NULL;
	size_t		 sl;
	EVP_MD_CTX	*ctx = NULL;
	EVP_PKEY_CTX	*pctx = NULL;
	int		 ok = 0;

	if (pk == NULL || alg == NULL || (d2 = strrchr(tok, '.')) == NULL)
		return 0;
	if ((sig = b64_dec(d2 + 1, strlen(d2 + 1), &sl)) == NULL)
		return 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, pk) != 1)
		goto done;
	if (strcmp(alg, "PS256") == 0) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_AUTO) != 1)
			goto done;
	} else if (strcmp(alg, "RS256") != 0)
		goto done;
	ok = EVP_DigestVerify(ctx, sig, sl, (const unsigned char *)tok,
	    (size_t)(d2 - tok)) == 1;
done:
	EVP_MD_CTX_free(ctx);
	free(sig);
	return ok;
}

/*
 * Verify a token pbisim issued.  Returns 0 and the claims (new reference)
 * if the signature is ours, -1 otherwise.  Expiry is the caller's job.
 */
int
jwt_verify_own(const char *tok, struct json_object **claims)
{
	struct json_object	*hdr = NULL;

	*claims = NULL;
	if (jwt_split(tok, &hdr, claims) != 0)
		return -1;
	if (!sim_streq_ci(pj_str(hdr, "alg"), "RS256") ||
	    !jwt_verify_sig(tok, g.key, "RS256")) {
		json_object_put(hdr);
		json_object_put(*claims);
		*claims = NULL;
		return -1;
	}
	json_object_put(hdr);
	return 0;
}

static char *
bn_b64url(const char *name)
{
	BIGNUM		*bn = NULL;
	unsigned char	*p;
	char		*s = NULL;
	int		 n;

	if (!EVP_PKEY_get_bn_param(g.key, name, &bn))
		return NULL;
	n = BN_num_bytes(bn);
	if ((p = malloc((size_t)n + 1)) != NULL) {
		BN_bn2bin(bn, p);
		s = b64url_enc(p, (size_t)n);
		free(p);
	}
	BN_free(bn);
	return s;
}

/* The JWKS document for the signing key (new reference). */
struct json_object *
jwt_jwks(void)
{
	struct json_object	*o, *keys, *k;
	char			*n, *e;

	n = bn_b64url(OSSL_PKEY_PARAM_RSA_N);
	e = bn_b64url(OSSL_PKEY_PARAM_RSA_E);
	k = json_object_new_object();
	pj_add_str(k, "kty", "RSA");
	pj_add_str(k, "use", "sig");
	pj_add_str(k, "kid", g.kid);
	pj_add_str(k, "x5t", g.kid);
	pj_add_str(k, "n", n);
	pj_add_str(k, "e", e);
	pj_add_str(k, "issuer", "https://sts.windows.net/{tenantid}/");
	keys = json_object_new_array();
	json_object_array_add(keys, k);
	o = json_object_new_object();
	pj_add(o, "keys", keys);
	free(n);
	free(e);
	return o;
}

static X509 *
x509_from(const char *s)
{
	BIO			*b;
	X509			*x = NULL;
	unsigned char		*der;
	const unsigned char	*dp;
	size_t			 dl;

	if (strstr(s, "-----BEGIN") != NULL) {
		if ((b = BIO_new_mem_buf(s, -1)) == NULL)
			return NULL;
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
		return x;
	}
	if ((der = b64_dec(s, strlen(s), &dl)) == NULL)
		return NULL;
	dp = der;
	x = d2i_X509(NULL, &dp, (long)dl);
	free(der);
	return x;
}

/*
 * Parse a certificate given as PEM or base64 DER.  Returns 0 and fills
 * the base64url SHA-1 and SHA-256 thumbprints, the base64 DER and the
 * upper-case hex SHA-1 (each free with free(3)); -1 if unparsable.
 */
int
cert_parse(const char *s, char **x5t, char **x5ts, char **derb64,
    char **hex)
{
	X509		*x;
	unsigned char	*der = NULL;
	unsigned char	 m1[SHA_DIGEST_LENGTH], m2[SHA256_DIGEST_LENGTH];
	int		 n, i;

	if ((x = x509_from(s)) == NULL)
		return -1;
	n = i2d_X509(x, &der);
	X509_free(x);
	if (n <= 0)
		return -1;
	SHA1(der, (size_t)n, m1);
	SHA256(der, (size_t)n, m2);
	*x5t = b64url_enc(m1, sizeof(m1));
	*x5ts = b64url_enc(m2, sizeof(m2));
	*derb64 = b64_enc(der, (size_t)n);
	if ((*hex = malloc(2 * SHA_DIGEST_LENGTH + 1)) == NULL)
		abort();
	for (i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(*hex + 2 * i, 3, "%02X", m1[i]);
	OPENSSL_free(der);
	return 0;
}

/* Public key of a base64 DER certificate (free with EVP_PKEY_free). */
EVP_PKEY *
cert_pubkey(const char *derb64)
{
	X509		*x;
	EVP_PKEY	*k;

	if (derb64 == NULL || (x = x509_from(derb64)) == NULL)
		return NULL;
	k = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

/*
 * Verify an HS256 JWT with the UTF-8 bytes of key as the HMAC key
 * (api-facts 4.3).  Returns 1 if the signature matches.
 */
int
jwt_verify_hs256(const char *tok, const char *key)
{
	const char	*d2;
	unsigned char	 mac[EVP_MAX_MD_SIZE], *sig = NULL;
	unsigned int	 ml = 0;
	size_t		 sl;
	int		 ok;

	if ((d2 = strrchr(tok, '.')) == NULL ||
	    (sig = b64_dec(d2 + 1, strlen(d2 + 1), &sl)) == NULL)
		return 0;
	if (HMAC(EVP_sha256(), key, (int)strlen(key),
	    (const unsigned char *)tok, (size_t)(d2 - tok), mac, &ml) ==
	    NULL) {
		free(sig);
		return 0;
	}
	ok = sl == ml && CRYPTO_memcmp(sig, mac, ml) == 0;
	free(sig);
	return ok;
}
