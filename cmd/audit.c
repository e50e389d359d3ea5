/*
 * audit.c: pbictl audit, the isolation audit: every breach of customer
 * isolation the service shows against the ledger, as a table, JSON,
 * JUnit XML or an HTML evidence page, with an exit status for CI.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_SYNOPSIS							\
	"pbictl audit [--customer NAME]... "				\
	"[--mode auto|admin|workspace] [--probe]\n"			\
	"              [--fail-on SEVERITY] [--report FILE.html] [--diff]\n"

/* Exit statuses beyond 0, 1 and 2 (pbictl-audit(1) EXIT STATUS). */
#define EXIT_INCOMPLETE	3

void
usage_audit(int status)
{
	fputs("usage: " AUDIT_SYNOPSIS, status ? stderr : stdout);
	exit(status);
}

/* The rules that had findings, with their remedies, once each. */
static void
print_remedies(struct json_object *findings)
{
	struct json_object	*seen = json_object_new_object(), *f;
	size_t			 i;

	for (i = 0; i < pj_len(findings); i++) {
		f = pj_idx(findings, i);
		if (json_object_object_get_ex(seen, pj_str(f, "rule"), NULL))
			continue;
		if (json_object_object_length(seen) == 0)
			printf("\nremedies:\n");
		json_object_object_add(seen, pj_str(f, "rule"), NULL);
		printf("  %s: %s\n", pj_str(f, "rule"), pj_str(f, "remedy"));
	}
	json_object_put(seen);
}

/* The findings of a, grouped by customer (the tenant's first). */
static void
print_findings(struct json_object *a)
{
	static const char *const heads[] = { "CUSTOMER", "SEVERITY", "RULE",
	    "WORKSPACE", "ITEM", "DETAIL", NULL };
	struct pbi_table	*t;
	struct json_object	*f;
	size_t			 i;

	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < pj_len(a); i++) {
		f = pj_idx(a, i);
		const char *cells[] = { pj_str(f, "customer") ?
		    pj_str(f, "customer") : "(tenant)", pj_str(f, "severity"),
		    pj_str(f, "rule"), pj_str(f, "workspace"),
		    pj_str(f, "item"), pj_str(f, "detail") };
		pbi_table_row(t, cells);
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
}

static void
print_audit(struct json_object *res)
{
	struct json_object	*s = pj_obj(res, "summary"), *n, *u, *d;
	size_t			 i;

	n = pj_obj(s, "findings");
	if (pj_len(pj_arr(res, "findings")) > 0) {
		print_findings(pj_arr(res, "findings"));
		print_remedies(pj_arr(res, "findings"));
	}
	if ((d = pj_obj(res, "diff")) != NULL) {
		if (pj_obj(d, "previous") == NULL)
			printf("\nno earlier complete audit of this scope to "
			    "compare with\n");
		else {
			printf("\nsince audit %lld of %s: %zu new, %zu "
			    "resolved\n", (long long)pj_int(pj_obj(d,
			    "previous"), "auditId", 0), pj_str(pj_obj(d,
			    "previous"), "startedAt"), pj_len(pj_arr(d, "new")),
			    pj_len(pj_arr(d, "resolved")));
			if (pj_len(pj_arr(d, "new")) > 0) {
				printf("new:\n");
				print_findings(pj_arr(d, "new"));
			}
			if (pj_len(pj_arr(d, "resolved")) > 0) {
				printf("resolved:\n");
				print_findings(pj_arr(d, "resolved"));
			}
		}
	}
	u = pj_arr(s, "unchecked");
	if (pj_len(u) > 0) {
		printf("\nnot checked:\n");
		for (i = 0; i < pj_len(u); i++)
			printf("  %s: %s\n", pj_str(pj_idx(u, i), "what"),
			    pj_str(pj_idx(u, i), "why"));
	}
	if (pj_len(pj_arr(res, "findings")) > 0 || pj_len(u) > 0 ||
	    pj_obj(res, "diff") != NULL)
		putchar('\n');
	printf("%s: %lld customers checked: %lld critical, %lld errors, "
	    "%lld warnings; %lld requests; %s mode (%s)\n",
	    pj_bool(s, "complete", 0) ? pj_int(n, "total", 0) ? "findings" :
	    "clean" : "INCOMPLETE", (long long)pj_int(s, "customers", 0),
	    (long long)pj_int(n, "critical", 0),
	    (long long)pj_int(n, "error", 0),
	    (long long)pj_int(n, "warning", 0),
	    (long long)pj_int(s, "requests", 0), pj_str(s, "mode"),
	    pj_str(s, "modeReason"));
}

