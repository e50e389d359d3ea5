/*
 * pbi_content.c: the content APIs of a workspace (api-facts 3.4-3.6):
 * imports (shared with Workspace Collections) and the temporary upload
 * location with its minimal Azure Blob block-blob endpoint, reports,
 * datasets (shared too) with their parameters, datasources and
 * refreshes, and gateway datasource credentials.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct json_object *
import_json(struct json_object *imp)
{
	struct json_object	*o = sim_pub(imp, 1);

	return o;
}

static char *
strip_ext(const char *name)
{
	char	*s = strdup(name ? name : "Imported");
	size_t	 n = strlen(s);

	if (n > 5 && strcasecmp(s + n - 5, ".pbix") == 0)
		s[n - 5] = '\0';
	return s;
}

static int
blob_bytes(const char *url, const char **key)
{
	const char		*p;
	char			 id[64];
	struct json_object	*b;

	if (url == NULL || (p = strstr(url, "/_blob/")) == NULL)
		return -1;
	p += 7;
	snprintf(id, sizeof(id), "%.*s", (int)strcspn(p, "?/."), p);
	b = pj_obj(pj_obj(g.state, "__blobs"), id);
	if (b == NULL || (*key = pj_str(b, "file")) == NULL)
		return -1;
	return 0;
}

/*
 * POST .../imports: accept any single multipart part or a JSON fileUrl,
 * apply the nameConflict rules of api-facts 3.4 / 6.2 and answer 202.
 */
void
sim_ws_import_post(struct req *r, struct json_object *ws, int coll)
{
	struct json_object	*imp, *plan, *dss, *o, *b = NULL, *params;
	const char		*data = NULL, *ct, *mode, *fkey = NULL;
	const char		*target = NULL;
	char			*name = NULL, *key = NULL, *bytes = NULL;
	char			 id[37], ts[40], owner[200], uniq[300];
	size_t			 len = 0, i, cnt = 0, k;
	int			 valid;

	mode = sim_q(r, "nameConflict");
	if (mode == NULL)
		mode = "Ignore";
	if (strcmp(mode, "Ignore") != 0 && strcmp(mode, "Abort") != 0 &&
	    strcmp(mode, "Overwrite") != 0 &&
	    strcmp(mode, "CreateOrOverwrite") != 0 &&
	    strcmp(mode, "GenerateUniqueName") != 0) {
		sim_pbi_error(r, 400, "InvalidRequest", "Invalid nameConflict "
		    "'%s'", mode);
		goto done;
	}
	ct = sim_hdr(r, "Content-Type");
	if (ct != NULL && sim_strcasestr(ct, "json") != NULL) {
		b = sim_body_json(r);
		if (blob_bytes(pj_str(b, "fileUrl"), &fkey) != 0) {
			sim_pbi_error(r, 400, "InvalidRequest", "fileUrl does "
			    "not point at a committed temporary upload "
			    "location");
			goto done;
		}
		key = strdup(fkey);
		bytes = sim_file_load(key, &len);
		data = bytes;
	} else if (sim_multipart(r, &data, &len) != 0) {
		sim_pbi_error(r, 400, "InvalidRequest", "The request body must "
		    "be multipart/form-data with one file part");
		goto done;
	}
	name = strip_ext(sim_q(r, "datasetDisplayName"));
	dss = sim_arr(ws, "_datasets");
	for (i = 0; i < json_object_array_length(dss); i++)
		if (sim_streq_ci(pj_str(json_object_array_get_idx(dss, i),
		    "name"), name)) {
			cnt++;
			target = pj_str(json_object_array_get_idx(dss, i),
			    "id");
		}
	if (strcmp(mode, "Abort") == 0 && cnt > 0) {
		/* emulator choice of code; 409 per api-facts 3.4 */
		sim_pbi_error_pbi(r, 409, "DuplicatePackageFoundError", NULL);
		goto done;
	}
	if ((strcmp(mode, "Overwrite") == 0 ||
	    strcmp(mode, "CreateOrOverwrite") == 0) && cnt > 1) {
		params = json_object_new_object();
		pj_add(params, "DuplicatePackagesFullMatch", NULL);
		sim_pbi_error_pbi(r, 409,
		    "MoreThanOneDuplicatePackageFoundError", params);
		goto done;
	}
	if (strcmp(mode, "Overwrite") == 0 && cnt == 0) {
		/* api-facts 3.4 / I-import: 404 with the pbi.error form */
		params = json_object_new_object();
		pj_add(params, "DuplicatePackagesFullMatch", NULL);
		sim_pbi_error_pbi(r, 404, "DuplicatePackageNotFoundError",
		    params);
		goto done;
	}
	if (strcmp(mode, "Ignore") == 0 || strcmp(mode,
	    "GenerateUniqueName") == 0)
		target = NULL;
	if (strcmp(mode, "GenerateUniqueName") == 0 && cnt > 0) {
		for (k = 2;; k++) {
			snprintf(uniq, sizeof(uniq), "%s (%zu)", name, k);
			if (sim_find_ci(dss, "name", uniq) == NULL)
				break;
		}
		free(name);
		name = strdup(uniq);
	}
	valid = sim_is_zip(data, len);
	if (key == NULL)
		key = sim_file_store(data ? data : "", len);
	sim_pbi_caller_key(r, owner, sizeof(owner));
	plan = json_object_new_object();
	pj_add_str(plan, "name", name);
	pj_add_str(plan, "file", key);
	pj_add_bool(plan, "valid", valid);
	pj_add_str(plan, "target", target);
	pj_add_bool(plan, "skipReport", sim_streq_ci(sim_q(r, "skipReport"),
	    "true"));
	pj_add_str(plan, "owner", owner);
	pj_add_str(plan, "ownerName", coll ? "AppKey" : sim_pbi_caller_name(r));
	imp = json_object_new_object();
	sim_guid(id);
	sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
	pj_add_str(imp, "id", id);
	pj_add_str(imp, "importState", "Publishing");
	pj_add_str(imp, "createdDateTime", ts);
	pj_add_str(imp, "updatedDateTime", ts);
	pj_add_str(imp, "name", name);
	pj_add_str(imp, "connectionType", "import");
	pj_add_str(imp, "source", "Upload");
	pj_add(imp, "reports", json_object_new_array());
	pj_add(imp, "datasets", json_object_new_array());
	pj_add(imp, "_plan", plan);
	pj_add_int(imp, "_polls", 0);
	sim_stamp(imp);
	json_object_array_add(sim_arr(ws, "_imports"), imp);
	o = json_object_new_object();
	pj_add_str(o, "id", id);
	sim_reply_json(r, 202, o);
done:
	json_object_put(b);
	free(name);
	free(key);
	free(bytes);
}

