/*
 * audit_rules.c: the isolation audit's rules (pbictl-audit(1) RULES):
 * from a snapshot of what the ledger records and what the service
 * answered, the findings, each {rule, severity, customer, workspace,
 * item, detail, remedy}.  Pure: no I/O, so that the unit tests hold each
 * rule to its table.
 *
 * One breach is one finding: a member that is another customer's
 * profile is profile-cross-customer, not member-cross-customer too; a
 * report whose name is taken twice is report-duplicate, not
 * report-unknown as well.
 */
#include "provision.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NEAR_LIMIT	0.9	/* of the workspaces a principal may have */

/* The maps the rules look things up in, built once per snapshot. */
struct rules {
	struct json_object	*snap;
	struct json_object	*out;		/* the findings */
	struct json_object	*seen;		/* keys already found */
	struct json_object	*ws_owner;	/* lower id: slug (active) */
	struct json_object	*ws_known;	/* lower id: any ledger row */
	struct json_object	*prof_owner;	/* lower id: slug (active) */
	struct json_object	*prof_known;
	struct json_object	*admin_of;	/* lower upn: [slug] */
	struct json_object	*target_of;	/* target: [slug] */
	struct json_object	*svc_ws;	/* lower id: service workspace */
	struct json_object	*scope;		/* slug: 1, audited */
	const char		*sp;		/* our service principal */
	int			 profiles;	/* isolation mode profile */
	int			 tenant_wide;	/* every workspace listed */
};

int
pbi_severity_rank(const char *s)
{
	if (s == NULL)
		return 0;
	if (strcmp(s, "critical") == 0)
		return 3;
	if (strcmp(s, "error") == 0)
		return 2;
	if (strcmp(s, "warning") == 0)
		return 1;
	return 0;
}

/* s in lower case, in buf (for keys: ids and UPNs ignore case). */
static const char *
lc(const char *s, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
	return buf;
}

/* The string under lower(key) in map, or NULL. */
static const char *
map_str(struct json_object *map, const char *key)
{
	char	 k[512];

	return key ? pj_str(map, lc(key, k, sizeof(k))) : NULL;
}

static struct json_object *
map_get(struct json_object *map, const char *key)
{
	struct json_object	*v = NULL;
	char			 k[512];

	if (key == NULL || !json_object_object_get_ex(map, lc(key, k,
	    sizeof(k)), &v))
		return NULL;
	return v;
}

static void
map_put(struct json_object *map, const char *key, struct json_object *v)
{
	char	 k[512];

	if (key != NULL)
		json_object_object_add(map, lc(key, k, sizeof(k)), v);
	else
		json_object_put(v);
}

/* Append slug to the list under key in map. */
static void
map_push(struct json_object *map, const char *key, const char *slug)
{
	struct json_object	*a = map_get(map, key);
	size_t			 i;

	if (key == NULL || slug == NULL)
		return;
	if (a == NULL) {
		a = json_object_new_array();
		map_put(map, key, a);
	}
	for (i = 0; i < pj_len(a); i++)
		if (strcmp(json_object_get_string(pj_idx(a, i)), slug) == 0)
			return;
	json_object_array_add(a, json_object_new_string(slug));
}

static int
list_has(struct json_object *a, const char *slug)
{
	size_t	 i;

	for (i = 0; slug != NULL && i < pj_len(a); i++)
		if (strcmp(json_object_get_string(pj_idx(a, i)), slug) == 0)
			return 1;
	return 0;
}

/* Record a finding, once per rule, customer, workspace and item. */
__attribute__((format(printf, 7, 8))) static void
found(struct rules *x, const char *rule, const char *sev,
    const char *customer, const char *ws, const char *item,
    const char *fmt, ...)
{
	struct json_object	*f;
	char			 key[1024], detail[1024];
	va_list			 ap;

	snprintf(key, sizeof(key), "%s|%s|%s|%s", rule, customer ?
	    customer : "", ws ? ws : "", item ? item : "");
	if (json_object_object_get_ex(x->seen, key, NULL))
		return;
	json_object_object_add(x->seen, key, NULL);
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	f = json_object_new_object();
	pj_add_str(f, "rule", rule);
	pj_add_str(f, "severity", sev);
	pj_add_str(f, "customer", customer);
	pj_add_str(f, "workspace", ws);
	pj_add_str(f, "item", item);
	pj_add_str(f, "detail", detail);
	pj_add_str(f, "remedy", NULL);
	json_object_array_add(x->out, f);
}

