/*
 * fuzz_csv.c: the same bytes as a customers CSV of --from and as a
 * migration map of --map (provision/csv.c).  Either rows or an error;
 * every customer a valid name.
 */
#include "provision/provision.h"
#include "fuzz.h"

#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct json_object	*out = NULL;
	const struct pbi_err	*err;
	const char		*f;
	size_t			 i;

	f = fuzz_file(d, n, 0600);
	err = pbi_csv_customers(f, &out);
	if (err != NULL && out != NULL)
		abort();
	for (i = 0; i < pj_len(out); i++)
		if (!pbi_slug_ok(pj_str(pj_idx(out, i), "customer")))
			abort();
	json_object_put(out);
	out = NULL;
	err = pbi_migrate_map_load(f, &out);
	if (err != NULL && out != NULL)
		abort();
	for (i = 0; i < pj_len(out); i++)
		if (!pbi_slug_ok(pj_str(pj_idx(out, i), "customer")))
			abort();
	json_object_put(out);
	return 0;
}
