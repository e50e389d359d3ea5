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
