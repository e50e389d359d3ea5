#!/usr/bin/env bats
# pbisim: Microsoft Graph v1.0 subset (api-facts 2).

bats_require_minimum_version 1.5.0

load sim_helper

setup_file() {
	sim_setup_file
	GRAPH_TOKEN=$(tok_app "$APP1" s3cret-one "$GRAPH_SCOPE")
	export GRAPH_TOKEN
}
teardown_file() { sim_teardown_file; }
setup() { sim_reset; }

@test "create, get and filter applications" {
	local id appid
	graph POST /applications '{"displayName":"made by test"}'
	[ "$CODE" = 201 ]
	echo "$BODY" | jq -e '.["@odata.context"] | endswith("$metadata#applications/$entity")'
	id=$(echo "$BODY" | jq -r .id)
	appid=$(echo "$BODY" | jq -r .appId)
	[ "$id" != "$appid" ]
	graph GET "/applications/$id"
	[ "$CODE" = 200 ]
	graph GET "/applications?\$filter=appId%20eq%20'$appid'"
	echo "$BODY" | jq -e --arg a "$appid" '.value | length == 1 and .[0].appId == $a'
	echo "$BODY" | jq -e '.["@odata.context"] | endswith("#applications")'
	graph GET "/applications(appId='$appid')"
	[ "$CODE" = 200 ]
}

@test "addPassword returns secretText once; it works; never stored in clear" {
	local secret
	graph POST "/applications(appId='$APP1')/addPassword" '{"passwordCredential":{"displayName":"ci"}}'
	[ "$CODE" = 200 ]
	secret=$(echo "$BODY" | jq -r .secretText)
	echo "$BODY" | jq -e '.hint == (.secretText[0:3]) and (.keyId | length == 36) and .displayName == "ci"'
	[ "$(tok_app "$APP1" "$secret" "$PBI_SCOPE" | cut -c1-3)" = eyJ ]
	graph GET "/applications/a0000000-0000-4000-8000-000000000001"
	echo "$BODY" | jq -e '[.passwordCredentials[].secretText] | all(. == null)'
	curl -sf "$SIM/_sim/state" >"$BATS_TEST_TMPDIR/state"
	refute_in "$secret" "$BATS_TEST_TMPDIR/state" "$SIM_DIR/requests.log"
}

@test "service principal: create, duplicate 409, filter, get" {
	local id
	graph POST /servicePrincipals "{\"appId\":\"$APP3\"}"
	[ "$CODE" = 201 ]
	id=$(echo "$BODY" | jq -r .id)
	echo "$BODY" | jq -e '.appDisplayName == "no sp app" and .servicePrincipalNames == [env.APP3]'
	graph POST /servicePrincipals "{\"appId\":\"$APP3\"}"
	[ "$CODE" = 409 ]
	echo "$BODY" | jq -e '.error.code == "Request_MultipleObjectsWithSameKeyValue"'
	echo "$BODY" | jq -e '.error.innerError["request-id"] | length == 36'
	graph GET "/servicePrincipals?\$filter=appId%20eq%20'00000009-0000-0000-c000-000000000000'"
	echo "$BODY" | jq -e '.value[0].id == env.PBI_SP'
	echo "$BODY" | jq -e '.value[0].oauth2PermissionScopes | map(.value) | index("Workspace.ReadWrite.All") != null'
	echo "$BODY" | jq -e '.value[0].oauth2PermissionScopes | map(select(.value == "Dataset.ReadWrite.All"))[0].id == "7f33e027-4039-419b-938e-2f8ca153e68e"'
	graph GET "/servicePrincipals/$id"
	[ "$CODE" = 200 ]
}

@test "replication delay: 404 by id, missing from lists, NoBackingApplicationObject" {
	local id appid
	sim_faults '{"replicationDelay":30}'
	graph POST /applications '{"displayName":"fresh"}'
	[ "$CODE" = 201 ]
	id=$(echo "$BODY" | jq -r .id)
	appid=$(echo "$BODY" | jq -r .appId)
	graph GET "/applications/$id"
	[ "$CODE" = 404 ]
	echo "$BODY" | jq -e '.error.code == "Request_ResourceNotFound"'
	graph GET "/applications?\$filter=appId%20eq%20'$appid'"
	echo "$BODY" | jq -e '.value == []'
	graph POST /servicePrincipals "{\"appId\":\"$appid\"}"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error.code == "Request_BadRequest" and .error.details[0].code == "NoBackingApplicationObject" and .error.details[0].target == "appId"'
	sim_clock 31
	graph GET "/applications/$id"
	[ "$CODE" = 200 ]
	graph POST /servicePrincipals "{\"appId\":\"$appid\"}"
	[ "$CODE" = 201 ]
}

