#!/usr/bin/env bats
# Hardening: a full disk, a ledger reached by other names, malformed
# answers, damaged or hostile input: nothing is lost, nothing crashes,
# every failure is clear.  Checked on the wire and in pbisim's state.
bats_require_minimum_version 1.5.0

load cli_helper

setup() {
	cli_setup
	onboard_setup
}
teardown() {
	if [ -n "${MNT:-}" ]; then
		umount "$MNT" 2>/dev/null || true
	fi
	cli_teardown
}

customers() {
	local i
	for i in $(seq -w 1 "$1"); do echo "c$i"; done
}

# unique_names N: exactly N profiles and N workspaces named cust-*, each
# name once, each workspace with one report.
unique_names() {
	local s
	s=$(curl -sf "$SIM/_sim/state")
	[ "$(jq '[.profiles[] | select(.displayName | startswith("cust-"))] | length' <<<"$s")" = "$1" ]
	[ "$(jq '[.profiles[].displayName] | length == (unique | length)' <<<"$s")" = true ]
	[ "$(jq '[.workspaces[] | select(.name | startswith("cust-"))] | length' <<<"$s")" = "$1" ]
	[ "$(jq '[.workspaces[].name] | length == (unique | length)' <<<"$s")" = true ]
	[ "$(jq '[.workspaces[] | select(.name | startswith("cust-")) | (._reports | length)] | unique' -c <<<"$s")" = "[1]" ]
}

@test "a full disk fails cleanly; the ledger copied to room finishes every customer" {
	# CI runs as root; a plain user cannot mount a tmpfs.
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	MNT="$T/small"
	mkdir -p "$MNT"
	mount -t tmpfs -o size=500k tmpfs "$MNT"
	export PBICTL_LEDGER="$MNT/ledger.db"
	sim_start --import-seconds 0.1 --assign-seconds 0.1
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	run --separate-stderr pbictl --jobs 8 onboard $(customers 150) --report "$T/pbix/sales.pbix"
	# Failed, but as errors: no signal, no sanitizer report.
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"full"* ]]
	[[ "$stderr" != *"Sanitizer"* ]]
	# No create went out without its intent on disk: every POST that
	# created a profile or workspace has a journal row naming it.
	cp "$MNT"/ledger.db* "$T/"
	umount "$MNT"
	MNT=
	export PBICTL_LEDGER="$T/ledger.db"
	run pbictl --jobs 8 onboard $(customers 150) --report "$T/pbix/sales.pbix" -o json
	[ "$status" -eq 0 ] || { echo "$output" | head -40; false; }
	[ "$(jq '[.customers[] | select(.status == "ok")] | length' <<<"$output")" = 150 ]
	unique_names 150
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM journal WHERE state = 'intent'")" = 0 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}

@test "one run lock for every name of the ledger: a symlink, a bind mount; a hard link is refused" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2 --latency 200
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	"$PBICTL" -q onboard acme beta --report "$T/pbix/sales.pbix" >/dev/null 2>&1 &
	pid=$!
	sleep 0.5
	ln -s "$T/ledger.db" "$T/link.db"
	run --separate-stderr env PBICTL_LEDGER="$T/link.db" "$PBICTL" onboard acme --report "$T/pbix/sales.pbix"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"another pbictl is changing ledger"* ]]
	if [ "$(id -u)" = 0 ]; then
		mkdir "$T/bind"
		mount --bind "$T" "$T/bind"
		MNT="$T/bind"
		run --separate-stderr env PBICTL_LEDGER="$T/bind/ledger.db" "$PBICTL" onboard acme --report "$T/pbix/sales.pbix"
		umount "$T/bind"
		MNT=
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"another pbictl is changing ledger"* ]]
	fi
	wait "$pid"
	# A hard link is a second name SQLite cannot see: refused, running
	# or not, and the file is left as it was.
	ln "$T/ledger.db" "$T/hard.db"
	sum=$(sha256sum <"$T/ledger.db")
	run --separate-stderr env PBICTL_LEDGER="$T/hard.db" "$PBICTL" onboard acme --report "$T/pbix/sales.pbix"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"2 hard links"* ]]
	[ "$(sha256sum <"$T/ledger.db")" = "$sum" ]
	rm "$T/hard.db"
	# One report each: nothing ran twice.
	[ "$(state '[.workspaces[] | select(.name | startswith("cust-")) | (._reports | length)] | unique | tostring')" = "[1]" ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}

