/*
 * perms.c: what a caller's token must carry for each Graph and Power BI
 * route (api-facts 1.1, 2.2, 2.3, 3.0, 3.9, 7): the
 * application permissions of the Microsoft Graph service principal
 * assigned to a client (its app token's "roles" claim), the delegated
 * scopes consented for a signed-in user ("scp") and the user's
 * directory roles ("wids").  A call without them is refused as each
 * service does: Graph 403 Authorization_RequestDenied, Power BI 401
 * PowerBINotAuthorizedException (api-facts 3.0: permission problems are
 * 401 there).  pbisim(1) BEHAVIOUR lists the tables, "Emulator choices"
 * says they are the emulator's reading of the services' references.
 */
#include "sim/sim.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Directory role template ids (the "wids" claim), by display name. */
static const struct {
	const char	*name;
	const char	*id;
} dirroles[] = {
	{ "Global Administrator", SIM_ROLE_GLOBAL_ADMIN },
	{ "Application Administrator", "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3" },
	{ "Cloud Application Administrator",
	    "158c047a-c907-4556-b7ef-446551a6b5f7" },
	{ "Privileged Role Administrator",
	    "e8611ab8-c189-46e8-94e1-60213ab1f814" },
	{ "Groups Administrator", "fdd7a751-b60b-444a-984c-02652fe8fa1c" },
	{ "Fabric Administrator", "a9ea8996-122f-4c74-9520-8edcd192826c" },
	{ NULL, NULL }
};

/* The template id of a directory role named name (or given by id). */
const char *
sim_dir_role_id(const char *name)
{
	int	 i;

	if (name == NULL)
		return NULL;
	for (i = 0; dirroles[i].name != NULL; i++)
		if (strcasecmp(dirroles[i].name, name) == 0 ||
		    strcasecmp(dirroles[i].id, name) == 0)
			return dirroles[i].id;
	return NULL;
}

#define GA	SIM_ROLE_GLOBAL_ADMIN
#define APPADM	"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
#define CLOUDADM "158c047a-c907-4556-b7ef-446551a6b5f7"
#define PRA	"e8611ab8-c189-46e8-94e1-60213ab1f814"
#define GRPADM	"fdd7a751-b60b-444a-984c-02652fe8fa1c"

/*
 * One Graph operation: the application permissions (roles) that allow
 * it, the delegated scopes that allow it, and the directory roles a
 * signed-in user must hold besides (NULL: any member user may, as
 * Entra's default user permissions let every member read the
 * directory).  Lists are space separated; any one entry suffices.
 */
struct gperm {
	const char	*what;
	const char	*app;
	const char	*deleg;
	const char	*dirrole;
};

static const struct gperm g_app_read = { "read applications",
	"Application.Read.All Application.ReadWrite.All "
	"Application.ReadWrite.OwnedBy Directory.Read.All "
	"Directory.ReadWrite.All",
	"Application.Read.All Application.ReadWrite.All Directory.Read.All "
	"Directory.ReadWrite.All Directory.AccessAsUser.All", NULL };
static const struct gperm g_app_write = { "write applications",
	"Application.ReadWrite.All Application.ReadWrite.OwnedBy",
	"Application.ReadWrite.All Directory.AccessAsUser.All",
	GA " " APPADM " " CLOUDADM };
static const struct gperm g_sp_read = { "read service principals",
	"Application.Read.All Application.ReadWrite.All "
	"Application.ReadWrite.OwnedBy Directory.Read.All "
	"Directory.ReadWrite.All",
	"Application.Read.All Application.ReadWrite.All Directory.Read.All "
	"Directory.ReadWrite.All Directory.AccessAsUser.All", NULL };
static const struct gperm g_sp_write = { "write service principals",
	"Application.ReadWrite.All Application.ReadWrite.OwnedBy",
	"Application.ReadWrite.All Directory.AccessAsUser.All",
	GA " " APPADM " " CLOUDADM };
static const struct gperm g_grant_read = { "read permission grants",
	"DelegatedPermissionGrant.Read.All "
	"DelegatedPermissionGrant.ReadWrite.All Directory.Read.All "
	"Directory.ReadWrite.All",
	"DelegatedPermissionGrant.Read.All "
	"DelegatedPermissionGrant.ReadWrite.All Directory.Read.All "
	"Directory.ReadWrite.All Directory.AccessAsUser.All", NULL };
