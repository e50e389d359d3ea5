/*
 * auth.c: Entra ID tokens: client secret, certificate assertion, master
 * user, device code; a per-process cache.  The clouds' hosts are in
 * cloud.c.
 */
#include "core.h"
#include "auth_int.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#define RENEW_BEFORE_S	120	/* renew a token this long before expiry */
#define FRESH_S		60	/* a token this young is as good as new */
#define SECRET_MAX	4096

struct tok {
	char		*token;		/* wiped and freed */
	time_t		 exp;		/* by this machine's clock */
	time_t		 got;		/* when fetched, by the same */
	time_t		 claim_iat;	/* its own claims, by the issuer's */
	time_t		 claim_exp;	/* clock; 0 if it is no JWT */
	unsigned	 gen;		/* of the fetch that brought it */
	long		 fresh_for;	/* the min_s pbi_auth_fresh fetched it
					   for; 0 if another call did */
};

struct pbi_auth {
	enum pbi_authmethod	 method;
	struct pbi_endpoints	 ep;
	struct pbi_http		*http;
	char			*tenant;
	char			*client_id;
	char			*secret;	/* client secret or password */
	char			*username;
	EVP_PKEY		*key;
	X509			*cert;
	int			 rs256;
	FILE			*prompt;
	char			*refresh;	/* from a user flow */
	struct tok		 tok[PBI_API__MAX];
	unsigned		 gen;		/* tokens fetched so far */
	pthread_mutex_t		 lock;
	char			 token_url[512];
};

