/*
 * publish.c: a .pbix to a customer's workspace: the import (multipart or
 * through a temporary upload location) and its polling, then dataset
 * parameters, datasource credentials and a refresh.  An interrupted
 * import is followed on a re-run, never raced or duplicated.
 */
#include "provision.h"
#include "steps.h"
#include "powerbi/powerbi.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct pbi_err *
pbi_report_file_load(struct pbi_report_file *f, const char *path,
    const char *name)
{
	const struct pbi_err	*err;
	const char		*base;
	size_t			 n;

	memset(f, 0, sizeof(*f));
	f->path = path;
	/* 10 GB: the most a Premium capacity imports (api-facts 3.4). */
	if ((err = pbi_map_file(path, (size_t)10 << 30, &f->data, &f->len,
	    NULL)) != NULL)
		return err;
	/* The check reads the end and the directory; the hash all. */
	if ((err = pbi_pbix_check(path, f->data, f->len)) != NULL ||
	    (err = pbi_sha256_hex(f->data, f->len, f->sha256)) != NULL) {
		pbi_report_file_release(f);
		return err;
	}
	if (name == NULL) {
		base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		n = strlen(base);
		if (n > 5 && strcasecmp(base + n - 5, ".pbix") == 0)
			n -= 5;
		snprintf(f->name, sizeof(f->name), "%.*s", (int)n, base);
	} else
		pbi_strlcpy(f->name, name, sizeof(f->name));
	if (f->name[0] == '\0') {
		pbi_report_file_release(f);
		return pbi_err(PBI_ERR_INPUT, "'%s': no report name", path);
	}
	return NULL;
}

void
pbi_report_file_release(struct pbi_report_file *f)
{
	pbi_unmap_file(f->data, f->len);
	f->data = NULL;
}

/*
 * Wait for an import to end, fresh when this call just started it (the
 * first poll then goes when imports have been taking); *imp receives
 * its last state.
 */
static const struct pbi_err *
poll_import(struct pbi_prov *p, const char *prof, const char *ws,
    const char *id, int fresh, struct json_object **imp)
{
	const struct pbi_err	*err = NULL;
	struct prov_poll	 pl;
	const char		*s;
	int64_t			 end;

	end = pbi_now_ms() + prov_env_ms("PBICTL_IMPORT_TIMEOUT", 900);
	prov_poll_begin(&pl, p, PROV_ASYNC_IMPORT, 200, fresh);
	for (;;) {
		json_object_put(*imp);
		*imp = NULL;
		prov_poll_wait(&pl, end);
		if ((err = pb_import_get(p->svc, prof, ws, id, imp)) != NULL)
			return err;
		s = pj_str(*imp, "importState");
		if (s != NULL && strcmp(s, "Succeeded") == 0) {
			prov_poll_seen(&pl, 1);
			return NULL;
		}
		if (s != NULL && strcmp(s, "Failed") == 0) {
			struct pbi_err	*e = pbi_err_slot();

			e->code = PBI_ERR_HTTP;
			snprintf(e->msg, sizeof(e->msg), "import %s failed",
			    id);
			pbi_strlcpy(e->svc_code, pj_path_str(*imp,
			    "error.code") ? pj_path_str(*imp, "error.code") :
			    "Failed", sizeof(e->svc_code));
			pbi_strlcpy(e->svc_msg, pj_path_str(*imp,
			    "error.message") ? pj_path_str(*imp,
			    "error.message") : "", sizeof(e->svc_msg));
			return e;
		}
		if (prov_poll_seen(&pl, 0) > end)
			return pbi_err(PBI_ERR_DEADLINE, "import %s is still "
			    "%s; re-run to resume", id, s ? s : "pending");
	}
}

/*
 * Wait for the dataset's latest refresh to end (status "Unknown" while
 * it runs, api-facts 3.6), backing off, to $PBICTL_REFRESH_TIMEOUT.
 */
