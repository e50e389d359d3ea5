#!/usr/bin/env bats
# pbisim: Power BI REST myorg subset (api-facts 3 and 6).

bats_require_minimum_version 1.5.0

load sim_helper

setup_file() {
	python3 "$SIM_ROOT/tests/data/sim/mkpbix.py" "$BATS_FILE_TMPDIR/pbix"
	PBIX="$BATS_FILE_TMPDIR/pbix"
	export PBIX
	sim_setup_file --import-seconds 1 --assign-seconds 3
	PBI_TOKEN0=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	export PBI_TOKEN0
}
teardown_file() { sim_teardown_file; }
setup() {
	sim_reset
	PBI_TOKEN=$PBI_TOKEN0
}

# upload WS FILE NAME [MODE]: multipart import with a part named "file".
upload() {
	pbi POST "/groups/$1/imports?datasetDisplayName=$3&nameConflict=${4:-Ignore}" '' \
	    -F "file=@$2"
}

# import_done WS ID: poll once, advance the clock, poll until settled.
import_done() {
	pbi GET "/groups/$1/imports/$2"
	sim_clock 2
	pbi GET "/groups/$1/imports/$2"
}

new_ws() {
	pbi POST '/groups?workspaceV2=true' "{\"name\":\"$1\"}"
	[ "$CODE" = 200 ]
	WS=$(echo "$BODY" | jq -r .id)
}

@test "auth: no token, Graph token, expired token" {
	call GET /v1.0/myorg/groups
	[ "$CODE" = 403 ]
	[ -z "$BODY" ]
	[ "$(header x-powerbi-error-info)" = InvalidToken ]
	call GET /v1.0/myorg/groups -H "Authorization: Bearer $(tok_app "$APP1" s3cret-one "$GRAPH_SCOPE")"
	[ "$CODE" = 403 ]
	[ "$(header x-powerbi-error-info)" = InvalidToken ]
	sim_clock 3600
	pbi GET /groups
	[ "$CODE" = 403 ]
	[ "$(header x-powerbi-error-info)" = TokenExpired ]
	echo "$BODY" | jq -e '.error.code == "TokenExpired" and .error.message == "Access token has expired, resubmit with a new access token"'
}

@test "groups: create returns one object, 409 on duplicate name" {
	pbi POST '/groups?workspaceV2=true' '{"name":"cust-acme"}'
	[ "$CODE" = 200 ]
	[ -n "$(header RequestId)" ]
	echo "$BODY" | jq -e 'has("value") | not'
	echo "$BODY" | jq -e '.name == "cust-acme" and .isOnDedicatedCapacity == false and .type == "Workspace" and .isReadOnly == false'
	pbi POST '/groups?workspaceV2=true' '{"name":"CUST-ACME"}'
	[ "$CODE" = 409 ]
	echo "$BODY" | jq -e '.error.code == "PowerBIEntityAlreadyExists"'
}

@test "groups: list, \$filter, \$top/\$skip, @odata.count, only member workspaces" {
	new_ws alpha
	new_ws beta
	pbi GET /groups
	echo "$BODY" | jq -e '.["@odata.context"] | endswith("$metadata#groups")'
	echo "$BODY" | jq -e '.["@odata.count"] == 3 and ([.value[].name] | index("someone-else") == null)'
	pbi GET "/groups?\$filter=name%20eq%20'beta'"
	echo "$BODY" | jq -e '.value | length == 1 and .[0].name == "beta"'
	pbi GET "/groups?\$filter=contains(name,'ph')"
	echo "$BODY" | jq -e '[.value[].name] == ["alpha"]'
	pbi GET "/groups?\$top=1&\$skip=1"
	echo "$BODY" | jq -e '.value | length == 1 and .[0].name == "alpha"'
}

@test "groups: non-member gets 401 PowerBINotAuthorizedException; PATCH, DELETE" {
	pbi GET "/groups/$WS_OTHER"
	[ "$CODE" = 401 ]
	echo "$BODY" | jq -e '.error.code == "PowerBINotAuthorizedException" and .error["pbi.error"].code == "PowerBINotAuthorizedException" and (.error | has("message") | not)'
	new_ws gamma
	pbi PATCH "/groups/$WS" '{"name":"gamma2"}'
	[ "$CODE" = 200 ]
	[ -z "$BODY" ]
	pbi GET "/groups/$WS"
	echo "$BODY" | jq -e '.name == "gamma2"'
	pbi DELETE "/groups/$WS"
	[ "$CODE" = 200 ]
	pbi GET "/groups/$WS"
	[ "$CODE" = 404 ]
}