/* s for XML text or an attribute. */
static void
xml(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

/* Is finding f about customer (NULL: the tenant)? */
static int
about(struct json_object *f, const char *customer)
{
	const char	*c = pj_str(f, "customer");

	if (customer == NULL)
		return c == NULL;
	return c != NULL && strcmp(c, customer) == 0;
}

/* How many findings at or above fail_on the JUnit cases report. */
static size_t
junit_failures(struct json_object *findings, int fail_on)
{
	size_t	 i, n = 0;

	for (i = 0; i < pj_len(findings); i++)
		n += pbi_severity_rank(pj_str(pj_idx(findings, i),
		    "severity")) >= fail_on;
	return n;
}

/* One test case: the findings of customer (NULL: the tenant's). */
static void
junit_case(struct json_object *findings, const char *customer, int fail_on)
{
	struct json_object	*f;
	size_t			 i, below = 0;

	fputs("    <testcase classname=\"pbictl.audit\" name=\"", stdout);
	xml(stdout, customer ? customer : "tenant");
	fputs("\">\n", stdout);
	for (i = 0; i < pj_len(findings); i++) {
		f = pj_idx(findings, i);
		if (!about(f, customer))
			continue;
		if (pbi_severity_rank(pj_str(f, "severity")) < fail_on) {
			below++;
			continue;
		}
		fputs("      <failure type=\"", stdout);
		xml(stdout, pj_str(f, "rule"));
		fputs("\" message=\"", stdout);
		xml(stdout, pj_str(f, "severity"));
		fputs(": ", stdout);
		xml(stdout, pj_str(f, "detail"));
		fputs("\">", stdout);
		xml(stdout, pj_str(f, "detail"));
		fputs("\nworkspace: ", stdout);
		xml(stdout, pj_str(f, "workspace") ? pj_str(f, "workspace") :
		    "-");
		fputs("\nitem: ", stdout);
		xml(stdout, pj_str(f, "item") ? pj_str(f, "item") : "-");
		fputs("\nremedy: ", stdout);
		xml(stdout, pj_str(f, "remedy"));
		fputs("</failure>\n", stdout);
	}
	if (below > 0)
		printf("      <system-out>%zu finding(s) below --fail-on</"
		    "system-out>\n", below);
	fputs("    </testcase>\n", stdout);
}

/* JUnit XML: one test case per customer, findings as failures. */
static void
print_junit(struct json_object *res, int fail_on)
{
	struct json_object	*s = pj_obj(res, "summary");
	struct json_object	*cs = pj_arr(res, "customers"), *u;
	struct json_object	*f = pj_arr(res, "findings");
	size_t			 i, tests, failures, tenant = 0;
	FILE			*out = stdout;

	for (i = 0; i < pj_len(f); i++)
		if (about(pj_idx(f, i), NULL))
			tenant = 1;
	u = pj_arr(s, "unchecked");
	tests = pj_len(cs) + tenant + (pj_len(u) > 0);
	failures = junit_failures(f, fail_on);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"pbictl audit\" tests=\"%zu\" "
	    "failures=\"%zu\" errors=\"%d\">\n  <testsuite name=\"isolation "
	    "audit\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" "
	    "skipped=\"0\" timestamp=\"", tests, failures, pj_len(u) > 0,
	    tests, failures, pj_len(u) > 0);
	xml(out, pj_str(s, "startedAt"));
	fprintf(out, "\" time=\"%.3f\">\n", json_object_get_double(pj_path(s,
	    "seconds")));
	fputs("    <properties>\n      <property name=\"mode\" value=\"",
	    out);
	xml(out, pj_str(s, "mode"));
	fputs("\"/>\n      <property name=\"tenant\" value=\"", out);
	xml(out, pj_str(s, "tenant"));
	fputs("\"/>\n    </properties>\n", out);
	if (tenant)
		junit_case(f, NULL, fail_on);
	for (i = 0; i < pj_len(cs); i++)
		junit_case(f, pj_str(pj_idx(cs, i), "customer"), fail_on);
	if (pj_len(u) > 0) {
		fputs("    <testcase classname=\"pbictl.audit\" "
		    "name=\"complete\">\n      <error message=\"the audit "
		    "could not check everything\">", out);
		for (i = 0; i < pj_len(u); i++) {
			xml(out, pj_str(pj_idx(u, i), "what"));
			fputs(": ", out);
			xml(out, pj_str(pj_idx(u, i), "why"));
			fputc('\n', out);
		}
		fputs("</error>\n    </testcase>\n", out);
	}
	fputs("  </testsuite>\n</testsuites>\n", out);
}

