/*
 * migrate_run.c: pbictl migrate run: per customer, export each planned
 * report from its legacy workspace into the staging folder, onboard the
 * customer through the onboarding pipeline (profile, workspace,
 * capacity, the imports), then give DirectQuery datasets their
 * connection string and credentials.  Every step is recorded in
 * migrate_reports, and each is safe to repeat: a staged file whose hash
 * matches is not exported again, publish.c follows or skips imports.
 */
#include "provision.h"
#include "steps.h"
#include "powerbi/powerbi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_REPORTS	256

struct run {
	const struct pbi_migrate_opts	*o;
	struct json_object		*workspaces;	/* the plan's */
};

/*
 * Record report r (a row of pbi_ledger_migrate_reports) in state with
 * reason, and more's values; nothing in a dry run.
 */
static const struct pbi_err *
step(struct pbi_prov *p, struct json_object *r, const char *state,
    const char *reason, const struct pbi_migrate_step *more)
{
	struct pbi_migrate_step	 s;

	if (p->dry_run)
		return NULL;
	memset(&s, 0, sizeof(s));
	if (more != NULL)
		s = *more;
	s.state = state;
	s.reason = reason;
	pj_add_str(r, "state", state);
	pj_add_str(r, "reason", reason);
	return pbi_ledger_migrate_set(p->ledger, pj_str(r, "collection"),
	    pj_str(r, "workspaceId"), pj_str(r, "reportId"), &s);
}

/* Fail report r with err, keeping err for the caller. */
static const struct pbi_err *
fail(struct pbi_prov *p, struct json_object *r, const struct pbi_err *err)
{
	struct pbi_err	 saved;
	char		 buf[1400];

	pbi_err_copy(&saved, err);
	step(p, r, "failed", pbi_err_str(&saved, buf, sizeof(buf)), NULL);
	return pbi_err_restore(&saved);
}

/*
 * The staged package of r at path: kept when its hash is the one
 * recorded, else exported again (to a temporary file renamed into
 * place, so that a killed export leaves nothing that looks staged).
 */
static const struct pbi_err *
stage(struct pbi_prov *p, struct json_object *r, const char *path,
    struct json_object *res)
{
	const struct pbi_err	*err;
	const unsigned char	*map;
	struct pbi_migrate_step	 s;
	const char		*want = pj_str(r, "sha256");
	char			 tmp[4200], sha[65];
	size_t			 len;
	FILE			*f;
	int			 fd;

	if (want != NULL && pbi_map_file(path, (size_t)10 << 30, &map, &len,
	    sha) == NULL) {
		pbi_unmap_file(map, len);
		if (strcmp(sha, want) == 0) {
			pj_add_str(r, "stagedPath", path);
			prov_did(res, pj_str(r, "targetName"), "staged");
			return NULL;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.part", path);
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) <
	    0)
		return pbi_err_errno("cannot create '%s'", tmp);
	if ((f = fdopen(fd, "w+")) == NULL) {
		close(fd);
		return pbi_err_errno("cannot open '%s'", tmp);
	}
	err = wc_export(p->svc, pj_str(r, "collection"), pj_str(r,
	    "workspaceId"), pj_str(r, "reportId"), f);
	if (err == NULL && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		err = pbi_err_errno("cannot write '%s'", tmp);
	if (fclose(f) != 0 && err == NULL)
		err = pbi_err_errno("cannot write '%s'", tmp);
	if (err == NULL && rename(tmp, path) != 0)
		err = pbi_err_errno("cannot rename '%s'", tmp);
	if (err != NULL) {
		unlink(tmp);
		return pbi_err_ctx(err, "cannot export report '%s' from legacy "
		    "workspace %s", pj_str(r, "name"), pj_str(r,
		    "workspaceId"));
	}
	if ((err = pbi_map_file(path, (size_t)10 << 30, &map, &len, sha)))
		return err;
	pbi_unmap_file(map, len);
	memset(&s, 0, sizeof(s));
	s.sha256 = sha;
	s.staged_path = path;
	pj_add_str(r, "sha256", sha);
	pj_add_str(r, "stagedPath", path);
	prov_did(res, pj_str(r, "targetName"), "exported");
	return step(p, r, "exported", NULL, &s);
}

/*
 * Give the new dataset of a DirectQuery report the connection string
 * and the credentials of its entry.  Neither goes anywhere but to the
 * service.
 */
static const struct pbi_err *
configure(struct pbi_prov *p, struct pbi_customer *c, struct json_object *r,
    struct json_object *entry)
{
	const struct pbi_err	*err;
	struct json_object	*details = NULL, *srcs = NULL, *d;
	const char		*prof = prov_as_profile(p, c);
	const char		*ds = pj_str(r, "newDatasetId");
	size_t			 i;
	int64_t			 jid;

