/*
 * http_page.c: every item of a collection, page after page: Graph's
 * @odata.nextLink (and ARM's nextLink), Power BI's $top and $skip.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PAGES	100000

/* Append the members of page's "value" array to all. */
static const struct pbi_err *
take_value(struct json_object *page, struct json_object *all, const char *url,
    size_t *got)
{
	struct json_object	*v;
	size_t			 i, n;

	if ((v = pj_arr(page, "value")) == NULL)
		return pbi_err(PBI_ERR_PROTO, "GET '%s': the answer has no "
		    "'value' list", url);
	n = json_object_array_length(v);
	for (i = 0; i < n; i++)
		json_object_array_add(all,
		    json_object_get(json_object_array_get_idx(v, i)));
	*got = n;
	return NULL;
}

const struct pbi_err *
pbi_http_list(struct pbi_http *h, const struct pbi_req *req,
    const char *member, struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*all, *page = NULL;
	struct pbi_req		 r = *req;
	char			*next = NULL;
	const char		*link, *url = req->url, *cur = url;
	size_t			 got, pages = 0;

	*out = NULL;
	r.method = "GET";
	r.content_type = NULL;
	r.body = NULL;
	r.body_len = 0;
	r.sink = NULL;
	if ((all = json_object_new_array()) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	for (;;) {
		r.url = cur;
		if ((err = pbi_http_do_json(h, &r, &page)) != NULL)
			break;
		if ((err = take_value(page, all, cur, &got)) != NULL)
			break;
		link = pj_str(page, member);
		if (link == NULL)
			break;
		if (!pbi_same_origin(link, url)) {
			err = pbi_err(PBI_ERR_PROTO, "refusing %s to another "
			    "host: '%s'", member, link);
			break;
		}
		if ((next != NULL && strcmp(link, next) == 0) ||
		    ++pages > MAX_PAGES) {
			err = pbi_err(PBI_ERR_PROTO, "GET '%s': paging does "
			    "not end", url);
			break;
		}
		free(next);
		if ((next = strdup(link)) == NULL) {
			err = pbi_err(PBI_ERR_NOMEM, "out of memory");
			break;
		}
		cur = next;
		json_object_put(page);
		page = NULL;
	}
	json_object_put(page);
	free(next);
	if (err != NULL)
		json_object_put(all);
	else
		*out = all;
	return err;
}

const struct pbi_err *
pbi_http_graph_all(struct pbi_http *h, const char *url, const char *bearer,
    const char *const *headers, int flags, struct json_object **out)
{
	struct pbi_req	 req;

	memset(&req, 0, sizeof(req));
	req.url = url;
	req.bearer = bearer;
	req.headers = headers;
	req.flags = flags;
	return pbi_http_list(h, &req, "@odata.nextLink", out);
}

char *
pbi_url_page(const char *url, int top, long skip)
{
	size_t	 n = strlen(url) + 64;
	char	*s;

	if ((s = malloc(n)) == NULL)
		return NULL;
	snprintf(s, n, "%s%c$top=%d&$skip=%ld", url,
	    strchr(url, '?') ? '&' : '?', top, skip);
	return s;
}

const struct pbi_err *
pbi_http_pbi_all(struct pbi_http *h, const char *url, const char *bearer,
    const char *const *headers, int top, struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*all, *page = NULL;
	char			*purl = NULL;
	long			 skip = 0;
	size_t			 got, pages = 0;

	*out = NULL;
	if (top <= 0)
		top = 5000;
	if ((all = json_object_new_array()) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	for (;;) {
		if ((purl = pbi_url_page(url, top, skip)) == NULL) {
			err = pbi_err(PBI_ERR_NOMEM, "out of memory");
			break;
		}
		if ((err = pbi_http_json(h, "GET", purl, bearer, headers, NULL,
		    0, &page)) != NULL)
			break;
		if ((err = take_value(page, all, purl, &got)) != NULL)
			break;
		free(purl);
		purl = NULL;
		json_object_put(page);
		page = NULL;
		if (got < (size_t)top)
			break;
		if (++pages > MAX_PAGES) {
			err = pbi_err(PBI_ERR_PROTO, "GET '%s': paging does "
			    "not end", url);
			break;
		}
		skip += top;
	}
	free(purl);
	json_object_put(page);
	if (err != NULL)
		json_object_put(all);
	else
		*out = all;
	return err;
}
