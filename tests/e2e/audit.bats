#!/usr/bin/env bats
# pbictl audit against pbisim.  Each rule's test onboards customers with
# pbictl, checks that the audit is clean, makes one breach through the
# public REST API behind the ledger's back (as the app, as a profile or
# as the tenant admin; never through /_sim/), and requires exactly that
# finding (rule, severity, customer), in both modes, with nothing
# written to the tenant by the audit.
bats_require_minimum_version 1.5.0

load cli_helper

CAP2=7c1e5a3b-2d4f-4e6a-9b8c-0d1e2f3a4b5c
PBI=https://analysis.windows.net/powerbi/api/.default
# What the admin asks for to make breaches through the API: pbisim
# checks a user token's delegated scopes on every route.
R=https://analysis.windows.net/powerbi/api
ADMIN_PBI="$R/Workspace.ReadWrite.All $R/Dataset.ReadWrite.All $R/Report.ReadWrite.All"
ANN=ann@contoso.onmicrosoft.com
BOB=bob@contoso.onmicrosoft.com

setup() {
	cli_setup
	onboard_setup
}
teardown() { cli_teardown; }

# token [SCOPE]: the app's token, client credentials.
token() {
	curl -sf -XPOST "$SIM/contoso.onmicrosoft.com/oauth2/v2.0/token" \
	    -d grant_type=client_credentials -d "client_id=$APP" \
	    --data-urlencode "client_secret=$APP_SECRET" \
	    --data-urlencode "scope=${1:-$PBI}" | jq -r .access_token
}

# admin_token [SCOPE]: the tenant admin's token (master user, through
# the app), by default with the scopes of ADMIN_PBI.
admin_token() {
	curl -sf -XPOST "$SIM/contoso.onmicrosoft.com/oauth2/v2.0/token" \
	    -d grant_type=password -d "client_id=$APP" \
	    --data-urlencode "username=$ADMIN" \
	    --data-urlencode "password=$ADMIN_PASSWORD" \
	    --data-urlencode "scope=${1:-$ADMIN_PBI}" | jq -r .access_token
}

# api TOKEN PROFILE METHOD PATH [JSON]: a Power BI call as the token's
# principal acting as PROFILE ("-": as itself); must answer 2xx.  Sets
# CODE and BODY.
api() {
	local tok=$1 prof=$2 m=$3 p=$4 j=${5-} h=()
	[ "$prof" = - ] || h=(-H "X-PowerBI-Profile-Id: $prof")
	if [ -n "$j" ]; then
		h+=(-H 'Content-Type: application/json' --data "$j")
	fi
	CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$m" \
	    -H "Authorization: Bearer $tok" "${h[@]}" "$SIM/v1.0/myorg$p")
	BODY=$(cat "$T/body")
	case $CODE in
	2??) ;;
	*) echo "$m $p: $CODE $BODY" >&2; return 1 ;;
	esac
}

# q SQL: one value from the ledger.
q() { ledger_sql "$1"; }

# The ledger's ids of customer $1.
ws_of() { q "SELECT w.id FROM workspaces w JOIN customers c ON c.id = w.customer_id WHERE c.slug = '$1' AND w.state = 'active'"; }
prof_of() { q "SELECT p.id FROM profiles p JOIN customers c ON c.id = p.customer_id WHERE c.slug = '$1' AND p.state = 'active'"; }
rep_of() { q "SELECT r.id FROM reports r WHERE r.workspace_id = '$(ws_of "$1")'"; }
ds_of() { q "SELECT r.dataset_id FROM reports r WHERE r.workspace_id = '$(ws_of "$1")'"; }

# writes_since N: requests from the Nth on that change something: any
# method but GET, but tokens, the scanner's getInfo (a read) and, with
# --probe, GenerateToken (a token, not a change).
writes_since() {
	requests "[.[$1:][] | select(.method != \"GET\" and (.path | test(\"/oauth2/|/admin/workspaces/getInfo\$|/GenerateToken\$\") | not))] | length"
}