	if (ds == NULL)
		return pbi_err(PBI_ERR_PROTO, "report '%s' has no dataset in "
		    "the new workspace", pj_str(r, "targetName"));
	if ((err = prov_begin(p, c->id, "dataset.setAllConnections", ds,
	    &jid)) != NULL)
		return err;
	err = pb_set_connections(p->svc, prof, c->workspace_id, ds,
	    pj_str(entry, "connectionString"));
	prov_end(p, jid, err ? "failed" : "ok", ds, err);
	if (err != NULL)
		return pbi_err_ctx(err, "cannot set the connection string of "
		    "dataset %s", ds);
	if ((err = pbi_credentials_details(entry, "connections", &details)))
		return err;
	if (p->dry_run)
		goto done;
	if ((err = pb_bound_datasources(p->svc, prof, c->workspace_id, ds,
	    &srcs)) != NULL) {
		err = pbi_err_ctx(err, "cannot list the datasources of dataset "
		    "%s", ds);
		goto done;
	}
	for (i = 0; i < pj_len(srcs) && err == NULL; i++) {
		d = pj_idx(srcs, i);
		if (pj_str(d, "gatewayId") == NULL || pj_str(d, "id") == NULL)
			continue;
		if ((err = prov_begin(p, c->id, "datasource.credentials",
		    pj_str(d, "id"), &jid)) != NULL)
			break;
		err = pb_datasource_credentials(p->svc, prof, pj_str(d,
		    "gatewayId"), pj_str(d, "id"), details);
		prov_end(p, jid, err ? "failed" : "ok", pj_str(d, "id"), err);
		if (err != NULL)
			err = pbi_err_ctx(err, "cannot set the credentials of "
			    "datasource %s", pj_str(d, "id"));
	}
	/* What the dataset connects to now belongs to this customer. */
	if (err == NULL)
		err = prov_record_datasources(p, c, prof, ds);
done:
	json_object_put(srcs);
	pbi_json_wipe_put(details);
	return err;
}

/* The display name the plan gives slug's customer, or NULL. */
static const char *
display_name(const struct run *run, const char *slug)
{
	size_t	 i;

	for (i = 0; i < pj_len(run->workspaces); i++)
		if (strcmp(pj_str(pj_idx(run->workspaces, i), "customer"),
		    slug) == 0)
			return pj_str(pj_idx(run->workspaces, i),
			    "displayName");
	return NULL;
}

/*
 * One customer's migration (a pbi_cust_fn; co->ctx is the run): stage
 * its planned reports, onboard it with them, record the new ids, then
 * configure its DirectQuery datasets.  A report that fails is recorded
 * failed and the others go on; the customer then fails with the first
 * such error.
 */
static const struct pbi_err *
migrate_customer(struct pbi_prov *p, const char *slug,
    const struct pbi_cust_opts *co, struct json_object *res)
{
	const struct run	*run = co->ctx;
	const struct pbi_migrate_opts *o = run->o;
	const struct pbi_err	*err = NULL, *first = NULL;
	struct pbi_err		 saved;
	struct pbi_report_file	 files[MAX_REPORTS];
	struct json_object	*rows = NULL, *r, *moved[MAX_REPORTS];
	struct json_object	*led = NULL, *entry, *out, *x;
	struct pbi_cust_opts	 mine;
	struct pbi_customer	 c;
	struct pbi_migrate_step	 s;
	const char		*st, *cls;
	char			 path[4096];
	size_t			 nf = 0, i, j, nfail = 0;
	int			 found;

	memset(files, 0, sizeof(files));
	if ((err = pbi_ledger_migrate_reports(p->ledger, slug, &rows)))
		return err;
	out = json_object_new_array();
	pj_add(res, "migrated", out);
	for (i = 0; i < pj_len(rows); i++) {
		r = pj_idx(rows, i);
		st = pj_str(r, "state");
		cls = pj_str(r, "class");
		x = json_object_new_object();
		json_object_array_add(out, x);
		pj_add_str(x, "report", pj_str(r, "targetName"));
		pj_add_str(x, "class", cls);
		if (strcmp(cls, "push") == 0 || strcmp(cls, "pre2016") == 0 ||
		    strcmp(st, "done") == 0)
			goto show;
		entry = pj_obj(o->connections, pj_str(r, "datasetId"));
		if (strcmp(cls, "directquery") == 0 && entry == NULL) {
			if ((err = step(p, r, "skipped", "no connection given",
			    NULL)) != NULL)
				goto done;
			goto show;
		}
		if (nf == MAX_REPORTS) {
			err = pbi_err(PBI_ERR_INPUT, "customer '%s': more than "
			    "%d reports to move in one run", slug, MAX_REPORTS);
			goto done;
		}
		snprintf(path, sizeof(path), "%s/%s.pbix", o->staging,
		    pj_str(r, "reportId"));
		if (p->dry_run) {
			prov_did(res, pj_str(r, "targetName"), "would export "
			    "and import");
			goto show;
		}
		if ((err = stage(p, r, path, res)) != NULL ||
		    (err = pbi_report_file_load(&files[nf], path,
		    pj_str(r, "targetName"))) != NULL) {
			/* This report fails; the others still move. */
			err = fail(p, r, err);
			if (first == NULL)
				pbi_err_copy(&saved, err), first = &saved;
			nfail++;
			err = NULL;
			goto show;
		}
		/* The path is the mapping's; keep it alive past the loop. */
		files[nf].path = pj_str(r, "stagedPath");
		moved[nf++] = r;
show:
		pj_add_str(x, "state", pj_str(r, "state"));
		pj_add_str(x, "reason", pj_str(r, "reason"));
	}
	/* The onboarding pipeline: profile, workspace, capacity, imports. */
	mine = *co;
	mine.display_name = display_name(run, slug);
	mine.capacity = o->capacity;
	mine.files = files;
	mine.nfiles = nf;
	mine.ctx = NULL;
	if ((err = pbi_customer_onboard(p, slug, &mine, res)) != NULL) {
		for (i = 0; i < nf; i++)
			fail(p, moved[i], err);
		goto done;
	}
	if (p->dry_run || nf == 0)
		goto done;
	if ((err = pbi_ledger_customer(p->ledger, slug, &c, &found)) != NULL)
		goto done;
	if (!found || (err = pbi_ledger_reports(p->ledger, c.workspace_id,
	    &led)) != NULL) {
		if (err == NULL)
			err = pbi_err(PBI_ERR_LEDGER, "customer '%s' vanished "
			    "from the ledger", slug);
		goto done;
	}
	for (i = 0; i < nf; i++) {
		r = moved[i];
		memset(&s, 0, sizeof(s));
		s.workspace_id = c.workspace_id;
		for (j = 0; j < pj_len(led); j++)
			if (strcmp(pj_str(pj_idx(led, j), "name"),
			    files[i].name) == 0) {
				s.report_id = pj_str(pj_idx(led, j), "id");
				s.dataset_id = pj_str(pj_idx(led, j),
				    "datasetId");
			}
		if (s.report_id == NULL) {
			err = fail(p, r, pbi_err(PBI_ERR_PROTO, "report '%s' "
			    "is not recorded after its import", files[i].name));
			goto done;
		}
		pj_add_str(r, "newDatasetId", s.dataset_id);
		if ((err = step(p, r, "imported", NULL, &s)) != NULL)
			goto done;
		if (strcmp(pj_str(r, "class"), "directquery") == 0) {
			entry = pj_obj(o->connections, pj_str(r, "datasetId"));
			if ((err = configure(p, &c, r, entry)) != NULL) {
				fail(p, r, err);
				if (first == NULL)
					pbi_err_copy(&saved, err),
					    first = &saved;
				nfail++;
				err = NULL;
				continue;
			}
			if ((err = step(p, r, "configured", NULL, NULL)))
				goto done;
		}
		if ((err = step(p, r, "done", NULL, NULL)) != NULL)
			goto done;
	}
	/* The states as they are now. */
	json_object_put(rows);
	rows = NULL;
	if ((err = pbi_ledger_migrate_reports(p->ledger, slug, &rows)))
		goto done;
	for (i = 0; i < pj_len(rows) && i < pj_len(out); i++) {
		pj_add_str(pj_idx(out, i), "state", pj_str(pj_idx(rows, i),
		    "state"));
		pj_add_str(pj_idx(out, i), "reason", pj_str(pj_idx(rows, i),
		    "reason"));
		pj_add_str(pj_idx(out, i), "reportId", pj_str(pj_idx(rows, i),
		    "newReportId"));
	}
done:
	if (err == NULL && first != NULL)
		err = pbi_err_ctx(pbi_err_restore(&saved), "%zu report(s) of "
		    "customer '%s' failed", nfail, slug);
	for (i = 0; i < nf; i++)
		pbi_report_file_release(&files[i]);
	json_object_put(led);
	json_object_put(rows);
	return err;
}

/* The key of each collection of the plan, checked by one read. */
static const struct pbi_err *
keys(struct pbi_prov *p, const struct pbi_migrate_opts *o,
    struct json_object *wss)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*w, *seen = json_object_new_object(), *l;
	const char		*coll;
	char			 key[256];
	size_t			 i;

