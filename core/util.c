/*
 * util.c: small pure helpers.
 */
#include "core.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

int64_t
pbi_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pbi_sleep_ms(int64_t ms)
{
	struct timespec	 ts, rem;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
}

const char *
pbi_iso8601(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		pbi_strlcpy(buf, "", len);
	return buf;
}

int64_t
pbi_iso8601_ms(const char *s)
{
	struct tm	 tm;
	int		 y, mo, d, h, mi, sec, zh, zm, n = 0;
	int64_t		 ms = 0, scale = 100, off = 0;
	time_t		 t;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d,
	    &h, &mi, &sec, &n) != 6 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60 || y < 1970)
		return -1;
	s += n;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			ms += (*s - '0') * scale;
	if ((*s == '+' || *s == '-') && sscanf(s + 1, "%2d:%2d%n", &zh, &zm,
	    &n) == 2 && s[1 + n] == '\0' && zh < 24 && zm < 60)
		off = (*s == '+' ? 1 : -1) * (zh * 3600 + zm * 60);
	else if (*s != '\0' && strcmp(s, "Z") != 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	return ((int64_t)t - off) * 1000 + ms;
}

long
pbi_retry_after(const char *v, time_t now)
{
	const char	*p;
	long		 n = 0;
	time_t		 t;

	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '\0')
		return -1;
	if (isdigit((unsigned char)*v)) {
		for (p = v; isdigit((unsigned char)*p); p++) {
			if (n > 100000000L)
				return -1;
			n = n * 10 + (*p - '0');
		}
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		return *p == '\0' ? n : -1;
	}
	/* An HTTP date: IMF-fixdate, RFC 850 or asctime (RFC 9110 5.6.7). */
	if (!isalpha((unsigned char)*v) || (t = curl_getdate(v, NULL)) == -1)
		return -1;
	return t > now ? (long)(t - now) : 0;
}