/* GET .../imports[/{id}]: every GET counts as a poll (api-facts 6.1). */
void
sim_ws_import_get(struct req *r, struct json_object *ws, const char *id,
    int coll)
{
	struct json_object	*imps = sim_arr(ws, "_imports"), *imp, *val;
	size_t			 i;

	(void)coll;
	for (i = 0; i < json_object_array_length(imps); i++) {
		imp = json_object_array_get_idx(imps, i);
		if (id == NULL || sim_streq_ci(pj_str(imp, "id"), id))
			pj_add_int(imp, "_polls", pj_int(imp, "_polls", 0) + 1);
	}
	if (id != NULL) {
		if ((imp = sim_find_ci(imps, "id", id)) == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Import "
			    "'%s' was not found", id);
			return;
		}
		if (pj_int(imp, "_polls", 0) > 1)
			sim_ws_settle(ws);
		sim_reply_json(r, 200, import_json(imp));
		return;
	}
	val = json_object_new_array();
	for (i = 0; i < json_object_array_length(imps); i++) {
		imp = json_object_array_get_idx(imps, i);
		if (pj_int(imp, "_polls", 0) > 1)
			sim_ws_settle(ws);
		json_object_array_add(val, import_json(imp));
	}
	sim_pbi_reply_list(r, "imports", val, 0);
}

/* ---------------------------------------------------------------- */
/* Temporary upload location: a minimal Azure Blob block-blob endpoint */

