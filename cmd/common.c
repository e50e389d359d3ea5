/*
 * common.c: what the customer commands share: which customers, the
 * parameters, and the per-customer report.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

void
cmd_targets_release(struct cmd_targets *t)
{
	json_object_put(t->list);
	json_object_put(t->by_slug);
	free(t->slugs);
	memset(t, 0, sizeof(*t));
}

const struct pbi_err *
cmd_targets_usage(int n, const char *from, int all)
{
	if (all && (n > 0 || from != NULL))
		return pbi_err(PBI_ERR_USAGE, "--all excludes naming "
		    "customers");
	if (n == 0 && from == NULL && !all)
		return pbi_err(PBI_ERR_USAGE, "name at least one customer");
	return NULL;
}

/* pbi_ledger_customers_each's fn for --all: the row's name to list arg. */
static const struct pbi_err *
target_add(void *arg, struct json_object *row)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	pj_add_str(o, "customer", pj_str(row, "customer"));
	json_object_array_add(arg, o);
	return NULL;
}

const struct pbi_err *
cmd_targets(struct pbi_cmdctx *ctx, char **names, int n, const char *from,
    int all, struct cmd_targets *t)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*o;
	size_t			 i;
	int			 k;

	memset(t, 0, sizeof(*t));
	if (all && (n > 0 || from != NULL))
		return cmd_targets_usage(n, from, all);
	if (from != NULL && (err = pbi_csv_customers(from, &t->list)) != NULL)
		return err;
	if (t->list == NULL)
		t->list = json_object_new_array();
	for (k = 0; k < n; k++) {
		if (!pbi_slug_ok(names[k])) {
			err = pbi_err(PBI_ERR_INPUT, "invalid customer name "
			    "'%s': use 1 to 63 lowercase letters, digits and "
			    "'-'", names[k]);
			goto done;
		}
		o = json_object_new_object();
		pj_add_str(o, "customer", names[k]);
		json_object_array_add(t->list, o);
	}
	if (all) {
		/* Only the names, read as they come. */
		if ((err = pbi_ledger_customers_each(ctx->ledger, 0,
		    target_add, t->list)) != NULL)
			goto done;
	}
	t->n = pj_len(t->list);
	if (t->n == 0) {
		err = pbi_err(PBI_ERR_USAGE, all ? "the ledger has no "
		    "customers" : "name at least one customer");
		goto done;
	}
	if ((t->slugs = calloc(t->n, sizeof(*t->slugs))) == NULL) {
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < t->n; i++)
		t->slugs[i] = pj_str(pj_idx(t->list, i), "customer");
	/* A name twice: one hashed lookup a name (linear in n). */
	if ((t->by_slug = json_object_new_object()) == NULL) {
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < t->n; i++) {
		if (json_object_object_get_ex(t->by_slug, t->slugs[i], NULL)) {
			err = pbi_err(PBI_ERR_INPUT, "customer '%s' is "
			    "named twice", t->slugs[i]);
			goto done;
		}
		json_object_object_add(t->by_slug, t->slugs[i],
		    json_object_get(pj_idx(t->list, i)));
	}
done:
	if (err != NULL)
		cmd_targets_release(t);
	return err;
}

const struct pbi_err *
cmd_param(struct json_object **params, const char *kv)
{
	const char		*eq = strchr(kv, '=');
	struct json_object	*o;

	if (eq == NULL || eq == kv)
		return pbi_err(PBI_ERR_USAGE, "--param: expected NAME=VALUE, "
		    "not '%s'", kv);
	if (*params == NULL)
		*params = json_object_new_array();
	if (pj_len(*params) >= 100)
		return pbi_err(PBI_ERR_USAGE, "--param: at most 100 "
		    "parameters (api-facts 3.6)");
	o = json_object_new_object();
	pj_add(o, "name", json_object_new_string_len(kv, (int)(eq - kv)));
	pj_add_str(o, "newValue", eq + 1);
	json_object_array_add(*params, o);
	return NULL;
}