/* What to do about each rule (pbictl-audit(1) RULES says the same). */
static const struct {
	const char	*rule;
	const char	*remedy;
} remedies[] = {
	{ "workspace-missing", "find out who deleted it (the activity "
	  "log); to start the customer again: pbictl customer remove, then "
	  "pbictl onboard" },
	{ "workspace-orphan", "delete it if nobody needs it; if it is a "
	  "customer's, pbictl customer add adopts a workspace of its name" },
	{ "capacity-mismatch", "pbictl capacity assign CUSTOMER --capacity "
	  "ID puts it back on its capacity" },
	{ "capacity-inactive", "resume the capacity (Azure: "
	  "Microsoft.PowerBIDedicated/capacities/NAME/resume), or move the "
	  "customer with pbictl capacity assign" },
	{ "member-unexpected", "remove the member (DELETE "
	  "/groups/WORKSPACE/users/IDENTIFIER) unless it belongs there; an "
	  "admin that does is added with --admin, and the ledger records it" },
	{ "member-cross-customer", "remove the member from the workspace "
	  "now: it can reach another customer's data; then find out how it "
	  "was added" },
	{ "profile-missing", "find out who deleted it; pbictl customer "
	  "remove, then pbictl onboard, gives the customer a new one" },
	{ "profile-orphan", "delete it if it is nobody's (DELETE "
	  "/profiles/ID): a profile can create and reach workspaces" },
	{ "profile-cross-customer", "remove the profile from the other "
	  "customer's workspace now (DELETE /groups/WORKSPACE/users/SP?"
	  "profileId=ID), then find out how it was added" },
	{ "parent-sp-member", "remove the service principal itself from the "
	  "workspace (DELETE /groups/WORKSPACE/users/SP): in profile mode "
	  "only the customer's profile belongs there" },
	{ "binding-cross-workspace", "rebind the report to the dataset of "
	  "its own workspace (POST .../reports/ID/Rebind), or publish it "
	  "again" },
	{ "binding-cross-customer", "rebind the report to this customer's "
	  "dataset now, or publish it again: it shows another customer's "
	  "data" },
	{ "datasource-cross-customer", "point the dataset back at this "
	  "customer's source (Default.UpdateDatasources) and change the "
	  "other customer's database credentials" },
	{ "report-missing", "publish it again: pbictl publish FILE "
	  "--customer CUSTOMER" },
	{ "report-unknown", "delete it unless it belongs there; pbictl "
	  "publish records the reports it publishes" },
	{ "report-duplicate", "delete the copies the ledger does not know: "
	  "a publish that replaces a report fails while two share its name" },
	{ "ledger-shared", "correct the ledger (pbictl ledger export shows "
	  "the rows): one workspace and one profile belong to one customer" },
	{ "workspace-limit", "stay under the 1,000 workspaces a principal "
	  "or profile may have: onboard new customers into profiles "
	  "(isolation mode profile)" },
	{ "probe-cross-read", "remove the access that let the profile read "
	  "the workspace (see its membership findings), and treat it as a "
	  "breach" },
	{ "probe-cross-token", "remove the access that let the profile "
	  "embed the report (see its membership findings), and treat it as "
	  "a breach" },
	{ "ledger-verify", "see pbictl ledger verify and pbictl-ledger(1)" },
};

static const char *
remedy_of(const char *rule)
{
	size_t	 i;

	for (i = 0; i < sizeof(remedies) / sizeof(remedies[0]); i++)
		if (strcmp(remedies[i].rule, rule) == 0)
			return remedies[i].remedy;
	return "";
}

/* Does name match the workspace naming template (slug in its place)? */
static int
template_match(const char *tmpl, const char *name)
{
	const char	*at = tmpl ? strstr(tmpl, "{slug}") : NULL;
	size_t		 pre, suf, n, mid, i;

	if (tmpl == NULL || name == NULL)
		return 0;
	if (at == NULL)
		return strcmp(tmpl, name) == 0;
	pre = (size_t)(at - tmpl);
	suf = strlen(at + 6);
	n = strlen(name);
	if (n <= pre + suf || strncmp(name, tmpl, pre) != 0 ||
	    strcmp(name + n - suf, at + 6) != 0)
		return 0;
	mid = n - pre - suf;
	if (mid > 63 || name[pre] == '-' || name[pre + mid - 1] == '-')
		return 0;
	for (i = pre; i < pre + mid; i++)
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) && name[i] != '-')
			return 0;
	return 1;
}

