#!/bin/sh
# bench.sh BUILD: 'make bench', the network scenarios of BENCHMARKS.md,
# against pbisim with a network's latency, its asynchronous waits and a
# per-principal rate limit.  Each scenario prints its command, the
# medians of BENCH_RUNS runs (default 3) and its ratios; then
# tests/bench_local.sh, if there, measures the local ledger.
#
#   1. onboarding 500 customers at default jobs against the bound
#   2. the one-customer-at-a-time sequence of Microsoft's sample on 20
#   3. 300 customers with 10 % of the answers 429, against none
#   4. the audit of 2,000 customers, admin and workspace mode
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
pbictl="$top/$B/pbictl"
pbisim="$top/$B/pbisim"
runs=${BENCH_RUNS:-3}
n1=${BENCH_CUSTOMERS:-500}
n2=${BENCH_SAMPLE_CUSTOMERS:-20}
n3=${BENCH_FAULT_CUSTOMERS:-300}
n4=${BENCH_AUDIT_CUSTOMERS:-2000}
lat=20
rate=100
simargs="--latency $lat --import-seconds 0.5 --assign-seconds 0.5 --rate-limit $rate"
app=11111111-2222-4333-8444-555555555555
cap=0f084df7-c13d-451b-af5f-ed0c466403b2
dir=$(mktemp -d "${TMPDIR:-/tmp}/pbictl-bench.XXXXXX")
simpid=
cleanup() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# sim_start SEED: pbisim with the bench's settings; sets $sim.
sim_start() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" || true
	rm -f "$dir/port"
	# shellcheck disable=SC2086
	"$pbisim" --seed "$1" --port-file "$dir/port" $simargs \
	    --log-size 200000 >"$dir/pbisim.out" 2>&1 &
	simpid=$!
	i=0
	while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sim=http://127.0.0.1:$(cat "$dir/port")
	export PBICTL_LOGIN_URL=$sim PBICTL_GRAPH_URL=$sim PBICTL_POWERBI_URL=$sim
}

# fresh [SQL]: reset pbisim and the faults, a new ledger (SQL applied).
fresh() {
	curl -sf -X POST "$sim/_sim/reset" >/dev/null
	rm -f "$dir/ledger.db"*
	export PBICTL_LEDGER="$dir/ledger.db"
	"$pbictl" -q init --tenant contoso.onmicrosoft.com --client-id "$app" \
	    --capacity "$cap" >/dev/null
	if [ $# -gt 0 ]; then sqlite3 "$PBICTL_LEDGER" <"$1"; fi
}

now() { date +%s.%N; }

# median: of the numbers on stdin, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# tally SINCE: "requests throttled connections" since log entry SINCE,
# and the requests by kind into $dir/kinds.
tally() {
	curl -sf "$sim/_sim/requests?since=$1" >"$dir/log.json"
	jq -r '.[] | .method + " " + (.path | gsub("[0-9a-f-]{36}"; "ID")
	    | sub("^/[^/]+/oauth2/v2.0/token$"; "/token"))' "$dir/log.json" |
	    sort | uniq -c | sort -rn >"$dir/kinds"
	echo "$(jq length "$dir/log.json") \
$(jq '[.[] | select(.status == 429)] | length' "$dir/log.json") \
$(curl -sf "$sim/_sim/state" | jq '._connections.opened')"
}

# onboard N [ARGS...]: one timed onboarding of N customers on a fresh
# tenant; prints "seconds requests throttled connections".
onboard() {
	nn=$1
	shift
	fresh
	since=$(curl -sf "$sim/_sim/requests" | jq length)
	t0=$(now)
	# shellcheck disable=SC2046
	"$pbictl" -q "$@" onboard $(seq -f 'c%04g' 1 "$nn") \
	    --report "$dir/pbix/sales.pbix" >/dev/null
	t1=$(now)
	echo "$(echo "$t1 $t0" | awk '{ printf "%.3f", $1 - $2 }') $(tally "$since")"
}

# repeat FIELD CMD...: CMD runs times; the median of its FIELD-th figure.
repeat() {
	f=$1
	shift
	: >"$dir/runs"
	r=0
	while [ $r -lt "$runs" ]; do
		"$@" >>"$dir/runs"
		r=$((r + 1))
	done
	cut -d' ' -f"$f" "$dir/runs" | median
}

