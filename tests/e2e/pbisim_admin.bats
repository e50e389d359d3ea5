#!/usr/bin/env bats
# pbisim: the admin and scanner APIs as strict as the service (api-facts
# 3.9, 7): who may call them, their documented limits per tenant, the
# routes an audit reads, what changed since when, datasource details,
# Default.UpdateDatasources, and capacities suspended through ARM.
bats_require_minimum_version 1.5.0

load sim_helper

setup_file() {
	python3 "$SIM_ROOT/tests/data/sim/mkpbix.py" "$BATS_FILE_TMPDIR/pbix"
	PBIX="$BATS_FILE_TMPDIR/pbix"
	export PBIX
	sim_setup_file
}
teardown_file() { sim_teardown_file; }
setup() {
	sim_reset
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
}

# codes N PATH: GET PATH N times in one curl; the statuses, one a line.
codes() {
	local n=$1 p=$2 a=() i
	for i in $(seq "$n"); do
		a+=(-o /dev/null "$SIM/v1.0/myorg$p")
	done
	curl -s -w '%{http_code}\n' -H "Authorization: Bearer $PBI_TOKEN" "${a[@]}"
}

# tally: "count code" lines of the statuses on stdin.
tally() { sort | uniq -c | awk '{ printf "%s %s\n", $1, $2 }' | tr '\n' ' '; }

@test "a service principal with admin-consented Power BI permissions is refused" {
	local d="$BATS_TEST_TMPDIR/consent"
	pbi GET "/admin/groups?\$top=10"
	[ "$CODE" = 200 ]
	mkdir -p "$d"
	jq ".oauth2PermissionGrants = [{\"clientId\": \"$SP1\", \"consentType\": \"AllPrincipals\", \"resourceId\": \"$PBI_SP\", \"scope\": \"Tenant.Read.All\"}, {\"clientId\": \"$SP2\", \"consentType\": \"Principal\", \"principalId\": \"99999999-0000-4000-8000-000000000001\", \"resourceId\": \"$PBI_SP\", \"scope\": \"Tenant.Read.All\"}]" \
	    "$SIM_SEED" >"$d/seed.json"
	sim_start "$d" --seed "$d/seed.json"
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	for p in "/admin/groups?\$top=10" /admin/capacities /admin/profiles \
	    "/admin/groups/$WS1/users" /admin/workspaces/modified; do
		pbi GET "$p"
		echo "$p -> $CODE $BODY"
		[ "$CODE" = 401 ]
		echo "$BODY" | jq -e '.error.code == "PowerBINotAuthorizedException"'
	done
	pbi POST /admin/workspaces/getInfo "{\"workspaces\":[\"$WS1\"]}"
	[ "$CODE" = 401 ]
	# Its other APIs are not affected; a consent for one user is no
	# admin consent; the tenant admin may.
	pbi GET /groups
	[ "$CODE" = 200 ]
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	pbi GET "/admin/groups?\$top=10"
	local admin=$CODE
	sim_stop "$d"
	[ "$admin" = 200 ]
	# An application permission (app role) on Power BI is one too.
	jq ".appRoleAssignments = [{\"principalId\": \"$SP1\", \"resourceId\": \"$PBI_SP\", \"appRoleId\": \"654b31ae-d941-4e22-8798-7add8fdf049f\"}]" \
	    "$SIM_SEED" >"$d/seed.json"
	sim_start "$d" --seed "$d/seed.json"
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	pbi GET "/admin/groups?\$top=10"
	sim_stop "$d"
	[ "$CODE" = 401 ]
}

