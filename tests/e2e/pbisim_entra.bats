#!/usr/bin/env bats
# pbisim: the Entra ID token endpoint (api-facts 1).

bats_require_minimum_version 1.5.0

load sim_helper

setup_file() {
	local d="$BATS_FILE_TMPDIR"
	mkcert "$d"
	jq --rawfile c "$d/cert.pem" \
	    '(.applications[] | select(.appId == env.APP2)).keyCredentials =
	     [{"certificate": $c}] | .tenant.deviceCodeInterval = 5' \
	    "$SIM_SEED" >"$d/seed.json"
	CERT="$d/cert.pem"
	KEY="$d/key.pem"
	export CERT KEY
	sim_setup_file --seed "$d/seed.json"
}
teardown_file() { sim_teardown_file; }
setup() { sim_reset; }

aadsts() {
	echo "$BODY" | jq -e --argjson c "$1" '.error_codes == [$c] and
	    (.error_description | startswith("AADSTS\($c):")) and
	    (.trace_id | length == 36) and (.correlation_id | length == 36) and
	    (.timestamp | test("^[0-9-]{10} [0-9:]{8}Z$")) and
	    (.error_description | contains("\r\nTrace ID: "))'
}

claims() {
	jq -cn --arg aud "$1" --arg iss "${2:-$APP2}" --arg sub "${3:-$APP2}" \
	    --arg jti "${4:-$(cat /proc/sys/kernel/random/uuid)}" \
	    --argjson nbf "${5:-$(date +%s)}" \
	    '{aud: $aud, iss: $iss, sub: $sub, jti: $jti, nbf: $nbf,
	      exp: ($nbf + 600)}'
}

assert_call() {
	token_call -d grant_type=client_credentials -d "client_id=$APP2" \
	    --data-urlencode "scope=$PBI_SCOPE" \
	    -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
	    --data-urlencode "client_assertion=$1"
}