export AZURE_CLIENT_SECRET=demo-secret-value
python3 "$top/tests/data/mkpbix.py" "$dir/pbix" >/dev/null
"$pbisim" --print-seed | jq ".servicePrincipals = [{\"appId\": \"$app\"}]" \
    >"$dir/seed.json"
sim_start "$dir/seed.json"

echo "pbisim $simargs; medians of $runs runs"
echo

# 1. Onboarding at default jobs, against the bound.  Necessary on
# pbisim, per customer: the profile and workspace creates, the
# assignment and one status poll, the import and two polls (pbisim
# shows every import Publishing to its first poll), the bound
# datasources the ledger records: 8; per run, a token and the
# capacities: 2.  The critical path of a customer: those 8 one after
# another, each the latency, and the two waits of 0.5 s.
echo "1. pbictl onboard c0001..c$(printf %04d "$n1") --report sales.pbix  (default --jobs and --rate)"
: >"$dir/runs"
r=0
while [ $r -lt "$runs" ]; do
	onboard "$n1" >>"$dir/runs"
	cp "$dir/kinds" "$dir/kinds.$r"
	r=$((r + 1))
done
t=$(cut -d' ' -f1 "$dir/runs" | median)
q=$(cut -d' ' -f2 "$dir/runs" | median)
th=$(cut -d' ' -f3 "$dir/runs" | median)
cn=$(cut -d' ' -f4 "$dir/runs" | median)
awk -v n="$n1" -v t="$t" -v q="$q" -v th="$th" -v cn="$cn" -v lat="$lat" \
    -v rate="$rate" '
BEGIN {
	nec = 8 * n + 2
	cp = 8 * lat / 1000 + 0.5 + 0.5
	# Whatever jobs pbictl picks (at most 64), this is the least.
	b = nec / rate
	if (cp * int((n + 63) / 64) > b)
		b = cp * int((n + 63) / 64)
	printf "   %.2f s; %d requests, %.2f per customer (necessary %.2f);" \
	    " %.2f %% answered 429; %d connections opened\n", t, q, q / n,
	    nec / n, 100 * th / q, cn
	printf "   bound max(%d / %d per s, %.2f s x ceil(%d / jobs)) = %.2f s;" \
	    " ratio %.2f\n", nec, rate, cp, n, b, t / b
}'
echo "   requests of the last run, per customer, by kind:"
awk -v n="$n1" '{ c = $1; $1 = ""; printf "     %6.3f %s\n", c / n, $0 }' \
    "$dir/kinds.$((runs - 1))"
echo

# 2. The sample's way: one customer at a time, each call after the
# other, the import polled every second.
sample() {
	fresh
	tok=$(curl -sf -d "client_id=$app&client_secret=$AZURE_CLIENT_SECRET&grant_type=client_credentials&scope=https://analysis.windows.net/powerbi/api/.default" \
	    "$sim/contoso.onmicrosoft.com/oauth2/v2.0/token" | jq -r .access_token)
	api="$sim/v1.0/myorg"
	t0=$(now)
	for c in $(seq -f 's%04g' 1 "$n2"); do
		prof=$(curl -sf -H "Authorization: Bearer $tok" \
		    -H 'Content-Type: application/json' \
		    -d "{\"displayName\":\"cust-$c\"}" "$api/profiles" | jq -r .id)
		ws=$(curl -sf -H "Authorization: Bearer $tok" \
		    -H "X-PowerBI-Profile-Id: $prof" \
		    -H 'Content-Type: application/json' \
		    -d "{\"name\":\"cust-$c\"}" "$api/groups" | jq -r .id)
		curl -sf -H "Authorization: Bearer $tok" \
		    -H "X-PowerBI-Profile-Id: $prof" \
		    -H 'Content-Type: application/json' \
		    -d "{\"capacityId\":\"$cap\"}" \
		    "$api/groups/$ws/AssignToCapacity" >/dev/null
		imp=$(curl -sf -H "Authorization: Bearer $tok" \
		    -H "X-PowerBI-Profile-Id: $prof" \
		    -F "file=@$dir/pbix/sales.pbix" \
		    "$api/groups/$ws/imports?datasetDisplayName=sales.pbix&nameConflict=Abort" |
		    jq -r .id)
		st=Publishing
		while [ "$st" != Succeeded ]; do
			sleep 1
			st=$(curl -sf -H "Authorization: Bearer $tok" \
			    -H "X-PowerBI-Profile-Id: $prof" \
			    "$api/groups/$ws/imports/$imp" | jq -r .importState)
			[ "$st" = Failed ] && { echo "sample: import failed" >&2; exit 1; }
		done
	done
	echo "$(now) $t0" | awk '{ printf "%.3f\n", $1 - $2 }'
}
echo "2. the sample's sequence (tests/bench.sh sample()), $n2 customers one at a time,"
echo "   against pbictl onboard of the same $n2 (default --jobs)"
ts=$(repeat 1 sample)
tp=$(repeat 1 onboard "$n2")
awk -v n="$n2" -v ts="$ts" -v tp="$tp" 'BEGIN {
	printf "   sample %.2f s (%.3f s a customer); pbictl %.2f s (%.3f s a customer); pbictl %.1f x faster\n",
	    ts, ts / n, tp, tp / n, ts / tp }'
