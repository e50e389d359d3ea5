/*
 * cloud.c: the hosts and resources of each cloud, and the environment
 * that overrides them.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

/*
 * api-facts 1.8.  Azure Resource Manager is the one of the cloud's login
 * authority: Azure Government (management.usgovcloudapi.net) signs in at
 * login.microsoftonline.us, so GCC, which signs in at the commercial
 * authority, has the commercial ARM.
 */
static const struct {
	const char	*name;
	const char	*login;
	const char	*graph;
	const char	*powerbi;
	const char	*pbi_resource;
	const char	*arm;
} clouds[] = {
	{ "public", "https://login.microsoftonline.com",
	  "https://graph.microsoft.com", "https://api.powerbi.com",
	  "https://analysis.windows.net/powerbi/api",
	  "https://management.azure.com" },
	{ "usgov", "https://login.microsoftonline.com",
	  "https://graph.microsoft.com", "https://api.powerbigov.us",
	  "https://analysis.usgovcloudapi.net/powerbi/api",
	  "https://management.azure.com" },
	{ "usgovhigh", "https://login.microsoftonline.us",
	  "https://graph.microsoft.us", "https://api.high.powerbigov.us",
	  "https://high.analysis.usgovcloudapi.net/powerbi/api",
	  "https://management.usgovcloudapi.net" },
	{ "dod", "https://login.microsoftonline.us",
	  "https://dod-graph.microsoft.us", "https://api.mil.powerbigov.us",
	  "https://mil.analysis.usgovcloudapi.net/powerbi/api",
	  "https://management.usgovcloudapi.net" },
	{ "china", "https://login.chinacloudapi.cn",
	  "https://microsoftgraph.chinacloudapi.cn", "https://api.powerbi.cn",
	  "https://analysis.chinacloudapi.cn/powerbi/api",
	  "https://management.chinacloudapi.cn" },
};

/* Copy an override URL into dst, without a trailing slash. */
static const struct pbi_err *
override(char *dst, size_t len, const char *var)
{
	const char	*v = getenv(var);
	size_t		 n;

	if (v == NULL || *v == '\0')
		return NULL;
	if (!pbi_url_allowed(v))
		return pbi_err(PBI_ERR_CONFIG, "%s='%s': expected an https "
		    "URL, or http to a loopback host", var, v);
	n = pbi_strlcpy(dst, v, len);
	if (n >= len)
		return pbi_err(PBI_ERR_CONFIG, "%s is too long", var);
	while (n > 0 && dst[n - 1] == '/')
		dst[--n] = '\0';
	return NULL;
}

const struct pbi_err *
pbi_endpoints_get(const char *cloud, struct pbi_endpoints *e)
{
	const struct pbi_err	*err;
	size_t			 i;

	memset(e, 0, sizeof(*e));
	if (cloud == NULL)
		cloud = "public";
	for (i = 0; i < sizeof(clouds) / sizeof(clouds[0]); i++)
		if (strcmp(cloud, clouds[i].name) == 0)
			break;
	if (i == sizeof(clouds) / sizeof(clouds[0]))
		return pbi_err(PBI_ERR_CONFIG, "unknown cloud '%s'", cloud);
	pbi_strlcpy(e->cloud, clouds[i].name, sizeof(e->cloud));
	pbi_strlcpy(e->login, clouds[i].login, sizeof(e->login));
	pbi_strlcpy(e->graph, clouds[i].graph, sizeof(e->graph));
	pbi_strlcpy(e->graph_resource, clouds[i].graph,
	    sizeof(e->graph_resource));
	pbi_strlcpy(e->powerbi, clouds[i].powerbi, sizeof(e->powerbi));
	pbi_strlcpy(e->powerbi_resource, clouds[i].pbi_resource,
	    sizeof(e->powerbi_resource));
	pbi_strlcpy(e->arm, clouds[i].arm, sizeof(e->arm));
	pbi_strlcpy(e->arm_resource, clouds[i].arm, sizeof(e->arm_resource));
	/* The resources stay the cloud's own: tokens name them as aud. */
	if ((err = override(e->login, sizeof(e->login),
	    "AZURE_AUTHORITY_HOST")) != NULL ||
	    (err = override(e->login, sizeof(e->login),
	    "PBICTL_LOGIN_URL")) != NULL ||
	    (err = override(e->graph, sizeof(e->graph),
	    "PBICTL_GRAPH_URL")) != NULL ||
	    (err = override(e->powerbi, sizeof(e->powerbi),
	    "PBICTL_POWERBI_URL")) != NULL ||
	    (err = override(e->arm, sizeof(e->arm),
	    "PBICTL_ARM_URL")) != NULL)
		return err;
	/* The legacy data plane is served by the Power BI host (4.1). */
	pbi_strlcpy(e->collections, e->powerbi, sizeof(e->collections));
	return override(e->collections, sizeof(e->collections),
	    "PBICTL_COLLECTIONS_URL");
}