static void
build_maps(struct rules *x)
{
	struct json_object	*v = pj_obj(x->snap, "ledger"), *a, *e, *c;
	struct json_object	*svc = pj_obj(x->snap, "service");
	size_t			 i, j;

	x->ws_owner = json_object_new_object();
	x->ws_known = json_object_new_object();
	x->prof_owner = json_object_new_object();
	x->prof_known = json_object_new_object();
	x->admin_of = json_object_new_object();
	x->target_of = json_object_new_object();
	x->svc_ws = json_object_new_object();
	x->scope = json_object_new_object();
	x->seen = json_object_new_object();
	a = pj_arr(v, "workspaces");
	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		map_put(x->ws_known, pj_str(e, "id"),
		    json_object_new_string(pj_str(e, "customer") ?
		    pj_str(e, "customer") : ""));
	}
	a = pj_arr(v, "profiles");
	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		map_put(x->prof_known, pj_str(e, "id"),
		    json_object_new_string(pj_str(e, "customer") ?
		    pj_str(e, "customer") : ""));
	}
	a = pj_arr(v, "customers");
	for (i = 0; i < pj_len(a); i++) {
		c = pj_idx(a, i);
		if (pj_obj(c, "workspace") != NULL)
			map_put(x->ws_owner, pj_str(pj_obj(c, "workspace"),
			    "id"), json_object_new_string(pj_str(c, "slug")));
		if (pj_obj(c, "profile") != NULL)
			map_put(x->prof_owner, pj_str(pj_obj(c, "profile"),
			    "id"), json_object_new_string(pj_str(c, "slug")));
		for (j = 0; j < pj_len(pj_arr(c, "admins")); j++)
			map_push(x->admin_of, json_object_get_string(
			    pj_idx(pj_arr(c, "admins"), j)),
			    pj_str(c, "slug"));
	}
	a = pj_arr(v, "targets");
	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		map_push(x->target_of, pj_str(e, "target"),
		    pj_str(e, "customer"));
	}
	a = pj_arr(svc, "workspaces");
	for (i = 0; i < pj_len(a); i++)
		map_put(x->svc_ws, pj_str(pj_idx(a, i), "id"),
		    json_object_get(pj_idx(a, i)));
	a = pj_arr(x->snap, "scope");
	for (i = 0; i < pj_len(a); i++)
		json_object_object_add(x->scope, json_object_get_string(
		    pj_idx(a, i)), json_object_new_int(1));
}

static int
in_scope(struct rules *x, const char *slug)
{
	if (pj_arr(x->snap, "scope") == NULL)
		return 1;
	return slug != NULL && json_object_object_get_ex(x->scope, slug,
	    NULL);
}

/* Was workspace id confirmed gone (404 as its profile)? */
static int
confirmed_missing(struct rules *x, const char *id)
{
	struct json_object	*a = pj_arr(pj_obj(x->snap, "service"),
				    "missing");
	size_t			 i;

	for (i = 0; i < pj_len(a); i++)
		if (strcasecmp(json_object_get_string(pj_idx(a, i)), id) == 0)
			return 1;
	return 0;
}

/* A member's name for people: its UPN, or type and identifier. */
static const char *
member_name(struct json_object *u, char *buf, size_t len)
{
	const char	*id = pj_str(u, "identifier");

	if (id == NULL)
		id = pj_str(u, "emailAddress");
	if (pj_path_str(u, "profile.id") != NULL)
		snprintf(buf, len, "%s/profile %s", id ? id : "?",
		    pj_path_str(u, "profile.id"));
	else
		snprintf(buf, len, "%s", id ? id : "?");
	return buf;
}