/* POST .../imports/createTemporaryUploadLocation (api-facts 3.4). */
void
sim_pbi_temp_upload(struct req *r)
{
	struct json_object	*blobs, *b, *o;
	char			 id[37], sig[33], ts[40], url[512], se[40];
	int64_t			 exp = sim_now_ms() + 3600 * 1000;

	if ((blobs = pj_obj(g.state, "__blobs")) == NULL) {
		blobs = json_object_new_object();
		json_object_object_add(g.state, "__blobs", blobs);
	}
	sim_guid(id);
	sim_randhex(sig, sizeof(sig));
	b = json_object_new_object();
	pj_add_int(b, "expires", exp);
	pj_add_str(b, "sig", sig);
	pj_add(b, "blocks", json_object_new_object());
	json_object_object_add(blobs, id, b);
	sim_iso(exp, 0, se, sizeof(se));
	snprintf(url, sizeof(url), "%s://%s/_blob/%s.pbix?sv=2020-08-04&"
	    "sr=b&se=%s&sp=rw&sig=%s", sim_scheme(), sim_host(r), id, se, sig);
	sim_iso(exp, 1, ts, sizeof(ts));
	/* api-facts 3.4 / 6.8: PascalCase Url and ExpirationTime */
	o = json_object_new_object();
	pj_add_str(o, "@odata.context", SIM_PBI_CTX
	    "Microsoft.PowerBI.ServiceContracts.Api.TemporaryUploadLocation");
	pj_add_str(o, "Url", url);
	pj_add_str(o, "ExpirationTime", ts);
	sim_reply_json(r, 200, o);
}

static void
blob_error(struct req *r, int status, const char *code)
{
	struct buf	 b = { 0 };

	buf_printf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error>"
	    "<Code>%s</Code><Message>%s</Message></Error>", code, code);
	sim_reply(r, status, "application/xml", b.p, b.len);
	buf_release(&b);
}

void
sim_blob_route(struct req *r)
{
	struct json_object	*b, *blocks;
	const char		*comp, *bid, *p, *e, *v;
	char			 id[64], *b64, *key, *bytes;
	struct buf		 all = { 0 };
	size_t			 n;

	if (r->nseg != 2 || strcmp(r->method, "PUT") != 0) {
		blob_error(r, 400, "InvalidUri");
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)strcspn(r->seg[1], "."),
	    r->seg[1]);
	b = pj_obj(pj_obj(g.state, "__blobs"), id);
	if (b == NULL) {
		blob_error(r, 404, "BlobNotFound");
		return;
	}
	if (!sim_streq_ci(sim_q(r, "sig"), pj_str(b, "sig")) ||
	    sim_now_ms() > pj_int(b, "expires", 0)) {
		blob_error(r, 403, "AuthenticationFailed");
		return;
	}
	blocks = pj_obj(b, "blocks");
	comp = sim_q(r, "comp");
	if (comp != NULL && strcmp(comp, "block") == 0) {
		if ((bid = sim_q(r, "blockid")) == NULL) {
			blob_error(r, 400, "InvalidQueryParameterValue");
			return;
		}
		b64 = b64_enc(r->body.p ? r->body.p : "", r->body.len);
		json_object_object_add(blocks, bid,
		    json_object_new_string(b64));
		free(b64);
		sim_reply_empty(r, 201);
	} else if (comp != NULL && strcmp(comp, "blocklist") == 0) {
		p = r->body.p ? r->body.p : "";
		while ((p = strchr(p, '<')) != NULL) {
			if (strncmp(p, "<Latest>", 8) == 0 ||
			    strncmp(p, "<Uncommitted>", 13) == 0 ||
			    strncmp(p, "<Committed>", 11) == 0) {
				p = strchr(p, '>') + 1;
				if ((e = strchr(p, '<')) == NULL)
					break;
				snprintf(id, sizeof(id), "%.*s",
				    (int)(e - p), p);
				if ((v = pj_str(blocks, id)) == NULL) {
					buf_release(&all);
					blob_error(r, 400, "InvalidBlockList");
					return;
				}
				bytes = (char *)b64_dec(v, strlen(v), &n);
				buf_add(&all, bytes, n);
				free(bytes);
				p = e;
			} else
				p++;
		}
		key = sim_file_store(all.p ? all.p : "", all.len);
		pj_add_str(b, "file", key);
		free(key);
		buf_release(&all);
		json_object_object_add(b, "blocks", json_object_new_object());
		sim_reply_empty(r, 201);
	} else {
		key = sim_file_store(r->body.p ? r->body.p : "", r->body.len);
		pj_add_str(b, "file", key);
		free(key);
		sim_reply_empty(r, 201);
	}
}

