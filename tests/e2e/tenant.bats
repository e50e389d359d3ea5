#!/usr/bin/env bats
# Tenant setup through Microsoft Graph against pbisim: sp ensure and grant
# ensure|list|revoke, idempotent by construction, checked on the wire.
bats_require_minimum_version 1.5.0

load cli_helper

PBI_SP=9f1e0a4c-2b3d-4e5f-8a9b-0c1d2e3f4a5b
GRAPH_SP=8e0d9c3b-1a2f-4e4d-9b8a-7c6d5e4f3a2b
APP_SP=7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a

setup() {
	cli_setup
	sim_seed ".wellKnownServicePrincipals = {\"powerBI\": {\"id\": \"$PBI_SP\"}, \"graph\": {\"id\": \"$GRAPH_SP\"}}"
	as_admin
}
teardown() { cli_teardown; }

@test "a fresh tenant gets one service principal and two grants" {
	sim_start
	demo_ledger
	run pbictl sp ensure -o json
	[ "$status" -eq 0 ]
	sp=$(jq -r .servicePrincipalId <<<"$output")
	[ "$(jq -r .changes.servicePrincipal <<<"$output")" = created ]
	run pbictl grant ensure -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.grants[].action] | join(",")' <<<"$output")" = created,created ]
	[ "$(count POST '^/v1.0/servicePrincipals$')" = 1 ]
	[ "$(count POST '^/v1.0/oauth2PermissionGrants$')" = 2 ]
	# The grants are the ones the guide names, on the right resources.
	run curl -sf "$SIM/_sim/state"
	[ "$(jq -r "[.oauth2PermissionGrants[] | select(.clientId == \"$sp\")] | length" <<<"$output")" = 2 ]
	[ "$(jq -r "[.oauth2PermissionGrants[] | select(.resourceId == \"$PBI_SP\")][0].scope" <<<"$output")" = \
	    "Dataset.ReadWrite.All Dashboard.Read.All Report.Read.All Group.Read Group.Read.All Content.Create Metadata.View_Any Dataset.Read.All Data.Alter_Any" ]
	[ "$(jq -r "[.oauth2PermissionGrants[] | select(.resourceId == \"$GRAPH_SP\")][0].scope" <<<"$output")" = \
	    "User.Read Directory.AccessAsUser.All" ]
	[ "$(jq -r "[.oauth2PermissionGrants[] | select(.clientId == \"$sp\")][0].consentType" <<<"$output")" = AllPrincipals ]
	# The ledger knows the SP and the grants; the journal every write.
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT value FROM settings WHERE key = 'sp_object_id'")" = "$sp" ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM grants")" = 2 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT group_concat(step || ':' || state) FROM journal")" = \
	    "sp.create:ok,grant.create:ok,grant.create:ok" ]
}

@test "a second run makes no write" {
	sim_start
	demo_ledger
	pbictl -q sp ensure >/dev/null
	pbictl -q grant ensure >/dev/null
	n=$(requests length)
	run pbictl sp ensure -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.changes | length' <<<"$output")" = 0 ]
	run pbictl grant ensure -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.grants[].action] | join(",")' <<<"$output")" = unchanged,unchanged ]
	[ "$(writes "$n")" = 0 ]
}

@test "an existing grant with other scopes ends with the union and keeps its id" {
	sim_seed ".wellKnownServicePrincipals = {\"powerBI\": {\"id\": \"$PBI_SP\"}, \"graph\": {\"id\": \"$GRAPH_SP\"}}
	    | .servicePrincipals = [{\"appId\": \"$APP\", \"id\": \"$APP_SP\"}]
	    | .oauth2PermissionGrants = [{\"id\": \"keepThisGrantId_0123456789abcdefghijklmnopq\", \"clientId\": \"$APP_SP\",
	        \"consentType\": \"AllPrincipals\", \"principalId\": null, \"resourceId\": \"$PBI_SP\",
	        \"scope\": \"Tenant.Read.All Report.Read.All\"}]"
	sim_start
	demo_ledger
	run pbictl grant ensure --powerbi-scopes "Report.Read.All Dataset.Read.All" --graph-scopes "User.Read" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.grants[0].action' <<<"$output")" = updated ]
	[ "$(jq -r '.grants[0].id' <<<"$output")" = keepThisGrantId_0123456789abcdefghijklmnopq ]
	[ "$(jq -r '.grants[0].added | join(" ")' <<<"$output")" = Dataset.Read.All ]
	run curl -sf "$SIM/_sim/state"
	[ "$(jq -r '.oauth2PermissionGrants[] | select(.id == "keepThisGrantId_0123456789abcdefghijklmnopq") | .scope' <<<"$output")" = \
	    "Tenant.Read.All Report.Read.All Dataset.Read.All" ]
	# One PATCH with the whole list (it replaces), one POST for Graph.
	[ "$(count PATCH '^/v1.0/oauth2PermissionGrants/')" = 1 ]
	[ "$(requests '[.[] | select(.method == "PATCH")][0].body.scope')" = \
	    "Tenant.Read.All Report.Read.All Dataset.Read.All" ]
	[ "$(count POST '^/v1.0/oauth2PermissionGrants$')" = 1 ]
	[ "$(count DELETE '.')" = 0 ]
}

@test "replication delay after the creates is survived" {
	sim_start --replication-delay 2
	demo_ledger
	run pbictl sp ensure
	[ "$status" -eq 0 ]
	# The SP is seconds old: grants on it meet the directory's lag.
	run pbictl grant ensure -o json
	[ "$status" -eq 0 ]
	[ "$(count POST '^/v1.0/servicePrincipals$')" = 1 ]
	[ "$(requests '[.[] | select(.method == "POST" and .path == "/v1.0/oauth2PermissionGrants" and .status == 201)] | length')" = 2 ]
	run curl -sf "$SIM/_sim/state"
	[ "$(jq -r '.servicePrincipals | length' <<<"$output")" = 3 ]
}

@test "a 409 race is survived by adopting what the other side made" {
	sim_start --replication-delay 3
	demo_ledger
	# Someone else creates the SP just now: the lookup cannot see it yet.
	tok=$(curl -sf -d "client_id=$APP&grant_type=password&username=$ADMIN&password=$ADMIN_PASSWORD&scope=https://graph.microsoft.com/.default" \
	    "$SIM/contoso.onmicrosoft.com/oauth2/v2.0/token" | jq -r .access_token)
	curl -sf -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    -d "{\"appId\":\"$APP\"}" "$SIM/v1.0/servicePrincipals" >/dev/null
	run pbictl sp ensure -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .changes.servicePrincipal <<<"$output")" = adopted ]
	[ "$(requests '[.[] | select(.method == "POST" and .path == "/v1.0/servicePrincipals")] | map(.status) | join(",")')" = 201,409 ]
	run curl -sf "$SIM/_sim/state"
	[ "$(jq -r "[.servicePrincipals[] | select(.appId == \"$APP\")] | length" <<<"$output")" = 1 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT state FROM journal WHERE step = 'sp.create'")" = adopted ]
}

@test "a 500 after the create committed is reconciled, not duplicated" {
	sim_start
	demo_ledger
	sim_post /_sim/faults '{"p500AfterCommit":1,"match":"POST /v1.0/"}'
	run pbictl sp ensure -o json
	[ "$status" -eq 0 ]
	run pbictl grant ensure -o json
	[ "$status" -eq 0 ]
	run curl -sf "$SIM/_sim/state"
	[ "$(jq -r "[.servicePrincipals[] | select(.appId == \"$APP\")] | length" <<<"$output")" = 1 ]
	[ "$(jq -r '.oauth2PermissionGrants | length' <<<"$output")" = 2 ]
	# Each create was sent once: the 500s were followed by lookups.
	[ "$(count POST '^/v1.0/servicePrincipals$')" = 1 ]
	[ "$(count POST '^/v1.0/oauth2PermissionGrants$')" = 2 ]
}

@test "--dry-run prints the calls and makes no write" {
	sim_start
	demo_ledger
	run pbictl --dry-run sp ensure -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.calls[0].method + " " + (.calls[0].url | sub("^http://[^/]*"; ""))' <<<"$output")" = \
	    "POST /v1.0/servicePrincipals" ]
	[ "$(jq -r '.calls[0].body.appId' <<<"$output")" = "$APP" ]
	[ "$(writes)" = 0 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM journal")" = 0 ]
	pbictl -q sp ensure >/dev/null
	n=$(requests length)
	run pbictl grant ensure --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"dry run: 2 call(s) not sent"* ]]
	[[ "$output" == *"POST $SIM/v1.0/oauth2PermissionGrants"* ]]
	[ "$(writes "$n")" = 0 ]
	# An app this principal cannot read: the dry run still lists the calls.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dry" \
	    -keyout "$T/dry.key" -out "$T/dry.crt" 2>/dev/null
	run pbictl --dry-run sp ensure --app-id 99999999-2222-4333-8444-555555555555 \
	    --certificate "$T/dry.crt" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.calls[].method] | join(",")' <<<"$output")" = POST,PATCH ]
	[ "$(writes "$n")" = 0 ]
}

@test "an unknown scope is refused before any write, with the valid ones" {
	sim_start
	demo_ledger
	pbictl -q sp ensure >/dev/null
	n=$(requests length)
	run --separate-stderr pbictl grant ensure --powerbi-scopes "Report.Read.All Reports.ReadAll"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"unknown Power BI scope 'Reports.ReadAll'"* ]]
	[[ "$stderr" == *"valid scopes are:"*"Report.ReadWrite.All"* ]]
	[ "$(writes "$n")" = 0 ]
	run --separate-stderr pbictl grant ensure --graph-scopes "User.Read Nope.All Nah"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"unknown Microsoft Graph scopes 'Nope.All Nah'"* ]]
	[ "$(writes "$n")" = 0 ]
}

@test "grant ensure before sp ensure says what to do" {
	sim_start
	demo_ledger
	run --separate-stderr pbictl grant ensure
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"has no service principal"*"pbictl sp ensure"* ]]
	[ "$(writes)" = 0 ]
}

@test "consent for one user makes a Principal grant" {
	sim_start
	demo_ledger
	pbictl -q sp ensure >/dev/null
	run pbictl grant ensure --consent "user:$ADMIN" --graph-scopes "" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.grants | length' <<<"$output")" = 1 ]
	[ "$(requests '[.[] | select(.method == "POST" and .path == "/v1.0/oauth2PermissionGrants")][0].body | .consentType + " " + .principalId')" = \
	    "Principal 4b1d7a52-0c1e-4f6e-8a2b-5f3e9c7d1a01" ]
	run --separate-stderr pbictl grant ensure --consent user:nobody@contoso.onmicrosoft.com
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no user 'nobody@contoso.onmicrosoft.com'"* ]]
	run --separate-stderr pbictl grant ensure --consent everyone
	[ "$status" -eq 2 ]
}

@test "grant revoke narrows a grant and deletes it with its last scope" {
	sim_start
	demo_ledger
	pbictl -q sp ensure >/dev/null
	pbictl -q grant ensure >/dev/null
	run pbictl grant revoke --scope "Directory.AccessAsUser.All" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.grants[] | select(.resource == "graph")][0].action' <<<"$output")" = updated ]
	[ "$(jq -r '[.grants[] | select(.resource == "powerbi")][0].action' <<<"$output")" = unchanged ]
	run pbictl grant revoke --scope User.Read --resource graph -o json
	[ "$(jq -r '.grants[0].action' <<<"$output")" = deleted ]
	[ "$(count DELETE '^/v1.0/oauth2PermissionGrants/')" = 1 ]
	run pbictl grant list -o json
	[ "$(jq -r '[.grants[].resource] | join(",")' <<<"$output")" = powerbi ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM grants")" = 1 ]
	# Again: nothing left to do.
	n=$(requests length)
	run pbictl grant revoke --scope User.Read --resource graph
	[ "$status" -eq 0 ]
	[ "$(writes "$n")" = 0 ]
}

@test "a new secret is written once to a 0600 file, never to the ledger" {
	sim_start
	demo_ledger
	run pbictl sp ensure --new-secret-file "$T/new-secret" -o json
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$T/new-secret")" = 600 ]
	[ "$(jq -r .changes.secret <<<"$output")" = created ]
	secret=$(cat "$T/new-secret")
	[ -n "$secret" ]
	[[ "$output" != *"$secret"* ]]
	refute_in "$secret" "$PBICTL_LEDGER"
	# The app can sign in with it.
	AZURE_CLIENT_SECRET=$secret run pbictl -q auth status
	[ "$status" -eq 0 ]
	# Asking again never overwrites nor rotates.
	n=$(requests length)
	run --separate-stderr pbictl sp ensure --new-secret-file "$T/new-secret"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"never overwrites a secret"* ]]
	[ "$(writes "$n")" = 0 ]
	[ "$(count POST 'addPassword$')" = 1 ]
}

