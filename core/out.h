/*
 * out.h: results on stdout, as an aligned table for people or as JSON
 * for scripts.  Diagnostics never come here: they go to stderr.
 */
#ifndef PBI_OUT_H
#define PBI_OUT_H

#include <stdio.h>

struct json_object;

enum pbi_outfmt {
	PBI_OUT_TABLE,
	PBI_OUT_JSON,
	PBI_OUT_JUNIT		/* JUnit XML, for the verbs that declare it */
};

struct pbi_table;

/* A table with ncols columns named by the NULL-terminated heads. */
struct pbi_table	*pbi_table_new(const char *const *heads);
/*
 * Append a row of ncols cells (copied; NULL prints as "-").  Returns 0,
 * or -1 on allocation failure.
 */
int			 pbi_table_row(struct pbi_table *, const char *const *);
/* Number of rows so far. */
size_t			 pbi_table_rows(const struct pbi_table *);
/* Print with columns padded to their widest cell. */
void			 pbi_table_print(const struct pbi_table *, FILE *);
void			 pbi_table_free(struct pbi_table *);

/* Print obj as pretty JSON and a newline. */
void			 pbi_json_print(struct json_object *obj, FILE *);

/*
 * Print "key: value" lines for a flat JSON object, keys padded; nested
 * values printed as compact JSON.
 */
void			 pbi_kv_print(struct json_object *obj, FILE *);

#endif /* PBI_OUT_H */