@test "group users: add App by SP object id, duplicate, appId refused, delete" {
	new_ws users-ws
	pbi POST "/groups/$WS/users" "{\"identifier\":\"$SP2\",\"groupUserAccessRight\":\"Member\",\"principalType\":\"App\"}"
	[ "$CODE" = 200 ]
	pbi POST "/groups/$WS/users" "{\"identifier\":\"$SP2\",\"groupUserAccessRight\":\"Member\",\"principalType\":\"App\"}"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error.code == "AddingAlreadyExistsGroupUserNotSupportedError"'
	pbi POST "/groups/$WS/users" "{\"identifier\":\"$APP2\",\"groupUserAccessRight\":\"Member\",\"principalType\":\"App\"}"
	[ "$CODE" = 400 ]
	pbi POST "/groups/$WS/users" "{\"identifier\":\"user@sim.onmicrosoft.com\",\"groupUserAccessRight\":\"Viewer\",\"principalType\":\"User\"}"
	[ "$CODE" = 200 ]
	pbi PUT "/groups/$WS/users" "{\"identifier\":\"user@sim.onmicrosoft.com\",\"groupUserAccessRight\":\"Contributor\",\"principalType\":\"User\"}"
	[ "$CODE" = 200 ]
	pbi GET "/groups/$WS/users"
	echo "$BODY" | jq -e '.value | length == 3'
	echo "$BODY" | jq -e '.value | map(select(.principalType == "User"))[0].groupUserAccessRight == "Contributor"'
	pbi DELETE "/groups/$WS/users/$SP2"
	[ "$CODE" = 200 ]
	pbi GET "/groups/$WS/users"
	echo "$BODY" | jq -e '.value | length == 2'
}

@test "profiles: SP only; a profile sees only its own workspaces" {
	local p1 p2 ws
	pbi POST /profiles '{"displayName":"cust-a"}'
	[ "$CODE" = 200 ]
	p1=$(echo "$BODY" | jq -r .id)
	pbi POST /profiles '{"displayName":"cust-b"}'
	p2=$(echo "$BODY" | jq -r .id)
	pbi GET "/profiles?\$filter=displayName%20eq%20'cust-b'"
	echo "$BODY" | jq -e --arg p "$p2" '.value == [{"id": $p, "displayName": "cust-b"}]'
	pbi POST '/groups?workspaceV2=true' '{"name":"ws-a"}' -H "X-PowerBI-Profile-Id: $p1"
	[ "$CODE" = 200 ]
	ws=$(echo "$BODY" | jq -r .id)
	pbi GET /groups '' -H "x-powerbi-profile-id: $p1"
	echo "$BODY" | jq -e '[.value[].name] == ["ws-a"]'
	pbi GET /groups '' -H "X-PowerBI-Profile-Id: $p2"
	echo "$BODY" | jq -e '.value == []'
	pbi GET "/groups/$ws" '' -H "X-PowerBI-Profile-Id: $p2"
	[ "$CODE" = 401 ]
	pbi GET "/groups/$ws"
	[ "$CODE" = 401 ]
	pbi GET "/groups/$ws/users" '' -H "X-PowerBI-Profile-Id: $p1"
	echo "$BODY" | jq -e --arg p "$p1" '.value[0].profile.id == $p and .value[0].identifier == env.SP1'
	pbi GET /groups '' -H 'X-PowerBI-Profile-Id: 12345678-1234-4234-8234-123456789012'
	[ "$CODE" = 404 ]
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	pbi GET /profiles
	[ "$CODE" = 401 ]
}

@test "capacities: only assignable ones, with the caller's right" {
	pbi GET /capacities
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '[.value[].id] | sort == ([env.CAP_OK, env.CAP_SUSP] | sort)'
	echo "$BODY" | jq -e '.value[0] | has("sku") and has("state") and has("region") and .capacityUserAccessRight == "Assign"'
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	pbi GET /capacities
	echo "$BODY" | jq -e '[.value[] | select(.capacityUserAccessRight == "Admin")] | length == 1'
}