	for (i = 0; err == NULL && i < pj_len(wss); i++) {
		w = pj_idx(wss, i);
		coll = pj_str(w, "collection");
		if (pj_bool(seen, coll, 0))
			continue;
		pj_add_bool(seen, coll, 1);
		if (pj_str(w, "subscription") != NULL) {
			if ((err = wc_arm_key(p->svc, pj_str(w,
			    "subscription"), pj_str(w, "resourceGroup"), coll,
			    key, sizeof(key))) != NULL) {
				err = pbi_err_ctx(err, "cannot read the access "
				    "keys of collection '%s'", coll);
				break;
			}
			err = pbi_svc_appkey(p->svc, coll, key);
			pbi_wipe(key, sizeof(key));
		} else if (o->key == NULL)
			err = pbi_err(PBI_ERR_USAGE, "collection '%s' needs "
			    "its access key: --access-key-file FILE or "
			    "PBICTL_COLLECTION_KEY", coll);
		else
			err = pbi_svc_appkey(p->svc, coll, o->key);
		if (err != NULL)
			break;
		if ((err = wc_workspaces(p->svc, coll, &l)) != NULL) {
			if (err->status == 401 || err->status == 403)
				err = pbi_err_ctx(err, "the access key of "
				    "collection '%s' was refused", coll);
			break;
		}
		json_object_put(l);
	}
	json_object_put(seen);
	return err;
}

