/*
 * core.h: the layer everything else stands on.  Included first by every
 * file of core/, graph/, powerbi/ and provision/.  It exposes no curl,
 * OpenSSL or SQLite type: those stay behind core/.
 */
#ifndef PBI_CORE_H
#define PBI_CORE_H

#include "banned.h"
#include "err.h"
#include "json.h"
#include "util.h"
#include "out.h"
#include "http.h"
#include "ledger.h"
#include "auth.h"
#include "svc.h"

#define PBICTL_VERSION	"0.1.0"

#endif /* PBI_CORE_H */
