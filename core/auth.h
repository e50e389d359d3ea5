/*
 * auth.h: tokens from Entra ID for Microsoft Graph and Power BI.
 *
 * One struct pbi_auth per process, shared by all jobs: it picks the
 * credential (client secret, certificate, master user, device code),
 * caches one token per API and renews it shortly before it expires or
 * when a service says it has.  Secrets come from the environment or from
 * files, never from argv, and are wiped when freed.
 */
#ifndef PBI_AUTH_H
#define PBI_AUTH_H

#include <stdio.h>
#include <time.h>

struct json_object;
struct pbi_err;
struct pbi_http;
struct pbi_auth;

/* The hosts of one cloud (api-facts 1.8), after the env overrides. */
struct pbi_endpoints {
	char	 cloud[16];
	char	 login[256];		/* https://login.microsoftonline.com */
	char	 graph[256];		/* https://graph.microsoft.com */
	char	 graph_resource[256];
	char	 powerbi[256];		/* https://api.powerbi.com */
	char	 powerbi_resource[256];	/* https://analysis.windows.net/... */
	char	 arm[256];		/* https://management.azure.com */
	char	 arm_resource[256];
	char	 collections[256];	/* the Power BI host (api-facts 4) */
};

/*
 * Fill e for cloud (public, usgov, usgovhigh, dod, china), then apply
 * AZURE_AUTHORITY_HOST and PBICTL_LOGIN_URL, PBICTL_GRAPH_URL,
 * PBICTL_POWERBI_URL, PBICTL_ARM_URL and PBICTL_COLLECTIONS_URL (which
 * defaults to the Power BI URL).  Refuses a URL that is neither https
 * nor loopback.  (cloud.c)
 */
const struct pbi_err	*pbi_endpoints_get(const char *cloud,
			    struct pbi_endpoints *e);

/*
 * The services pbictl calls.  Workspace Collections (api-facts 4.1) take
 * a collection's access key instead of a token: see pbi_svc_appkey.
 */
enum pbi_api {
	PBI_API_GRAPH,
	PBI_API_POWERBI,
	PBI_API_ARM,		/* Azure Resource Manager (api-facts 4.2) */
	PBI_API_COLLECTIONS,	/* Workspace Collections: AppKey, no token */
	PBI_API__MAX
};

enum pbi_authmethod {
	PBI_AUTH_AUTO,		/* the first the environment allows */
	PBI_AUTH_SECRET,
	PBI_AUTH_CERT,
	PBI_AUTH_PASSWORD,
	PBI_AUTH_DEVICE
};

struct pbi_authconf {
	const char		*tenant;	/* AZURE_TENANT_ID wins */
	const char		*client_id;	/* AZURE_CLIENT_ID wins */
	enum pbi_authmethod	 method;
	const char		*secret_file;	/* --client-secret-file */
	int			 rs256;		/* RS256 + x5t, not PS256 */
	FILE			*prompt;	/* device code message */
};

/* Name of a method for people and JSON: "client-secret", ... */
const char		*pbi_authmethod_name(enum pbi_authmethod);

/*
 * Read the credential the environment and conf name, check it (file
 * modes, certificate and key), and return a token source.  No network
 * call is made.  http is borrowed and must outlive *out.
 */
const struct pbi_err	*pbi_auth_new(const struct pbi_authconf *conf,
			    const struct pbi_endpoints *ep,
			    struct pbi_http *http, struct pbi_auth **out);
void			 pbi_auth_free(struct pbi_auth *);
enum pbi_authmethod	 pbi_auth_method(const struct pbi_auth *);

/*
 * A valid access token for api (Graph, Power BI or ARM, from the same
 * credential), copied into buf (wipe it after use).  Cached until two
 * minutes before it expires; *exp receives its expiry.
 */
const struct pbi_err	*pbi_auth_token(struct pbi_auth *, enum pbi_api,
			    char *buf, size_t len, time_t *exp);
/* The token the calls to one API use now, as pbi_auth_fresh says. */
struct pbi_tokinfo {
	time_t		 exp;		/* expiry, by this machine's clock */
	time_t		 got;		/* when fetched, by the same */
	time_t		 claim_iat;	/* its "iat" and "exp" claims, by the */
	time_t		 claim_exp;	/* issuer's clock; 0 if it is no JWT */
	unsigned	 gen;		/* changes with every token fetched */
};

/*
 * For a call whose outcome depends on how long the token lasts (an embed
 * token expires with the Entra token used, api-facts 3.7): make the
 * cached token of api one with at least min_s seconds left by this
 * machine's clock, and describe it in *ti.  A token with less is
 * replaced, unless a call like this one fetched it less than a minute
 * ago (a new one would last no longer).  With drop non-zero, the token
 * of that generation is replaced whatever this clock says is left of
 * it: the service counted less.  The next calls to api use the token *ti
 * describes (unless another thread replaces it meanwhile).
 */
const struct pbi_err	*pbi_auth_fresh(struct pbi_auth *, enum pbi_api,
			    long min_s, unsigned drop,
			    struct pbi_tokinfo *ti);
/*
 * The service refused token as expired or invalid: drop it from the cache
 * so that the next pbi_auth_token fetches a new one.
 */
void			 pbi_auth_expired(struct pbi_auth *, enum pbi_api,
			    const char *token);

/*
 * The claims of a JWT, decoded but not verified (for display only).
 * Returns a new reference or NULL if token is not a JWT.
 */
struct json_object	*pbi_jwt_claims(const char *token);

/*
 * What to do about an Entra error code ("AADSTS7000215"), or NULL.
 * Borrowed.
 */
const char		*pbi_aadsts_advice(const char *code);

/* The public part of an X.509 certificate. */
struct pbi_cert {
	char	*der_b64;	/* the DER, base64 (pbi_cert_release) */
	char	 thumb[41];	/* SHA-1 of the DER, upper-case hex */
	char	 thumb_b64[32];	/* the same 20 bytes, base64 */
	char	 subject[256];	/* "/CN=..." */
};

/*
 * Read the certificate in the PEM file path into *c (release its
 * contents with pbi_cert_release, which accepts a zeroed c).
 */
const struct pbi_err	*pbi_cert_public(const char *path,
			    struct pbi_cert *c);
void			 pbi_cert_release(struct pbi_cert *c);

/*
 * Read a secret from the file path: refused when group or others may
 * read it, one trailing newline dropped.  Returns a new string (wipe it
 * with pbi_wipe_free) or NULL with *err set.
 */
char			*pbi_secret_file(const char *path,
			    const struct pbi_err **err);
/* Wipe and free a secret string (NULL is fine). */
void			 pbi_wipe_free(char *);
/* Wipe every string inside obj, then put it (NULL is fine). */
void			 pbi_json_wipe_put(struct json_object *obj);

#endif /* PBI_AUTH_H */
