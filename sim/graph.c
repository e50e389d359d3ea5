/*
 * graph.c: the Microsoft Graph v1.0 subset (api-facts 2): applications,
 * addPassword, servicePrincipals, oauth2PermissionGrants, group members,
 * each call first held against the permissions its route needs
 * (perms.c).
 */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void
not_found(struct req *r, const char *id)
{
	char	 msg[512];

	snprintf(msg, sizeof(msg), "Resource '%s' does not exist or one of "
	    "its queried reference-property objects are not present.", id);
	sim_graph_error(r, 404, "Request_ResourceNotFound", msg);
}

/* Project o to the $select list (new reference). */
static struct json_object *
project(struct req *r, struct json_object *o)
{
	const char		*sel = sim_q(r, "$select");
	struct json_object	*n, *v;
	char			*copy, *p, *t, *save = NULL;

	if (sel == NULL || *sel == '\0')
		return sim_pub(o, 1);
	n = json_object_new_object();
	copy = strdup(sel);
	for (p = copy; (t = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		while (*t == ' ')
			t++;
		if (t[0] != '_' && json_object_object_get_ex(o, t, &v))
			json_object_object_add(n, t, sim_pub(v, 1));
	}
	free(copy);
	return n;
}

/*
 * Answer a collection of the visible members of arr matching $filter,
 * paged by $top / $skiptoken (api-facts 2.4).
 */
static void
list(struct req *r, struct json_object *arr, const char *set,
    const char *const *filterable)
{
	struct json_object	*o, *val, *e;
	const char		*f = sim_q(r, "$filter"), *tq, *sk, *s;
	char			 keys[8][64], vals[8][256], ctx[256];
	char			 skb[64], *tok = NULL, *dec = NULL;
	struct buf		 next = { 0 };
	char			*q, *part, *save = NULL;
	size_t			 i, dl;
	long			 top = 100, skip = 0, seen = 0, nout = 0;
	int			 nf = 0, j, k, ok;

	if (f != NULL && *f != '\0') {
		nf = sim_filter_eq(f, keys, vals, 8);
		for (j = 0; j < nf; j++) {
			for (k = 0; filterable[k] != NULL; k++)
				if (strcasecmp(filterable[k], keys[j]) == 0)
					break;
			if (filterable[k] == NULL)
				nf = -1;
		}
		if (nf < 0) {
			sim_graph_error(r, 400, "Request_UnsupportedQuery",
			    "Unsupported or invalid query filter clause "
			    "specified for property or its value.");
			return;
		}
	}
	if ((tq = sim_q(r, "$top")) != NULL) {
		top = strtol(tq, NULL, 10);
		if (top < 1 || top > 999) {
			snprintf(ctx, sizeof(ctx), "Invalid page size "
			    "specified: '%s'. Must be between 1 and 999 "
			    "inclusive.", tq);
			sim_graph_error(r, 400, "Request_BadRequest", ctx);
			return;
		}
	}
	if ((sk = sim_q(r, "$skiptoken")) != NULL) {
		dec = (char *)b64_dec(sk, strlen(sk), &dl);
		if (dec == NULL || strncmp(dec, "skip:", 5) != 0) {
			free(dec);
			sim_graph_error(r, 400, "Request_BadRequest", "Invalid "
			    "$skiptoken.");
			return;
		}
		skip = strtol(dec + 5, NULL, 10);
		free(dec);
	}
	val = json_object_new_array();
	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (!sim_visible(e))
			continue;
		ok = 1;
		for (j = 0; j < nf && ok; j++) {
			s = pj_str(e, keys[j]);
			if (s == NULL || strcasecmp(s, vals[j]) != 0)
				ok = 0;
		}
		if (!ok)
			continue;
		if (seen++ < skip)
			continue;
		if (nout == top) {
			nout++;
			break;
		}
		json_object_array_add(val, project(r, e));
		nout++;
	}
	o = json_object_new_object();
	snprintf(ctx, sizeof(ctx), "%s%s", SIM_GRAPH_CTX, set);
	pj_add_str(o, "@odata.context", ctx);
	if (nout > top) {
		buf_printf(&next, "%s://%s%s?", sim_scheme(), sim_host(r),
		    r->rawpath);
		q = strdup(r->rawquery ? r->rawquery : "");
		for (part = strtok_r(q, "&", &save); part != NULL;
		    part = strtok_r(NULL, "&", &save)) {
			if (strncasecmp(part, "$skiptoken=", 11) == 0 ||
			    strncasecmp(part, "%24skiptoken=", 13) == 0)
				continue;
			buf_printf(&next, "%s&", part);
		}
		free(q);
		snprintf(skb, sizeof(skb), "skip:%ld", skip + top);
		tok = b64url_enc(skb, strlen(skb));
		buf_printf(&next, "$skiptoken=%s", tok);
		free(tok);
		pj_add_str(o, "@odata.nextLink", next.p);
		buf_release(&next);
	}
	pj_add(o, "value", val);
	sim_reply_json(r, 200, o);
}