@test "grants: create, 409, filter, PATCH replaces scope (204), DELETE" {
	local id body
	body="{\"clientId\":\"$SP1\",\"consentType\":\"AllPrincipals\",\"principalId\":null,\"resourceId\":\"$PBI_SP\",\"scope\":\"Dataset.Read.All\"}"
	graph POST /oauth2PermissionGrants "$body"
	[ "$CODE" = 201 ]
	id=$(echo "$BODY" | jq -r .id)
	[[ "$id" =~ ^[A-Za-z0-9_-]{40,}$ ]]
	echo "$BODY" | jq -e '.consentType == "AllPrincipals" and .principalId == null'
	graph POST /oauth2PermissionGrants "$body"
	[ "$CODE" = 409 ]
	echo "$BODY" | jq -e '.error.code == "Request_MultipleObjectsWithSameKeyValue"'
	graph GET "/oauth2PermissionGrants?\$filter=clientId%20eq%20'$SP1'%20and%20consentType%20eq%20'AllPrincipals'"
	echo "$BODY" | jq -e '.value | length == 1'
	graph GET "/oauth2PermissionGrants?\$filter=clientId%20eq%20'$SP2'"
	echo "$BODY" | jq -e '.value | length == 0'
	graph PATCH "/oauth2PermissionGrants/$id" '{"scope":"Workspace.ReadWrite.All Dataset.ReadWrite.All"}'
	[ "$CODE" = 204 ]
	[ -z "$BODY" ]
	graph GET "/oauth2PermissionGrants/$id"
	echo "$BODY" | jq -e '.scope == "Workspace.ReadWrite.All Dataset.ReadWrite.All"'
	graph DELETE "/oauth2PermissionGrants/$id"
	[ "$CODE" = 204 ]
	graph GET "/oauth2PermissionGrants/$id"
	[ "$CODE" = 404 ]
}

@test "a Principal grant lets a non-admin user get a delegated token" {
	graph POST /oauth2PermissionGrants "{\"clientId\":\"$SP1\",\"consentType\":\"Principal\",\"principalId\":\"99999999-0000-4000-8000-000000000003\",\"resourceId\":\"$PBI_SP\",\"scope\":\"Report.Read.All\"}"
	[ "$CODE" = 201 ]
	token_call -d grant_type=password -d "client_id=$APP1" \
	    -d username=user@sim.onmicrosoft.com -d password=UserPass1 \
	    --data-urlencode "scope=$PBI_SCOPE"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.scope == "https://analysis.windows.net/powerbi/api/Report.Read.All"'
}

@test "paging: \$top and an opaque @odata.nextLink keeping the filter" {
	local i next n=0 seen=""
	for i in 1 2 3 4 5; do
		graph POST /applications "{\"displayName\":\"page-$i\"}"
	done
	graph GET "/applications?\$top=2&\$filter=displayName%20eq%20'page-3'"
	echo "$BODY" | jq -e '.value | length == 1'
	echo "$BODY" | jq -e 'has("@odata.nextLink") | not'
	graph GET "/applications?\$top=2"
	while :; do
		n=$((n + $(echo "$BODY" | jq '.value | length')))
		next=$(echo "$BODY" | jq -r '.["@odata.nextLink"] // empty')
		[ -n "$next" ] || break
		[[ "$next" == *'$skiptoken='* && "$next" == *'$top=2'* ]]
		call GET "${next#$SIM}" -H "Authorization: Bearer $GRAPH_TOKEN"
		[ "$CODE" = 200 ]
	done
	[ "$n" -eq 8 ]
	graph GET "/applications?\$top=1000"
	[ "$CODE" = 400 ]
}