/* The members of customer c's workspace ws (service), one by one. */
static void
members(struct rules *x, struct json_object *c, struct json_object *ws)
{
	struct json_object	*users = pj_arr(ws, "users"), *u, *others;
	const char		*slug = pj_str(c, "slug"), *wid = pj_str(ws, "id");
	const char		*type, *id, *right, *prof, *owner, *mine;
	char			 item[512];
	size_t			 i;

	mine = pj_path_str(c, "profile.id");
	for (i = 0; i < pj_len(users); i++) {
		u = pj_idx(users, i);
		type = pj_str(u, "principalType");
		id = pj_str(u, "identifier");
		if (id == NULL)
			id = pj_str(u, "emailAddress");
		right = pj_str(u, "groupUserAccessRight");
		if (right == NULL)
			right = "?";
		prof = pj_path_str(u, "profile.id");
		member_name(u, item, sizeof(item));
		if (type != NULL && strcasecmp(type, "App") == 0 && id &&
		    x->sp && strcasecmp(id, x->sp) == 0) {
			if (prof == NULL) {
				if (x->profiles)
					found(x, "parent-sp-member", "warning",
					    slug, wid, item, "the service "
					    "principal itself is a member "
					    "(%s) of workspace '%s'", right,
					    pj_str(ws, "name"));
				continue;
			}
			if (mine != NULL && strcasecmp(prof, mine) == 0)
				continue;
			if ((owner = map_str(x->prof_owner, prof)) != NULL) {
				found(x, "profile-cross-customer", "critical",
				    owner, wid, prof, "the profile of "
				    "customer '%s' is a member (%s) of "
				    "workspace '%s' of customer '%s'", owner,
				    right, pj_str(ws, "name"), slug);
				continue;
			}
			found(x, "member-unexpected", "error", slug, wid,
			    item, "profile %s of the service principal, "
			    "which the ledger does not know, is a member (%s)",
			    prof, right);
			continue;
		}
		if (type != NULL && strcasecmp(type, "User") == 0 && id) {
			others = map_get(x->admin_of, id);
			if (list_has(others, slug))
				continue;
			if (pj_len(others) > 0) {
				found(x, "member-cross-customer", "critical",
				    slug, wid, item, "user %s, an admin of "
				    "customer '%s', is a member (%s)", id,
				    json_object_get_string(pj_idx(others, 0)),
				    right);
				continue;
			}
		}
		found(x, "member-unexpected", "error", slug, wid, item,
		    "%s %s is a member (%s)", type ? type : "principal",
		    id ? id : "?", right);
	}
}

/* The reports of c's workspace ws against the ledger's. */
static void
reports(struct rules *x, struct json_object *c, struct json_object *ws)
{
	struct json_object	*have = pj_arr(ws, "reports"), *r, *lr;
	struct json_object	*names = json_object_new_object(), *n;
	struct json_object	*ids = json_object_new_object();
	const char		*slug = pj_str(c, "slug"), *wid = pj_str(ws, "id");
	const char		*nm;
	size_t			 i;

	for (i = 0; i < pj_len(have); i++) {
		r = pj_idx(have, i);
		nm = pj_str(r, "name") ? pj_str(r, "name") : "";
		if (!json_object_object_get_ex(names, nm, &n))
			json_object_object_add(names, nm,
			    json_object_new_int(1));
		else
			json_object_object_add(names, nm,
			    json_object_new_int(json_object_get_int(n) + 1));
		map_put(ids, pj_str(r, "id"), json_object_new_int(1));
	}
	json_object_object_foreach(names, name, count) {
		if (json_object_get_int(count) > 1)
			found(x, "report-duplicate", "warning", slug, wid, name,
			    "%d reports are named '%s' in workspace '%s'",
			    json_object_get_int(count), name,
			    pj_str(ws, "name"));
	}
	lr = pj_arr(c, "reports");
	for (i = 0; i < pj_len(lr); i++) {
		r = pj_idx(lr, i);
		if (map_get(ids, pj_str(r, "id")) == NULL)
			found(x, "report-missing", "warning", slug, wid,
			    pj_str(r, "id"), "report '%s' (%s), which the "
			    "ledger records, is not in workspace '%s'",
			    pj_str(r, "name"), pj_str(r, "id"),
			    pj_str(ws, "name"));
	}
	json_object_put(ids);
	ids = json_object_new_object();
	for (i = 0; i < pj_len(lr); i++)
		map_put(ids, pj_str(pj_idx(lr, i), "id"),
		    json_object_new_int(1));
	for (i = 0; i < pj_len(have); i++) {
		r = pj_idx(have, i);
		nm = pj_str(r, "name") ? pj_str(r, "name") : "";
		if (map_get(ids, pj_str(r, "id")) != NULL ||
		    (json_object_object_get_ex(names, nm, &n) &&
		    json_object_get_int(n) > 1))
			continue;
		found(x, "report-unknown", "warning", slug, wid,
		    pj_str(r, "id"), "report '%s' (%s) is not in the ledger",
		    nm, pj_str(r, "id"));
	}
	json_object_put(ids);
	json_object_put(names);
}

