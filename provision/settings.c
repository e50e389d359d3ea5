/*
 * settings.c: what the ledger's settings may hold.
 */
#include "provision.h"

#include <ctype.h>
#include <string.h>

const char *const pbi_clouds[] = {
	"public", "usgov", "usgovhigh", "dod", "china", NULL
};

static int
in_list(const char *v, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(v, *list) == 0)
			return 1;
	return 0;
}

/* A DNS name with at least one dot: contoso.onmicrosoft.com. */
static int
is_domain(const char *s)
{
	size_t	 n = strlen(s), i;
	int	 dot = 0;

	if (n < 3 || n > 253 || s[0] == '.' || s[0] == '-' ||
	    s[n - 1] == '.' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
			dot = 1;
		} else if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	}
	return dot;
}

/*
 * A workspace name template: "{slug}" exactly once, no other braces,
 * characters the Power BI service accepts in a workspace name.
 */
static int
template_ok(const char *t)
{
	const char	*p = strstr(t, "{slug}");
	size_t		 i, n = strlen(t);

	/* With a 63-character slug the name still fits 255 bytes. */
	if (p == NULL || strstr(p + 1, "{slug}") != NULL || n > 192)
		return 0;
	for (i = 0; i < n; i++) {
		if (t + i >= p && t + i < p + 6)
			continue;
		if (!isalnum((unsigned char)t[i]) &&
		    strchr(" _.-", t[i]) == NULL)
			return 0;
	}
	return 1;
}

const struct pbi_err *
pbi_setting_check(const char *key, const char *v)
{
	static const char *const modes[] = { "profile", "workspace", NULL };

	if (strcmp(key, PBI_SET_TENANT) == 0) {
		if (!pbi_is_guid(v) && !is_domain(v))
			return pbi_err(PBI_ERR_INPUT, "invalid tenant '%s': "
			    "expected a GUID or a domain such as "
			    "contoso.onmicrosoft.com", v);
	} else if (strcmp(key, PBI_SET_CLIENT) == 0) {
		if (!pbi_is_guid(v))
			return pbi_err(PBI_ERR_INPUT, "invalid client id '%s': "
			    "expected the application (client) id, a GUID", v);
	} else if (strcmp(key, PBI_SET_CLOUD) == 0) {
		if (!in_list(v, pbi_clouds))
			return pbi_err(PBI_ERR_INPUT, "unknown cloud '%s': "
			    "expected public, usgov, usgovhigh, dod or china",
			    v);
	} else if (strcmp(key, PBI_SET_CAPACITY) == 0) {
		if (!pbi_is_guid(v))
			return pbi_err(PBI_ERR_INPUT, "invalid capacity id "
			    "'%s': expected a GUID", v);
	} else if (strcmp(key, PBI_SET_TEMPLATE) == 0) {
		if (!template_ok(v))
			return pbi_err(PBI_ERR_INPUT, "invalid name template "
			    "'%s': it must hold '{slug}' once, and otherwise "
			    "only letters, digits, space, '_', '.' and '-'", v);
	} else if (strcmp(key, PBI_SET_ISOLATION) == 0) {
		if (!in_list(v, modes))
			return pbi_err(PBI_ERR_INPUT, "unknown isolation mode "
			    "'%s': expected profile or workspace", v);
	} else
		return pbi_err(PBI_ERR_INPUT, "unknown setting '%s'", key);
	return NULL;
}

const char *
pbi_setting_default(const char *key)
{
	if (strcmp(key, PBI_SET_CLOUD) == 0)
		return "public";
	if (strcmp(key, PBI_SET_TEMPLATE) == 0)
		return "cust-{slug}";
	if (strcmp(key, PBI_SET_ISOLATION) == 0)
		return "profile";
	return NULL;
}