int
pbi_secret_name(const char *name)
{
	static const char *const exact[] = {
		"access_token", "refresh_token", "id_token", "token",
		"client_assertion", "assertion", "device_code",
		"key", "key1", "key2", "accessKey", "accessKeys", "appKey",
		"identityBlob", "connectionString", "credentials",
		"sig", "Url", "fileUrl", NULL
	};
	static const char *const part[] = {
		"secret", "password", "credential", "privatekey", NULL
	};
	char	 low[128];
	size_t	 i;

	for (i = 0; exact[i] != NULL; i++)
		if (strcasecmp(name, exact[i]) == 0)
			return 1;
	for (i = 0; i + 1 < sizeof(low) && name[i] != '\0'; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	for (i = 0; part[i] != NULL; i++)
		if (strstr(low, part[i]) != NULL)
			return 1;
	return 0;
}

/* Replace the values of secret members in place, at any depth. */
static void
redact_walk(struct json_object *o)
{
	struct json_object	*v;
	size_t			 i, n;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			redact_walk(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val) {
		v = val;
		if (pbi_secret_name(key) && v != NULL) {
			json_object_object_add(o, key,
			    json_object_new_string("[REDACTED]"));
			continue;
		}
		redact_walk(v);
	}
}

char *
pbi_redact_json(const char *body, size_t len)
{
	struct json_object	*o;
	char			*s = NULL;
	char			 note[64];

	if ((o = pj_parse(body, len)) == NULL) {
		snprintf(note, sizeof(note), "[%zu bytes, not JSON]", len);
		return strdup(note);
	}
	redact_walk(o);
	s = strdup(pj_text(o, 0));
	json_object_put(o);
	return s;
}

/* Redact name=value pairs separated by sep in s[0..len). */
static char *
redact_pairs(const char *s, size_t len, char sep)
{
	char		*out, *o, name[128];
	const char	*p = s, *end = s + len, *eq, *amp;
	size_t		 n;

	size_t	 pairs = 1, k;

	/* Each pair may grow by "[REDACTED]" less an empty value. */
	for (k = 0; k < len; k++)
		pairs += s[k] == sep;
	if ((out = malloc(len + pairs * 10 + 1)) == NULL)
		return NULL;
	o = out;
	while (p < end) {
		amp = memchr(p, sep, (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		n = eq ? (size_t)(eq - p) : 0;
		if (eq != NULL && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
		} else
			name[0] = '\0';
		if (name[0] != '\0' && pbi_secret_name(name)) {
			memcpy(o, p, n + 1);
			o += n + 1;
			memcpy(o, "[REDACTED]", 10);
			o += 10;
		} else {
			memcpy(o, p, (size_t)(amp - p));
			o += amp - p;
		}
		if (amp < end)
			*o++ = sep;
		p = amp + 1;
	}
	*o = '\0';
	return out;
}

char *
pbi_redact_form(const char *body, size_t len)
{
	return redact_pairs(body, len, '&');
}

char *
pbi_redact_url(const char *url)
{
	const char	*q;
	char		*tail, *out;
	size_t		 n, tn;

	if ((q = strchr(url, '?')) == NULL)
		return strdup(url);
	n = (size_t)(q - url) + 1;
	if ((tail = redact_pairs(q + 1, strlen(q + 1), '&')) == NULL)
		return NULL;
	tn = strlen(tail);
	if ((out = malloc(n + tn + 1)) != NULL) {
		memcpy(out, url, n);
		memcpy(out + n, tail, tn + 1);
	}
	free(tail);
	return out;
}

static const char b64url_tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
pbi_b64url(const unsigned char *buf, size_t len)
{
	char	*out, *o;
	size_t	 i;
	uint32_t v;

	if ((out = malloc(len / 3 * 4 + 5)) == NULL)
		return NULL;
	o = out;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)buf[i] << 16 | (uint32_t)buf[i + 1] << 8 |
		    buf[i + 2];
		*o++ = b64url_tab[v >> 18 & 63];
		*o++ = b64url_tab[v >> 12 & 63];
		*o++ = b64url_tab[v >> 6 & 63];
		*o++ = b64url_tab[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)buf[i] << 16;
		*o++ = b64url_tab[v >> 18 & 63];
		*o++ = b64url_tab[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)buf[i] << 16 | (uint32_t)buf[i + 1] << 8;
		*o++ = b64url_tab[v >> 18 & 63];
		*o++ = b64url_tab[v >> 12 & 63];
		*o++ = b64url_tab[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

unsigned char *
pbi_b64url_decode(const char *s, size_t slen, size_t *outlen)
{
	unsigned char	*out;
	const char	*p;
	uint32_t	 acc = 0;
	size_t		 n = 0, bits = 0, i;
	int		 c;

	while (slen > 0 && s[slen - 1] == '=')
		slen--;
	if (slen % 4 == 1)
		return NULL;
	if ((out = malloc(slen * 3 / 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i < slen; i++) {
		c = (unsigned char)s[i];
		if (c == '+')
			c = '-';
		else if (c == '/')
			c = '_';
		if (c == '\0' || (p = strchr(b64url_tab, c)) == NULL) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)(p - b64url_tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

int
pbi_is_guid(const char *s)
{
	static const int	 dash[] = { 8, 13, 18, 23 };
	size_t			 i, d = 0;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (d < 4 && (int)i == dash[d]) {
			if (s[i] != '-')
				return 0;
			d++;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

int
pbi_url_allowed(const char *url)
{
	const char	*h, *e;
	char		 host[256];
	struct in_addr	 a;
	size_t		 n;

	if (strncasecmp(url, "https://", 8) == 0)
		return url[8] != '\0' && url[8] != '/';
	if (strncasecmp(url, "http://", 7) != 0)
		return 0;
	h = url + 7;
	if (*h == '[') {
		e = strchr(h, ']');
		return e != NULL && (size_t)(e - h) == 4 &&
		    strncmp(h, "[::1]", 5) == 0;
	}
	n = strcspn(h, ":/?#");
	if (n == 0 || n >= sizeof(host) || memchr(h, '@', n) != NULL)
		return 0;
	/* A port, if named, is a number: "http://127.0.0.1:" is not. */
	if (h[n] == ':' && (strspn(h + n + 1, "0123456789") == 0 ||
	    strchr("/?#", h[n + 1 + strspn(h + n + 1, "0123456789")]) == NULL))
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a) == 1)
		return (ntohl(a.s_addr) >> 24) == 127;
	return 0;
}

int
pbi_same_origin(const char *a, const char *b)
{
	const char	*pa = strstr(a, "://"), *pb = strstr(b, "://");
	size_t		 na, nb;

	if (pa == NULL || pb == NULL)
		return 0;
	na = (size_t)(pa - a) + 3 + strcspn(pa + 3, "/?#");
	nb = (size_t)(pb - b) + 3 + strcspn(pb + 3, "/?#");
	return na == nb && strncasecmp(a, b, na) == 0;
}

size_t
pbi_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	 n = strlen(src);

	if (size > 0) {
		if (n >= size) {
			memcpy(dst, src, size - 1);
			dst[size - 1] = '\0';
		} else
			memcpy(dst, src, n + 1);
	}
	return n;
}

char *
pbi_urlenc(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *o;

	if ((out = malloc(strlen(s) * 3 + 1)) == NULL)
		return NULL;
	for (o = out, p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || strchr("-._~", *p) != NULL)
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

char *
pbi_odata_eq(const char *name, const char *value)
{
	size_t	 n = strlen(name) + strlen(value) * 2 + 8, i, o;
	char	*q, *enc;

	if ((q = malloc(n)) == NULL)
		return NULL;
	o = (size_t)snprintf(q, n, "%s eq '", name);
	for (i = 0; value[i] != '\0'; i++) {
		if (value[i] == '\'')
			q[o++] = '\'';
		q[o++] = value[i];
	}
	q[o++] = '\'';
	q[o] = '\0';
	enc = pbi_urlenc(q);
	free(q);
	return enc;
}

void
pbi_random_hex(char *buf, size_t nbytes)
{
	unsigned char	 r[64];
	size_t		 i;

	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	if (RAND_bytes(r, (int)nbytes) != 1)
		for (i = 0; i < nbytes; i++)
			r[i] = (unsigned char)(pbi_now_ms() >> (i % 8));
	for (i = 0; i < nbytes; i++)
		snprintf(buf + i * 2, 3, "%02x", r[i]);
}

const struct pbi_err *
pbi_map_file(const char *path, size_t max, const unsigned char **map,
    size_t *len, char hex[65])
{
	struct stat	 sb;
	void		*m;
	int		 fd;

	*map = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for its writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return pbi_err_errno("cannot open '%s'", path);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return pbi_err(PBI_ERR_INPUT, "'%s' is not a regular file",
		    path);
	}
	if (sb.st_size == 0 || (uint64_t)sb.st_size > max) {
		close(fd);
		return pbi_err(PBI_ERR_INPUT, "'%s' is %s", path, sb.st_size ?
		    "too large" : "empty");
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return pbi_err_errno("cannot map '%s'", path);
	if (hex != NULL && pbi_sha256_hex(m, (size_t)sb.st_size, hex)) {
		munmap(m, (size_t)sb.st_size);
		return pbi_err(PBI_ERR_INPUT, "cannot hash '%s'", path);
	}
	*map = m;
	*len = (size_t)sb.st_size;
	return NULL;
}

int
pbi_utf8_ok(const char *s, size_t n, size_t *bad)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, k, len;
	uint32_t		 cp, min;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			len = 2;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			len = 3;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			len = 4;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			goto fail;
		if (n - i < len)
			goto fail;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto fail;
		i += len;
	}
	return 1;
fail:
	if (bad != NULL)
		*bad = i;
	return 0;
}

void
pbi_clean_text(char *s)
{
	unsigned char	*r = (unsigned char *)s, *w = r;

	for (; *r != '\0'; r++) {
		if (*r < 0x20 || *r == 0x7f)
			*w++ = '?';
		else if (*r == 0xc2 && r[1] >= 0x80 && r[1] <= 0x9f) {
			*w++ = '?';
			r++;
		} else
			*w++ = *r;
	}
	*w = '\0';
}

const struct pbi_err *
pbi_sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen, i;

	if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL))
		return pbi_err(PBI_ERR_INPUT, "cannot compute a SHA-256");
	for (i = 0; i < mdlen; i++)
		snprintf(hex + i * 2, 3, "%02x", md[i]);
	return NULL;
}

void
pbi_unmap_file(const unsigned char *map, size_t len)
{
	if (map != NULL)
		munmap((void *)map, len);
}

void
pbi_wipe(void *p, size_t n)
{
	if (p != NULL)
		OPENSSL_cleanse(p, n);
}
