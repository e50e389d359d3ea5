#!/usr/bin/env bats
# The team ledger on PostgreSQL (pbictl-ledger(5)): a real server from
# Debian's packages, one database a test; URIs and secrets, the schema
# runner, concurrent runners locking by customer, a server that goes
# away mid-run, and ledger copy between the backends.
bats_require_minimum_version 1.5.0

load cli_helper

setup_file() {
	PBICTL_TEST_PG_DIR=$(mktemp -d /tmp/pbipg.XXXXXX)
	export PBICTL_TEST_PG_DIR PBICTL_TEST_LEDGER=pg
	pg_start "$PBICTL_TEST_PG_DIR"
}
teardown_file() {
	PG_DIR=$PBICTL_TEST_PG_DIR pg_stop
	rm -rf "$PBICTL_TEST_PG_DIR"
}

setup() {
	cli_setup
	onboard_setup
}
teardown() {
	# A test that stopped the server leaves it running for the next.
	[ -f "$PG_DIR/data/postmaster.pid" ] || pg_restart
	cli_teardown
}

customers() {
	local i
	for i in $(seq -w "$1" "$2"); do echo "c$i"; done
}

# once N: N workspaces and N profiles named cust-*, each once; each
# workspace with one report.
once() {
	local s
	s=$(curl -sf "$SIM/_sim/state")
	[ "$(jq '[.workspaces[] | select(.name | startswith("cust-"))] | length' <<<"$s")" = "$1" ]
	[ "$(jq '[.workspaces[].name] | length == (unique | length)' <<<"$s")" = true ]
	[ "$(jq '[.profiles[] | select(.displayName | startswith("cust-"))] | length' <<<"$s")" = "$1" ]
	[ "$(jq '[.profiles[].displayName] | length == (unique | length)' <<<"$s")" = true ]
	[ "$(jq '[.workspaces[] | select(.name | startswith("cust-")) | (._reports | length)] | unique' -c <<<"$s")" = "[1]" ]
}

# lock_holder NAME: hold pbictl's advisory lock NAME ("customer:acme",
# "tenant") from a psql session in the background, until unhold.
lock_holder() {
	rm -f "$T/hold" "$T/held"
	mkfifo "$T/hold"
	psql -X -q -t -A -d "$PBICTL_LEDGER" <"$T/hold" >"$T/held" 2>&1 3>&- &
	HOLDER=$!
	exec 7>"$T/hold"
	echo "SELECT 'held', pg_advisory_lock(1346521393, hashtext('pbictl:$1'));" >&7
	for i in $(seq 200); do
		grep -q held "$T/held" && return 0
		sleep 0.05
	done
	return 1
}
unhold() {
	exec 7>&-
	wait "$HOLDER"
}

@test "init, onboard, verify and export on PostgreSQL; -v traces the connection, no secret" {
	sim_start --import-seconds 0 --assign-seconds 0
	run --separate-stderr pbictl -v init --tenant "$TENANT" --client-id "$APP" --capacity "$CAP"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"* ledger: postgresql host=$PG_DIR port=5432 dbname=t_"*" user=$PG_USER ssl=off"* ]]
	run pbictl -q onboard acme beta --report "$T/pbix/sales.pbix" -o json
	[ "$status" -eq 0 ]
	once 2
	[ "$(ledger_sql "SELECT count(*) FROM customers WHERE status = 'active'")" = 2 ]
	[ "$(ledger_sql "SELECT schema_version || ':' || application_id FROM pbictl_meta")" = "$(pbictl ledger status -o json | jq -r '"\(.schemaVersion):\(.applicationId)"')" ]
	run pbictl ledger verify -o json
	[ "$status" -eq 0 ]
	[ "$(jq .errors <<<"$output")" = 0 ]
	# The journal's times are the SQLite ledger's: UTC, milliseconds.
	ledger_sql "SELECT started_at FROM journal" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
	[ "$(pbictl customer list -o json | jq -r '[.[] | .customer + ":" + .workspaceName] | join(",")')" = acme:cust-acme,beta:cust-beta ]
	# A re-run writes nothing at the service.
	n=$(requests length)
	run pbictl -q onboard acme beta --report "$T/pbix/sales.pbix"
	[ "$status" -eq 0 ]
	[ "$(writes "$n")" = 0 ]
}