@test "admin/groups: 15 a minute and 50 an hour for the tenant, with Retry-After" {
	local out i
	out=$(codes 16 "/admin/groups?\$top=1" | tally)
	[ "$out" = "15 200 1 429 " ]
	pbi GET "/admin/groups?\$top=1"
	[ "$CODE" = 429 ]
	echo "$BODY" | jq -e '(.message | test("^You have exceeded the amount of requests allowed in the current time frame and further requests will fail. Retry in [0-9]+ seconds\\.$")) and (has("error") | not)'
	[ "$(header Retry-After)" -ge 1 ] && [ "$(header Retry-After)" -le 60 ]
	[[ $BODY == *"Retry in $(header Retry-After) seconds."* ]]
	# Another principal counts against the same tenant.
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	pbi GET "/admin/groups?\$top=1"
	[ "$CODE" = 429 ]
	# A minute later: 15 more, three times, then 5: 50 in the hour.
	for i in 1 2; do
		sim_clock 61
		[ "$(codes 15 "/admin/groups?\$top=1" | tally)" = "15 200 " ]
	done
	sim_clock 61
	[ "$(codes 5 "/admin/groups?\$top=1" | tally)" = "5 200 " ]
	sim_clock 61
	pbi GET "/admin/groups?\$top=1"
	[ "$CODE" = 429 ]
	[ "$(header Retry-After)" -gt 3000 ]
	# An hour after the first call, room again.
	sim_clock "$(header Retry-After)"
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	pbi GET "/admin/groups?\$top=1"
	[ "$CODE" = 200 ]
}

