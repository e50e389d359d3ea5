/*
 * sim.h: internal interfaces of pbisim, the local emulator of Entra ID,
 * Microsoft Graph, Power BI REST and Workspace Collections.
 *
 * The whole tenant lives in one json-c tree (g.state) guarded by one
 * mutex (g.mu).  Members whose names start with "_" are internal and never
 * appear in service responses; members starting with "__" are secrets and
 * never appear in GET /_sim/state or the request log either.
 *
 * The files form layers; each calls only into those below it:
 *
 *   main.c server.c control.c seed.c   the program, HTTP, /_sim/, seeds
 *   entra.c entra_token.c graph.c      the services, one router each;
 *   pbi_*.c (pbi.h) collections.c      collections.c serves the Power BI
 *                                      workspace content under its API
 *   auth.c perms.c directory.c         what the services share: bearer
 *   faults.c reply.c reqlog.c          tokens and the permissions each
 *                                      route needs, the directory, faults
 *                                      and rate limits, envelopes, the log
 *   state.c jwt.c util.c core/json.c   g and the clock, tokens, utilities
 */
#ifndef PBISIM_SIM_H
#define PBISIM_SIM_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>
#include <microhttpd.h>
#include <openssl/evp.h>

#include "core/json.h"

#define SIM_EMPTY_GUID	"00000000-0000-0000-0000-000000000000"
#define SIM_PBI_APPID	"00000009-0000-0000-c000-000000000000"
#define SIM_GRAPH_APPID	"00000003-0000-0000-c000-000000000000"
#define SIM_PBI_CTX	"http://wabi-west-europe-redirect.analysis.windows.net/v1.0/myorg/$metadata#"
#define SIM_GRAPH_CTX	"https://graph.microsoft.com/v1.0/$metadata#"
#define SIM_ROLE_GLOBAL_ADMIN	"62e90394-69f5-4237-9190-012177145e10"

/* Growable byte buffer, always NUL terminated when non-empty. */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

struct kv {
	char	*k;
	char	*v;
};

enum svc {
	SVC_NONE,
	SVC_ENTRA,
	SVC_GRAPH,
	SVC_PBI,
	SVC_COLL,
	SVC_BLOB,
	SVC_ARM,
	SVC_SIM
};

enum prkind {
	PR_NONE,
	PR_APP,
	PR_USER
};

/* The authenticated caller of a Graph or Power BI request. */
struct principal {
	enum prkind	 kind;
	char		 appid[64];	/* client application id */
	char		 oid[64];	/* SP object id or user object id */
	char		 upn[256];	/* users only */
	char		 profile[64];	/* X-PowerBI-Profile-Id, SP only */
	int64_t		 exp;		/* token expiry, unix seconds */
	char		 scp[2048];	/* delegated scopes, space separated */
	char		 roles[2048];	/* app roles (app tokens), likewise */
	char		 wids[1024];	/* directory role ids (users) */
};

#define SIM_MAXSEG	24
#define SIM_MAXHDR	8

struct req {
	struct MHD_Connection	*conn;
	char			*uri;		/* raw request target */
	char			 method[16];
	char			*seg[SIM_MAXSEG];	/* decoded path segments */
	int			 nseg;
	char			*rawpath;	/* undecoded path */
	char			*rawquery;	/* after '?', or NULL */
	struct kv		*query;
	int			 nquery;
	struct buf		 body;
	int			 toobig;
	char			 reqid[40];
	enum svc		 svc;
	int			 stage;		/* 0 new, 1 body, 2 delayed,
						   3 run, answer held */
	int			 dropped;
	int			 hold_ms;	/* latencyAfterCommitMs */
	int			 clustered;	/* came via /_cluster/ */
	struct timespec		 t0;
	/* response */
	int			 status;
	struct buf		 out;
	const char		*ctype;
	char			*hk[SIM_MAXHDR];
	char			*hv[SIM_MAXHDR];
	int			 nhdr;
	/* identity for the log */
	char			 who[256];
	char			 whoprof[64];
	struct principal	 pr;
};