static const struct gperm g_grant_write = { "write permission grants",
	"DelegatedPermissionGrant.ReadWrite.All",
	"DelegatedPermissionGrant.ReadWrite.All Directory.AccessAsUser.All",
	GA " " PRA " " APPADM " " CLOUDADM };
static const struct gperm g_group_read = { "read groups",
	"GroupMember.Read.All GroupMember.ReadWrite.All Group.Read.All "
	"Group.ReadWrite.All Directory.Read.All Directory.ReadWrite.All",
	"GroupMember.Read.All GroupMember.ReadWrite.All Group.Read.All "
	"Group.ReadWrite.All Directory.Read.All Directory.ReadWrite.All "
	"Directory.AccessAsUser.All", NULL };
static const struct gperm g_member_write = { "write group members",
	"GroupMember.ReadWrite.All Group.ReadWrite.All "
	"Directory.ReadWrite.All",
	"GroupMember.ReadWrite.All Group.ReadWrite.All "
	"Directory.ReadWrite.All Directory.AccessAsUser.All",
	GA " " GRPADM };
static const struct gperm g_user_read = { "read users",
	"User.Read.All User.ReadWrite.All Directory.Read.All "
	"Directory.ReadWrite.All",
	"User.ReadBasic.All User.Read.All User.ReadWrite.All "
	"Directory.Read.All Directory.ReadWrite.All "
	"Directory.AccessAsUser.All", NULL };
static const struct gperm g_me = { "read the signed-in user", "",
	"User.Read User.ReadWrite User.ReadBasic.All User.Read.All "
	"Directory.Read.All Directory.AccessAsUser.All", NULL };
static const struct gperm g_org_read = { "read the organization",
	"Organization.Read.All Directory.Read.All Directory.ReadWrite.All",
	"User.Read Organization.Read.All Directory.Read.All "
	"Directory.AccessAsUser.All", NULL };

/* Does the space-separated list have hold any word of the list want? */
static int
any_of(const char *have, const char *want)
{
	const char	*w, *h;
	size_t		 wl, hl;

	if (have == NULL || want == NULL)
		return 0;
	for (w = want; *w != '\0'; w += wl) {
		w += strspn(w, " ");
		if ((wl = strcspn(w, " ")) == 0)
			break;
		for (h = have; *h != '\0'; h += hl) {
			h += strspn(h, " ");
			if ((hl = strcspn(h, " ")) == 0)
				break;
			if (hl == wl && strncasecmp(h, w, wl) == 0)
				return 1;
		}
	}
	return 0;
}

/* The Graph operation of r, or NULL for a route anyone may call. */
static const struct gperm *
graph_op(const struct req *r)
{
	const char	*set = r->seg[1];
	int		 get = strcmp(r->method, "GET") == 0;
	size_t		 n = strcspn(set, "(");

	if (n == 12 && strncmp(set, "applications", n) == 0)
		return get ? &g_app_read : &g_app_write;
	if (n == 17 && strncmp(set, "servicePrincipals", n) == 0)
		return get ? &g_sp_read : &g_sp_write;
	if (strcmp(set, "oauth2PermissionGrants") == 0)
		return get ? &g_grant_read : &g_grant_write;
	if (strcmp(set, "groups") == 0)
		return get ? &g_group_read : &g_member_write;
	if (strcmp(set, "users") == 0)
		return &g_user_read;
	if (strcmp(set, "me") == 0)
		return &g_me;
	if (strcmp(set, "organization") == 0)
		return &g_org_read;
	return NULL;
}

/*
 * May r's principal make this Graph call?  An app token needs one of the
 * operation's application permissions in its roles; a user token one of
 * its delegated scopes and, for a write, a directory role that allows
 * it.  Returns 0, or answers 403 Authorization_RequestDenied (api-facts
 * 2.3) and returns -1.
 */
int
sim_graph_permitted(struct req *r)
{
	const struct gperm	*op = graph_op(r);
	int			 ok;

	if (op == NULL)
		return 0;
	if (r->pr.kind == PR_APP)
		ok = any_of(r->pr.roles, op->app);
	else
		ok = any_of(r->pr.scp, op->deleg) && (op->dirrole == NULL ||
		    any_of(r->pr.wids, op->dirrole));
	if (ok)
		return 0;
	sim_graph_error(r, 403, "Authorization_RequestDenied",
	    "Insufficient privileges to complete the operation.");
	return -1;
}

