/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz share.  Each target is
 * one file, fuzz_NAME.c, defining LLVMFuzzerTestOneInput; run.sh runs
 * them over their corpus in tests/data/fuzz/NAME/.
 */
#ifndef PBI_FUZZ_H
#define PBI_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * A NUL-terminated copy of the input (free(3)), so that the code under
 * test never reads past the end of what the fuzzer gave.
 */
char	*fuzz_str(const uint8_t *, size_t);
/*
 * Write the input to this process's scratch file and return its path
 * (borrowed; the same file each call), for code that reads a file.
 * mode is its permission bits.
 */
const char *fuzz_file(const uint8_t *, size_t, int mode);

#endif /* PBI_FUZZ_H */
