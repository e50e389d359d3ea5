/*
 * util.h: small pure helpers: time, Retry-After, redaction, base64url,
 * identifiers, URL checks.
 */
#ifndef PBI_UTIL_H
#define PBI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct pbi_err;

/* Milliseconds on the monotonic clock. */
int64_t		 pbi_now_ms(void);
/* Sleep ms milliseconds (restarted on EINTR). */
void		 pbi_sleep_ms(int64_t ms);
/* "2026-11-22T13:19:19Z" for t into buf (at least 21 bytes). */
const char	*pbi_iso8601(time_t t, char *buf, size_t len);
/*
 * An ISO 8601 time the services write ("2026-11-22T13:19:19Z", with
 * or without fractions of a second; "Z", no zone or +HH:MM) in
 * milliseconds since the epoch, or -1 when s is not one.
 */
int64_t		 pbi_iso8601_ms(const char *s);

/*
 * Parse a Retry-After value: delta-seconds or an HTTP date (IMF-fixdate,
 * RFC 850 or asctime), relative to now.  Returns the delay in seconds
 * (0 for a date in the past) or -1 if v is not a valid value.
 */
long		 pbi_retry_after(const char *v, time_t now);

/*
 * Redaction for traces and logs.  Each returns a new string (free with
 * free(3)) or NULL on allocation failure.
 *  - pbi_redact_json: values of secret-looking members replaced by
 *    "[REDACTED]", at any depth; a body that is not JSON is returned as
 *    "[N bytes, not JSON]" so nothing unparsed can leak.
 *  - pbi_redact_form: x-www-form-urlencoded, secret fields' values.
 *  - pbi_redact_url: query parameters that carry secrets (sig, code,
 *    access_token, ...).
 */
char		*pbi_redact_json(const char *body, size_t len);
char		*pbi_redact_form(const char *body, size_t len);
char		*pbi_redact_url(const char *url);
/* Non-zero if a JSON member or form field of this name carries a secret. */
int		 pbi_secret_name(const char *name);

/* base64url without padding.  Returns a new string (free(3)) or NULL. */
char		*pbi_b64url(const unsigned char *buf, size_t len);
/*
 * Decode base64url (padding optional).  Returns a new buffer (free(3))
 * with its length in *outlen and a NUL after it, or NULL if s is invalid.
 */
unsigned char	*pbi_b64url_decode(const char *s, size_t slen,
		    size_t *outlen);

/* nbytes random bytes as 2*nbytes hex digits and a NUL into buf. */
void		 pbi_random_hex(char *buf, size_t nbytes);

/* Non-zero if s is a GUID in 8-4-4-4-12 hex form. */
int		 pbi_is_guid(const char *s);

/*
 * Non-zero if url may be used: https://, or http:// to a loopback host
 * (127.0.0.0/8, localhost, [::1]).
 */
int		 pbi_url_allowed(const char *url);
/* Non-zero if URLs a and b have the same scheme, host and port. */
int		 pbi_same_origin(const char *a, const char *b);

/*
 * Percent-encode s for a URL path segment or query value (RFC 3986
 * unreserved characters kept).  Returns a new string (free(3)) or NULL.
 */
char		*pbi_urlenc(const char *s);

/*
 * An OData filter "name eq 'value'" with the value quoted ('' for ') and
 * the whole percent-encoded, for a $filter query.  Returns a new string
 * (free(3)) or NULL.
 */
char		*pbi_odata_eq(const char *name, const char *value);

/*
 * Map the file at path read-only into *map (release with pbi_unmap_file)
 * with its length in *len and, unless hex is NULL, its SHA-256 in hex
 * into hex: a package of several gigabytes is read by pages, never
 * copied to the heap.  Refuses anything but a regular file (a FIFO is
 * refused without waiting for a writer), an empty file or one over max
 * bytes.
 */
const struct pbi_err	*pbi_map_file(const char *path, size_t max,
			    const unsigned char **map, size_t *len,
			    char hex[65]);
void			 pbi_unmap_file(const unsigned char *map, size_t len);
/* The SHA-256 of n bytes at p, in hex into hex. */
const struct pbi_err	*pbi_sha256_hex(const void *p, size_t n,
			    char hex[65]);

/*
 * Make s, in place, safe to print on a terminal: every control
 * character (C0, DEL, and C1 as UTF-8, where an escape sequence starts)
 * becomes '?'.  For the text a service sends: names, error messages.
 */
void		 pbi_clean_text(char *s);
/*
 * Is s (n bytes) well-formed UTF-8 (no overlong form, no surrogate,
 * nothing past U+10FFFF)?  1 or 0; *bad is the offset of the first bad
 * byte.
 */
int		 pbi_utf8_ok(const char *s, size_t n, size_t *bad);

/* Overwrite n bytes at p so that a secret does not linger. */
void		 pbi_wipe(void *p, size_t n);

/* Copy at most size-1 bytes and NUL-terminate.  Returns strlen(src). */
size_t		 pbi_strlcpy(char *dst, const char *src, size_t size);

#endif /* PBI_UTIL_H */
