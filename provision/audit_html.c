/*
 * audit_html.c: the isolation audit's evidence page (--report
 * FILE.html): one self-contained HTML file, its style inline, no script,
 * no external asset, for an auditor to keep: tenant, time, mode, pbictl
 * version, the summary, who can reach each customer's workspace, and
 * each finding with its remedy.
 */
#include "provision.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "h1{font-size:22px;margin:0 0 .2em}h2{font-size:17px;margin:1.6em 0 "
    ".4em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.4em 0}"
    "th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;"
    "vertical-align:top}th{background:#f3f3f3}"
    "table.meta th{width:11em}"
    ".verdict{font-size:16px;padding:.5em .8em;border-radius:4px;"
    "display:inline-block}.clean{background:#e3f4e3}"
    ".findings{background:#fde2e1}.incomplete{background:#fff0c8}"
    ".counts span.n{font-weight:bold;font-size:18px}"
    ".counts li{display:inline-block;margin-right:1.6em}"
    ".counts{padding:0}"
    ".sev-critical{color:#fff;background:#a40000;font-weight:bold}"
    ".sev-error{background:#f6c4c1}.sev-warning{background:#fbeab0}"
    "td.mono,span.mono{font-family:ui-monospace,monospace;font-size:12px}"
    "footer{margin-top:2em;color:#666;font-size:12px}";

/* Write s with &, <, >, " and ' escaped (NULL as "-"). */
static void
esc(FILE *f, const char *s)
{
	if (s == NULL)
		s = "-";
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			/* Control characters say nothing to a reader. */
			if ((unsigned char)*s < 0x20 && *s != '\n')
				fputc(' ', f);
			else
				fputc(*s, f);
		}
	}
}

static void
meta_row(FILE *f, const char *head, const char *val)
{
	fputs("<tr><th>", f);
	esc(f, head);
	fputs("</th><td>", f);
	esc(f, val);
	fputs("</td></tr>\n", f);
}