@test "ledger verify flags two imports of one report name that ran at once" {
	sim_start --import-seconds 0.1 --assign-seconds 0.1
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q onboard acme --report "$T/pbix/sales.pbix" >/dev/null
	run pbictl ledger verify
	[ "$status" -eq 0 ]
	# What a second run through another lock left: an import of the same
	# name that overlapped the first and made another report.
	sqlite3 "$PBICTL_LEDGER" "INSERT INTO journal (run_id, customer_id, step, target, state, result, started_at, finished_at) SELECT 'other', customer_id, step, target, 'ok', 'e5000000-0000-4000-8000-00000000beef', started_at, finished_at FROM journal WHERE step = 'report.import' AND state = 'ok'"
	run pbictl ledger verify -o json
	[ "$status" -eq 1 ]
	[ "$(jq -r '[.findings[] | select(.check == "report-duplicate")] | length' <<<"$output")" = 1 ]
	[[ "$(jq -r '.findings[] | select(.check == "report-duplicate") | .detail' <<<"$output")" == *"two reports named 'sales'"*"e5000000-0000-4000-8000-00000000beef"* ]]
}

@test "five inits at once on a new ledger all succeed, and the ledger is sound" {
	for i in 1 2 3 4 5; do
		"$PBICTL" -o json init --tenant contoso.onmicrosoft.com --client-id "$APP" >"$T/init.$i" 2>"$T/err.$i" &
		eval "pid$i=$!"
	done
	for i in 1 2 3 4 5; do
		eval "p=\$pid$i"
		wait "$p" || { cat "$T/err.$i"; false; }
	done
	# One made it, the others found it made, with the same settings.
	[ "$(cat "$T"/init.* | jq -s '[.[] | select(.created)] | length')" = 1 ]
	[ "$(cat "$T"/init.* | jq -s '[.[] | select(.changed == 0 and (.created | not))] | length')" = 4 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT value FROM settings WHERE key = 'tenant_id'")" = contoso.onmicrosoft.com ]
}

# ledger_ids_match N: the ledger's N active profiles and workspaces are
# GUIDs and the very ones pbisim holds for those names.
ledger_ids_match() {
	local s c ws prof
	s=$(curl -sf "$SIM/_sim/state")
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM profiles WHERE state = 'active'")" = "$1" ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM workspaces WHERE state = 'active'")" = "$1" ]
	for c in $(sqlite3 "$PBICTL_LEDGER" "SELECT slug FROM customers"); do
		prof=$(sqlite3 "$PBICTL_LEDGER" "SELECT p.id FROM profiles p JOIN customers c ON c.id = p.customer_id WHERE c.slug = '$c' AND p.state = 'active'")
		ws=$(sqlite3 "$PBICTL_LEDGER" "SELECT w.id FROM workspaces w JOIN customers c ON c.id = w.customer_id WHERE c.slug = '$c' AND w.state = 'active'")
		[ "$(jq -r ".profiles[] | select(.displayName == \"cust-$c\") | .id" <<<"$s")" = "$prof" ]
		[ "$(jq -r ".workspaces[] | select(.name == \"cust-$c\") | .id" <<<"$s")" = "$ws" ]
	done
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM profiles WHERE id LIKE '00000000-%'")" = 0 ]
}

# answer_creates BODY PATH CUSTOMER...: pbisim commits each create on
# PATH and answers BODY instead; onboard the customers through it.
answer_creates() {
	local body=$1 path=$2
	shift 2
	sim_post /_sim/faults "{\"bodyAfterCommit\": $body, \"match\": \"POST /v1.0/myorg/$path\"}" >/dev/null
	run --separate-stderr pbictl --jobs 4 onboard "$@" --report "$T/pbix/sales.pbix" -o json
	sim_post /_sim/faults '{"reset": true}' >/dev/null
}

@test "a create answered {} or {\"id\":42} is looked up by name, never a crash" {
	sim_start --import-seconds 0.1 --assign-seconds 0.1
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	answer_creates '"{}"' profiles a b
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "$(jq '[.customers[] | select(.status == "ok")] | length' <<<"$output")" = 2 ]
	answer_creates '"{\"id\":42}"' groups c d
	# The answered creates were all made: looked up, adopted, done.
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	unique_names 4
	ledger_ids_match 4
	[ "$(count POST '^/v1.0/myorg/profiles$')" = 4 ]
	[ "$(count POST '^/v1.0/myorg/groups$')" = 4 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}