/* ---------------------------------------------------------------- */
/* Reports, datasets and gateways */

/* .../reports[/{id}[/op]] of workspace ws (api-facts 3.5). */
void
sim_pbi_reports(struct req *r, struct json_object *ws)
{
	struct json_object	*reps = sim_arr(ws, "_reports"), *rep, *val;
	struct json_object	*b = NULL, *n, *tws, *ds, *dws;
	const char		*op, *name, *tid, *mid;
	char			 id[37];
	char			*bytes;
	size_t			 i, len;

	if (r->nseg == 5) {
		if (strcmp(r->method, "GET") != 0) {
			sim_pbi_no_method(r, "GET");
			return;
		}
		val = json_object_new_array();
		for (i = 0; i < json_object_array_length(reps); i++)
			json_object_array_add(val, sim_ws_report_json(ws,
			    json_object_array_get_idx(reps, i), 0));
		sim_pbi_reply_list(r, "reports", val, 0);
		return;
	}
	if (r->nseg == 6 && strcmp(r->seg[5], "GenerateToken") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		sim_pbi_generate_v1(r, ws, NULL, NULL, NULL, NULL);
		return;
	}
	if ((rep = sim_find_ci(reps, "id", r->seg[5])) == NULL) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Report '%s' "
		    "was not found", r->seg[5]);
		return;
	}
	op = r->nseg == 7 ? r->seg[6] : NULL;
	if (op == NULL && strcmp(r->method, "GET") == 0) {
		n = sim_ws_report_json(ws, rep, 0);
		pj_add_str(n, "@odata.context", SIM_PBI_CTX "reports/$entity");
		sim_reply_json(r, 200, n);
	} else if (op == NULL && strcmp(r->method, "DELETE") == 0) {
		if (sim_ws_access(r, ws) < R_CONTRIB) {
			sim_pbi_not_authorized(r);
			return;
		}
		sim_arr_del(reps, rep);
		sim_reply_empty(r, 200);
	} else if (op != NULL && strcmp(op, "Export") == 0 &&
	    strcmp(r->method, "GET") == 0) {
		bytes = sim_file_load(pj_str(rep, "_file"), &len);
		if (bytes == NULL) {
			sim_pbi_error(r, 400, "ExportNotSupported", "This "
			    "report cannot be downloaded");
			return;
		}
		sim_reply(r, 200, "application/zip", bytes, len);
		free(bytes);
	} else if (op != NULL && strcmp(op, "GenerateToken") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		sim_pbi_generate_v1(r, ws, pj_str(rep, "id"), NULL, NULL,
		    NULL);
	} else if (op != NULL && strcmp(op, "Clone") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		b = sim_body_json(r);
		name = pj_str(b, "name");
		tid = pj_str(b, "targetWorkspaceId");
		mid = pj_str(b, "targetModelId");
		if (name == NULL) {
			sim_pbi_error(r, 400, "InvalidRequest", "name is "
			    "required");
			goto done;
		}
		tws = ws;
		if (tid != NULL && *tid != '\0' &&
		    (tws = sim_ws_get(r, tid, R_CONTRIB)) == NULL)
			goto done;
		if (mid != NULL && sim_ws_find_item("_datasets", mid,
		    &dws) == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound",
			    "Dataset '%s' was not found", mid);
			goto done;
		}
		n = json_object_new_object();
		sim_guid(id);
		pj_add_str(n, "id", id);
		pj_add_str(n, "name", name);
		pj_add_str(n, "datasetId", mid ? mid : pj_str(rep,
		    "datasetId"));
		if (!mid && tws != ws)
			pj_add_str(n, "datasetWorkspaceId", pj_str(ws, "id"));
		if (pj_str(rep, "_file") != NULL)
			pj_add_str(n, "_file", pj_str(rep, "_file"));
		json_object_array_add(sim_arr(tws, "_reports"), n);
		sim_ws_touch(tws);
		sim_reply_json(r, 200, sim_ws_report_json(tws, n, 0));
	} else if (op != NULL && strcmp(op, "Rebind") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		b = sim_body_json(r);
		if ((ds = sim_ws_find_item("_datasets", pj_str(b, "datasetId") ?
		    pj_str(b, "datasetId") : "", &dws)) == NULL) {
			sim_pbi_error(r, 404, "PowerBIEntityNotFound",
			    "Dataset '%s' was not found", pj_str(b,
			    "datasetId") ? pj_str(b, "datasetId") : "");
			goto done;
		}
		if (sim_ws_access(r, dws) < R_VIEWER) {
			sim_pbi_not_authorized(r);
			goto done;
		}
		pj_add_str(rep, "datasetId", pj_str(ds, "id"));
		if (dws != ws)
			pj_add_str(rep, "datasetWorkspaceId", pj_str(dws,
			    "id"));
		else
			json_object_object_del(rep, "datasetWorkspaceId");
		sim_reply_empty(r, 200);
	} else
		sim_pbi_no_route(r);