# audit_json ARGS...: run pbictl audit -o json; the tenant unchanged.
audit_json() {
	local m
	m=$(requests length)
	run --separate-stderr pbictl audit -o json "$@"
	echo "pbictl audit $*: exit $status" >&2
	echo "$output" | jq -c '{summary: .summary | {mode, complete, unchecked, findings}, findings: [.findings[] | {rule, severity, customer, item}]}' >&2 || echo "$output $stderr" >&2
	[ "$(writes_since "$m")" = 0 ]
	case " $* " in
	*" --probe "*) ;;
	*) [ "$(requests "[.[$m:][] | select(.path | endswith(\"/GenerateToken\"))] | length")" = 0 ] ;;
	esac
}

# clean [MODE...]: zero findings, exit 0, complete.
clean() {
	local mode
	for mode in ${@:-admin workspace}; do
		audit_json --mode "$mode"
		[ "$status" -eq 0 ]
		jq -e '.summary.complete and .findings == [] and .summary.findings.total == 0' <<<"$output" >/dev/null
	done
}

# only RULE SEVERITY CUSTOMER [ARGS...]: in admin and in workspace mode,
# the audit reports exactly one finding, this one ("" for no customer),
# and exits 1 for critical and error, 0 for a warning.
only() {
	local rule=$1 sev=$2 cust=$3 mode want=1
	shift 3
	[ "$sev" = warning ] && want=0
	for mode in admin workspace; do
		audit_json --mode "$mode" "$@"
		[ "$status" -eq "$want" ]
		jq -e --arg r "$rule" --arg s "$sev" --arg c "$cust" \
		    '.summary.complete and (.findings | length) == 1 and
		    .findings[0].rule == $r and .findings[0].severity == $s and
		    (.findings[0].customer // "") == $c and
		    (.findings[0].remedy | length) > 10' <<<"$output" >/dev/null
	done
}

# tenant [N]: customers a and b (or c01..cN with N), onboarded by pbictl
# into profiles and workspaces on a capacity, each with its own report
# whose dataset connects to its own database, the tenant admin and an
# admin of their own as workspace admins; the audit is clean.
tenant() {
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}] |
	    .capacities += [{\"id\": \"$CAP2\", \"displayName\": \"embedded-b\",
	    \"sku\": \"A1\", \"state\": \"Active\", \"region\": \"West Europe\",
	    \"admins\": [\"$ADMIN\"], \"assign\": [\"$APP\"]}]"
	sim_start --import-seconds 0.1 --assign-seconds 0.1
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" \
	    --capacity "$CAP" >/dev/null
	python3 "$top/tests/data/audit_data.py" pbix "$T/src" a b
	pbictl -q onboard a --report "$T/src/a/Sales.pbix" --admin "$ADMIN" \
	    --admin "$ANN" >/dev/null
	pbictl -q onboard b --report "$T/src/b/Sales.pbix" --admin "$ADMIN" \
	    --admin "$BOB" >/dev/null
	TOK=$(token)
	SP=$(state ".servicePrincipals[] | select(.appId == \"$APP\") | .id")
	WA=$(ws_of a) WB=$(ws_of b) PA=$(prof_of a) PB=$(prof_of b)
	RA=$(rep_of a) DA=$(ds_of a) DB=$(ds_of b)
	[ -n "$WA" ] && [ -n "$PB" ] && [ -n "$DA" ]
	clean
}

@test "a clean tenant of 50 customers: no finding in either mode, exit 0" {
	sim_start --import-seconds 0.1 --assign-seconds 0.1
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" \
	    --capacity "$CAP" >/dev/null
	python3 "$top/tests/data/audit_data.py" pbix "$T/src" $(seq -f 'c%02g' 1 50)
	{
		echo 'customer,display name,admin'
		for c in $(seq -f 'c%02g' 1 50); do
			echo "$c,$c,$c-admin@contoso.onmicrosoft.com"
		done
	} >"$T/c.csv"
	# One package for all is fine here: each customer's own source
	# matters only to datasource-cross-customer.
	pbictl -q --jobs 8 onboard --from "$T/c.csv" \
	    --report "$top/examples/sales.pbix" >/dev/null
	[ "$(q "SELECT count(*) FROM customers WHERE status = 'active'")" = 50 ]
	[ "$(q 'SELECT count(*) FROM customer_admins')" = 50 ]
	clean
	[ "$(jq .summary.customers <<<"$output")" = 50 ]
	# Workspace mode: five requests a customer (groups, users, reports,
	# datasets, a dataset's datasources), and a few for the tenant.
	[ "$(jq .summary.requests <<<"$output")" -le $((50 * 5 + 6)) ]
	run pbictl audit
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == "clean: 50 customers checked: 0 critical, 0 errors, 0 warnings;"*"admin mode"* ]]
}

@test "workspace-missing: a workspace deleted behind the ledger's back" {
	tenant
	api "$TOK" "$PA" DELETE "/groups/$WA"
	only workspace-missing error a
}

@test "workspace-orphan: a workspace with a customer's name the ledger lacks" {
	tenant
	api "$TOK" "$PA" POST '/groups?workspaceV2=true' '{"name":"cust-zzz"}'
	only workspace-orphan warning ""
}

@test "capacity-mismatch: a workspace taken off its capacity" {
	tenant
	api "$TOK" "$PA" POST "/groups/$WA/AssignToCapacity" \
	    '{"capacityId":"00000000-0000-0000-0000-000000000000"}'
	sleep 0.3
	api "$TOK" "$PA" GET "/groups/$WA/CapacityAssignmentStatus"
	jq -e '.status == "CompletedSuccessfully"' <<<"$BODY"
	only capacity-mismatch error a
}

@test "capacity-inactive: the customer's capacity suspended in Azure" {
	tenant
	pbictl -q capacity assign a --capacity "$CAP2" >/dev/null
	clean
	arm=$(token https://management.azure.com/.default)
	CODE=$(curl -s -o /dev/null -w '%{http_code}' -XPOST \
	    -H "Authorization: Bearer $arm" "$SIM/subscriptions/s1/resourceGroups/rg/providers/Microsoft.PowerBIDedicated/capacities/embedded-b/suspend?api-version=2021-01-01")
	[ "$CODE" = 202 ]
	only capacity-inactive error a
}

@test "member-unexpected: a user added to a customer's workspace" {
	tenant
	api "$TOK" "$PA" POST "/groups/$WA/users" \
	    '{"identifier":"eve@contoso.onmicrosoft.com","principalType":"User","groupUserAccessRight":"Viewer"}'
	only member-unexpected error a
	jq -e '.findings[0].detail | test("eve@contoso.onmicrosoft.com is a member \\(Viewer\\)")' <<<"$output"
}

@test "member-cross-customer: another customer's admin in a workspace" {
	tenant
	api "$TOK" "$PA" POST "/groups/$WA/users" \
	    "{\"identifier\":\"$BOB\",\"principalType\":\"User\",\"groupUserAccessRight\":\"Member\"}"
	only member-cross-customer critical a
	jq -e '.findings[0].detail | test("customer .b.")' <<<"$output"
}

@test "profile-missing: a customer's profile deleted" {
	tenant
	api "$TOK" - DELETE "/profiles/$PA"
	only profile-missing error a
}

@test "profile-orphan: a profile no ledger row knows" {
	tenant
	api "$TOK" - POST /profiles '{"displayName":"stray"}'
	only profile-orphan warning ""
}

@test "profile-cross-customer: a customer's profile in another's workspace" {
	tenant
	api "$TOK" "$PA" POST "/groups/$WA/users" \
	    "{\"identifier\":\"$SP\",\"principalType\":\"App\",\"groupUserAccessRight\":\"Viewer\",\"profile\":{\"id\":\"$PB\"}}"
	only profile-cross-customer critical b
	[ "$(jq -r '.findings[0].workspace' <<<"$output")" = "$WA" ]
}

@test "parent-sp-member: the service principal itself in a workspace" {
	tenant
	api "$TOK" "$PA" POST "/groups/$WA/users" \
	    "{\"identifier\":\"$SP\",\"principalType\":\"App\",\"groupUserAccessRight\":\"Member\"}"
	only parent-sp-member warning a
}

@test "binding-cross-workspace: a report bound to a dataset elsewhere" {
	tenant
	adm=$(admin_token)
	api "$adm" - POST '/groups?workspaceV2=true' '{"name":"scratch"}'
	ws=$(jq -r .id <<<"$BODY")
	CODE=$(curl -s -o "$T/body" -w '%{http_code}' -XPOST \
	    -H "Authorization: Bearer $adm" -F "file=@$top/examples/sales.pbix" \
	    "$SIM/v1.0/myorg/groups/$ws/imports?datasetDisplayName=Other.pbix&nameConflict=Abort")
	[ "$CODE" = 202 ]
	imp=$(jq -r .id "$T/body")
	for i in 1 2 3 4 5; do
		api "$adm" - GET "/groups/$ws/imports/$imp"
		[ "$(jq -r .importState <<<"$BODY")" = Succeeded ] && break
		sleep 0.2
	done
	other=$(jq -r '.datasets[0].id' <<<"$BODY")
	api "$adm" - POST "/groups/$WA/reports/$RA/Rebind" "{\"datasetId\":\"$other\"}"
	only binding-cross-workspace warning a
}

@test "binding-cross-customer: a report bound to another customer's dataset" {
	tenant
	api "$(admin_token)" - POST "/groups/$WA/reports/$RA/Rebind" \
	    "{\"datasetId\":\"$DB\"}"
	only binding-cross-customer critical a
	jq -e --arg b "$WB" '.findings[0].detail | contains($b)' <<<"$output"
}

@test "datasource-cross-customer: a dataset pointed at another's database" {
	tenant
	[ "$(q "SELECT target FROM datasources WHERE dataset_id = '$DB'")" = sql-b/sales ]
	api "$TOK" "$PA" POST "/groups/$WA/datasets/$DA/Default.UpdateDatasources" \
	    '{"updateDetails":[{"datasourceSelector":{"datasourceType":"Sql","connectionDetails":{"server":"sql-a","database":"sales"}},"connectionDetails":{"server":"sql-b","database":"sales"}}]}'
	only datasource-cross-customer critical a
	jq -e '.findings[0].detail | test("sql-b/sales, which the ledger records for customer .b.")' <<<"$output"
}

@test "report-missing: a published report deleted" {
	tenant
	api "$TOK" "$PA" DELETE "/groups/$WA/reports/$RA"
	only report-missing warning a
}

@test "report-unknown: a report the ledger does not know" {
	tenant
	api "$TOK" "$PA" POST "/groups/$WA/reports/$RA/Clone" '{"name":"Copy"}'
	only report-unknown warning a
}

@test "report-duplicate: two reports of one name" {
	tenant
	api "$TOK" "$PA" POST "/groups/$WA/reports/$RA/Clone" '{"name":"Sales"}'
	only report-duplicate warning a
}

@test "ledger-shared: one profile recorded for two customers" {
	tenant
	# The ledger is what is breached here: its own rows, by hand.
	q "UPDATE workspaces SET profile_id = '$PB' WHERE id = '$WA'"
	only ledger-shared critical a
	run pbictl ledger verify
	[ "$status" -eq 1 ]
}

@test "workspace-limit: a profile near the workspaces it may have" {
	tenant
	for i in 1 2 3 4; do
		api "$TOK" "$PA" POST '/groups?workspaceV2=true' "{\"name\":\"extra-$i\"}"
	done
	clean
	export PBICTL_WORKSPACE_LIMIT=5
	only workspace-limit warning a
}

@test "ledger-verify: the ledger's own invariants are findings" {
	sqlite_only
	tenant
	chmod 644 "$PBICTL_LEDGER"
	only ledger-verify warning ""
	jq -e '.findings[0].item | startswith("file-mode:")' <<<"$output"
}

@test "probe-cross-read: a profile that can read another's workspace" {
	tenant
	audit_json --probe
	[ "$status" -eq 0 ]
	[ "$(requests '[.[] | select(.path | endswith("/GenerateToken"))] | length')" = 2 ]
	api "$TOK" "$PB" POST "/groups/$WB/users" \
	    "{\"identifier\":\"$SP\",\"principalType\":\"App\",\"groupUserAccessRight\":\"Viewer\",\"profile\":{\"id\":\"$PA\"}}"
	for mode in admin workspace; do
		audit_json --mode "$mode" --probe
		[ "$status" -eq 1 ]
		# The membership that lets it, and the probe that proves it.
		[ "$(jq -c '[.findings[] | [.rule, .severity, .customer]]' <<<"$output")" = \
		    '[["probe-cross-read","critical","a"],["profile-cross-customer","critical","a"]]' ]
	done
}

@test "probe-cross-token: a profile that can embed another's report" {
	tenant
	api "$TOK" "$PB" POST "/groups/$WB/users" \
	    "{\"identifier\":\"$SP\",\"principalType\":\"App\",\"groupUserAccessRight\":\"Member\",\"profile\":{\"id\":\"$PA\"}}"
	audit_json --probe
	[ "$status" -eq 1 ]
	[ "$(jq -c '[.findings[] | [.rule, .severity, .customer]]' <<<"$output")" = \
	    '[["probe-cross-read","critical","a"],["probe-cross-token","critical","a"],["profile-cross-customer","critical","a"]]' ]
	# The token itself is never shown or kept.
	if grep -q '"token"' <<<"$output"; then false; fi
}

@test "auto mode: admin when allowed, else workspace, and says why" {
	tenant
	audit_json
	[ "$(jq -r .summary.mode <<<"$output")" = admin ]
	# An admin-consented Power BI grant makes the service refuse the app.
	gtok=$(admin_token https://graph.microsoft.com/.default)
	pbisp=$(state '.servicePrincipals[] | select(.appId == "00000009-0000-0000-c000-000000000000") | .id')
	CODE=$(curl -s -o /dev/null -w '%{http_code}' -XPOST -H "Authorization: Bearer $gtok" \
	    -H 'Content-Type: application/json' "$SIM/v1.0/oauth2PermissionGrants" \
	    -d "{\"clientId\":\"$SP\",\"consentType\":\"AllPrincipals\",\"resourceId\":\"$pbisp\",\"scope\":\"Dataset.Read.All\"}")
	[ "$CODE" = 201 ]
	audit_json
	[ "$status" -eq 0 ]
	[ "$(jq -r .summary.mode <<<"$output")" = workspace ]
	jq -e '.summary.modeReason | test("refused.*401.*admin-consented")' <<<"$output"
	run --separate-stderr pbictl audit --mode admin
	[ "$status" -eq 3 ]
	[[ $output == *"not checked:"*"admin/groups"*"401"* ]]
	# The tenant admin may use admin mode all the same.
	export AZURE_USERNAME=$ADMIN AZURE_PASSWORD=$ADMIN_PASSWORD
	unset AZURE_CLIENT_SECRET
	audit_json --mode admin
	[ "$status" -eq 0 ]
	jq -e '.summary.complete and .findings == []' <<<"$output"
}

@test "incomplete: admin/groups over its hourly budget, exit 3" {
	tenant
	sim_post /_sim/faults '{"adminRateLimit":1}' >/dev/null
	CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "$SIM/v1.0/myorg/admin/groups?\$top=1")
	[ "$CODE" = 200 ]
	start=$(date +%s)
	audit_json --mode admin
	[ "$status" -eq 3 ]
	# The service said an hour: no wait, no second try.
	[ $(( $(date +%s) - start )) -lt 20 ]
	jq -e '(.summary.complete | not) and (.summary.unchecked[0].why | test("429"))' <<<"$output"
	[ "$(requests '[.[] | select(.status == 429)] | length')" = 1 ]
	run pbictl audit --mode admin
	[ "$status" -eq 3 ]
	[[ $output == *"INCOMPLETE"* ]]
	run pbictl audit --mode admin -o junit
	[ "$status" -eq 3 ]
	[[ $output == *'<testcase classname="pbictl.audit" name="complete">'*'<error'* ]]
}

@test "incomplete: a scan that keeps failing with 5xx, exit 3" {
	tenant
	sim_post /_sim/faults '{"p5xx":1,"retryAfter":0,"match":"POST /v1.0/myorg/admin/workspaces/getInfo"}' >/dev/null
	audit_json --mode admin
	[ "$status" -eq 3 ]
	jq -e '(.summary.complete | not) and (.summary.unchecked[0].what | test("datasets of 2 workspaces")) and (.summary.unchecked[0].why | test("50[03]"))' <<<"$output"
	# The rest was checked: the other findings are still found.
	sim_post /_sim/faults '{"reset":true}' >/dev/null
	clean admin
}

@test "-o junit: one test case per customer, findings as failures" {
	tenant
	api "$TOK" "$PA" POST "/groups/$WA/users" \
	    "{\"identifier\":\"$BOB\",\"principalType\":\"User\",\"groupUserAccessRight\":\"Member\"}"
	api "$TOK" - POST /profiles '{"displayName":"stray"}'
	run --separate-stderr pbictl audit -o junit
	[ "$status" -eq 1 ]
	echo "$output" >"$T/audit.xml"
	python3 - "$T/audit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
cases = {c.get("name"): c for c in s.findall("testcase")}
assert sorted(cases) == ["a", "b", "tenant"], sorted(cases)
assert [f.get("type") for f in cases["a"].findall("failure")] == ["member-cross-customer"]
assert cases["b"].findall("failure") == []
# profile-orphan is a warning: below --fail-on error, not a failure
assert cases["tenant"].findall("failure") == []
assert "1 finding" in cases["tenant"].find("system-out").text
assert s.get("failures") == "1" and s.get("tests") == "3"
PY
	run pbictl audit -o junit --fail-on warning
	[ "$status" -eq 1 ]
	[[ $output == *'failures="2"'* ]]
	run --separate-stderr pbictl ledger status -o junit
	[ "$status" -eq 2 ]
	[[ $stderr == *"-o junit: only pbictl audit writes JUnit XML"* ]]
}

@test "--fail-on sets which severities fail the audit" {
	tenant
	api "$TOK" - POST /profiles '{"displayName":"stray"}'
	run pbictl audit
	[ "$status" -eq 0 ]
	run pbictl audit --fail-on warning
	[ "$status" -eq 1 ]
	run pbictl audit --fail-on none
	[ "$status" -eq 0 ]
	run --separate-stderr pbictl audit --fail-on severe
	[ "$status" -eq 2 ]
	[[ $stderr == *"--fail-on: expected critical, error, warning or none"* ]]
	run --separate-stderr pbictl audit --mode both
	[ "$status" -eq 2 ]
	run --separate-stderr pbictl audit --customer nobody
	[ "$status" -eq 1 ]
	[[ $stderr == *"no customer 'nobody' in the ledger"* ]]
}

@test "--customer audits those customers only" {
	tenant
	api "$TOK" "$PA" POST "/groups/$WA/users" \
	    '{"identifier":"eve@contoso.onmicrosoft.com","principalType":"User","groupUserAccessRight":"Viewer"}'
	api "$TOK" - POST /profiles '{"displayName":"stray"}'
	for mode in admin workspace; do
		audit_json --mode "$mode" --customer b
		[ "$status" -eq 0 ]
		jq -e '.summary.customers == 1 and .findings == [] and .summary.scope == "b"' <<<"$output"
		audit_json --mode "$mode" --customer a
		[ "$status" -eq 1 ]
		[ "$(jq -c '[.findings[].rule]' <<<"$output")" = '["member-unexpected"]' ]
	done
}

@test "the ledger records each audit; --diff shows what is new and resolved" {
	tenant
	run pbictl audit -o json --diff
	[ "$status" -eq 0 ]
	jq -e '.diff.previous.auditId >= 1 and .diff.new == [] and .diff.resolved == []' <<<"$output"
	api "$TOK" "$PA" POST "/groups/$WA/users" \
	    '{"identifier":"eve@contoso.onmicrosoft.com","principalType":"User","groupUserAccessRight":"Viewer"}'
	run pbictl audit -o json --diff
	[ "$status" -eq 1 ]
	jq -e '[.diff.new[].rule] == ["member-unexpected"] and .diff.resolved == []' <<<"$output"
	id=$(jq .summary.auditId <<<"$output")
	[ "$(q "SELECT mode || ' ' || complete || ' ' || errors || ' ' || (SELECT count(*) FROM audit_findings WHERE audit_id = $id) FROM audits WHERE id = $id")" = "admin 1 1 1" ]
	api "$TOK" "$PA" DELETE "/groups/$WA/users/eve@contoso.onmicrosoft.com"
	run pbictl audit --diff
	[ "$status" -eq 0 ]
	[[ $output == *"0 new, 1 resolved"* ]]
	[[ $output == *"resolved:"*"member-unexpected"* ]]
	# A dry run records nothing.
	n=$(q 'SELECT count(*) FROM audits')
	run pbictl --dry-run audit --mode workspace
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT count(*) FROM audits')" = "$n" ]
}

@test "--report: a self-contained page, rendered by headless Chromium" {
	local chromium
	chromium=$(command -v chromium || command -v chromium-browser || true)
	if [ -z "$chromium" ]; then
		[ -z "${CI:-}" ] || { echo "chromium is missing (make deps)"; return 1; }
		skip "chromium is not installed (make deps installs it)"
	fi
	tenant
	api "$TOK" "$PA" POST "/groups/$WA/users" \
	    "{\"identifier\":\"$BOB\",\"principalType\":\"User\",\"groupUserAccessRight\":\"Member\"}"
	api "$TOK" - POST /profiles '{"displayName":"<stray & \"odd\">"}'
	run pbictl audit --report "$T/audit.html"
	[ "$status" -eq 1 ]
	# Nothing loaded from elsewhere: no URL a browser would fetch.
	if grep -Eiq '(src|href)=|@import|url\(|<script' "$T/audit.html"; then false; fi
	grep -q '&lt;stray &amp; &quot;odd&quot;&gt;' "$T/audit.html"
	# The artifact: $T/audit.png, kept with $T when the test fails.
	opts=(--headless --no-sandbox --disable-gpu --disable-background-networking
	    --disable-component-update --disable-sync --no-first-run
	    --user-data-dir="$(mktemp -d "$T/chromium.XXXXXX")")
	timeout 120 "$chromium" "${opts[@]}" --window-size=1280,1400 \
	    --screenshot="$T/audit.png" "file://$T/audit.html" 2>"$T/chromium.err"
	[ -s "$T/audit.png" ]
	[ "$(head -c 8 "$T/audit.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	timeout 120 "$chromium" "${opts[@]}" --dump-dom "file://$T/audit.html" \
	    >"$T/dom.html" 2>>"$T/chromium.err"
	text=$(sed 's/<[^>]*>/ /g' "$T/dom.html" | tr -s ' \n' ' ')
	echo "$text" | head -c 2000 >&2
	# The summary counts, each in its place.
	for c in 'customers">2</span> customers checked' \
	    'critical">1</span> critical' 'error">0</span> errors' \
	    'warning">1</span> warnings'; do
		grep -qF "<li id=\"${c%%\"*}\"><span class=\"n\">${c#*\">}</li>" \
		    "$T/dom.html"
	done
	[[ $text == *"2 customers checked 1 critical 0 errors 1 warnings"* ]]
	[[ $text == *"member-cross-customer"*"remove the member"* ]]
	[[ $text == *"contoso.onmicrosoft.com"* ]]
	[[ $text == *"pbictl version 0."* ]]
	# Who can reach each workspace: customer a's members, bob among them.
	[[ $text == *"$BOB User"* ]]
	# A path that is no regular file is refused.
	mkfifo "$T/fifo"
	run --separate-stderr timeout 20 "$PBICTL" audit --report "$T/fifo"
	[ "$status" -eq 1 ]
	[[ $stderr == *"not a regular file"* ]]
}

@test "2,000 customers in admin mode: within 10 requests, the limits respected" {
	sqlite_only
	local sp=5e7d0c3a-9b1f-4d2e-8a6c-3f4b5a6c7d8e d n s
	d=$T/scale
	mkdir -p "$d"
	"$PBISIM" --print-seed | python3 "$top/tests/data/audit_data.py" \
	    scale 2000 "$d" "$APP" "$sp" "$CAP"
	cp "$d/seed.json" "$T/seed.json"
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" \
	    --capacity "$CAP" >/dev/null
	sqlite3 "$PBICTL_LEDGER" <"$d/ledger.sql"
	n=$(requests length)
	s=$(date +%s%N)
	audit_json --mode admin
	echo "# 2000 customers, admin mode: $(( ($(date +%s%N) - s) / 1000000 )) ms" >&3
	[ "$status" -eq 0 ]
	jq -e '.summary.complete and .summary.customers == 2000 and .findings == []' <<<"$output"
	[ "$(requests "[.[$n:][]] | length")" -le 10 ]
	[ "$(jq .summary.requests <<<"$output")" = "$(requests "[.[$n:][]] | length")" ]
	[ "$(requests "[.[$n:][] | select(.path | startswith(\"/v1.0/myorg/admin/groups\"))] | length")" = 1 ]
	[ "$(requests "[.[] | select(.status == 429)] | length")" = 0 ]
	# One workspace changed: it alone is scanned, and what changed found.
	tok=$(token)
	ws=$(q "SELECT id FROM workspaces WHERE name = 'cust-c0007'")
	prof=$(q "SELECT profile_id FROM workspaces WHERE name = 'cust-c0007'")
	ds=$(q "SELECT dataset_id FROM reports WHERE workspace_id = '$ws'")
	api "$tok" "$prof" POST "/groups/$ws/datasets/$ds/Default.TakeOver"
	api "$tok" "$prof" POST "/groups/$ws/datasets/$ds/Default.UpdateDatasources" \
	    '{"updateDetails":[{"datasourceSelector":{"datasourceType":"Sql","connectionDetails":{"server":"sql-c0007","database":"sales"}},"connectionDetails":{"server":"sql-c1999","database":"sales"}}]}'
	n=$(requests length)
	audit_json --mode admin
	[ "$status" -eq 1 ]
	[ "$(jq -c '[.findings[] | [.rule, .customer]]' <<<"$output")" = '[["datasource-cross-customer","c0007"]]' ]
	[ "$(requests "[.[$n:][]] | length")" -le 10 ]
	[ "$(requests "[.[$n:][] | select(.path | endswith(\"/getInfo\"))][0].body.workspaces | length")" = 1 ]
}