@test "a create answered with an empty 2xx body or a non-GUID id stores no placeholder" {
	sim_start --import-seconds 0.1 --assign-seconds 0.1
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	answer_creates '""' profiles a b
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	answer_creates '"{\"id\":\"../../etc\"}"' groups c d
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	unique_names 4
	ledger_ids_match 4
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM workspaces WHERE id = '../../etc'")" = 0 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
	# And customer remove deletes the real objects.
	run pbictl customer remove a
	[ "$status" -eq 0 ]
	[ "$(state '[.profiles[] | select(.displayName == "cust-a")] | length')" = 0 ]
	[ "$(state '[.workspaces[] | select(.name == "cust-a")] | length')" = 0 ]
}

@test "a create refused before it committed is sent again after the lookup finds nothing" {
	sim_start --import-seconds 0.1 --assign-seconds 0.1 --seed-random 3
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	# One job: the same requests in the same order, the same faults.
	sim_post /_sim/faults '{"p5xx": 0.4, "match": "POST /v1.0/myorg/profiles"}' >/dev/null
	run --separate-stderr pbictl --jobs 1 onboard $(customers 12) --report "$T/pbix/sales.pbix" -o json
	sim_post /_sim/faults '{"reset": true}' >/dev/null
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	# Some creates failed and were sent again, in this one run.
	[ "$(requests '[.[] | select(.method == "POST" and .path == "/v1.0/myorg/profiles" and .status >= 500)] | length')" -gt 0 ]
	unique_names 12
	ledger_ids_match 12
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM journal WHERE state = 'intent'")" = 0 ]
	sim_post /_sim/faults '{"p5xx": 0.4, "match": "POST /v1.0/myorg/groups$"}' >/dev/null
	run --separate-stderr pbictl --jobs 1 onboard $(customers 24) --report "$T/pbix/sales.pbix" -o json
	sim_post /_sim/faults '{"reset": true}' >/dev/null
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "$(requests '[.[] | select(.method == "POST" and .path == "/v1.0/myorg/groups" and .status >= 500)] | length')" -gt 0 ]
	unique_names 24
	ledger_ids_match 24
}

@test "ledger verify flags ids that are not GUIDs and the dry-run placeholder" {
	sim_start --import-seconds 0.1 --assign-seconds 0.1
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q onboard a b --report "$T/pbix/sales.pbix" >/dev/null
	run pbictl ledger verify
	[ "$status" -eq 0 ]
	sqlite3 "$PBICTL_LEDGER" "PRAGMA foreign_keys = OFF; UPDATE profiles SET id = '00000000-0000-0000-0000-000000000000' WHERE customer_id = (SELECT id FROM customers WHERE slug = 'a'); UPDATE reports SET id = 'not-a-guid' WHERE workspace_id = (SELECT w.id FROM workspaces w JOIN customers c ON c.id = w.customer_id WHERE c.slug = 'b')"
	run pbictl ledger verify -o json
	[ "$status" -eq 1 ]
	[ "$(jq -r '[.findings[] | select(.check == "id-not-guid") | .detail] | sort | join("|")' <<<"$output")" = "profile '00000000-0000-0000-0000-000000000000' is not a GUID (or is the dry-run placeholder): re-run the customer's onboarding after correcting it|report 'not-a-guid' is not a GUID (or is the dry-run placeholder): re-run the customer's onboarding after correcting it" ]
}

@test "--report on a FIFO is refused at once, not waited on" {
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	mkfifo "$T/pipe.pbix"
	n=$(requests length)
	run --separate-stderr timeout 10 "$PBICTL" onboard a --report "$T/pipe.pbix"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"'$T/pipe.pbix' is not a regular file"* ]]
	[ "$(requests length)" = "$n" ]
	run --separate-stderr timeout 10 "$PBICTL" publish "$T/pipe.pbix" --customer a
	[ "$status" -ne 124 ]
	[[ "$stderr" == *"not a regular file"* ]]
}

