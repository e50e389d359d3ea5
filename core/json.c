/*
 * json.c: small helpers over json-c, shared by pbictl and pbisim.
 */
#include "json.h"

#include <math.h>
#include <string.h>

/*
 * Does obj hold a number that is not finite?  json-c reads NaN and
 * Infinity, which are not JSON (RFC 8259) and which no reader of what
 * pbictl prints would take.  json-c bounds the depth (32).
 */
static int
nonfinite(struct json_object *obj)
{
	size_t	 i, n;

	switch (json_object_get_type(obj)) {
	case json_type_double:
		return !isfinite(json_object_get_double(obj));
	case json_type_array:
		n = json_object_array_length(obj);
		for (i = 0; i < n; i++)
			if (nonfinite(json_object_array_get_idx(obj, i)))
				return 1;
		return 0;
	case json_type_object: {
		json_object_object_foreach(obj, k, v) {
			(void)k;
			if (nonfinite(v))
				return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

struct json_object *
pj_parse(const char *buf, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	size_t			 used;

	if (buf == NULL || len == 0 || len > INT32_MAX)
		return NULL;
	if ((tok = json_tokener_new()) == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		json_tokener_free(tok);
		return NULL;
	}
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (nonfinite(obj)) {
		json_object_put(obj);
		return NULL;
	}
	for (; used < len; used++) {
		if (strchr(" \t\r\n", buf[used]) == NULL) {
			json_object_put(obj);
			return NULL;
		}
	}
	return obj;
}

static struct json_object *
member(const struct json_object *obj, const char *key, json_type type)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	if (!json_object_is_type(v, type))
		return NULL;
	return v;
}

const char *
pj_str(const struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if ((v = member(obj, key, json_type_string)) == NULL)
		return NULL;
	return json_object_get_string(v);
}

struct json_object *
pj_obj(const struct json_object *obj, const char *key)
{
	return member(obj, key, json_type_object);
}

struct json_object *
pj_arr(const struct json_object *obj, const char *key)
{
	return member(obj, key, json_type_array);
}

size_t
pj_len(const struct json_object *a)
{
	if (a == NULL || !json_object_is_type(a, json_type_array))
		return 0;
	return json_object_array_length(a);
}

struct json_object *
pj_idx(const struct json_object *a, size_t idx)
{
	if (idx >= pj_len(a))
		return NULL;
	return json_object_array_get_idx(a, idx);
}

int64_t
pj_int(const struct json_object *obj, const char *key, int64_t def)
{
	struct json_object	*v;

	if ((v = member(obj, key, json_type_int)) == NULL)
		return def;
	return json_object_get_int64(v);
}

int
pj_bool(const struct json_object *obj, const char *key, int def)
{
	struct json_object	*v;

	if ((v = member(obj, key, json_type_boolean)) == NULL)
		return def;
	return json_object_get_boolean(v);
}

struct json_object *
pj_path(const struct json_object *obj, const char *path)
{
	struct json_object	*cur = (struct json_object *)obj, *next;
	char			 name[128];
	const char		*dot;
	size_t			 n;

	while (cur != NULL && *path != '\0') {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(name))
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		if (!json_object_is_type(cur, json_type_object) ||
		    !json_object_object_get_ex(cur, name, &next))
			return NULL;
		cur = next;
		path += n + (dot != NULL);
	}
	return cur;
}

const char *
pj_path_str(const struct json_object *obj, const char *path)
{
	struct json_object	*v;

	v = pj_path(obj, path);
	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

struct json_object *
pj_add(struct json_object *obj, const char *key, struct json_object *val)
{
	json_object_object_add(obj, key, val);
	return obj;
}

struct json_object *
pj_add_str(struct json_object *obj, const char *key, const char *s)
{
	return pj_add(obj, key, s ? json_object_new_string(s) : NULL);
}

struct json_object *
pj_add_int(struct json_object *obj, const char *key, int64_t v)
{
	return pj_add(obj, key, json_object_new_int64(v));
}

struct json_object *
pj_add_bool(struct json_object *obj, const char *key, int v)
{
	return pj_add(obj, key, json_object_new_boolean(v));
}

const char *
pj_text(struct json_object *obj, int flags)
{
	int	 f = JSON_C_TO_STRING_NOSLASHESCAPE;

	f |= (flags & PJ_PRETTY) ? JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	return json_object_to_json_string_ext(obj, f);
}