const char *
pbi_authmethod_name(enum pbi_authmethod m)
{
	switch (m) {
	case PBI_AUTH_SECRET:
		return "client-secret";
	case PBI_AUTH_CERT:
		return "client-certificate";
	case PBI_AUTH_PASSWORD:
		return "master-user";
	case PBI_AUTH_DEVICE:
		return "device-code";
	default:
		return "auto";
	}
}

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* The last OpenSSL error as text, for a message. */
static const char *
ssl_why(void)
{
	static _Thread_local char	 buf[256];
	unsigned long			 e = ERR_get_error();

	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/*
 * Read a secret file: refuse one others can read, strip one trailing
 * newline.  Returns a new string (wipe_free) or NULL with *err set.
 */
char *
pbi_secret_file(const char *path, const struct pbi_err **err)
{
	struct stat	 sb;
	FILE		*fp;
	char		*buf;
	size_t		 n;

	*err = NULL;
	if ((fp = fopen(path, "re")) == NULL) {
		*err = pbi_err_errno("cannot open secret file '%s'", path);
		return NULL;
	}
	if (fstat(fileno(fp), &sb) == -1) {
		*err = pbi_err_errno("cannot stat secret file '%s'", path);
		fclose(fp);
		return NULL;
	}
	if ((sb.st_mode & 077) != 0) {
		*err = pbi_err(PBI_ERR_CONFIG, "refusing secret file '%s': "
		    "mode %04o lets group or others read it (chmod 600 '%s')", path,
		    (unsigned)(sb.st_mode & 07777), path);
		fclose(fp);
		return NULL;
	}
	if ((buf = calloc(1, SECRET_MAX + 1)) == NULL) {
		*err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		fclose(fp);
		return NULL;
	}
	n = fread(buf, 1, SECRET_MAX + 1, fp);
	fclose(fp);
	if (n > SECRET_MAX) {
		*err = pbi_err(PBI_ERR_CONFIG, "secret file '%s' is larger "
		    "than %d bytes", path, SECRET_MAX);
		wipe_free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (n == 0 || strlen(buf) != n) {
		*err = pbi_err(PBI_ERR_CONFIG, "secret file '%s' is empty or "
		    "not text", path);
		wipe_free(buf);
		return NULL;
	}
	return buf;
}

/*
 * Load a certificate and its private key: PEM with both, or PKCS#12 with
 * AZURE_CLIENT_CERTIFICATE_PASSWORD.
 */
static const struct pbi_err *
load_cert(struct pbi_auth *a, const char *path)
{
	const char	*pass = getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD");
	PKCS12		*p12 = NULL;
	struct stat	 sb;
	FILE		*fp;
	char		 head[4096];

	if ((fp = fopen(path, "re")) == NULL)
		return pbi_err_errno("cannot open certificate '%s'", path);
	/*
	 * PEM or PKCS#12, the key may be in clear (a PKCS#12 without a
	 * password): guard it, encrypted or not.
	 */
	if (fstat(fileno(fp), &sb) == -1 || (sb.st_mode & 077) != 0) {
		fclose(fp);
		return pbi_err(PBI_ERR_CONFIG, "refusing certificate '%s': it "
		    "holds a private key and mode %04o lets group or others "
		    "read it (chmod 600 '%s')", path,
		    (unsigned)(sb.st_mode & 07777), path);
	}
	/* PEM, perhaps after "Bag Attributes" lines, or DER PKCS#12. */
	head[fread(head, 1, sizeof(head) - 1, fp)] = '\0';
	rewind(fp);
	if (strstr(head, "-----BEGIN ") != NULL) {
		a->cert = PEM_read_X509(fp, NULL, NULL, NULL);
		rewind(fp);
		a->key = PEM_read_PrivateKey(fp, NULL, NULL,
		    (void *)(pass ? pass : ""));
	} else {
		if ((p12 = d2i_PKCS12_fp(fp, NULL)) == NULL ||
		    !PKCS12_parse(p12, pass ? pass : "", &a->key, &a->cert,
		    NULL)) {
			PKCS12_free(p12);
			fclose(fp);
			return pbi_err(PBI_ERR_CONFIG, "cannot read PKCS#12 "
			    "certificate '%s' (wrong "
			    "AZURE_CLIENT_CERTIFICATE_PASSWORD?): %s", path,
			    ssl_why());
		}
		PKCS12_free(p12);
	}
	fclose(fp);
	if (a->cert == NULL)
		return pbi_err(PBI_ERR_CONFIG, "no certificate in '%s'", path);
	if (a->key == NULL)
		return pbi_err(PBI_ERR_CONFIG, "no private key in '%s' (PEM "
		    "must hold the certificate and its key)", path);
	if (EVP_PKEY_base_id(a->key) != EVP_PKEY_RSA)
		return pbi_err(PBI_ERR_CONFIG, "the key in '%s' is not RSA: "
		    "Entra ID assertions are RS256 or PS256", path);
	if (X509_check_private_key(a->cert, a->key) != 1)
		return pbi_err(PBI_ERR_CONFIG, "the key in '%s' does not "
		    "match its certificate", path);
	return NULL;
}

static char *
envdup(const char *name)
{
	const char	*v = getenv(name);

	return v && *v ? strdup(v) : NULL;
}

const struct pbi_err *
pbi_auth_new(const struct pbi_authconf *conf, const struct pbi_endpoints *ep,
    struct pbi_http *http, struct pbi_auth **out)
{
	const struct pbi_err	*err = NULL;
	struct pbi_auth		*a;
	const char		*v, *certpath;
	enum pbi_authmethod	 m = conf->method;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&a->lock, NULL);
	a->ep = *ep;
	a->http = http;
	a->rs256 = conf->rs256;
	a->prompt = conf->prompt ? conf->prompt : stderr;
	v = getenv("AZURE_TENANT_ID");
	a->tenant = strdup(v && *v ? v : conf->tenant ? conf->tenant : "");
	v = getenv("AZURE_CLIENT_ID");
	a->client_id = strdup(v && *v ? v : conf->client_id ?
	    conf->client_id : "");
	if (a->tenant == NULL || a->client_id == NULL) {
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (a->tenant[0] == '\0' || a->client_id[0] == '\0') {
		err = pbi_err(PBI_ERR_CONFIG, "no tenant or client id: run "
		    "'pbictl init' or set AZURE_TENANT_ID and AZURE_CLIENT_ID");
		goto done;
	}
	if (strcasecmp(a->tenant, "common") == 0 ||
	    strcasecmp(a->tenant, "consumers") == 0) {
		/* api-facts 1: rejected for these flows. */
		err = pbi_err(PBI_ERR_CONFIG, "tenant '%s' cannot be used: "
		    "name the tenant's id or domain", a->tenant);
		goto done;
	}
	snprintf(a->token_url, sizeof(a->token_url),
	    "%s/%s/oauth2/v2.0/token", a->ep.login, a->tenant);
	certpath = getenv("AZURE_CLIENT_CERTIFICATE_PATH");
	if (m == PBI_AUTH_AUTO) {
		if (conf->secret_file != NULL ||
		    ((v = getenv("AZURE_CLIENT_SECRET")) && *v))
			m = PBI_AUTH_SECRET;
		else if (certpath != NULL && *certpath != '\0')
			m = PBI_AUTH_CERT;
		else if ((v = getenv("AZURE_USERNAME")) && *v)
			m = PBI_AUTH_PASSWORD;
		else {
			err = pbi_err(PBI_ERR_CONFIG, "no credential: set "
			    "AZURE_CLIENT_SECRET (or --client-secret-file), "
			    "AZURE_CLIENT_CERTIFICATE_PATH, or AZURE_USERNAME "
			    "and AZURE_PASSWORD, or use --device-code");
			goto done;
		}
	}
	a->method = m;
	switch (m) {
	case PBI_AUTH_SECRET:
		if (conf->secret_file != NULL)
			a->secret = pbi_secret_file(conf->secret_file, &err);
		else if ((a->secret = envdup("AZURE_CLIENT_SECRET")) == NULL)
			err = pbi_err(PBI_ERR_CONFIG, "AZURE_CLIENT_SECRET is "
			    "not set");
		break;
	case PBI_AUTH_CERT:
		if (certpath == NULL || *certpath == '\0')
			err = pbi_err(PBI_ERR_CONFIG,
			    "AZURE_CLIENT_CERTIFICATE_PATH is not set");
		else
			err = load_cert(a, certpath);
		break;
	case PBI_AUTH_PASSWORD:
		a->username = envdup("AZURE_USERNAME");
		a->secret = envdup("AZURE_PASSWORD");
		if (a->username == NULL || a->secret == NULL)
			err = pbi_err(PBI_ERR_CONFIG, "the master user needs "
			    "AZURE_USERNAME and AZURE_PASSWORD");
		break;
	default:
		break;
	}
done:
	if (err != NULL)
		pbi_auth_free(a);
	else
		*out = a;
	return err;
}

void
pbi_auth_free(struct pbi_auth *a)
{
	int	 i;

	if (a == NULL)
		return;
	for (i = 0; i < PBI_API__MAX; i++)
		wipe_free(a->tok[i].token);
	wipe_free(a->secret);
	wipe_free(a->refresh);
	free(a->username);
	free(a->tenant);
	free(a->client_id);
	EVP_PKEY_free(a->key);
	X509_free(a->cert);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

enum pbi_authmethod
pbi_auth_method(const struct pbi_auth *a)
{
	return a->method;
}

/* base64url of a JSON object's compact text (free(3)). */
static char *
b64_json(struct json_object *o)
{
	const char	*t = pj_text(o, 0);

	return pbi_b64url((const unsigned char *)t, strlen(t));
}

char *
pbi_assertion(EVP_PKEY *key, X509 *cert, int rs256, const char *client_id,
    const char *aud, time_t now, const struct pbi_err **err)
{
	struct json_object	*hdr = NULL, *claims = NULL;
	unsigned char		 md[EVP_MAX_MD_SIZE], rnd[16], *der = NULL;
	unsigned char		*sig = NULL;
	unsigned int		 mdlen;
	char			*h64 = NULL, *c64 = NULL, *s64 = NULL, *x5t;
	char			*input = NULL, *out = NULL, jti[40];
	EVP_MD_CTX		*mctx = NULL;
	EVP_PKEY_CTX		*pctx = NULL;
	size_t			 siglen, n;
	int			 derlen;

	*err = NULL;
	/* x5t: SHA-1 of the DER; x5t#S256: SHA-256 (api-facts 1.3). */
	if ((derlen = i2d_X509(cert, &der)) <= 0 ||
	    !EVP_Digest(der, (size_t)derlen, md, &mdlen,
	    rs256 ? EVP_sha1() : EVP_sha256(), NULL)) {
		*err = pbi_err(PBI_ERR_AUTH, "cannot hash the certificate: %s",
		    ssl_why());
		goto done;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		*err = pbi_err(PBI_ERR_AUTH, "no randomness: %s", ssl_why());
		goto done;
	}
	rnd[6] = (rnd[6] & 0x0f) | 0x40;
	rnd[8] = (rnd[8] & 0x3f) | 0x80;
	snprintf(jti, sizeof(jti), "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
	    rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10],
	    rnd[11], rnd[12], rnd[13], rnd[14], rnd[15]);
	x5t = pbi_b64url(md, mdlen);
	hdr = json_object_new_object();
	pj_add_str(hdr, "alg", rs256 ? "RS256" : "PS256");
	pj_add_str(hdr, "typ", "JWT");
	pj_add_str(hdr, rs256 ? "x5t" : "x5t#S256", x5t);
	free(x5t);
	claims = json_object_new_object();
	pj_add_str(claims, "aud", aud);
	pj_add_str(claims, "iss", client_id);
	pj_add_str(claims, "sub", client_id);
	pj_add_str(claims, "jti", jti);
	pj_add_int(claims, "nbf", now);
	pj_add_int(claims, "iat", now);
	pj_add_int(claims, "exp", now + 600);
	if ((h64 = b64_json(hdr)) == NULL || (c64 = b64_json(claims)) == NULL)
		goto nomem;
	n = strlen(h64) + strlen(c64) + 2;
	if ((input = malloc(n)) == NULL)
		goto nomem;
	snprintf(input, n, "%s.%s", h64, c64);

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		goto nomem;
	if (EVP_DigestSignInit(mctx, &pctx, EVP_sha256(), NULL, key) != 1 ||
	    (!rs256 && (EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
	    != 1)) ||
	    EVP_DigestSign(mctx, NULL, &siglen, (unsigned char *)input,
	    strlen(input)) != 1 || (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(mctx, sig, &siglen, (unsigned char *)input,
	    strlen(input)) != 1) {
		*err = pbi_err(PBI_ERR_AUTH, "cannot sign the client "
		    "assertion: %s", ssl_why());
		goto done;
	}
	if ((s64 = pbi_b64url(sig, siglen)) == NULL)
		goto nomem;
	n = strlen(input) + strlen(s64) + 2;
	if ((out = malloc(n)) == NULL)
		goto nomem;
	snprintf(out, n, "%s.%s", input, s64);
	goto done;
nomem:
	*err = pbi_err(PBI_ERR_NOMEM, "out of memory");
done:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	json_object_put(hdr);
	json_object_put(claims);
	free(h64);
	free(c64);
	free(s64);
	free(sig);
	free(input);
	return out;
}

/* Append k=urlencode(v)& to a growing form buffer. */
static int
form_add(char **buf, size_t *len, const char *k, const char *v)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 need = strlen(k) + strlen(v) * 3 + 3, o;
	char			*nb;
	const unsigned char	*p;

	if ((nb = realloc(*buf, *len + need + 1)) == NULL)
		return -1;
	*buf = nb;
	o = *len;
	if (o > 0)
		nb[o++] = '&';
	memcpy(nb + o, k, strlen(k));
	o += strlen(k);
	nb[o++] = '=';
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (isalnum(*p) || strchr("-._~", *p) != NULL)
			nb[o++] = (char)*p;
		else {
			nb[o++] = '%';
			nb[o++] = hex[*p >> 4];
			nb[o++] = hex[*p & 15];
		}
	}
	nb[o] = '\0';
	*len = o;
	return 0;
}

static const struct {
	const char	*code;
	const char	*advice;
} aadsts[] = {
	{ "AADSTS7000215", "the client secret is wrong: give the secret's "
	  "value (not its id) in AZURE_CLIENT_SECRET or the secret file" },
	{ "AADSTS7000222", "the client secret has expired: create a new one "
	  "for the app registration and use it" },
	{ "AADSTS7000218", "the app needs a credential: set a client secret "
	  "or a certificate" },
	{ "AADSTS7000229", "the app has no service principal in this tenant: "
	  "a tenant admin creates it with 'pbictl sp ensure' (signed in "
	  "with AZURE_USERNAME or --device-code)" },
	{ "AADSTS700016", "no application with this client id in the tenant: "
	  "check the client id and the tenant (pbictl init)" },
	{ "AADSTS90002", "the tenant does not exist: check the tenant id or "
	  "domain (pbictl init --tenant)" },
	{ "AADSTS65001", "consent is missing: a tenant admin must grant the "
	  "app its permissions (pbictl grant ensure)" },
	{ "AADSTS700024", "the client assertion is outside its time window: "
	  "this machine's clock is off; synchronise it (NTP)" },
	{ "AADSTS700027", "the assertion's signature was refused: upload "
	  "this certificate's public part to the app registration" },
	{ "AADSTS50048", "the assertion's subject must equal its issuer, the "
	  "client id" },
	{ "AADSTS50076", "multi-factor authentication is required: the "
	  "master-user password flow cannot do it; use a service principal "
	  "or --device-code" },
	{ "AADSTS50079", "the user must enrol in multi-factor authentication: "
	  "use a service principal or --device-code" },
	{ "AADSTS50126", "wrong user name or password (a federated account "
	  "cannot use the password flow: use --device-code)" },
	{ "AADSTS50034", "no such user in this tenant" },
	{ "AADSTS50053", "the account is locked: wait, or have an admin "
	  "unlock it" },
	{ "AADSTS50055", "the password has expired: change it" },
	{ "AADSTS50057", "the account is disabled" },
	{ "AADSTS70011", "an invalid scope was requested" },
	{ "AADSTS700025", "a public client must not send a secret: use the "
	  "password or device code flow without AZURE_CLIENT_SECRET" },
	{ "AADSTS9001023", "the authority 'common' cannot be used: name the "
	  "tenant" },
};

const char *
pbi_aadsts_advice(const char *code)
{
	size_t	 i;

	if (code == NULL)
		return NULL;
	for (i = 0; i < sizeof(aadsts) / sizeof(aadsts[0]); i++)
		if (strcmp(code, aadsts[i].code) == 0)
			return aadsts[i].advice;
	return NULL;
}

static const char *
api_name(enum pbi_api api)
{
	switch (api) {
	case PBI_API_GRAPH:
		return "Microsoft Graph";
	case PBI_API_ARM:
		return "Azure Resource Manager";
	case PBI_API_COLLECTIONS:
		return "Workspace Collections";
	default:
		return "Power BI";
	}
}

/* "{resource}/.default", and offline_access for a user flow. */
static void
scope_for(const struct pbi_auth *a, enum pbi_api api, char *buf, size_t len)
{
	const char	*res = api == PBI_API_GRAPH ? a->ep.graph_resource :
	    api == PBI_API_ARM ? a->ep.arm_resource :
	    a->ep.powerbi_resource;
	int		 user = a->method == PBI_AUTH_PASSWORD ||
	    a->method == PBI_AUTH_DEVICE;

	snprintf(buf, len, "%s/.default%s", res, user ? " offline_access" :
	    "");
}

/*
 * POST form to url; on success *out holds the JSON answer.  An Entra error
 * is raised with the advice for its AADSTS code.
 */
static const struct pbi_err *
post_form(struct pbi_auth *a, const char *url, const char *form,
    const char *what, struct json_object **out)
{
	const struct pbi_err	*err;
	struct pbi_err		*e;
	struct pbi_req		 req;
	struct pbi_resp		 resp;
	const char		*adv;

	*out = NULL;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.content_type = "application/x-www-form-urlencoded";
	req.body = form;
	req.body_len = strlen(form);
	/* Repeating a token request changes nothing, but for a used jti. */
	req.flags = PBI_REQ_NOFAIL | PBI_REQ_TOKEN |
	    (a->method == PBI_AUTH_CERT ? 0 : PBI_REQ_IDEMPOTENT);
	err = pbi_http_do(a->http, &req, &resp);
	if (err != NULL)
		err = pbi_err_ctx(err, "%s", what);
	else if (resp.status >= 500)
		err = pbi_err_ctx(pbi_http_error("POST /oauth2/v2.0/token",
		    &resp), "%s", what);
	if (err == NULL && (*out = pj_parse(resp.body, resp.body_len)) ==
	    NULL && resp.status < 400) {
		e = pbi_err_slot();
		e->code = PBI_ERR_PROTO;
		e->status = resp.status;
		snprintf(e->msg, sizeof(e->msg), "%s: the token endpoint "
		    "answered %zu bytes that are not JSON", what,
		    resp.body_len);
		pbi_strlcpy(e->request_id, resp.request_id,
		    sizeof(e->request_id));
		err = e;
	}
	/*
	 * Any other 4xx is Entra's refusal, or a proxy's: its error (or
	 * status and text), never "no access_token".  Device code polling
	 * goes on through authorization_pending and slow_down.
	 */
	if (err == NULL && resp.status >= 400 && (pj_str(*out, "error") ==
	    NULL || strcmp(pj_str(*out, "error"), "authorization_pending") !=
	    0) && (pj_str(*out, "error") == NULL ||
	    strcmp(pj_str(*out, "error"), "slow_down") != 0)) {
		e = (struct pbi_err *)pbi_http_error("POST /oauth2/v2.0/token",
		    &resp);
		e->code = PBI_ERR_AUTH;
		snprintf(e->msg, sizeof(e->msg), "%s", what);
		if ((adv = pbi_aadsts_advice(e->svc_detail)) != NULL)
			snprintf(e->hint, sizeof(e->hint), "%s", adv);
		err = e;
		json_object_put(*out);
		*out = NULL;
	}
	/* The answer holds tokens: nothing of it stays in memory. */
	pbi_resp_wipe(&resp);
	return err;
}

/* Take access_token and expires_in (number or string) from an answer. */
static const struct pbi_err *
take_token(struct pbi_auth *a, enum pbi_api api, struct json_object *o,
    const char *what)
{
	struct json_object	*v;
	const char		*t = pj_str(o, "access_token");
	const char		*r = pj_str(o, "refresh_token");
	int64_t			 ttl = 0;

	if (json_object_object_get_ex(o, "expires_in", &v))
		ttl = json_object_is_type(v, json_type_string) ?
		    strtoll(json_object_get_string(v), NULL, 10) :
		    json_object_get_int64(v);
	if (t == NULL || ttl <= 0)
		return pbi_err(PBI_ERR_PROTO, "%s: the answer has no "
		    "access_token or expires_in", what);
	wipe_free(a->tok[api].token);
	if ((a->tok[api].token = strdup(t)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	a->tok[api].got = time(NULL);
	a->tok[api].exp = a->tok[api].got + ttl;
	a->tok[api].gen = ++a->gen;
	a->tok[api].fresh_for = 0;
	/* Its claims, unverified: read for the issuer's clock only. */
	a->tok[api].claim_iat = a->tok[api].claim_exp = 0;
	if ((v = pbi_jwt_claims(t)) != NULL) {
		a->tok[api].claim_iat = (time_t)pj_int(v, "iat", 0);
		a->tok[api].claim_exp = (time_t)pj_int(v, "exp", 0);
		json_object_put(v);
	}
	if (r != NULL) {
		wipe_free(a->refresh);
		a->refresh = strdup(r);
	}
	return NULL;
}

/* The device code flow (api-facts 1.5): show the message, then poll. */
static const struct pbi_err *
device_code(struct pbi_auth *a, const char *scope, const char *what,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*dc = NULL, *o = NULL;
	char			*form = NULL, url[600];
	const char		*code, *msg, *e;
	size_t			 len = 0;
	int64_t			 interval, deadline;

	*out = NULL;
	snprintf(url, sizeof(url), "%s/%s/oauth2/v2.0/devicecode",
	    a->ep.login, a->tenant);
	if (form_add(&form, &len, "client_id", a->client_id) == -1 ||
	    form_add(&form, &len, "scope", scope) == -1) {
		free(form);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	err = post_form(a, url, form, what, &dc);
	free(form);
	form = NULL;
	len = 0;
	if (err != NULL)
		return err;
	code = pj_str(dc, "device_code");
	msg = pj_str(dc, "message");
	interval = pj_int(dc, "interval", 5);
	if (code == NULL || msg == NULL) {
		json_object_put(dc);
		return pbi_err(PBI_ERR_PROTO, "%s: the device code answer has "
		    "no device_code or message", what);
	}
	if (interval < 1)
		interval = 1;
	deadline = pbi_now_ms() + pj_int(dc, "expires_in", 900) * 1000;
	fprintf(a->prompt, "%s\n", msg);
	fflush(a->prompt);
	if (form_add(&form, &len, "grant_type",
	    "urn:ietf:params:oauth:grant-type:device_code") == -1 ||
	    form_add(&form, &len, "client_id", a->client_id) == -1 ||
	    form_add(&form, &len, "device_code", code) == -1) {
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (;;) {
		pbi_sleep_ms(interval * 1000);
		if ((err = post_form(a, a->token_url, form, what, &o)) != NULL)
			break;
		if ((e = pj_str(o, "error")) == NULL) {
			*out = o;
			o = NULL;
			break;
		}
		/* RFC 8628 3.5: slow_down adds five seconds. */
		if (strcmp(e, "slow_down") == 0)
			interval += 5;
		pbi_json_wipe_put(o);
		o = NULL;
		if (pbi_now_ms() > deadline) {
			err = pbi_err(PBI_ERR_AUTH, "%s: the device code "
			    "expired before the sign-in was completed", what);
			break;
		}
	}
done:
	pbi_json_wipe_put(o);
	pbi_json_wipe_put(dc);
	wipe_free(form);
	return err;
}

/* Fetch a new token for api with the configured credential. */
static const struct pbi_err *
fetch(struct pbi_auth *a, enum pbi_api api)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*o = NULL;
	char			*form = NULL, *assertion = NULL, scope[512];
	char			 what[256];
	size_t			 len = 0;
	int			 rc = 0;

	snprintf(what, sizeof(what), "cannot get a %s token for client %s "
	    "in tenant %s", api_name(api), a->client_id, a->tenant);
	scope_for(a, api, scope, sizeof(scope));
	rc |= form_add(&form, &len, "client_id", a->client_id);
	rc |= form_add(&form, &len, "scope", scope);
	if (a->refresh != NULL && (a->method == PBI_AUTH_DEVICE ||
	    a->method == PBI_AUTH_PASSWORD)) {
		/* One sign-in serves both APIs. */
		rc |= form_add(&form, &len, "grant_type", "refresh_token");
		rc |= form_add(&form, &len, "refresh_token", a->refresh);
	} else switch (a->method) {
	case PBI_AUTH_SECRET:
		rc |= form_add(&form, &len, "grant_type",
		    "client_credentials");
		rc |= form_add(&form, &len, "client_secret", a->secret);
		break;
	case PBI_AUTH_CERT:
		if ((assertion = pbi_assertion(a->key, a->cert, a->rs256,
		    a->client_id, a->token_url, time(NULL), &err)) == NULL)
			goto done;
		rc |= form_add(&form, &len, "grant_type",
		    "client_credentials");
		rc |= form_add(&form, &len, "client_assertion_type",
		    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		rc |= form_add(&form, &len, "client_assertion", assertion);
		break;
	case PBI_AUTH_PASSWORD:
		rc |= form_add(&form, &len, "grant_type", "password");
		rc |= form_add(&form, &len, "username", a->username);
		rc |= form_add(&form, &len, "password", a->secret);
		break;
	case PBI_AUTH_DEVICE:
		if ((err = device_code(a, scope, what, &o)) == NULL)
			err = take_token(a, api, o, what);
		goto done;
	default:
		err = pbi_err(PBI_ERR_CONFIG, "no authentication method");
		goto done;
	}
	if (rc != 0) {
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		goto done;
	}
	if ((err = post_form(a, a->token_url, form, what, &o)) == NULL)
		err = take_token(a, api, o, what);
done:
	pbi_json_wipe_put(o);
	wipe_free(form);
	wipe_free(assertion);
	return err;
}

const struct pbi_err *
pbi_auth_token(struct pbi_auth *a, enum pbi_api api, char *buf, size_t len,
    time_t *exp)
{
	const struct pbi_err	*err = NULL;

	if (api != PBI_API_GRAPH && api != PBI_API_POWERBI &&
	    api != PBI_API_ARM)
		return pbi_err(PBI_ERR_CONFIG, "%s calls take an access key, "
		    "not a token", api_name(api));
	pthread_mutex_lock(&a->lock);
	if (a->tok[api].token == NULL ||
	    a->tok[api].exp - RENEW_BEFORE_S <= time(NULL))
		err = fetch(a, api);
	if (err == NULL) {
		if (pbi_strlcpy(buf, a->tok[api].token, len) >= len)
			err = pbi_err(PBI_ERR_AUTH, "the %s token is longer "
			    "than %zu bytes", api_name(api), len);
		if (exp != NULL)
			*exp = a->tok[api].exp;
	}
	pthread_mutex_unlock(&a->lock);
	return err;
}

const struct pbi_err *
pbi_auth_fresh(struct pbi_auth *a, enum pbi_api api, long min_s,
    unsigned drop, struct pbi_tokinfo *ti)
{
	const struct pbi_err	*err = NULL;
	struct tok		*t;
	time_t			 now = time(NULL);

	memset(ti, 0, sizeof(*ti));
	if (api != PBI_API_GRAPH && api != PBI_API_POWERBI &&
	    api != PBI_API_ARM)
		return pbi_err(PBI_ERR_CONFIG, "%s calls take an access key, "
		    "not a token", api_name(api));
	pthread_mutex_lock(&a->lock);
	t = &a->tok[api];
	/*
	 * Fetch when there is no usable token, when the service showed it
	 * counts less of this one left than this clock does (drop), or
	 * when less than min_s is left of it, unless it was fetched a
	 * moment ago for as long a call: a new one would last no longer
	 * (and jobs asking at once fetch one token, not one each).
	 */
	if (t->token == NULL || t->exp - RENEW_BEFORE_S <= now ||
	    (drop != 0 && t->gen == drop) || (t->exp - now < min_s &&
	    !(now - t->got < FRESH_S && t->fresh_for >= min_s))) {
		if ((err = fetch(a, api)) == NULL)
			t->fresh_for = min_s;
	}
	if (err == NULL) {
		ti->exp = t->exp;
		ti->got = t->got;
		ti->claim_iat = t->claim_iat;
		ti->claim_exp = t->claim_exp;
		ti->gen = t->gen;
	}
	pthread_mutex_unlock(&a->lock);
	return err;
}

void
pbi_auth_expired(struct pbi_auth *a, enum pbi_api api, const char *token)
{
	if ((unsigned)api >= PBI_API__MAX)
		return;
	pthread_mutex_lock(&a->lock);
	if (a->tok[api].token != NULL && token != NULL &&
	    strcmp(a->tok[api].token, token) == 0) {
		wipe_free(a->tok[api].token);
		a->tok[api].token = NULL;
	}
	pthread_mutex_unlock(&a->lock);
}

struct json_object *
pbi_jwt_claims(const char *token)
{
	const char		*p, *q;
	unsigned char		*dec;
	struct json_object	*o;
	size_t			 n;

	if (token == NULL || (p = strchr(token, '.')) == NULL ||
	    (q = strchr(p + 1, '.')) == NULL)
		return NULL;
	if ((dec = pbi_b64url_decode(p + 1, (size_t)(q - p - 1), &n)) == NULL)
		return NULL;
	o = pj_parse((const char *)dec, n);
	free(dec);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

const struct pbi_err *
pbi_cert_public(const char *path, struct pbi_cert *c)
{
	unsigned char		*der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;
	X509			*x;
	FILE			*fp;
	int			 n;

	memset(c, 0, sizeof(*c));
	if ((fp = fopen(path, "re")) == NULL)
		return pbi_err_errno("cannot open certificate '%s'", path);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL)
		return pbi_err(PBI_ERR_INPUT, "'%s' holds no PEM certificate",
		    path);
	if ((n = i2d_X509(x, &der)) <= 0 ||
	    !X509_digest(x, EVP_sha1(), md, &mdlen) || mdlen != 20 ||
	    (c->der_b64 = malloc((size_t)n / 3 * 4 + 8)) == NULL) {
		OPENSSL_free(der);
		X509_free(x);
		return pbi_err(PBI_ERR_INPUT, "cannot read certificate '%s': "
		    "%s", path, ssl_why());
	}
	EVP_EncodeBlock((unsigned char *)c->der_b64, der, n);
	for (i = 0; i < mdlen; i++)
		snprintf(c->thumb + i * 2, 3, "%02X", md[i]);
	EVP_EncodeBlock((unsigned char *)c->thumb_b64, md, (int)mdlen);
	X509_NAME_oneline(X509_get_subject_name(x), c->subject,
	    sizeof(c->subject));
	OPENSSL_free(der);
	X509_free(x);
	return NULL;
}

void
pbi_cert_release(struct pbi_cert *c)
{
	if (c == NULL)
		return;
	free(c->der_b64);
	c->der_b64 = NULL;
}

void
pbi_wipe_free(char *s)
{
	wipe_free(s);
}

static void
wipe_walk(struct json_object *o)
{
	size_t	 i;

	if (json_object_is_type(o, json_type_string)) {
		OPENSSL_cleanse((char *)json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
	} else if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			wipe_walk(json_object_array_get_idx(o, i));
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			wipe_walk(v);
		}
	}
}

void
pbi_json_wipe_put(struct json_object *o)
{
	if (o == NULL)
		return;
	wipe_walk(o);
	json_object_put(o);
}
