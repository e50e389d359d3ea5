/*
 * collections.c: the retired Power BI Workspace Collections (api-facts
 * 4): the data plane under /v1.0/collections/{name}/ with the
 * collection's access key (core/svc.c sends it as AppKey), and the ARM
 * control plane that lists collections and their keys.
 */
#include "powerbi_int.h"

#include <stdio.h>
#include <string.h>

#define WC	"/v1.0/collections/"
#define ARM_WC	"providers/Microsoft.PowerBI/workspaceCollections"

/* Names and ids go into paths: letters, digits, '-', '_' and '.' only. */
static const struct pbi_err *
check_name(const char *what, const char *s)
{
	size_t	 i;

	if (s == NULL || *s == '\0' || strlen(s) > 128)
		return pbi_err(PBI_ERR_INPUT, "invalid %s '%s'", what,
		    s ? s : "");
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return pbi_err(PBI_ERR_INPUT, "invalid %s '%.64s'",
			    what, s);
	return NULL;
}

const struct pbi_err *
wc_arm_collections(struct pbi_svc *s, const char *sub, const char *group,
    struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[512];

	*out = NULL;
	if ((err = check_name("subscription", sub)) != NULL ||
	    (group && (err = check_name("resource group", group)) != NULL))
		return err;
	if (group != NULL)
		snprintf(path, sizeof(path), "/subscriptions/%s/"
		    "resourceGroups/%s/" ARM_WC, sub, group);
	else
		snprintf(path, sizeof(path), "/subscriptions/%s/" ARM_WC, sub);
	return pbi_svc_all(s, PBI_API_ARM, path, NULL, 0, out);
}

const struct pbi_err *
wc_arm_key(struct pbi_svc *s, const char *sub, const char *group,
    const char *name, char *key, size_t len)
{
	const struct pbi_err	*err;
	struct json_object	*o = NULL;
	char			 path[640];

	key[0] = '\0';
	if ((err = check_name("subscription", sub)) != NULL ||
	    (err = check_name("resource group", group)) != NULL ||
	    (err = check_name("collection", name)) != NULL)
		return err;
	snprintf(path, sizeof(path), "/subscriptions/%s/resourceGroups/%s/"
	    ARM_WC "/%s/listKeys", sub, group, name);
	/* A read that POSTs: safe to repeat; the answer is a secret. */
	if ((err = pbi_svc_json(s, PBI_API_ARM, "POST", path, NULL, NULL,
	    PBI_REQ_IDEMPOTENT | PBI_REQ_SECRET, &o)) != NULL)
		return err;
	if (pj_str(o, "key1") == NULL || strlen(pj_str(o, "key1")) >= len)
		err = pbi_err(PBI_ERR_PROTO, "listKeys of collection '%s' "
		    "answered no usable key1", name);
	else
		pbi_strlcpy(key, pj_str(o, "key1"), len);
	pbi_json_wipe_put(o);
	return err;
}

/* Every item of the data-plane list at path (a new reference). */
static const struct pbi_err *
wc_get_list(struct pbi_svc *s, const char *path, struct json_object **out)
{
	return pbi_svc_all(s, PBI_API_COLLECTIONS, path, NULL, 0, out);
}

const struct pbi_err *
wc_workspaces(struct pbi_svc *s, const char *coll, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[256];

	*out = NULL;
	if ((err = check_name("collection", coll)) != NULL)
		return err;
	snprintf(path, sizeof(path), WC "%s/workspaces", coll);
	return wc_get_list(s, path, out);
}

const struct pbi_err *
wc_list(struct pbi_svc *s, const char *coll, const char *ws,
    const char *what, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[320];

	*out = NULL;
	if ((err = check_name("collection", coll)) != NULL ||
	    (err = pb_check_ids(ws, NULL, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), WC "%s/workspaces/%s/%s", coll, ws,
	    what);
	return wc_get_list(s, path, out);
}

const struct pbi_err *
wc_gateway_datasources(struct pbi_svc *s, const char *coll, const char *ws,
    const char *dataset, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[384];

	*out = NULL;
	if ((err = check_name("collection", coll)) != NULL ||
	    (err = pb_check_ids(ws, dataset, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), WC "%s/workspaces/%s/datasets/%s/"
	    "Default.GetBoundGatewayDatasources", coll, ws, dataset);
	return wc_get_list(s, path, out);
}

const struct pbi_err *
wc_export(struct pbi_svc *s, const char *coll, const char *ws,
    const char *report, FILE *f)
{
	const struct pbi_err	*err;
	char			 path[384];

	if ((err = check_name("collection", coll)) != NULL ||
	    (err = pb_check_ids(ws, report, NULL)) != NULL)
		return err;
	snprintf(path, sizeof(path), WC "%s/workspaces/%s/reports/%s/Export",
	    coll, ws, report);
	return pbi_svc_download(s, PBI_API_COLLECTIONS, path, NULL, f);
}
