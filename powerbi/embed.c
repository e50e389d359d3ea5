/*
 * embed.c: embed tokens (api-facts 3.7): V2 over reports, datasets and
 * target workspaces, V1 for a dashboard or a tile; and the dashboards
 * and tiles of a workspace that V1 tokens name.
 */
#include "powerbi_int.h"

#include <stdio.h>

/* A token's answer holds a secret; asking twice mints two, harms none. */
#define EMBED_FLAGS	(PBI_REQ_SECRET | PBI_REQ_IDEMPOTENT)

const struct pbi_err *
pb_embed_token(struct pbi_svc *s, const char *profile,
    struct json_object *req, struct json_object **out)
{
	const struct pbi_err	*err;
	HDRS;

	*out = NULL;
	if ((err = pb_check_ids(profile, NULL, NULL)) != NULL)
		return err;
	return pbi_svc_json(s, PBI_API_POWERBI, "POST", MYORG "/GenerateToken",
	    AS(profile), req, EMBED_FLAGS, out);
}

const struct pbi_err *
pb_embed_token_v1(struct pbi_svc *s, const char *profile, const char *group,
    const char *dashboard, const char *tile, struct json_object *req,
    struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[256];
	HDRS;

	*out = NULL;
	if ((err = pb_check_ids(profile, group, dashboard)) != NULL ||
	    (err = pb_check_ids(tile, NULL, NULL)) != NULL)
		return err;
	if (tile != NULL)
		snprintf(path, sizeof(path), MYORG "/groups/%s/dashboards/%s/"
		    "tiles/%s/GenerateToken", group, dashboard, tile);
	else
		snprintf(path, sizeof(path), MYORG "/groups/%s/dashboards/%s/"
		    "GenerateToken", group, dashboard);
	return pbi_svc_json(s, PBI_API_POWERBI, "POST", path, AS(profile), req,
	    EMBED_FLAGS, out);
}

const struct pbi_err *
pb_dashboards(struct pbi_svc *s, const char *profile, const char *group,
    struct json_object **out)
{
	return pb_group_list(s, profile, group, "dashboards", out);
}

const struct pbi_err *
pb_tiles(struct pbi_svc *s, const char *profile, const char *group,
    const char *dashboard, struct json_object **out)
{
	const struct pbi_err	*err;
	char			 path[192];

	*out = NULL;
	if ((err = pb_check_ids(profile, group, dashboard)) != NULL)
		return err;
	snprintf(path, sizeof(path), MYORG "/groups/%s/dashboards/%s/tiles",
	    group, dashboard);
	return pb_list(s, profile, path, out);
}
