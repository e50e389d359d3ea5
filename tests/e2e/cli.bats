#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# The command line of pbictl itself: global options, init, ledger.

load cli_helper

setup() { cli_setup; }
teardown() { cli_teardown; }

@test "-V prints the version, -h the usage on stdout" {
	run pbictl -V
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^pbictl\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run --separate-stderr pbictl -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	[[ "$output" == *"init"* && "$output" == *"ledger"* ]]
}

@test "a wrong global option exits 2 with the usage on stderr" {
	run --separate-stderr pbictl --nope
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *usage:* ]]
	run --separate-stderr pbictl -o yaml ledger status
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"expected table or json"* ]]
	run --separate-stderr pbictl --jobs 0 ledger status
	[ "$status" -eq 2 ]
}

@test "an unknown command exits 2 naming it" {
	run --separate-stderr pbictl frobnicate
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown command 'frobnicate'"* ]]
	[[ "$stderr" == *usage:* ]]
}

@test "init creates a 0600 ledger with the settings and defaults" {
	run --separate-stderr pbictl init --tenant "$TENANT" --client-id "$CLIENT"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"created ledger '$PBICTL_LEDGER'"* ]]
	[ "$(stat -c %a "$PBICTL_LEDGER")" = 600 ]
	run pbictl init -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .settings.tenant_id)" = "$TENANT" ]
	[ "$(echo "$output" | jq -r .settings.client_id)" = "$CLIENT" ]
	[ "$(echo "$output" | jq -r .settings.cloud)" = public ]
	[ "$(echo "$output" | jq -r .settings.isolation)" = profile ]
	[ "$(echo "$output" | jq -r .settings.name_template)" = "cust-{slug}" ]
	[ "$(echo "$output" | jq -r .created)" = false ]
	[ "$(echo "$output" | jq -r .changed)" = 0 ]
}

@test "init under HOME places the ledger in the XDG data directory" {
	unset PBICTL_LEDGER
	run pbictl init --tenant "$TENANT" --client-id "$CLIENT"
	[ "$status" -eq 0 ]
	[ -f "$HOME/.local/share/pbictl/ledger.db" ]
	[ "$(stat -c %a "$HOME/.local/share/pbictl")" = 700 ]
	export XDG_DATA_HOME="$T/xdg"
	run pbictl --ledger "$T/other.db" init --tenant "$TENANT" --client-id "$CLIENT"
	[ -f "$T/other.db" ]
	[ ! -e "$T/xdg/pbictl/ledger.db" ]
}

@test "init on an existing ledger changes only what is passed" {
	pbictl init --tenant "$TENANT" --client-id "$CLIENT" 2>/dev/null
	run --separate-stderr pbictl init --capacity 0f084df7-c13d-451b-af5f-ed0c466403b2 -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .changed)" = 1 ]
	[ "$(echo "$output" | jq -r .settings.capacity_id)" = 0f084df7-c13d-451b-af5f-ed0c466403b2 ]
	[ "$(echo "$output" | jq -r .settings.tenant_id)" = "$TENANT" ]
	[[ "$stderr" == *"capacity_id: (unset) -> 0f084df7"* ]]
	run pbictl --dry-run init --isolation workspace -o json
	[ "$status" -eq 0 ]
	[ "$(pbictl init -o json | jq -r .settings.isolation)" = profile ]
}

@test "init refuses bad values before touching anything" {
	run --separate-stderr pbictl init --tenant nodots --client-id "$CLIENT"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"invalid tenant 'nodots'"* ]]
	[ ! -e "$PBICTL_LEDGER" ]
	run --separate-stderr pbictl init --tenant "$TENANT" --client-id "$CLIENT" --name-template cust
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"{slug}"* ]]
	[ ! -e "$PBICTL_LEDGER" ]
	run --separate-stderr pbictl init --tenant "$TENANT"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"needs --tenant and --client-id"* ]]
	[ ! -e "$PBICTL_LEDGER" ]
	run --separate-stderr pbictl init --tenant "$TENANT" --client-id "$CLIENT" --cloud mars
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown cloud 'mars'"* ]]
	run --separate-stderr pbictl init --tenant "$TENANT" --client-id "$CLIENT" extra
	[ "$status" -eq 2 ]
	[ ! -e "$PBICTL_LEDGER" ]
}

