/*
 * auth.c: the bearer tokens of Graph, Power BI and ARM calls (api-facts
 * 1.1, 1.8, 3.0, 6.10): the resources a token may be for, and the check
 * of a call's token (signature, audience, tenant, expiry) that names its
 * principal or answers as the service does.
 */
#include "sim/sim.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct resdef {
	const char	*uri;
	const char	*kind;		/* "graph" or "pbi" */
};

/* api-facts 1.1 and 1.8: resources and their sovereign-cloud variants */
static const struct resdef resources[] = {
	{ "https://graph.microsoft.com", "graph" },
	{ "https://graph.microsoft.us", "graph" },
	{ "https://dod-graph.microsoft.us", "graph" },
	{ "https://microsoftgraph.chinacloudapi.cn", "graph" },
	{ "https://analysis.windows.net/powerbi/api", "pbi" },
	{ "https://analysis.usgovcloudapi.net/powerbi/api", "pbi" },
	{ "https://high.analysis.usgovcloudapi.net/powerbi/api", "pbi" },
	{ "https://mil.analysis.usgovcloudapi.net/powerbi/api", "pbi" },
	{ "https://analysis.chinacloudapi.cn/powerbi/api", "pbi" },
	{ "https://analysis.cloudapi.de/powerbi/api", "pbi" },
	{ "https://management.azure.com", "arm" },
	{ "https://management.core.windows.net", "arm" },
	{ "https://management.usgovcloudapi.net", "arm" },
	{ "https://management.chinacloudapi.cn", "arm" },
	{ NULL, NULL }
};

/* "graph", "pbi" or NULL for an audience / resource URI. */
const char *
sim_resource_of(const char *aud)
{
	size_t	 n;
	int	 i;

	if (aud == NULL)
		return NULL;
	if (strcmp(aud, SIM_GRAPH_APPID) == 0)
		return "graph";
	if (strcmp(aud, SIM_PBI_APPID) == 0)
		return "pbi";
	n = strlen(aud);
	if (n > 0 && aud[n - 1] == '/')
		n--;		/* "https://management.azure.com/" */
	for (i = 0; resources[i].uri != NULL; i++)
		if (strlen(resources[i].uri) == n &&
		    strncasecmp(aud, resources[i].uri, n) == 0)
			return resources[i].kind;
	return NULL;
}

/* The strings of array claim name, joined by spaces into out. */
static void
claim_join(struct json_object *cl, const char *name, char *out, size_t n)
{
	struct json_object	*a = pj_arr(cl, name);
	size_t			 i, len = 0;
	const char		*s;

	out[0] = '\0';
	for (i = 0; i < pj_len(a); i++) {
		if ((s = json_object_get_string(pj_idx(a, i))) == NULL)
			continue;
		if (len + strlen(s) + 2 > n)
			break;
		len += (size_t)snprintf(out + len, n - len, "%s%s",
		    len ? " " : "", s);
	}
}

/*
 * Authenticate a Graph (pbi 0), Power BI (pbi 1) or ARM (pbi 2) call from
 * its bearer token.  Fills r->pr, with the token's scopes, app roles and
 * directory roles (what perms.c checks).  Returns 0, or -1 after
 * answering as the service does (api-facts 3.0: Power BI 403 +
 * x-powerbi-error-info; Graph 401).
 */