done:
	json_object_put(b);
}

/* Do the members of selector all match those of the JSON text cd? */
static int
details_match(struct json_object *selector, const char *cd)
{
	struct json_object	*have = cd ? pj_parse(cd, strlen(cd)) : NULL;
	int			 ok = have != NULL && selector != NULL &&
				    json_object_is_type(selector,
				    json_type_object);

	if (ok) {
		json_object_object_foreach(selector, k, v) {
			if (!sim_streq_ci(pj_str(have, k),
			    json_object_get_string(v)))
				ok = 0;
		}
	}
	json_object_put(have);
	return ok;
}

/*
 * Default.UpdateDatasources: each update names the datasources it
 * changes by type and connection details (api-facts 3.6); all must
 * match one, or nothing changes.  Answers r.
 */
static void
update_datasources(struct req *r, struct json_object *ds,
    struct json_object *ud)
{
	struct json_object	*srcs = sim_arr(ds, "_datasources"), *e, *sel;
	struct json_object	*src;
	size_t			 i, j, hit;
	int			 pass;

	if (pj_len(ud) == 0) {
		sim_pbi_error(r, 400, "InvalidRequest", "updateDetails must "
		    "hold at least one update");
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < pj_len(ud); i++) {
			e = pj_idx(ud, i);
			sel = pj_obj(e, "datasourceSelector");
			if (pj_obj(e, "connectionDetails") == NULL) {
				sim_pbi_error(r, 400, "InvalidRequest",
				    "connectionDetails is required");
				return;
			}
			for (j = hit = 0; j < pj_len(srcs); j++) {
				src = pj_idx(srcs, j);
				if (!sim_streq_ci(pj_str(sel, "datasourceType"),
				    pj_str(src, "datasourceType")) ||
				    !details_match(pj_obj(sel,
				    "connectionDetails"), pj_str(src,
				    "connectionDetails")))
					continue;
				hit++;
				if (pass == 1)
					pj_add_str(src, "connectionDetails",
					    pj_text(pj_obj(e,
					    "connectionDetails"), 0));
			}
			if (hit == 0) {
				sim_pbi_error(r, 400, "InvalidRequest",
				    "No datasource of the dataset matches "
				    "datasourceSelector %zu", i);
				return;
			}
		}
	}
	sim_reply_empty(r, 200);
}

/*
 * .../datasets[/{id}[/op]] of workspace ws, for myorg (coll 0, segment 5
 * is the id) and collections (coll 1, segment 6).
 */
