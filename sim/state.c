/*
 * state.c: the emulator's shared state, g, and what reads it below the
 * services: the sim clock (real time plus POST /_sim/clock), the random
 * generator behind ids, directory replication delay (api-facts 6.5), the
 * table of stored files, and the scheme served.
 */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

struct sim g;

/* Sim clock: real time plus the offset set by POST /_sim/clock. */
int64_t
sim_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    g.clock_off_ms;
}

int64_t
sim_now(void)
{
	return sim_now_ms() / 1000;
}

/* Uniform double in [0,1) from a xorshift64* generator; caller holds g.mu. */
double
sim_rand(void)
{
	uint64_t	 x = g.rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g.rng = x;
	return (double)((x * 2685821657736338717ULL) >> 11) /
	    (double)(1ULL << 53);
}

static uint64_t
rand64(void)
{
	uint64_t	 a, b;

	a = (uint64_t)(sim_rand() * 4294967296.0);
	b = (uint64_t)(sim_rand() * 4294967296.0);
	return a << 32 | b;
}

/* A random version-4 GUID in lower case; caller holds g.mu. */
void
sim_guid(char out[37])
{
	uint64_t	 a = rand64(), b = rand64();

	snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx",
	    (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
	    (unsigned)a & 0xfff, (unsigned)((b >> 48) & 0x3fff) | 0x8000,
	    (unsigned long long)(b & 0xffffffffffffULL));
}

void
sim_randhex(char *out, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i + 1 < n; i++)
		out[i] = hex[(int)(sim_rand() * 16)];
	out[n - 1] = '\0';
}

/* Directory object replicated yet (created at least repl_delay ago)? */
int
sim_visible(struct json_object *o)
{
	int64_t	 c = pj_int(o, "_created", 0);

	return c == 0 || sim_now_ms() - c >= (int64_t)(g.f.repl_delay * 1000);
}

void
sim_stamp(struct json_object *o)
{
	pj_add_int(o, "_created", sim_now_ms());
}

/*
 * Store file bytes in the state's file table, keyed by their SHA-256.
 * Returns the key; free with free(3).  Caller holds g.mu.
 */
char *
sim_file_store(const char *p, size_t n)
{
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	char			 hex[65];
	struct json_object	*files;
	char			*b64 = NULL;
	int			 i;

	SHA256((const unsigned char *)p, n, md);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if ((files = pj_obj(g.state, "__files")) == NULL) {
		files = json_object_new_object();
		json_object_object_add(g.state, "__files", files);
	}
	if (!json_object_object_get_ex(files, hex, NULL)) {
		b64 = b64_enc(p, n);
		json_object_object_add(files, hex,
		    json_object_new_string(b64));
		free(b64);
	}
	return strdup(hex);
}

/* The bytes of a stored file (free with free(3)), or NULL. */
char *
sim_file_load(const char *key, size_t *n)
{
	const char	*b64;

	if (key == NULL ||
	    (b64 = pj_str(pj_obj(g.state, "__files"), key)) == NULL)
		return NULL;
	return (char *)b64_dec(b64, strlen(b64), n);
}

/* "https" when serving TLS, else "http". */
const char *
sim_scheme(void)
{
	return g.tls ? "https" : "http";
}