@test "AssignToCapacity is asynchronous on the sim clock" {
	new_ws assign-ws
	pbi POST "/groups/$WS/AssignToCapacity" "{\"capacityId\":\"$CAP_OK\"}"
	[ "$CODE" = 200 ]
	[ -z "$BODY" ]
	pbi GET "/groups/$WS/CapacityAssignmentStatus"
	echo "$BODY" | jq -e '.status == "Pending"'
	pbi GET "/groups/$WS"
	echo "$BODY" | jq -e '.isOnDedicatedCapacity == false and (has("capacityId") | not)'
	sim_clock 2
	pbi GET "/groups/$WS/CapacityAssignmentStatus"
	echo "$BODY" | jq -e '.status == "InProgress"'
	sim_clock 2
	pbi GET "/groups/$WS/CapacityAssignmentStatus"
	echo "$BODY" | jq -e '.status == "CompletedSuccessfully" and .capacityId == env.CAP_OK'
	pbi GET "/groups/$WS"
	echo "$BODY" | jq -e '.isOnDedicatedCapacity == true and .capacityId == env.CAP_OK'
	pbi POST "/groups/$WS/AssignToCapacity" '{"capacityId":"00000000-0000-0000-0000-000000000000"}'
	sim_clock 4
	pbi GET "/groups/$WS"
	echo "$BODY" | jq -e '.isOnDedicatedCapacity == false'
}

@test "assignment: suspended fails, foreign capacity 401, stuck stays InProgress" {
	new_ws assign-ws2
	pbi POST "/groups/$WS/AssignToCapacity" "{\"capacityId\":\"$CAP_SUSP\"}"
	[ "$CODE" = 200 ]
	sim_clock 4
	pbi GET "/groups/$WS/CapacityAssignmentStatus"
	echo "$BODY" | jq -e '.status == "AssignmentFailed"'
	pbi POST "/groups/$WS/AssignToCapacity" "{\"capacityId\":\"$CAP_OTHER\"}"
	[ "$CODE" = 401 ]
	sim_faults '{"assignStuck":1}'
	pbi POST "/groups/$WS/AssignToCapacity" "{\"capacityId\":\"$CAP_OK\"}"
	sim_clock 60
	pbi GET "/groups/$WS/CapacityAssignmentStatus"
	echo "$BODY" | jq -e '.status == "InProgress"'
}

@test "import: 202, Publishing with empty lists, then Succeeded" {
	local id
	new_ws imp-ws
	upload "$WS" "$PBIX/plain.pbix" Sales.pbix
	[ "$CODE" = 202 ]
	id=$(echo "$BODY" | jq -r .id)
	echo "$BODY" | jq -e 'keys == ["id"]'
	pbi GET "/groups/$WS/imports/$id"
	echo "$BODY" | jq -e '.importState == "Publishing" and .reports == [] and .datasets == []'
	pbi GET "/groups/$WS/imports/$id"
	echo "$BODY" | jq -e '.importState == "Publishing"'
	sim_clock 2
	pbi GET "/groups/$WS/imports/$id"
	echo "$BODY" | jq -e '.importState == "Succeeded" and .name == "Sales"'
	echo "$BODY" | jq -e '.reports[0].name == "Sales" and .datasets[0].name == "Sales"'
	echo "$BODY" | jq -e '.reports[0].datasetId == .datasets[0].id'
	pbi GET "/groups/$WS/imports"
	echo "$BODY" | jq -e '.value | length == 1'
	pbi GET "/groups/$WS/reports"
	echo "$BODY" | jq -e '.value[0].embedUrl | startswith("https://app.powerbi.com/reportEmbed?reportId=")'
}

@test "import: any single part (unnamed, or without headers)" {
	local f="$BATS_TEST_TMPDIR/mp"
	new_ws parts-ws
	{ printf -- '--XyZ\r\nContent-Disposition: form-data\r\nContent-Type: application/octet-stream\r\n\r\n'
	  cat "$PBIX/plain.pbix"; printf -- '\r\n--XyZ--\r\n'; } >"$f"
	pbi POST "/groups/$WS/imports?datasetDisplayName=A.pbix" '' \
	    -H 'Content-Type: multipart/form-data; boundary=XyZ' --data-binary "@$f"
	[ "$CODE" = 202 ]
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	echo "$BODY" | jq -e '.importState == "Succeeded"'
	{ printf -- '--XyZ\r\n\r\n'; cat "$PBIX/plain.pbix"; printf -- '\r\n--XyZ--\r\n'; } >"$f"
	pbi POST "/groups/$WS/imports?datasetDisplayName=B.pbix" '' \
	    -H 'Content-Type: multipart/form-data; boundary=XyZ' --data-binary "@$f"
	[ "$CODE" = 202 ]
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	echo "$BODY" | jq -e '.importState == "Succeeded"'
	pbi GET "/groups/$WS/reports/$(echo "$BODY" | jq -r '.reports[0].id')/Export" 
	cmp "$BATS_TEST_TMPDIR/body" "$PBIX/plain.pbix"
}

