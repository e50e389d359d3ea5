/*
 * provision.h: the workflows.  Included first by every provision/ file
 * and by cmd/: everything a command needs comes through here.
 */
#ifndef PBI_PROVISION_H
#define PBI_PROVISION_H

#include "core/core.h"

/* The ledger settings, by key. */
#define PBI_SET_TENANT		"tenant_id"
#define PBI_SET_CLIENT		"client_id"
#define PBI_SET_CLOUD		"cloud"
#define PBI_SET_CAPACITY	"capacity_id"
#define PBI_SET_TEMPLATE	"name_template"
#define PBI_SET_ISOLATION	"isolation"

/*
 * Check value for setting key.  Returns NULL if it is acceptable, else a
 * PBI_ERR_INPUT error that says what is expected.
 */
const struct pbi_err	*pbi_setting_check(const char *key,
			    const char *value);
/* The default for key, or NULL if it has none.  Borrowed. */
const char		*pbi_setting_default(const char *key);

/* The clouds pbictl knows, NULL-terminated.  Borrowed. */
extern const char *const pbi_clouds[];

#endif /* PBI_PROVISION_H */