const struct pbi_err *
cmd_audit(struct pbi_cmdctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "customer",	required_argument, NULL, 'c' },
		{ "mode",	required_argument, NULL, 'm' },
		{ "probe",	no_argument,	   NULL, 'P' },
		{ "fail-on",	required_argument, NULL, 'f' },
		{ "report",	required_argument, NULL, 'r' },
		{ "diff",	no_argument,	   NULL, 'd' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const struct pbi_err	*err;
	struct pbi_audit_opts	 o;
	struct pbi_prov		 p;
	struct json_object	*res = NULL, *f;
	const char		**names = NULL, *report = NULL;
	size_t			 i, n = 0;
	int			 ch, fail_on = 2, worst = 0;

	memset(&o, 0, sizeof(o));
	o.fail_on = "error";
	if ((names = calloc((size_t)argc + 1, sizeof(*names))) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	while ((ch = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'c':
			if (!pbi_slug_ok(optarg)) {
				free(names);
				return pbi_err(PBI_ERR_USAGE, "--customer: "
				    "invalid customer name '%s'", optarg);
			}
			names[n++] = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "auto") == 0)
				o.mode = PBI_AUDIT_AUTO;
			else if (strcmp(optarg, "admin") == 0)
				o.mode = PBI_AUDIT_ADMIN;
			else if (strcmp(optarg, "workspace") == 0)
				o.mode = PBI_AUDIT_WORKSPACE;
			else {
				free(names);
				return pbi_err(PBI_ERR_USAGE, "--mode: "
				    "expected auto, admin or workspace, not "
				    "'%s'", optarg);
			}
			break;
		case 'P':
			o.probe = 1;
			break;
		case 'f':
			if (strcmp(optarg, "none") == 0)
				fail_on = 4;
			else if ((fail_on = pbi_severity_rank(optarg)) == 0) {
				free(names);
				return pbi_err(PBI_ERR_USAGE, "--fail-on: "
				    "expected critical, error, warning or "
				    "none, not '%s'", optarg);
			}
			o.fail_on = optarg;
			break;
		case 'r':
			report = optarg;
			break;
		case 'd':
			o.diff = 1;
			break;
		case 'h':
			free(names);
			usage_audit(0);
		default:
			free(names);
			usage_audit(2);
		}
	}
	if (optind < argc) {
		err = pbi_err(PBI_ERR_USAGE, "unexpected argument '%s'",
		    argv[optind]);
		free(names);
		return err;
	}
	o.customers = n > 0 ? names : NULL;
	o.ncustomers = n;
	/* The audit reads: eight at a time unless told. */
	o.jobs = ctx->jobs > 0 ? ctx->jobs : 8;
	if ((err = cmd_setup(ctx)) != NULL || (err = cmd_prov(ctx, &p)) !=
	    NULL) {
		free(names);
		return err;
	}
	err = pbi_audit(&p, &o, &res);
	pbi_prov_release(&p);
	free(names);
	if (err != NULL)
		return err;
	if (report != NULL && (err = pbi_audit_html(res, report)) != NULL) {
		json_object_put(res);
		return err;
	}
	if (ctx->out == PBI_OUT_JUNIT)
		print_junit(res, fail_on);
	else
		cmd_emit(ctx, res, print_audit);
	for (i = 0; i < pj_len(pj_arr(res, "findings")); i++) {
		f = pj_idx(pj_arr(res, "findings"), i);
		if (pbi_severity_rank(pj_str(f, "severity")) > worst)
			worst = pbi_severity_rank(pj_str(f, "severity"));
	}
	if (!pj_bool(pj_obj(res, "summary"), "complete", 0))
		ctx->status = EXIT_INCOMPLETE;
	else
		ctx->status = worst >= fail_on;
	json_object_put(res);
	return NULL;
}