static const struct pbi_err *
poll_refresh(struct pbi_prov *p, const char *prof, const char *ws,
    const char *dataset)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*all = NULL, *last;
	const char		*st;
	int64_t			 end, wait = 500;

	end = pbi_now_ms() + prov_env_ms("PBICTL_REFRESH_TIMEOUT", 1800);
	for (;;) {
		json_object_put(all);
		all = NULL;
		if ((err = pb_refreshes(p->svc, prof, ws, dataset, &all)))
			break;
		last = pj_idx(all, 0);
		st = pj_str(last, "status");
		if (st != NULL && strcmp(st, "Completed") == 0)
			break;
		if (st != NULL && (strcmp(st, "Failed") == 0 ||
		    strcmp(st, "Disabled") == 0 ||
		    strcmp(st, "Cancelled") == 0)) {
			err = pbi_err(PBI_ERR_HTTP, "the refresh of dataset %s "
			    "ended %s%s%.200s", dataset, st,
			    pj_str(last, "serviceExceptionJson") ? ": " : "",
			    pj_str(last, "serviceExceptionJson") ?
			    pj_str(last, "serviceExceptionJson") : "");
			break;
		}
		if (pbi_now_ms() + wait > end) {
			err = pbi_err(PBI_ERR_DEADLINE, "the refresh of dataset "
			    "%s is still running", dataset);
			break;
		}
		pbi_sleep_ms(wait);
		if (wait < 10000)
			wait = wait * 3 / 2;
	}
	json_object_put(all);
	return err;
}

/*
 * A report of this name in the ledger for the workspace: its sha256 and
 * id (rid, "" if none).
 */
static const struct pbi_err *
ledger_report(struct pbi_prov *p, const char *ws, const char *name,
    char sha[65], char rid[40], int *have)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *r;
	size_t			 i;

	*have = 0;
	sha[0] = rid[0] = '\0';
	if ((err = pbi_ledger_reports(p->ledger, ws, &all)) != NULL)
		return err;
	for (i = 0; i < pj_len(all); i++) {
		r = pj_idx(all, i);
		if (strcmp(pj_str(r, "name"), name) == 0) {
			*have = 1;
			pbi_strlcpy(sha, pj_str(r, "sha256") ?
			    pj_str(r, "sha256") : "", 65);
			pbi_strlcpy(rid, pj_str(r, "id") ? pj_str(r, "id") :
			    "", 40);
		}
	}
	json_object_put(all);
	return NULL;
}

/*
 * An import of name that is not among before (the imports there were
 * before this run sent its own), or NULL.
 */
static const struct pbi_err *
new_import(struct pbi_prov *p, const char *prof, const char *ws,
    const char *name, struct json_object *before, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *o;
	const char		*n, *id;
	size_t			 i, j;
	int			 old;

	*out = NULL;
	if ((err = pb_imports(p->svc, prof, ws, &all)) != NULL)
		return err;
	for (i = 0; i < pj_len(all) && *out == NULL; i++) {
		o = pj_idx(all, i);
		n = pj_str(o, "name");
		id = pj_str(o, "id");
		if (n == NULL || id == NULL || strcmp(n, name) != 0)
			continue;
		old = 0;
		for (j = 0; before && j < pj_len(before);
		    j++)
			if (pj_str(pj_idx(before, j), "id")
			    != NULL && strcmp(pj_str(pj_idx(
			    before, j), "id"), id) == 0)
				old = 1;
		if (!old)
			*out = json_object_get(o);
	}
	json_object_put(all);
	return NULL;
}

/*
 * Of the imports in list named name with a GUID id, the newest one
 * created after the time after (-1: any; then an import with no time
 * counts when none has one), or NULL.
 */
static struct json_object *
newest_named(struct json_object *list, const char *name, int64_t after)
{
	struct json_object	*o, *best = NULL;
	const char		*n;
	int64_t			 t, bt = after;
	size_t			 i;

	for (i = 0; i < pj_len(list); i++) {
		o = pj_idx(list, i);
		n = pj_str(o, "name");
		if (n == NULL || strcmp(n, name) != 0 ||
		    !pbi_is_guid(pj_str(o, "id")))
			continue;
		t = pbi_iso8601_ms(pj_str(o, "createdDateTime"));
		if (t > bt || (t < 0 && after < 0 && best == NULL)) {
			bt = t;
			best = o;
		}
	}
	return best;
}