@test "a certificate is uploaded once as a key credential" {
	sim_start
	demo_ledger
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pbictl-app" \
	    -keyout "$T/app.key" -out "$T/app.crt" 2>/dev/null
	run pbictl sp ensure --certificate "$T/app.crt" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .changes.certificate <<<"$output")" = uploaded ]
	n=$(requests length)
	run pbictl sp ensure --certificate "$T/app.crt" -o json
	[ "$(jq -r .changes.certificate <<<"$output")" = present ]
	[ "$(writes "$n")" = 0 ]
	# And the app signs in with it.
	cat "$T/app.crt" "$T/app.key" >"$T/app.pem"
	chmod 600 "$T/app.pem"
	unset AZURE_USERNAME AZURE_PASSWORD
	AZURE_CLIENT_CERTIFICATE_PATH=$T/app.pem run pbictl -q auth status
	[ "$status" -eq 0 ]
}

@test "the service principal joins the security group once" {
	sim_start
	demo_ledger
	g=c3a4f0e2-7b8d-4e1f-9a6c-2d5e8f1b3a70
	run pbictl sp ensure --security-group "$g" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .changes.securityGroup <<<"$output")" = added ]
	n=$(requests length)
	run pbictl sp ensure --security-group "$g" -o json
	[ "$(jq -r '.changes | length' <<<"$output")" = 0 ]
	[ "$(writes "$n")" = 0 ]
	run curl -sf "$SIM/_sim/state"
	[ "$(jq -r ".groups[] | select(.id == \"$g\") | ._members | length" <<<"$output")" = 1 ]
}

@test "sp ensure --create-app makes the app registration and adopts it after" {
	sim_start
	demo_ledger
	run pbictl sp ensure --create-app "Contoso Embedded" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .changes.application <<<"$output")" = created ]
	app=$(jq -r .appId <<<"$output")
	[ "$app" != "$APP" ]
	[ "$(pbictl init -o json | jq -r .settings.client_id)" = "$app" ]
	run pbictl sp ensure --create-app "Contoso Embedded" -o json
	[ "$(jq -r .changes.application <<<"$output")" = adopted ]
	[ "$(count POST '^/v1.0/applications$')" = 1 ]
}

@test "sp show names the credentials' expiry, never their values" {
	sim_start
	demo_ledger
	pbictl -q sp ensure >/dev/null
	run pbictl sp show -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .appId <<<"$output")" = "$APP" ]
	[ "$(jq -r '.credentials[0].endDateTime' <<<"$output")" = 2099-01-01T00:00:00Z ]
	[[ "$output" != *"$APP_SECRET"* ]]
}