struct faults {
	int	 latency_ms;
	int	 jitter_ms;
	int	 latency_ac_ms;	/* answer held this long after a request ran */
	double	 p429;
	int	 retry_after;
	double	 p5xx;
	double	 pdrop;
	double	 p500ac;
	double	 p307;
	double	 repl_delay;
	double	 import_s;
	double	 assign_s;
	int	 assign_stuck;
	int	 rate_limit;
	int	 admin_rate_limit;
	char	 match_method[16];
	char	 match_prefix[256];
	int	 body_ac_set;	/* bodyAfterCommit given */
	char	 body_ac[512];	/* the body a committed write answers */
	int	 status_ac;	/* and its status, 0: the real one */
};

struct sim {
	pthread_mutex_t		 mu;		/* guards everything below */
	struct json_object	*state;
	struct json_object	*initial;	/* state right after seeding */
	EVP_PKEY		*key;		/* token signing key */
	char			 kid[64];
	int64_t			 clock_off_ms;
	struct faults		 f;
	struct faults		 f0;		/* command-line faults */
	uint64_t		 rng;
	int			 port;
	size_t			 logmax;
	int			 tls;
};

extern struct sim g;

/* util.c */
void		 buf_add(struct buf *, const void *, size_t);
void		 buf_addstr(struct buf *, const char *);
void		 buf_printf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 buf_release(struct buf *);
char		*b64url_enc(const void *, size_t);
char		*b64_enc(const void *, size_t);
unsigned char	*b64_dec(const char *, size_t, size_t *);
const char	*sim_memmem(const char *, size_t, const char *, size_t);
const char	*sim_strcasestr(const char *, const char *);
void		 sim_iso(int64_t ms, int withms, char *out, size_t);
int64_t		 sim_parse_iso(const char *);
char		*sim_pctdecode(const char *, size_t, int plus);
int		 sim_form_parse(const char *, size_t, struct kv **, int *);
void		 sim_kv_free(struct kv *, int);
const char	*sim_kv_get(const struct kv *, int, const char *);
const char	*sim_q(const struct req *, const char *);
const char	*sim_hdr(const struct req *, const char *);
void		 sim_add_header(struct req *, const char *, const char *);
void		 sim_reply(struct req *, int, const char *, const void *,
		    size_t);
void		 sim_reply_json(struct req *, int, struct json_object *);
void		 sim_reply_empty(struct req *, int);
struct json_object *sim_pub(struct json_object *, int hide);
struct json_object *sim_find(struct json_object *arr, const char *key,
		    const char *val);
struct json_object *sim_find_ci(struct json_object *arr, const char *key,
		    const char *val);
int		 sim_arr_del(struct json_object *arr, struct json_object *);
struct json_object *sim_arr(struct json_object *, const char *);
double		 sim_json_num(struct json_object *, const char *, double);
struct json_object *sim_body_json(struct req *);
int		 sim_streq_ci(const char *, const char *);
int		 sim_multipart(const struct req *, const char **, size_t *);
int		 sim_zip_find(const char *, size_t, const char *,
		    const char **, size_t *);
int		 sim_is_zip(const char *, size_t);
const char	*sim_host(const struct req *);
int		 sim_filter_eq(const char *, char keys[][64], char vals[][256],
		    int max);

/* state.c */
int64_t		 sim_now_ms(void);
int64_t		 sim_now(void);
double		 sim_rand(void);
void		 sim_guid(char out[37]);
void		 sim_randhex(char *, size_t);
int		 sim_visible(struct json_object *);
void		 sim_stamp(struct json_object *);
char		*sim_file_store(const char *, size_t);
char		*sim_file_load(const char *, size_t *);
const char	*sim_scheme(void);

/* jwt.c */
int		 jwt_keygen(void);
int		 jwt_key_load(const char *pem);
char		*jwt_key_pem(void);
char		*jwt_sign(struct json_object *claims);
int		 jwt_split(const char *, struct json_object **hdr,
		    struct json_object **claims);
int		 jwt_verify_sig(const char *, EVP_PKEY *, const char *alg);
int		 jwt_verify_own(const char *, struct json_object **claims);
int		 jwt_verify_hs256(const char *, const char *key);
struct json_object *jwt_jwks(void);
int		 cert_parse(const char *, char **x5t, char **x5ts256,
		    char **derb64, char **thumbhex);
