/*
 * imports.c: publishing packages (api-facts 3.4): multipart imports, the
 * temporary upload location and its blob, and import polling.
 */
#include "powerbi_int.h"

#include <stdlib.h>
#include <string.h>

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
	if ((err = pb_check_ids(profile, group, NULL)) != NULL)
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
	if ((err = pb_check_ids(profile, group, NULL)) != NULL)
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
	if ((err = pb_check_ids(profile, group, NULL)) != NULL)
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
	return pb_group_call(s, profile, "GET", group, suffix, out);
}

const struct pbi_err *
pb_imports(struct pbi_svc *s, const char *profile, const char *group,
    struct json_object **out)
{
	return pb_group_list(s, profile, group, "imports", out);
}
