/*
 * powerbi.c: Power BI REST calls (api-facts section 3).
 */
#include "powerbi.h"

#include <stdlib.h>
#include <string.h>

#define MYORG	"/v1.0/myorg"

/* The profile header, in hdr, as a NULL-ended list (or NULL). */
static const char *const *
as(const char *profile, char *hdr, size_t len, const char **list)
{
	if (profile == NULL)
		return NULL;
	snprintf(hdr, len, "X-PowerBI-Profile-Id: %s", profile);
	list[0] = hdr;
	list[1] = NULL;
	return list;
}

#define AS(profile)	as(profile, hdr, sizeof(hdr), hl)
#define HDRS		char hdr[96]; const char *hl[2]

static const struct pbi_err *
check_ids(const char *a, const char *b, const char *c)
{
	if ((a && !pbi_is_guid(a)) || (b && !pbi_is_guid(b)) ||
	    (c && !pbi_is_guid(c)))
		return pbi_err(PBI_ERR_INPUT, "invalid id '%s'",
		    a && !pbi_is_guid(a) ? a : b && !pbi_is_guid(b) ? b : c);
	return NULL;
}

/* The one item of the list at path named name in field, or NULL. */
static const struct pbi_err *
find_named(struct pbi_svc *s, const char *profile, const char *path,
    const char *field, const char *name, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *o;
	const char		*n;
	size_t			 i;
	HDRS;

	*out = NULL;
	if ((err = pbi_svc_all(s, PBI_API_POWERBI, path, AS(profile), 0,
	    &all)) != NULL)
		return err;
	/* The filter is the service's; the exact match is ours. */
	for (i = 0; i < pj_len(all); i++) {
		o = pj_idx(all, i);
		if ((n = pj_str(o, field)) != NULL && strcmp(n, name) == 0) {
			*out = json_object_get(o);
			break;
		}
	}
	json_object_put(all);
	return NULL;
}

static char *
filtered(const char *set, const char *field, const char *name)
{
	char	*f, *p;
	size_t	 n;

	if ((f = pbi_odata_eq(field, name)) == NULL)
		return NULL;
	n = strlen(set) + strlen(f) + 32;
	if ((p = malloc(n)) != NULL)
		snprintf(p, n, MYORG "/%s?$filter=%s", set, f);
	free(f);
	return p;
}