@test "the other admin routes keep their hourly limits" {
	local scan
	[ "$(codes 201 "/admin/groups/$WS1/users" | tally)" = "200 200 1 429 " ]
	[ "$(codes 201 /admin/capacities | tally)" = "200 200 1 429 " ]
	[ "$(codes 201 "/admin/profiles?\$top=10" | tally)" = "200 200 1 429 " ]
	[ "$(codes 31 /admin/workspaces/modified | tally)" = "30 200 1 429 " ]
	pbi POST /admin/workspaces/getInfo "{\"workspaces\":[\"$WS1\"]}"
	scan=$(echo "$BODY" | jq -r .id)
	pbi GET "/admin/workspaces/scanStatus/$scan"
	pbi GET "/admin/workspaces/scanStatus/$scan"
	echo "$BODY" | jq -e '.status == "Succeeded"'
	[ "$(codes 501 "/admin/workspaces/scanResult/$scan" | tally)" = "500 200 1 429 " ]
	for i in $(seq 499); do
		echo "-o /dev/null"
		echo "url = \"$SIM/v1.0/myorg/admin/workspaces/getInfo\""
	done >"$BATS_TEST_TMPDIR/getinfo"
	[ "$(curl -s -w '%{http_code}\n' -H "Authorization: Bearer $PBI_TOKEN" \
	    -H 'Content-Type: application/json' -d "{\"workspaces\":[\"$WS1\"]}" \
	    -K "$BATS_TEST_TMPDIR/getinfo" | tally)" = "499 202 " ]
	pbi POST /admin/workspaces/getInfo "{\"workspaces\":[\"$WS1\"]}"
	[ "$CODE" = 429 ]
	# A route's budget is its own: admin/groups still answers.
	pbi GET "/admin/groups?\$top=1"
	[ "$CODE" = 200 ]
}

@test "adminRateLimit replaces the hourly budget of admin/groups; -1 lifts them" {
	sim_faults '{"adminRateLimit":-1}'
	[ "$(codes 20 "/admin/groups?\$top=1" | tally)" = "20 200 " ]
	sim_faults '{"adminRateLimit":3}'
	[ "$(codes 4 "/admin/groups?\$top=1" | tally)" = "3 200 1 429 " ]
}

@test "admin/groups/{id}/users, admin/capacities and admin/profiles" {
	pbi POST /profiles '{"displayName":"p1"}'
	pbi GET "/admin/groups/$WS1/users"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e --arg sp "$SP1" '.value == [{"groupUserAccessRight":"Admin","identifier":$sp,"principalType":"App","graphId":$sp}]'
	pbi GET /admin/groups/ee000000-0000-4000-8000-00000000ffff/users
	[ "$CODE" = 404 ]
	pbi GET /admin/capacities
	[ "$CODE" = 200 ]
	# Every capacity, the ones the app may not assign too, with state.
	echo "$BODY" | jq -e '[.value[] | [.displayName, .state]] == [["active-a1","Active"],["paused-a2","Suspended"],["not-mine","Active"]]'
	pbi GET /admin/profiles
	echo "$BODY" | jq -e --arg sp "$SP1" '[.value[] | {displayName, servicePrincipalId}] == [{"displayName":"p1","servicePrincipalId":$sp}]'
	pbi POST "/admin/groups/$WS1/users" '{}'
	[ "$CODE" = 404 ]
}

@test "admin/workspaces/modified: only what changed since, within 30 min to 30 days" {
	local since
	# Everything the seed holds changed when it was loaded.
	pbi GET /admin/workspaces/modified
	echo "$BODY" | jq -e 'length == 2'
	sim_clock 7200
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	since=$(date -u -d "@$(( $(date +%s) + 7200 - 3600 ))" +%Y-%m-%dT%H:%M:%SZ)
	pbi GET "/admin/workspaces/modified?modifiedSince=$since"
	[ "$CODE" = 200 ]
	[ "$BODY" = "[]" ]
	pbi PATCH "/groups/$WS1" '{"name":"renamed"}'
	[ "$CODE" = 200 ]
	pbi GET "/admin/workspaces/modified?modifiedSince=$since"
	echo "$BODY" | jq -e --arg ws "$WS1" '. == [{"id":$ws}]'
	# A member added is a change too; a GET is none.
	pbi GET "/groups/$WS1/users"
	pbi POST "/groups/$WS1/users" '{"identifier":"user@sim.onmicrosoft.com","groupUserAccessRight":"Viewer","principalType":"User"}'
	pbi GET "/admin/workspaces/modified?modifiedSince=$since"
	echo "$BODY" | jq -e 'length == 1'
	since=$(date -u -d "@$(( $(date +%s) + 7200 - 600 ))" +%Y-%m-%dT%H:%M:%SZ)
	pbi GET "/admin/workspaces/modified?modifiedSince=$since"
	[ "$CODE" = 400 ]
	since=$(date -u -d "@$(( $(date +%s) + 7200 - 31 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
	pbi GET "/admin/workspaces/modified?modifiedSince=$since"
	[ "$CODE" = 400 ]
}

@test "admin/workspaces/modified: a hostile date is a 400, the emulator lives on" {
	local d
	# This one overflowed the date arithmetic (the sanitizer build died).
	for d in -555455555-455-4555566c 99999999999-01-01T00:00:00Z \
	    2024-02-30T00:00:00Z 2024-01-01T25:00:00Z 2024-01-01T00:00:00Zx; do
		pbi GET "/admin/workspaces/modified?modifiedSince=$d"
		echo "$d -> $CODE $BODY"
		[ "$CODE" = 400 ]
		echo "$BODY" | jq -e '.error.code == "InvalidRequest"'
	done
	pbi GET /admin/workspaces/modified
	[ "$CODE" = 200 ]
}

@test "scanResult with datasourceDetails names each dataset's datasources" {
	local ws imp scan inst
	pbi POST '/groups?workspaceV2=true' '{"name":"scanned"}'
	ws=$(echo "$BODY" | jq -r .id)
	pbi POST "/groups/$ws/imports?datasetDisplayName=Rls.pbix" '' -F "file=@$PBIX/rls.pbix"
	imp=$(echo "$BODY" | jq -r .id)
	pbi GET "/groups/$ws/imports/$imp"
	sim_clock 2
	pbi GET "/groups/$ws/imports/$imp"
	echo "$BODY" | jq -e '.importState == "Succeeded"'
	pbi POST "/admin/workspaces/getInfo?datasourceDetails=true" "{\"workspaces\":[\"$ws\"]}"
	[ "$CODE" = 202 ]
	scan=$(echo "$BODY" | jq -r .id)
	pbi GET "/admin/workspaces/scanStatus/$scan"
	pbi GET "/admin/workspaces/scanStatus/$scan"
	pbi GET "/admin/workspaces/scanResult/$scan"
	[ "$CODE" = 200 ]
	inst=$(echo "$BODY" | jq -r '.workspaces[0].datasets[0].datasourceUsages[0].datasourceInstanceId')
	echo "$BODY" | jq -e --arg i "$inst" '.datasourceInstances == [.datasourceInstances[0]] and .datasourceInstances[0].datasourceId == $i and .datasourceInstances[0].datasourceType == "Sql" and .datasourceInstances[0].connectionDetails == {"server":"sql-a","database":"sales"}'
	# Without it, neither.
	pbi POST /admin/workspaces/getInfo "{\"workspaces\":[\"$ws\"]}"
	scan=$(echo "$BODY" | jq -r .id)
	pbi GET "/admin/workspaces/scanStatus/$scan"
	pbi GET "/admin/workspaces/scanStatus/$scan"
	pbi GET "/admin/workspaces/scanResult/$scan"
	echo "$BODY" | jq -e '.datasourceInstances == [] and (.workspaces[0].datasets[0] | has("datasourceUsages") | not)'
}

@test "Default.UpdateDatasources: the owner changes what a dataset connects to" {
	local ws imp ds body
	pbi POST '/groups?workspaceV2=true' '{"name":"moved"}'
	ws=$(echo "$BODY" | jq -r .id)
	pbi POST "/groups/$ws/users" '{"identifier":"admin@sim.onmicrosoft.com","groupUserAccessRight":"Admin","principalType":"User"}'
	pbi POST "/groups/$ws/imports?datasetDisplayName=Rls.pbix" '' -F "file=@$PBIX/rls.pbix"
	imp=$(echo "$BODY" | jq -r .id)
	pbi GET "/groups/$ws/imports/$imp"
	sim_clock 2
	pbi GET "/groups/$ws/imports/$imp"
	ds=$(echo "$BODY" | jq -r '.datasets[0].id')
	body='{"updateDetails":[{"datasourceSelector":{"datasourceType":"Sql","connectionDetails":{"server":"sql-a","database":"sales"}},"connectionDetails":{"server":"sql-z","database":"sales"}}]}'
	# Not the owner: refused; no match: refused; neither changes it.
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	pbi POST "/groups/$ws/datasets/$ds/Default.UpdateDatasources" "$body"
	[ "$CODE" = 400 ]
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	pbi POST "/groups/$ws/datasets/$ds/Default.UpdateDatasources" "${body/sql-a/sql-q}"
	[ "$CODE" = 400 ]
	pbi GET "/groups/$ws/datasets/$ds/Default.GetBoundGatewayDatasources"
	[ "$(echo "$BODY" | jq -r '.value[0].connectionDetails | fromjson | .server')" = sql-a ]
	pbi POST "/groups/$ws/datasets/$ds/Default.UpdateDatasources" "$body"
	[ "$CODE" = 200 ]
	pbi GET "/groups/$ws/datasets/$ds/Default.GetBoundGatewayDatasources"
	[ "$(echo "$BODY" | jq -r '.value[0].connectionDetails | fromjson | .server')" = sql-z ]
}

@test "ARM: a capacity suspended and resumed (Microsoft.PowerBIDedicated)" {
	local arm
	arm=$(tok_app "$APP1" s3cret-one https://management.azure.com/.default)
	call GET "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.PowerBIDedicated/capacities/active-a1?api-version=2021-01-01" -H "Authorization: Bearer $arm"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.type == "Microsoft.PowerBIDedicated/capacities" and .properties.state == "Succeeded" and .sku.name == "A1"'
	call POST "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.PowerBIDedicated/capacities/active-a1/suspend?api-version=2021-01-01" -H "Authorization: Bearer $arm"
	[ "$CODE" = 202 ]
	pbi GET /capacities
	echo "$BODY" | jq -e '[.value[] | select(.displayName == "active-a1") | .state] == ["Suspended"]'
	call GET "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.PowerBIDedicated/capacities/active-a1?api-version=2021-01-01" -H "Authorization: Bearer $arm"
	echo "$BODY" | jq -e '.properties.state == "Paused"'
	call POST "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.PowerBIDedicated/capacities/active-a1/resume?api-version=2021-01-01" -H "Authorization: Bearer $arm"
	[ "$CODE" = 202 ]
	pbi GET /capacities
	echo "$BODY" | jq -e '[.value[] | select(.displayName == "active-a1") | .state] == ["Active"]'
	# A Power BI token is no ARM token; an unknown capacity; no version.
	call POST "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.PowerBIDedicated/capacities/active-a1/suspend?api-version=2021-01-01" -H "Authorization: Bearer $PBI_TOKEN"
	[ "$CODE" = 401 ]
	call GET "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.PowerBIDedicated/capacities/nope?api-version=2021-01-01" -H "Authorization: Bearer $arm"
	[ "$CODE" = 404 ]
	call GET "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.PowerBIDedicated/capacities/active-a1" -H "Authorization: Bearer $arm"
	[ "$CODE" = 400 ]
}