/* The workspace of dataset id among the service's, or NULL. */
static const char *
dataset_home(struct rules *x, const char *id)
{
	struct json_object	*a = pj_arr(pj_obj(x->snap, "service"),
				    "workspaces"), *ds;
	size_t			 i, j;

	for (i = 0; id != NULL && i < pj_len(a); i++) {
		ds = pj_arr(pj_idx(a, i), "datasets");
		for (j = 0; j < pj_len(ds); j++)
			if (pj_str(pj_idx(ds, j), "id") != NULL &&
			    strcasecmp(pj_str(pj_idx(ds, j), "id"), id) == 0)
				return pj_str(pj_idx(a, i), "id");
	}
	return NULL;
}

/* Reports of c's workspace ws bound to a dataset elsewhere. */
static void
bindings(struct rules *x, struct json_object *c, struct json_object *ws)
{
	struct json_object	*have = pj_arr(ws, "reports"), *r, *ds;
	const char		*slug = pj_str(c, "slug"), *wid = pj_str(ws, "id");
	const char		*dsw, *did, *owner;
	size_t			 i, j;
	int			 local;

	for (i = 0; i < pj_len(have); i++) {
		r = pj_idx(have, i);
		did = pj_str(r, "datasetId");
		if (did == NULL)
			continue;
		dsw = pj_str(r, "datasetWorkspaceId");
		if (dsw == NULL) {
			ds = pj_arr(ws, "datasets");
			for (j = 0, local = 0; j < pj_len(ds); j++)
				if (pj_str(pj_idx(ds, j), "id") != NULL &&
				    strcasecmp(pj_str(pj_idx(ds, j), "id"),
				    did) == 0)
					local = 1;
			if (local || ds == NULL)
				continue;
			dsw = dataset_home(x, did);
		}
		if (dsw != NULL && strcasecmp(dsw, wid) == 0)
			continue;
		owner = dsw ? map_str(x->ws_owner, dsw) : NULL;
		if (owner != NULL && strcmp(owner, slug) != 0)
			found(x, "binding-cross-customer", "critical", slug,
			    wid, pj_str(r, "id"), "report '%s' is bound to "
			    "dataset %s in workspace %s of customer '%s'",
			    pj_str(r, "name"), did, dsw, owner);
		else
			found(x, "binding-cross-workspace", "warning", slug,
			    wid, pj_str(r, "id"), "report '%s' is bound to "
			    "dataset %s in %s%s", pj_str(r, "name"), did,
			    dsw ? "workspace " : "another workspace",
			    dsw ? dsw : "");
	}
}

/* Datasets of c's workspace ws that connect to another's targets. */
static void
datasources(struct rules *x, struct json_object *c, struct json_object *ws)
{
	struct json_object	*dss = pj_arr(ws, "datasets"), *ds, *srcs;
	struct json_object	*owners;
	const char		*slug = pj_str(c, "slug"), *wid = pj_str(ws, "id");
	const char		*t, *other;
	char			 item[600];
	size_t			 i, j, k;

	for (i = 0; i < pj_len(dss); i++) {
		ds = pj_idx(dss, i);
		srcs = pj_arr(ds, "datasources");
		for (j = 0; j < pj_len(srcs); j++) {
			t = pj_str(pj_idx(srcs, j), "target");
			owners = t ? pj_arr(x->target_of, t) : NULL;
			for (k = 0, other = NULL; k < pj_len(owners); k++)
				if (strcmp(json_object_get_string(pj_idx(
				    owners, k)), slug) != 0)
					other = json_object_get_string(
					    pj_idx(owners, k));
			if (other == NULL)
				continue;
			snprintf(item, sizeof(item), "%s %s", pj_str(ds, "id"),
			    t);
			found(x, "datasource-cross-customer", "critical", slug,
			    wid, item, "dataset '%s' (%s) connects to %s, "
			    "which the ledger records for customer '%s'",
			    pj_str(ds, "name"), pj_str(ds, "id"), t, other);
		}
	}
}