int
sim_auth(struct req *r, int pbi)
{
	const char		*a = sim_hdr(r, "Authorization");
	struct json_object	*cl = NULL, *sp, *u;
	const char		*kind, *why = NULL;
	int			 rc = -1;

	memset(&r->pr, 0, sizeof(r->pr));
	if (a == NULL || strncasecmp(a, "Bearer ", 7) != 0 || a[7] == '\0')
		why = "Access token is empty.";
	else if (jwt_verify_own(a + 7, &cl) != 0)
		why = "Access token validation failure.";
	else if ((kind = sim_resource_of(pj_str(cl, "aud"))) == NULL ||
	    strcmp(kind, pbi == 2 ? "arm" : pbi ? "pbi" : "graph") != 0)
		why = "Access token validation failure. Invalid audience.";
	else if (!sim_streq_ci(pj_str(cl, "tid"),
	    pj_str(pj_obj(g.state, "tenant"), "id")))
		why = "Access token validation failure. Invalid tenant.";
	if (why != NULL) {
		if (pbi == 2)
			sim_pbi_error(r, 401, "InvalidAuthenticationToken",
			    "The access token is invalid.");
		else if (pbi) {
			sim_add_header(r, "x-powerbi-error-info",
			    "InvalidToken");
			sim_reply_empty(r, 403);
		} else
			sim_graph_error(r, 401, "InvalidAuthenticationToken",
			    why);
		goto done;
	}
	sim_log_principal(r, pj_str(cl, "upn") ? pj_str(cl, "upn") :
	    pj_str(cl, "appid"), NULL);
	if (pj_int(cl, "exp", 0) <= sim_now()) {
		if (pbi == 2)
			sim_pbi_error(r, 401, "ExpiredAuthenticationToken",
			    "The access token expiry UTC time is earlier than "
			    "current UTC time.");
		else if (pbi) {
			struct json_object *o = json_object_new_object(), *e;

			e = json_object_new_object();
			pj_add_str(e, "code", "TokenExpired");
			pj_add_str(e, "message", "Access token has expired, "
			    "resubmit with a new access token");
			pj_add(o, "error", e);
			sim_add_header(r, "x-powerbi-error-info",
			    "TokenExpired");
			sim_reply_json(r, 403, o);
		} else
			sim_graph_error(r, 401, "InvalidAuthenticationToken",
			    "Lifetime validation failed, the token is "
			    "expired.");
		goto done;
	}
	r->pr.exp = pj_int(cl, "exp", 0);
	snprintf(r->pr.scp, sizeof(r->pr.scp), "%s", pj_str(cl, "scp") ?
	    pj_str(cl, "scp") : "");
	claim_join(cl, "roles", r->pr.roles, sizeof(r->pr.roles));
	claim_join(cl, "wids", r->pr.wids, sizeof(r->pr.wids));
	snprintf(r->pr.appid, sizeof(r->pr.appid), "%s",
	    pj_str(cl, "appid") ? pj_str(cl, "appid") : "");
	if (sim_streq_ci(pj_str(cl, "idtyp"), "user")) {
		r->pr.kind = PR_USER;
		u = sim_find(pj_arr(g.state, "users"), "id",
		    pj_str(cl, "oid"));
		if (u == NULL) {
			if (pbi)
				sim_pbi_error_pbi(r, 401,
				    "PowerBINotAuthorizedException", NULL);
			else
				sim_graph_error(r, 401,
				    "InvalidAuthenticationToken",
				    "User not found in the tenant.");
			goto done;
		}
		snprintf(r->pr.oid, sizeof(r->pr.oid), "%s",
		    pj_str(u, "id"));
		snprintf(r->pr.upn, sizeof(r->pr.upn), "%s",
		    pj_str(u, "userPrincipalName"));
	} else {
		r->pr.kind = PR_APP;
		sp = sim_dir_sp_by_appid(r->pr.appid);
		if (sp == NULL) {
			/* a service principal must exist in the tenant */
			if (pbi)
				sim_pbi_error_pbi(r, 401,
				    "PowerBINotAuthorizedException", NULL);
			else
				sim_graph_error(r, 401,
				    "InvalidAuthenticationToken", "The "
				    "service principal of the client "
				    "application does not exist in the "
				    "tenant.");
			goto done;
		}
		snprintf(r->pr.oid, sizeof(r->pr.oid), "%s",
		    pj_str(sp, "id"));
	}
	rc = 0;
done:
	json_object_put(cl);
	return rc;
}