void
sim_ws_datasets(struct req *r, struct json_object *ws, int coll)
{
	struct json_object	*dss = sim_arr(ws, "_datasets"), *ds, *val, *o;
	struct json_object	*b = NULL, *ud, *e, *p, *refs;
	const char		*op, *nm;
	char			 owner[200], id[37], ts[40];
	size_t			 i, j;
	int			 si = coll ? 6 : 5;

	if (r->nseg == si) {
		val = json_object_new_array();
		for (i = 0; i < json_object_array_length(dss); i++)
			json_object_array_add(val, sim_ws_dataset_json(ws,
			    json_object_array_get_idx(dss, i), coll));
		sim_pbi_reply_list(r, "datasets", val, 0);
		return;
	}
	if ((ds = sim_find_ci(dss, "id", r->seg[si])) == NULL) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Dataset '%s' "
		    "was not found", r->seg[si]);
		return;
	}
	op = r->nseg == si + 2 ? r->seg[si + 1] : NULL;
	sim_pbi_caller_key(r, owner, sizeof(owner));
	if (op == NULL && strcmp(r->method, "GET") == 0) {
		o = sim_ws_dataset_json(ws, ds, coll);
		sim_reply_json(r, 200, o);
	} else if (op == NULL && strcmp(r->method, "DELETE") == 0) {
		/* dependent reports go with the dataset */
		refs = sim_arr(ws, "_reports");
		for (i = 0; i < json_object_array_length(refs);) {
			if (sim_streq_ci(pj_str(json_object_array_get_idx(refs,
			    i), "datasetId"), pj_str(ds, "id"))) {
				json_object_array_del_idx(refs, i, 1);
				continue;
			}
			i++;
		}
		sim_arr_del(dss, ds);
		sim_reply_empty(r, 200);
	} else if (op && strcmp(op, "parameters") == 0) {
		sim_pbi_reply_list(r, "parameters", sim_pub(sim_arr(ds,
		    "_parameters"), 1), 0);
	} else if (op && strcmp(op, "Default.TakeOver") == 0) {
		pj_add_str(ds, "_owner", owner);
		pj_add_str(ds, "configuredBy", sim_pbi_caller_name(r));
		sim_reply_empty(r, 200);
	} else if (op && strcmp(op, "Default.UpdateParameters") == 0) {
		if (!sim_streq_ci(pj_str(ds, "_owner"), owner)) {
			sim_pbi_error(r, 400, "InvalidRequest", "Only the "
			    "dataset owner can update parameters; take over "
			    "the dataset first");
			goto done;
		}
		b = sim_body_json(r);
		ud = pj_arr(b, "updateDetails");
		if (ud == NULL || json_object_array_length(ud) == 0 ||
		    json_object_array_length(ud) > 100) {
			sim_pbi_error(r, 400, "InvalidRequest", "updateDetails "
			    "must hold 1 to 100 parameters");
			goto done;
		}
		for (i = 0; i < json_object_array_length(ud); i++) {
			e = json_object_array_get_idx(ud, i);
			nm = pj_str(e, "name");
			if (nm == NULL || sim_find(pj_arr(ds, "_parameters"),
			    "name", nm) == NULL) {
				sim_pbi_error(r, 400, "InvalidRequest",
				    "Parameter '%s' does not exist (names are "
				    "case sensitive)", nm ? nm : "");
				goto done;
			}
			for (j = 0; j < i; j++)
				if (sim_streq_ci(pj_str(
				    json_object_array_get_idx(ud, j), "name"),
				    nm)) {
					sim_pbi_error(r, 400, "InvalidRequest",
					    "Duplicate parameter '%s'", nm);
					goto done;
				}
		}
		for (i = 0; i < json_object_array_length(ud); i++) {
			e = json_object_array_get_idx(ud, i);
			p = sim_find(pj_arr(ds, "_parameters"), "name",
			    pj_str(e, "name"));
			pj_add_str(p, "currentValue", pj_str(e, "newValue"));
		}
		sim_reply_empty(r, 200);
	} else if (op && strcmp(op, "Default.GetBoundGatewayDatasources") ==
	    0) {
		sim_pbi_reply_list(r, "gatewayDatasources", sim_pub(sim_arr(ds,
		    "_datasources"), 1), 0);
	} else if (op && strcmp(op, "datasources") == 0) {
		sim_pbi_reply_list(r, "datasources", sim_pub(sim_arr(ds,
		    "_connections"), 1), 0);
	} else if (op && strcmp(op, "Default.SetAllConnections") == 0) {
		b = sim_body_json(r);
		if (pj_str(b, "connectionString") == NULL) {
			sim_pbi_error(r, 400, "InvalidRequest",
			    "connectionString is required");
			goto done;
		}
		o = json_object_new_object();
		pj_add_str(o, "name", pj_str(ds, "name"));
		pj_add_str(o, "connectionString", pj_str(b,
		    "connectionString"));
		p = json_object_new_array();
		json_object_array_add(p, o);
		pj_add(ds, "_connections", p);
		sim_reply_empty(r, 200);
	} else if (op && strcmp(op, "Default.UpdateDatasources") == 0) {
		if (!sim_streq_ci(pj_str(ds, "_owner"), owner)) {
			sim_pbi_error(r, 400, "InvalidRequest", "Only the "
			    "dataset owner can update datasources; take over "
			    "the dataset first");
			goto done;
		}
		b = sim_body_json(r);
		update_datasources(r, ds, pj_arr(b, "updateDetails"));
	} else if (op && strcmp(op, "GenerateToken") == 0 && !coll) {
		sim_pbi_generate_v1(r, ws, NULL, pj_str(ds, "id"), NULL,
		    NULL);
	} else if (op && strcmp(op, "refreshes") == 0 && !coll) {
		refs = sim_arr(ds, "_refreshes");
		if (strcmp(r->method, "POST") == 0) {
			o = json_object_new_object();
			sim_guid(id);
			sim_iso(sim_now_ms(), 1, ts, sizeof(ts));
			pj_add_str(o, "requestId", id);
			pj_add_str(o, "id", id);
			pj_add_str(o, "refreshType", "ViaApi");
			pj_add_str(o, "startTime", ts);
			pj_add_str(o, "status", "Unknown");
			pj_add_int(o, "_start", sim_now_ms());
			json_object_array_add(refs, o);
			sim_add_header(r, "x-ms-request-id", id);
			sim_reply_empty(r, 202);
		} else {
			long	 top = 1000000;

			if (sim_q(r, "$top") != NULL)
				top = strtol(sim_q(r, "$top"), NULL, 10);
			val = json_object_new_array();
			/* most recent first */
			for (i = 0; i < json_object_array_length(refs) &&
			    (long)i < top; i++) {
				o = json_object_array_get_idx(refs,
				    json_object_array_length(refs) - 1 - i);
				if (strcmp(pj_str(o, "status"), "Unknown") ==
				    0 && sim_now_ms() - pj_int(o, "_start", 0)
				    >= 1000) {
					sim_iso(sim_now_ms(), 1, ts,
					    sizeof(ts));
					pj_add_str(o, "endTime", ts);
					pj_add_str(o, "status", "Completed");
				}
				json_object_array_add(val, sim_pub(o, 1));
			}
			sim_pbi_reply_list(r, "refreshes", val, 0);
		}
	} else
		sim_pbi_no_route(r);
