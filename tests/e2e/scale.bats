#!/usr/bin/env bats
# The ledger at scale: what reads every customer (customer list, ledger
# export, --all) streams its rows, so its memory does not grow with the
# number of customers; lookups go by key.  Ratios, never wall times.
bats_require_minimum_version 1.5.0

load cli_helper

setup() {
	cli_setup
	# ASan keeps freed memory in quarantine: without it, the peak is
	# what is live, as in a plain build.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
}
teardown() { cli_teardown; }

# gen N FILE: a ledger of N onboarded customers (tests/bench_local.sh).
gen() {
	PBICTL=$PBICTL sh "$top/tests/bench_local.sh" --generate "$1" "$2"
}

# peak FILE CMD...: the peak RSS in KB of pbictl CMD... on ledger FILE,
# its output in $T/out.
peak() {
	local l=$1
	shift
	PBICTL_LEDGER=$l /usr/bin/time -f %M -o "$T/rss" "$PBICTL" "$@" \
	    >"$T/out"
	cat "$T/rss"
}

@test "list and export of 5,000 customers take no more memory than of 500" {
	gen 500 "$T/small.db"
	gen 5000 "$T/big.db"
	PBICTL_LEDGER=$T/big.db run pbictl ledger verify
	[ "$status" -eq 0 ]
	for cmd in "customer list -o json" "customer list" "ledger export"; do
		# shellcheck disable=SC2086
		s=$(peak "$T/small.db" $cmd)
		# shellcheck disable=SC2086
		b=$(peak "$T/big.db" $cmd)
		echo "# $cmd: $s KB at 500, $b KB at 5000" >&3
		# Everything came out, and parses.
		case $cmd in
		"customer list -o json")
			[ "$(jq length "$T/out")" = 5000 ]
			[ "$(jq -r '.[4999].customer' "$T/out")" = c005000 ]
			[ "$(jq '[.[] | select(.reports == 1)] | length' "$T/out")" = 5000 ] ;;
		"customer list")
			[ "$(wc -l <"$T/out")" = 5001 ]
			[ "$(sed -n 2p "$T/out" | awk '{ print $1, $2, $6 }')" = "c000001 active 1" ] ;;
		"ledger export")
			[ "$(jq '.customers | length' "$T/out")" = 5000 ]
			[ "$(jq '.journal | length' "$T/out")" = 20000 ]
			[ "$(jq '.reports | length' "$T/out")" = 5000 ] ;;
		esac
		[ "$b" -le $((s * 3 / 2)) ]
	done
}

@test "customer list streams exactly what the whole-tree form printed" {
	gen 40 "$T/l.db"
	export PBICTL_LEDGER=$T/l.db
	sqlite3 "$T/l.db" "UPDATE workspaces SET capacity_id = NULL WHERE customer_id = 3;
	    UPDATE customers SET status = 'removed' WHERE id = 5"
	run pbictl customer list -o json
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" = 39 ]
	[ "$(jq -r '.[2].capacityId' <<<"$output")" = null ]
	run pbictl customer list --removed -o json
	[ "$(jq length <<<"$output")" = 40 ]
	[ "$(jq -r '.[4].status' <<<"$output")" = removed ]
	run pbictl customer list --removed
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" = 41 ]
	# Aligned columns: every row's second column starts where its head does.
	col=$(awk 'NR == 1 { print index($0, "STATUS") }' <<<"$output")
	[ "$(awk -v c="$col" 'substr($0, c, 1) == " " || substr($0, c - 1, 1) != " "' <<<"$output" | wc -l)" = 0 ]
	[ "$(sed -n 4p <<<"$output" | awk '{ print $1, $5 }')" = "c000003 -" ]
	run pbictl customer show c000007 -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .workspaceName <<<"$output")" = cust-c000007 ]
	[ "$(jq -r '.reportList[0].name' <<<"$output")" = sales ]
	run pbictl customer show c999999
	[ "$status" -eq 1 ]
	[[ "$output" == *"no customer 'c999999' in the ledger"* ]]
}

@test "a customer named twice is refused, however many there are" {
	gen 10 "$T/l.db"
	export PBICTL_LEDGER=$T/l.db
	AZURE_CLIENT_SECRET=not-used run pbictl --dry-run capacity assign \
	    c000001 c000002 c000001 \
	    --capacity 0f084df7-c13d-451b-af5f-ed0c466403b2
	[ "$status" -eq 1 ]
	[[ "$output" == *"customer 'c000001' is named twice"* ]]
}