@test "a service's text never drives the terminal: names and error messages lose their control characters" {
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}] | .capacities[0].displayName = \"evil\u001b]0;owned\u0007\u001b[2J\u009b31m\""
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	# The name crossed the wire with its escapes.
	[[ "$(curl -sf "$SIM/_sim/state" | jq -r '.capacities[0].displayName')" == *$'\e]0;owned'* ]]
	run --separate-stderr pbictl capacity list
	[ "$status" -eq 0 ]
	[[ "$output" == *"evil?]0;owned??[2J?31m"* ]]
	[[ "$output" != *$'\e'* ]]
	[[ "$output" != *$'\a'* ]]
	[[ "$output" != *$'\xc2\x9b'* ]]
	# An error whose message carries escapes.
	sim_post /_sim/faults '{"bodyAfterCommit": "{\"error\":{\"code\":\"Bad\u001b[31m\",\"message\":\"boom\u001b]2;title\u0007\\nforged line\"}}", "statusAfterCommit": 400, "match": "POST /v1.0/myorg/profiles"}' >/dev/null
	run --separate-stderr pbictl onboard a
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"400 Bad?[31m boom?]2;title?"* ]]
	[[ "$stderr" != *$'\e'* ]]
	[[ "$stderr" != *$'\a'* ]]
	# One line per failure: the service cannot forge a second.
	[ "$(grep -c 'forged line' <<<"$stderr")" = 0 ]
	# The ledger's journal keeps the cleaned text too.
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM journal WHERE error LIKE '%' || char(27) || '%'")" = 0 ]
}

@test "a CSV: a BOM is accepted; invalid UTF-8, a NUL byte or a control character is refused naming the line" {
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	printf '\xef\xbb\xbfcustomer,display name\nacme,Acme Café\n' >"$T/bom.csv"
	printf 'customer,display name\nacme,Acme\nbeta,B\xe9ta\n' >"$T/latin1.csv"
	printf 'customer,display name\nacme,Ac\0me\n' >"$T/nul.csv"
	printf 'customer,display name\nacme,Acme\ngamma,"G\x1b[31m"\n' >"$T/esc.csv"
	printf 'customer,display name\nacme,\xed\xa0\x80\n' >"$T/surrogate.csv"
	n=$(requests length)
	run --separate-stderr pbictl customer add --from "$T/latin1.csv" -o json
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"latin1.csv:3: not UTF-8 at column 7"* ]]
	run --separate-stderr pbictl customer add --from "$T/nul.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"nul.csv:2: a NUL byte at column 8"* ]]
	run --separate-stderr pbictl customer add --from "$T/esc.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"esc.csv:3: a control character in field 2"* ]]
	run --separate-stderr pbictl customer add --from "$T/surrogate.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"surrogate.csv:2: not UTF-8"* ]]
	# Refused before anything: no call, no customer.
	[ "$(requests length)" = "$n" ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM customers")" = 0 ]
	run --separate-stderr pbictl customer add --from "$T/bom.csv" -o json
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	jq . <<<"$output" >/dev/null
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT slug || '|' || display_name FROM customers")" = "acme|Acme Café" ]
}

@test "a 4xx from the token endpoint is reported as the service's error, with its request id" {
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	# A proxy (or a policy) in front of Entra: no OAuth error member.
	sim_post /_sim/faults '{"bodyAfterCommit": "{\"message\":\"blocked by conditional access\"}", "statusAfterCommit": 403, "match": "POST /contoso.onmicrosoft.com/oauth2/"}' >/dev/null
	run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"no access_token"* ]]
	[[ "$stderr" == *"403"*"blocked by conditional access"*"[POST /oauth2/v2.0/token]"* ]]
	rid=$(requests '[.[] | select(.path | test("/oauth2/v2.0/token$"))] | last | .requestId')
	[ -n "$rid" ] && [ "$rid" != null ]
	[[ "$stderr" == *"(request id $rid)"* ]]
	# And a body that is not JSON at all.
	sim_post /_sim/faults '{"bodyAfterCommit": "<html>denied</html>", "statusAfterCommit": 401, "match": "POST /contoso.onmicrosoft.com/oauth2/"}' >/dev/null
	run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"401"*"[POST /oauth2/v2.0/token]"* ]]
	[[ "$stderr" == *"401 (answer is not JSON: <html>denied</html>)"* ]]
}

# no_sidecars FILE: nothing SQLite keeps beside a ledger is left there.
no_sidecars() {
	[ ! -e "$1-wal" ] && [ ! -e "$1-shm" ] && [ ! -e "$1-journal" ]
}