static void
entity(struct req *r, int status, struct json_object *e, const char *set)
{
	struct json_object	*o, *p;
	char			 ctx[256];

	snprintf(ctx, sizeof(ctx), "%s%s/$entity", SIM_GRAPH_CTX, set);
	o = json_object_new_object();
	pj_add_str(o, "@odata.context", ctx);
	p = project(r, e);
	json_object_object_foreach(p, k, v)
		json_object_object_add(o, k, json_object_get(v));
	json_object_put(p);
	sim_reply_json(r, status, o);
}

/* Resolve "x" or "(appId='x')" addressing of a segment. */
static struct json_object *
lookup(struct json_object *arr, const char *seg, int want_visible)
{
	struct json_object	*o;
	char			 v[128];
	const char		*p;

	if (strncmp(seg, "(appId='", 8) == 0 || strncmp(seg, "(appId=%27",
	    10) == 0) {
		p = strchr(seg, '\'') + 1;
		snprintf(v, sizeof(v), "%.*s", (int)strcspn(p, "'"), p);
		o = sim_find_ci(arr, "appId", v);
	} else
		o = sim_find_ci(arr, "id", seg);
	if (o != NULL && want_visible && !sim_visible(o))
		return NULL;
	return o;
}

/* Split "applications(appId='x')" into set and key parts. */
static void
split_key(char *seg, char **key)
{
	char	*p = strchr(seg, '(');

	*key = NULL;
	if (p != NULL) {
		*key = strdup(p);
		*p = '\0';
	}
}

