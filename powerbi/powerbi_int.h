/*
 * powerbi_int.h: what the files of powerbi/ share, and nothing outside
 * powerbi/ includes.  powerbi.c holds these helpers; profiles.c,
 * groups.c, capacities.c, imports.c, content.c and embed.c one area of
 * the API each.
 */
#ifndef PBI_POWERBI_INT_H
#define PBI_POWERBI_INT_H

#include "powerbi.h"

#define MYORG	"/v1.0/myorg"

/*
 * The profile header of profile, written into hdr, as a NULL-ended
 * header list in list[2]; NULL when profile is NULL.  Borrowed from the
 * caller's buffers: use AS() with HDRS declared.
 */
const char *const	*pb_as(const char *profile, char *hdr, size_t len,
			    const char **list);
#define AS(profile)	pb_as(profile, hdr, sizeof(hdr), hl)
#define HDRS		char hdr[96]; const char *hl[2]

/* Refuse any of a, b, c (NULL: unused) that is not a GUID. */
const struct pbi_err	*pb_check_ids(const char *a, const char *b,
			    const char *c);

/*
 * The one item of the list at path whose member field is exactly name,
 * as profile; *out is NULL when none is.
 */
const struct pbi_err	*pb_find_named(struct pbi_svc *, const char *profile,
			    const char *path, const char *field,
			    const char *name, struct json_object **out);
/* MYORG "/SET?$filter=FIELD eq 'NAME'" (free(3)), or NULL. */
char			*pb_filtered(const char *set, const char *field,
			    const char *name);

/*
 * A call without a body on /groups/{group}{suffix} (suffix "" or
 * "/..."), as profile.
 */
const struct pbi_err	*pb_group_call(struct pbi_svc *, const char *profile,
			    const char *method, const char *group,
			    const char *suffix, struct json_object **out);
/* The "value" list of a GET at path (a new reference). */
const struct pbi_err	*pb_list(struct pbi_svc *, const char *profile,
			    const char *path, struct json_object **out);
/* The "value" list of /groups/{group}/{what}. */
const struct pbi_err	*pb_group_list(struct pbi_svc *, const char *profile,
			    const char *group, const char *what,
			    struct json_object **out);

#endif /* PBI_POWERBI_INT_H */