@test "import: a non-zip upload ends Failed" {
	new_ws bad-ws
	upload "$WS" "$PBIX/notzip.pbix" Bad.pbix
	[ "$CODE" = 202 ]
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	echo "$BODY" | jq -e '.importState == "Failed" and (.error.code | length > 0)'
	pbi GET "/groups/$WS/datasets"
	echo "$BODY" | jq -e '.value == []'
}

@test "nameConflict: Abort, Overwrite, CreateOrOverwrite, GenerateUniqueName, Ignore" {
	local ds
	new_ws nc-ws
	upload "$WS" "$PBIX/plain.pbix" Sales.pbix Overwrite
	[ "$CODE" = 404 ]
	echo "$BODY" | jq -e '.error.code == "DuplicatePackageNotFoundError" and .error["pbi.error"].parameters.DuplicatePackagesFullMatch == null'
	upload "$WS" "$PBIX/plain.pbix" Sales.pbix Abort
	[ "$CODE" = 202 ]
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	ds=$(echo "$BODY" | jq -r '.datasets[0].id')
	upload "$WS" "$PBIX/plain.pbix" Sales.pbix Abort
	[ "$CODE" = 409 ]
	upload "$WS" "$PBIX/rls.pbix" Sales.pbix Overwrite
	[ "$CODE" = 202 ]
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	[ "$(echo "$BODY" | jq -r '.datasets[0].id')" = "$ds" ]
	echo "$BODY" | jq -e '.datasets[0].isEffectiveIdentityRequired == true'
	upload "$WS" "$PBIX/plain.pbix" Sales.pbix CreateOrOverwrite
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	[ "$(echo "$BODY" | jq -r '.datasets[0].id')" = "$ds" ]
	upload "$WS" "$PBIX/plain.pbix" Sales.pbix GenerateUniqueName
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	echo "$BODY" | jq -e '.datasets[0].name == "Sales (2)"'
	upload "$WS" "$PBIX/plain.pbix" Sales.pbix Ignore
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	pbi GET "/groups/$WS/datasets"
	echo "$BODY" | jq -e '[.value[] | select(.name == "Sales")] | length == 2'
	upload "$WS" "$PBIX/plain.pbix" Sales.pbix Overwrite
	[ "$CODE" = 409 ]
	echo "$BODY" | jq -e '.error.code == "MoreThanOneDuplicatePackageFoundError"'
	upload "$WS" "$PBIX/plain.pbix" Sales.pbix Bogus
	[ "$CODE" = 400 ]
}

@test "temporary upload location: PascalCase, blocks, blocklist, fileUrl import" {
	local url half
	new_ws big-ws
	pbi POST "/groups/$WS/imports/createTemporaryUploadLocation"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e 'has("Url") and has("ExpirationTime") and (has("url") | not)'
	url=$(echo "$BODY" | jq -r .Url)
	head -c 200 "$PBIX/rls.pbix" >"$BATS_TEST_TMPDIR/b1"
	tail -c +201 "$PBIX/rls.pbix" >"$BATS_TEST_TMPDIR/b2"
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'x-ms-blob-type: BlockBlob' --data-binary "@$BATS_TEST_TMPDIR/b1" "$url&comp=block&blockid=QUFB")" = 201 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary "@$BATS_TEST_TMPDIR/b2" "$url&comp=block&blockid=QkJC")" = 201 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'x-ms-blob-content-type: application/x-zip-compressed' --data-binary '<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>QUFB</Latest><Latest>QkJC</Latest></BlockList>' "$url&comp=blocklist")" = 201 ]
	pbi POST "/groups/$WS/imports?datasetDisplayName=Big.pbix&nameConflict=CreateOrOverwrite" "{\"fileUrl\":\"$url\"}"
	[ "$CODE" = 202 ]
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	echo "$BODY" | jq -e '.importState == "Succeeded" and .datasets[0].name == "Big"'
	pbi GET "/groups/$WS/reports/$(echo "$BODY" | jq -r '.reports[0].id')/Export" 
	cmp "$BATS_TEST_TMPDIR/body" "$PBIX/rls.pbix"
}