@test "a URI with a password is refused with the advice; libpq keywords work too" {
	run --separate-stderr pbictl --ledger "postgresql://pbitest:S3cret@localhost/x" ledger status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"carries a password"*".pgpass"*"PGPASSWORD"* ]]
	[[ "$stderr" != *S3cret* ]]
	run --separate-stderr pbictl --ledger "postgres:host=$PG_DIR dbname=x password=S3cret" ledger status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"carries a password"* ]]
	PBICTL_LEDGER="postgresql://u:S3cret@h/x" run --separate-stderr pbictl ledger status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"carries a password"* ]]
	# Keywords name the same database as the URI.
	pbictl -q init --tenant "$TENANT" --client-id "$APP" >/dev/null
	db=$(ledger_sql "SELECT current_database()")
	run pbictl --ledger "postgres:host=$PG_DIR dbname=$db user=$PG_USER" ledger status -o json
	[ "$status" -eq 0 ]
	[ "$(jq .schemaVersion <<<"$output")" = "$(ls "$BATS_TEST_DIRNAME"/../../migrations/[0-9][0-9][0-9][0-9]_*.sql | grep -vc '\.pg\.sql$')" ]
	# A server that is not there: the error names the ledger.
	run --separate-stderr pbictl --ledger "postgresql:///nosuch?host=$T&user=$PG_USER" ledger status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot connect to ledger 'postgresql:///nosuch?host=$T&user=$PG_USER'"* ]]
}

@test "a database that is not a ledger, or newer, is refused untouched; two inits at once migrate once" {
	ledger_sql "CREATE TABLE mine (x int); INSERT INTO mine VALUES (1)"
	run --separate-stderr pbictl init --tenant "$TENANT" --client-id "$APP"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is not a pbictl ledger (1 tables, no pbictl_meta)"* ]]
	[ "$(ledger_sql "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")" = 1 ]
	ledger_sql "DROP TABLE mine"
	# Two runners initialising one empty database at once.
	"$PBICTL" -q init --tenant "$TENANT" --client-id "$APP" >"$T/i1" 2>&1 &
	p1=$!
	"$PBICTL" -q init --tenant "$TENANT" --client-id "$APP" >"$T/i2" 2>&1 &
	p2=$!
	wait "$p1" || { cat "$T/i1"; false; }
	wait "$p2" || { cat "$T/i2"; false; }
	[ "$(ledger_sql "SELECT count(*) || ':' || max(schema_version) FROM pbictl_meta")" = "1:$(ls "$BATS_TEST_DIRNAME"/../../migrations/[0-9][0-9][0-9][0-9]_*.sql | grep -vc '\.pg\.sql$')" ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
	# A schema from a newer pbictl: refused, nothing changed.
	ledger_sql "UPDATE pbictl_meta SET schema_version = 99"
	before=$(ledger_sql "SELECT count(*) FROM settings")
	run --separate-stderr pbictl init --tenant "$TENANT" --client-id "$APP" --capacity "$CAP"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"schema version 99, newer than this pbictl knows ($(ls "$BATS_TEST_DIRNAME"/../../migrations/[0-9][0-9][0-9][0-9]_*.sql | grep -vc '\.pg\.sql$'))"* ]]
	[ "$(ledger_sql "SELECT schema_version FROM pbictl_meta")" = 99 ]
	[ "$(ledger_sql "SELECT count(*) FROM settings")" = "$before" ]
}

