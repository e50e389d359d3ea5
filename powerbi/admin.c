/*
 * admin.c: what the isolation audit reads: the admin APIs (api-facts
 * 3.9) and the scanner, a principal's or profile's view of the tenant,
 * and the two probes it makes as a profile with --probe.
 *
 * The admin APIs are limited per tenant and hour (admin/groups to 50 an
 * hour or 15 a minute): a 429 whose Retry-After is longer than pbictl
 * waits fails at once (PBI_REQ_NOLONGWAIT) instead of retrying in vain.
 */
#include "powerbi_int.h"

#include <stdlib.h>
#include <string.h>

#define ADMIN		MYORG "/admin"
#define ADMIN_FLAGS	PBI_REQ_NOLONGWAIT
#define ADMIN_TOP	5000	/* the most admin/groups pages (3.9) */

/* A GET of the admin API at path: its "value" list, or the bare body. */
static const struct pbi_err *
admin_get(struct pbi_svc *s, const char *path, int bare,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*o = NULL;

	*out = NULL;
	if ((err = pbi_svc_json(s, PBI_API_POWERBI, "GET", path, NULL, NULL,
	    ADMIN_FLAGS, &o)) != NULL)
		return err;
	if (bare) {
		if (!json_object_is_type(o, json_type_array)) {
			json_object_put(o);
			return pbi_err(PBI_ERR_PROTO, "GET %s: the answer is "
			    "no list", path);
		}
		*out = o;
		return NULL;
	}
	if (pj_arr(o, "value") == NULL)
		err = pbi_err(PBI_ERR_PROTO, "GET %s: no 'value' list", path);
	else
		*out = json_object_get(pj_arr(o, "value"));
	json_object_put(o);
	return err;
}

const struct pbi_err *
pb_admin_groups(struct pbi_svc *s, const char *expand,
    struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*all, *page = NULL;
	char			 path[256];
	long			 skip = 0;
	size_t			 i, n;

	*out = NULL;
	all = json_object_new_array();
	for (;;) {
		snprintf(path, sizeof(path), ADMIN "/groups?$top=%d&$skip=%ld"
		    "%s%s", ADMIN_TOP, skip, expand ? "&$expand=" : "",
		    expand ? expand : "");
		if ((err = admin_get(s, path, 0, &page)) != NULL)
			break;
		n = pj_len(page);
		for (i = 0; i < n; i++)
			json_object_array_add(all,
			    json_object_get(pj_idx(page, i)));
		json_object_put(page);
		page = NULL;
		if (n < ADMIN_TOP)
			break;
		skip += ADMIN_TOP;
	}
	if (err != NULL) {
		json_object_put(all);
		return err;
	}
	*out = all;
	return NULL;
}

const struct pbi_err *
pb_admin_capacities(struct pbi_svc *s, struct json_object **out)
{
	return admin_get(s, ADMIN "/capacities", 0, out);
}

const struct pbi_err *
pb_admin_profiles(struct pbi_svc *s, struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*all, *page = NULL;
	char			 path[128];
	long			 skip = 0;
	size_t			 i, n;

	*out = NULL;
	all = json_object_new_array();
	for (;;) {
		snprintf(path, sizeof(path), ADMIN "/profiles?$top=%d&"
		    "$skip=%ld", ADMIN_TOP, skip);
		if ((err = admin_get(s, path, 0, &page)) != NULL)
			break;
		n = pj_len(page);
		for (i = 0; i < n; i++)
			json_object_array_add(all,
			    json_object_get(pj_idx(page, i)));
		json_object_put(page);
		page = NULL;
		if (n < ADMIN_TOP)
			break;
		skip += ADMIN_TOP;
	}
	if (err != NULL) {
		json_object_put(all);
		return err;
	}
	*out = all;
	return NULL;
}

