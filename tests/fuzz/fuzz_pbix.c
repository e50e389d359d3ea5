/*
 * fuzz_pbix.c: the check that a file is a Power BI package
 * (provision/pbix.c): any zip, ZIP64 records included.
 */
#include "provision/provision.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	(void)pbi_pbix_check("fuzz.pbix", d, n);
	return 0;
}
