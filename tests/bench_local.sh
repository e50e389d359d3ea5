#!/bin/sh
# bench_local.sh BUILD: the local scale of the ledger (bench scenario 5):
# a generated ledger of BENCH_LOCAL_CUSTOMERS customers (100,000), and
# the time and peak memory of what reads it whole or by key.  Prints each
# command, the median of BENCH_LOCAL_RUNS runs (5) and the target; exits
# non-zero when a figure misses its target only under BENCH_STRICT=1
# (times depend on the machine).  'make bench-local' runs it; bench.sh
# calls it.
#
# bench_local.sh --generate N FILE: only write the ledger FILE of N
# customers with $PBICTL (build/pbictl), as the tests do.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
app=11111111-2222-4333-8444-555555555555
cap=0f084df7-c13d-451b-af5f-ed0c466403b2

# generate PBICTL N FILE: a ledger of N active customers as onboarding
# leaves them (a profile, a workspace on the capacity, one report, the
# journal of the four steps), written by SQL in one transaction; it
# passes 'pbictl ledger verify'.
generate() {
	rm -f "$3" "$3-wal" "$3-shm"
	PBICTL_LEDGER=$3 "$1" -q init --tenant contoso.onmicrosoft.com \
	    --client-id "$app" --capacity "$cap" >/dev/null
	sqlite3 "$3" <<SQL
BEGIN;
CREATE TEMP TABLE n AS WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL
    SELECT i + 1 FROM s WHERE i < $2) SELECT i FROM s;
INSERT INTO customers (id, slug, display_name, status)
    SELECT i, printf('c%06d', i), printf('Customer %d', i), 'active' FROM n;
INSERT INTO profiles (id, customer_id, display_name)
    SELECT printf('%08x-0000-4000-8000-%012x', i, i), i,
    printf('cust-c%06d', i) FROM n;
INSERT INTO workspaces (id, customer_id, name, profile_id, capacity_id)
    SELECT printf('%08x-0000-4000-9000-%012x', i, i), i,
    printf('cust-c%06d', i), printf('%08x-0000-4000-8000-%012x', i, i),
    '$cap' FROM n;
INSERT INTO reports (id, workspace_id, dataset_id, name, sha256, import_id)
    SELECT printf('%08x-0000-4000-a000-%012x', i, i),
    printf('%08x-0000-4000-9000-%012x', i, i),
    printf('%08x-0000-4000-b000-%012x', i, i), 'sales',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    printf('%08x-0000-4000-c000-%012x', i, i) FROM n;
INSERT INTO journal (run_id, customer_id, step, target, state, result,
    finished_at)
    SELECT printf('run-%d', i / 1000), i, s.step, CASE s.step
    WHEN 'report.import' THEN printf('%08x-0000-4000-9000-%012x/sales', i, i)
    ELSE printf('cust-c%06d', i) END, 'ok',
    printf('%08x-0000-4000-8000-%012x', i, i),
    strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM n, (SELECT 'profile.create' AS step UNION ALL
    SELECT 'workspace.create' UNION ALL SELECT 'capacity.assign' UNION ALL
    SELECT 'report.import') s;
COMMIT;
SQL
}

if [ "${1:-}" = --generate ]; then
	generate "${PBICTL:-$top/build/pbictl}" "$2" "$3"
	exit 0
fi

b=${1:-build}
pbictl="$top/$b/pbictl"
pbisim="$top/$b/pbisim"
n=${BENCH_LOCAL_CUSTOMERS:-100000}
runs=${BENCH_LOCAL_RUNS:-5}
dir=$(mktemp -d "${TMPDIR:-/tmp}/pbictl-bench-local.XXXXXX")
simpid=
cleanup() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
export PBICTL_LEDGER="$dir/ledger.db"

t0=$(date +%s.%N)
generate "$pbictl" "$n" "$PBICTL_LEDGER"
# Half the workspaces on no capacity: the dry run has work to show.
sqlite3 "$PBICTL_LEDGER" "UPDATE workspaces SET capacity_id = NULL WHERE
    customer_id % 2 = 0"
