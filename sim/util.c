/*
 * util.c: pbisim's pure utilities: buffers, base64, dates, query and
 * form parsing, request headers and responses, JSON lookups, multipart
 * and a minimal zip reader.  Nothing here reads the emulator's state.
 */
#include "sim/sim.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* memmem(3), which needs _GNU_SOURCE. */
const char *
sim_memmem(const char *h, size_t hn, const char *n, size_t nn)
{
	size_t	 i;

	if (nn == 0)
		return h;
	for (i = 0; i + nn <= hn; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nn) == 0)
			return h + i;
	return NULL;
}

/* strcasestr(3), which needs _GNU_SOURCE. */
const char *
sim_strcasestr(const char *h, const char *n)
{
	size_t	 nn = strlen(n);

	for (; *h != '\0'; h++)
		if (strncasecmp(h, n, nn) == 0)
			return h;
	return nn == 0 ? h : NULL;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	size_t	 ncap;
	char	*np;

	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			abort();
		b->p = np;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 tmp[1024];
	int	 n;
	char	*big = NULL;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		buf_add(b, tmp, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL)
		abort();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_add(b, big, (size_t)n);
	free(big);
}

void
buf_release(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static char *
b64_any(const void *p, size_t n, const char *alpha, int pad)
{
	const unsigned char	*s = p;
	char			*o;
	size_t			 i, j = 0;
	uint32_t		 v;

	if ((o = malloc(n / 3 * 4 + 8)) == NULL)
		abort();
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		o[j++] = alpha[v >> 18 & 63];
		o[j++] = alpha[v >> 12 & 63];
		o[j++] = alpha[v >> 6 & 63];
		o[j++] = alpha[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)s[i] << 16;
		o[j++] = alpha[v >> 18 & 63];
		o[j++] = alpha[v >> 12 & 63];
		if (pad) {
			o[j++] = '=';
			o[j++] = '=';
		}
	} else if (n - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		o[j++] = alpha[v >> 18 & 63];
		o[j++] = alpha[v >> 12 & 63];
		o[j++] = alpha[v >> 6 & 63];
		if (pad)
			o[j++] = '=';
	}
	o[j] = '\0';
	return o;
}

