/*
 * keycred.c: a certificate as a Graph keyCredential, for an
 * application's keyCredentials.  The certificate is read in core/.
 */
#include "graph.h"

const struct pbi_err *
graph_keycred(const char *path, struct json_object **out, char thumb[41])
{
	const struct pbi_err	*err;
	struct json_object	*o;
	struct pbi_cert		 c;

	*out = NULL;
	if ((err = pbi_cert_public(path, &c)) != NULL)
		return err;
	if ((o = json_object_new_object()) == NULL) {
		pbi_cert_release(&c);
		return pbi_err(PBI_ERR_NOMEM, "out of memory");
	}
	pj_add_str(o, "type", "AsymmetricX509Cert");
	pj_add_str(o, "usage", "Verify");
	pj_add_str(o, "key", c.der_b64);
	pj_add_str(o, "displayName", c.subject);
	pj_add_str(o, "customKeyIdentifier", c.thumb_b64);
	pbi_strlcpy(thumb, c.thumb, 41);
	pbi_cert_release(&c);
	*out = o;
	return NULL;
}
