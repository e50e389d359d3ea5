/*
 * fuzz_util.c: fuzz.h's helpers, linked into every target.
 */
#include "fuzz.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *
fuzz_str(const uint8_t *d, size_t n)
{
	char	*s;

	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

const char *
fuzz_file(const uint8_t *d, size_t n, int mode)
{
	static char	 path[256];
	const char	*tmp = getenv("TMPDIR");
	int		 fd;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s/pbictl-fuzz.%ld",
		    tmp ? tmp : "/tmp", (long)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (n > 0 && write(fd, d, n) != (ssize_t)n) ||
	    fchmod(fd, (mode_t)mode) == -1 || close(fd) == -1)
		abort();
	return path;
}
