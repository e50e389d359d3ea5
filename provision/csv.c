/*
 * csv.c: customers from a CSV file: "customer,display name[,admin]" per
 * line, an optional header naming the first column "customer", '#'
 * comments and blank lines skipped, fields optionally double-quoted; and
 * the migration map, "workspaceId,customer[,display name]".
 */
#include "provision.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Split one line into at most max fields, in place.  Returns the count,
 * or -1 for a line that is not CSV (an unterminated quote, text after a
 * closing quote, too many fields).
 */
static int
fields(char *line, char **f, int max)
{
	char	*p = line, *o, *e, sep;
	int	 n = 0;

	for (;;) {
		if (n == max)
			return -1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			f[n++] = o = ++p;
			for (;;) {
				if (*p == '\0')
					return -1;
				if (*p == '"' && p[1] == '"') {
					*o++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else
					*o++ = *p++;
			}
			*o = '\0';
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '\0')
				return n;
			if (*p != ',')
				return -1;
			p++;
			continue;
		}
		f[n++] = p;
		e = p + strcspn(p, ",");
		sep = *e;
		for (o = e; o > p && (o[-1] == ' ' || o[-1] == '\t'); o--)
			;
		*o = '\0';
		if (sep == '\0')
			return n;
		p = e + 1;
	}
}

const struct pbi_err *
pbi_csv_customers(const char *path, struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*a, *o;
	char			*buf = NULL, *line, *f[4];
	FILE			*fp;
	size_t			 cap = 0, n, at;
	ssize_t			 got;
	int			 ln = 0, nf, i;

	*out = NULL;
	if ((fp = fopen(path, "re")) == NULL)
		return pbi_err_errno("cannot open '%s'", path);
	a = json_object_new_array();
	while ((got = getline(&buf, &cap, fp)) != -1) {
		ln++;
		line = buf;
		n = (size_t)got;
		/* A byte order mark (as spreadsheets write it) is no text. */
		if (ln == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line += 3;
			n -= 3;
		}
		if (n > 2047) {
			err = pbi_err(PBI_ERR_INPUT, "%s:%d: line too long",
			    path, ln);
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		/* fgets would cut the line there; a name is never binary. */
		if (memchr(line, '\0', n) != NULL) {
			err = pbi_err(PBI_ERR_INPUT, "%s:%d: a NUL byte at "
			    "column %zu", path, ln, (size_t)((char *)memchr(line,
			    '\0', n) - line) + 1);
			break;
		}
		if (!pbi_utf8_ok(line, n, &at)) {
			err = pbi_err(PBI_ERR_INPUT, "%s:%d: not UTF-8 at "
			    "column %zu (save the file as UTF-8)", path, ln,
			    at + 1);
			break;
		}
		if (line[strspn(line, " \t")] == '\0' || line[0] == '#')
			continue;
		if ((nf = fields(line, f, 3)) < 1) {
			err = pbi_err(PBI_ERR_INPUT, "%s:%d: expected "
			    "'customer,display name[,admin]'", path, ln);
			break;
		}
		if (ln == 1 && strcmp(f[0], "customer") == 0)
			continue;
		if (!pbi_slug_ok(f[0])) {
			err = pbi_err(PBI_ERR_INPUT, "%s:%d: invalid customer "
			    "name '%s': use 1 to 63 lowercase letters, digits "
			    "and '-'", path, ln, f[0]);
			break;
		}
		for (i = 1; i < nf; i++)
			if (f[i][strcspn(f[i], "\x01\x02\x03\x04\x05\x06"
			    "\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"
			    "\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
			    "\x7f")] != '\0')
				break;
		if (i < nf) {
			err = pbi_err(PBI_ERR_INPUT, "%s:%d: a control "
			    "character in field %d", path, ln, i + 1);
			break;
		}
		o = json_object_new_object();
		pj_add_str(o, "customer", f[0]);
		pj_add_str(o, "displayName", nf > 1 && *f[1] ? f[1] : NULL);
		pj_add_str(o, "admin", nf > 2 && *f[2] ? f[2] : NULL);
		json_object_array_add(a, o);
	}
	if (err == NULL && ferror(fp))
		err = pbi_err_errno("cannot read '%s'", path);
	free(buf);
	fclose(fp);
	if (err != NULL)
		json_object_put(a);
	else
		*out = a;
	return err;
}

const struct pbi_err *
pbi_migrate_map_load(const char *path, struct json_object **out)
{
	const struct pbi_err	*err = NULL;
	struct json_object	*a, *o;
	char			 line[2048], *f[4];
	FILE			*fp;
	size_t			 n, i;
	int			 ln = 0, nf;

	*out = NULL;
	if ((fp = fopen(path, "re")) == NULL)
		return pbi_err_errno("cannot open '%s'", path);
	a = json_object_new_array();
	while (err == NULL && fgets(line, sizeof(line), fp) != NULL) {
		ln++;
		n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			err = pbi_err(PBI_ERR_INPUT, "%s:%d: line too long",
			    path, ln);
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (line[strspn(line, " \t")] == '\0' || line[0] == '#')
			continue;
		if ((nf = fields(line, f, 3)) < 2) {
			err = pbi_err(PBI_ERR_INPUT, "%s:%d: expected "
			    "'workspaceId,customer[,display name]'", path, ln);
			break;
		}
		if (strcmp(f[0], "workspaceId") == 0)
			continue;
		if (!pbi_is_guid(f[0]))
			err = pbi_err(PBI_ERR_INPUT, "%s:%d: '%.64s' is not a "
			    "workspace id (a GUID)", path, ln, f[0]);
		else if (!pbi_slug_ok(f[1]))
			err = pbi_err(PBI_ERR_INPUT, "%s:%d: invalid customer "
			    "name '%.64s': use 1 to 63 lowercase letters, "
			    "digits and '-'", path, ln, f[1]);
		for (i = 0; err == NULL && i < pj_len(a); i++)
			if (strcasecmp(pj_str(pj_idx(a, i), "workspaceId"),
			    f[0]) == 0)
				err = pbi_err(PBI_ERR_INPUT, "%s:%d: workspace "
				    "%s is already mapped on line %d", path, ln,
				    f[0], (int)pj_int(pj_idx(a, i), "line", 0));
		if (err != NULL)
			break;
		o = json_object_new_object();
		pj_add_str(o, "workspaceId", f[0]);
		pj_add_str(o, "customer", f[1]);
		pj_add_str(o, "displayName", nf > 2 && *f[2] ? f[2] : NULL);
		pj_add_int(o, "line", ln);
		json_object_array_add(a, o);
	}
	if (err == NULL && ferror(fp))
		err = pbi_err_errno("cannot read '%s'", path);
	fclose(fp);
	if (err != NULL)
		json_object_put(a);
	else
		*out = a;
	return err;
}