/*
 * The delegated scopes a Power BI route needs of a user token
 * (api-facts 1.1, 3.9: Workspace.ReadWrite.All to create workspaces,
 * Tenant.Read.All for the admin APIs): groups of alternatives joined by
 * "|", all groups (separated by " ") needed; NULL when none.
 */
static const char *
pbi_need(const struct req *r)
{
	const char	*s2 = r->seg[2], *s4, *s6;
	int		 get = strcmp(r->method, "GET") == 0;

	if (strcmp(s2, "admin") == 0)
		return "Tenant.Read.All|Tenant.ReadWrite.All";
	if (strcmp(s2, "capacities") == 0)
		return "Capacity.Read.All|Capacity.ReadWrite.All";
	if (strcmp(s2, "GenerateToken") == 0)
		return "Content.Create|Report.Read.All|Report.ReadWrite.All|"
		    "Dataset.Read.All|Dataset.ReadWrite.All";
	if (strcmp(s2, "gateways") == 0)
		return get ? "Dataset.Read.All|Dataset.ReadWrite.All" :
		    "Dataset.ReadWrite.All";
	if (strcmp(s2, "reports") == 0)
		return "Report.Read.All|Report.ReadWrite.All";
	if (strcmp(s2, "datasets") == 0 || strcmp(s2, "imports") == 0)
		return "Dataset.Read.All|Dataset.ReadWrite.All";
	if (strcmp(s2, "dashboards") == 0)
		return "Dashboard.Read.All|Dashboard.ReadWrite.All";
	if (strcmp(s2, "groups") != 0)
		return NULL;
	if (r->nseg <= 4 || strcmp(r->seg[4], "users") == 0 ||
	    strcmp(r->seg[4], "CapacityAssignmentStatus") == 0)
		return get ? "Workspace.Read.All|Workspace.ReadWrite.All" :
		    "Workspace.ReadWrite.All";
	s4 = r->seg[4];
	s6 = r->nseg > 6 ? r->seg[6] : "";
	if (strcmp(s4, "AssignToCapacity") == 0)
		return "Workspace.ReadWrite.All Capacity.ReadWrite.All";
	if (strcmp(s4, "imports") == 0)
		return get ? "Dataset.Read.All|Dataset.ReadWrite.All" :
		    "Dataset.ReadWrite.All";
	if (strcmp(s4, "reports") == 0) {
		if (get || strcmp(s6, "GenerateToken") == 0 ||
		    (r->nseg == 6 && strcmp(r->seg[5], "GenerateToken") == 0))
			return "Report.Read.All|Report.ReadWrite.All";
		return "Report.ReadWrite.All";
	}
	if (strcmp(s4, "datasets") == 0)
		return get || strcmp(s6, "GenerateToken") == 0 ?
		    "Dataset.Read.All|Dataset.ReadWrite.All" :
		    "Dataset.ReadWrite.All";
	if (strcmp(s4, "dashboards") == 0)
		return get || strcmp(r->seg[r->nseg - 1], "GenerateToken") ==
		    0 ? "Dashboard.Read.All|Dashboard.ReadWrite.All" :
		    "Dashboard.ReadWrite.All";
	return NULL;
}

/*
 * May r's user token make this Power BI call?  App tokens carry no
 * scopes (a service principal's access is the tenant switch and its
 * workspace roles).  Returns 0, or answers 401
 * PowerBINotAuthorizedException and returns -1.
 */
int
sim_pbi_scoped(struct req *r)
{
	const char	*need, *p;
	char		 alt[256];
	size_t		 n;
	unsigned	 i;

	if (r->pr.kind != PR_USER || r->nseg < 3 ||
	    (need = pbi_need(r)) == NULL)
		return 0;
	for (p = need; *p != '\0'; p += n) {
		p += strspn(p, " ");
		if ((n = strcspn(p, " ")) == 0)
			break;
		snprintf(alt, sizeof(alt), "%.*s", (int)n, p);
		for (i = 0; alt[i] != '\0'; i++)
			if (alt[i] == '|')
				alt[i] = ' ';
		if (!any_of(r->pr.scp, alt)) {
			sim_pbi_not_authorized(r);
			return -1;
		}
	}
	return 0;
}
