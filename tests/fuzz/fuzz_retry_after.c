/*
 * fuzz_retry_after.c: a Retry-After header's value, seconds or an HTTP
 * date (core/util.c pbi_retry_after).
 */
#include "core/core.h"
#include "fuzz.h"

#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char	*s = fuzz_str(d, n);
	long	 v;

	/* 2026-01-01T00:00:00Z: a date in the past is no wait. */
	v = pbi_retry_after(s, (time_t)1767225600);
	(void)v;
	free(s);
	return 0;
}
