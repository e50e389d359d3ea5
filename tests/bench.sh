#!/bin/sh
# bench.sh BUILD: onboarding throughput against pbisim with a network-like
# latency, one job against eight, and each run against the bound that the
# latency imposes.  Prints ratios; 'make bench' runs it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
b=${1:-build}
pbictl="$top/$b/pbictl"
pbisim="$top/$b/pbisim"
n=${BENCH_CUSTOMERS:-24}
lat=${BENCH_LATENCY_MS:-40}
dir=$(mktemp -d "${TMPDIR:-/tmp}/pbictl-bench.XXXXXX")
simpid=
cleanup() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

app=11111111-2222-4333-8444-555555555555
"$pbisim" --print-seed | jq ".servicePrincipals = [{\"appId\": \"$app\"}]" \
    >"$dir/seed.json"
"$pbisim" --seed "$dir/seed.json" --port-file "$dir/port" --latency "$lat" \
    --import-seconds 0.5 --assign-seconds 0.5 --log-size 100000 \
    >"$dir/pbisim.out" 2>&1 &
simpid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sim=http://127.0.0.1:$(cat "$dir/port")
export PBICTL_LOGIN_URL=$sim PBICTL_GRAPH_URL=$sim PBICTL_POWERBI_URL=$sim
export AZURE_CLIENT_SECRET=demo-secret-value
python3 "$top/tests/data/mkpbix.py" "$dir/pbix" >/dev/null
customers=$(seq -f 'c%02g' 1 "$n")

# run JOBS: onboard every customer on a fresh tenant and ledger; prints
# "seconds requests".
run() {
	curl -sf -X POST "$sim/_sim/reset" >/dev/null
	rm -f "$dir/ledger.db"*
	export PBICTL_LEDGER="$dir/ledger.db"
	"$pbictl" -q init --tenant contoso.onmicrosoft.com --client-id "$app" \
	    --capacity 0f084df7-c13d-451b-af5f-ed0c466403b2 >/dev/null
	since=$(curl -sf "$sim/_sim/requests" | jq 'length')
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	"$pbictl" -q --jobs "$1" onboard $customers \
	    --report "$dir/pbix/sales.pbix" >/dev/null
	t1=$(date +%s.%N)
	reqs=$(curl -sf "$sim/_sim/requests" | jq "length - $since")
	echo "$t0 $t1 $reqs" | awk '{ printf "%.3f %d\n", $2 - $1, $3 }'
}

set -- $(run 1)
t1=$1 r1=$2
set -- $(run 8)
t8=$1 r8=$2
# The bound: each request waits the latency, and each customer's import
# and capacity assignment take their 0.5 s at pbisim; jobs overlap them.
awk -v n="$n" -v lat="$lat" -v t1="$t1" -v r1="$r1" -v t8="$t8" -v r8="$r8" '
BEGIN {
	b1 = r1 * lat / 1000 + n * (0.5 + 0.5)
	b8 = (r8 * lat / 1000 + n * (0.5 + 0.5)) / 8
	printf "onboard %d customers, pbisim latency %d ms per request\n", n, lat
	printf "  --jobs 1: %7.2f s, %4d requests (%.1f per customer), %.2f x the bound %.2f s\n", t1, r1, r1 / n, t1 / b1, b1
	printf "  --jobs 8: %7.2f s, %4d requests (%.1f per customer), %.2f x the bound %.2f s\n", t8, r8, r8 / n, t8 / b8, b8
	printf "  speed-up of --jobs 8 over --jobs 1: %.2f x\n", t1 / t8
}'
