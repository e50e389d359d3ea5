/*
 * content.c: the reports and datasets of a workspace (api-facts 3.5,
 * 3.6): parameters, refreshes and datasource credentials.
 */
#include "powerbi_int.h"

const struct pbi_err *
pb_reports(struct pbi_svc *s, const char *profile, const char *group,
    struct json_object **out)
{
	return pb_group_list(s, profile, group, "reports", out);
}

const struct pbi_err *
pb_datasets(struct pbi_svc *s, const char *profile, const char *group,
    struct json_object **out)
{
	return pb_group_list(s, profile, group, "datasets", out);
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

	if ((err = pb_check_ids(profile, group, dataset)) != NULL)
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
pb_set_connections(struct pbi_svc *s, const char *profile, const char *group,
    const char *dataset, const char *connection)
{
	struct json_object	*b = json_object_new_object();
	const struct pbi_err	*err;

	pj_add_str(b, "connectionString", connection);
	/* Setting the same string twice changes nothing. */
	err = dataset_post(s, profile, group, dataset,
	    "Default.SetAllConnections", b, PBI_REQ_IDEMPOTENT);
	pbi_json_wipe_put(b);
	return err;
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

	if ((err = pb_check_ids(profile, group, dataset)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s/datasets/%s/refreshes"
	    "?$top=1", group, dataset);
	return pb_list(s, profile, path, out);
}

const struct pbi_err *
pb_bound_datasources(struct pbi_svc *s, const char *profile,
    const char *group, const char *dataset, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[192];

	if ((err = pb_check_ids(profile, group, dataset)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s/datasets/%s/"
	    "Default.GetBoundGatewayDatasources", group, dataset);
	return pb_list(s, profile, path, out);
}

const struct pbi_err *
pb_datasource_credentials(struct pbi_svc *s, const char *profile,
    const char *gateway, const char *datasource, struct json_object *details)
{
	struct json_object	*b, *copy = NULL;
	const struct pbi_err	*err;
	char			 path[192];
	HDRS;

	if ((err = pb_check_ids(profile, gateway, datasource)) != NULL)
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