const struct pbi_err *
pb_admin_group_users(struct pbi_svc *s, const char *group,
    struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[128];

	if ((err = pb_check_ids(group, NULL, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), ADMIN "/groups/%s/users", group);
	return admin_get(s, path, 0, out);
}

const struct pbi_err *
pb_modified_since(struct pbi_svc *s, time_t since, struct json_object **out)
{
	char	 path[128], when[32];

	pbi_iso8601(since, when, sizeof(when));
	snprintf(path, sizeof(path), ADMIN "/workspaces/modified?"
	    "modifiedSince=%s", when);
	return admin_get(s, path, 1, out);
}

const struct pbi_err *
pb_scan_start(struct pbi_svc *s, struct json_object *ids,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*b = json_object_new_object();

	pj_add(b, "workspaces", json_object_get(ids));
	/* A read in effect: it starts a scan and changes nothing. */
	err = pbi_svc_json(s, PBI_API_POWERBI, "POST", ADMIN
	    "/workspaces/getInfo?lineage=false&datasourceDetails=true&"
	    "getArtifactUsers=false", NULL, b, ADMIN_FLAGS, out);
	json_object_put(b);
	if (err == NULL && !pbi_is_guid(pj_str(*out, "id"))) {
		json_object_put(*out);
		*out = NULL;
		err = pbi_err(PBI_ERR_PROTO, "the scan answer has no valid "
		    "id");
	}
	return err;
}

/* GET admin/workspaces/{what}/{scan}. */
static const struct pbi_err *
scan_get(struct pbi_svc *s, const char *what, const char *scan,
    struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[160];

	if ((err = pb_check_ids(scan, NULL, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), ADMIN "/workspaces/%s/%s", what, scan);
	return pbi_svc_json(s, PBI_API_POWERBI, "GET", path, NULL, NULL,
	    ADMIN_FLAGS, out);
}

const struct pbi_err *
pb_scan_status(struct pbi_svc *s, const char *scan, struct json_object **out)
{
	return scan_get(s, "scanStatus", scan, out);
}

const struct pbi_err *
pb_scan_result(struct pbi_svc *s, const char *scan, struct json_object **out)
{
	return scan_get(s, "scanResult", scan, out);
}

const struct pbi_err *
pb_groups(struct pbi_svc *s, const char *profile, struct json_object **out)
{
	const struct pbi_err	*err;
	HDRS;

	*out = NULL;
	if ((err = pb_check_ids(profile, NULL, NULL)) != NULL)
		return err;
	return pbi_svc_all(s, PBI_API_POWERBI, MYORG "/groups", AS(profile),
	    0, out);
}

const struct pbi_err *
pb_profiles(struct pbi_svc *s, struct json_object **out)
{
	return pbi_svc_all(s, PBI_API_POWERBI, MYORG "/profiles", NULL, 0,
	    out);
}

/* The outcome of a probe that err ended: refused, allowed or unknown. */
static enum pb_probe
probe_of(const struct pbi_err *err)
{
	if (err == NULL)
		return PB_PROBE_ALLOWED;
	if (err->code == PBI_ERR_HTTP && (err->status == 401 ||
	    err->status == 403 || err->status == 404))
		return PB_PROBE_REFUSED;
	return PB_PROBE_UNKNOWN;
}

const struct pbi_err *
pb_probe_read(struct pbi_svc *s, const char *profile, const char *group,
    enum pb_probe *how)
{
	const struct pbi_err	*err;
	struct json_object	*o = NULL;

	err = pb_group_call(s, profile, "GET", group, "/reports", &o);
	json_object_put(o);
	*how = probe_of(err);
	return *how == PB_PROBE_UNKNOWN ? err : NULL;
}

const struct pbi_err *
pb_probe_token(struct pbi_svc *s, const char *profile, const char *report,
    enum pb_probe *how)
{
	const struct pbi_err	*err;
	struct json_object	*b, *a, *r, *o = NULL;
	HDRS;

	if ((err = pb_check_ids(profile, report, NULL)) != NULL)
		return err;
	b = json_object_new_object();
	a = json_object_new_array();
	r = json_object_new_object();
	pj_add_str(r, "id", report);
	json_object_array_add(a, r);
	pj_add(b, "reports", a);
	pj_add_int(b, "lifetimeInMinutes", 1);
	/* The embed token itself is never kept: wiped unread. */
	err = pbi_svc_json(s, PBI_API_POWERBI, "POST", MYORG "/GenerateToken",
	    AS(profile), b, PBI_REQ_SECRET, &o);
	pbi_json_wipe_put(o);
	json_object_put(b);
	*how = probe_of(err);
	/* Refused only for want of an effective identity: it had access. */
	if (*how == PB_PROBE_UNKNOWN && err->status == 400 &&
	    strstr(err->svc_msg, "effective identity") != NULL)
		*how = PB_PROBE_ALLOWED;
	return *how == PB_PROBE_UNKNOWN ? err : NULL;
}