@test "group membership via members/\$ref" {
	graph POST "/groups/$SECGROUP/members/\$ref" "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/$SP1\"}"
	[ "$CODE" = 204 ]
	graph POST "/groups/$SECGROUP/members/\$ref" "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/$SP1\"}"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error.message | contains("already exist")'
	graph GET "/groups/$SECGROUP/members"
	echo "$BODY" | jq -e '.value[0].id == env.SP1 and .value[0]["@odata.type"] == "#microsoft.graph.servicePrincipal"'
}

@test "Graph refuses Power BI tokens, bad signatures and expired tokens" {
	local pbitok
	pbitok=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	call GET /v1.0/applications -H "Authorization: Bearer $pbitok"
	[ "$CODE" = 401 ]
	echo "$BODY" | jq -e '.error.code == "InvalidAuthenticationToken"'
	call GET /v1.0/applications -H "Authorization: Bearer ${GRAPH_TOKEN%.*}.${pbitok##*.}"
	[ "$CODE" = 401 ]
	sim_clock 3600
	graph GET /applications
	[ "$CODE" = 401 ]
	echo "$BODY" | jq -e '.error.message | contains("expired")'
}

# claim TOKEN JQ: JQ of the token's claims.
claim() {
	local s
	s=$(cut -d. -f2 <<<"$1" | tr '_-' '/+')
	while [ $((${#s} % 4)) -ne 0 ]; do
		s="$s="
	done
	base64 -d <<<"$s" | jq -c "$2"
}

# denied: the last answer is Graph's 403 Authorization_RequestDenied.
denied() {
	[ "$CODE" = 403 ] &&
	    echo "$BODY" | jq -e '.error.code == "Authorization_RequestDenied" and
	    .error.message == "Insufficient privileges to complete the operation." and
	    (.error.innerError["request-id"] | length == 36)'
}

# The ids of the Graph app roles app one holds in the seed.
APPRW=1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9
GRANTRW=8e8e4742-1d95-4f68-9d56-6ee75648c72a
MEMBERRW=dbaae8cf-10b5-4b86-a4a1-f871c94c6695

@test "app tokens carry their Graph app roles; each route needs one, else 403" {
	local d="$BATS_TEST_TMPDIR/roles" role
	[ "$(claim "$GRAPH_TOKEN" '.roles')" = '["Application.ReadWrite.All","DelegatedPermissionGrant.ReadWrite.All","GroupMember.ReadWrite.All"]' ]
	# App roles on Graph are no roles for Power BI.
	[ "$(claim "$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")" 'has("roles")')" = false ]
	mkdir -p "$d"
	jq '.appRoleAssignments = []' "$SIM_SEED" >"$d/seed.json"
	sim_start "$d" --seed "$d/seed.json"
	GRAPH_TOKEN=$(tok_app "$APP1" s3cret-one "$GRAPH_SCOPE")
	[ "$(claim "$GRAPH_TOKEN" 'has("roles")')" = false ]
	graph POST /applications '{"displayName":"no roles"}'
	denied
	graph GET /applications
	denied
	graph GET /servicePrincipals
	denied
	graph POST /servicePrincipals "{\"appId\":\"$APP3\"}"
	denied
	graph GET /oauth2PermissionGrants
	denied
	graph POST /oauth2PermissionGrants "{\"clientId\":\"$SP1\",\"consentType\":\"AllPrincipals\",\"resourceId\":\"$PBI_SP\",\"scope\":\"Report.Read.All\"}"
	denied
	graph POST "/applications(appId='$APP1')/addPassword" '{"passwordCredential":{}}'
	denied
	graph POST "/groups/$SECGROUP/members/\$ref" "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/$SP1\"}"
	denied
	graph GET "/users/$ADMIN"
	denied
	local st
	st=$(curl -sf "$SIM/_sim/state")
	sim_stop "$d"
	jq -e '([.applications[] | select(.displayName == "no roles")] | length == 0) and
	    (.oauth2PermissionGrants == []) and (.groups[0]._members == []) and
	    ([.servicePrincipals[] | select(.appId == env.APP3)] | length == 0) and
	    ([.applications[] | select(.appId == env.APP1) | .passwordCredentials[]] | length == 2)' <<<"$st"
	# Each role opens its own routes only.
	for role in $APPRW $GRANTRW $MEMBERRW; do
		jq --arg r "$role" '.appRoleAssignments |= map(select(.appRoleId == $r))' \
		    "$SIM_SEED" >"$d/seed.json"
		sim_start "$d" --seed "$d/seed.json"
		GRAPH_TOKEN=$(tok_app "$APP1" s3cret-one "$GRAPH_SCOPE")
		local a g m
		graph POST /applications '{"displayName":"one role"}'
		a=$CODE
		graph POST /oauth2PermissionGrants "{\"clientId\":\"$SP1\",\"consentType\":\"AllPrincipals\",\"resourceId\":\"$PBI_SP\",\"scope\":\"Report.Read.All\"}"
		g=$CODE
		graph POST "/groups/$SECGROUP/members/\$ref" "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/$SP1\"}"
		m=$CODE
		sim_stop "$d"
		echo "$role: $a $g $m"
		case $role in
		$APPRW) [ "$a $g $m" = "201 403 403" ] ;;
		$GRANTRW) [ "$a $g $m" = "403 201 403" ] ;;
		$MEMBERRW) [ "$a $g $m" = "403 403 204" ] ;;
		esac
	done
}

@test "user tokens: a delegated scope to read, and a directory role to write" {
	local d="$BATS_TEST_TMPDIR/users" tok
	# The tenant admin is a Global Administrator and holds the scopes
	# app one's registration requests.
	tok=$(tok_user "$ADMIN" AdminPass1 "$GRAPH_SCOPE")
	[ "$(claim "$tok" '.wids')" = '["62e90394-69f5-4237-9190-012177145e10"]' ]
	[ "$(claim "$tok" '.scp')" = '"User.Read User.ReadBasic.All Application.ReadWrite.All DelegatedPermissionGrant.ReadWrite.All GroupMember.ReadWrite.All"' ]
	GRAPH_TOKEN=$tok graph POST /applications '{"displayName":"by the admin"}'
	[ "$CODE" = 201 ]
	# A user with the scope but no directory role may read, not write.
	graph POST /oauth2PermissionGrants "{\"clientId\":\"$SP1\",\"consentType\":\"Principal\",\"principalId\":\"99999999-0000-4000-8000-000000000003\",\"resourceId\":\"$GRAPH_SP\",\"scope\":\"User.Read Application.ReadWrite.All\"}"
	[ "$CODE" = 201 ]
	tok=$(tok_user user@sim.onmicrosoft.com UserPass1 "$GRAPH_SCOPE")
	[ "$(claim "$tok" 'has("wids")')" = false ]
	GRAPH_TOKEN=$tok graph GET /applications
	[ "$CODE" = 200 ]
	GRAPH_TOKEN=$tok graph POST /applications '{"displayName":"by a user"}'
	denied
	GRAPH_TOKEN=$tok graph GET /oauth2PermissionGrants
	denied
	GRAPH_TOKEN=$tok graph GET /me
	[ "$CODE" = 200 ]
	# The same user as Cloud Application Administrator may write.
	mkdir -p "$d"
	jq '(.users[] | select(.userPrincipalName == "user@sim.onmicrosoft.com")).directoryRoles = ["Cloud Application Administrator"]
	    | .oauth2PermissionGrants = [{"clientId": env.SP1, "consentType": "Principal",
	      "principalId": "99999999-0000-4000-8000-000000000003", "resourceId": env.GRAPH_SP,
	      "scope": "User.Read Application.ReadWrite.All"}]' "$SIM_SEED" >"$d/seed.json"
	sim_start "$d" --seed "$d/seed.json"
	tok=$(tok_user user@sim.onmicrosoft.com UserPass1 "$GRAPH_SCOPE")
	GRAPH_TOKEN=$tok graph POST /applications '{"displayName":"by a user"}'
	local code=$CODE
	# Its scope is no grant scope: that role needs DelegatedPermissionGrant.
	GRAPH_TOKEN=$tok graph POST /oauth2PermissionGrants "{\"clientId\":\"$SP1\",\"consentType\":\"AllPrincipals\",\"resourceId\":\"$PBI_SP\",\"scope\":\"Report.Read.All\"}"
	local gcode=$CODE
	sim_stop "$d"
	[ "$(claim "$tok" '.wids')" = '["158c047a-c907-4556-b7ef-446551a6b5f7"]' ]
	[ "$code" = 201 ]
	[ "$gcode" = 403 ]
}
