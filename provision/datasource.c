/*
 * datasource.c: what a dataset connects to, in the one form the ledger
 * records and the audit compares (a server and database, a URL, a
 * path), and its recording at publish (api-facts 3.6).
 */
#include "provision.h"
#include "steps.h"
#include "powerbi/powerbi.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* s in lower case into buf. */
static void
lower(char *buf, size_t len, const char *s)
{
	size_t	 i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
}

struct json_object *
pbi_datasource_target(struct json_object *src)
{
	struct json_object	*cd = NULL, *o;
	const char		*t, *server, *db, *url, *path;
	char			 a[512], b[512], target[1100];
	int			 parsed = 0;

	/* A JSON string in GetBoundGatewayDatasources, else an object. */
	if ((t = pj_str(src, "connectionDetails")) != NULL) {
		if ((cd = pj_parse(t, strlen(t))) == NULL)
			return NULL;
		parsed = 1;
	} else if ((cd = pj_obj(src, "connectionDetails")) == NULL)
		return NULL;
	server = pj_str(cd, "server");
	db = pj_str(cd, "database");
	url = pj_str(cd, "url");
	path = pj_str(cd, "path");
	if (server != NULL && *server != '\0') {
		lower(a, sizeof(a), server);
		lower(b, sizeof(b), db ? db : "");
		snprintf(target, sizeof(target), "%s/%s", a, b);
	} else if (url != NULL && *url != '\0')
		lower(target, sizeof(target), url);
	else if (path != NULL && *path != '\0')
		lower(target, sizeof(target), path);
	else if (json_object_is_type(cd, json_type_object) &&
	    json_object_object_length(cd) > 0)
		lower(target, sizeof(target), pj_text(cd, 0));
	else {
		if (parsed)
			json_object_put(cd);
		return NULL;
	}
	o = json_object_new_object();
	pj_add_str(o, "datasourceType", pj_str(src, "datasourceType") ?
	    pj_str(src, "datasourceType") : "");
	pj_add_str(o, "server", server ? server : "");
	pj_add_str(o, "database", db ? db : "");
	pj_add_str(o, "target", target);
	if (parsed)
		json_object_put(cd);
	return o;
}

const struct pbi_err *
prov_record_datasources(struct pbi_prov *p, const struct pbi_customer *c,
    const char *prof, const char *dataset)
{
	const struct pbi_err	*err;
	struct json_object	*all = NULL, *out, *t;
	size_t			 i;

	if (p->dry_run)
		return NULL;
	if ((err = pb_bound_datasources(p->svc, prof, c->workspace_id,
	    dataset, &all)) != NULL)
		return pbi_err_ctx(err, "cannot list the datasources of "
		    "dataset %s", dataset);
	out = json_object_new_array();
	for (i = 0; i < pj_len(all); i++)
		if ((t = pbi_datasource_target(pj_idx(all, i))) != NULL)
			json_object_array_add(out, t);
	err = pbi_ledger_datasources_put(p->ledger, c->workspace_id, dataset,
	    out);
	json_object_put(out);
	json_object_put(all);
	return err;
}