const struct pbi_err *
pb_profile_find(struct pbi_svc *s, const char *name, struct json_object **out)
{
	const struct pbi_err	*err;
	char			*p;

	if ((p = filtered("profiles", "displayName", name)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	err = find_named(s, NULL, p, "displayName", name, out);
	free(p);
	return err;
}

const struct pbi_err *
pb_profile_create(struct pbi_svc *s, const char *name, struct json_object **out)
{
	struct json_object	*b = json_object_new_object();
	const struct pbi_err	*err;

	pj_add_str(b, "displayName", name);
	err = pbi_svc_json(s, PBI_API_POWERBI, "POST", MYORG "/profiles", NULL,
	    b, 0, out);
	json_object_put(b);
	return err;
}

const struct pbi_err *
pb_profile_delete(struct pbi_svc *s, const char *id)
{
	char	 path[128];

	if (!pbi_is_guid(id))
		return pbi_err(PBI_ERR_INPUT, "invalid profile id '%s'", id);
	snprintf(path, sizeof(path), MYORG "/profiles/%s", id);
	return pbi_svc_json(s, PBI_API_POWERBI, "DELETE", path, NULL, NULL, 0,
	    NULL);
}

/*
 * A call without a body on /groups/{group}{suffix} (suffix "" or
 * "/..."), as profile.
 */
static const struct pbi_err *
group_call(struct pbi_svc *s, const char *profile, const char *method,
    const char *group, const char *suffix, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[192];
	HDRS;

	if ((err = check_ids(profile, group, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s%s", group, suffix);
	return pbi_svc_json(s, PBI_API_POWERBI, method, path, AS(profile),
	    NULL, 0, out);
}

const struct pbi_err *
pb_group_find(struct pbi_svc *s, const char *profile, const char *name,
    struct json_object **out)
{
	const struct pbi_err	*err;
	char			*p;

	if ((err = check_ids(profile, NULL, NULL)) != NULL)
		return err;
	if ((p = filtered("groups", "name", name)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	err = find_named(s, profile, p, "name", name, out);
	free(p);
	return err;
}

const struct pbi_err *
pb_group_get(struct pbi_svc *s, const char *profile, const char *id,
    struct json_object **out)
{
	return group_call(s, profile, "GET", id, "", out);
}

const struct pbi_err *
pb_group_create(struct pbi_svc *s, const char *profile, const char *name,
    struct json_object **out)
{
	struct json_object	*b;
	const struct pbi_err	*err;
	HDRS;

	if ((err = check_ids(profile, NULL, NULL)) != NULL)
		return err;
	b = json_object_new_object();
	pj_add_str(b, "name", name);
	/* A single object, not wrapped in value[] (api-facts 3.0). */
	err = pbi_svc_json(s, PBI_API_POWERBI, "POST",
	    MYORG "/groups?workspaceV2=true", AS(profile), b, 0, out);
	json_object_put(b);
	return err;
}

const struct pbi_err *
pb_group_delete(struct pbi_svc *s, const char *profile, const char *id)
{
	return group_call(s, profile, "DELETE", id, "", NULL);
}

const struct pbi_err *
pb_group_users(struct pbi_svc *s, const char *profile, const char *id,
    struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[128];
	HDRS;

	if ((err = check_ids(profile, id, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s/users", id);
	return pbi_svc_all(s, PBI_API_POWERBI, path, AS(profile), 0, out);
}

const struct pbi_err *
pb_group_user_add(struct pbi_svc *s, const char *profile, const char *id,
    const char *type, const char *identifier, const char *right)
{
	struct json_object	*b;
	const struct pbi_err	*err;
	char			 path[128];
	HDRS;

	if ((err = check_ids(profile, id, NULL)) != NULL)
		return err;
	b = json_object_new_object();
	pj_add_str(b, "identifier", identifier);
	pj_add_str(b, "groupUserAccessRight", right);
	pj_add_str(b, "principalType", type);
	if (strcmp(type, "User") == 0)
		pj_add_str(b, "emailAddress", identifier);
	snprintf(path, sizeof(path), MYORG "/groups/%s/users", id);
	err = pbi_svc_json(s, PBI_API_POWERBI, "POST", path, AS(profile), b,
	    0, NULL);
	json_object_put(b);
	return err;
}

const struct pbi_err *
pb_capacities(struct pbi_svc *s, const char *profile,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*o = NULL;
	HDRS;

	*out = NULL;
	if ((err = pbi_svc_json(s, PBI_API_POWERBI, "GET",
	    MYORG "/capacities", AS(profile), NULL, 0, &o)) != NULL)
		return err;
	if (pj_arr(o, "value") == NULL)
		err = pbi_err(PBI_ERR_PROTO, "GET /capacities: no 'value' "
		    "list");
	else
		*out = json_object_get(pj_arr(o, "value"));
	json_object_put(o);
	return err;
}

const struct pbi_err *
pb_assign(struct pbi_svc *s, const char *profile, const char *group,
    const char *capacity)
{
	struct json_object	*b;
	const struct pbi_err	*err;
	char			 path[128];
	HDRS;

	if ((err = check_ids(profile, group, capacity)) != NULL)
		return err;
	b = json_object_new_object();
	pj_add_str(b, "capacityId", capacity);
	snprintf(path, sizeof(path), MYORG "/groups/%s/AssignToCapacity",
	    group);
	/* Asking twice for the same capacity changes nothing. */
	err = pbi_svc_json(s, PBI_API_POWERBI, "POST", path, AS(profile), b,
	    PBI_REQ_IDEMPOTENT, NULL);
	json_object_put(b);
	return err;
}

const struct pbi_err *
pb_assign_status(struct pbi_svc *s, const char *profile, const char *group,
    struct json_object **out)
{
	return group_call(s, profile, "GET", group,
	    "/CapacityAssignmentStatus", out);
}

const struct pbi_err *
pb_import(struct pbi_svc *s, const char *profile, const char *group,
    const char *name, const char *conflict, const void *data, size_t len,
    struct json_object **out)
{
	const struct pbi_err	*err;
	char			*enc = NULL, *path = NULL, *body = NULL;
	char			 bnd[40], head[512], ctype[96];
	size_t			 hn, tn, n;
	HDRS;

	*out = NULL;
	if ((err = check_ids(profile, group, NULL)) != NULL)
		return err;
	pbi_random_hex(bnd, 16);
	hn = (size_t)snprintf(head, sizeof(head), "--%s\r\n"
	    "Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"file.pbix\"\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n", bnd);
	tn = strlen(bnd) + 8;
	if ((enc = pbi_urlenc(name)) == NULL ||
	    (body = malloc(hn + len + tn + 1)) == NULL ||
	    (path = malloc(strlen(enc) + 160)) == NULL) {
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		goto done;
	}
	memcpy(body, head, hn);
	memcpy(body + hn, data, len);
	n = hn + len;
	n += (size_t)snprintf(body + n, tn + 1, "\r\n--%s--\r\n", bnd);
	snprintf(path, strlen(enc) + 160, MYORG "/groups/%s/imports?"
	    "datasetDisplayName=%s&nameConflict=%s", group, enc, conflict);
	snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%s",
	    bnd);
	err = pbi_svc_raw(s, PBI_API_POWERBI, "POST", path, AS(profile),
	    ctype, body, n, 0, out);
done:
	free(enc);
	free(path);
	free(body);
	return err;
}

const struct pbi_err *
pb_upload_location(struct pbi_svc *s, const char *profile, const char *group,
    char **url)
{
	const struct pbi_err	*err;
	struct json_object	*o = NULL;
	char			 path[160];
	const char		*u;
	HDRS;

	*url = NULL;
	if ((err = check_ids(profile, group, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG
	    "/groups/%s/imports/createTemporaryUploadLocation", group);
	/* Asking for another location leaves nothing behind. */
	if ((err = pbi_svc_json(s, PBI_API_POWERBI, "POST", path,
	    AS(profile), NULL, PBI_REQ_IDEMPOTENT, &o)) != NULL)
		return err;
	/* PascalCase, unlike the rest of the API (api-facts 3.4). */
	if ((u = pj_str(o, "Url")) == NULL || !pbi_url_allowed(u))
		err = pbi_err(PBI_ERR_PROTO, "createTemporaryUploadLocation "
		    "answered no usable Url");
	else if ((*url = strdup(u)) == NULL)
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
	json_object_put(o);
	return err;
}

/* PUT to the blob (a SAS URL: no bearer token goes there). */
static const struct pbi_err *
blob_put(struct pbi_svc *s, const char *url, const char *const *headers,
    const char *ctype, const void *body, size_t len)
{
	const struct pbi_err	*err;
	struct pbi_req		 req;
	struct pbi_resp		 resp;

	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.url = url;
	req.headers = headers;
	req.content_type = ctype;
	req.body = body;
	req.body_len = len;
	err = pbi_http_do(s->http, &req, &resp);
	pbi_resp_release(&resp);
	return err;
}

const struct pbi_err *
pb_blob_upload(struct pbi_svc *s, const char *url, const unsigned char *data,
    size_t len, size_t block)
{
	static const char *const bh[] = { "x-ms-blob-type: BlockBlob", NULL };
	static const char *const lh[] = {
	    "x-ms-blob-content-type: application/x-zip-compressed", NULL };
	const struct pbi_err	*err = NULL;
	char			*u = NULL, *xml = NULL, *id, raw[16];
	size_t			 n, at, k, ulen, xlen, xo;

	if (block == 0)
		block = (size_t)4 << 20;
	n = (len + block - 1) / block;
	ulen = strlen(url) + 64;
	xlen = n * 40 + 128;
	if ((u = malloc(ulen)) == NULL || (xml = malloc(xlen)) == NULL) {
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
		goto done;
	}
	xo = (size_t)snprintf(xml, xlen, "<?xml version=\"1.0\" "
	    "encoding=\"utf-8\"?><BlockList>");
	for (k = 0, at = 0; k < n; k++, at += block) {
		/* Block ids: base64 of one length for every block. */
		snprintf(raw, sizeof(raw), "block-%06zu", k);
		if ((id = pbi_b64url((unsigned char *)raw, 12)) == NULL) {
			err = pbi_err(PBI_ERR_NOMEM, "out of memory");
			goto done;
		}
		snprintf(u, ulen, "%s%ccomp=block&blockid=%s", url,
		    strchr(url, '?') ? '&' : '?', id);
		xo += (size_t)snprintf(xml + xo, xlen - xo,
		    "<Latest>%s</Latest>", id);
		free(id);
		if ((err = blob_put(s, u, bh, "application/octet-stream",
		    data + at, len - at < block ? len - at : block)) != NULL) {
			err = pbi_err_ctx(err, "cannot upload block %zu of %zu",
			    k + 1, n);
			goto done;
		}
	}
	snprintf(xml + xo, xlen - xo, "</BlockList>");
	snprintf(u, ulen, "%s%ccomp=blocklist", url,
	    strchr(url, '?') ? '&' : '?');
	if ((err = blob_put(s, u, lh, "application/xml", xml,
	    strlen(xml))) != NULL)
		err = pbi_err_ctx(err, "cannot commit the uploaded blocks");
done:
	free(u);
	free(xml);
	return err;
}

const struct pbi_err *
pb_import_url(struct pbi_svc *s, const char *profile, const char *group,
    const char *name, const char *conflict, const char *url,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*b;
	char			*enc, *path;
	size_t			 n;
	HDRS;

	*out = NULL;
	if ((err = check_ids(profile, group, NULL)) != NULL)
		return err;
	if ((enc = pbi_urlenc(name)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	n = strlen(enc) + 160;
	if ((path = malloc(n)) == NULL) {
		free(enc);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	snprintf(path, n, MYORG "/groups/%s/imports?datasetDisplayName=%s&"
	    "nameConflict=%s", group, enc, conflict);
	b = json_object_new_object();
	pj_add_str(b, "fileUrl", url);
	err = pbi_svc_json(s, PBI_API_POWERBI, "POST", path, AS(profile), b,
	    0, out);
	json_object_put(b);
	free(enc);
	free(path);
	return err;
}

const struct pbi_err *
pb_import_get(struct pbi_svc *s, const char *profile, const char *group,
    const char *id, struct json_object **out)
{
	char	 suffix[64];

	if (!pbi_is_guid(id))
		return pbi_err(PBI_ERR_INPUT, "invalid import id '%s'", id);
	snprintf(suffix, sizeof(suffix), "/imports/%s", id);
	return group_call(s, profile, "GET", group, suffix, out);
}

/* The "value" list of a GET at path. */
static const struct pbi_err *
list(struct pbi_svc *s, const char *profile, const char *path,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*o = NULL;
	HDRS;

	*out = NULL;
	if ((err = pbi_svc_json(s, PBI_API_POWERBI, "GET", path, AS(profile),
	    NULL, 0, &o)) != NULL)
		return err;
	if (pj_arr(o, "value") == NULL)
		err = pbi_err(PBI_ERR_PROTO, "GET %s: no 'value' list", path);
	else
		*out = json_object_get(pj_arr(o, "value"));
	json_object_put(o);
	return err;
}

/* The "value" list of /groups/{group}/{what}. */
static const struct pbi_err *
group_list(struct pbi_svc *s, const char *profile, const char *group,
    const char *what, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[128];

	if ((err = check_ids(profile, group, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s/%s", group, what);
	return list(s, profile, path, out);
}

const struct pbi_err *
pb_imports(struct pbi_svc *s, const char *profile, const char *group,
    struct json_object **out)
{
	return group_list(s, profile, group, "imports", out);
}

const struct pbi_err *
pb_reports(struct pbi_svc *s, const char *profile, const char *group,
    struct json_object **out)
{
	return group_list(s, profile, group, "reports", out);
}

const struct pbi_err *
pb_datasets(struct pbi_svc *s, const char *profile, const char *group,
    struct json_object **out)
{
	return group_list(s, profile, group, "datasets", out);
}

/* POST to a dataset's action (no body unless b). */
static const struct pbi_err *
dataset_post(struct pbi_svc *s, const char *profile, const char *group,
    const char *dataset, const char *action, struct json_object *b,
    int flags)
{
	const struct pbi_err	*err;
	char			 path[192];
	HDRS;

	if ((err = check_ids(profile, group, dataset)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s/datasets/%s/%s", group,
	    dataset, action);
	return pbi_svc_json(s, PBI_API_POWERBI, "POST", path, AS(profile), b,
	    flags, NULL);
}

const struct pbi_err *
pb_takeover(struct pbi_svc *s, const char *profile, const char *group,
    const char *dataset)
{
	return dataset_post(s, profile, group, dataset, "Default.TakeOver",
	    NULL, PBI_REQ_IDEMPOTENT);
}

const struct pbi_err *
pb_update_params(struct pbi_svc *s, const char *profile, const char *group,
    const char *dataset, struct json_object *details)
{
	struct json_object	*b = json_object_new_object();
	const struct pbi_err	*err;

	struct json_object	*copy = NULL;

	/* A copy: other jobs use details at the same time (json-c's
	 * reference counts are not atomic). */
	if (json_object_deep_copy(details, &copy, NULL) != 0) {
		json_object_put(b);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	pj_add(b, "updateDetails", copy);
	err = dataset_post(s, profile, group, dataset,
	    "Default.UpdateParameters", b, PBI_REQ_IDEMPOTENT);
	json_object_put(b);
	return err;
}

const struct pbi_err *
pb_refresh(struct pbi_svc *s, const char *profile, const char *group,
    const char *dataset)
{
	struct json_object	*b = json_object_new_object();
	const struct pbi_err	*err;

	pj_add_str(b, "notifyOption", "NoNotification");
	err = dataset_post(s, profile, group, dataset, "refreshes", b, 0);
	json_object_put(b);
	return err;
}

const struct pbi_err *
pb_refreshes(struct pbi_svc *s, const char *profile, const char *group,
    const char *dataset, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[192];

	if ((err = check_ids(profile, group, dataset)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s/datasets/%s/refreshes"
	    "?$top=1", group, dataset);
	return list(s, profile, path, out);
}

const struct pbi_err *
pb_bound_datasources(struct pbi_svc *s, const char *profile,
    const char *group, const char *dataset, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[192];

	if ((err = check_ids(profile, group, dataset)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s/datasets/%s/"
	    "Default.GetBoundGatewayDatasources", group, dataset);
	return list(s, profile, path, out);
}

const struct pbi_err *
pb_datasource_credentials(struct pbi_svc *s, const char *profile,
    const char *gateway, const char *datasource, struct json_object *details)
{
	struct json_object	*b, *copy = NULL;
	const struct pbi_err	*err;
	char			 path[192];
	HDRS;

	if ((err = check_ids(profile, gateway, datasource)) != NULL)
		return err;
	if (json_object_deep_copy(details, &copy, NULL) != 0)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	b = json_object_new_object();
	pj_add(b, "credentialDetails", copy);
	snprintf(path, sizeof(path), MYORG "/gateways/%s/datasources/%s",
	    gateway, datasource);
	/* Setting the same credentials twice changes nothing. */
	err = pbi_svc_json(s, PBI_API_POWERBI, "PATCH", path, AS(profile), b,
	    PBI_REQ_IDEMPOTENT, NULL);
	pbi_json_wipe_put(b);
	return err;
}
