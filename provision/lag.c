/*
 * lag.c: lookups through Graph's replication delay (api-facts 2.4).
 */
#include "lag.h"

#include <stdlib.h>
#include <string.h>

const struct pbi_err *
prov_lookup_lagged(struct pbi_prov *p, prov_lookup_fn fn, const void *arg,
    struct json_object **out)
{
	const struct pbi_err	*err;
	const char		*v = getenv("PBICTL_REPLICATION_WAIT");
	int64_t			 end, wait = 250;

	end = pbi_now_ms() + (v && *v ? atol(v) : 60) * 1000;
	for (;;) {
		if ((err = fn(p, arg, out)) != NULL || *out != NULL)
			return err;
		if (pbi_now_ms() + wait > end)
			return NULL;
		pbi_sleep_ms(wait);
		if (wait < 8000)
			wait *= 2;
	}
}

int
prov_ambiguous(const struct pbi_err *e)
{
	if (e == NULL)
		return 0;
	if (e->code == PBI_ERR_NET || e->code == PBI_ERR_PROTO ||
	    e->code == PBI_ERR_DEADLINE)
		return 1;
	return e->code == PBI_ERR_HTTP && e->status >= 500;
}

int
prov_exists(const struct pbi_err *e)
{
	return e != NULL && e->code == PBI_ERR_HTTP && e->status == 409;
}