@test "init refuses to change the tenant once customers exist" {
	pbictl init --tenant "$TENANT" --client-id "$CLIENT" 2>/dev/null
	sqlite3 "$PBICTL_LEDGER" "INSERT INTO customers (slug, display_name) VALUES ('acme', 'Acme')"
	run --separate-stderr pbictl init --tenant fabrikam.onmicrosoft.com
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot change tenant"* ]]
	[ "$(pbictl init -o json | jq -r .settings.tenant_id)" = "$TENANT" ]
	run pbictl init --capacity 0f084df7-c13d-451b-af5f-ed0c466403b2
	[ "$status" -eq 0 ]
}

@test "ledger status works as a table and as JSON, options after the verb" {
	pbictl init --tenant "$TENANT" --client-id "$CLIENT" 2>/dev/null
	# One schema version per migrations/NNNN_slug.sql (not counting
	# the PostgreSQL variants, NNNN_slug.pg.sql).
	n=$(ls "$top"/migrations/[0-9][0-9][0-9][0-9]_*.sql | grep -vc '\.pg\.sql$')
	[ "$n" -ge 2 ]
	run pbictl ledger status
	[ "$status" -eq 0 ]
	[[ "$output" == *"schema version  $n (this pbictl: $n)"* ]]
	run pbictl ledger status -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .schemaVersion)" = "$n" ]
	[ "$(echo "$output" | jq -r .applicationId)" = $((0x50424931)) ]
	[ "$(echo "$output" | jq -r .counts.customers)" = 0 ]
	[ "$(echo "$output" | jq -r .settings.tenant_id)" = "$TENANT" ]
	run pbictl -o json ledger status
	[ "$(echo "$output" | jq -r .counts.journal)" = 0 ]
}

@test "ledger verbs refuse a missing ledger and bad arguments" {
	run --separate-stderr pbictl ledger status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no ledger at '$PBICTL_LEDGER'"* ]]
	[[ "$stderr" == *"pbictl init"* ]]
	[ ! -e "$PBICTL_LEDGER" ]
	pbictl init --tenant "$TENANT" --client-id "$CLIENT" 2>/dev/null
	run --separate-stderr pbictl ledger
	[ "$status" -eq 2 ]
	run --separate-stderr pbictl ledger frob
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown verb 'frob'"* ]]
	run --separate-stderr pbictl ledger status extra
	[ "$status" -eq 2 ]
	run --separate-stderr pbictl ledger log --limit x
	[ "$status" -eq 2 ]
}

@test "ledger export is the whole ledger as JSON" {
	pbictl init --tenant "$TENANT" --client-id "$CLIENT" 2>/dev/null
	sqlite3 "$PBICTL_LEDGER" "INSERT INTO customers (slug, display_name, status) VALUES ('acme', 'Acme', 'active');
	    INSERT INTO workspaces (id, customer_id, name) VALUES ('11111111-1111-1111-1111-111111111111', 1, 'cust-acme')"
	run pbictl ledger export
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.customers[0].slug')" = acme ]
	[ "$(echo "$output" | jq -r '.workspaces[0].name')" = cust-acme ]
	[ "$(echo "$output" | jq -r '.settings.client_id')" = "$CLIENT" ]
	[ "$(echo "$output" | jq -r 'keys | sort | join(",")')" = \
	    "customers,grants,journal,migrate_reports,migrations_map,profiles,reports,schemaVersion,settings,workspaces" ]
}