static void
print_results(struct json_object *o)
{
	static const char *const heads[] = { "CUSTOMER", "STATUS",
	    "WORKSPACE", "CAPACITY", "REPORTS", "ERROR", NULL };
	struct json_object	*a = pj_arr(o, "customers"), *r, *reps;
	struct pbi_table	*t;
	char			 nrep[256];
	const char		*act;
	size_t			 i, j, n;

	if ((t = pbi_table_new(heads)) == NULL)
		return;
	for (i = 0; i < pj_len(a); i++) {
		r = pj_idx(a, i);
		reps = pj_arr(r, "reports");
		nrep[0] = '\0';
		for (j = 0; reps && j < pj_len(reps); j++) {
			n = strlen(nrep);
			act = pj_str(pj_idx(reps, j),
			    "action");
			snprintf(nrep + n, sizeof(nrep) - n, "%s%s:%s",
			    j ? " " : "", pj_str(pj_idx(reps,
			    j), "name"), act ? act : "failed");
		}
		const char *cells[] = { pj_str(r, "customer"),
		    pj_str(r, "status"), pj_str(r, "workspaceId"),
		    pj_str(r, "capacityId"), nrep[0] ? nrep : NULL,
		    pj_str(r, "error") };
		pbi_table_row(t, cells);
	}
	pbi_table_print(t, stdout);
	pbi_table_free(t);
	if (pj_int(o, "failed", 0) > 0 || pj_int(o, "skipped", 0) > 0)
		printf("%lld of %lld failed, %lld skipped\n",
		    (long long)pj_int(o, "failed", 0),
		    (long long)pj_len(a),
		    (long long)pj_int(o, "skipped", 0));
}

/*
 * The line main prints on stderr when customers failed: how many, and
 * the first of them with its error, on one line.
 */
static void
set_failures(struct pbi_cmdctx *ctx, struct json_object *results,
    size_t failed)
{
	struct json_object	*r = NULL;
	const char		*e;
	char			*s;
	size_t			 i, n;

	for (i = 0; i < pj_len(results) && r == NULL; i++)
		if (pj_str(pj_idx(results, i), "status") != NULL &&
		    strcmp(pj_str(pj_idx(results, i), "status"), "failed") ==
		    0)
			r = pj_idx(results, i);
	e = r && pj_str(r, "error") ? pj_str(r, "error") : "?";
	n = strlen(e) + 256;
	if ((s = malloc(n)) == NULL)
		return;
	snprintf(s, n, "%zu of %zu customer%s failed; first: %s: %s", failed,
	    pj_len(results), pj_len(results) == 1 ? "" : "s",
	    r ? pj_str(r, "customer") : "?", e);
	/* One line, whatever the service's message held. */
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			s[i] = ' ';
	free(ctx->failures);
	ctx->failures = s;
}

void
cmd_report(struct pbi_cmdctx *ctx, struct json_object *results,
    size_t failed, size_t skipped)
{
	struct json_object	*o = json_object_new_object();

	pj_add(o, "customers", json_object_get(results));
	pj_add_int(o, "failed", (int64_t)failed);
	pj_add_int(o, "skipped", (int64_t)skipped);
	cmd_report_table(ctx, o, results, failed, print_results);
	json_object_put(o);
}

void
cmd_report_table(struct pbi_cmdctx *ctx, struct json_object *o,
    struct json_object *results, size_t failed,
    void (*table)(struct json_object *))
{
	if (!cmd_dry_calls(ctx, o))
		cmd_emit(ctx, o, table);
	if (failed > 0) {
		ctx->status = 1;
		set_failures(ctx, results, failed);
	}
}

const struct pbi_err *
cmd_prov(struct pbi_cmdctx *ctx, struct pbi_prov *p)
{
	pbi_prov_init(p, ctx->svc, ctx->ledger, ctx->dry_run);
	p->quiet = ctx->quiet;
	/* A verb that changes customers locks each on a shared ledger. */
	p->lock_customers = (ctx->need & NEED_LOCK) != 0;
	return pbi_prov_load(p);
}
