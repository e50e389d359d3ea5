#!/usr/bin/env bats
# The permissions pbictl's documentation names (pbictl-sp(1),
# pbictl-grant(1), pbictl-audit(1) PERMISSIONS) are what makes each
# command pass against pbisim, which checks them as the services do: the
# demo app's registration requests them, so the tenant admin signed in
# through it holds them.  Without any one of them the command that needs
# it fails with the service's refusal, naming the call and its request
# id, and writes nothing.
bats_require_minimum_version 1.5.0

load cli_helper

GROUP=c3a4f0e2-7b8d-4e1f-9a6c-2d5e8f1b3a70

setup() {
	cli_setup
	as_admin
}
teardown() { cli_teardown; }

# without SCOPE [JQ]: the demo seed, its app registration not requesting
# the delegated permission SCOPE (then JQ applied).
without() {
	sim_seed "(.applications[0].requiredResourceAccess[].resourceAccess) |=
	    map(select(.value != \"$1\")) | ${2:-.}"
}

# refused CALL STATUS CODE: stderr names the refused call, the status and
# code, and a request id the request log shows with that status.
refused() {
	local id
	[[ "$stderr" == *"$2 $3"*"[$1]"*"(request id "* ]]
	id=$(sed -n 's/.*(request id \([0-9a-f-]*\)).*/\1/p' <<<"$stderr" | tail -1)
	[ "$(requests "[.[] | select(.requestId == \"$id\") | .status] | join(\",\")")" = "$2" ]
}

# app_sp: how many service principals the demo app has.
app_sp() {
	state "[.servicePrincipals[] | select(.appId == \"$APP\")] | length"
}

@test "the documented permissions: sp ensure, grant ensure and an admin audit pass" {
	sim_start
	demo_ledger
	run pbictl auth status -o json
	[ "$status" -eq 0 ]
	# The admin's Graph token holds what the registration requests.
	[ "$(jq -r '.tokens[0].scopes | join(" ")' <<<"$output")" = \
	    "User.Read User.ReadBasic.All Application.ReadWrite.All DelegatedPermissionGrant.ReadWrite.All GroupMember.ReadWrite.All" ]
	[ "$(jq -r '.tokens[1].scopes | join(" ")' <<<"$output")" = Tenant.Read.All ]
	run pbictl sp ensure --security-group "$GROUP"
	[ "$status" -eq 0 ]
	run pbictl grant ensure
	[ "$status" -eq 0 ]
	run pbictl grant ensure --consent "user:$ADMIN" --graph-scopes '' \
	    --powerbi-scopes Tenant.Read.All
	[ "$status" -eq 0 ]
	run pbictl audit --mode admin
	[ "$status" -eq 0 ]
	[ "$(requests '[.[] | select(.status == 403 or .status == 401)] | length')" = 0 ]
}

@test "without Application.ReadWrite.All, sp ensure is refused (403) and creates nothing" {
	without Application.ReadWrite.All
	sim_start
	demo_ledger
	run --separate-stderr pbictl sp ensure
	[ "$status" -eq 1 ]
	refused "GET /v1.0/servicePrincipals" 403 Authorization_RequestDenied
	[ "$(app_sp)" = 0 ]
	[ "$(writes)" = 0 ]
}

@test "without GroupMember.ReadWrite.All, joining the security group is refused (403)" {
	without GroupMember.ReadWrite.All
	sim_start
	demo_ledger
	run --separate-stderr pbictl sp ensure --security-group "$GROUP"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"403 Authorization_RequestDenied"*"/v1.0/groups/$GROUP/members"* ]]
	[ "$(state ".groups[] | select(.id == \"$GROUP\") | ._members | length")" = 0 ]
	# The rest of sp ensure needs no group permission.
	run pbictl sp ensure
	[ "$status" -eq 0 ]
	[ "$(app_sp)" = 1 ]
}

@test "without DelegatedPermissionGrant.ReadWrite.All, grant ensure is refused (403)" {
	without DelegatedPermissionGrant.ReadWrite.All
	sim_start
	demo_ledger
	run pbictl sp ensure
	[ "$status" -eq 0 ]
	run --separate-stderr pbictl grant ensure
	[ "$status" -eq 1 ]
	refused "GET /v1.0/oauth2PermissionGrants" 403 Authorization_RequestDenied
	[ "$(state '.oauth2PermissionGrants | length')" = 0 ]
	[ "$(count POST '^/v1.0/oauth2PermissionGrants$')" = 0 ]
}

@test "a signed-in user without an admin directory role cannot set up the tenant" {
	# The scopes, consented for her alone, but no directory role; then
	# the role that allows it.
	local seed='.servicePrincipals = [{"appId": "11111111-2222-4333-8444-555555555555",
	    "id": "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a"}]
	    | .wellKnownServicePrincipals.graph = {"id": "8e0d9c3b-1a2f-4e4d-9b8a-7c6d5e4f3a2b"}
	    | .users += [{"userPrincipalName": "ops@contoso.onmicrosoft.com",
	        "id": "0b5e1d3c-2a4f-4e6d-8c7b-9a0f1e2d3c4b", "password": "Ops-Passw0rd!"}]
	    | .oauth2PermissionGrants = [{"clientId": "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a",
	        "consentType": "Principal", "principalId": "0b5e1d3c-2a4f-4e6d-8c7b-9a0f1e2d3c4b",
	        "resourceId": "8e0d9c3b-1a2f-4e4d-9b8a-7c6d5e4f3a2b",
	        "scope": "User.Read Application.ReadWrite.All"}]'
	sim_seed "$seed"
	sim_start
	demo_ledger
	export AZURE_USERNAME=ops@contoso.onmicrosoft.com AZURE_PASSWORD=Ops-Passw0rd!
	# Reading needs no role: every member may read the directory.
	run pbictl sp show
	[ "$status" -eq 0 ]
	run --separate-stderr pbictl sp ensure --create-app "ops app"
	[ "$status" -eq 1 ]
	refused "POST /v1.0/applications" 403 Authorization_RequestDenied
	[ "$(state '[.applications[] | select(.displayName == "ops app")] | length')" = 0 ]
	sim_stop
	sim_seed "$seed | (.users[] | select(.userPrincipalName | startswith(\"ops@\"))).directoryRoles = [\"Cloud Application Administrator\"]"
	sim_start
	run pbictl sp ensure --create-app "ops app"
	[ "$status" -eq 0 ]
	[ "$(state '[.applications[] | select(.displayName == "ops app")] | length')" = 1 ]
}

@test "without Tenant.Read.All, the admin audit is refused; a consent for the admin alone mends it" {
	without Tenant.Read.All '.servicePrincipals = [{"appId": "11111111-2222-4333-8444-555555555555"}]'
	sim_start
	demo_ledger
	run --separate-stderr pbictl audit --mode admin
	[ "$status" -eq 3 ]
	[[ $output == *"not checked:"*"admin/groups"*"401"* ]]
	[ "$(requests '[.[] | select(.path == "/v1.0/myorg/admin/groups") | .status] | unique | join(",")')" = 401 ]
	# pbictl-audit(1): consent Tenant.Read.All for the admin only, so
	# that the app holds no admin-consented Power BI permission.
	run pbictl grant ensure --consent "user:$ADMIN" --graph-scopes '' \
	    --powerbi-scopes Tenant.Read.All
	[ "$status" -eq 0 ]
	run pbictl audit --mode admin
	[ "$status" -eq 0 ]
	# The app itself may still call the admin APIs.
	export AZURE_CLIENT_SECRET=$APP_SECRET
	unset AZURE_USERNAME AZURE_PASSWORD
	run pbictl audit --mode admin
	[ "$status" -eq 0 ]
}

@test "as the app itself, setup needs Graph application permissions (roles)" {
	sim_seed '.servicePrincipals = [{"appId": "11111111-2222-4333-8444-555555555555",
	    "id": "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a"}]'
	sim_start
	demo_ledger
	export AZURE_CLIENT_SECRET=$APP_SECRET
	unset AZURE_USERNAME AZURE_PASSWORD
	run --separate-stderr pbictl grant ensure
	[ "$status" -eq 1 ]
	refused "GET /v1.0/servicePrincipals" 403 Authorization_RequestDenied
	# Application.ReadWrite.All and DelegatedPermissionGrant.ReadWrite.All
	# assigned to it: its token carries them as roles, and it passes.
	sim_stop
	sim_seed '.servicePrincipals = [{"appId": "11111111-2222-4333-8444-555555555555",
	    "id": "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a"}]
	    | .wellKnownServicePrincipals.graph = {"id": "8e0d9c3b-1a2f-4e4d-9b8a-7c6d5e4f3a2b"}
	    | .appRoleAssignments = [
	      {"principalId": "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a",
	       "resourceId": "8e0d9c3b-1a2f-4e4d-9b8a-7c6d5e4f3a2b",
	       "appRoleId": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"},
	      {"principalId": "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a",
	       "resourceId": "8e0d9c3b-1a2f-4e4d-9b8a-7c6d5e4f3a2b",
	       "appRoleId": "8e8e4742-1d95-4f68-9d56-6ee75648c72a"}]'
	sim_start
	run pbictl auth status -o json
	[ "$(jq -c '.tokens[0].roles' <<<"$output")" = '["Application.ReadWrite.All","DelegatedPermissionGrant.ReadWrite.All"]' ]
	run pbictl grant ensure
	[ "$status" -eq 0 ]
	[ "$(state '.oauth2PermissionGrants | length')" = 2 ]
}
