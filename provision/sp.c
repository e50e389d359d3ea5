/*
 * sp.c: the app's service principal (and, when asked, its application
 * and one credential), ensured without ever rotating or deleting what
 * exists.
 */
#include "provision.h"
#include "reconcile.h"
#include "graph/graph.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const struct pbi_err *
find_sp(struct pbi_prov *p, const void *app_id, struct json_object **out)
{
	return graph_sp_find(p->svc, app_id, out);
}

static const struct pbi_err *
find_app_named(struct pbi_prov *p, const void *name, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL;

	*out = NULL;
	if ((err = graph_app_named(p->svc, name, &all)) != NULL)
		return err;
	if (pj_len(all) == 1)
		*out = json_object_get(pj_idx(all, 0));
	json_object_put(all);
	return NULL;
}

/* Customers in the ledger: the client id may change only before any. */
static const struct pbi_err *
ncustomers(struct pbi_prov *p, long *n)
{
	const struct pbi_err	*err;
	struct json_object	*st = NULL;

	if ((err = pbi_ledger_status(p->ledger, &st)) != NULL)
		return err;
	*n = (long)pj_int(pj_obj(st, "counts"), "customers", 0);
	json_object_put(st);
	return NULL;
}

static const struct pbi_err *
post_app(struct pbi_prov *p, const void *name, struct json_object **out)
{
	return graph_app_create(p->svc, name, out);
}

/*
 * Create the application named name, or adopt the one that a lost answer
 * hides.  Never posts twice: an application's name is not unique.
 */
static const struct pbi_err *
create_app(struct pbi_prov *p, const char *name, struct json_object **app)
{
	enum prov_how		 how;
	char			 what[320];
	const struct prov_object ro = { .what = what, .step = "app.create",
	    .target = name, .id_key = "appId",
	    .flags = PROV_LAGGED | PROV_GUID, .resends = 0,
	    .lookup = find_app_named, .create = post_app, .arg = name };

	snprintf(what, sizeof(what), "application '%s'", name);
	return prov_reconcile(p, &ro, app, &how);
}

static const struct pbi_err *
post_sp(struct pbi_prov *p, const void *app_id, struct json_object **out)
{
	return graph_sp_create(p->svc, app_id, out);
}

/*
 * The service principal of app_id: found, or created; *how says which
 * (NULL: it was there).  Graph keeps one per appId and refuses a second
 * with 409 (api-facts 2.3): what a lookup shows is ours, and a create a
 * lookup proves lost may be sent once more.
 */
static const struct pbi_err *
ensure_sp(struct pbi_prov *p, const char *app_id, struct json_object **sp,
    const char **how)
{
	const struct pbi_err	*err;
	enum prov_how		 h;
	char			 what[96];
	const struct prov_object ro = { .what = what, .step = "sp.create",
	    .target = app_id, .flags = PROV_ADOPT_ANY | PROV_LAGGED | PROV_GUID,
	    .resends = 1, .find = find_sp, .create = post_sp, .arg = app_id };

	snprintf(what, sizeof(what), "the service principal of app %s",
	    app_id);
	if ((err = prov_reconcile(p, &ro, sp, &h)) != NULL)
		return err;
	*how = h == PROV_FOUND ? NULL : h == PROV_CREATED ? "created" :
	    "adopted";
	return NULL;
}

/* Add a secret and write it, once, to path (mode 0600, never replaced). */
static const struct pbi_err *
new_secret(struct pbi_prov *p, const char *app_oid, const char *path,
    struct json_object **cred)
{
	const struct pbi_err	*err;
	const char		*text;
	int64_t			 jid;
	int			 fd = -1;
	size_t			 n;

