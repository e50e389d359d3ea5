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

CMD(init);
CMD(ledger);

/* Print a result: JSON with -o json, else call the table printer. */
void	 cmd_emit(const struct pbi_cmdctx *, struct json_object *,
	    void (*table)(struct json_object *));
/* Parse a positive integer option value, or raise a usage error. */
const struct pbi_err *cmd_posint(const char *opt, const char *v, long max,
	    long *out);

#endif /* PBI_CMD_H */
