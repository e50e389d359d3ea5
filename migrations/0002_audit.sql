-- What the isolation audit needs (pbictl-audit(1), pbictl-ledger(5)):
-- the admins and datasource targets that belong to each customer, and
-- every audit with its findings.

-- The admins configured for a customer's workspace (--admin, a CSV's
-- admin column): members the audit expects there.  Earlier runs left
-- them in the journal only.
CREATE TABLE customer_admins (
	customer_id	INTEGER NOT NULL REFERENCES customers(id),
	upn		TEXT NOT NULL COLLATE NOCASE,
	added_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	PRIMARY KEY (customer_id, upn)
);
INSERT OR IGNORE INTO customer_admins (customer_id, upn)
	SELECT DISTINCT customer_id, target FROM journal
	WHERE step = 'workspace.addUser' AND state IN ('ok', 'adopted')
	AND customer_id IS NOT NULL AND target IS NOT NULL;

-- A dataset a publish created, and when its datasources were read.
CREATE TABLE datasets (
	id		TEXT PRIMARY KEY,
	workspace_id	TEXT NOT NULL REFERENCES workspaces(id),
	recorded_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- What each published dataset connects to, as its publish found it:
-- the targets (a server and database, a URL, a path) that belong to its
-- workspace's customer.  target is the normalised form compared.
CREATE TABLE datasources (
	dataset_id	TEXT NOT NULL REFERENCES datasets(id)
			ON DELETE CASCADE,
	datasource_type	TEXT NOT NULL,
	server		TEXT NOT NULL DEFAULT '',
	database	TEXT NOT NULL DEFAULT '',
	target		TEXT NOT NULL,
	PRIMARY KEY (dataset_id, target)
);
CREATE INDEX datasources_target ON datasources(target);

-- One audit: when, how, over which customers (scope NULL: all), with
-- what result.  complete 0: something could not be checked.
CREATE TABLE audits (
	id		INTEGER PRIMARY KEY,
	started_at	TEXT NOT NULL,
	finished_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	mode		TEXT NOT NULL CHECK (mode IN ('admin', 'workspace')),
	scope		TEXT,
	complete	INTEGER NOT NULL CHECK (complete IN (0, 1)),
	probe		INTEGER NOT NULL DEFAULT 0,
	customers	INTEGER NOT NULL DEFAULT 0,
	critical	INTEGER NOT NULL DEFAULT 0,
	errors		INTEGER NOT NULL DEFAULT 0,
	warnings	INTEGER NOT NULL DEFAULT 0,
	requests	INTEGER NOT NULL DEFAULT 0
);

-- Its findings.  key (rule, customer, workspace, item) identifies a
-- finding from one audit to the next, for --diff.
CREATE TABLE audit_findings (
	audit_id	INTEGER NOT NULL REFERENCES audits(id)
			ON DELETE CASCADE,
	key		TEXT NOT NULL,
	rule		TEXT NOT NULL,
	severity	TEXT NOT NULL
			CHECK (severity IN ('critical', 'error', 'warning')),
	customer	TEXT,
	workspace	TEXT,
	item		TEXT,
	detail		TEXT NOT NULL,
	remedy		TEXT NOT NULL,
	PRIMARY KEY (audit_id, key)
);

-- What the scanner API last said a workspace's datasets connect to:
-- an admin audit scans again only what changed since.
CREATE TABLE audit_scans (
	workspace_id	TEXT PRIMARY KEY,
	scanned_at	TEXT NOT NULL,
	datasets	TEXT NOT NULL
);