	*cred = NULL;
	if ((err = prov_begin(p, 0, "app.addPassword", app_oid, &jid)) != NULL)
		return err;
	if ((err = graph_app_add_password(p->svc, app_oid, "pbictl",
	    cred)) != NULL) {
		err = pbi_err_ctx(err, "cannot add a secret to application %s",
		    app_oid);
		prov_end(p, jid, "failed", NULL, err);
		return err;
	}
	if (p->dry_run)
		return NULL;
	text = pj_str(*cred, "secretText");
	if (text == NULL)
		err = pbi_err(PBI_ERR_PROTO, "addPassword answered no "
		    "secretText");
	else if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		err = pbi_err_errno("cannot create '%s'", path);
	else {
		n = strlen(text);
		if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1)
			err = pbi_err_errno("cannot write '%s'", path);
		if (close(fd) == -1 && err == NULL)
			err = pbi_err_errno("cannot write '%s'", path);
		if (err != NULL)
			unlink(path);
	}
	if (err != NULL) {
		err = pbi_err_ctx(err, "secret %s was added to the application "
		    "but not saved: remove it in the portal",
		    pj_str(*cred, "keyId") ? pj_str(*cred, "keyId") : "?");
		prov_end(p, jid, "failed", pj_str(*cred, "keyId"), err);
		return err;
	}
	/* The secret itself leaves memory now; the ledger never sees it. */
	pbi_wipe((char *)text, strlen(text));
	json_object_object_del(*cred, "secretText");
	return prov_end(p, jid, "ok", pj_str(*cred, "keyId"), NULL);
}

/* Does the app hold the certificate of thumbprint thumb already? */
static int
has_cert(struct json_object *app, const struct json_object *kc,
    const char *thumb)
{
	struct json_object	*keys = pj_arr(app, "keyCredentials");
	const char		*ci, *want = pj_str(kc, "customKeyIdentifier");
	size_t			 i;

	for (i = 0; i < pj_len(keys); i++) {
		ci = pj_str(pj_idx(keys, i),
		    "customKeyIdentifier");
		if (ci != NULL && (strcasecmp(ci, thumb) == 0 ||
		    (want != NULL && strcmp(ci, want) == 0)))
			return 1;
	}
	return 0;
}

