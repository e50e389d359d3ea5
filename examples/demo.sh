#!/bin/sh
# demo.sh BUILD: the whole pbictl flow against pbisim, the bundled
# emulator, in a throwaway directory.  Run by 'make demo'.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
b=${1:-build}
pbictl="$top/$b/pbictl"
pbisim="$top/$b/pbisim"
dir=$(mktemp -d "${TMPDIR:-/tmp}/pbictl-demo.XXXXXX")
simpid=
cleanup() {
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

step() { printf '\n== %s\n$ pbictl %s\n' "$1" "$2"; }

# The demo tenant: an admin, the app (no service principal yet), two
# capacities, a security group (pbisim --print-seed).
"$pbisim" --print-seed >"$dir/seed.json"
"$pbisim" --seed "$dir/seed.json" --port-file "$dir/port" \
    --request-log "$dir/requests.log" >"$dir/pbisim.out" 2>&1 &
simpid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sim=http://127.0.0.1:$(cat "$dir/port")
echo "pbisim listens on $sim"
export PBICTL_LOGIN_URL=$sim PBICTL_GRAPH_URL=$sim PBICTL_POWERBI_URL=$sim
export PBICTL_LEDGER="$dir/ledger.db"
app=11111111-2222-4333-8444-555555555555

step "create the ledger for one tenant deployment" \
    "init --tenant contoso.onmicrosoft.com --client-id $app --capacity 0f08..."
"$pbictl" init --tenant contoso.onmicrosoft.com --client-id "$app" \
    --capacity 0f084df7-c13d-451b-af5f-ed0c466403b2

# Tenant setup is a tenant admin's job: the master user here.
export AZURE_USERNAME=admin@contoso.onmicrosoft.com AZURE_PASSWORD='Demo-Passw0rd!'
step "the app's service principal, in the Power BI API security group" \
    "sp ensure --security-group c3a4f0e2-..."
"$pbictl" sp ensure --security-group c3a4f0e2-7b8d-4e1f-9a6c-2d5e8f1b3a70
step "its OAuth2 permission grants on Power BI and Microsoft Graph" \
    "grant ensure"
"$pbictl" grant ensure
step "again: nothing to do, no write" "grant ensure"
"$pbictl" grant ensure

# From here on pbictl works as the app itself.
unset AZURE_USERNAME AZURE_PASSWORD
export AZURE_CLIENT_SECRET=demo-secret-value
step "who pbictl is now" "auth status"
"$pbictl" auth status
step "the capacities the app may assign" "capacity list"
"$pbictl" capacity list
step "three customers: a profile, a workspace on the capacity, a report" \
    "--jobs 3 onboard acme globex initech --report sales.pbix --admin ..."
"$pbictl" --jobs 3 onboard acme globex initech \
    --report "$top/examples/sales.pbix" --admin admin@contoso.onmicrosoft.com
step "re-run: everything is there already" "onboard acme globex initech ..."
"$pbictl" --jobs 3 onboard acme globex initech \
    --report "$top/examples/sales.pbix" --admin admin@contoso.onmicrosoft.com
step "what the ledger knows" "customer list"
"$pbictl" customer list
step "the ledger checks its own invariants" "ledger verify"
"$pbictl" ledger verify
step "every step the runs took" "ledger log --limit 12"
"$pbictl" ledger log --limit 12

step "an embed token for acme's sales report, checked as acme's first" \
    "token --customer acme --report sales"
"$pbictl" token --customer acme --report sales
acme=$("$pbictl" token --customer acme --report sales -o json)
globex=$("$pbictl" token --customer globex --report sales -o json |
    jq -r '.reports[0].id')
embed() {
	printf '$ curl -X POST %s/_sim/embed -d '"'"'{"token":"...","reportId":"%s"}'"'"'\n' \
	    "$sim" "$1"
	printf '%s' "$acme" | jq --arg r "$1" '{token, reportId: $r}' |
	    curl -sf -X POST -H 'Content-Type: application/json' -d @- \
	    "$sim/_sim/embed" | jq -c '{loads, reason, item}'
}
printf '\n== the embedding page (pbisim plays it): acme'"'"'s report loads\n'
embed "$(printf '%s' "$acme" | jq -r '.reports[0].id')"
printf '\n== and globex'"'"'s does not, with acme'"'"'s token\n'
embed "$globex"
step "nor will pbictl mint acme a token for globex's report" \
    "token --customer acme --report $globex"
gens() { grep -c '"path":"/v1.0/myorg/GenerateToken"' "$dir/requests.log" || true; }
n=$(gens)
"$pbictl" token --customer acme --report "$globex" ||
    echo "(refused, exit $?; GenerateToken calls sent: $(( $(gens) - n )))"

writes=$(grep -c '"method":"\(POST\|PATCH\|PUT\|DELETE\)"' "$dir/requests.log" || true)
echo
echo "pbisim saw $(wc -l <"$dir/requests.log") requests, $writes of them writes (token requests included)."

# The isolation audit.  The app holds admin-consented Power BI grants
# (grant ensure), which the admin APIs refuse: auto mode reads each
# workspace as its customer's profile instead, and says so.
step "the isolation audit: is every customer alone in its workspace?" \
    "audit"
"$pbictl" audit

# A breach behind the ledger's back, through the public API: acting as
# globex's profile, the app makes acme's profile a member of globex's
# workspace.
step "someone adds acme's profile to globex's workspace, through the API" \
    "(curl POST /v1.0/myorg/groups/GLOBEX-WORKSPACE/users)"
field() {
	"$pbictl" customer list -o json |
	    jq -r ".[] | select(.customer == \"$1\") | .$2"
}
globex_ws=$(field globex workspaceId)
globex_prof=$(field globex profileId)
acme_prof=$(field acme profileId)
sp=$("$pbictl" init -o json | jq -r .settings.sp_object_id)
token=$(curl -sf -X POST "$sim/contoso.onmicrosoft.com/oauth2/v2.0/token" \
    -d grant_type=client_credentials -d "client_id=$app" \
    --data-urlencode "client_secret=$AZURE_CLIENT_SECRET" \
    --data-urlencode scope=https://analysis.windows.net/powerbi/api/.default |
    jq -r .access_token)
curl -sf -X POST "$sim/v1.0/myorg/groups/$globex_ws/users" \
    -H "Authorization: Bearer $token" -H "X-PowerBI-Profile-Id: $globex_prof" \
    -H 'Content-Type: application/json' \
    -d "{\"identifier\":\"$sp\",\"principalType\":\"App\",\"groupUserAccessRight\":\"Viewer\",\"profile\":{\"id\":\"$acme_prof\"}}"
echo "acme's profile can now read globex's reports."
step "the audit finds it, with the probes, and writes the evidence page" \
    "audit --probe --diff --report audit.html"
rc=0
"$pbictl" audit --probe --diff --report "$dir/audit.html" || rc=$?
if [ "$rc" -ne 1 ]; then
	echo "demo: the audit should have found the breach (exit 1), not $rc" >&2
	exit 1
fi
echo
echo "exit status $rc: a critical finding; the evidence page has $(wc -c <"$dir/audit.html") bytes."

# The migration from the retired Workspace Collections: pbisim's seed has
# collection legacy-embedded, with one legacy workspace (customer-acme)
# holding an exportable report, one on a push dataset and one imported
# before 2016-11-26.
export PBICTL_ARM_URL=$sim PBICTL_COLLECTIONS_URL=$sim
step "plan the migration of a subscription's Workspace Collections" \
    "migrate plan --subscription 00000000-0000-0000-0000-000000000001"
"$pbictl" migrate plan --subscription 00000000-0000-0000-0000-000000000001
step "move what can move into the customer's new workspace, on the capacity" \
    "migrate run"
"$pbictl" migrate run --staging "$dir/staging"
step "what was not moved, and why" "migrate status"
"$pbictl" migrate status
step "the migrated customer is audited like any other" \
    "audit --customer customer-acme"
"$pbictl" audit --customer customer-acme
step "and gets its embed token" \
    "token --customer customer-acme --report Sales"
"$pbictl" token --customer customer-acme --report Sales -o json |
    jq '{customer, workspaceId, reports: [.reports[].name], expiration}'