static void
finding_rows(FILE *f, struct json_object *a)
{
	struct json_object	*e;
	size_t			 i;

	fputs("<table class=\"findings-table\"><tr><th>severity</th>"
	    "<th>rule</th><th>customer</th><th>workspace</th><th>item</th>"
	    "<th>detail</th><th>remedy</th></tr>\n", f);
	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		fputs("<tr><td class=\"sev-", f);
		esc(f, pj_str(e, "severity"));
		fputs("\">", f);
		esc(f, pj_str(e, "severity"));
		fputs("</td><td class=\"mono\">", f);
		esc(f, pj_str(e, "rule"));
		fputs("</td><td>", f);
		esc(f, pj_str(e, "customer"));
		fputs("</td><td class=\"mono\">", f);
		esc(f, pj_str(e, "workspace"));
		fputs("</td><td class=\"mono\">", f);
		esc(f, pj_str(e, "item"));
		fputs("</td><td>", f);
		esc(f, pj_str(e, "detail"));
		fputs("</td><td>", f);
		esc(f, pj_str(e, "remedy"));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* Who can reach each customer's workspace, member by member. */
static void
reach_table(FILE *f, struct json_object *customers)
{
	struct json_object	*c, *m, *u;
	size_t			 i, j, n;
	char			 num[32];

	fputs("<table id=\"reach\"><tr><th>customer</th><th>workspace</th>"
	    "<th>member</th><th>type</th><th>profile</th>"
	    "<th>access right</th><th>whose, by the ledger</th>"
	    "<th>findings</th></tr>\n", f);
	for (i = 0; i < pj_len(customers); i++) {
		c = pj_idx(customers, i);
		m = pj_arr(c, "members");
		n = pj_len(m) ? pj_len(m) : 1;
		snprintf(num, sizeof(num), "%lld", (long long)(pj_int(c,
		    "critical", 0) + pj_int(c, "error", 0) + pj_int(c,
		    "warning", 0)));
		for (j = 0; j < n; j++) {
			u = pj_idx(m, j);
			fputs("<tr>", f);
			if (j == 0) {
				fprintf(f, "<td rowspan=\"%zu\">", n);
				esc(f, pj_str(c, "customer"));
				fprintf(f, "</td><td rowspan=\"%zu\">", n);
				esc(f, pj_str(c, "workspaceName"));
				fputs("<br><span class=\"mono\">", f);
				esc(f, pj_str(c, "workspace"));
				fputs("</span></td>", f);
			}
			if (u == NULL)
				fputs("<td colspan=\"5\">not read</td>", f);
			else {
				fputs("<td class=\"mono\">", f);
				esc(f, pj_str(u, "identifier"));
				fputs("</td><td>", f);
				esc(f, pj_str(u, "principalType"));
				fputs("</td><td class=\"mono\">", f);
				esc(f, pj_str(u, "profile"));
				fputs("</td><td>", f);
				esc(f, pj_str(u, "accessRight"));
				fputs("</td><td>", f);
				esc(f, pj_str(u, "whose") ? pj_str(u, "whose") :
				    "unknown");
				fputs("</td>", f);
			}
			if (j == 0) {
				fprintf(f, "<td rowspan=\"%zu\">", n);
				esc(f, num);
				fputs("</td>", f);
			}
			fputs("</tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}

static void
page(FILE *f, struct json_object *res)
{
	struct json_object	*s = pj_obj(res, "summary");
	struct json_object	*n = pj_obj(s, "findings"), *u, *d;
	const char		*verdict, *cls;
	char			 buf[64];
	size_t			 i;

	if (!pj_bool(s, "complete", 0)) {
		verdict = "incomplete: some of the tenant could not be "
		    "checked (see below)";
		cls = "incomplete";
	} else if (pj_int(n, "total", 0) > 0) {
		verdict = "findings";
		cls = "findings";
	} else {
		verdict = "clean: no finding";
		cls = "clean";
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>pbictl isolation audit: ", f);
	esc(f, pj_str(s, "tenant"));
	fprintf(f, "</title><style>%s</style></head><body>\n", style);
	fputs("<h1>Isolation audit</h1>\n<table class=\"meta\">\n", f);
	meta_row(f, "tenant", pj_str(s, "tenant"));
	meta_row(f, "started", pj_str(s, "startedAt"));
	meta_row(f, "finished", pj_str(s, "finishedAt"));
	snprintf(buf, sizeof(buf), "%s", pj_str(s, "mode") ?
	    pj_str(s, "mode") : "-");
	meta_row(f, "mode", buf);
	meta_row(f, "why this mode", pj_str(s, "modeReason"));
	meta_row(f, "isolation", pj_str(s, "isolation"));
	meta_row(f, "scope", pj_str(s, "scope") ? pj_str(s, "scope") :
	    "every customer");
	meta_row(f, "pbictl version", pj_str(s, "pbictlVersion"));
	snprintf(buf, sizeof(buf), "%lld", (long long)pj_int(s, "auditId",
	    0));
	meta_row(f, "audit id in the ledger", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)pj_int(s, "requests",
	    0));
	meta_row(f, "requests used", buf);
	fputs("</table>\n<h2>Summary</h2>\n", f);
	fprintf(f, "<p id=\"verdict\" class=\"verdict %s\">", cls);
	esc(f, verdict);
	fputs("</p>\n<ul class=\"counts\">\n", f);
	fprintf(f, "<li id=\"customers\"><span class=\"n\">%lld</span> "
	    "customers checked</li>\n", (long long)pj_int(s, "customers", 0));
	fprintf(f, "<li id=\"critical\"><span class=\"n\">%lld</span> "
	    "critical</li>\n", (long long)pj_int(n, "critical", 0));
	fprintf(f, "<li id=\"error\"><span class=\"n\">%lld</span> "
	    "errors</li>\n", (long long)pj_int(n, "error", 0));
	fprintf(f, "<li id=\"warning\"><span class=\"n\">%lld</span> "
	    "warnings</li>\n</ul>\n", (long long)pj_int(n, "warning", 0));
	u = pj_arr(s, "unchecked");
	if (pj_len(u) > 0) {
		fputs("<h2>Not checked</h2>\n<ul id=\"unchecked\">\n", f);
		for (i = 0; i < pj_len(u); i++) {
			fputs("<li>", f);
			esc(f, pj_str(pj_idx(u, i), "what"));
			fputs(": ", f);
			esc(f, pj_str(pj_idx(u, i), "why"));
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("<h2>Who can reach each workspace</h2>\n", f);
	reach_table(f, pj_arr(res, "customers"));
	fputs("<h2>Findings</h2>\n", f);
	if (pj_len(pj_arr(res, "findings")) == 0)
		fputs("<p>None.</p>\n", f);
	else
		finding_rows(f, pj_arr(res, "findings"));
	if ((d = pj_obj(res, "diff")) != NULL) {
		fputs("<h2>Since the previous audit</h2>\n", f);
		if (pj_obj(d, "previous") == NULL)
			fputs("<p>No earlier complete audit of this scope.</p>"
			    "\n", f);
		else {
			fputs("<p>Compared with audit ", f);
			snprintf(buf, sizeof(buf), "%lld", (long long)pj_int(
			    pj_obj(d, "previous"), "auditId", 0));
			esc(f, buf);
			fputs(" of ", f);
			esc(f, pj_str(pj_obj(d, "previous"), "startedAt"));
			fputs(".</p>\n<h3>New</h3>\n", f);
			finding_rows(f, pj_arr(d, "new"));
			fputs("<h3>Resolved</h3>\n", f);
			finding_rows(f, pj_arr(d, "resolved"));
		}
	}
	fputs("<footer>Written by pbictl audit.  Each rule and remedy is "
	    "described in pbictl-audit(1).</footer>\n</body></html>\n", f);
}

/* Remove tmp, then raise errno's error about path. */
static const struct pbi_err *
fail(const char *tmp, const char *path)
{
	int	 e = errno;

	unlink(tmp);
	errno = e;
	return pbi_err_errno("cannot write '%s'", path);
}

const struct pbi_err *
pbi_audit_html(struct json_object *res, const char *path)
{
	struct stat	 sb;
	char		 tmp[4096];
	FILE		*f;
	int		 fd;

	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
		return pbi_err(PBI_ERR_INPUT, "--report '%s': not a regular "
		    "file", path);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp))
		return pbi_err(PBI_ERR_INPUT, "--report: path too long");
	if ((fd = mkstemp(tmp)) == -1)
		return pbi_err_errno("cannot create '%s'", tmp);
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return fail(tmp, path);
	}
	page(f, res);
	if (fflush(f) != 0 || ferror(f) || fsync(fd) != 0) {
		fclose(f);
		return fail(tmp, path);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return fail(tmp, path);
	return NULL;
}
