/*
 * fuzz_http_error.c: the error of a service's answer (core/http_error.c):
 * any body, status, content type and headers.  Input: the status byte,
 * then the Retry-After, request id and error-info values each ended by a
 * newline, then the body.
 */
#include "core/core.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

/* The next newline-ended field of d into dst (truncated to size). */
static void
field(const uint8_t **d, size_t *n, char *dst, size_t size)
{
	const uint8_t	*nl = memchr(*d, '\n', *n);
	size_t		 len = nl ? (size_t)(nl - *d) : *n;

	snprintf(dst, size, "%.*s", (int)len, (const char *)*d);
	*d += nl ? len + 1 : len;
	*n -= nl ? len + 1 : len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const long	 statuses[] = { 400, 401, 403, 404, 409, 429,
	    500, 502, 503, 504 };
	struct pbi_resp		 r;
	const struct pbi_err	*err;
	char			 buf[4096];

	if (n < 1)
		return 0;
	memset(&r, 0, sizeof(r));
	r.status = statuses[d[0] % 10];
	d++;
	n--;
	field(&d, &n, r.content_type, sizeof(r.content_type));
	field(&d, &n, r.request_id, sizeof(r.request_id));
	field(&d, &n, r.error_info, sizeof(r.error_info));
	r.body = fuzz_str(d, n);
	r.body_len = n;
	err = pbi_http_error("GET /v1.0/myorg/groups", &r);
	/* Whatever came, an error with a message that prints. */
	if (err == NULL || pbi_err_str(err, buf, sizeof(buf)) == NULL ||
	    strlen(buf) >= sizeof(buf))
		abort();
	free(r.body);
	return 0;
}
