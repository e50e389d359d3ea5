/*
 * cmd.h: what every command file shares.  Commands parse arguments, call
 * provision/ and print results; they never print errors (main does).
 */
#ifndef PBI_CMD_H
#define PBI_CMD_H

#include "provision/provision.h"

/* What main sets up for a command, from the global options. */
struct pbi_cmdctx {
	const char		*progname;
	char			*ledger_path;	/* resolved; owned by main */
	const char		*cloud;		/* --cloud, or NULL */
	enum pbi_outfmt		 out;
	int			 jobs;
	int			 dry_run;
	int			 verbose;
	int			 quiet;
	struct pbi_ledger	*ledger;	/* opened for NEED_LEDGER */
	struct pbi_svc		*svc;		/* made by cmd_svc */
	struct pbi_authconf	 auth;		/* --client-secret-file ... */
	int			 status;	/* exit status with no error */
};

/* Flags of a command in main's table. */
#define NEED_LEDGER	(1 << 0)	/* open the ledger before the command */


/*
 * A command: returns NULL on success (exit ctx->status) or the error main
 * prints.  argv[0] is the command's name; options follow.
 */
typedef const struct pbi_err *(*pbi_cmd_fn)(struct pbi_cmdctx *, int,
    char **);

#define CMD(name)							\
	const struct pbi_err *cmd_##name(struct pbi_cmdctx *, int, char **); \
	void usage_##name(int) __attribute__((noreturn))

CMD(auth);
CMD(capacity);
CMD(customer);
CMD(grant);
CMD(init);
CMD(ledger);
CMD(onboard);
CMD(publish);
CMD(sp);

/* The customers a command works on, from names, a CSV file or --all. */
struct cmd_targets {
	struct json_object	 *list;		/* [{customer, ...}] */
	const char		**slugs;	/* borrowed from list */
	size_t			  n;
};
const struct pbi_err *cmd_targets(struct pbi_cmdctx *, char **names, int n,
	    const char *from, int all, struct cmd_targets *);
void	 cmd_targets_release(struct cmd_targets *);
/* Append --param NAME=VALUE to *params ([{name,newValue}]). */
const struct pbi_err *cmd_param(struct json_object **params, const char *kv);
/* The per-customer table or JSON; exit 1 when any failed. */
void	 cmd_report(struct pbi_cmdctx *, struct json_object *results,
	    size_t failed, size_t skipped);
/* cmd_svc, then a workflow context with the ledger's settings. */
const struct pbi_err *cmd_prov(struct pbi_cmdctx *, struct pbi_prov *);

/* With --dry-run: print result and the calls not sent; non-zero if so. */
int	 cmd_dry_calls(const struct pbi_cmdctx *, struct json_object *);

/* Print a result: JSON with -o json, else call the table printer. */
void	 cmd_emit(const struct pbi_cmdctx *, struct json_object *,
	    void (*table)(struct json_object *));
/*
 * Set up ctx->svc, once, for a command about to call the services, after
 * it has checked its arguments: credentials and endpoints from the ledger
 * (opened if it exists), the environment and the global options.
 */
const struct pbi_err *cmd_svc(struct pbi_cmdctx *);
/*
 * Take the ledger's run lock (LEDGER.lock, flock) for a command that
 * changes the tenant: two runs never interleave their steps.
 */
const struct pbi_err *cmd_lock(struct pbi_cmdctx *);
/* Parse a positive integer option value, or raise a usage error. */
const struct pbi_err *cmd_posint(const char *opt, const char *v, long max,
	    long *out);

#endif /* PBI_CMD_H */
