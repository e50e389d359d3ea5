/*
 * fuzz_json.c: JSON as the services send it (core/json.c) and as pbictl
 * writes it back, whole or streamed (core/out.c): every parsed document
 * must come out of the streaming writer as json-c prints it.
 */
#include "core/core.h"
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct json_object	*o;
	struct pbi_jsonw	 w;
	char			*mem = NULL;
	size_t			 memlen = 0, i;
	FILE			*fp;
	const char		*whole;

	if ((o = pj_parse((const char *)d, n)) == NULL)
		return 0;
	(void)pj_str(o, "error");
	(void)pj_path_str(o, "error.code");
	(void)pj_path_str(o, "error.message.value");
	(void)pj_path(o, "odata.error.innererror");
	(void)pj_int(o, "value", 0);
	(void)pj_bool(o, "value", 0);
	for (i = 0; i < pj_len(pj_arr(o, "value")) && i < 64; i++)
		(void)pj_str(pj_idx(pj_arr(o, "value"), i), "id");
	(void)pj_text(o, 0);
	/* An array or object streamed member by member, as list does. */
	if ((fp = open_memstream(&mem, &memlen)) == NULL)
		abort();
	pbi_jsonw_init(&w, fp);
	if (json_object_is_type(o, json_type_array)) {
		pbi_jsonw_array(&w, NULL);
		for (i = 0; i < pj_len(o); i++)
			pbi_jsonw_value(&w, NULL, pj_idx(o, i));
		pbi_jsonw_close(&w, 1);
	} else if (json_object_is_type(o, json_type_object)) {
		pbi_jsonw_object(&w, NULL);
		json_object_object_foreach(o, k, val)
			pbi_jsonw_value(&w, k, val);
		pbi_jsonw_close(&w, 0);
	} else
		pbi_jsonw_value(&w, NULL, o);
	fclose(fp);
	whole = pj_text(o, PJ_PRETTY);
	if (strlen(whole) + 1 != memlen || memcmp(whole, mem, memlen - 1) != 0 ||
	    mem[memlen - 1] != '\n')
		abort();
	/*
	 * Not checked: that the text parses back to an equal document.
	 * json-c reads a malformed number ("-130e") and prints it back as
	 * it was read (tests/data/fuzz/fuzz_json/bad-number).
	 */
	free(mem);
	json_object_put(o);
	return 0;
}