/*
 * The id of the import an interrupted run sent, by its intent's note
 * (newest_named after the time noted; "" or NULL: any), or NULL.
 */
static const char *
newest_import(struct json_object *list, const char *name, const char *after)
{
	int64_t	 min = -1;

	if (after != NULL && after[0] != '\0' &&
	    (min = pbi_iso8601_ms(after)) < 0)
		return NULL;		/* not a time: nothing is provably new */
	return pj_str(newest_named(list, name, min), "id");
}

/*
 * Give every gateway datasource the dataset is bound to the credentials
 * of --credentials-file.  They go to the service only: never to the
 * ledger, the journal or a trace.
 */
static const struct pbi_err *
step_credentials(struct pbi_prov *p, struct pbi_customer *c,
    const char *prof, const char *dataset, struct json_object *details)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *d;
	const char		*gw, *id;
	size_t			 i;
	int64_t			 jid;

	if ((err = pb_bound_datasources(p->svc, prof, c->workspace_id,
	    dataset, &all)) != NULL)
		return pbi_err_ctx(err, "cannot list the datasources of "
		    "dataset %s", dataset);
	for (i = 0; i < pj_len(all) && err == NULL; i++) {
		d = pj_idx(all, i);
		gw = pj_str(d, "gatewayId");
		id = pj_str(d, "id");
		if (gw == NULL || id == NULL)
			continue;
		if ((err = prov_begin(p, c->id, "datasource.credentials", id,
		    &jid)) != NULL)
			break;
		err = pb_datasource_credentials(p->svc, prof, gw, id, details);
		prov_end(p, jid, err ? "failed" : "ok", id, err);
		if (err != NULL)
			err = pbi_err_ctx(err, "cannot set the credentials of "
			    "datasource %s", id);
	}
	json_object_put(all);
	return err;
}

/*
 * Start the import of f: multipart up to $PBICTL_LARGE_IMPORT_BYTES
 * (1 GiB, as Microsoft's SDK), else through a temporary upload location
 * in blocks of $PBICTL_UPLOAD_BLOCK_BYTES (4 MiB).
 */
static const struct pbi_err *
send_package(struct pbi_prov *p, const char *prof, const char *ws,
    const struct pbi_report_file *f, const char *mode,
    struct json_object **started)
{
	const struct pbi_err	*err;
	const char		*v = getenv("PBICTL_LARGE_IMPORT_BYTES");
	const char		*bv = getenv("PBICTL_UPLOAD_BLOCK_BYTES");
	size_t			 large = (size_t)1 << 30, block = 0;
	char			*url = NULL;

	if (v != NULL && *v != '\0')
		large = (size_t)strtoull(v, NULL, 10);
	if (bv != NULL && *bv != '\0')
		block = (size_t)strtoull(bv, NULL, 10);
	if (f->len <= large)
		return pb_import(p->svc, prof, ws, f->name, mode, f->data,
		    f->len, started);
	if (p->dry_run) {
		/* The location is made by a POST: show the call, stop. */
		return pb_upload_location(p->svc, prof, ws, &url);
	}
	if ((err = pb_upload_location(p->svc, prof, ws, &url)) == NULL &&
	    (err = pb_blob_upload(p->svc, url, f->data, f->len, block)) ==
	    NULL)
		err = pb_import_url(p->svc, prof, ws, f->name, mode, url,
		    started);
	free(url);
	return err;
}