@test "ledger log shows the journal, filtered and limited" {
	pbictl init --tenant "$TENANT" --client-id "$CLIENT" 2>/dev/null
	sqlite3 "$PBICTL_LEDGER" "INSERT INTO customers (id, slug, display_name) VALUES (1, 'acme', 'Acme'), (2, 'beta', 'Beta');
	    INSERT INTO journal (run_id, customer_id, step, target, state, request_id) VALUES
	    ('r', 1, 'workspace.create', 'cust-acme', 'ok', 'rid-1'),
	    ('r', 2, 'workspace.create', 'cust-beta', 'failed', 'rid-2'),
	    ('r', 1, 'capacity.assign', 'cust-acme', 'intent', NULL)"
	run pbictl ledger log -o json
	[ "$(echo "$output" | jq length)" = 3 ]
	run pbictl ledger log --customer acme -o json
	[ "$(echo "$output" | jq -r '[.[].target] | unique | join(",")')" = cust-acme ]
	run pbictl ledger log --limit 1 -o json
	[ "$(echo "$output" | jq -r '.[0].step')" = capacity.assign ]
	run pbictl ledger log
	[[ "$output" == *rid-2* ]]
}

@test "ledger verify passes a sound ledger and fails a broken one" {
	pbictl init --tenant "$TENANT" --client-id "$CLIENT" 2>/dev/null
	run pbictl ledger verify
	[ "$status" -eq 0 ]
	[[ "$output" == *": ok" ]]
	# A workspace tied to another customer's profile breaks isolation.
	sqlite3 "$PBICTL_LEDGER" "INSERT INTO customers (id, slug, display_name, status) VALUES
	    (1, 'acme', 'Acme', 'active'), (2, 'beta', 'Beta', 'active');
	    INSERT INTO profiles (id, customer_id, display_name) VALUES ('p-b', 2, 'cust-beta');
	    INSERT INTO workspaces (id, customer_id, name, profile_id) VALUES ('w1', 1, 'cust-acme', 'p-b')"
	run pbictl ledger verify -o json
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r .ok)" = false ]
	[ "$(echo "$output" | jq -r '[.findings[] | select(.severity == "error")][0].check')" = workspace-profile-owner ]
	chmod 644 "$PBICTL_LEDGER"
	run pbictl ledger verify -o json
	[ "$(echo "$output" | jq -r '[.findings[].check] | index("file-mode") != null')" = true ]
}

@test "a ledger from a newer pbictl is refused and left byte-identical" {
	pbictl init --tenant "$TENANT" --client-id "$CLIENT" 2>/dev/null
	sqlite3 "$PBICTL_LEDGER" "PRAGMA user_version=99"
	cp "$PBICTL_LEDGER" "$T/before"
	run --separate-stderr pbictl ledger status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"schema version 99, newer than this pbictl knows"* ]]
	cmp "$PBICTL_LEDGER" "$T/before"
	run pbictl init --capacity 0f084df7-c13d-451b-af5f-ed0c466403b2
	[ "$status" -eq 1 ]
	cmp "$PBICTL_LEDGER" "$T/before"
}

@test "a file that is not a pbictl ledger is refused and left byte-identical" {
	printf 'customer,workspace\nacme,1\n' >"$PBICTL_LEDGER"
	cp "$PBICTL_LEDGER" "$T/before"
	run --separate-stderr pbictl ledger status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is not a pbictl ledger"* ]]
	cmp "$PBICTL_LEDGER" "$T/before"
	run pbictl init --tenant "$TENANT" --client-id "$CLIENT"
	[ "$status" -eq 1 ]
	cmp "$PBICTL_LEDGER" "$T/before"
	# Another application's SQLite database.
	rm "$PBICTL_LEDGER"
	sqlite3 "$PBICTL_LEDGER" "CREATE TABLE t (x); PRAGMA application_id=42"
	cp "$PBICTL_LEDGER" "$T/before"
	run --separate-stderr pbictl ledger verify
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not a pbictl ledger (application id 0x2a)"* ]]
	cmp "$PBICTL_LEDGER" "$T/before"
}

@test "output to a full disk fails loudly" {
	pbictl init --tenant "$TENANT" --client-id "$CLIENT" 2>/dev/null
	[ -w /dev/full ] || skip "no /dev/full"
	run pbictl ledger export
	[ "$status" -eq 0 ]
	run bash -c '"$PBICTL" ledger export >/dev/full'
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot write the output"* ]]
}
