/*
 * auth_int.h: the client assertion, for core/auth.c and its tests.
 */
#ifndef PBI_AUTH_INT_H
#define PBI_AUTH_INT_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * A signed JWT client assertion (api-facts 1.3): header PS256 with
 * x5t#S256, or RS256 with x5t; claims aud (the token URL), iss = sub =
 * client_id, a fresh jti, nbf = now, exp = now + 600, iat.  Returns a new
 * string (free with free(3)) or NULL with the error raised.
 */
char	*pbi_assertion(EVP_PKEY *key, X509 *cert, int rs256,
	    const char *client_id, const char *aud, time_t now,
	    const struct pbi_err **err);

#endif /* PBI_AUTH_INT_H */
