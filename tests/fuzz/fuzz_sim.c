/*
 * fuzz_sim.c: what pbisim parses from a client (sim/util.c): a
 * multipart/form-data body and its Content-Type, a form body, a
 * percent-encoded value, an ISO 8601 date, a zip's entries.  Input: the
 * Content-Type up to a newline, then the body.
 */
#include "sim/sim.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

/* The Content-Type of the request being fuzzed. */
static const char	*fuzz_ctype;

/*
 * pbisim reads headers through libmicrohttpd: this one, defined here,
 * answers for the request under test.
 */
const char *
MHD_lookup_connection_value(struct MHD_Connection *c,
    enum MHD_ValueKind kind, const char *key)
{
	(void)c;
	(void)kind;
	return strcasecmp(key, "Content-Type") == 0 ? fuzz_ctype : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const uint8_t	*nl = memchr(d, '\n', n);
	size_t		 cl = nl ? (size_t)(nl - d) : 0, len;
	char		*ct = fuzz_str(d, cl), *body, *s;
	const char	*data;
	struct req	 r;
	struct kv	*kv = NULL;
	int		 nkv = 0;

	body = fuzz_str(d + (nl ? cl + 1 : 0), n - (nl ? cl + 1 : 0));
	len = n - (nl ? cl + 1 : 0);
	memset(&r, 0, sizeof(r));
	fuzz_ctype = ct;
	r.body.p = body;
	r.body.len = len;
	if (sim_multipart(&r, &data, &len) == 0 &&
	    (data < body || data + len > body + r.body.len))
		abort();
	if (sim_form_parse(body, r.body.len, &kv, &nkv) == 0)
		(void)sim_kv_get(kv, nkv, "grant_type");
	sim_kv_free(kv, nkv);
	if ((s = sim_pctdecode(body, r.body.len, 1)) != NULL)
		free(s);
	(void)sim_parse_iso(body);
	if (sim_is_zip(body, r.body.len) &&
	    sim_zip_find(body, r.body.len, "Report/Layout", &data, &len) == 0 &&
	    (data < body || data + len > body + r.body.len))
		abort();
	free(body);
	free(ct);
	return 0;
}