@test "a damaged ledger is refused before any write; a refused ledger keeps no -wal or -shm" {
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q onboard a --report "$T/pbix/sales.pbix" >/dev/null
	no_sidecars "$PBICTL_LEDGER"
	# A b-tree page of the ledger overwritten (a bad disk, a bad copy).
	root=$(sqlite3 "$PBICTL_LEDGER" "SELECT rootpage FROM sqlite_master WHERE name = 'journal'")
	psize=$(sqlite3 "$PBICTL_LEDGER" "PRAGMA page_size")
	printf '\015\377\377\377\377\377\377\377' | dd of="$PBICTL_LEDGER" bs=1 seek=$(((root - 1) * psize)) conv=notrunc 2>/dev/null
	cp "$PBICTL_LEDGER" "$T/before"
	n=$(requests length)
	run --separate-stderr pbictl onboard b --report "$T/pbix/sales.pbix"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"ledger '$PBICTL_LEDGER' is damaged ("*"): restore it from a backup; the file was not changed"* ]]
	run --separate-stderr pbictl ledger status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is damaged"* ]]
	cmp "$PBICTL_LEDGER" "$T/before"
	no_sidecars "$PBICTL_LEDGER"
	[ "$(requests length)" = "$n" ]
	# A ledger refused as too new leaves nothing beside it either.
	rm "$PBICTL_LEDGER"
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	sqlite3 "$PBICTL_LEDGER" "PRAGMA user_version = 99"
	no_sidecars "$PBICTL_LEDGER"
	run --separate-stderr pbictl ledger status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"newer than this pbictl knows"* ]]
	no_sidecars "$PBICTL_LEDGER"
}

