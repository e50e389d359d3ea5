/*
 * capacities.c: capacities and the asynchronous assignment of a
 * workspace to one (api-facts 3.3).
 */
#include "powerbi_int.h"

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

	if ((err = pb_check_ids(profile, group, capacity)) != NULL)
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
	return pb_group_call(s, profile, "GET", group,
	    "/CapacityAssignmentStatus", out);
}
