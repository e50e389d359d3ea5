/*
 * err.h: errors as values.
 *
 * A fallible function returns const struct pbi_err *: NULL on success, or
 * a pointer to this thread's error slot.  The slot is overwritten by the
 * next error raised on the same thread, so a caller that keeps an error
 * across other calls copies it (pbi_err_copy).  Library code never prints;
 * main prints the error once, through pbi_err_str.
 */
#ifndef PBI_ERR_H
#define PBI_ERR_H

#include <stddef.h>

enum pbi_errcode {
	PBI_ERR_NONE,
	PBI_ERR_NOMEM,
	PBI_ERR_ERRNO,		/* a system call failed; errnum is set */
	PBI_ERR_USAGE,		/* bad arguments: main exits 2 */
	PBI_ERR_INPUT,		/* bad input file or value */
	PBI_ERR_CONFIG,		/* settings or environment */
	PBI_ERR_LEDGER,		/* the SQLite ledger */
	PBI_ERR_NET,		/* connection, TLS, timeout */
	PBI_ERR_HTTP,		/* the service answered an error status */
	PBI_ERR_PROTO,		/* the service answered something malformed */
	PBI_ERR_AUTH,		/* Entra ID refused a token */
	PBI_ERR_DEADLINE,	/* retries or polling ran out of time */
	PBI_ERR_NOTFOUND,
	PBI_ERR_CONFLICT,
	PBI_ERR_REFUSED,	/* pbictl refuses: isolation, safety */
	PBI_ERR__MAX
};

struct pbi_err {
	enum pbi_errcode	 code;
	int			 errnum;	/* errno for PBI_ERR_ERRNO */
	long			 status;	/* HTTP status, 0 if none */
	char			 msg[1024];	/* what failed, with context */
	char			 call[256];	/* "POST /v1.0/myorg/groups" */
	char			 svc_code[128];	/* the service's error code */
	char			 svc_msg[512];	/* the service's message */
	char			 svc_detail[128]; /* details[0].code, AADSTS */
	char			 request_id[96];
	char			 hint[256];	/* what to do about it */
};

/* Raise an error on this thread's slot.  Returns the slot. */
const struct pbi_err	*pbi_err(enum pbi_errcode, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
/* Same, with strerror(errno) appended; errno is saved first. */
const struct pbi_err	*pbi_err_errno(const char *, ...)
			    __attribute__((format(printf, 1, 2)));
/* This thread's slot, cleared, for filling field by field. */
struct pbi_err		*pbi_err_slot(void);

/*
 * Put context in front of err's message: "cannot create workspace 'x'"
 * turns "409 PowerBIEntityAlreadyExists" into "cannot create workspace
 * 'x': 409 ...".  Returns err.
 */
const struct pbi_err	*pbi_err_ctx(const struct pbi_err *err,
			    const char *, ...)
			    __attribute__((format(printf, 2, 3)));

/* Put a saved copy back in this thread's slot.  Returns the slot. */
const struct pbi_err	*pbi_err_restore(const struct pbi_err *saved);

/* Copy err into dst (which may be in another thread's keeping). */
void			 pbi_err_copy(struct pbi_err *dst,
			    const struct pbi_err *err);

/*
 * Format err for a person: message, HTTP status, service code and
 * message, the call and the request id.  Returns buf.
 */
const char		*pbi_err_str(const struct pbi_err *err, char *buf,
			    size_t len);

/* Exit status for err: 0 for NULL, 2 for usage, 1 otherwise. */
int			 pbi_err_exit(const struct pbi_err *err);

#endif /* PBI_ERR_H */
