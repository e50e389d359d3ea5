/*
 * main.c: pbisim's main and options (pbisim(1)): read the seed and the
 * --state file, start the server, wait for SIGINT or SIGTERM, then save
 * the state.
 */
#include "sim/sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct json_object	*g_seed_state;	/* normalized seed */
static char			*g_state_file;

static __attribute__((noreturn)) void
usage(int status)
{
	FILE	*f = status ? stderr : stdout;

	fprintf(f,
	    "usage: pbisim [--listen ADDR:PORT] [--port-file FILE] "
	    "[--seed FILE] [--state FILE]\n"
	    "              [--request-log FILE] [--log-size N] "
	    "[--tls-cert FILE --tls-key FILE]\n"
	    "              [--token-lifetime S]\n"
	    "              [--latency MS[:JITTER]] [--p429 P] "
	    "[--retry-after S] [--p5xx P] [--pdrop P]\n"
	    "              [--p500-after-commit P] [--p307 P] "
	    "[--replication-delay S]\n"
	    "              [--import-seconds S] [--assign-seconds S] "
	    "[--assign-stuck]\n"
	    "              [--rate-limit N] [--admin-rate-limit N] "
	    "[--seed-random N]\n"
	    "       pbisim --print-seed\n");
	exit(status);
}

static char *
slurp(const char *path, size_t *n)
{
	FILE	*f;
	struct buf b = { 0 };
	char	 tmp[65536];
	size_t	 k;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, k);
	fclose(f);
	if (b.p == NULL)
		buf_add(&b, "", 0);
	if (n != NULL)
		*n = b.len;
	return b.p;
}

static int
parse_listen(const char *s, struct sockaddr_in *sin)
{
	char		 host[64];
	const char	*colon;
	long		 port;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if ((colon = strrchr(s, ':')) == NULL ||
	    (size_t)(colon - s) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "pbisim: refusing non-loopback address "
		    "'%s'\n", host);
		exit(2);
	}
	port = strtol(colon + 1, NULL, 10);
	if (port < 0 || port > 65535)
		return -1;
	sin->sin_port = htons((uint16_t)port);
	return 0;
}

