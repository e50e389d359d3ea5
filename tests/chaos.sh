#!/bin/sh
# chaos.sh BUILD [SEED...]: onboard CHAOS_CUSTOMERS (300) customers with
# --jobs 8 against pbisim under the fault mix of issue 10 (10 % 429, 3 %
# 5xx, 2 % dropped connections, 1 % 500 after the commit, 2 s replication
# delay), then re-run once; per seed (default 1 2 3) print the customers
# that failed in the first run, whether the re-run finished them all, and
# the duplicates and open intents left.  Exits 1 unless every seed
# converged within the one re-run with nothing duplicated.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
b=${1:-build}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 1 2 3
pbictl="$top/$b/pbictl"
pbisim="$top/$b/pbisim"
n=${CHAOS_CUSTOMERS:-300}
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
"$pbisim" --seed "$dir/seed.json" --port-file "$dir/port" \
    --import-seconds 0.3 --assign-seconds 0.3 --log-size 10 \
    >"$dir/pbisim.out" 2>&1 &
simpid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sim=http://127.0.0.1:$(cat "$dir/port")
export PBICTL_LOGIN_URL=$sim PBICTL_GRAPH_URL=$sim PBICTL_POWERBI_URL=$sim
export AZURE_CLIENT_SECRET=demo-secret-value
export PBICTL_LEDGER="$dir/ledger.db"
python3 "$top/tests/data/mkpbix.py" "$dir/pbix" >/dev/null
customers=$(seq -f 'c%03g' 1 "$n")

# failed: how many customers the last run's JSON output says failed.
failed() {
	jq '[.customers[] | select(.status != "ok")] | length' "$dir/out.json"
}

rc=0
for seed in "$@"; do
	curl -sf -X POST "$sim/_sim/reset" >/dev/null
	rm -f "$dir/ledger.db"*
	"$pbictl" -q init --tenant contoso.onmicrosoft.com --client-id "$app" \
	    --capacity "$cap" >/dev/null
	curl -sf -X POST -H 'Content-Type: application/json' -d "{
	    \"seedRandom\": $seed, \"p429\": 0.10, \"retryAfter\": 1,
	    \"p5xx\": 0.03, \"pdrop\": 0.02, \"p500AfterCommit\": 0.01,
	    \"replicationDelay\": 2}" "$sim/_sim/faults" >/dev/null
	t0=$(date +%s)
	# shellcheck disable=SC2086
	"$pbictl" -q --jobs 8 onboard $customers \
	    --report "$dir/pbix/sales.pbix" -o json >"$dir/out.json" \
	    2>"$dir/err.1" || true
	f1=$(failed)
	# shellcheck disable=SC2086
	if "$pbictl" -q --jobs 8 onboard $customers \
	    --report "$dir/pbix/sales.pbix" -o json >"$dir/out.json" \
	    2>"$dir/err.2"; then
		again=converged
	else
		again="NOT converged ($(failed) failed: $(tail -1 "$dir/err.2"))"
		rc=1
	fi
	t1=$(date +%s)
	curl -sf -X POST -d '{"reset": true}' "$sim/_sim/faults" >/dev/null
	dups=$(curl -sf "$sim/_sim/state" | jq '
	    ([.profiles[].displayName] | length - (unique | length)) +
	    ([.workspaces[].name] | length - (unique | length)) +
	    ([.workspaces[] | select(.name | startswith("cust-")) |
	      select((._reports | length) != 1)] | length)')
	open=$(sqlite3 "$PBICTL_LEDGER" \
	    "SELECT count(*) FROM journal WHERE state = 'intent'")
	[ "$dups" = 0 ] || rc=1
	echo "seed $seed: $n customers, $f1 failed in the first run;" \
	    "re-run $again; $dups duplicates, $open open intents" \
	    "($((t1 - t0)) s)"
	[ "$f1" = 0 ] || sed -n 's/^pbictl: //p' "$dir/err.1" | head -1
done
exit $rc
