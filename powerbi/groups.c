/*
 * groups.c: workspaces (groups) and their users (api-facts 3.1, 3.2).
 */
#include "powerbi_int.h"

#include <stdlib.h>
#include <string.h>

const struct pbi_err *
pb_group_find(struct pbi_svc *s, const char *profile, const char *name,
    struct json_object **out)
{
	const struct pbi_err	*err;
	char			*p;

	if ((err = pb_check_ids(profile, NULL, NULL)) != NULL)
		return err;
	if ((p = pb_filtered("groups", "name", name)) == NULL)
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	err = pb_find_named(s, profile, p, "name", name, out);
	free(p);
	return err;
}

const struct pbi_err *
pb_group_get(struct pbi_svc *s, const char *profile, const char *id,
    struct json_object **out)
{
	return pb_group_call(s, profile, "GET", id, "", out);
}

const struct pbi_err *
pb_group_create(struct pbi_svc *s, const char *profile, const char *name,
    struct json_object **out)
{
	struct json_object	*b;
	const struct pbi_err	*err;
	HDRS;

	if ((err = pb_check_ids(profile, NULL, NULL)) != NULL)
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
	return pb_group_call(s, profile, "DELETE", id, "", NULL);
}

const struct pbi_err *
pb_group_users(struct pbi_svc *s, const char *profile, const char *id,
    struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[128];
	HDRS;

	if ((err = pb_check_ids(profile, id, NULL)) != NULL)
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

	if ((err = pb_check_ids(profile, id, NULL)) != NULL)
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