static int
write_port_file(const char *path, int port)
{
	char	 tmp[PATH_MAX];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

static double
optnum(const char *s, const char *opt)
{
	char	*e;
	double	 d;

	d = strtod(s, &e);
	if (*s == '\0' || *e != '\0' || d < 0) {
		fprintf(stderr, "pbisim: bad value '%s' for --%s\n", s, opt);
		exit(2);
	}
	return d;
}

enum {
	O_LISTEN = 256, O_PORTFILE, O_SEED, O_STATE, O_REQLOG, O_TLSCERT,
	O_TLSKEY, O_LATENCY, O_P429, O_RETRY, O_P5XX, O_PDROP, O_P500AC,
	O_REPL, O_IMPORT, O_ASSIGN, O_STUCK, O_RATE, O_ADMINRATE, O_SEEDRND,
	O_PRINTSEED, O_LOGSIZE, O_TOKLIFE, O_P307
};

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "port-file", required_argument, NULL, O_PORTFILE },
	{ "seed", required_argument, NULL, O_SEED },
	{ "state", required_argument, NULL, O_STATE },
	{ "request-log", required_argument, NULL, O_REQLOG },
	{ "log-size", required_argument, NULL, O_LOGSIZE },
	{ "tls-cert", required_argument, NULL, O_TLSCERT },
	{ "tls-key", required_argument, NULL, O_TLSKEY },
	{ "latency", required_argument, NULL, O_LATENCY },
	{ "p429", required_argument, NULL, O_P429 },
	{ "retry-after", required_argument, NULL, O_RETRY },
	{ "p5xx", required_argument, NULL, O_P5XX },
	{ "pdrop", required_argument, NULL, O_PDROP },
	{ "p500-after-commit", required_argument, NULL, O_P500AC },
	{ "p307", required_argument, NULL, O_P307 },
	{ "replication-delay", required_argument, NULL, O_REPL },
	{ "import-seconds", required_argument, NULL, O_IMPORT },
	{ "assign-seconds", required_argument, NULL, O_ASSIGN },
	{ "assign-stuck", no_argument, NULL, O_STUCK },
	{ "rate-limit", required_argument, NULL, O_RATE },
	{ "admin-rate-limit", required_argument, NULL, O_ADMINRATE },
	{ "seed-random", required_argument, NULL, O_SEEDRND },
	{ "print-seed", no_argument, NULL, O_PRINTSEED },
	{ "token-lifetime", required_argument, NULL, O_TOKLIFE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	struct MHD_Daemon	*d = NULL;
	const union MHD_DaemonInfo *info;
	struct json_object	*seed = NULL, *loaded = NULL;
	const char		*portfile = NULL, *seedfile = NULL;
	const char		*reqlog = NULL, *tlscert = NULL;
	const char		*tlskey = NULL, *pem;
	char			*certmem = NULL, *keymem = NULL, *txt = NULL;
	char			*dirbuf = NULL, *colon;
	sigset_t		 set;
	size_t			 n;
	int			 ch, sig, rc = 1, seeded_rng = 0;
	int64_t			 toklife = 0;

	memset(&g, 0, sizeof(g));
	pthread_mutex_init(&g.mu, NULL);
	g.f.retry_after = 1;
	g.f.import_s = 1;
	g.f.assign_s = 2;
	g.logmax = 10000;
	parse_listen("127.0.0.1:0", &sin);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_LISTEN:
			if (parse_listen(optarg, &sin) != 0) {
				fprintf(stderr, "pbisim: bad --listen '%s'\n",
				    optarg);
				return 2;
			}
			break;
		case O_PORTFILE:
			portfile = optarg;
			break;
		case O_SEED:
			seedfile = optarg;
			break;
		case O_STATE:
			g_state_file = optarg;
			break;
		case O_REQLOG:
			reqlog = optarg;
			break;
		case O_LOGSIZE:
			g.logmax = (size_t)optnum(optarg, "log-size");
			if (g.logmax < 1)
				g.logmax = 1;
			break;
		case O_TLSCERT:
			tlscert = optarg;
			break;
		case O_TLSKEY:
			tlskey = optarg;
			break;
		case O_LATENCY:
			g.f.latency_ms = (int)strtol(optarg, &colon, 10);
			if (*colon == ':')
				g.f.jitter_ms = (int)optnum(colon + 1,
				    "latency");
			else if (*colon != '\0' || g.f.latency_ms < 0)
				optnum("x", "latency");
			break;
		case O_P429:
			g.f.p429 = optnum(optarg, "p429");
			break;
		case O_RETRY:
			g.f.retry_after = (int)optnum(optarg, "retry-after");
			break;
		case O_P5XX:
			g.f.p5xx = optnum(optarg, "p5xx");
			break;
		case O_PDROP:
			g.f.pdrop = optnum(optarg, "pdrop");
			break;
		case O_P500AC:
			g.f.p500ac = optnum(optarg, "p500-after-commit");
			break;
		case O_P307:
			g.f.p307 = optnum(optarg, "p307");
			break;
		case O_REPL:
			g.f.repl_delay = optnum(optarg, "replication-delay");
			break;
		case O_IMPORT:
			g.f.import_s = optnum(optarg, "import-seconds");
			break;
		case O_ASSIGN:
			g.f.assign_s = optnum(optarg, "assign-seconds");
			break;
		case O_STUCK:
			g.f.assign_stuck = 1;
			break;
		case O_RATE:
			g.f.rate_limit = (int)optnum(optarg, "rate-limit");
			break;
		case O_ADMINRATE:
			g.f.admin_rate_limit = (int)optnum(optarg,
			    "admin-rate-limit");
			break;
		case O_SEEDRND:
			g.rng = (uint64_t)optnum(optarg, "seed-random") *
			    2654435761ULL + 88172645463325252ULL;
			seeded_rng = 1;
			break;
		case O_TOKLIFE:
			toklife = (int64_t)optnum(optarg, "token-lifetime");
			break;
		case O_PRINTSEED:
			fputs(sim_demo_seed, stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc || (tlscert == NULL) != (tlskey == NULL))
		usage(2);
	if (!seeded_rng)
		g.rng = (uint64_t)time(NULL) * 2654435761ULL ^
		    (uint64_t)getpid() << 32 ^ 88172645463325252ULL;
	g.f0 = g.f;
	sim_log_init();

	if (seedfile != NULL) {
		if ((txt = slurp(seedfile, &n)) == NULL ||
		    (seed = pj_parse(txt, n)) == NULL) {
			fprintf(stderr, "pbisim: cannot read seed '%s'\n",
			    seedfile);
			goto done;
		}
		free(txt);
		txt = NULL;
	} else
		seed = pj_parse(sim_demo_seed, strlen(sim_demo_seed));
	dirbuf = strdup(seedfile ? seedfile : ".");
	g_seed_state = sim_seed_normalize(seed, seedfile ? dirname(dirbuf) :
	    ".");
	if (g_state_file != NULL && (txt = slurp(g_state_file, &n)) != NULL) {
		if ((loaded = pj_parse(txt, n)) == NULL) {
			fprintf(stderr, "pbisim: bad state file '%s'\n",
			    g_state_file);
			goto done;
		}
		if ((pem = pj_str(loaded, "__signingKey")) != NULL &&
		    jwt_key_load(pem) != 0) {
			fprintf(stderr, "pbisim: bad key in state '%s'\n",
			    g_state_file);
			goto done;
		}
		g.clock_off_ms = pj_int(loaded, "__clockOffsetMs", 0);
		g.state = loaded;
		loaded = NULL;
	} else
		g.state = NULL;
	if (g.key == NULL && jwt_keygen() != 0) {
		fprintf(stderr, "pbisim: cannot generate signing key\n");
		goto done;
	}
	if (g.state == NULL)
		json_object_deep_copy(g_seed_state, &g.state, NULL);
	if (toklife > 0) {
		pj_add_int(pj_obj(g_seed_state, "tenant"), "tokenLifetime",
		    toklife);
		pj_add_int(pj_obj(g.state, "tenant"), "tokenLifetime",
		    toklife);
	}
	g.initial = g_seed_state;
	g_seed_state = NULL;

	if (reqlog != NULL && sim_log_open(reqlog) != 0) {
		fprintf(stderr, "pbisim: %s: %s\n", reqlog, strerror(errno));
		goto done;
	}
	if (tlscert != NULL && ((certmem = slurp(tlscert, NULL)) == NULL ||
	    (keymem = slurp(tlskey, NULL)) == NULL)) {
		fprintf(stderr, "pbisim: cannot read TLS certificate or key\n");
		goto done;
	}

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = sim_server_start(&sin, certmem, keymem);
	if (d == NULL) {
		fprintf(stderr, "pbisim: cannot listen\n");
		goto stop;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	g.port = info ? info->port : ntohs(sin.sin_port);
	if (portfile != NULL && write_port_file(portfile, g.port) != 0) {
		fprintf(stderr, "pbisim: cannot write '%s'\n", portfile);
		goto stop;
	}
	fprintf(stderr, "pbisim: listening on %s://127.0.0.1:%d\n",
	    certmem ? "https" : "http", g.port);
	sigwait(&set, &sig);
	rc = 0;
stop:
	sim_server_stop(d);
	pthread_mutex_lock(&g.mu);
	sim_state_save(g_state_file);
	pthread_mutex_unlock(&g.mu);
done:
	sim_log_release();
	free(txt);
	free(certmem);
	free(keymem);
	free(dirbuf);
	json_object_put(seed);
	json_object_put(loaded);
	json_object_put(g.state);
	json_object_put(g.initial);
	json_object_put(g_seed_state);
	EVP_PKEY_free(g.key);
	return rc;
}