echo

# 3. 10 % of the answers 429 (Retry-After 1 s), against none.
throttled() {
	fresh
	curl -sf -X POST -d '{"p429":0.10,"retryAfter":1}' "$sim/_sim/faults" >/dev/null
	since=$(curl -sf "$sim/_sim/requests" | jq length)
	t0=$(now)
	# shellcheck disable=SC2046
	"$pbictl" -q onboard $(seq -f 'c%04g' 1 "$n3") \
	    --report "$dir/pbix/sales.pbix" >/dev/null
	t1=$(now)
	echo "$(echo "$t1 $t0" | awk '{ printf "%.3f", $1 - $2 }') $(tally "$since")"
}
echo "3. pbictl onboard of $n3 customers, with POST /_sim/faults {\"p429\":0.10} and without"
tfree=$(repeat 1 onboard "$n3")
: >"$dir/runs"
r=0
while [ $r -lt "$runs" ]; do throttled >>"$dir/runs"; r=$((r + 1)); done
tf=$(cut -d' ' -f1 "$dir/runs" | median)
thf=$(cut -d' ' -f3 "$dir/runs" | median)
qf=$(cut -d' ' -f2 "$dir/runs" | median)
awk -v t0="$tfree" -v tf="$tf" -v q="$qf" -v th="$thf" 'BEGIN {
	printf "   fault-free %.2f s; with 429s %.2f s (%.1f %% answered 429); ratio %.2f\n",
	    t0, tf, 100 * th / q, tf / t0 }'
echo

# 4. The audit of a tenant of n4 customers, both modes.
sp=5e7d0c3a-9b1f-4d2e-8a6c-3f4b5a6c7d8e
mkdir -p "$dir/scale"
"$pbisim" --print-seed | python3 "$top/tests/data/audit_data.py" \
    scale "$n4" "$dir/scale" "$app" "$sp" "$cap"
sim_start "$dir/scale/seed.json"
audit() {
	fresh "$dir/scale/ledger.sql"
	since=$(curl -sf "$sim/_sim/requests" | jq length)
	t0=$(now)
	"$pbictl" -q audit --mode "$1" -o json >"$dir/audit.json" || true
	t1=$(now)
	jq -e '.summary.complete' "$dir/audit.json" >/dev/null ||
	    echo "audit --mode $1 incomplete" >&2
	echo "$(echo "$t1 $t0" | awk '{ printf "%.3f", $1 - $2 }') $(tally "$since")"
}
for m in admin workspace; do
	echo "4. pbictl audit --mode $m -o json, $n4 customers"
	: >"$dir/runs"
	r=0
	while [ $r -lt "$runs" ]; do audit "$m" >>"$dir/runs"; r=$((r + 1)); done
	t=$(cut -d' ' -f1 "$dir/runs" | median)
	q=$(cut -d' ' -f2 "$dir/runs" | median)
	th=$(cut -d' ' -f3 "$dir/runs" | median)
	awk -v m="$m" -v n="$n4" -v t="$t" -v q="$q" -v th="$th" -v lat="$lat" \
	    -v rate="$rate" 'BEGIN {
		if (m == "admin") {
			printf "   %.2f s, %d requests (bound 10), %d answered 429\n", t, q, th
		} else {
			b = q / rate
			printf "   %.2f s, %d requests (%.2f per customer), %d answered 429;" \
			    " bound %d / %d per s = %.2f s; ratio %.2f\n", t, q,
			    q / n, th, q, rate, b, t / b
		}
	}'
done

kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null || true
simpid=
if [ -f "$top/tests/bench_local.sh" ]; then
	echo
	sh "$top/tests/bench_local.sh" "$B"
fi