@test "reports: get, clone, rebind, delete" {
	local rid
	pbi GET "/groups/$WS1/reports/$REP_RLS"
	echo "$BODY" | jq -e '.reportType == "PowerBIReport" and .datasetId == env.DS_RLS'
	pbi POST "/groups/$WS1/reports/$REP_RLS/Clone" '{"name":"Copy"}'
	[ "$CODE" = 200 ]
	rid=$(echo "$BODY" | jq -r .id)
	pbi POST "/groups/$WS1/reports/$rid/Rebind" "{\"datasetId\":\"$DS_PLAIN\"}"
	[ "$CODE" = 200 ]
	pbi GET "/groups/$WS1/reports/$rid"
	echo "$BODY" | jq -e '.datasetId == env.DS_PLAIN and .name == "Copy"'
	pbi DELETE "/groups/$WS1/reports/$rid"
	[ "$CODE" = 200 ]
	pbi GET "/groups/$WS1/reports/$rid"
	[ "$CODE" = 404 ]
}

@test "datasets: camelCase, parameters, ownership, gateway datasources, refresh" {
	local gw src
	new_ws ds-ws
	upload "$WS" "$PBIX/rls.pbix" Rls.pbix
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	DS=$(echo "$BODY" | jq -r '.datasets[0].id')
	pbi GET "/groups/$WS/datasets"
	echo "$BODY" | jq -e '.value[0] | .isEffectiveIdentityRequired == true and .isEffectiveIdentityRolesRequired == true and .configuredBy == env.APP1 and has("isRefreshable") and has("addRowsAPIEnabled")'
	pbi GET "/groups/$WS/datasets/$DS/parameters"
	echo "$BODY" | jq -e '.value == [{"name":"Server","type":"Text","isRequired":true,"currentValue":"sql-a"}]'
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	pbi POST "/groups/$WS/users" '{"identifier":"admin@sim.onmicrosoft.com","groupUserAccessRight":"Admin","principalType":"User"}'
	[ "$CODE" = 401 ]
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	pbi POST "/groups/$WS/users" '{"identifier":"admin@sim.onmicrosoft.com","groupUserAccessRight":"Admin","principalType":"User"}'
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	pbi POST "/groups/$WS/datasets/$DS/Default.UpdateParameters" '{"updateDetails":[{"name":"Server","newValue":"sql-b"}]}'
	[ "$CODE" = 400 ]
	pbi POST "/groups/$WS/datasets/$DS/Default.TakeOver"
	[ "$CODE" = 200 ]
	pbi POST "/groups/$WS/datasets/$DS/Default.UpdateParameters" '{"updateDetails":[{"name":"server","newValue":"sql-b"}]}'
	[ "$CODE" = 400 ]
	pbi POST "/groups/$WS/datasets/$DS/Default.UpdateParameters" '{"updateDetails":[{"name":"Server","newValue":"sql-b"}]}'
	[ "$CODE" = 200 ]
	pbi GET "/groups/$WS/datasets/$DS/parameters"
	echo "$BODY" | jq -e '.value[0].currentValue == "sql-b"'
	pbi GET "/groups/$WS/datasets/$DS/Default.GetBoundGatewayDatasources"
	echo "$BODY" | jq -e '.value[0].datasourceType == "Sql" and (.value[0].connectionDetails | fromjson | .server == "sql-a")'
	gw=$(echo "$BODY" | jq -r '.value[0].gatewayId')
	src=$(echo "$BODY" | jq -r '.value[0].id')
	pbi PATCH "/gateways/$gw/datasources/$src" '{"credentialDetails":{"credentialType":"Basic","credentials":"{\"credentialData\":[]}","encryptedConnection":"Encrypted","encryptionAlgorithm":"None","privacyLevel":"None"}}'
	[ "$CODE" = 200 ]
	curl -sf "$SIM/_sim/state" >"$BATS_TEST_TMPDIR/state"
	refute_in credentialData "$BATS_TEST_TMPDIR/state"
	pbi POST "/groups/$WS/datasets/$DS/refreshes" '{"notifyOption":"NoNotification"}'
	[ "$CODE" = 202 ]
	sim_clock 2
	pbi GET "/groups/$WS/datasets/$DS/refreshes?\$top=1"
	echo "$BODY" | jq -e '.value[0].status == "Completed" and .value[0].refreshType == "ViaApi"'
}

