/*
 * out.c: tables and JSON on stdout.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

struct pbi_table {
	size_t	  ncols;
	size_t	  nlines;	/* the heads, then the rows */
	size_t	  cap;		/* cells allocated */
	char	**cells;	/* nlines * ncols */
	size_t	 *width;
};

/* Append a line of ncols cells.  Returns 0, or -1 when out of memory. */
static int
table_add(struct pbi_table *t, const char *const *cells)
{
	char		**nc;
	const char	 *c;
	size_t		  i, at = t->nlines * t->ncols, w;

	if (at + t->ncols > t->cap) {
		t->cap = t->cap ? t->cap * 2 : t->ncols * 16;
		if ((nc = realloc(t->cells, t->cap * sizeof(*nc))) == NULL)
			return -1;
		t->cells = nc;
	}
	for (i = 0; i < t->ncols; i++) {
		c = cells[i] ? cells[i] : "-";
		if ((t->cells[at + i] = strdup(c)) == NULL) {
			while (i-- > 0)
				free(t->cells[at + i]);
			return -1;
		}
		/* Names from a service: no escape sequences. */
		pbi_clean_text(t->cells[at + i]);
		if ((w = strlen(t->cells[at + i])) > t->width[i])
			t->width[i] = w;
	}
	t->nlines++;
	return 0;
}

struct pbi_table *
pbi_table_new(const char *const *heads)
{
	struct pbi_table	*t;
	size_t			 n = 0;

	while (heads[n] != NULL)
		n++;
	if (n == 0 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->ncols = n;
	if ((t->width = calloc(n, sizeof(size_t))) == NULL ||
	    table_add(t, heads) == -1) {
		pbi_table_free(t);
		return NULL;
	}
	return t;
}

int
pbi_table_row(struct pbi_table *t, const char *const *cells)
{
	return table_add(t, cells);
}

size_t
pbi_table_rows(const struct pbi_table *t)
{
	return t->nlines - 1;
}

void
pbi_table_print(const struct pbi_table *t, FILE *fp)
{
	size_t	 r, c;
	const char *cell;

	for (r = 0; r < t->nlines; r++) {
		for (c = 0; c < t->ncols; c++) {
			cell = t->cells[r * t->ncols + c];
			if (c + 1 == t->ncols)
				fprintf(fp, "%s\n", cell);
			else
				fprintf(fp, "%-*s  ", (int)t->width[c], cell);
		}
	}
}

void
pbi_table_free(struct pbi_table *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nlines * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

void
pbi_json_print(struct json_object *obj, FILE *fp)
{
	fprintf(fp, "%s\n", pj_text(obj, PJ_PRETTY));
}

void
pbi_kv_print(struct json_object *obj, FILE *fp)
{
	size_t		 w = 0, n;
	const char	*s;
	char		*clean;

	json_object_object_foreach(obj, k0, v0) {
		(void)v0;
		if ((n = strlen(k0)) > w)
			w = n;
	}
	json_object_object_foreach(obj, key, val) {
		if (val == NULL)
			s = "-";
		else if (json_object_is_type(val, json_type_string))
			s = json_object_get_string(val);
		else
			s = pj_text(val, 0);
		if ((clean = strdup(s)) != NULL)
			pbi_clean_text(clean);
		fprintf(fp, "%-*s  %s\n", (int)w + 1, key, clean ? clean : "?");
		free(clean);
	}
}

/* The indentation of level d: two spaces a level, as json-c's. */
static void
jsonw_indent(struct pbi_jsonw *w, int d)
{
	int	 i;

	for (i = 0; i < d; i++)
		fputs("  ", w->fp);
}

/* Start the next member or element of the current container. */
static void
jsonw_member(struct pbi_jsonw *w, const char *key)
{
	int	 d = w->depth < PBI_JSONW_DEPTH ? w->depth : PBI_JSONW_DEPTH;

	if (w->depth == 0)
		return;
	fputs(w->count[d - 1]++ ? ",\n" : "\n", w->fp);
	jsonw_indent(w, w->depth);
	if (key != NULL) {
		/* The key in json-c's own escaping. */
		struct json_object	*k = json_object_new_string(key);

		fprintf(w->fp, "%s: ", pj_text(k, 0));
		json_object_put(k);
	}
}

void
pbi_jsonw_init(struct pbi_jsonw *w, FILE *fp)
{
	memset(w, 0, sizeof(*w));
	w->fp = fp;
}

static void
jsonw_open(struct pbi_jsonw *w, const char *key, int c)
{
	jsonw_member(w, key);
	fputc(c, w->fp);
	if (w->depth < PBI_JSONW_DEPTH)
		w->count[w->depth] = 0;
	w->depth++;
}

void
pbi_jsonw_object(struct pbi_jsonw *w, const char *key)
{
	jsonw_open(w, key, '{');
}

void
pbi_jsonw_array(struct pbi_jsonw *w, const char *key)
{
	jsonw_open(w, key, '[');
}

void
pbi_jsonw_value(struct pbi_jsonw *w, const char *key, struct json_object *v)
{
	const char	*s, *nl;

	jsonw_member(w, key);
	/* v's pretty text, each of its lines indented to this level. */
	for (s = v ? pj_text(v, PJ_PRETTY) : "null";
	    (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
		fwrite(s, 1, (size_t)(nl - s) + 1, w->fp);
		jsonw_indent(w, w->depth);
	}
	fputs(s, w->fp);
	if (w->depth == 0)
		fputc('\n', w->fp);
}

void
pbi_jsonw_close(struct pbi_jsonw *w, int array)
{
	if (w->depth == 0)
		return;
	w->depth--;
	fputc('\n', w->fp);
	jsonw_indent(w, w->depth);
	fputc(array ? ']' : '}', w->fp);
	if (w->depth == 0)
		fputc('\n', w->fp);
}