/* base64url without padding; free with free(3). */
char *
b64url_enc(const void *p, size_t n)
{
	return b64_any(p, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_", 0);
}

/* standard base64 with padding; free with free(3). */
char *
b64_enc(const void *p, size_t n)
{
	return b64_any(p, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/", 1);
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/*
 * Decode base64 or base64url (padding optional, white space ignored).
 * Returns the bytes (free with free(3)), NUL terminated for convenience,
 * or NULL on a bad character.
 */
unsigned char *
b64_dec(const char *s, size_t n, size_t *outlen)
{
	unsigned char	*o;
	size_t		 i, j = 0;
	uint32_t	 acc = 0;
	int		 bits = 0, v;

	if ((o = malloc(n / 4 * 3 + 4)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (s[i] == '=' || s[i] == '\r' || s[i] == '\n' || s[i] == ' ')
			continue;
		if ((v = b64val((unsigned char)s[i])) < 0) {
			free(o);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[j++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	o[j] = '\0';
	*outlen = j;
	return o;
}

/* ISO 8601 UTC time of ms, "2024-01-02T03:04:05Z" or with ".123". */
void
sim_iso(int64_t ms, int withms, char *out, size_t n)
{
	struct tm	 tm;
	time_t		 t = (time_t)(ms / 1000);

	gmtime_r(&t, &tm);
	if (withms)
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	else
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
}

/* n decimal digits at *s into *v; advances *s.  0, or -1 if not digits. */
static int
iso_digits(const char **s, int n, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		*v = *v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return 0;
}

/*
 * Milliseconds since 1970 of an ISO 8601 date "YYYY-MM-DD" or date-time
 * "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM]", or -1 when s is not
 * one, or is out of bounds (years 1970-9999, real days of the month,
 * hours 0-23, minutes and seconds 0-59; a leap second 60 is taken as
 * 59).  Fixed-width fields only: no sign, no overflow, nothing after it.
 */
int64_t
sim_parse_iso(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 y, mo, d, h = 0, mi = 0, se = 0, ms = 0, oh, om, off = 0;
	int	 leap, i, sign;
	int64_t	 days;

	if (s == NULL || iso_digits(&s, 4, &y) != 0 || *s++ != '-' ||
	    iso_digits(&s, 2, &mo) != 0 || *s++ != '-' ||
	    iso_digits(&s, 2, &d) != 0)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap))
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (iso_digits(&s, 2, &h) != 0 || *s++ != ':' ||
		    iso_digits(&s, 2, &mi) != 0)
			return -1;
		if (*s == ':') {
			s++;
			if (iso_digits(&s, 2, &se) != 0)
				return -1;
			if (*s == '.' || *s == ',') {
				s++;
				for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
					if (i < 3)
						ms = ms * 10 + (s[i] - '0');
				if (i == 0 || i > 9)
					return -1;
				for (; i < 3; i++)
					ms *= 10;
				while (*s >= '0' && *s <= '9')
					s++;
			}
		}
		if (h > 23 || mi > 59 || se > 60)
			return -1;
		if (se == 60)
			se = 59;
		if (*s == 'Z' || *s == 'z')
			s++;
		else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (iso_digits(&s, 2, &oh) != 0 || *s++ != ':' ||
			    iso_digits(&s, 2, &om) != 0 || oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 60 + om);
		}
	}
	if (*s != '\0')
		return -1;
	/* days from 1970-01-01 to y-mo-d (proleptic Gregorian) */
	days = 0;
	for (i = 1970; i < y; i++)
		days += ((i % 4 == 0 && i % 100 != 0) || i % 400 == 0) ? 366 :
		    365;
	for (i = 1; i < mo; i++)
		days += mdays[i - 1] + (i == 2 && leap);
	days += d - 1;
	days = ((days * 24 + h) * 60 + mi - off) * 60 + se;
	if (days < 0)
		return -1;
	return days * 1000 + ms;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode n bytes of s ('+' is a space if plus); free with free(3). */
char *
sim_pctdecode(const char *s, size_t n, int plus)
{
	char	*o;
	size_t	 i, j = 0;

	if ((o = malloc(n + 1)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			o[j++] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			    hexval((unsigned char)s[i + 2]));
			i += 2;
		} else if (plus && s[i] == '+')
			o[j++] = ' ';
		else
			o[j++] = s[i];
	}
	o[j] = '\0';
	return o;
}

/*
 * Parse an application/x-www-form-urlencoded string (also a query string)
 * into *out (count *n).  Returns 0; free with sim_kv_free.
 */
int
sim_form_parse(const char *s, size_t len, struct kv **out, int *n)
{
	const char	*p = s, *end = s + len, *amp, *eq;
	struct kv	*v = NULL, *nv;
	int		 cnt = 0;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp > p) {
			eq = memchr(p, '=', (size_t)(amp - p));
			if ((nv = realloc(v, sizeof(*v) * (cnt + 1))) == NULL)
				abort();
			v = nv;
			if (eq == NULL) {
				v[cnt].k = sim_pctdecode(p, (size_t)(amp - p), 1);
				v[cnt].v = strdup("");
			} else {
				v[cnt].k = sim_pctdecode(p, (size_t)(eq - p), 1);
				v[cnt].v = sim_pctdecode(eq + 1,
				    (size_t)(amp - eq - 1), 1);
			}
			cnt++;
		}
		p = amp + 1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void
sim_kv_free(struct kv *v, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		free(v[i].k);
		free(v[i].v);
	}
	free(v);
}

const char *
sim_kv_get(const struct kv *v, int n, const char *k)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].k, k) == 0)
			return v[i].v;
	return NULL;
}

/* Query parameter (case-insensitive name as OData allows), or NULL. */
const char *
sim_q(const struct req *r, const char *k)
{
	int	 i;

	for (i = 0; i < r->nquery; i++)
		if (strcasecmp(r->query[i].k, k) == 0)
			return r->query[i].v;
	return NULL;
}

const char *
sim_hdr(const struct req *r, const char *k)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, k);
}

void
sim_add_header(struct req *r, const char *k, const char *v)
{
	if (r->nhdr >= SIM_MAXHDR)
		return;
	r->hk[r->nhdr] = strdup(k);
	r->hv[r->nhdr] = strdup(v);
	r->nhdr++;
}

void
sim_reply(struct req *r, int status, const char *ctype, const void *p,
    size_t n)
{
	r->status = status;
	r->ctype = ctype;
	r->out.len = 0;
	if (n > 0)
		buf_add(&r->out, p, n);
}

