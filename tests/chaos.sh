#!/bin/sh
# chaos.sh BUILD: onboarding under chaos, against pbisim ('make chaos'; not
# in 'make check': it takes minutes).  Prints every count it checked and
# exits non-zero on any violation.
#   (a) CHAOS_CUSTOMERS (300) customers under 10 % 429, 3 % 5xx, 2 %
#       dropped connections, 1 % "500 after commit" and a 2 s Graph
#       replication delay, on three seeds: complete after the first run
#       and at most one re-run; no duplicate profile, workspace, report
#       or import; ledger verify and audit clean.
#   (b) CHAOS_KILLS (30) runs killed by SIGKILL at a random moment, each
#       re-run: the same end state every time.
#   (c) two processes on overlapping customers on one ledger, the second
#       by the same path and then through a symlink: one waits or
#       refuses cleanly, nothing duplicated, nothing lost.
# Environment: CHAOS_CUSTOMERS, CHAOS_KILLS, CHAOS_SEEDS ("1 2 3"),
# CHAOS_JOBS (8).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
b=${1:-build}
pbictl="$top/$b/pbictl"
pbisim="$top/$b/pbisim"
n=${CHAOS_CUSTOMERS:-300}
kills=${CHAOS_KILLS:-30}
seeds=${CHAOS_SEEDS:-1 2 3}
jobs=${CHAOS_JOBS:-8}
dir=$(mktemp -d "${TMPDIR:-/tmp}/pbictl-chaos.XXXXXX")
simpid=
cleanup() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
app=11111111-2222-4333-8444-555555555555
cap=0f084df7-c13d-451b-af5f-ed0c466403b2
"$pbisim" --print-seed | jq ".servicePrincipals = [{\"appId\": \"$app\"}]" \
    >"$dir/seed.json"
python3 "$top/tests/data/mkpbix.py" "$dir/pbix" >/dev/null
export AZURE_CLIENT_SECRET=demo-secret-value
# Short waits: latency 0, a replication wait bounded.
export PBICTL_REPLICATION_WAIT=${PBICTL_REPLICATION_WAIT:-20}
violations=0

# violation MESSAGE: count and print a violation.
violation() {
	violations=$((violations + 1))
	echo "  VIOLATION: $*"
}

# check WHAT GOT WANT: a count checked, printed either way.
check() {
	if [ "$2" = "$3" ]; then
		echo "  ok: $1: $2"
	else
		violation "$1: $2, expected $3"
	fi
}

# sim [ARGS]: (re)start pbisim with ARGS and point pbictl at it.
sim() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null
	rm -f "$dir/port"
	"$pbisim" --seed "$dir/seed.json" --port-file "$dir/port" \
	    --log-size 200000 --import-seconds 0.2 --assign-seconds 0.2 "$@" \
	    >"$dir/pbisim.out" 2>&1 &
	simpid=$!
	i=0
	while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	SIM=http://127.0.0.1:$(cat "$dir/port")
	export PBICTL_LOGIN_URL=$SIM PBICTL_GRAPH_URL=$SIM PBICTL_POWERBI_URL=$SIM
}

faults() {
	curl -sf -X POST -H 'Content-Type: application/json' -d "$1" \
	    "$SIM/_sim/faults" >/dev/null
}

# ledger FILE: a new ledger at FILE.
ledger() {
	rm -f "$1" "$1-wal" "$1-shm" "$1.lock"
	PBICTL_LEDGER=$1 "$pbictl" -q init --tenant contoso.onmicrosoft.com \
	    --client-id "$app" --capacity "$cap" >/dev/null
}

# names FROM TO: customer names cFROM..cTO.
names() {
	seq -f 'c%03g' "$1" "$2"
}