const struct pbi_err *
pbi_sp_ensure(struct pbi_prov *p, const struct pbi_sp_opts *o,
    struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*app = NULL, *sp = NULL, *apps = NULL;
	struct json_object	*res = NULL, *did, *cred = NULL, *kc = NULL;
	struct json_object	*keys;
	char			*client = NULL, thumb[41];
	const char		*app_id, *how, *app_oid, *sp_id;
	long			 ncust;
	int64_t			 jid;
	int			 member;

	*out = NULL;
	if ((err = pbi_ledger_get(p->ledger, PBI_SET_CLIENT, &client)) !=
	    NULL || (err = ncustomers(p, &ncust)) != NULL)
		goto done;
	/* Refuse what cannot be done before any write. */
	if (o->new_secret_file != NULL &&
	    access(o->new_secret_file, F_OK) == 0) {
		err = pbi_err(PBI_ERR_REFUSED, "--new-secret-file '%s' exists: "
		    "pbictl never overwrites a secret", o->new_secret_file);
		goto done;
	}
	if (o->certificate != NULL &&
	    (err = graph_keycred(o->certificate, &kc, thumb)) != NULL)
		goto done;
	if (o->security_group != NULL && !pbi_is_guid(o->security_group)) {
		err = pbi_err(PBI_ERR_INPUT, "invalid security group id '%s'",
		    o->security_group);
		goto done;
	}
	res = json_object_new_object();
	did = json_object_new_object();
	pj_add(res, "changes", did);

	app_id = o->app_id ? o->app_id : client;
	if (o->create_app != NULL) {
		if ((err = graph_app_named(p->svc, o->create_app, &apps)) !=
		    NULL)
			goto done;
		if (pj_len(apps) > 1) {
			err = pbi_err(PBI_ERR_CONFLICT, "%zu applications are "
			    "named '%s': name the one to use with --app-id",
			    pj_len(apps), o->create_app);
			goto done;
		}
		if (pj_len(apps) == 1) {
			app = json_object_get(pj_idx(apps,
			    0));
			pj_add_str(did, "application", "adopted");
		} else {
			if (ncust > 0) {
				err = pbi_err(PBI_ERR_REFUSED, "cannot create "
				    "a new application: the ledger's %ld "
				    "customer(s) belong to app %s", ncust,
				    client);
				goto done;
			}
			if ((err = create_app(p, o->create_app, &app)) != NULL)
				goto done;
			pj_add_str(did, "application", "created");
		}
		app_id = app ? pj_str(app, "appId") : PROV_DRY_ID;
	}
	if (app_id == NULL || !pbi_is_guid(app_id)) {
		err = pbi_err(PBI_ERR_INPUT, "invalid app id '%s'",
		    app_id ? app_id : "");
		goto done;
	}
	if (client != NULL && strcasecmp(app_id, client) != 0 && ncust > 0) {
		err = pbi_err(PBI_ERR_REFUSED, "the ledger is for app %s and "
		    "has %ld customer(s): it cannot move to app %s", client,
		    ncust, app_id);
		goto done;
	}
	if (app == NULL && (o->new_secret_file || o->certificate) &&
	    (err = graph_app_find(p->svc, app_id, &app)) != NULL)
		goto done;
	if (app == NULL && (o->new_secret_file || o->certificate) &&
	    !p->dry_run) {
		err = pbi_err(PBI_ERR_NOTFOUND, "no application %s in this "
		    "tenant to add a credential to", app_id);
		goto done;
	}

	if ((err = ensure_sp(p, app_id, &sp, &how)) != NULL)
		goto done;
	if (how != NULL)
		pj_add_str(did, "servicePrincipal", how);
	sp_id = sp ? pj_str(sp, "id") : PROV_DRY_ID;
	app_oid = app ? pj_str(app, "id") : PROV_DRY_ID;

	if (!p->dry_run) {
		if ((client == NULL || strcasecmp(client, app_id) != 0) &&
		    (err = pbi_ledger_set(p->ledger, PBI_SET_CLIENT, app_id)))
			goto done;
		if ((err = pbi_ledger_set(p->ledger, PBI_SET_SP, sp_id)) ||
		    (app != NULL && (err = pbi_ledger_set(p->ledger,
		    PBI_SET_APP, app_oid))))
			goto done;
	}

	if (o->new_secret_file != NULL) {
		if ((err = new_secret(p, app_oid, o->new_secret_file,
		    &cred)) != NULL)
			goto done;
		pj_add_str(did, "secret", "created");
		if (cred != NULL) {
			pj_add_str(res, "secretFile", o->new_secret_file);
			pj_add_str(res, "secretKeyId", pj_str(cred, "keyId"));
			pj_add_str(res, "secretExpires",
			    pj_str(cred, "endDateTime"));
		}
	}
	if (kc != NULL && app != NULL && has_cert(app, kc, thumb))
		pj_add_str(did, "certificate", "present");
	else if (kc != NULL) {
		if (pj_len(pj_arr(app, "keyCredentials"))) {
			err = pbi_err(PBI_ERR_REFUSED, "application %s already "
			    "has a certificate: pbictl never replaces "
			    "credentials; add this one in the portal", app_id);
			goto done;
		}
		keys = json_object_new_array();
		json_object_array_add(keys, json_object_get(kc));
		if ((err = prov_begin(p, 0, "app.addKey", thumb, &jid)) ==
		    NULL) {
			err = graph_app_set_keys(p->svc, app_oid, keys);
			prov_end(p, jid, err ? "failed" : "ok", thumb, err);
		}
		json_object_put(keys);
		if (err != NULL) {
			err = pbi_err_ctx(err, "cannot upload certificate %s",
			    thumb);
			goto done;
		}
		pj_add_str(did, "certificate", "uploaded");
	}
	if (o->security_group != NULL) {
		if ((err = graph_group_has(p->svc, o->security_group, sp_id,
		    &member)) != NULL)
			goto done;
		if (!member) {
			if ((err = prov_begin(p, 0, "group.addMember",
			    o->security_group, &jid)) != NULL)
				goto done;
			err = graph_group_add(p->svc, o->security_group, sp_id);
			/* Already a member, behind the lag: that is done. */
			if (err != NULL && err->status == 400 &&
			    strstr(err->svc_msg, "already exist") != NULL)
				err = NULL;
			prov_end(p, jid, err ? "failed" : "ok", sp_id, err);
			if (err != NULL) {
				err = pbi_err_ctx(err, "cannot add the service "
				    "principal to group %s", o->security_group);
				goto done;
			}
			pj_add_str(did, "securityGroup", "added");
		}
	}
	pj_add_str(res, "appId", app_id);
	pj_add_str(res, "applicationObjectId", app ? app_oid : NULL);
	pj_add_str(res, "servicePrincipalId", sp_id);
	pj_add_str(res, "displayName", sp ? pj_str(sp, "displayName") :
	    app ? pj_str(app, "displayName") : NULL);
	pj_add_str(res, "securityGroup", o->security_group);
done:
	if (err == NULL) {
		*out = res;
		res = NULL;
	}
	json_object_put(res);
	json_object_put(app);
	json_object_put(apps);
	json_object_put(sp);
	json_object_put(cred);
	json_object_put(kc);
	free(client);
	return err;
}