@test "every journalled step that succeeded records the request id of its call, which pbisim logged" {
	sim_start --import-seconds 0.1 --assign-seconds 0.1
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q --jobs 4 onboard a b c d --report "$T/pbix/sales.pbix" --admin "$ADMIN" >/dev/null
	pbictl -q customer remove d >/dev/null
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM journal WHERE state = 'ok'")" -ge 20 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM journal WHERE state = 'ok' AND request_id IS NULL")" = 0 ]
	# Each is the id of a write pbisim answered 2xx, and the step's own.
	requests '[.[] | select(.status < 300 and .method != "GET") | .requestId]' >"$T/ids.json"
	for rid in $(sqlite3 "$PBICTL_LEDGER" "SELECT request_id FROM journal WHERE state = 'ok'"); do
		jq -e --arg r "$rid" 'index($r) != null' "$T/ids.json" >/dev/null || { echo "no such request: $rid"; false; }
	done
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(DISTINCT request_id) = count(*) FROM journal WHERE state = 'ok'")" = 1 ]
	p=$(sqlite3 "$PBICTL_LEDGER" "SELECT request_id FROM journal WHERE step = 'profile.create' AND target = 'cust-a'")
	[ "$(requests "[.[] | select(.requestId == \"$p\")][0] | .method + \" \" + .path")" = "POST /v1.0/myorg/profiles" ]
	# ledger log shows them.
	run pbictl ledger log -o json
	[ "$status" -eq 0 ]
	[ "$(jq '[.[] | select(.state == "ok" and .request_id == null)] | length' <<<"$output")" = 0 ]
	run pbictl ledger log
	[[ "$output" == *"$p"* ]]
}

# killed_at MATCH METHOD REGEX SLUG FILE MARK: publish FILE to SLUG with
# the answers of the requests MATCH names held back, and SIGKILL the run
# once pbisim has taken a METHOD request to a path matching REGEX after
# request MARK (it took effect; pbictl never heard of it).
killed_at() {
	sim_post /_sim/faults "{\"latencyAfterCommitMs\":30000,\"match\":\"$1\"}" >/dev/null
	"$PBICTL" -q publish "$5" --customer "$4" >/dev/null 2>&1 &
	local pid=$! i
	for i in $(seq 100); do
		[ "$(requests "[.[$6:][] | select(.method == \"$2\" and (.path | test(\"$3\")))] | length")" -ge 1 ] && break
		sleep 0.1
	done
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	sim_post /_sim/faults '{"reset":true}' >/dev/null
}

# imports_posted SINCE: the import POSTs pbisim took from request SINCE on.
imports_posted() {
	requests "[.[$1:][] | select(.method == \"POST\" and (.path | test(\"/imports\$\")))] | length"
}

# imports_in WS: how many import operations workspace WS holds.
imports_in() {
	state "[.workspaces[] | select(.id == \"$1\") | ._imports[]] | length"
}

# rerun_adopts FILE ACTION N: publish FILE to c1 again: ACTION, no import
# sent, and workspace $ws still holding N imports.
rerun_adopts() {
	local n
	n=$(requests length)
	run pbictl publish "$1" --customer c1 -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.customers[0].reports[0].action' <<<"$output")" = "$2" ]
	[ "$(imports_posted "$n")" = 0 ]
	[ "$(imports_in "$ws")" = "$3" ]
}

# killed_after_import SLUG FILE MARK: killed with an import taken and
# unanswered.
killed_after_import() {
	killed_at "POST /v1.0/myorg/groups/" POST '/imports$' "$@"
}

@test "killed after an import was sent, before its answer: the re-run follows that import, never sends the file again" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q onboard c1 >/dev/null
	ws=$(ledger_sql "SELECT w.id FROM workspaces w JOIN customers c ON c.id = w.customer_id WHERE c.slug = 'c1'")
	# The first version, killed with its import taken and unanswered.
	killed_after_import c1 "$T/pbix/sales.pbix" 0
	[ "$(imports_in "$ws")" = 1 ]
	[ "$(ledger_sql "SELECT state || ' ' || result FROM journal WHERE step = 'report.import'")" = "intent after:" ]
	rerun_adopts "$T/pbix/sales.pbix" adopted 1
	[ "$(state "[.workspaces[] | select(.id == \"$ws\") | ._reports[]] | length")" = 1 ]
	[ "$(ledger_sql "SELECT count(*) FROM journal WHERE state = 'intent'")" = 0 ]
	# A new version, killed the same way: the older version's import
	# is not taken for the one just sent.
	python3 - "$T/pbix/sales.pbix" "$T/sales2.pbix" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as a, zipfile.ZipFile(sys.argv[2], "w") as b:
    for i in a.infolist():
        b.writestr(i, a.read(i.filename))
    b.writestr("Version2", "2")
PY
	mkdir -p "$T/v2" && mv "$T/sales2.pbix" "$T/v2/sales.pbix"
	n=$(requests length)
	killed_after_import c1 "$T/v2/sales.pbix" "$n"
	[ "$(imports_in "$ws")" = 2 ]
	[[ "$(ledger_sql "SELECT result FROM journal WHERE step = 'report.import' AND state = 'intent'")" == after:20* ]]
	rerun_adopts "$T/v2/sales.pbix" updated 2
	[ "$(ledger_sql "SELECT state FROM journal WHERE step = 'report.import' ORDER BY id DESC LIMIT 1")" = adopted ]
	[ "$(ledger_sql "SELECT sha256 FROM reports WHERE name = 'sales'")" = "$(sha256sum "$T/v2/sales.pbix" | cut -c1-64)" ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}

@test "killed after an import succeeded, before the report was recorded: the re-run adopts it, sends nothing again" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q onboard c1 >/dev/null
	ws=$(ledger_sql "SELECT w.id FROM workspaces w JOIN customers c ON c.id = w.customer_id WHERE c.slug = 'c1'")
	# The datasources are read after the import, before the record.
	killed_at "GET /v1.0/myorg/groups/$ws/datasets/" GET '/datasources$' c1 "$T/pbix/sales.pbix" 0
	[ "$(state "[.workspaces[] | select(.id == \"$ws\") | ._imports[] | .importState] | join(\",\")")" = Succeeded ]
	[[ "$(ledger_sql "SELECT state || ' ' || result FROM journal WHERE step = 'report.import'")" == "intent import:"* ]]
	[ "$(ledger_sql "SELECT count(*) FROM reports")" = 0 ]
	rerun_adopts "$T/pbix/sales.pbix" adopted 1
	[ "$(ledger_sql "SELECT count(*) FROM reports WHERE name = 'sales'")" = 1 ]
	[ "$(ledger_sql "SELECT state FROM journal WHERE step = 'report.import'")" = adopted ]
	# Killed after the record, before the entry was closed: the next
	# run finds the file unchanged and closes it, sending nothing.
	ledger_sql "UPDATE journal SET state = 'intent' WHERE step = 'report.import'"
	n=$(requests length)
	run pbictl publish "$T/pbix/sales.pbix" --customer c1 -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.customers[0].reports[0].action' <<<"$output")" = unchanged ]
	[ "$(writes "$n")" = 0 ]
	[ "$(ledger_sql "SELECT count(*) FROM journal WHERE state = 'intent'")" = 0 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}
