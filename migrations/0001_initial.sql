-- The first schema: design.md section 4.
-- Times are UTC ISO 8601 text; service ids are the services' GUIDs.

CREATE TABLE settings (
	key		TEXT PRIMARY KEY,
	value		TEXT NOT NULL,
	updated_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE customers (
	id		INTEGER PRIMARY KEY,
	slug		TEXT NOT NULL UNIQUE,
	display_name	TEXT NOT NULL,
	status		TEXT NOT NULL DEFAULT 'pending'
			CHECK (status IN ('pending', 'active', 'failed',
			    'removing', 'removed')),
	created_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	removed_at	TEXT
);

-- A service principal profile (isolation mode 'profile').  A profile
-- belongs to exactly one customer: its id is the primary key.
CREATE TABLE profiles (
	id		TEXT PRIMARY KEY,
	customer_id	INTEGER NOT NULL REFERENCES customers(id),
	display_name	TEXT NOT NULL,
	state		TEXT NOT NULL DEFAULT 'active'
			CHECK (state IN ('active', 'deleted')),
	created_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	deleted_at	TEXT
);
CREATE UNIQUE INDEX profiles_one_active ON profiles(customer_id)
	WHERE state = 'active';

-- An app workspace (Power BI group).  One workspace, one customer.
CREATE TABLE workspaces (
	id		TEXT PRIMARY KEY,
	customer_id	INTEGER NOT NULL REFERENCES customers(id),
	name		TEXT NOT NULL,
	profile_id	TEXT REFERENCES profiles(id),
	capacity_id	TEXT,
	state		TEXT NOT NULL DEFAULT 'active'
			CHECK (state IN ('active', 'deleted')),
	created_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	deleted_at	TEXT
);
CREATE UNIQUE INDEX workspaces_one_active ON workspaces(customer_id)
	WHERE state = 'active';

-- A published report and the dataset its import created.
CREATE TABLE reports (
	id		TEXT PRIMARY KEY,
	workspace_id	TEXT NOT NULL REFERENCES workspaces(id),
	dataset_id	TEXT,
	name		TEXT NOT NULL,
	sha256		TEXT NOT NULL,
	version		INTEGER NOT NULL DEFAULT 1,
	import_id	TEXT,
	published_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	UNIQUE (workspace_id, name)
);

-- OAuth2 permission grants as last seen on Microsoft Graph.
CREATE TABLE grants (
	id		TEXT PRIMARY KEY,
	client_id	TEXT NOT NULL,
	resource_id	TEXT NOT NULL,
	resource_app_id	TEXT,
	consent_type	TEXT NOT NULL,
	principal_id	TEXT,
	scope		TEXT NOT NULL DEFAULT '',
	updated_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- What moved from a Workspace Collections workspace, and where to.
CREATE TABLE migrations_map (
	id		INTEGER PRIMARY KEY,
	collection	TEXT NOT NULL,
	legacy_workspace_id TEXT NOT NULL,
	legacy_report_id TEXT NOT NULL DEFAULT '',
	customer_id	INTEGER REFERENCES customers(id),
	workspace_id	TEXT REFERENCES workspaces(id),
	report_id	TEXT,
	state		TEXT NOT NULL DEFAULT 'planned'
			CHECK (state IN ('planned', 'exported', 'imported',
			    'done', 'skipped', 'failed')),
	detail		TEXT,
	updated_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	UNIQUE (collection, legacy_workspace_id, legacy_report_id)
);

-- Every mutating step: its intent before the call, its outcome after.
CREATE TABLE journal (
	id		INTEGER PRIMARY KEY,
	run_id		TEXT NOT NULL,
	customer_id	INTEGER REFERENCES customers(id),
	step		TEXT NOT NULL,
	target		TEXT,
	state		TEXT NOT NULL DEFAULT 'intent'
			CHECK (state IN ('intent', 'ok', 'failed',
			    'adopted', 'skipped')),
	result		TEXT,
	http_status	INTEGER,
	request_id	TEXT,
	error		TEXT,
	started_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	finished_at	TEXT
);
CREATE INDEX journal_customer ON journal(customer_id, id);
CREATE INDEX journal_step ON journal(step, target);
