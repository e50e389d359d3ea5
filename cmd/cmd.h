/*
 * cmd.h: what every command file shares.  Commands parse arguments, call
 * provision/ and print results; they never print errors (main does).
 */
#ifndef PBI_CMD_H
#define PBI_CMD_H

#include "provision/provision.h"

#include <getopt.h>

/* What main sets up for a command, from the global options. */
struct pbi_cmdctx {
	const char		*progname;
	const char		*ledger_opt;	/* --ledger, or NULL */
	char			*ledger_path;	/* resolved by cmd_setup; owned
						   by main */
	const char		*cloud;		/* --cloud, or NULL */
	enum pbi_outfmt		 out;
	int			 jobs;
	long			 rate;		/* --rate, or 0 */
	int			 dry_run;
	int			 verbose;
	int			 lock_wait;	/* --lock-wait seconds */
	int			 quiet;
	int			 need;		/* NEED_*, from main's table */
	struct pbi_ledger	*ledger;	/* opened for NEED_LEDGER */
	struct pbi_svc		*svc;		/* made for NEED_SVC */
	struct pbi_authconf	 auth;		/* --client-secret-file ... */
	int			 status;	/* exit status with no error */
	char			*failures;	/* "N of M customers failed;
						   first: ...", for main to
						   print (free(3)) */
};

/*
 * What a command or verb needs set up before it works, declared per verb
 * in main's table and done by cmd_setup.
 */
#define NEED_LEDGER	(1 << 0)	/* the ledger, which must exist */
#define NEED_SVC	(1 << 1)	/* credentials and endpoints */
#define NEED_LOCK	(1 << 2)	/* the run lock: it changes things */
#define OUT_JUNIT	(1 << 3)	/* it writes -o junit */
#define NEED_TENANT	(1 << 4)	/* a tenant-wide change: on a shared
					   ledger, the tenant lock */

/*
 * A command or verb: returns NULL on success (exit ctx->status) or the
 * error main prints.  argv[0] is its name; options follow.
 */
typedef const struct pbi_err *(*pbi_cmd_fn)(struct pbi_cmdctx *, int,
    char **);

/* A command's usage: to stdout and exit 0 for -h, else stderr, exit 2. */
#define CMD_USAGE(name)							\
	void usage_##name(int) __attribute__((noreturn))
#define CMD(name)							\
	const struct pbi_err *cmd_##name(struct pbi_cmdctx *, int, char **)

CMD_USAGE(audit);
CMD_USAGE(auth);
CMD_USAGE(capacity);
CMD_USAGE(customer);
CMD_USAGE(grant);
CMD_USAGE(init);
CMD_USAGE(ledger);
CMD_USAGE(migrate);
CMD_USAGE(onboard);
CMD_USAGE(publish);
CMD_USAGE(sp);
CMD_USAGE(token);

CMD(audit);
CMD(auth_status);
CMD(capacity_assign);
CMD(capacity_list);
CMD(customer_add);
CMD(customer_list);
CMD(customer_remove);
CMD(customer_show);
CMD(grant_ensure);
CMD(grant_list);
CMD(grant_revoke);
CMD(init);
CMD(ledger_copy);
CMD(ledger_export);
CMD(ledger_log);
CMD(ledger_status);
CMD(ledger_verify);
CMD(migrate_plan);
CMD(migrate_run);
CMD(migrate_status);
CMD(onboard);
CMD(publish);
CMD(sp_ensure);
CMD(sp_show);
CMD(token);

/*
 * getopt_long(3) for a command or verb: its own options (opts: long
 * ones, and -h as 'h'), with the global options of main's table mixed
 * in, anywhere before "--".  A global option is applied to ctx (a bad
 * value is a usage error: printed, exit 2); the next of the command's
 * own is returned, or -1 at the end, with optind at the first operand.
 * A value is taken by the option it follows: "--display-name -q" is a
 * display name.
 */
