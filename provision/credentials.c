/*
 * credentials.c: datasource credentials from a file, as Power BI's
 * credentialDetails (api-facts 3.6).  The file is a secret: refused when
 * others may read it, wiped from memory after use.
 */
#include "provision.h"

#include <stdio.h>
#include <string.h>

/* {"credentialData":[{"name":n1,"value":v1},...]} as a JSON string. */
static char *
credential_data(const char *n1, const char *v1, const char *n2,
    const char *v2)
{
	struct json_object	*o = json_object_new_object(), *a, *e;
	char			*s;

	a = json_object_new_array();
	e = json_object_new_object();
	pj_add_str(e, "name", n1);
	pj_add_str(e, "value", v1);
	json_object_array_add(a, e);
	if (n2 != NULL) {
		e = json_object_new_object();
		pj_add_str(e, "name", n2);
		pj_add_str(e, "value", v2);
		json_object_array_add(a, e);
	}
	pj_add(o, "credentialData", a);
	s = strdup(pj_text(o, 0));
	pbi_json_wipe_put(o);
	return s;
}

const struct pbi_err *
pbi_secret_json(const char *path, const char *what, const char *shape,
    struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*in;
	char			*text;

	*out = NULL;
	if ((text = pbi_secret_file(path, &err)) == NULL)
		return err;
	in = pj_parse(text, strlen(text));
	pbi_wipe_free(text);
	if (in == NULL || !json_object_is_type(in, json_type_object)) {
		pbi_json_wipe_put(in);
		return pbi_err(PBI_ERR_INPUT, "%s '%s' is not a JSON object%s",
		    what, path, shape);
	}
	*out = in;
	return NULL;
}

const struct pbi_err *
pbi_credentials_load(const char *path, struct json_object **out)
{
	const struct pbi_err	*err;
	struct json_object	*in;
	char			 where[1100];

	*out = NULL;
	if ((err = pbi_secret_json(path, "credentials file", "", &in)))
		return err;
	snprintf(where, sizeof(where), "credentials file '%s'", path);
	err = pbi_credentials_details(in, where, out);
	pbi_json_wipe_put(in);
	return err;
}

const struct pbi_err *
pbi_credentials_details(struct json_object *in, const char *path,
    struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*d;
	char			*cred = NULL;
	const char		*t, *u, *pw, *k, *tok;

	*out = NULL;
	t = pj_str(in, "credentialType");
	u = pj_str(in, "username");
	pw = pj_str(in, "password");
	k = pj_str(in, "key");
	tok = pj_str(in, "accessToken");
	if (t == NULL)
		err = pbi_err(PBI_ERR_INPUT, "%s: no "
		    "credentialType (Basic, Windows, Key, OAuth2 or "
		    "Anonymous)", path);
	else if (strcmp(t, "Basic") == 0 || strcmp(t, "Windows") == 0) {
		if (u == NULL || pw == NULL)
			err = pbi_err(PBI_ERR_INPUT, "%s: "
			    "%s needs username and password", path, t);
		else
			cred = credential_data("username", u, "password", pw);
	} else if (strcmp(t, "Key") == 0) {
		if (k == NULL)
			err = pbi_err(PBI_ERR_INPUT, "%s: "
			    "Key needs key", path);
		else
			cred = credential_data("key", k, NULL, NULL);
	} else if (strcmp(t, "OAuth2") == 0) {
		if (tok == NULL)
			err = pbi_err(PBI_ERR_INPUT, "%s: "
			    "OAuth2 needs accessToken", path);
		else
			cred = credential_data("accessToken", tok, NULL, NULL);
	} else if (strcmp(t, "Anonymous") == 0)
		cred = strdup("{\"credentialData\":\"\"}");
	else
		err = pbi_err(PBI_ERR_INPUT, "%s: unknown "
		    "credentialType '%s'", path, t);
	if (err == NULL && cred == NULL)
		err = pbi_err(PBI_ERR_NOMEM, "out of memory");
	if (err == NULL) {
		d = json_object_new_object();
		pj_add_str(d, "credentialType", t);
		pj_add_str(d, "credentials", cred);
		pj_add_str(d, "encryptedConnection",
		    pj_str(in, "encryptedConnection") ?
		    pj_str(in, "encryptedConnection") : "Encrypted");
		/* Cloud datasources take them in clear, over TLS. */
		pj_add_str(d, "encryptionAlgorithm", "None");
		pj_add_str(d, "privacyLevel", pj_str(in, "privacyLevel") ?
		    pj_str(in, "privacyLevel") : "Organizational");
		*out = d;
	}
	pbi_wipe_free(cred);
	return err;
}
