/*
 * json.h: small helpers over json-c, shared by pbictl and pbisim.
 *
 * Everything returned by a *_get function is borrowed from the object
 * passed in and lives only as long as that object's root.  Nothing here
 * prints, exits or allocates an error: failure is NULL or a default.
 */
#ifndef PBI_JSON_H
#define PBI_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/*
 * Parse exactly len bytes of buf as one JSON value (trailing white space
 * allowed, trailing garbage refused).  Returns a new reference (put it
 * with json_object_put) or NULL if buf is not JSON.
 */
struct json_object	*pj_parse(const char *buf, size_t len);

/* Member key of obj if obj is an object and the member has that type. */
const char		*pj_str(const struct json_object *obj, const char *key);
struct json_object	*pj_obj(const struct json_object *obj, const char *key);
struct json_object	*pj_arr(const struct json_object *obj, const char *key);

/*
 * Length of a JSON array, 0 for NULL or anything else; the element at
 * idx, or NULL when a is no array or idx is past its end (json-c asserts
 * on both instead).
 */
size_t			 pj_len(const struct json_object *a);
struct json_object	*pj_idx(const struct json_object *a, size_t idx);

/* Integer or boolean member, or def when absent or of another type. */
int64_t			 pj_int(const struct json_object *obj, const char *key,
			    int64_t def);
int			 pj_bool(const struct json_object *obj, const char *key,
			    int def);

/*
 * Follow a dotted path of member names ("error.innerError.request-id").
 * Returns the borrowed value or NULL.
 */
struct json_object	*pj_path(const struct json_object *obj,
			    const char *path);
const char		*pj_path_str(const struct json_object *obj,
			    const char *path);

/*
 * Add a member, taking over val; a NULL val adds JSON null.  Returns obj,
 * so calls chain.  pj_add_str copies s (NULL adds JSON null).
 */
struct json_object	*pj_add(struct json_object *obj, const char *key,
			    struct json_object *val);
struct json_object	*pj_add_str(struct json_object *obj, const char *key,
			    const char *s);
struct json_object	*pj_add_int(struct json_object *obj, const char *key,
			    int64_t v);
struct json_object	*pj_add_bool(struct json_object *obj, const char *key,
			    int v);

/*
 * Serialise obj compactly (flags 0) or pretty (PJ_PRETTY).  The string is
 * owned by obj and changes on the next call for the same obj.
 */
#define PJ_PRETTY	(1 << 0)
const char		*pj_text(struct json_object *obj, int flags);

#endif /* PBI_JSON_H */
