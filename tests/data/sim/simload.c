/*
 * simload.c: a tiny keep-alive HTTP/1.1 load generator for pbisim.
 *
 *	cc -O2 -pthread -o simload tests/data/sim/simload.c
 *	simload PORT THREADS REQUESTS-PER-THREAD PATH [BEARER-TOKEN]
 *
 * Each thread keeps one connection to 127.0.0.1:PORT and sends GET PATH
 * sequentially.  Prints "PATH: N ok N bad in S s = R req/s"; exits 1 if
 * any answer was not 200.  Used for the throughput figures of pbisim(1).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int		 port, nreq;
static char		 reqbuf[8192];
static size_t		 reqlen;
static long		 nok, nbad;
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;

static int
dial(void)
{
	struct sockaddr_in	 a;
	int			 s, one = 1;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(0x7f000001);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == -1) {
		close(s);
		return -1;
	}
	return s;
}

/* Content-Length of the header block in buf, or 0. */
static long
content_length(const char *buf, const char *hend)
{
	const char	*p;

	for (p = buf; p < hend; p++)
		if ((p == buf || p[-1] == '\n') &&
		    strncasecmp(p, "content-length:", 15) == 0)
			return atol(p + 15);
	return 0;
}

/* Send one request and read one answer; 1 if it was a 200. */
static int
one(int s, char *buf, size_t cap)
{
	size_t		 have = 0;
	ssize_t		 n;
	const char	*hend = NULL;
	long		 clen = 0;

	if (write(s, reqbuf, reqlen) != (ssize_t)reqlen)
		return -1;
	for (;;) {
		if ((n = read(s, buf + have, cap - 1 - have)) <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if (hend == NULL && (hend = strstr(buf, "\r\n\r\n")) != NULL)
			clen = content_length(buf, hend);
		if (hend != NULL && (long)(have - (size_t)(hend + 4 - buf)) >=
		    clen)
			break;
		if (have + 1 >= cap)
			return -1;
	}
	return strncmp(buf + 9, "200", 3) == 0;
}

static void *
run(void *arg)
{
	char	*buf = NULL;
	long	 ok = 0, bad = 0;
	int	 s, i, r;

	(void)arg;
	if ((buf = malloc(1 << 20)) == NULL || (s = dial()) == -1) {
		free(buf);
		pthread_mutex_lock(&mu);
		nbad += nreq;
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	for (i = 0; i < nreq; i++) {
		r = one(s, buf, 1 << 20);
		if (r == 1)
			ok++;
		else
			bad++;
		if (r == -1) {
			close(s);
			if ((s = dial()) == -1)
				break;
		}
	}
	if (s != -1)
		close(s);
	free(buf);
	pthread_mutex_lock(&mu);
	nok += ok;
	nbad += bad;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t	 t[64];
	struct timespec	 a, b;
	const char	*tok;
	double		 el;
	int		 i, nth;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: simload port threads requests path "
		    "[token]\n");
		return 2;
	}
	port = atoi(argv[1]);
	nth = atoi(argv[2]);
	nreq = atoi(argv[3]);
	tok = argc == 6 ? argv[5] : NULL;
	if (nth < 1 || nth > 64 || nreq < 1)
		return 2;
	reqlen = (size_t)snprintf(reqbuf, sizeof(reqbuf), "GET %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n%s%s%s\r\n", argv[4], port,
	    tok ? "Authorization: Bearer " : "", tok ? tok : "",
	    tok ? "\r\n" : "");
	if (reqlen >= sizeof(reqbuf))
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < nth; i++)
		pthread_create(&t[i], NULL, run, NULL);
	for (i = 0; i < nth; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	el = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) /
	    1e9;
	printf("%s: %ld ok %ld bad in %.2f s = %.0f req/s\n", argv[4], nok,
	    nbad, el, (double)(nok + nbad) / el);
	return nbad == 0 ? 0 : 1;
}
