/*
 * powerbi.c: what every Power BI REST call shares (api-facts section 3):
 * the profile header, id checks, lookups by name and list answers.
 */
#include "powerbi_int.h"

#include <stdlib.h>
#include <string.h>

/* The profile header, in hdr, as a NULL-ended list (or NULL). */
const char *const *
pb_as(const char *profile, char *hdr, size_t len, const char **list)
{
	if (profile == NULL)
		return NULL;
	snprintf(hdr, len, "X-PowerBI-Profile-Id: %s", profile);
	list[0] = hdr;
	list[1] = NULL;
	return list;
}

const struct pbi_err *
pb_check_ids(const char *a, const char *b, const char *c)
{
	if ((a && !pbi_is_guid(a)) || (b && !pbi_is_guid(b)) ||
	    (c && !pbi_is_guid(c)))
		return pbi_err(PBI_ERR_INPUT, "invalid id '%s'",
		    a && !pbi_is_guid(a) ? a : b && !pbi_is_guid(b) ? b : c);
	return NULL;
}

/* The one item of the list at path named name in field, or NULL. */
const struct pbi_err *
pb_find_named(struct pbi_svc *s, const char *profile, const char *path,
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

char *
pb_filtered(const char *set, const char *field, const char *name)
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

/*
 * A call without a body on /groups/{group}{suffix} (suffix "" or
 * "/..."), as profile.
 */
const struct pbi_err *
pb_group_call(struct pbi_svc *s, const char *profile, const char *method,
    const char *group, const char *suffix, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[192];
	HDRS;

	if ((err = pb_check_ids(profile, group, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s%s", group, suffix);
	return pbi_svc_json(s, PBI_API_POWERBI, method, path, AS(profile),
	    NULL, 0, out);
}

/* The "value" list of a GET at path. */
const struct pbi_err *
pb_list(struct pbi_svc *s, const char *profile, const char *path,
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
const struct pbi_err *
pb_group_list(struct pbi_svc *s, const char *profile, const char *group,
    const char *what, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[128];

	if ((err = pb_check_ids(profile, group, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s/%s", group, what);
	return pb_list(s, profile, path, out);
}
