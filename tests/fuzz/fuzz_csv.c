/*
 * fuzz_csv.c: a customers CSV of --from (provision/csv.c).  Either the
 * customers or an error; every customer a valid name.  (The migration
 * map CSV of --map gets a target of its own with its parser.)
 */
#include "provision/provision.h"
#include "fuzz.h"

#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct json_object	*out = NULL;
	const struct pbi_err	*err;
	size_t			 i;

	err = pbi_csv_customers(fuzz_file(d, n, 0600), &out);
	if (err != NULL && out != NULL)
		abort();
	for (i = 0; i < pj_len(out); i++)
		if (!pbi_slug_ok(pj_str(pj_idx(out, i), "customer")))
			abort();
	json_object_put(out);
	return 0;
}