/* The checks of one audited customer c. */
static void
customer(struct rules *x, struct json_object *c)
{
	struct json_object	*lw = pj_obj(c, "workspace"), *ws, *caps, *cap;
	struct json_object	*svc = pj_obj(x->snap, "service"), *profs;
	const char		*slug = pj_str(c, "slug"), *wid, *st, *cid;
	const char		*pid = pj_path_str(c, "profile.id");
	size_t			 i;

	profs = pj_arr(svc, "profiles");
	if (pid != NULL && profs != NULL) {
		for (i = 0; i < pj_len(profs); i++)
			if (pj_str(pj_idx(profs, i), "id") != NULL &&
			    strcasecmp(pj_str(pj_idx(profs, i), "id"), pid) ==
			    0)
				break;
		if (i == pj_len(profs))
			found(x, "profile-missing", "error", slug,
			    pj_str(lw, "id"), pid, "profile %s of customer "
			    "'%s' is not in the service", pid, slug);
	}
	if (lw == NULL || (wid = pj_str(lw, "id")) == NULL)
		return;
	ws = map_get(x->svc_ws, wid);
	st = pj_str(ws, "state");
	if ((ws == NULL && (x->tenant_wide || confirmed_missing(x, wid))) ||
	    (st != NULL && strcasecmp(st, "Active") != 0)) {
		found(x, "workspace-missing", "error", slug, wid, wid,
		    "workspace '%s' (%s) is %s in the service",
		    pj_str(lw, "name"), wid, st ? st : "gone");
		return;
	}
	if (ws == NULL)
		return;			/* not read: said in unchecked */
	if ((cid = pj_str(lw, "capacityId")) != NULL) {
		if (!pj_bool(ws, "isOnDedicatedCapacity", 0) ||
		    pj_str(ws, "capacityId") == NULL ||
		    strcasecmp(pj_str(ws, "capacityId"), cid) != 0)
			found(x, "capacity-mismatch", "error", slug, wid, cid,
			    "workspace '%s' is on %s, not on capacity %s",
			    pj_str(ws, "name"), pj_bool(ws,
			    "isOnDedicatedCapacity", 0) && pj_str(ws,
			    "capacityId") ? pj_str(ws, "capacityId") :
			    "no capacity", cid);
		if ((caps = pj_arr(svc, "capacities")) != NULL) {
			for (i = 0, cap = NULL; i < pj_len(caps); i++)
				if (pj_str(pj_idx(caps, i), "id") != NULL &&
				    strcasecmp(pj_str(pj_idx(caps, i), "id"),
				    cid) == 0)
					cap = pj_idx(caps, i);
			st = pj_str(cap, "state");
			if (cap == NULL || st == NULL ||
			    strcmp(st, "Active") != 0)
				found(x, "capacity-inactive", "error", slug,
				    wid, cid, "capacity %s%s%s%s is %s", cid,
				    cap ? " ('" : "", cap ? pj_str(cap,
				    "displayName") : "", cap ? "')" : "",
				    cap ? (st ? st : "in no state") : "not "
				    "listed: gone, or no longer assignable");
		}
	}
	if (pj_arr(ws, "users") != NULL)
		members(x, c, ws);
	if (pj_arr(ws, "reports") != NULL) {
		reports(x, c, ws);
		bindings(x, c, ws);
	}
	datasources(x, c, ws);
}

/* Who reaches which workspace, as each profile saw it (workspace mode). */
static void
reach(struct rules *x)
{
	struct json_object	*a = pj_arr(pj_obj(x->snap, "service"), "reach");
	struct json_object	*r, *wl, *ws;
	const char		*prof, *owner, *wowner, *wid;
	size_t			 i, j;

	for (i = 0; i < pj_len(a); i++) {
		r = pj_idx(a, i);
		prof = pj_str(r, "profile");
		owner = prof ? map_str(x->prof_owner, prof) : NULL;
		if (owner == NULL)
			continue;
		wl = pj_arr(r, "workspaces");
		for (j = 0; j < pj_len(wl); j++) {
			wid = json_object_get_string(pj_idx(wl, j));
			wowner = map_str(x->ws_owner, wid);
			if (wowner == NULL || strcmp(wowner, owner) == 0 ||
			    !in_scope(x, owner))
				continue;
			ws = map_get(x->svc_ws, wid);
			found(x, "profile-cross-customer", "critical", owner,
			    wid, prof, "the profile of customer '%s' reaches "
			    "workspace '%s' of customer '%s'", owner,
			    ws ? pj_str(ws, "name") : wid, wowner);
		}
	}
}

