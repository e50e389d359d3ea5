/*
 * profiles.c: service principal profiles (api-facts 3.8).
 */
#include "powerbi_int.h"

#include <stdlib.h>

const struct pbi_err *
pb_profile_find(struct pbi_svc *s, const char *name, struct json_object **out)
{
	const struct pbi_err	*err;
	char			*p;

	if ((p = pb_filtered("profiles", "displayName", name)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	err = pb_find_named(s, NULL, p, "displayName", name, out);
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
