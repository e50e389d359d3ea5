/*
 * http_error.c: the error of an answer with an error status, from each
 * service's error shape (api-facts 1.7, 2.3, 3.0).
 */
#include "core.h"

#include <ctype.h>
#include <string.h>

/* Keep s printable and short, for a service message shown to a person. */
static void
tidy(char *dst, size_t size, const char *s, size_t n)
{
	size_t	 i, o = 0;

	for (i = 0; i < n && o + 1 < size; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			/* Entra appends "Trace ID: ..." lines: drop them. */
			break;
		}
		dst[o++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	}
	dst[o] = '\0';
}

const struct pbi_err *
pbi_http_error(const char *call, const struct pbi_resp *resp)
{
	struct pbi_err		*e = pbi_err_slot();
	struct json_object	*root = NULL, *err, *pbi, *det, *codes, *d0;
	const char		*s;

	e->code = PBI_ERR_HTTP;
	e->status = resp->status;
	pbi_strlcpy(e->call, call, sizeof(e->call));
	pbi_strlcpy(e->request_id, resp->request_id, sizeof(e->request_id));
	if (resp->body_len > 0)
		root = pj_parse(resp->body, resp->body_len);
	if (root == NULL) {
		/* 403 with an empty body: the header says why (3.0). */
		if (resp->error_info[0] != '\0')
			pbi_strlcpy(e->svc_code, resp->error_info,
			    sizeof(e->svc_code));
		if (resp->body_len > 0) {
			char	 t[160];

			tidy(t, sizeof(t), resp->body, resp->body_len);
			snprintf(e->svc_msg, sizeof(e->svc_msg),
			    "(answer is not JSON: %s)", t);
		}
		return e;
	}
	err = NULL;
	json_object_object_get_ex(root, "error", &err);
	if (err != NULL && json_object_is_type(err, json_type_object)) {
		/* Graph and Power BI: {"error":{"code","message",...}}. */
		if ((s = pj_str(err, "code")) != NULL)
			pbi_strlcpy(e->svc_code, s, sizeof(e->svc_code));
		if ((s = pj_str(err, "message")) != NULL)
			tidy(e->svc_msg, sizeof(e->svc_msg), s, strlen(s));
		if ((pbi = pj_obj(err, "pbi.error")) != NULL) {
			if (e->svc_code[0] == '\0' &&
			    (s = pj_str(pbi, "code")) != NULL)
				pbi_strlcpy(e->svc_code, s,
				    sizeof(e->svc_code));
			det = pj_arr(pbi, "details");
			d0 = det ? json_object_array_get_idx(det, 0) : NULL;
			if ((s = pj_path_str(d0, "detail.value")) != NULL &&
			    e->svc_msg[0] == '\0')
				tidy(e->svc_msg, sizeof(e->svc_msg), s,
				    strlen(s));
		}
		if ((det = pj_arr(err, "details")) != NULL &&
		    (d0 = json_object_array_get_idx(det, 0)) != NULL) {
			if ((s = pj_str(d0, "code")) != NULL)
				pbi_strlcpy(e->svc_detail, s,
				    sizeof(e->svc_detail));
			if (e->svc_msg[0] == '\0' &&
			    (s = pj_str(d0, "message")) != NULL)
				tidy(e->svc_msg, sizeof(e->svc_msg), s,
				    strlen(s));
		}
		if (e->request_id[0] == '\0' &&
		    ((s = pj_path_str(err, "innerError.request-id")) != NULL ||
		    (s = pj_path_str(err, "innererror.request-id")) != NULL))
			pbi_strlcpy(e->request_id, s, sizeof(e->request_id));
	} else if (err != NULL && json_object_is_type(err, json_type_string)) {
		/* Entra: {"error","error_description","error_codes",...}. */
		pbi_strlcpy(e->svc_code, json_object_get_string(err),
		    sizeof(e->svc_code));
		if ((s = pj_str(root, "error_description")) != NULL)
			tidy(e->svc_msg, sizeof(e->svc_msg), s, strlen(s));
		if ((codes = pj_arr(root, "error_codes")) != NULL &&
		    json_object_array_length(codes) > 0)
			snprintf(e->svc_detail, sizeof(e->svc_detail),
			    "AADSTS%d", json_object_get_int(
			    json_object_array_get_idx(codes, 0)));
		if ((s = pj_str(root, "trace_id")) != NULL &&
		    e->request_id[0] == '\0')
			pbi_strlcpy(e->request_id, s, sizeof(e->request_id));
	} else if ((s = pj_str(root, "message")) != NULL ||
	    (s = pj_str(root, "Message")) != NULL) {
		/* A bare message: admin-API 429s (3.0). */
		tidy(e->svc_msg, sizeof(e->svc_msg), s, strlen(s));
	}
	if (e->svc_code[0] == '\0' && resp->error_info[0] != '\0')
		pbi_strlcpy(e->svc_code, resp->error_info, sizeof(e->svc_code));
	json_object_put(root);
	return e;
}