@test "GenerateToken V2: RLS rules, limits, lifetime, opaque token" {
	local exp aadexp
	pbi POST /GenerateToken "{\"reports\":[{\"id\":\"$REP_RLS\"}],\"datasets\":[{\"id\":\"$DS_RLS\"}]}"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e --arg m "Creating embed token for accessing dataset $DS_RLS requires effective identity to be provided" '.error.message == $m'
	pbi POST /GenerateToken "{\"datasets\":[{\"id\":\"$DS_PLAIN\"}],\"identities\":[{\"username\":\"u\",\"roles\":[\"Region\"],\"datasets\":[\"$DS_PLAIN\"]}]}"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error.message | endswith("shouldn'"'"'t have effective identity")'
	pbi POST /GenerateToken "{\"reports\":[{\"id\":\"$REP_RLS\"}],\"identities\":[{\"username\":\"u\",\"roles\":[\"Region\"],\"datasets\":[\"$DS_RLS\"]}],\"lifetimeInMinutes\":10}"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '(.token | split(".") | length) == 1 and (.tokenId | length == 36)'
	exp=$(echo "$BODY" | jq -r '.expiration | fromdateiso8601')
	[ $((exp - $(date +%s))) -le 600 ]
	[ $((exp - $(date +%s))) -ge 590 ]
	sim_clock 3000
	pbi POST /GenerateToken "{\"reports\":[{\"id\":\"$REP_PLAIN\"}]}"
	[ "$CODE" = 200 ]
	exp=$(echo "$BODY" | jq -r '.expiration | fromdateiso8601')
	aadexp=$(( $(date +%s) + 599 ))
	[ $((exp - 3000)) -le "$aadexp" ]
	pbi POST /GenerateToken "{\"reports\":$(jq -cn '[range(51) | {id: env.REP_PLAIN}]')}"
	[ "$CODE" = 400 ]
}

@test "GenerateToken: every item's workspace needs membership; V1 route" {
	local f
	f=$(curl -sf "$SIM/_sim/state" | jq -r .workspaces[1].id)
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	pbi POST /GenerateToken "{\"reports\":[{\"id\":\"$REP_PLAIN\"}]}"
	[ "$CODE" = 401 ]
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	pbi POST "/groups/$WS1/reports/$REP_PLAIN/GenerateToken" '{"accessLevel":"View"}'
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e 'has("token") and has("tokenId") and has("expiration")'
	pbi POST "/groups/$WS1/reports/$REP_RLS/GenerateToken" '{"accessLevel":"View"}'
	[ "$CODE" = 400 ]
}

@test "service principals have no My workspace" {
	pbi GET /reports
	[ "$CODE" = 401 ]
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	pbi GET /reports
	[ "$CODE" = 200 ]
}

@test "admin groups: \$top required, \$expand, rate limit with bare message" {
	pbi GET /admin/groups
	[ "$CODE" = 400 ]
	pbi GET "/admin/groups?\$top=5000&\$expand=users,reports,datasets"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.value | length == 2 and (.[0] | has("users") and has("reports") and has("datasets") and .state == "Active")'
	PBI_TOKEN=$(tok_user user@sim.onmicrosoft.com UserPass1 "$PBI_SCOPE" || true)
	sim_faults '{"adminRateLimit":2}'
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	pbi GET "/admin/groups?\$top=1"
	pbi GET "/admin/groups?\$top=1"
	[ "$CODE" = 200 ]
	pbi GET "/admin/groups?\$top=1"
	[ "$CODE" = 429 ]
	echo "$BODY" | jq -e '(.message | test("Retry in [0-9]+ seconds\\.$")) and (has("error") | not)'
	[ "$(header Retry-After)" -gt 3000 ]
}

@test "scanner: getInfo 202, Running, Succeeded, result" {
	local id
	pbi POST /admin/workspaces/getInfo "{\"workspaces\":[\"$WS1\"]}"
	[ "$CODE" = 202 ]
	echo "$BODY" | jq -e '.status == "NotStarted"'
	id=$(echo "$BODY" | jq -r .id)
	pbi GET "/admin/workspaces/scanResult/$id"
	[ "$CODE" = 400 ]
	pbi GET "/admin/workspaces/scanStatus/$id"
	echo "$BODY" | jq -e '.status == "Running"'
	pbi GET "/admin/workspaces/scanStatus/$id"
	echo "$BODY" | jq -e '.status == "Succeeded"'
	pbi GET "/admin/workspaces/scanResult/$id"
	echo "$BODY" | jq -e '.workspaces[0].id == env.WS1 and (.workspaces[0].reports | length == 2)'
	pbi POST /admin/workspaces/getInfo '{"workspaces":[]}'
	[ "$CODE" = 400 ]
}

@test "tenant switch scoped to a security group; membership via Graph" {
	local d="$BATS_TEST_TMPDIR/sg"
	mkdir -p "$d"
	jq '.powerBI.servicePrincipalGroup = env.SECGROUP' "$SIM_SEED" >"$d/seed.json"
	sim_start "$d" --seed "$d/seed.json"
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	GRAPH_TOKEN=$(tok_app "$APP1" s3cret-one "$GRAPH_SCOPE")
	pbi GET /groups
	local c1=$CODE
	graph POST "/groups/$SECGROUP/members/\$ref" "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/$SP1\"}"
	pbi GET /groups
	local c2=$CODE
	sim_stop "$d"
	[ "$c1" = 401 ]
	[ "$c2" = 200 ]
}

@test "workspace cap per service principal and per profile" {
	local d="$BATS_TEST_TMPDIR/cap" p
	mkdir -p "$d"
	jq '.tenant.workspaceLimit = 3' "$SIM_SEED" >"$d/seed.json"
	sim_start "$d" --seed "$d/seed.json"
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	pbi POST '/groups?workspaceV2=true' '{"name":"c1"}'
	pbi POST '/groups?workspaceV2=true' '{"name":"c2"}'
	pbi POST '/groups?workspaceV2=true' '{"name":"c3"}'
	local c3=$CODE
	pbi POST '/groups?workspaceV2=true' '{"name":"c4"}'
	local c4=$CODE
	pbi POST /profiles '{"displayName":"p"}'
	p=$(echo "$BODY" | jq -r .id)
	pbi POST '/groups?workspaceV2=true' '{"name":"c5"}' -H "X-PowerBI-Profile-Id: $p"
	local c5=$CODE
	pbi DELETE "/profiles/$p"
	pbi GET "/groups?\$filter=name%20eq%20'c5'"
	sim_stop "$d"
	[ "$c3" = 200 ]
	[ "$c4" = 400 ]
	[ "$c5" = 200 ]
	echo "$BODY" | jq -e '.value == []'
}

@test "admin groups: the orphan filter of api-facts 3.9" {
	local a b f
	new_ws orphan-empty
	a=$WS
	pbi DELETE "/groups/$a/users/$SP1"
	[ "$CODE" = 200 ]
	new_ws orphan-viewer
	b=$WS
	pbi POST "/groups/$b/users" '{"identifier":"user@sim.onmicrosoft.com","groupUserAccessRight":"Viewer","principalType":"User"}'
	pbi DELETE "/groups/$b/users/$SP1"
	f="(not users/any()) or (not users/any(u: u/groupUserAccessRight eq Microsoft.PowerBI.ServiceContracts.Api.GroupUserAccessRight'Admin'))"
	pbi GET "/admin/groups?\$top=100&\$filter=$(jq -rn --arg f "$f" '$f | @uri')"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '[.value[].name] | sort == ["orphan-empty", "orphan-viewer"]'
	pbi GET "/admin/groups?\$top=100&\$filter=name%20eq%20'seeded'"
	echo "$BODY" | jq -e '[.value[].name] == ["seeded"]'
}

@test "routes: 405 for a method the swagger does not define, 404 below a served path" {
	local ds rep gw src scan unknown p
	new_ws strict-ws
	upload "$WS" "$PBIX/rls.pbix" Rls.pbix
	import_done "$WS" "$(echo "$BODY" | jq -r .id)"
	ds=$(echo "$BODY" | jq -r '.datasets[0].id')
	rep=$(echo "$BODY" | jq -r '.reports[0].id')
	pbi GET "/groups/$WS/datasets/$ds/Default.GetBoundGatewayDatasources"
	gw=$(echo "$BODY" | jq -r '.value[0].gatewayId')
	src=$(echo "$BODY" | jq -r '.value[0].id')
	pbi POST /admin/workspaces/getInfo "{\"workspaces\":[\"$WS\"]}"
	[ "$CODE" = 202 ]
	scan=$(echo "$BODY" | jq -r .id)
	# 405 in the Power BI error shape, with Allow and RequestId, no effect
	for p in "GET /groups/$WS/datasets/$ds/Default.TakeOver" \
	    "PATCH /groups/$WS/datasets/$ds/parameters" \
	    "POST /admin/workspaces/scanStatus/$scan" \
	    "PUT /gateways/$gw/datasources/$src"; do
		pbi ${p% *} "${p#* }" '{}'
		echo "$p -> $CODE $BODY"
		[ "$CODE" = 405 ]
		echo "$BODY" | jq -e '.error.code == "MethodNotAllowed" and (.error.message | length > 0)'
		[ -n "$(header RequestId)" ]
		[ -n "$(header Allow)" ]
	done
	[ "$(header Allow)" = "GET, DELETE, PATCH" ]
	pbi GET "/admin/workspaces/scanStatus/$scan"
	echo "$BODY" | jq -e '.status == "Running"'
	pbi GET "/gateways/$gw/datasources/$src"
	[ "$CODE" = 200 ]
	# extra segments answer exactly what an unknown route does
	pbi GET /no-such-route
	[ "$CODE" = 404 ]
	unknown=$BODY
	echo "$unknown" | jq -e '.error.code == "NotFound"'
	for p in "/capacities/$CAP_OK/Workloads" "/groups/$WS/reports/$rep/pages/x"; do
		pbi GET "$p"
		echo "$p -> $CODE $BODY"
		[ "$CODE" = 404 ]
		[ "$BODY" = "$unknown" ]
		[ -n "$(header RequestId)" ]
	done
}

@test "user tokens need each route's delegated scope; app tokens none" {
	local d="$BATS_TEST_TMPDIR/scp" n st out
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	pbi POST /groups '{"name":"by-the-admin"}'
	[ "$CODE" = 200 ]
	pbi GET "/admin/groups?\$top=1"
	[ "$CODE" = 200 ]
	# App one's registration requests workspace reads only, no
	# Workspace.ReadWrite.All, no Tenant.Read.All.
	mkdir -p "$d"
	jq '(.applications[0].requiredResourceAccess[] | select(.resourceAppId == "00000009-0000-0000-c000-000000000000")).resourceAccess =
	    [{"value": "Workspace.Read.All", "type": "Scope"}, {"value": "Report.Read.All", "type": "Scope"}]' \
	    "$SIM_SEED" >"$d/seed.json"
	sim_start "$d" --seed "$d/seed.json"
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	out=""
	pbi GET /groups
	out+="$CODE "
	pbi POST /groups '{"name":"by-the-admin"}'
	out+="$CODE "
	echo "$BODY" | jq -e '.error.code == "PowerBINotAuthorizedException"'
	pbi GET "/admin/groups?\$top=1"
	out+="$CODE "
	pbi GET "/groups/$WS_OTHER/reports"
	out+="$CODE "
	pbi GET "/groups/$WS_OTHER/datasets"
	out+="$CODE "
	pbi POST "/groups/$WS_OTHER/users" '{"identifier":"user@sim.onmicrosoft.com","groupUserAccessRight":"Viewer","principalType":"User"}'
	out+="$CODE "
	pbi GET /capacities
	out+="$CODE"
	# The app's own token carries no scopes and needs none.
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	pbi POST /groups '{"name":"by-the-app"}'
	n=$CODE
	st=$(curl -sf "$SIM/_sim/state")
	sim_stop "$d"
	echo "$out / $n"
	[ "$out" = "200 401 401 200 401 401 401" ]
	[ "$n" = 200 ]
	jq -e '[.workspaces[].name] | (index("by-the-admin") == null) and (index("by-the-app") != null)' <<<"$st"
	jq -e '[.workspaces[] | select(.id == env.WS_OTHER) | ._users[].identifier] == ["admin@sim.onmicrosoft.com"]' <<<"$st"
}