static void
add_password(struct req *r, struct json_object *app)
{
	struct json_object	*b = sim_body_json(r), *pc, *c, *o;
	char			 secret[41], hash[65], id[37], ts[40], hint[4];
	static const char	 al[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-";
	int			 i;
	const char		*s;

	for (i = 0; i < 40; i++)
		secret[i] = al[(int)(sim_rand() * (sizeof(al) - 1))];
	secret[3] = '8';
	secret[4] = 'Q';
	secret[5] = '~';
	secret[40] = '\0';
	sha256_hex(secret, hash);
	snprintf(hint, sizeof(hint), "%.3s", secret);
	pc = pj_obj(b, "passwordCredential");
	c = json_object_new_object();
	pj_add(c, "customKeyIdentifier", NULL);
	pj_add_str(c, "displayName", pj_str(pc, "displayName"));
	sim_iso(sim_now_ms(), 0, ts, sizeof(ts));
	s = pj_str(pc, "startDateTime");
	pj_add_str(c, "startDateTime", s ? s : ts);
	if ((s = pj_str(pc, "endDateTime")) == NULL) {
		sim_iso(sim_now_ms() + 2LL * 365 * 86400 * 1000, 0, ts,
		    sizeof(ts));
		s = ts;
	}
	pj_add_str(c, "endDateTime", s);
	pj_add_str(c, "hint", hint);
	sim_guid(id);
	pj_add_str(c, "keyId", id);
	pj_add(c, "secretText", NULL);
	pj_add_str(c, "__secretHash", hash);
	json_object_array_add(sim_arr(app, "passwordCredentials"), c);
	/* api-facts 2.2: secretText is returned once, never stored */
	o = sim_pub(c, 1);
	pj_add_str(o, "secretText", secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	{
		struct json_object *out = json_object_new_object();

		pj_add_str(out, "@odata.context", SIM_GRAPH_CTX
		    "microsoft.graph.passwordCredential");
		json_object_object_foreach(o, k, v)
			json_object_object_add(out, k, json_object_get(v));
		json_object_put(o);
		sim_reply_json(r, 200, out);
	}
	json_object_put(b);
}

static void
applications(struct req *r, char *key)
{
	static const char *const filt[] = { "appId", "displayName", "id",
	    NULL };
	struct json_object	*arr = sim_arr(g.state, "applications");
	struct json_object	*b = NULL, *app, *n;
	const char		*idseg = NULL;

	if (key != NULL)
		idseg = key;
	else if (r->nseg >= 3)
		idseg = r->seg[2];
	if (idseg == NULL) {
		if (strcmp(r->method, "GET") == 0)
			list(r, arr, "applications", filt);
		else if (strcmp(r->method, "POST") == 0) {
			b = sim_body_json(r);
			if (pj_str(b, "displayName") == NULL) {
				sim_graph_error(r, 400, "Request_BadRequest",
				    "A value is required for property "
				    "'displayName' of resource 'Application'.");
				goto done;
			}
			n = json_object_new_object();
			pj_add_str(n, "displayName", pj_str(b, "displayName"));
			if (pj_str(b, "signInAudience") != NULL)
				pj_add_str(n, "signInAudience",
				    pj_str(b, "signInAudience"));
			if (pj_arr(b, "requiredResourceAccess") != NULL)
				pj_add(n, "requiredResourceAccess",
				    json_object_get(pj_arr(b,
				    "requiredResourceAccess")));
			if (pj_arr(b, "keyCredentials") != NULL)
				pj_add(n, "keyCredentials", sim_pub(pj_arr(b,
				    "keyCredentials"), 1));
			sim_dir_normalize_app(n);
			sim_stamp(n);
			json_object_array_add(arr, n);
			entity(r, 201, n, "applications");
		} else
			sim_graph_error(r, 405, "Request_BadRequest",
			    "Method not allowed.");
		goto done;
	}
	app = lookup(arr, idseg, 1);
	if (app == NULL) {
		not_found(r, idseg);
		goto done;
	}
	if (r->nseg == (key ? 3 : 4) &&
	    strcmp(r->seg[r->nseg - 1], "addPassword") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		add_password(r, app);
	} else if (r->nseg == (key ? 3 : 4) &&
	    strcmp(r->seg[r->nseg - 1], "removePassword") == 0 &&
	    strcmp(r->method, "POST") == 0) {
		b = sim_body_json(r);
		n = sim_find_ci(sim_arr(app, "passwordCredentials"), "keyId",
		    pj_str(b, "keyId"));
		if (n == NULL)
			sim_graph_error(r, 400, "Request_BadRequest", "No "
			    "password credential found with keyId.");
		else {
			sim_arr_del(pj_arr(app, "passwordCredentials"), n);
			sim_reply_empty(r, 204);
		}
	} else if (r->nseg == (key ? 2 : 3)) {
		if (strcmp(r->method, "GET") == 0)
			entity(r, 200, app, "applications");
		else if (strcmp(r->method, "DELETE") == 0) {
			sim_arr_del(arr, app);
			sim_reply_empty(r, 204);
		} else if (strcmp(r->method, "PATCH") == 0) {
			b = sim_body_json(r);
			if (pj_str(b, "displayName") != NULL)
				pj_add_str(app, "displayName",
				    pj_str(b, "displayName"));
			if (pj_arr(b, "requiredResourceAccess") != NULL)
				pj_add(app, "requiredResourceAccess",
				    json_object_get(pj_arr(b,
				    "requiredResourceAccess")));
			if (pj_arr(b, "keyCredentials") != NULL) {
				pj_add(app, "keyCredentials", sim_pub(pj_arr(b,
				    "keyCredentials"), 1));
				sim_dir_normalize_app(app);
			}
			sim_reply_empty(r, 204);
		} else
			sim_graph_error(r, 405, "Request_BadRequest",
			    "Method not allowed.");
	} else
		sim_graph_error(r, 400, "Request_BadRequest", "Unsupported "
		    "segment.");
done:
	json_object_put(b);
}

static void
service_principals(struct req *r, char *key)
{
	static const char *const filt[] = { "appId", "displayName", "id",
	    "servicePrincipalType", NULL };
	struct json_object	*arr = sim_arr(g.state, "servicePrincipals");
	struct json_object	*b = NULL, *sp, *app, *det, *d;
	const char		*idseg = key ? key : r->nseg >= 3 ? r->seg[2] :
				    NULL, *appid;
	char			 msg[512];

	if (idseg == NULL) {
		if (strcmp(r->method, "GET") == 0) {
			list(r, arr, "servicePrincipals", filt);
			goto done;
		}
		if (strcmp(r->method, "POST") != 0) {
			sim_graph_error(r, 405, "Request_BadRequest",
			    "Method not allowed.");
			goto done;
		}
		b = sim_body_json(r);
		if ((appid = pj_str(b, "appId")) == NULL) {
			sim_graph_error(r, 400, "Request_BadRequest", "A value "
			    "is required for property 'appId' of resource "
			    "'ServicePrincipal'.");
			goto done;
		}
		if (sim_find_ci(arr, "appId", appid) != NULL) {
			/* api-facts 2.3 / 6.6 */
			snprintf(msg, sizeof(msg), "Another object with the "
			    "same value for property servicePrincipalNames "
			    "already exists. The service principal name %s is "
			    "already in use.", appid);
			sim_graph_error(r, 409,
			    "Request_MultipleObjectsWithSameKeyValue", msg);
			goto done;
		}
		app = sim_find_ci(pj_arr(g.state, "applications"), "appId",
		    appid);
		if (strcasecmp(appid, SIM_PBI_APPID) == 0 ||
		    strcasecmp(appid, SIM_GRAPH_APPID) == 0) {
			sp = sim_dir_sp_new(appid, strcasecmp(appid,
			    SIM_PBI_APPID) == 0 ? "Power BI Service" :
			    "Microsoft Graph", NULL);
		} else if (app == NULL || !sim_visible(app)) {
			/* api-facts 2.3: replication delay after app create */
			struct json_object *o, *e;

			snprintf(msg, sizeof(msg), "The appId '%s' of the "
			    "service principal does not reference a valid "
			    "application object.", appid);
			sim_graph_error(r, 400, "Request_BadRequest", msg);
			o = pj_parse(r->out.p, r->out.len);
			e = pj_obj(o, "error");
			det = json_object_new_array();
			d = json_object_new_object();
			pj_add_str(d, "code", "NoBackingApplicationObject");
			pj_add_str(d, "message", msg);
			pj_add_str(d, "target", "appId");
			json_object_array_add(det, d);
			pj_add(e, "details", det);
			sim_reply_json(r, 400, o);
			goto done;
		} else
			sp = sim_dir_sp_new(appid, pj_str(app, "displayName"),
			    NULL);
		sim_stamp(sp);
		json_object_array_add(arr, sp);
		entity(r, 201, sp, "servicePrincipals");
		goto done;
	}
	sp = lookup(arr, idseg, 1);
	if (sp == NULL) {
		not_found(r, idseg);
		goto done;
	}
	if (strcmp(r->method, "GET") == 0)
		entity(r, 200, sp, "servicePrincipals");
	else if (strcmp(r->method, "DELETE") == 0) {
		sim_arr_del(arr, sp);
		sim_reply_empty(r, 204);
	} else
		sim_graph_error(r, 405, "Request_BadRequest", "Method not "
		    "allowed.");
done:
	json_object_put(b);
}

static void
grants(struct req *r)
{
	static const char *const filt[] = { "clientId", "consentType",
	    "resourceId", "principalId", "id", NULL };
	struct json_object	*arr = sim_arr(g.state,
				    "oauth2PermissionGrants");
	struct json_object	*b = NULL, *gr, *sps, *o;
	const char		*cid, *ct, *rid, *pid, *sc;
	unsigned char		 rnd[32];
	char			*id;
	char			 msg[256];
	size_t			 i;

	sps = pj_arr(g.state, "servicePrincipals");
	if (r->nseg == 2) {
		if (strcmp(r->method, "GET") == 0) {
			list(r, arr, "oauth2PermissionGrants", filt);
			goto done;
		}
		if (strcmp(r->method, "POST") != 0) {
			sim_graph_error(r, 405, "Request_BadRequest",
			    "Method not allowed.");
			goto done;
		}
		b = sim_body_json(r);
		cid = pj_str(b, "clientId");
		ct = pj_str(b, "consentType");
		rid = pj_str(b, "resourceId");
		pid = pj_str(b, "principalId");
		sc = pj_str(b, "scope");
		if (ct == NULL || (strcmp(ct, "AllPrincipals") != 0 &&
		    strcmp(ct, "Principal") != 0) ||
		    (strcmp(ct, "Principal") == 0) != (pid != NULL)) {
			sim_graph_error(r, 400, "Request_BadRequest", "Invalid "
			    "value specified for property 'consentType' or "
			    "'principalId' of resource "
			    "'OAuth2PermissionGrant'.");
			goto done;
		}
		if (cid == NULL || (o = lookup(sps, cid, 1)) == NULL) {
			sim_graph_error(r, 400, "Request_BadRequest", "Invalid "
			    "value specified for property 'clientId' of "
			    "resource 'OAuth2PermissionGrant'.");
			goto done;
		}
		if (rid == NULL || (o = lookup(sps, rid, 1)) == NULL) {
			sim_graph_error(r, 400, "Request_BadRequest", "Invalid "
			    "value specified for property 'resourceId' of "
			    "resource 'OAuth2PermissionGrant'.");
			goto done;
		}
		for (i = 0; i < json_object_array_length(arr); i++) {
			gr = json_object_array_get_idx(arr, i);
			if (sim_streq_ci(pj_str(gr, "clientId"), cid) &&
			    sim_streq_ci(pj_str(gr, "resourceId"), rid) &&
			    sim_streq_ci(pj_str(gr, "consentType"), ct) &&
			    (pid == NULL || sim_streq_ci(pj_str(gr,
			    "principalId"), pid))) {
				/* api-facts 2.3 / 6.6 */
				sim_graph_error(r, 409,
				    "Request_MultipleObjectsWithSameKeyValue",
				    "Permission entry already exists.");
				goto done;
			}
		}
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(sim_rand() * 256);
		id = b64url_enc(rnd, sizeof(rnd));
		gr = json_object_new_object();
		pj_add_str(gr, "clientId", cid);
		pj_add_str(gr, "consentType", ct);
		pj_add_str(gr, "id", id);
		pj_add_str(gr, "principalId", pid);
		pj_add_str(gr, "resourceId", rid);
		pj_add_str(gr, "scope", sc ? sc : "");
		free(id);
		sim_stamp(gr);
		json_object_array_add(arr, gr);
		entity(r, 201, gr, "oauth2PermissionGrants");
		goto done;
	}
	gr = lookup(arr, r->seg[2], 1);
	if (gr == NULL || r->nseg != 3) {
		not_found(r, r->seg[2]);
		goto done;
	}
	if (strcmp(r->method, "GET") == 0)
		entity(r, 200, gr, "oauth2PermissionGrants");
	else if (strcmp(r->method, "DELETE") == 0) {
		sim_arr_del(arr, gr);
		sim_reply_empty(r, 204);
	} else if (strcmp(r->method, "PATCH") == 0) {
		b = sim_body_json(r);
		if ((sc = pj_str(b, "scope")) == NULL || strlen(sc) > 3850) {
			snprintf(msg, sizeof(msg), "Invalid value specified "
			    "for property 'scope' of resource "
			    "'OAuth2PermissionGrant'.");
			sim_graph_error(r, 400, "Request_BadRequest", msg);
			goto done;
		}
		/* api-facts 2.2: PATCH replaces the scope list, 204 */
		pj_add_str(gr, "scope", sc);
		sim_reply_empty(r, 204);
	} else
		sim_graph_error(r, 405, "Request_BadRequest", "Method not "
		    "allowed.");
done:
	json_object_put(b);
}

static struct json_object *
dir_object(const char *id, const char **type)
{
	struct json_object	*o;

	if ((o = sim_find_ci(pj_arr(g.state, "servicePrincipals"), "id",
	    id)) != NULL) {
		*type = "#microsoft.graph.servicePrincipal";
		return o;
	}
	if ((o = sim_find_ci(pj_arr(g.state, "users"), "id", id)) != NULL) {
		*type = "#microsoft.graph.user";
		return o;
	}
	if ((o = sim_find_ci(pj_arr(g.state, "groups"), "id", id)) != NULL) {
		*type = "#microsoft.graph.group";
		return o;
	}
	return NULL;
}

static void
groups(struct req *r)
{
	static const char *const filt[] = { "displayName", "id", NULL };
	struct json_object	*arr = sim_arr(g.state, "groups");
	struct json_object	*grp, *b = NULL, *m, *o, *val, *p;
	const char		*ref, *id, *type;
	size_t			 i;

	if (r->nseg == 2 && strcmp(r->method, "GET") == 0) {
		list(r, arr, "groups", filt);
		return;
	}
	if (r->nseg < 3 || (grp = lookup(arr, r->seg[2], 1)) == NULL) {
		not_found(r, r->nseg >= 3 ? r->seg[2] : "");
		return;
	}
	m = sim_arr(grp, "_members");
	if (r->nseg == 3 && strcmp(r->method, "GET") == 0) {
		entity(r, 200, grp, "groups");
	} else if (r->nseg == 5 && strcmp(r->seg[3], "members") == 0 &&
	    strcmp(r->seg[4], "$ref") == 0 && strcmp(r->method, "POST") ==
	    0) {
		b = sim_body_json(r);
		ref = pj_str(b, "@odata.id");
		id = ref ? strrchr(ref, '/') : NULL;
		id = id ? id + 1 : ref;
		if (id == NULL || (o = dir_object(id, &type)) == NULL ||
		    !sim_visible(o)) {
			not_found(r, id ? id : "");
			goto done;
		}
		if (sim_dir_is_member(pj_str(grp, "id"), id)) {
			sim_graph_error(r, 400, "Request_BadRequest", "One or "
			    "more added object references already exist for "
			    "the following modified properties: 'members'.");
			goto done;
		}
		json_object_array_add(m, json_object_new_string(id));
		sim_reply_empty(r, 204);
	} else if (r->nseg == 6 && strcmp(r->seg[3], "members") == 0 &&
	    strcmp(r->seg[5], "$ref") == 0 && strcmp(r->method, "DELETE") ==
	    0) {
		for (i = 0; i < json_object_array_length(m); i++)
			if (sim_streq_ci(json_object_get_string(
			    json_object_array_get_idx(m, i)), r->seg[4])) {
				json_object_array_del_idx(m, i, 1);
				sim_reply_empty(r, 204);
				goto done;
			}
		not_found(r, r->seg[4]);
	} else if (r->nseg == 4 && strcmp(r->seg[3], "members") == 0 &&
	    strcmp(r->method, "GET") == 0) {
		val = json_object_new_array();
		for (i = 0; i < json_object_array_length(m); i++) {
			o = dir_object(json_object_get_string(
			    json_object_array_get_idx(m, i)), &type);
			if (o == NULL)
				continue;
			p = json_object_new_object();
			pj_add_str(p, "@odata.type", type);
			json_object_object_foreach(o, k, v)
				if (k[0] != '_')
					json_object_object_add(p, k,
					    sim_pub(v, 1));
			json_object_array_add(val, p);
		}
		o = json_object_new_object();
		pj_add_str(o, "@odata.context", SIM_GRAPH_CTX
		    "directoryObjects");
		pj_add(o, "value", val);
		sim_reply_json(r, 200, o);
	} else
		sim_graph_error(r, 400, "Request_BadRequest", "Unsupported "
		    "request.");
done:
	json_object_put(b);
}

void
sim_graph_route(struct req *r)
{
	char			*set, *key = NULL;
	struct json_object	*u;

	if (sim_auth(r, 0) != 0)
		return;
	if (r->nseg < 2) {
		sim_graph_error(r, 400, "Request_BadRequest", "Invalid "
		    "request.");
		return;
	}
	if (sim_graph_permitted(r) != 0)
		return;
	set = r->seg[1];
	split_key(set, &key);
	if (strcmp(set, "applications") == 0)
		applications(r, key);
	else if (strcmp(set, "servicePrincipals") == 0)
		service_principals(r, key);
	else if (strcmp(set, "oauth2PermissionGrants") == 0)
		grants(r);
	else if (strcmp(set, "groups") == 0)
		groups(r);
	else if (strcmp(set, "me") == 0 && r->pr.kind == PR_USER) {
		u = sim_find(pj_arr(g.state, "users"), "id", r->pr.oid);
		entity(r, 200, u, "users");
	} else if (strcmp(set, "users") == 0 && r->nseg == 3) {
		u = sim_find_ci(pj_arr(g.state, "users"), "id", r->seg[2]);
		if (u == NULL)
			u = sim_find_ci(pj_arr(g.state, "users"),
			    "userPrincipalName", r->seg[2]);
		if (u == NULL)
			not_found(r, r->seg[2]);
		else
			entity(r, 200, u, "users");
	} else if (strcmp(set, "organization") == 0) {
		struct json_object *o = json_object_new_object(), *a, *e;

		e = json_object_new_object();
		pj_add_str(e, "id", pj_str(pj_obj(g.state, "tenant"), "id"));
		pj_add_str(e, "displayName", pj_str(pj_obj(g.state, "tenant"),
		    "domain"));
		a = json_object_new_array();
		json_object_array_add(a, e);
		pj_add_str(o, "@odata.context", SIM_GRAPH_CTX "organization");
		pj_add(o, "value", a);
		sim_reply_json(r, 200, o);
	} else {
		char	 msg[300];

		snprintf(msg, sizeof(msg), "Resource not found for the "
		    "segment '%s'.", set);
		sim_graph_error(r, 400, "BadRequest", msg);
	}
	free(key);
}