/* Workspaces and profiles that no ledger row knows (tenant-wide). */
static void
orphans(struct rules *x)
{
	struct json_object	*svc = pj_obj(x->snap, "service"), *a, *e;
	const char		*tmpl = pj_str(x->snap, "template"), *st;
	size_t			 i;

	a = pj_arr(svc, "workspaces");
	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		st = pj_str(e, "state");
		if (map_get(x->ws_known, pj_str(e, "id")) != NULL ||
		    (st != NULL && strcasecmp(st, "Active") != 0) ||
		    !template_match(tmpl, pj_str(e, "name")))
			continue;
		found(x, "workspace-orphan", "warning", NULL, pj_str(e, "id"),
		    pj_str(e, "id"), "workspace '%s' (%s) has a customer's "
		    "name but no ledger row knows it", pj_str(e, "name"),
		    pj_str(e, "id"));
	}
	a = pj_arr(svc, "profiles");
	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		if (map_get(x->prof_known, pj_str(e, "id")) != NULL)
			continue;
		found(x, "profile-orphan", "warning", NULL, NULL,
		    pj_str(e, "id"), "profile '%s' (%s) of the service "
		    "principal is in no ledger row", pj_str(e, "displayName"),
		    pj_str(e, "id"));
	}
}

/* Principals and profiles near the workspaces one may have. */
static void
limits(struct rules *x)
{
	struct json_object	*svc = pj_obj(x->snap, "service"), *a, *u;
	struct json_object	*count = json_object_new_object(), *n;
	const char		*id, *prof;
	long			 limit = (long)pj_int(x->snap, "workspaceLimit",
				    1000);
	size_t			 i, j;

	a = pj_arr(svc, "reach");
	if (pj_len(a) > 0) {
		for (i = 0; i < pj_len(a); i++)
			json_object_object_add(count, pj_str(pj_idx(a, i),
			    "profile") ? pj_str(pj_idx(a, i), "profile") : "",
			    json_object_new_int64((int64_t)pj_len(pj_arr(
			    pj_idx(a, i), "workspaces"))));
	} else if (x->tenant_wide) {
		a = pj_arr(svc, "workspaces");
		for (i = 0; i < pj_len(a); i++)
			for (j = 0; j < pj_len(pj_arr(pj_idx(a, i),
			    "users")); j++) {
				u = pj_idx(pj_arr(pj_idx(a, i), "users"), j);
				id = pj_str(u, "identifier");
				if (id == NULL || x->sp == NULL ||
				    strcasecmp(id, x->sp) != 0)
					continue;
				prof = pj_path_str(u, "profile.id");
				if (!json_object_object_get_ex(count, prof ?
				    prof : "", &n))
					n = NULL;
				json_object_object_add(count, prof ? prof : "",
				    json_object_new_int64(n ?
				    json_object_get_int64(n) + 1 : 1));
			}
	}
	json_object_object_foreach(count, key, v) {
		if ((double)json_object_get_int64(v) < NEAR_LIMIT *
		    (double)limit)
			continue;
		if (*key == '\0')
			found(x, "workspace-limit", "warning", NULL, NULL,
			    x->sp, "the service principal is in %lld "
			    "workspaces, near the %ld it may have",
			    (long long)json_object_get_int64(v), limit);
		else
			found(x, "workspace-limit", "warning",
			    map_str(x->prof_owner, key), NULL, key, "profile "
			    "%s is in %lld workspaces, near the %ld it may "
			    "have", key, (long long)json_object_get_int64(v),
			    limit);
	}
	json_object_put(count);
}