const struct pbi_err *
pbi_migrate_run(struct pbi_prov *p, const struct pbi_migrate_opts *o,
    struct json_object **out, size_t *failed)
{
	const struct pbi_err	*err;
	struct pbi_cust_opts	 co;
	struct run		 run;
	const char		**slugs = NULL;
	size_t			 n = 0, i, j;
	int			 dup;

	*out = NULL;
	*failed = 0;
	memset(&run, 0, sizeof(run));
	run.o = o;
	if ((err = pbi_ledger_migrate_workspaces(p->ledger, &run.workspaces)))
		return err;
	if (pj_len(run.workspaces) == 0) {
		err = pbi_err(PBI_ERR_NOTFOUND, "no migration is planned: run "
		    "pbictl migrate plan first");
		goto done;
	}
	for (i = 0; i < o->ncustomers; i++) {
		for (j = 0, dup = 0; j < pj_len(run.workspaces); j++)
			if (strcmp(pj_str(pj_idx(run.workspaces, j),
			    "customer"), o->customers[i]) == 0)
				dup = 1;
		if (!dup) {
			err = pbi_err(PBI_ERR_NOTFOUND, "customer '%s' is not "
			    "in the migration plan", o->customers[i]);
			goto done;
		}
	}
	if ((err = keys(p, o, run.workspaces)) != NULL)
		goto done;
	if (!p->dry_run && mkdir(o->staging, 0700) != 0 && errno != EEXIST) {
		err = pbi_err_errno("cannot create staging folder '%s'",
		    o->staging);
		goto done;
	}
	if ((slugs = calloc(pj_len(run.workspaces), sizeof(*slugs))) == NULL) {
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < pj_len(run.workspaces); i++) {
		const char	*s = pj_str(pj_idx(run.workspaces, i),
		    "customer");

		for (j = 0, dup = 0; j < n; j++)
			if (strcmp(slugs[j], s) == 0)
				dup = 1;
		for (j = 0; o->ncustomers > 0 && !dup; j++) {
			if (j == o->ncustomers) {
				dup = 1;
				break;
			}
			if (strcmp(o->customers[j], s) == 0)
				break;
		}
		if (!dup)
			slugs[n++] = s;
	}
	memset(&co, 0, sizeof(co));
	co.ctx = &run;
	err = pbi_each_customer(p, slugs, n, o->jobs, migrate_customer, &co,
	    "migrate", out, failed);
done:
	free(slugs);
	json_object_put(run.workspaces);
	return err;
}