/* Reply with obj serialised; takes over the reference to obj. */
void
sim_reply_json(struct req *r, int status, struct json_object *obj)
{
	const char	*s = pj_text(obj, 0);

	sim_reply(r, status, "application/json; charset=utf-8", s, strlen(s));
	json_object_put(obj);
}

void
sim_reply_empty(struct req *r, int status)
{
	sim_reply(r, status, NULL, NULL, 0);
}

/*
 * Deep copy of o without members whose names start with "_" (hide 1) or
 * "__" (hide 2).  Returns a new reference.
 */
struct json_object *
sim_pub(struct json_object *o, int hide)
{
	struct json_object	*n;
	size_t			 i;

	if (o == NULL)
		return NULL;
	switch (json_object_get_type(o)) {
	case json_type_object:
		n = json_object_new_object();
		json_object_object_foreach(o, k, v) {
			if (k[0] == '_' && (hide == 1 || k[1] == '_'))
				continue;
			json_object_object_add(n, k, sim_pub(v, hide));
		}
		return n;
	case json_type_array:
		n = json_object_new_array();
		for (i = 0; i < json_object_array_length(o); i++)
			json_object_array_add(n,
			    sim_pub(json_object_array_get_idx(o, i), hide));
		return n;
	default:
		return json_object_get(o);
	}
}

/* The first element of arr whose key is val, compared by cmp. */
static struct json_object *
find_by(struct json_object *arr, const char *key, const char *val,
    int (*cmp)(const char *, const char *))
{
	size_t		 i;
	const char	*s;

	if (arr == NULL || val == NULL)
		return NULL;
	for (i = 0; i < json_object_array_length(arr); i++) {
		s = pj_str(json_object_array_get_idx(arr, i), key);
		if (s != NULL && cmp(s, val) == 0)
			return json_object_array_get_idx(arr, i);
	}
	return NULL;
}

struct json_object *
sim_find(struct json_object *arr, const char *key, const char *val)
{
	return find_by(arr, key, val, strcmp);
}

struct json_object *
sim_find_ci(struct json_object *arr, const char *key, const char *val)
{
	return find_by(arr, key, val, strcasecmp);
}

/* Remove element o from arr; returns 1 if it was there. */
int
sim_arr_del(struct json_object *arr, struct json_object *o)
{
	size_t	 i;

	for (i = 0; i < json_object_array_length(arr); i++)
		if (json_object_array_get_idx(arr, i) == o) {
			json_object_array_del_idx(arr, i, 1);
			return 1;
		}
	return 0;
}

/* Array member key of o, created empty if absent (borrowed). */
struct json_object *
sim_arr(struct json_object *o, const char *key)
{
	struct json_object	*a;

	if ((a = pj_arr(o, key)) != NULL)
		return a;
	a = json_object_new_array();
	json_object_object_add(o, key, a);
	return a;
}

/* Number (or boolean) member k of o, or def. */
double
sim_json_num(struct json_object *o, const char *k, double def)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, k, &v))
		return def;
	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double))
		return json_object_get_double(v);
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	return def;
}

/* Body parsed as JSON (new reference) or NULL. */
struct json_object *
sim_body_json(struct req *r)
{
	return pj_parse(r->body.p, r->body.len);
}