done:
	json_object_put(b);
}

/* gateways/{gw}/datasources/{id}: GET, and PATCH of credentials. */
void
sim_pbi_gateways(struct req *r)
{
	struct json_object	*wsa = pj_arr(g.state, "workspaces"), *ws, *ds;
	struct json_object	*src, *b;
	size_t			 i, j;

	if (r->nseg != 6 || strcmp(r->seg[4], "datasources") != 0) {
		sim_pbi_no_route(r);
		return;
	}
	for (i = 0; wsa != NULL && i < json_object_array_length(wsa); i++) {
		ws = json_object_array_get_idx(wsa, i);
		for (j = 0; j < json_object_array_length(sim_arr(ws,
		    "_datasets")); j++) {
			ds = json_object_array_get_idx(pj_arr(ws, "_datasets"),
			    j);
			src = sim_find_ci(pj_arr(ds, "_datasources"), "id",
			    r->seg[5]);
			if (src == NULL || !sim_streq_ci(pj_str(src,
			    "gatewayId"), r->seg[3]))
				continue;
			if (sim_ws_access(r, ws) < R_CONTRIB) {
				sim_pbi_not_authorized(r);
				return;
			}
			if (strcmp(r->method, "PATCH") == 0) {
				b = sim_body_json(r);
				if (pj_path_str(b,
				    "credentialDetails.credentialType") ==
				    NULL) {
					json_object_put(b);
					sim_pbi_error(r, 400, "InvalidRequest",
					    "credentialDetails.credentialType "
					    "is required");
					return;
				}
				/* never store the credentials themselves */
				pj_add_str(src, "credentialType", pj_path_str(b,
				    "credentialDetails.credentialType"));
				json_object_put(b);
				sim_reply_empty(r, 200);
			} else
				sim_reply_json(r, 200, sim_pub(src, 1));
			return;
		}
	}
	sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Datasource '%s' was "
	    "not found", r->seg[5]);
}