EVP_PKEY	*cert_pubkey(const char *derb64);
void		 sha256_hex(const char *, char out[65]);

/* reqlog.c */
void		 sim_log_init(void);
int		 sim_log_open(const char *);
void		 sim_log_request(struct req *);
void		 sim_log_json(struct buf *, size_t since);
void		 sim_log_principal(struct req *, const char *who,
		    const char *profile);
void		 sim_log_release(void);

/* faults.c */
int		 sim_fault_applies(const struct req *);
void		 sim_faults_to_json(struct json_object *,
		    const struct faults *);
int		 sim_faults_from_json(struct json_object *);
void		 sim_faults_reset_limits(void);
const char	*sim_fault_who(struct req *, char *, size_t);
int		 sim_rate_limited(const char *who);
/*
 * Count a call of admin route (any name) against its budgets per tenant,
 * per_hour and per_min calls (0: none), on the sim clock.  Returns 0 if
 * allowed; otherwise answers 429 with Retry-After and returns -1.
 */
int		 sim_admin_rate_check(struct req *, const char *route,
		    int per_hour, int per_min);
void		 sim_fault_reply(struct req *, int);

/* seed.c */
extern const char *const sim_demo_seed;
struct json_object *sim_seed_normalize(struct json_object *seed,
		    const char *basedir);
void		 sim_state_save(const char *file);

/* control.c */
void		 sim_control_route(struct req *);

/* server.c */
struct sockaddr_in;
struct MHD_Daemon *sim_server_start(struct sockaddr_in *, const char *cert,
		    const char *key);
void		 sim_server_stop(struct MHD_Daemon *);
/*
 * Connections accepted since start or the last reset (cleared if reset),
 * and those open now.
 */
void		 sim_server_conns(long *opened, long *open, int reset);

/* directory.c */
struct json_object *sim_dir_sp_new(const char *appid, const char *name,
		    const char *id);
int		 sim_dir_is_member(const char *groupid, const char *oid);
void		 sim_dir_normalize_app(struct json_object *app);
struct json_object *sim_dir_app_by_appid(const char *appid);
struct json_object *sim_dir_sp_by_appid(const char *appid);
struct json_object *sim_dir_user_by_upn(const char *upn);

/* auth.c */
const char	*sim_resource_of(const char *aud);
int		 sim_auth(struct req *, int pbi);

/* perms.c */
const char	*sim_dir_role_id(const char *name);
int		 sim_graph_permitted(struct req *);
int		 sim_pbi_scoped(struct req *);

/* reply.c */

/*
 * A served route: its path segments after the service prefix ("*" is any
 * one segment), the methods the service defines for the path and the
 * methods pbisim implements, each a ", " separated list.
 */
struct sim_route {
	const char	*path;
	const char	*allow;
	const char	*served;
};

void		 sim_pbi_error(struct req *, int, const char *, const char *,
		    ...) __attribute__((format(printf, 4, 5)));
void		 sim_pbi_error_pbi(struct req *, int, const char *,
		    struct json_object *params);
void		 sim_pbi_no_route(struct req *);
void		 sim_pbi_no_method(struct req *, const char *allow);
int		 sim_route_check(struct req *, int first,
		    const struct sim_route *);
void		 sim_pbi_not_authorized(struct req *);
void		 sim_pbi_reply_list(struct req *, const char *ctxname,
		    struct json_object *val, int count);
void		 sim_graph_error(struct req *, int, const char *, const char *);
void		 sim_entra_error(struct req *, int, const char *error, int code,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

/* entra.c, entra_token.c */
void		 sim_entra_route(struct req *);
void		 sim_entra_devicecode_control(struct req *);
void		 sim_entra_token(struct req *);
int		 sim_entra_parse_scope(struct req *, const char *scope,
		    char *res, size_t, struct buf *names, int *dflt);

/* graph.c */
void		 sim_graph_route(struct req *);

/* pbi_route.c, pbi_content.c */
void		 sim_pbi_route(struct req *);
void		 sim_blob_route(struct req *);

/* collections.c, arm_capacities.c */
void		 sim_coll_route(struct req *);
void		 sim_arm_route(struct req *);
void		 sim_arm_capacities_route(struct req *);

#endif /* PBISIM_SIM_H */
