/*
 * fuzz_credentials.c: a datasource credentials (connections) file
 * (provision/credentials.c), mode 0600 so that its content is read.
 */
#include "provision/provision.h"
#include "fuzz.h"

#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct json_object	*out = NULL;
	const struct pbi_err	*err;

	err = pbi_credentials_load(fuzz_file(d, n, 0600), &out);
	if (err != NULL && out != NULL)
		abort();
	pbi_json_wipe_put(out);
	return 0;
}