/* What the ledger says about itself. */
static void
ledger(struct rules *x)
{
	struct json_object	*a = pj_arr(pj_obj(x->snap, "ledger"), "shared");
	struct json_object	*e;
	const char		*check;
	char			 item[1024];
	size_t			 i;

	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		if (!in_scope(x, pj_str(e, "customer")))
			continue;
		found(x, "ledger-shared", "critical", pj_str(e, "customer"),
		    strcmp(pj_str(e, "kind"), "workspace") == 0 ?
		    pj_str(e, "id") : NULL, pj_str(e, "id"), "%s",
		    pj_str(e, "detail"));
	}
	a = pj_arr(x->snap, "verify");
	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		check = pj_str(e, "check") ? pj_str(e, "check") : "?";
		/* ledger-shared says these, once. */
		if (strcmp(check, "workspace-profile-owner") == 0 ||
		    strcmp(check, "migration-owner") == 0)
			continue;
		snprintf(item, sizeof(item), "%s: %s", check,
		    pj_str(e, "detail") ? pj_str(e, "detail") : "");
		found(x, "ledger-verify", pbi_severity_rank(pj_str(e,
		    "severity")) >= 2 ? "error" : "warning", NULL, NULL, item,
		    "ledger verify: %s", item);
	}
}

/* The probes that got through. */
static void
probes(struct rules *x)
{
	struct json_object	*a = pj_arr(x->snap, "probes"), *e;
	int			 token;
	size_t			 i;

	for (i = 0; i < pj_len(a); i++) {
		e = pj_idx(a, i);
		if (!pj_bool(e, "allowed", 0))
			continue;
		token = strcmp(pj_str(e, "kind"), "token") == 0;
		found(x, token ? "probe-cross-token" : "probe-cross-read",
		    "critical", pj_str(e, "customer"), pj_str(e, "workspace"),
		    pj_str(e, "item"), "acting as the profile of customer "
		    "'%s', %s of customer '%s' succeeded",
		    pj_str(e, "customer"), token ? "an embed token for a "
		    "report" : "reading the reports of the workspace",
		    pj_str(e, "target"));
	}
}

static int
by_customer(const void *a, const void *b)
{
	struct json_object *const *fa = a, *const *fb = b;
	const char	*ca = pj_str(*fa, "customer"), *cb = pj_str(*fb,
			    "customer");
	int		 d;

	if ((ca == NULL) != (cb == NULL))
		return ca == NULL ? -1 : 1;
	if (ca != NULL && (d = strcmp(ca, cb)) != 0)
		return d;
	if ((d = pbi_severity_rank(pj_str(*fb, "severity")) -
	    pbi_severity_rank(pj_str(*fa, "severity"))) != 0)
		return d;
	if ((d = strcmp(pj_str(*fa, "rule"), pj_str(*fb, "rule"))) != 0)
		return d;
	return strcmp(pj_str(*fa, "item") ? pj_str(*fa, "item") : "",
	    pj_str(*fb, "item") ? pj_str(*fb, "item") : "");
}

struct json_object *
pbi_audit_rules(struct json_object *snap)
{
	struct rules		 x;
	struct json_object	*a, *c, *f;
	const char		*st;
	size_t			 i;

	memset(&x, 0, sizeof(x));
	x.snap = snap;
	x.out = json_object_new_array();
	x.sp = pj_str(snap, "sp");
	x.profiles = pj_str(snap, "isolation") == NULL ||
	    strcmp(pj_str(snap, "isolation"), "profile") == 0;
	x.tenant_wide = pj_bool(pj_obj(snap, "service"), "tenantWide", 0);
	build_maps(&x);
	a = pj_arr(pj_obj(snap, "ledger"), "customers");
	for (i = 0; i < pj_len(a); i++) {
		c = pj_idx(a, i);
		st = pj_str(c, "status");
		if ((st != NULL && strcmp(st, "removed") == 0) ||
		    !in_scope(&x, pj_str(c, "slug")))
			continue;
		customer(&x, c);
	}
	reach(&x);
	if (pj_arr(snap, "scope") == NULL) {
		orphans(&x);
		limits(&x);
	}
	ledger(&x);
	probes(&x);
	for (i = 0; i < pj_len(x.out); i++) {
		f = pj_idx(x.out, i);
		pj_add_str(f, "remedy", remedy_of(pj_str(f, "rule")));
	}
	json_object_array_sort(x.out, by_customer);
	json_object_put(x.ws_owner);
	json_object_put(x.ws_known);
	json_object_put(x.prof_owner);
	json_object_put(x.prof_known);
	json_object_put(x.admin_of);
	json_object_put(x.target_of);
	json_object_put(x.svc_ws);
	json_object_put(x.scope);
	json_object_put(x.seen);
	return x.out;
}
