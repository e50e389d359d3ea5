/*
 * err.c: errors as values, one slot per thread.
 */
#include "core.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local struct pbi_err	slot;

struct pbi_err *
pbi_err_slot(void)
{
	memset(&slot, 0, sizeof(slot));
	return &slot;
}

const struct pbi_err *
pbi_err(enum pbi_errcode code, const char *fmt, ...)
{
	struct pbi_err	*e = pbi_err_slot();
	va_list		 ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return e;
}

const struct pbi_err *
pbi_err_errno(const char *fmt, ...)
{
	int		 saved = errno;
	struct pbi_err	*e = pbi_err_slot();
	va_list		 ap;
	size_t		 n;

	e->code = PBI_ERR_ERRNO;
	e->errnum = saved;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(saved));
	return e;
}

const struct pbi_err *
pbi_err_ctx(const struct pbi_err *err, const char *fmt, ...)
{
	struct pbi_err	*e = (struct pbi_err *)err;
	char		 pre[512], old[sizeof(e->msg)];
	va_list		 ap;

	if (err == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	if (old[0] != '\0')
		snprintf(e->msg, sizeof(e->msg), "%s: %s", pre, old);
	else
		snprintf(e->msg, sizeof(e->msg), "%s", pre);
	return err;
}

const struct pbi_err *
pbi_err_restore(const struct pbi_err *saved)
{
	if (saved != &slot)
		memcpy(&slot, saved, sizeof(slot));
	return &slot;
}

void
pbi_err_copy(struct pbi_err *dst, const struct pbi_err *err)
{
	if (err == NULL)
		memset(dst, 0, sizeof(*dst));
	else if (dst != err)
		memcpy(dst, err, sizeof(*dst));
}

const char *
pbi_err_str(const struct pbi_err *err, char *buf, size_t len)
{
	size_t	 n = 0;

#define ADD(...) do {							\
	if (n < len)							\
		n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);	\
} while (0)
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (err == NULL)
		return buf;
	ADD("%s", err->msg);
	if (err->status != 0 || err->svc_code[0] != '\0') {
		ADD("%s", err->msg[0] ? ": " : "");
		if (err->status != 0)
			ADD("%ld", err->status);
		if (err->svc_code[0] != '\0')
			ADD("%s%s", err->status ? " " : "", err->svc_code);
		if (err->svc_msg[0] != '\0')
			ADD(" %s", err->svc_msg);
	}
	if (err->call[0] != '\0')
		ADD(" [%s]", err->call);
	if (err->request_id[0] != '\0')
		ADD(" (request id %s)", err->request_id);
	if (err->hint[0] != '\0')
		ADD("; %s", err->hint);
#undef ADD
	/* What a service said must not drive the terminal. */
	pbi_clean_text(buf);
	return buf;
}

int
pbi_err_exit(const struct pbi_err *err)
{
	if (err == NULL)
		return 0;
	return err->code == PBI_ERR_USAGE ? 2 : 1;
}
