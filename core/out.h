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

/*
 * A JSON document written as it is made, for results too large to build
 * whole: containers are opened and closed, each value is written and can
 * be freed at once, so memory stays flat in the number of rows.  The text
 * is that of pbi_json_print for the same tree (json-c's pretty form, two
 * spaces a level).  Nesting up to PBI_JSONW_DEPTH.  Write errors are
 * those of fp (ferror).
 */
#define PBI_JSONW_DEPTH	16

struct pbi_jsonw {
	FILE	*fp;
	int	 depth;
	int	 count[PBI_JSONW_DEPTH];	/* members so far, per level */
	int	 pending_key;			/* a key waits for its value */
};

void			 pbi_jsonw_init(struct pbi_jsonw *, FILE *);
/* Open an object or array: a member of the current object under key, an
 * element of the current array (key NULL), or the document. */
void			 pbi_jsonw_object(struct pbi_jsonw *, const char *key);
void			 pbi_jsonw_array(struct pbi_jsonw *, const char *key);
/* Write v (borrowed; NULL is null) under key or as the next element. */
void			 pbi_jsonw_value(struct pbi_jsonw *, const char *key,
			    struct json_object *v);
/* Close the innermost container; closing the document ends the line. */
void			 pbi_jsonw_close(struct pbi_jsonw *, int array);

#endif /* PBI_OUT_H */