int
sim_streq_ci(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

/*
 * Find the first part of a multipart/form-data body, whatever its name and
 * headers (also none).  Returns 0 and the borrowed bytes, -1 if the body
 * is not multipart.  Binary safe.
 */
int
sim_multipart(const struct req *r, const char **data, size_t *len)
{
	const char	*ct, *b, *p, *end, *hend, *dend;
	char		 delim[256];
	size_t		 blen;

	if ((ct = sim_hdr(r, "Content-Type")) == NULL ||
	    strncasecmp(ct, "multipart/", 10) != 0 ||
	    (b = sim_strcasestr(ct, "boundary=")) == NULL)
		return -1;
	b += 9;
	if (*b == '"')
		b++;
	blen = strcspn(b, "\";, ");
	if (blen == 0 || blen > 200)
		return -1;
	snprintf(delim, sizeof(delim), "--%.*s", (int)blen, b);
	if ((p = r->body.p) == NULL)
		return -1;
	end = p + r->body.len;
	if ((p = sim_memmem(p, (size_t)(end - p), delim, strlen(delim))) == NULL)
		return -1;
	p += strlen(delim);
	if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		p += 2;
	else if (p < end && p[0] == '\n')
		p += 1;
	if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		p += 2;		/* part without headers */
	else {
		hend = sim_memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hend == NULL)
			return -1;
		p = hend + 4;
	}
	snprintf(delim, sizeof(delim), "\r\n--%.*s", (int)blen, b);
	dend = sim_memmem(p, (size_t)(end - p), delim, strlen(delim));
	if (dend == NULL)
		dend = end;
	*data = p;
	*len = (size_t)(dend - p);
	return 0;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Offset of the end-of-central-directory record, or -1. */
static long
zip_eocd(const unsigned char *p, size_t n)
{
	size_t	 i, lim;

	if (n < 22)
		return -1;
	lim = n > 65557 ? n - 65557 : 0;
	for (i = n - 22;; i--) {
		if (le32(p + i) == 0x06054b50)
			return (long)i;
		if (i == lim)
			break;
	}
	return -1;
}

/* Is buf a zip archive (has a consistent end of central directory)? */
int
sim_is_zip(const char *buf, size_t n)
{
	const unsigned char	*p = (const unsigned char *)buf;
	long			 e;

	if (n < 22 || (e = zip_eocd(p, n)) < 0)
		return 0;
	return (size_t)le32(p + e + 16) + le32(p + e + 12) <= (size_t)e;
}

/*
 * Find entry name in zip buf.  Returns 0 with the borrowed bytes of a
 * stored entry, 1 if it exists but is compressed, -1 if absent.
 */
int
sim_zip_find(const char *buf, size_t n, const char *name, const char **data,
    size_t *len)
{
	const unsigned char	*p = (const unsigned char *)buf, *c;
	long			 e;
	size_t			 off, i, cnt, nl, xl, cl, method, csz, loff;

	if ((e = zip_eocd(p, n)) < 0)
		return -1;
	cnt = le16(p + e + 10);
	off = le32(p + e + 16);
	for (i = 0; i < cnt; i++) {
		if (off + 46 > n || le32(p + off) != 0x02014b50)
			return -1;
		c = p + off;
		method = le16(c + 10);
		csz = le32(c + 20);
		nl = le16(c + 28);
		xl = le16(c + 30);
		cl = le16(c + 32);
		loff = le32(c + 42);
		if (off + 46 + nl > n)
			return -1;
		if (nl == strlen(name) && memcmp(c + 46, name, nl) == 0) {
			if (method != 0)
				return 1;
			if (loff + 30 > n || le32(p + loff) != 0x04034b50)
				return -1;
			loff += 30 + le16(p + loff + 26) + le16(p + loff + 28);
			if (loff + csz > n)
				return -1;
			*data = buf + loff;
			*len = csz;
			return 0;
		}
		off += 46 + nl + xl + cl;
	}
	return -1;
}

/* Host header as the client sent it, for absolute links. */
const char *
sim_host(const struct req *r)
{
	const char	*h = sim_hdr(r, "Host");

	return h ? h : "127.0.0.1";
}

/*
 * Parse an OData filter of the form "a eq 'x' and b eq 'y'".  Returns the
 * number of terms, or -1 if the filter has another form.
 */
int
sim_filter_eq(const char *f, char keys[][64], char vals[][256], int max)
{
	const char	*p = f, *q;
	int		 n = 0;
	size_t		 kl, vl;
	char		 v[256];

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		q = p;
		while (*q != '\0' && *q != ' ')
			q++;
		kl = (size_t)(q - p);
		if (kl == 0 || kl >= 64 || n >= max)
			return -1;
		memcpy(keys[n], p, kl);
		keys[n][kl] = '\0';
		while (*q == ' ')
			q++;
		if (strncasecmp(q, "eq ", 3) != 0)
			return -1;
		q += 3;
		while (*q == ' ')
			q++;
		if (*q != '\'')
			return -1;
		q++;
		vl = 0;
		while (*q != '\0') {
			if (*q == '\'' && q[1] == '\'') {
				q++;
			} else if (*q == '\'')
				break;
			if (vl + 1 < sizeof(v))
				v[vl++] = *q;
			q++;
		}
		if (*q != '\'')
			return -1;
		v[vl] = '\0';
		snprintf(vals[n], 256, "%s", v);
		n++;
		q++;
		while (*q == ' ')
			q++;
		if (*q == '\0')
			break;
		if (strncasecmp(q, "and ", 4) != 0)
			return -1;
		p = q + 4;
	}
	return n;
}