int	 cmd_getopt(struct pbi_cmdctx *, int argc, char **argv,
	    const struct option *opts);
/*
 * Parse the options of a verb that has none of its own: -h prints "usage:
 * " synopsis and exits 0; an unknown option calls usage(2).  Returns the
 * index of the first operand.
 */
int	 cmd_plain(struct pbi_cmdctx *, int argc, char **argv,
	    const char *synopsis, void (*usage)(int));

/*
 * Set up what the verb declared in main's table (ctx->need), once, after
 * it has parsed and checked its arguments: the ledger's path; with
 * NEED_LEDGER the ledger; with NEED_SVC credentials and endpoints from
 * the ledger (opened if it exists), the environment and the global
 * options; with NEED_LOCK the ledger's run lock (cmd_take_lock), so
 * that two runs that change the tenant never interleave.  A verb that
 * only reads never takes the lock.  The ledger's trace (-v) and lock
 * wait (--lock-wait) are configured here, before anything opens it.
 */
const struct pbi_err *cmd_setup(struct pbi_cmdctx *);
/*
 * Take the run lock of the ledger for good (held until the process
 * exits).  On a SQLite ledger (l NULL or a file): an exclusive flock(2)
 * on DIR/.NAME.INODE.lock beside the ledger's real path, so that every
 * name of the file takes the same lock; waits up to wait_s seconds for
 * another run, then refuses (PBI_ERR_REFUSED); refuses a ledger with more
 * than one hard link; a no-op when there is no ledger file yet.  On a
 * shared (PostgreSQL) ledger l: the tenant's advisory lock for a
 * NEED_TENANT verb (customers are locked one by one as a run reaches
 * them), nothing else; a lock held past --lock-wait is refused.  A no-op
 * under --dry-run or when the lock is held already.
 */
const struct pbi_err *cmd_take_lock(struct pbi_cmdctx *,
    struct pbi_ledger *l, int wait_s);

/* The customers a command works on, from names, a CSV file or --all. */
struct cmd_targets {
	struct json_object	 *list;		/* [{customer, ...}] */
	struct json_object	 *by_slug;	/* {slug: its row} */
	const char		**slugs;	/* borrowed from list */
	size_t			  n;
};
const struct pbi_err *cmd_targets(struct pbi_cmdctx *, char **names, int n,
	    const char *from, int all, struct cmd_targets *);
/*
 * The usage errors of cmd_targets that need no file and no ledger, for a
 * command to raise before cmd_setup: --all with names, or no customer.
 */
const struct pbi_err *cmd_targets_usage(int n, const char *from, int all);
void	 cmd_targets_release(struct cmd_targets *);
/* Append --param NAME=VALUE to *params ([{name,newValue}]). */
const struct pbi_err *cmd_param(struct json_object **params, const char *kv);
/*
 * The per-customer table or JSON; exit 1 when any failed, and then the
 * one line main also prints on stderr.
 */
void	 cmd_report(struct pbi_cmdctx *, struct json_object *results,
	    size_t failed, size_t skipped);
/* The same for a command's own result o and table of the results. */
void	 cmd_report_table(struct pbi_cmdctx *, struct json_object *o,
	    struct json_object *results, size_t failed,
	    void (*table)(struct json_object *));
/* A workflow context with the ledger's settings, after cmd_setup. */
const struct pbi_err *cmd_prov(struct pbi_cmdctx *, struct pbi_prov *);

/* With --dry-run: print result and the calls not sent; non-zero if so. */
int	 cmd_dry_calls(const struct pbi_cmdctx *, struct json_object *);

/* Print a result: JSON with -o json, else call the table printer. */
void	 cmd_emit(const struct pbi_cmdctx *, struct json_object *,
	    void (*table)(struct json_object *));
/* Parse a positive integer option value, or raise a usage error. */
const struct pbi_err *cmd_posint(const char *opt, const char *v, long max,
	    long *out);

#endif /* PBI_CMD_H */
