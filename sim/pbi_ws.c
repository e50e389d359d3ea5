/*
 * pbi_ws.c: who may do what in a Power BI workspace (api-facts 3.1, 3.2,
 * 6.12): access rights, the caller's identity and rank in a workspace
 * (through its profile or a group), workspace and item lookup, and the
 * $top/$skip and name filters of Power BI lists.
 */
#include "sim/sim.h"
#include "sim/pbi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Access right names, by rank (R_*). */
const char *const sim_pbi_rights[] = { "None", "Viewer", "Contributor",
    "Member", "Admin", NULL };

/* Rank (R_*) of an access right name, any case, or -1. */
int
sim_pbi_right_rank(const char *s)
{
	int	 i;

	for (i = 0; sim_pbi_rights[i] != NULL; i++)
		if (sim_streq_ci(s, sim_pbi_rights[i]))
			return i;
	return -1;
}

/* Principal key used for ownership: "app:<spid>[/<profile>]" or "user:". */
void
sim_pbi_caller_key(const struct req *r, char *out, size_t n)
{
	if (r->pr.kind == PR_APP)
		snprintf(out, n, "app:%s%s%s", r->pr.oid,
		    r->pr.profile[0] ? "/" : "", r->pr.profile);
	else
		snprintf(out, n, "user:%s", r->pr.upn);
}

/* Display name of the caller: its profile, appid or upn (borrowed). */
const char *
sim_pbi_caller_name(const struct req *r)
{
	if (r->pr.kind == PR_APP)
		return r->pr.profile[0] ? r->pr.profile : r->pr.appid;
	return r->pr.upn;
}

/* Access right rank of the caller on workspace ws (R_NONE if none). */
int
sim_ws_access(const struct req *r, struct json_object *ws)
{
	struct json_object	*u = pj_arr(ws, "_users"), *e;
	const char		*pt, *id, *prof;
	size_t			 i;
	int			 best = R_NONE, k;

	for (i = 0; u != NULL && i < json_object_array_length(u); i++) {
		e = json_object_array_get_idx(u, i);
		pt = pj_str(e, "principalType");
		id = pj_str(e, "identifier");
		prof = pj_path_str(e, "profile.id");
		k = sim_pbi_right_rank(pj_str(e, "groupUserAccessRight"));
		if (sim_streq_ci(pt, "App")) {
			if (r->pr.kind != PR_APP || !sim_streq_ci(id, r->pr.oid))
				continue;
			if ((prof == NULL) != (r->pr.profile[0] == '\0'))
				continue;
			if (prof != NULL && !sim_streq_ci(prof, r->pr.profile))
				continue;
		} else if (sim_streq_ci(pt, "User")) {
			if (r->pr.kind != PR_USER || (!sim_streq_ci(id,
			    r->pr.upn) && !sim_streq_ci(id, r->pr.oid)))
				continue;
		} else if (sim_streq_ci(pt, "Group")) {
			if (r->pr.profile[0] != '\0' ||
			    !sim_dir_is_member(id, r->pr.oid))
				continue;
		} else
			continue;
		if (k > best)
			best = k;
	}
	return best;
}

/* The workspace of id, any case, or NULL (borrowed). */
struct json_object *
sim_ws_find(const char *id)
{
	return sim_find_ci(pj_arr(g.state, "workspaces"), "id", id);
}

/*
 * The workspace id with at least right need for the caller, settled; or
 * NULL after answering 404 / 401.
 */
struct json_object *
sim_ws_get(struct req *r, const char *id, int need)
{
	struct json_object	*ws = sim_ws_find(id);

	if (ws == NULL) {
		sim_pbi_error(r, 404, "PowerBIEntityNotFound", "Workspace '%s' "
		    "was not found", id);
		return NULL;
	}
	if (sim_ws_access(r, ws) < (need < R_VIEWER ? R_VIEWER : need)) {
		sim_pbi_not_authorized(r);
		return NULL;
	}
	sim_ws_settle(ws);
	return ws;
}

struct json_object *
sim_ws_find_item(const char *kind, const char *id, struct json_object **wsout)
{
	struct json_object	*a = pj_arr(g.state, "workspaces"), *ws, *o;
	size_t			 i;

	for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
		ws = json_object_array_get_idx(a, i);
		sim_ws_settle(ws);
		if ((o = sim_find_ci(pj_arr(ws, kind), "id", id)) != NULL) {
			*wsout = ws;
			return o;
		}
	}
	return NULL;
}

/* contains(name,'x') or name eq 'x'; 1 match, 0 not, -1 bad filter. */
int
sim_pbi_name_filter(const char *f, const char *name)
{
	char		 keys[4][64], vals[4][256], v[256];
	const char	*p;
	size_t		 n;

	if (f == NULL || *f == '\0')
		return 1;
	if (strncasecmp(f, "contains(name,", 14) == 0) {
		p = f + 14;
		while (*p == ' ')
			p++;
		if (*p != '\'')
			return -1;
		p++;
		n = strcspn(p, "'");
		snprintf(v, sizeof(v), "%.*s", (int)n, p);
		return name != NULL && sim_strcasestr(name, v) != NULL;
	}
	if (sim_filter_eq(f, keys, vals, 4) != 1 ||
	    strcasecmp(keys[0], "name") != 0)
		return -1;
	return sim_streq_ci(name, vals[0]);
}

/*
 * $top and $skip of r into top (default and limit max) and skip.
 * Returns 0, or -1 after answering 400.
 */
int
sim_pbi_topskip(struct req *r, long *top, long *skip, long max)
{
	const char	*t = sim_q(r, "$top"), *s = sim_q(r, "$skip");

	*top = t ? strtol(t, NULL, 10) : max;
	*skip = s ? strtol(s, NULL, 10) : 0;
	if (*top < 1 || *top > max || *skip < 0) {
		sim_pbi_error(r, 400, "InvalidRequest", "Invalid $top or "
		    "$skip");
		return -1;
	}
	return 0;
}

/*
 * ws changed now: what admin/workspaces/modified answers (api-facts
 * 3.9).  Caller holds g.mu.
 */
void
sim_ws_touch(struct json_object *ws)
{
	if (ws != NULL)
		pj_add_int(ws, "_modified", sim_now_ms());
}