# state_checks N: pbisim's state and the ledger ($PBICTL_LEDGER) hold N
# customers, each once, complete.
state_checks() {
	curl -sf "$SIM/_sim/state" >"$dir/state.json"
	check "profiles cust-*" "$(jq '[.profiles[] | select(.displayName | startswith("cust-"))] | length' "$dir/state.json")" "$1"
	check "duplicate profile names" "$(jq '[.profiles[].displayName] | length - (unique | length)' "$dir/state.json")" 0
	check "workspaces cust-*" "$(jq '[.workspaces[] | select(.name | startswith("cust-"))] | length' "$dir/state.json")" "$1"
	check "duplicate workspace names" "$(jq '[.workspaces[].name] | length - (unique | length)' "$dir/state.json")" 0
	check "workspaces without exactly one report" "$(jq '[.workspaces[] | select(.name | startswith("cust-")) | select((._reports | length) != 1)] | length' "$dir/state.json")" 0
	check "workspaces without exactly one dataset" "$(jq '[.workspaces[] | select(.name | startswith("cust-")) | select((._datasets | length) != 1)] | length' "$dir/state.json")" 0
	check "workspaces with more than one import" "$(jq '[.workspaces[] | select(.name | startswith("cust-")) | select((._imports // [] | length) > 1)] | length' "$dir/state.json")" 0
	check "workspaces off the capacity" "$(jq "[.workspaces[] | select(.name | startswith(\"cust-\")) | select(.capacityId != \"$cap\")] | length" "$dir/state.json")" 0
	"$pbictl" customer list -o json >"$dir/list.json"
	check "ledger customers active with one report" "$(jq '[.[] | select(.status == "active" and .reports == 1)] | length' "$dir/list.json")" "$1"
	check "ledger workspaces that are the service's" "$(jq -n --slurpfile l "$dir/list.json" --slurpfile s "$dir/state.json" '[$l[0][] | .workspaceId as $w | select([$s[0].workspaces[].id] | index($w))] | length')" "$1"
	"$pbictl" ledger verify -o json >"$dir/verify.json" 2>&1
	check "ledger verify exit status" $? 0
	check "ledger verify errors and open intents" "$(jq '[.findings[] | select(.severity == "error" or .check == "open-intent")] | length' "$dir/verify.json" 2>/dev/null || echo unreadable)" 0
}

echo "(a) $n customers under faults, seeds: $seeds"
for s in $seeds; do
	sim --seed-random "$s" --p429 0.10 --retry-after 1 --p5xx 0.03 \
	    --pdrop 0.02 --p500-after-commit 0.01 --replication-delay 2
	export PBICTL_LEDGER="$dir/a$s.db"
	ledger "$PBICTL_LEDGER"
	t0=$(date +%s)
	runs=0
	for try in 1 2; do
		runs=$try
		# shellcheck disable=SC2046
		"$pbictl" -q --jobs "$jobs" onboard $(names 1 "$n") \
		    --report "$dir/pbix/sales.pbix" >"$dir/a.out" 2>&1 && break
		[ "$try" = 2 ] && violation "seed $s: incomplete after one re-run: $(tail -3 "$dir/a.out")"
	done
	t1=$(date +%s)
	curl -sf "$SIM/_sim/requests" >"$dir/req.json"
	echo " seed $s: $runs run(s), $((t1 - t0)) s, $(jq length "$dir/req.json") requests, $(jq '[.[] | select(.status == 429)] | length' "$dir/req.json") answered 429, $(jq '[.[] | select(.status >= 500)] | length' "$dir/req.json") 5xx"
	faults '{"reset":true}'
	state_checks "$n"
	"$pbictl" -q audit >"$dir/audit.out" 2>&1
	check "audit exit status (0: no finding)" $? 0
done

echo "(b) $kills runs killed at random moments, each re-run"
sim
k=12
ref=
differ=0
i=0
while [ $i -lt "$kills" ]; do
	i=$((i + 1))
	curl -sf -X POST "$SIM/_sim/reset" >/dev/null
	export PBICTL_LEDGER="$dir/b.db"
	ledger "$PBICTL_LEDGER"
	# shellcheck disable=SC2046
	"$pbictl" -q --jobs 4 onboard $(names 1 $k) \
	    --report "$dir/pbix/sales.pbix" >/dev/null 2>&1 &
	pid=$!
	# A moment in the first 2.5 s (the run takes about 2).
	sleep "$(awk -v r="$(od -An -N2 -tu2 /dev/urandom)" 'BEGIN { printf "%.2f", (r % 250) / 100 }')"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# shellcheck disable=SC2046
	"$pbictl" -q --jobs 4 onboard $(names 1 $k) \
	    --report "$dir/pbix/sales.pbix" >"$dir/b.out" 2>&1 ||
	    violation "kill $i: the re-run failed: $(tail -2 "$dir/b.out")"
	# The end state, ids aside: names, counts, capacity, in the
	# service and the ledger.
	curl -sf "$SIM/_sim/state" | jq -c '[.profiles[] | .displayName] | sort' >"$dir/end"
	curl -sf "$SIM/_sim/state" | jq -c '[.workspaces[] | [.name, (._reports | length), (._datasets | length), (._imports // [] | length), .capacityId]] | sort' >>"$dir/end"
	"$pbictl" customer list -o json | jq -c '[.[] | [.customer, .status, .workspaceName, .capacityId, .reports]]' >>"$dir/end"
	sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM journal WHERE state = 'intent'" >>"$dir/end"
	"$pbictl" -q ledger verify >/dev/null 2>&1 || echo "verify failed" >>"$dir/end"
	if [ -z "$ref" ]; then
		ref=$dir/ref
		cp "$dir/end" "$ref"
	elif ! cmp -s "$dir/end" "$ref"; then
		differ=$((differ + 1))
		violation "kill $i: another end state: $(diff "$ref" "$dir/end" | head -4 | tr '\n' ' ')"
	fi
done
check "kill runs whose end state differs from the first" "$differ" 0
echo "  $kills kills, end state: $(sed -n 1p "$ref" | jq length) profiles, $(sed -n 2p "$ref" | jq length) workspaces, $(sed -n 3p "$ref" | jq length) customers"
curl -sf -X POST "$SIM/_sim/reset" >/dev/null

echo "(c) two processes, overlapping customers, one ledger"
for how in path symlink; do
	curl -sf -X POST "$SIM/_sim/reset" >/dev/null
	export PBICTL_LEDGER="$dir/c.db"
	ledger "$PBICTL_LEDGER"
	second=$PBICTL_LEDGER
	if [ "$how" = symlink ]; then
		ln -sf "$dir/c.db" "$dir/link.db"
		second=$dir/link.db
	fi
	# shellcheck disable=SC2046
	"$pbictl" -q --jobs 4 onboard $(names 1 20) \
	    --report "$dir/pbix/sales.pbix" >"$dir/c1.out" 2>&1 &
	p1=$!
	sleep 0.3
	# The first still running as the second starts: they overlap.
	kill -0 $p1 2>/dev/null && overlap=1 || overlap=0
	# shellcheck disable=SC2046
	PBICTL_LEDGER=$second "$pbictl" -q --jobs 4 onboard $(names 11 30) \
	    --report "$dir/pbix/sales.pbix" >"$dir/c2.out" 2>&1
	r2=$?
	wait $p1
	r1=$?
	if [ $r2 -ne 0 ]; then
		if grep -q "another pbictl is changing ledger" "$dir/c2.out"; then
			echo "  $how: the second refused cleanly: $(head -1 "$dir/c2.out")"
		else
			violation "$how: the second failed otherwise: $(tail -2 "$dir/c2.out")"
		fi
	elif [ $overlap = 1 ]; then
		# The lock refuses, it does not wait: both running means
		# that it did not hold.
		violation "$how: both ran at once: the run lock did not hold"
	else
		echo "  $how: both ran, the second after the first"
	fi
	check "$how: the first run's exit status" $r1 0
	# Nothing lost: the refused one, run again, completes.
	# shellcheck disable=SC2046
	PBICTL_LEDGER=$second "$pbictl" -q --jobs 4 onboard $(names 11 30) \
	    --report "$dir/pbix/sales.pbix" >"$dir/c3.out" 2>&1
	check "$how: the second run again, exit status" $? 0
	echo " $how:"
	state_checks 30
done

echo "$violations violations"
[ "$violations" -eq 0 ]