t1=$(date +%s.%N)
"$pbictl" -q ledger verify >/dev/null || {
	echo "bench_local.sh: the generated ledger fails 'ledger verify'" >&2
	exit 1
}
echo "$t0 $t1 $n" | awk '{ printf "ledger of %d customers generated in %.1f s\n", $3, $2 - $1 }'

# capacity assign --dry-run reads the capacities from pbisim (and sends
# nothing else: counted below).
app=11111111-2222-4333-8444-555555555555
"$pbisim" --print-seed | jq ".servicePrincipals = [{\"appId\": \"$app\"}]" \
    >"$dir/seed.json"
"$pbisim" --seed "$dir/seed.json" --port-file "$dir/port" --log-size 1000 \
    >"$dir/pbisim.out" 2>&1 &
simpid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sim=http://127.0.0.1:$(cat "$dir/port")
export PBICTL_LOGIN_URL=$sim PBICTL_GRAPH_URL=$sim PBICTL_POWERBI_URL=$sim
export AZURE_CLIENT_SECRET=demo-secret-value

# measure TARGET_S TARGET_MB CMD...: the median wall time and peak RSS of
# runs of CMD (stdout discarded) against the targets ("-": none).
fails=0
# Wall time depends on the load of the machine: the CPU time (user +
# system, of the run under time(1)) is printed beside it.
printf '%-50s %8s %6s %7s %8s %7s\n' "command ($runs runs, median)" seconds \
    cpu-s target "peak MB" target
measure() {
	ts=$1 tm=$2
	shift 2
	: >"$dir/m"
	k=0
	while [ $k -lt "$runs" ]; do
		# The time of the command alone; its peak RSS from a run
		# under time(1).
		a=$(date +%s.%N)
		"$@" >/dev/null 2>"$dir/err" || {
			echo "bench_local.sh: failed: $*" >&2
			cat "$dir/err" >&2
			exit 1
		}
		z=$(date +%s.%N)
		/usr/bin/time -f '%M %U %S' -o "$dir/t" "$@" >/dev/null 2>&1
		echo "$a $z $(cat "$dir/t")" |
		    awk '{ printf "%.4f %d %.2f\n", $2 - $1, $3, $4 + $5 }' \
		    >>"$dir/m"
		k=$((k + 1))
	done
	sec=$(sort -n -k1,1 "$dir/m" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	mb=$(sort -n -k2,2 "$dir/m" | awk '{ a[NR] = $2 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1024 }')
	cpu=$(sort -n -k3,3 "$dir/m" | awk '{ a[NR] = $3 } END { print a[int((NR + 1) / 2)] }')
	cmd=$(echo "$*" | sed "s|$top/||g")
	ok=$(awk -v s="$sec" -v ts="$ts" -v m="$mb" -v tm="$tm" 'BEGIN {
	    print ((ts == "-" || s <= ts) && (tm == "-" || m <= tm)) ? "" : "  MISSED" }')
	[ -z "$ok" ] || fails=$((fails + 1))
	printf '%-50s %8s %6s %7s %8s %7s%s\n' "$cmd" "$sec" "$cpu" "$ts" "$mb" \
	    "$tm" "$ok"
}
measure 0.5 50 "$pbictl" customer list -o json
measure 0.5 50 "$pbictl" customer list
measure 0.05 - "$pbictl" customer show "$(printf c%06d $(((n + 1) / 2)))"
measure - 50 "$pbictl" ledger export
curl -sf -X POST "$sim/_sim/reset" >/dev/null
measure 2 - "$pbictl" -q --dry-run capacity assign --all \
    --capacity 0f084df7-c13d-451b-af5f-ed0c466403b2
sent=$(curl -sf "$sim/_sim/requests" | jq "[.[] | select(.path | startswith(\"/v1.0/myorg/capacities\") | not) | select(.path | test(\"oauth2\") | not)] | length")
echo "  the dry runs sent $sent requests other than tokens and capacity lists"
measure 2 - "$pbictl" ledger verify
measure 0.005 - "$pbictl" -V
echo "$fails figures missed their targets"
if [ "${BENCH_STRICT:-0}" = 1 ] && [ "$fails" -ne 0 ]; then
	exit 1
fi
