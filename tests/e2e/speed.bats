#!/usr/bin/env bats
# Only the necessary requests, paced under the rate limit, on reused
# connections: asserted from pbisim's request log and state, never from
# timings.
bats_require_minimum_version 1.5.0

load cli_helper

setup() {
	cli_setup
	onboard_setup
}
teardown() { cli_teardown; }

customers() {
	local i
	for i in $(seq -w 1 "$1"); do echo "c$i"; done
}

init_ledger() {
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
}

@test "a fresh onboarding sends no lookup before its creates" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	init_ledger
	run pbictl --jobs 4 onboard $(customers 6) --report "$T/pbix/sales.pbix" -o json
	[ "$status" -eq 0 ]
	[ "$(count POST '^/v1.0/myorg/profiles$')" = 6 ]
	[ "$(count POST '^/v1.0/myorg/groups$')" = 6 ]
	[ "$(count GET '^/v1.0/myorg/profiles$')" = 0 ]
	[ "$(count GET '^/v1.0/myorg/groups$')" = 0 ]
	[ "$(state '[.profiles[] | select(.displayName | startswith("cust-"))] | length')" = 6 ]
	[ "$(state '[.workspaces[] | select(.name | startswith("cust-"))] | length')" = 6 ]
}

@test "a 500 on a create is looked up, never sent blind again, and duplicates nothing" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	init_ledger
	# Every workspace create answers 500 after it committed.
	sim_post /_sim/faults '{"p500AfterCommit":1,"match":"POST /v1.0/myorg/groups"}' >/dev/null
	run pbictl customer add acme -o json
	[ "$status" -eq 0 ]
	# No lookup before the create; the lookup after its 500 adopts it.
	[ "$(requests '[.[] | select(.path == "/v1.0/myorg/groups") | .method + " " + (.status | tostring)] | join(",")')" = "POST 500,GET 200" ]
	[ "$(requests '[.[] | select(.path == "/v1.0/myorg/profiles") | .method] | join(",")')" = POST ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT state FROM journal WHERE step = 'workspace.create'")" = adopted ]
	[ "$(state '[.workspaces[] | select(.name == "cust-acme")] | length')" = 1 ]
}

@test "a name someone else holds answers 409 and is refused, with no lookup before" {
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}]
	    | .workspaces = [{\"id\": \"aaaaaaaa-0000-4000-8000-000000000001\", \"name\": \"cust-acme\"}]"
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --isolation workspace >/dev/null
	run --separate-stderr pbictl customer add acme
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"409"* && "$stderr" == *"someone else's"* ]]
	[ "$(requests '[.[] | select(.path == "/v1.0/myorg/groups") | .method + " " + (.status | tostring)] | join(",")')" = "POST 409,GET 200" ]
	# Tried once: the re-run looks up first (it shows nothing to us).
	n=$(requests length)
	run pbictl customer add acme
	[ "$status" -eq 1 ]
	[ "$(requests "[.[$n:][] | select(.path == \"/v1.0/myorg/groups\") | .method] | join(\",\")")" = GET,POST,GET ]
	[ "$(state '[.workspaces[] | select(.name == "cust-acme")] | length')" = 1 ]
}

@test "polls of assignments and imports adapt: about one each once learnt" {
	sim_start --import-seconds 0.3 --assign-seconds 0.3
	init_ledger
	run pbictl --jobs 2 onboard $(customers 12) --report "$T/pbix/sales.pbix"
	[ "$status" -eq 0 ]
	a=$(count GET '/CapacityAssignmentStatus$')
	i=$(count GET '/imports/[0-9a-f-]+$')
	# The fixed ladder polled each 3 times (0, 250, 625 ms): 36 each;
	# learnt, an assignment takes one poll and an import two (the first
	# always shows Publishing), with room for a slow machine.
	echo "# assign polls $a, import polls $i" >&3
	[ "$a" -ge 12 ] && [ "$a" -le 26 ]
	[ "$i" -ge 24 ] && [ "$i" -le 32 ]
}

@test "paced below the rate limit, a run gets no 429" {
	sim_start --import-seconds 0.1 --assign-seconds 0.1 --rate-limit 20
	init_ledger
	run pbictl --rate 15 --jobs 8 onboard $(customers 10) --report "$T/pbix/sales.pbix"
	[ "$status" -eq 0 ]
	[ "$(requests '[.[] | select(.status == 429)] | length')" = 0 ]
	# Past the limit without --rate, the same work meets 429s and learns.
	sim_post /_sim/reset ''
	rm -f "$PBICTL_LEDGER"*
	init_ledger
	run pbictl --rate 200 --jobs 8 onboard $(customers 10) --report "$T/pbix/sales.pbix"
	[ "$status" -eq 0 ]
	[ "$(requests '[.[] | select(.status == 429)] | length')" -gt 0 ]
}

@test "connections are reused across jobs: opened at most jobs + 4" {
	sim_start --import-seconds 0.1 --assign-seconds 0.1 --latency 5
	init_ledger
	sim_post /_sim/reset ''
	init_ledger 2>/dev/null || true
	run pbictl --jobs 8 onboard $(customers 24) --report "$T/pbix/sales.pbix"
	[ "$status" -eq 0 ]
	n=$(requests '[.[] | select(.path | startswith("/_sim") | not)] | length')
	opened=$(state '._connections.opened')
	echo "# $opened connections for $n requests" >&3
	# The two control calls above (reset, state) took one each.
	[ "$opened" -le $((8 + 4 + 2)) ]
	[ "$n" -ge 150 ]
}

@test "--rate is checked, documented, and the default jobs adapt" {
	run --separate-stderr pbictl --rate 0 ledger status
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--rate: expected a whole number"* ]]
	run --separate-stderr pbictl --rate x ledger status
	[ "$status" -eq 2 ]
	grep -q '^\.It Fl \\-rate Ar n' "$top/man/pbictl.1"
}