decode() {
	local s
	s=$(echo "$1" | cut -d. -f2 | tr '_-' '/+')
	while [ $((${#s} % 4)) -ne 0 ]; do
		s="$s="
	done
	echo "$s" | base64 -d
}

@test "client secret (form) issues an RS256 token with the right claims" {
	token_call -d grant_type=client_credentials -d "client_id=$APP1" \
	    -d client_secret=s3cret-one --data-urlencode "scope=$PBI_SCOPE"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.token_type == "Bearer" and .expires_in == 3599 and .ext_expires_in == 3599'
	decode "$(echo "$BODY" | jq -r .access_token)" >"$BATS_TEST_TMPDIR/c"
	jq -e '.aud == "https://analysis.windows.net/powerbi/api"' "$BATS_TEST_TMPDIR/c"
	jq -e '.iss == "https://sts.windows.net/" + env.TENANT + "/"' "$BATS_TEST_TMPDIR/c"
	jq -e '.oid == env.SP1 and .appid == env.APP1 and .idtyp == "app" and .tid == env.TENANT' "$BATS_TEST_TMPDIR/c"
	jq -e '.exp - .iat == 3599' "$BATS_TEST_TMPDIR/c"
}

@test "client secret via HTTP Basic and the domain form of the tenant" {
	call POST "/$DOMAIN/oauth2/v2.0/token" -u "$APP1:s3cret-one" \
	    -d grant_type=client_credentials --data-urlencode "scope=$GRAPH_SCOPE"
	[ "$CODE" = 200 ]
	decode "$(echo "$BODY" | jq -r .access_token)" | jq -e '.aud == "https://graph.microsoft.com"'
}

@test "token signature verifies against the published JWKS" {
	call GET "/$TENANT/v2.0/.well-known/openid-configuration"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.jwks_uri | endswith("/discovery/v2.0/keys")'
	call GET "/$TENANT/discovery/v2.0/keys"
	echo "$BODY" | jq -e '.keys[0].kty == "RSA" and (.keys[0].n | length > 300)'
}

@test "wrong, expired and missing secrets" {
	token_call -d grant_type=client_credentials -d "client_id=$APP1" \
	    -d client_secret=nope --data-urlencode "scope=$PBI_SCOPE"
	[ "$CODE" = 401 ]
	echo "$BODY" | jq -e '.error == "invalid_client"'
	aadsts 7000215
	token_call -d grant_type=client_credentials -d "client_id=$APP1" \
	    -d client_secret=old-secret --data-urlencode "scope=$PBI_SCOPE"
	aadsts 7000222
	token_call -d grant_type=client_credentials -d "client_id=$APP1" \
	    --data-urlencode "scope=$PBI_SCOPE"
	aadsts 7000218
}

@test "unknown tenant, unknown app, missing SP" {
	call POST /00000000-1111-2222-3333-444444444444/oauth2/v2.0/token \
	    -d grant_type=client_credentials -d "client_id=$APP1" -d client_secret=s3cret-one
	[ "$CODE" = 400 ]
	aadsts 90002
	token_call -d grant_type=client_credentials \
	    -d client_id=12345678-1234-4234-8234-123456789012 -d client_secret=x \
	    --data-urlencode "scope=$PBI_SCOPE"
	aadsts 700016
	token_call -d grant_type=client_credentials -d "client_id=$APP3" \
	    -d client_secret=s3cret-three --data-urlencode "scope=$PBI_SCOPE"
	# No service principal: HTTP 401 invalid_client, as Entra answers.
	[ "$CODE" = 401 ]
	echo "$BODY" | jq -e '.error == "invalid_client"'
	aadsts 7000229
	call POST /common/oauth2/v2.0/token -d grant_type=password \
	    -d "client_id=$APP1" -d "username=$ADMIN" -d password=AdminPass1
	aadsts 9001023
}

@test "scopes of two resources are invalid_scope 70011" {
	token_call -d grant_type=client_credentials -d "client_id=$APP1" \
	    -d client_secret=s3cret-one \
	    --data-urlencode "scope=$PBI_SCOPE $GRAPH_SCOPE"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error == "invalid_scope"'
	aadsts 70011
}

@test "password grant: good, wrong, MFA" {
	token_call -d grant_type=password -d "client_id=$APP1" \
	    -d "username=$ADMIN" -d password=AdminPass1 \
	    --data-urlencode "scope=https://analysis.windows.net/powerbi/api/Workspace.ReadWrite.All"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.scope | contains("Workspace.ReadWrite.All")'
	decode "$(echo "$BODY" | jq -r .access_token)" |
	    jq -e '.idtyp == "user" and .upn == env.ADMIN and .scp == "Workspace.ReadWrite.All"'
	token_call -d grant_type=password -d "client_id=$APP1" \
	    -d "username=$ADMIN" -d password=wrong --data-urlencode "scope=$PBI_SCOPE"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error == "invalid_grant"'
	aadsts 50126
	token_call -d grant_type=password -d "client_id=$APP1" \
	    -d username=mfa@sim.onmicrosoft.com -d password=MfaPass1 \
	    --data-urlencode "scope=$PBI_SCOPE"
	aadsts 50076
}

@test "password grant of a non-admin needs consent (65001)" {
	token_call -d grant_type=password -d "client_id=$APP1" \
	    -d username=user@sim.onmicrosoft.com -d password=UserPass1 \
	    --data-urlencode "scope=$PBI_SCOPE"
	aadsts 65001
}

@test "device code flow: pending, slow_down, approve, token" {
	local dc uc
	call POST "/$TENANT/oauth2/v2.0/devicecode" -d "client_id=$APP1" \
	    --data-urlencode "scope=$PBI_SCOPE"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.expires_in == 900 and .interval == 5 and
	    .verification_uri == "https://microsoft.com/devicelogin" and
	    (has("verification_uri_complete") | not)'
	dc=$(echo "$BODY" | jq -r .device_code)
	uc=$(echo "$BODY" | jq -r .user_code)
	token_call -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
	    -d "client_id=$APP1" -d "device_code=$dc"
	echo "$BODY" | jq -e '.error == "slow_down"'
	sim_clock 6
	token_call -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
	    -d "client_id=$APP1" -d "device_code=$dc"
	echo "$BODY" | jq -e '.error == "authorization_pending"'
	call POST /_sim/devicecode --data "{\"userCode\":\"$uc\",\"action\":\"approve\",\"upn\":\"$ADMIN\"}"
	[ "$CODE" = 204 ]
	sim_clock 6
	token_call -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
	    -d "client_id=$APP1" -d "device_code=$dc"
	[ "$CODE" = 200 ]
	decode "$(echo "$BODY" | jq -r .access_token)" | jq -e '.upn == env.ADMIN'
	token_call -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
	    -d "client_id=$APP1" -d "device_code=$dc"
	echo "$BODY" | jq -e '.error == "bad_verification_code"'
}

@test "device code flow: declined and expired" {
	local dc uc
	call POST "/$TENANT/oauth2/v2.0/devicecode" -d "client_id=$APP1" \
	    --data-urlencode "scope=$PBI_SCOPE"
	dc=$(echo "$BODY" | jq -r .device_code)
	uc=$(echo "$BODY" | jq -r .user_code)
	call POST /_sim/devicecode --data "{\"userCode\":\"$uc\",\"action\":\"decline\"}"
	token_call -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
	    -d "client_id=$APP1" -d "device_code=$dc"
	echo "$BODY" | jq -e '.error == "authorization_declined"'
	call POST "/$TENANT/oauth2/v2.0/devicecode" -d "client_id=$APP1" \
	    --data-urlencode "scope=$PBI_SCOPE"
	dc=$(echo "$BODY" | jq -r .device_code)
	sim_clock 901
	token_call -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
	    -d "client_id=$APP1" -d "device_code=$dc"
	echo "$BODY" | jq -e '.error == "expired_token"'
}

@test "client assertion RS256 + x5t" {
	local a
	a=$(assertion RS256 "$KEY" "$CERT" "$(claims "$SIM/$TENANT/oauth2/v2.0/token")")
	assert_call "$a"
	[ "$CODE" = 200 ]
	decode "$(echo "$BODY" | jq -r .access_token)" | jq -e '.appid == env.APP2 and .appidacr == "2"'
}

@test "client assertion PS256 + x5t#S256, domain audience" {
	local a
	a=$(assertion PS256 "$KEY" "$CERT" "$(claims "$SIM/$DOMAIN/oauth2/v2.0/token")")
	assert_call "$a"
	[ "$CODE" = 200 ]
}

@test "client assertion: replayed jti is refused" {
	local a
	a=$(assertion RS256 "$KEY" "$CERT" "$(claims "$SIM/$TENANT/oauth2/v2.0/token")")
	assert_call "$a"
	[ "$CODE" = 200 ]
	assert_call "$a"
	[ "$CODE" = 401 ]
	echo "$BODY" | jq -e '.error == "invalid_client"'
}

@test "client assertion: bad signature, unknown key, wrong aud" {
	local a other="$BATS_TEST_TMPDIR"
	mkcert "$other"
	a=$(assertion RS256 "$other/key.pem" "$CERT" "$(claims "$SIM/$TENANT/oauth2/v2.0/token")")
	assert_call "$a"
	aadsts 700027
	a=$(assertion RS256 "$other/key.pem" "$other/cert.pem" "$(claims "$SIM/$TENANT/oauth2/v2.0/token")")
	assert_call "$a"
	aadsts 700027
	echo "$BODY" | jq -e '.error_description | contains("key was not found")'
	a=$(assertion RS256 "$KEY" "$CERT" "$(claims "https://login.microsoftonline.com/$TENANT/oauth2/v2.0/token")")
	assert_call "$a"
	[ "$CODE" = 401 ]
	aadsts 50013
}

@test "client assertion: sub != iss is AADSTS50048, stale is 700024" {
	local a
	a=$(assertion RS256 "$KEY" "$CERT" "$(claims "$SIM/$TENANT/oauth2/v2.0/token" "$APP2" someone)")
	assert_call "$a"
	aadsts 50048
	a=$(assertion RS256 "$KEY" "$CERT" "$(claims "$SIM/$TENANT/oauth2/v2.0/token" "$APP2" "$APP2" "" $(( $(date +%s) - 7200 )))")
	assert_call "$a"
	aadsts 700024
}

@test "unsupported grant type" {
	token_call -d grant_type=magic -d "client_id=$APP1"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error == "unsupported_grant_type"'
}

@test "user flows: id_token, client_info, rotating refresh tokens" {
	local rt
	token_call -d grant_type=password -d "client_id=$APP1" -d client_info=1 \
	    -d "username=$ADMIN" -d password=AdminPass1 \
	    --data-urlencode "scope=openid profile offline_access $PBI_SCOPE"
	[ "$CODE" = 200 ]
	decode "$(echo "$BODY" | jq -r .id_token)" | jq -e '.aud == env.APP1 and .preferred_username == env.ADMIN'
	echo "$BODY" | jq -r .client_info | tr '_-' '/+' | base64 -d 2>/dev/null | grep -q '"utid":"'"$TENANT"'"'
	rt=$(echo "$BODY" | jq -r .refresh_token)
	token_call -d grant_type=refresh_token -d "client_id=$APP1" \
	    --data-urlencode "refresh_token=$rt" \
	    --data-urlencode "scope=offline_access $GRAPH_SCOPE"
	[ "$CODE" = 200 ]
	decode "$(echo "$BODY" | jq -r .access_token)" | jq -e '.aud == "https://graph.microsoft.com" and .upn == env.ADMIN'
	echo "$BODY" | jq -e 'has("refresh_token")'
	token_call -d grant_type=refresh_token -d "client_id=$APP1" \
	    --data-urlencode "refresh_token=$rt" --data-urlencode "scope=$GRAPH_SCOPE"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error == "invalid_grant"'
}

@test "instance discovery and openid configuration for MSAL" {
	call GET "/common/discovery/instance?api-version=1.1&authorization_endpoint=x"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.tenant_discovery_endpoint | endswith("/v2.0/.well-known/openid-configuration")'
	call GET "/$TENANT/v2.0/.well-known/openid-configuration"
	echo "$BODY" | jq -e 'has("authorization_endpoint") and has("end_session_endpoint") and has("issuer") and .id_token_signing_alg_values_supported == ["RS256"]'
}