/* Publish one package to the customer's workspace. */
const struct pbi_err *
prov_step_publish(struct pbi_prov *p, struct pbi_customer *c,
    const struct pbi_report_file *f, const struct pbi_cust_opts *o,
    struct json_object *reports)
{
	const struct pbi_err	*err;
	struct pbi_err		 saved;
	struct json_object	*imp = NULL, *started = NULL, *item, *ds;
	struct json_object	*before = NULL, *x;
	const char		*prof = prov_as_profile(p, c), *mode, *iid;
	const char		*rid = NULL, *did_ = NULL;
	char			 sha[65], target[512], note[128], had[40];
	char			 reqid[128] = "";
	int64_t			 jid = 0, ijid = 0, open = 0;
	size_t			 i;
	int			 have, earlier, adopted = 0, resumed = 0;
	int			 pending = 0;

	item = json_object_new_object();
	json_object_array_add(reports, item);
	pj_add_str(item, "name", f->name);
	pj_add_str(item, "sha256", f->sha256);
	if ((err = ledger_report(p, c->workspace_id, f->name, sha, had,
	    &have)))
		return err;
	if (have && strcmp(sha, f->sha256) == 0) {
		pj_add_str(item, "action", "unchanged");
		/* Killed after recording the report, before closing: close. */
		snprintf(target, sizeof(target), "%s/%s@%.16s",
		    c->workspace_id, f->name, f->sha256);
		if (!p->dry_run && (err = pbi_ledger_open_intent(p->ledger,
		    "report.import", target, &open, note, sizeof(note))) ==
		    NULL && open != 0)
			err = pbi_ledger_settle(p->ledger, "report.import",
			    target, had);
		return err;
	}
	/* The journal names the file: ws/name@sha256 prefix. */
	snprintf(target, sizeof(target), "%s/%s@", c->workspace_id, f->name);
	if ((err = pbi_ledger_journaled(p->ledger, "report.import", target, 1,
	    &earlier)) != NULL)
		return err;
	snprintf(target, sizeof(target), "%s/%s@%.16s", c->workspace_id,
	    f->name, f->sha256);
	/*
	 * An interrupted run that got this file's import under way left
	 * its intent open with the import's id: follow that import, and
	 * adopt it if it succeeded.  Nothing else is adopted.
	 */
	if ((err = pbi_ledger_open_intent(p->ledger, "report.import", target,
	    &open, note, sizeof(note))) != NULL)
		return err;
	/*
	 * Killed between sending the file and noting the import's id: the
	 * send may have landed.  The intent noted the newest import of this
	 * name it saw ("after:TIME", "after:" for none); a newer one is the
	 * one it sent, and is followed like a noted one.  None: it did not
	 * land, and is sent again.  An intent with no note at all (an
	 * older pbictl's) proves nothing about an older version's
	 * imports: with one recorded, the file is sent again.
	 */
	if (open != 0 && strncmp(note, "import:", 7) != 0 && !p->dry_run) {
		if ((err = pb_imports(p->svc, prof, c->workspace_id, &before)))
			goto out;
		if ((strncmp(note, "after:", 6) == 0 || !have) &&
		    (iid = newest_import(before, f->name, strncmp(note,
		    "after:", 6) == 0 ? note + 6 : NULL)) != NULL)
			snprintf(note, sizeof(note), "import:%s", iid);
	}
	if (open != 0 && strncmp(note, "import:", 7) == 0 && !p->dry_run) {
		err = poll_import(p, prof, c->workspace_id, note + 7, 0,
		    &imp);
		if (err == NULL) {
			started = json_object_new_object();
			pj_add_str(started, "id", note + 7);
			adopted = 1;
			goto imported;
		}
		if (err->code != PBI_ERR_HTTP)
			goto out;
		err = NULL;		/* it failed: import afresh */
		json_object_put(imp);
		imp = NULL;
	}
	/*
	 * The imports of this name already there: one still publishing is
	 * waited for rather than raced; none of them can be taken for the
	 * one this run is about to start.
	 */
	if ((have || earlier) && !p->dry_run && before == NULL) {
		if ((err = pb_imports(p->svc, prof, c->workspace_id, &before)))
			goto out;
	}
	if (before != NULL) {
		for (i = 0; i < pj_len(before); i++) {
			x = pj_idx(before, i);
			if (pj_str(x, "name") == NULL || strcmp(pj_str(x,
			    "name"), f->name) != 0 || pj_str(x, "importState") ==
			    NULL || strcmp(pj_str(x, "importState"),
			    "Publishing") != 0)
				continue;
			err = poll_import(p, prof, c->workspace_id,
			    pj_str(x, "id"), 0, &imp);
			json_object_put(imp);
			imp = NULL;
			if (err != NULL && err->code != PBI_ERR_HTTP)
				goto out;
			err = NULL;
		}
	}
	/* The first version must not overwrite; later ones replace. */
	mode = have || earlier ? "CreateOrOverwrite" : "Abort";
	/* What this intent saw, written with it (see above). */
	iid = pj_str(newest_named(before, f->name, -1), "createdDateTime");
	snprintf(note, sizeof(note), "after:%.100s", iid ? iid : "");
	if ((err = prov_begin_note(p, c->id, "report.import", target, note,
	    &jid)))
		goto out;
	err = send_package(p, prof, c->workspace_id, f, mode, &started);
	if (err == NULL && !p->dry_run && !pbi_is_guid(pj_str(started, "id"))) {
		/* An answer without an import id (api-facts 3.4): landed? */
		json_object_put(started);
		started = NULL;
		err = pbi_err(PBI_ERR_PROTO, "the import answer has no valid "
		    "id");
	}
	if (prov_ambiguous(err)) {
		/*
		 * Did it land?  Only an import that was not there before
		 * is ours; without one, sending again cannot duplicate the
		 * report (CreateOrOverwrite).
		 */
		pbi_err_copy(&saved, err);
		resumed = 1;		/* started when, is unknown */
		if ((err = new_import(p, prof, c->workspace_id, f->name, before,
		    &started)) == NULL && started == NULL)
			err = send_package(p, prof, c->workspace_id, f,
			    "CreateOrOverwrite", &started);
	} else if (prov_exists(err) && !have && !earlier)
		err = pbi_err_ctx(err, "a report or dataset named '%s' exists "
		    "in workspace '%s' that pbictl did not publish",
		    f->name, c->workspace_name);
	if (err == NULL && !p->dry_run && pj_str(started, "id") != NULL) {
		/* A killed run can follow this very import on a re-run. */
		snprintf(note, sizeof(note), "import:%s", pj_str(started, "id"));
		err = pbi_ledger_note(p->ledger, jid, note);
	}
	if (err == NULL && p->dry_run) {
		pj_add_str(item, "action", "imported");
		goto done;
	}
	if (err == NULL && !pbi_is_guid(iid = pj_str(started, "id")))
		err = pbi_err(PBI_ERR_PROTO, "the import answer has no valid "
		    "id");
	if (err == NULL)
		err = poll_import(p, prof, c->workspace_id,
		    pj_str(started, "id"), !resumed, &imp);
imported:
	if (err == NULL) {
		rid = pj_str(pj_idx(pj_arr(imp, "reports"),
		    0), "id");
		ds = pj_idx(pj_arr(imp, "datasets"), 0);
		did_ = pj_str(ds, "id");
		if (rid == NULL)
			err = pbi_err(PBI_ERR_PROTO, "import of '%s' "
			    "succeeded without a report", f->name);
		/* Ids go into paths and the ledger: GUIDs only (3.5). */
		else if (!pbi_is_guid(rid) || (did_ && !pbi_is_guid(did_)))
			err = pbi_err(PBI_ERR_PROTO, "import of '%s' "
			    "answered an invalid %s id '%.64s'", f->name,
			    pbi_is_guid(rid) ? "dataset" : "report",
			    pbi_is_guid(rid) ? did_ : rid);
	}
	if (err != NULL && err->code == PBI_ERR_DEADLINE && jid != 0 &&
	    pbi_is_guid(pj_str(started, "id"))) {
		/*
		 * Still publishing when the wait ran out: the intent stays
		 * open with the import's id, so that a re-run follows this
		 * very import instead of sending the file again.
		 */
	} else if (err != NULL) {
		pbi_err_copy(&saved, err);
		prov_end(p, jid, "failed", NULL, &saved);
		err = pbi_err_restore(&saved);
	} else {
		/*
		 * Imported.  The intent stays open, noted with the import's
		 * id, until the report is recorded below: a run killed in
		 * the steps between follows this import on a re-run rather
		 * than sending the file again.  The import's request id is
		 * the one its entry keeps.
		 */
		pending = 1;
		ijid = jid;
		if (pbi_http_request_id() != NULL)
			pbi_strlcpy(reqid, pbi_http_request_id(),
			    sizeof(reqid));
	}
	if (err != NULL) {
out:
		err = pbi_err_ctx(err, "cannot publish '%s' to workspace '%s'",
		    f->name, c->workspace_name);
		goto done;
	}
	pj_add_str(item, "action", have ? "updated" : adopted ? "adopted" :
	    "published");
	pj_add_str(item, "reportId", rid);
	pj_add_str(item, "datasetId", did_);
	if (did_ != NULL && o->params != NULL) {
		/* Parameters need the dataset's owner (api-facts 3.6). */
		if ((err = prov_begin(p, c->id, "dataset.takeOver", did_,
		    &jid)) != NULL)
			goto done;
		err = pb_takeover(p->svc, prof, c->workspace_id, did_);
		prov_end(p, jid, err ? "failed" : "ok", did_, err);
		if (err == NULL && (err = prov_begin(p, c->id,
		    "dataset.updateParameters", did_, &jid)) == NULL) {
			err = pb_update_params(p->svc, prof, c->workspace_id,
			    did_, o->params);
			prov_end(p, jid, err ? "failed" : "ok", did_, err);
		}
		if (err != NULL) {
			err = pbi_err_ctx(err, "cannot set the parameters of "
			    "dataset %s", did_);
			goto done;
		}
	}
	if (did_ != NULL && o->credentials != NULL &&
	    (err = step_credentials(p, c, prof, did_, o->credentials)) != NULL)
		goto done;
	if (did_ != NULL && o->refresh) {
		if ((err = prov_begin(p, c->id, "dataset.refresh", did_,
		    &jid)) != NULL)
			goto done;
		err = pb_refresh(p->svc, prof, c->workspace_id, did_);
		if (err == NULL && !p->dry_run)
			err = poll_refresh(p, prof, c->workspace_id, did_);
		prov_end(p, jid, err ? "failed" : "ok", did_, err);
		if (err != NULL) {
			err = pbi_err_ctx(err, "cannot refresh dataset %s",
			    did_);
			goto done;
		}
	}
	/* What the dataset connects to belongs to this customer. */
	if (did_ != NULL &&
	    (err = prov_record_datasources(p, c, prof, did_)) != NULL)
		goto done;
	/*
	 * Recorded last: a failed parameter or refresh step leaves the
	 * report unrecorded, and a re-run imports it again (replacing it)
	 * and retries the step.
	 */
	err = pbi_ledger_report_put(p->ledger, c->workspace_id, rid, did_,
	    f->name, f->sha256, pj_str(started, "id"));
done:
	/*
	 * The import succeeded: its intent is closed, after the report is
	 * recorded or when a later step failed (a re-run then imports the
	 * file again and retries the step).
	 */
	if (pending) {
		const struct pbi_err	*e2;

		pbi_err_copy(&saved, err);
		e2 = adopted ? pbi_ledger_settle(p->ledger, "report.import",
		    target, rid) : ijid == 0 ? NULL : pbi_ledger_done(p->ledger,
		    ijid, "ok", rid, reqid[0] ? reqid : NULL, NULL);
		err = err != NULL ? pbi_err_restore(&saved) : e2;
	}
	json_object_put(before);
	json_object_put(started);
	json_object_put(imp);
	return err;
}