/* Credentials' names and expiry dates, never their values. */
static struct json_object *
creds(struct json_object *app)
{
	struct json_object	*a = json_object_new_array(), *c, *o;
	const char		*sets[] = { "passwordCredentials",
	    "keyCredentials" };
	size_t			 s, i;

	for (s = 0; s < 2; s++) {
		struct json_object *l = pj_arr(app, sets[s]);

		for (i = 0; i < pj_len(l); i++) {
			c = pj_idx(l, i);
			o = json_object_new_object();
			pj_add_str(o, "type", s ? "certificate" : "secret");
			pj_add_str(o, "displayName", pj_str(c, "displayName"));
			pj_add_str(o, "keyId", pj_str(c, "keyId"));
			pj_add_str(o, "endDateTime", pj_str(c, "endDateTime"));
			json_object_array_add(a, o);
		}
	}
	return a;
}

const struct pbi_err *
pbi_sp_show(struct pbi_prov *p, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*sp = NULL, *app = NULL, *o;
	char			*client = NULL;

	*out = NULL;
	if ((err = pbi_ledger_get(p->ledger, PBI_SET_CLIENT, &client)) != NULL)
		return err;
	if (client == NULL)
		return pbi_err(PBI_ERR_CONFIG, "the ledger has no client id: "
		    "run 'pbictl init'");
	if ((err = graph_sp_find(p->svc, client, &sp)) != NULL)
		goto done;
	if (sp == NULL) {
		err = pbi_err(PBI_ERR_NOTFOUND, "app %s has no service "
		    "principal in this tenant: run 'pbictl sp ensure'",
		    client);
		goto done;
	}
	/* Reading the application needs more rights: do without it. */
	if (graph_app_find(p->svc, client, &app) != NULL)
		app = NULL;
	o = json_object_new_object();
	pj_add_str(o, "appId", client);
	pj_add_str(o, "servicePrincipalId", pj_str(sp, "id"));
	pj_add_str(o, "displayName", pj_str(sp, "displayName"));
	pj_add_str(o, "applicationObjectId", app ? pj_str(app, "id") : NULL);
	pj_add(o, "credentials", app ? creds(app) : NULL);
	*out = o;
done:
	json_object_put(sp);
	json_object_put(app);
	free(client);
	return err;
}