@test "two runners on one ledger, 40 customers each, 20 shared: no duplicate, nothing lost, overlap journaled" {
	sim_start --import-seconds 0.3 --assign-seconds 0.2 --latency 20:40
	pbictl -q init --tenant "$TENANT" --client-id "$APP" --capacity "$CAP" >/dev/null
	# The shared twenty first in both lists, so that the runs meet.
	s=$(date +%s%N)
	"$PBICTL" -q --jobs 8 onboard $(customers 1 20) $(customers 21 40) \
	    --report "$T/pbix/sales.pbix" -o json >"$T/r1" 2>"$T/e1" &
	p1=$!
	"$PBICTL" -q --jobs 8 onboard $(customers 1 20) $(customers 41 60) \
	    --report "$T/pbix/sales.pbix" -o json >"$T/r2" 2>"$T/e2" &
	p2=$!
	wait "$p1" || { cat "$T/e1"; false; }
	wait "$p2" || { cat "$T/e2"; false; }
	echo "# two concurrent runs of 40 (20 shared) on PostgreSQL: $(( ($(date +%s%N) - s) / 1000000 )) ms" >&3
	[ "$(jq '[.customers[] | select(.status == "ok")] | length' "$T/r1")" = 40 ]
	[ "$(jq '[.customers[] | select(.status == "ok")] | length' "$T/r2")" = 40 ]
	# Each of the 60 once at the service, and once in the ledger.
	once 60
	[ "$(ledger_sql "SELECT count(*) FROM customers WHERE status = 'active'")" = 60 ]
	[ "$(ledger_sql "SELECT count(*) FROM workspaces WHERE state = 'active'")" = 60 ]
	[ "$(ledger_sql "SELECT count(*) FROM journal WHERE step = 'workspace.create' AND state = 'ok'")" = 60 ]
	[ "$(ledger_sql "SELECT count(*) FROM journal WHERE state = 'intent'")" = 0 ]
	# Two runs, and every create of a customer by one run only.
	[ "$(ledger_sql "SELECT count(DISTINCT run_id) FROM journal")" = 2 ]
	[ "$(ledger_sql "SELECT count(*) FROM (SELECT customer_id FROM journal WHERE customer_id IS NOT NULL GROUP BY customer_id HAVING count(DISTINCT run_id) > 1 AND sum(CASE WHEN step = 'workspace.create' THEN 1 ELSE 0 END) > 1) x")" = 0 ]
	# The overlap: a run that waited for the other's lock says so, and
	# only for the shared customers.
	[ "$(ledger_sql "SELECT count(*) FROM journal WHERE step = 'customer.lock' AND state = 'ok'")" -gt 0 ]
	[ "$(ledger_sql "SELECT count(*) FROM journal WHERE step = 'customer.lock' AND target > 'c20'")" = 0 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}

@test "the same two runners killed at random moments converge on a re-run" {
	sim_start --import-seconds 0.3 --assign-seconds 0.2 --latency 20:40
	pbictl -q init --tenant "$TENANT" --client-id "$APP" --capacity "$CAP" >/dev/null
	for delay in 0.4 1.1 0.7 1.8; do
		"$PBICTL" -q --jobs 8 onboard $(customers 1 20) $(customers 21 40) \
		    --report "$T/pbix/sales.pbix" >/dev/null 2>&1 &
		p1=$!
		"$PBICTL" -q --jobs 8 onboard $(customers 1 20) $(customers 41 60) \
		    --report "$T/pbix/sales.pbix" >/dev/null 2>&1 &
		p2=$!
		sleep "$delay"
		kill -KILL "$p1" 2>/dev/null || true
		sleep 0.$((RANDOM % 5))
		kill -KILL "$p2" 2>/dev/null || true
		wait "$p1" 2>/dev/null || true
		wait "$p2" 2>/dev/null || true
	done
	# A killed session's locks went with it: the re-runs wait for nothing.
	"$PBICTL" -q --jobs 8 --lock-wait 30 onboard $(customers 1 20) $(customers 21 40) \
	    --report "$T/pbix/sales.pbix" >"$T/r1" 2>&1 &
	p1=$!
	"$PBICTL" -q --jobs 8 --lock-wait 30 onboard $(customers 1 20) $(customers 41 60) \
	    --report "$T/pbix/sales.pbix" >"$T/r2" 2>&1 &
	p2=$!
	wait "$p1" || { cat "$T/r1"; false; }
	wait "$p2" || { cat "$T/r2"; false; }
	once 60
	[ "$(ledger_sql "SELECT count(*) FROM customers WHERE status = 'active'")" = 60 ]
	[ "$(ledger_sql "SELECT count(*) FROM journal WHERE state = 'intent'")" = 0 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}

@test "the server stopped mid-run: a clear error naming the ledger; after a restart a re-run converges" {
	sim_start --import-seconds 0.5 --assign-seconds 0.2 --latency 50
	pbictl -q init --tenant "$TENANT" --client-id "$APP" --capacity "$CAP" >/dev/null
	"$PBICTL" -q --jobs 4 onboard $(customers 1 12) --report "$T/pbix/sales.pbix" \
	    >"$T/out" 2>"$T/err" &
	pid=$!
	sleep 1.5
	pg_stop
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	grep -Fq "ledger '$PBICTL_LEDGER'" "$T/err"
	grep -Eq "lost the connection to ledger|cannot connect to ledger|ledger '$PBICTL_LEDGER'" "$T/err"
	# While it is down, every command says which ledger it cannot reach.
	run --separate-stderr pbictl customer list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot connect to ledger '$PBICTL_LEDGER'"* ]]
	pg_restart
	run pbictl -q --jobs 4 onboard $(customers 1 12) --report "$T/pbix/sales.pbix"
	[ "$status" -eq 0 ]
	once 12
	[ "$(ledger_sql "SELECT count(*) FROM journal WHERE state = 'intent'")" = 0 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}

@test "a customer another run holds is skipped after --lock-wait, journaled; the tenant lock refuses sp ensure" {
	sim_start --import-seconds 0 --assign-seconds 0
	pbictl -q init --tenant "$TENANT" --client-id "$APP" --capacity "$CAP" >/dev/null
	lock_holder customer:beta
	s=$(date +%s)
	run --separate-stderr pbictl --lock-wait 1 onboard acme beta gamma --report "$T/pbix/sales.pbix" -o json
	[ "$status" -eq 1 ]
	[ $(( $(date +%s) - s )) -lt 10 ]
	[ "$(jq -r '[.customers[] | .customer + ":" + .status] | join(",")' <<<"$output")" = acme:ok,beta:failed,gamma:ok ]
	[[ "$(jq -r '.customers[1].error' <<<"$output")" == *"customer 'beta' skipped: another pbictl run has held its lock in ledger '$PBICTL_LEDGER' for 1 s (--lock-wait)"* ]]
	[ "$(ledger_sql "SELECT state || ':' || target FROM journal WHERE step = 'customer.lock'")" = skipped:beta ]
	[ "$(state '[.workspaces[] | select(.name == "cust-beta")] | length')" = 0 ]
	unhold
	run pbictl -q onboard beta --report "$T/pbix/sales.pbix"
	[ "$status" -eq 0 ]
	once 3
	# Tenant-wide steps take the tenant lock.
	lock_holder tenant
	n=$(requests length)
	run --separate-stderr pbictl --lock-wait 0 sp ensure
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"another pbictl is changing the tenant in ledger '$PBICTL_LEDGER'"* ]]
	[ "$(writes "$n")" = 0 ]
	run --separate-stderr pbictl --lock-wait 0 init --capacity "$CAP"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"another pbictl is changing the tenant"* ]]
	# Customers are not tenant-wide: they go on.
	run pbictl -q onboard delta --report "$T/pbix/sales.pbix"
	[ "$status" -eq 0 ]
	unhold
	# Released, a tenant-wide step goes on (init: no Graph role needed).
	run pbictl -q --lock-wait 0 init --capacity "$CAP"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "ledger copy moves a SQLite ledger into PostgreSQL and back: every row, verified; a non-empty target is refused" {
	sim_start --import-seconds 0 --assign-seconds 0
	pg=$PBICTL_LEDGER
	export PBICTL_LEDGER=$T/ledger.db
	pbictl -q init --tenant "$TENANT" --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q onboard acme beta --report "$T/pbix/sales.pbix" --admin "$ADMIN" >/dev/null
	pbictl -q customer remove beta >/dev/null
	run pbictl audit -o json
	pbictl ledger export >"$T/sqlite.json"
	run pbictl ledger copy --to "$pg" -o json
	[ "$status" -eq 0 ]
	[ "$(jq .verify.errors <<<"$output")" = 0 ]
	[ "$(jq .counts.journal <<<"$output")" = "$(sqlite3 "$T/ledger.db" 'SELECT count(*) FROM journal')" ]
	[ "$(jq .counts.audits <<<"$output")" -ge 1 ]
	[ "$(jq .counts.customer_admins <<<"$output")" = 2 ]
	[ "$(jq .counts.datasources <<<"$output")" = "$(sqlite3 "$T/ledger.db" 'SELECT count(*) FROM datasources')" ]
	# Output identical for the same data, on either backend.
	pbictl --ledger "$pg" ledger export >"$T/pg.json"
	cmp "$T/sqlite.json" "$T/pg.json"
	[ "$(pbictl --ledger "$pg" customer list --removed -o json)" = "$(pbictl customer list --removed -o json)" ]
	[ "$(pbictl --ledger "$pg" ledger log -o json)" = "$(pbictl ledger log -o json)" ]
	# The copy carries on: new ids follow the copied ones.
	run pbictl --ledger "$pg" -q onboard gamma --report "$T/pbix/sales.pbix"
	[ "$status" -eq 0 ]
	[ "$(pg_sql "$pg" "SELECT count(*) FROM customers")" = 3 ]
	# A target that holds a ledger already is refused, untouched.
	before=$(pg_sql "$pg" "SELECT count(*) FROM journal")
	run --separate-stderr pbictl ledger copy --to "$pg"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is not empty"*"copy only into a new ledger"* ]]
	[ "$(pg_sql "$pg" "SELECT count(*) FROM journal")" = "$before" ]
	# And back, into a new SQLite file.
	run pbictl --ledger "$pg" ledger copy --to "$T/back.db" -o json
	[ "$status" -eq 0 ]
	[ "$(jq .counts.customers <<<"$output")" = 3 ]
	[ "$(sqlite3 "$T/back.db" 'SELECT count(*) FROM journal')" = "$(pg_sql "$pg" 'SELECT count(*) FROM journal')" ]
	[ "$(pbictl --ledger "$T/back.db" ledger export)" = "$(pbictl --ledger "$pg" ledger export)" ]
	run pbictl --ledger "$T/back.db" ledger verify
	[ "$status" -eq 0 ]
	# An existing SQLite target with rows is refused and kept.
	run pbictl --ledger "$pg" ledger copy --to "$T/back.db"
	[ "$status" -eq 1 ]
	[ -s "$T/back.db" ]
}
