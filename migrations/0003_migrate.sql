-- The migration from Workspace Collections (pbictl-migrate(1)): where
-- each legacy workspace goes, and every legacy report with its class
-- and state.  One text for both backends (the runner turns strftime
-- into to_char for PostgreSQL).

-- migrations_map (0001) has a row per legacy workspace
-- (legacy_report_id ''): the customer it maps to by name, and where
-- its collection lives in ARM when the plan came from a subscription.
ALTER TABLE migrations_map ADD COLUMN customer TEXT;
ALTER TABLE migrations_map ADD COLUMN display_name TEXT;
ALTER TABLE migrations_map ADD COLUMN subscription TEXT;
ALTER TABLE migrations_map ADD COLUMN resource_group TEXT;

CREATE TABLE migrate_reports (
	collection	TEXT NOT NULL,
	legacy_workspace_id TEXT NOT NULL,
	legacy_report_id TEXT NOT NULL,
	legacy_dataset_id TEXT,
	customer	TEXT NOT NULL,
	name		TEXT NOT NULL,
	target_name	TEXT NOT NULL,
	class		TEXT NOT NULL
			CHECK (class IN ('exportable', 'push', 'pre2016',
			    'directquery')),
	state		TEXT NOT NULL DEFAULT 'planned'
			CHECK (state IN ('planned', 'exported', 'imported',
			    'configured', 'done', 'failed', 'skipped')),
	reason		TEXT,
	sha256		TEXT,
	staged_path	TEXT,
	workspace_id	TEXT,
	report_id	TEXT,
	dataset_id	TEXT,
	updated_at	TEXT NOT NULL
			DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	PRIMARY KEY (collection, legacy_workspace_id, legacy_report_id),
	UNIQUE (customer, target_name)
);
CREATE INDEX migrate_reports_customer ON migrate_reports(customer, state);
