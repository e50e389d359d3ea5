#!/usr/bin/env bats
# pbictl auth status against pbisim: every credential, every cloud, the
# errors Entra ID gives and what pbictl advises, and no secret anywhere.
bats_require_minimum_version 1.5.0

load cli_helper

setup() {
	cli_setup
	# The demo app with a service principal, so it may get app tokens.
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}]"
}
teardown() { cli_teardown; }

# make_cert NAME: a throwaway certificate and key in $T/NAME.pem.
make_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
	    -keyout "$T/$1.key" -out "$T/$1.crt" 2>/dev/null
	cat "$T/$1.crt" "$T/$1.key" >"$T/$1.pem"
	chmod 600 "$T/$1.pem"
}

# seed_cert NAME: register NAME's certificate on the demo app.
seed_cert() {
	jq --rawfile c "$T/$1.crt" \
	    '.applications[0].keyCredentials = [{"certificate": $c}]' \
	    "$T/seed.json" >"$T/seed2.json"
	mv "$T/seed2.json" "$T/seed.json"
}

@test "client secret from the environment" {
	sim_start
	demo_ledger
	AZURE_CLIENT_SECRET=$APP_SECRET run pbictl auth status -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .method <<<"$output")" = client-secret ]
	[ "$(jq -r '.tokens[0].audience' <<<"$output")" = https://graph.microsoft.com ]
	[ "$(jq -r '.tokens[1].audience' <<<"$output")" = https://analysis.windows.net/powerbi/api ]
	[ "$(jq -r '.tokens[1].appId' <<<"$output")" = "$APP" ]
	[ "$(jq -r '.tokens[1].principalType' <<<"$output")" = app ]
	[ "$(jq -r '.tokens[1].expiresInSeconds' <<<"$output")" -gt 3000 ]
	# One token request per API, with the .default scope of each.
	[ "$(requests '[.[] | select(.path | endswith("/oauth2/v2.0/token"))] | length')" = 2 ]
	AZURE_CLIENT_SECRET=$APP_SECRET run pbictl auth status
	[ "$status" -eq 0 ]
	[[ "$output" == *"method     client-secret"* ]]
}

@test "client secret from a file, refused when others can read it" {
	sim_start
	demo_ledger
	printf '%s\n' "$APP_SECRET" >"$T/secret"
	chmod 644 "$T/secret"
	run --separate-stderr pbictl auth status --client-secret-file "$T/secret"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"refusing secret file '$T/secret': mode 0644"* ]]
	[[ "$stderr" == *"chmod 600"* ]]
	[ "$(requests length)" = 0 ]
	chmod 600 "$T/secret"
	run pbictl --client-secret-file "$T/secret" auth status -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .method <<<"$output")" = client-secret ]
}

@test "certificate assertion, PS256 with x5t#S256 and RS256 with x5t" {
	make_cert app
	seed_cert app
	sim_start
	demo_ledger
	export AZURE_CLIENT_CERTIFICATE_PATH=$T/app.pem
	run pbictl auth status -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .method <<<"$output")" = client-certificate ]
	run pbictl auth status --assertion-alg RS256 -o json
	[ "$status" -eq 0 ]
	# What crossed the wire: assertions, no secret.
	[ "$(requests '[.[] | select(.path | endswith("/token")) | .body.client_assertion_type] | unique | join(",")')" = \
	    urn:ietf:params:oauth:client-assertion-type:jwt-bearer ]
	[ "$(requests '[.[] | select(.path | endswith("/token")) | .status] | unique | join(",")')" = 200 ]
}

@test "a certificate the app does not know is refused with advice" {
	make_cert app
	make_cert other
	seed_cert app
	sim_start
	demo_ledger
	AZURE_CLIENT_CERTIFICATE_PATH=$T/other.pem run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *AADSTS700027* ]]
	[[ "$stderr" == *"upload this certificate"* ]]
	[[ "$stderr" == *"request id "* ]]
}

@test "a PKCS#12 certificate with its password" {
	make_cert app
	seed_cert app
	openssl pkcs12 -export -in "$T/app.crt" -inkey "$T/app.key" \
	    -passout pass:p12pass -out "$T/app.p12"
	chmod 600 "$T/app.p12"
	sim_start
	demo_ledger
	export AZURE_CLIENT_CERTIFICATE_PATH=$T/app.p12
	AZURE_CLIENT_CERTIFICATE_PASSWORD=wrong run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot read PKCS#12"* ]]
	AZURE_CLIENT_CERTIFICATE_PASSWORD=p12pass run pbictl auth status -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .method <<<"$output")" = client-certificate ]
}

@test "a PKCS#12 others can read is refused, with or without a password, before any call" {
	make_cert app
	seed_cert app
	openssl pkcs12 -export -in "$T/app.crt" -inkey "$T/app.key" \
	    -passout pass: -out "$T/open.p12"
	openssl pkcs12 -export -in "$T/app.crt" -inkey "$T/app.key" \
	    -passout pass:p12pass -out "$T/locked.p12"
	chmod 644 "$T/open.p12"
	chmod 640 "$T/locked.p12"
	sim_start
	demo_ledger
	AZURE_CLIENT_CERTIFICATE_PATH=$T/open.p12 run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"refusing certificate '$T/open.p12': it holds a private key and mode 0644"* ]]
	AZURE_CLIENT_CERTIFICATE_PATH=$T/locked.p12 AZURE_CLIENT_CERTIFICATE_PASSWORD=p12pass \
	    run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"mode 0640"* ]]
	[ "$(requests length)" = 0 ]
	chmod 600 "$T/open.p12"
	AZURE_CLIENT_CERTIFICATE_PATH=$T/open.p12 run pbictl auth status -o json
	[ "$status" -eq 0 ]
}

@test "a clock-skewed assertion gets the clock advice" {
	make_cert app
	seed_cert app
	sim_start
	demo_ledger
	# pbisim's clock runs an hour ahead: the assertion has expired there.
	sim_post /_sim/clock '{"advanceSeconds":3600}'
	AZURE_CLIENT_CERTIFICATE_PATH=$T/app.pem run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *AADSTS700024* ]]
	[[ "$stderr" == *"clock is off"* ]]
}

@test "master user with the password grant" {
	sim_start
	demo_ledger
	AZURE_USERNAME=$ADMIN AZURE_PASSWORD=$ADMIN_PASSWORD run pbictl auth status -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .method <<<"$output")" = master-user ]
	[ "$(jq -r '.tokens[1].upn' <<<"$output")" = "$ADMIN" ]
	[ "$(jq -r '.tokens[1].principalType' <<<"$output")" = user ]
	AZURE_USERNAME=$ADMIN AZURE_PASSWORD=wrong run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *AADSTS50126* ]]
	[[ "$stderr" == *"wrong user name or password"* ]]
}

@test "master user with MFA is told to use another flow" {
	sim_seed '.users[0].mfa = true'
	sim_start
	demo_ledger
	AZURE_USERNAME=$ADMIN AZURE_PASSWORD=$ADMIN_PASSWORD run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *AADSTS50076* ]]
	[[ "$stderr" == *"--device-code"* ]]
}

# device_login ACTION: run auth status with --device-code, and act as the
# user at the browser on every code it shows.
device_login() {
	pbictl auth status --device-code -o json >"$T/out" 2>"$T/err" &
	local pid=$! i code seen=
	# The user takes a while: pbictl must poll meanwhile.
	sleep 1.5
	for i in $(seq 200); do
		code=$(sed -n 's/.*enter the code \([A-Z0-9]*\) .*/\1/p' "$T/err" | tail -1)
		if [ -n "$code" ] && [ "$code" != "$seen" ]; then
			sim_post /_sim/devicecode "{\"userCode\":\"$code\",\"action\":\"$1\",\"upn\":\"$ADMIN\"}"
			seen=$code
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$pid"
}

@test "device code: the message is shown, polling ends when the user approves" {
	sim_start
	demo_ledger
	run device_login approve
	[ "$status" -eq 0 ]
	grep -q "https://microsoft.com/devicelogin" "$T/err"
	[ "$(jq -r .method "$T/out")" = device-code ]
	[ "$(jq -r '.tokens[1].upn' "$T/out")" = "$ADMIN" ]
	# It waited for the user: pending answers before the token.
	[ "$(requests '[.[] | select(.path | endswith("/token")) | .status] | index(400) != null')" = true ]
	# One sign-in serves both APIs: the second token by refresh token.
	[ "$(count POST '/devicecode$')" = 1 ]
	[ "$(requests '[.[] | select(.path | endswith("/token")) | .body.grant_type] | map(select(. == "refresh_token")) | length')" = 1 ]
}

@test "device code: a declined sign-in is an error" {
	sim_start
	demo_ledger
	run device_login decline
	[ "$status" -eq 1 ]
	grep -q "authorization_declined" "$T/err"
}

@test "each sovereign cloud asks for its own resources" {
	sim_start
	demo_ledger
	export AZURE_CLIENT_SECRET=$APP_SECRET
	for c in public:https://analysis.windows.net/powerbi/api:https://graph.microsoft.com \
	    usgov:https://analysis.usgovcloudapi.net/powerbi/api:https://graph.microsoft.com \
	    usgovhigh:https://high.analysis.usgovcloudapi.net/powerbi/api:https://graph.microsoft.us \
	    dod:https://mil.analysis.usgovcloudapi.net/powerbi/api:https://dod-graph.microsoft.us \
	    china:https://analysis.chinacloudapi.cn/powerbi/api:https://microsoftgraph.chinacloudapi.cn; do
		cloud=${c%%:*}
		rest=${c#*:}
		pbi=${rest%:https://*}
		graph=https://${rest##*:https://}
		run pbictl --cloud "$cloud" auth status -o json
		[ "$status" -eq 0 ] || { echo "$cloud: $output"; return 1; }
		[ "$(jq -r .cloud <<<"$output")" = "$cloud" ]
		[ "$(jq -r '.tokens[1].audience' <<<"$output")" = "$pbi" ]
		[ "$(jq -r '.tokens[0].audience' <<<"$output")" = "$graph" ]
	done
	[ "$(requests '[.[] | select(.path | endswith("/token")) | .body.scope] | unique | length')" = 9 ]
}

@test "without overrides each cloud uses its own hosts" {
	demo_ledger
	export AZURE_CLIENT_SECRET=x
	# Nothing listens there from here: the error names the host tried.
	run --separate-stderr pbictl --cloud china -v auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"https://login.chinacloudapi.cn/contoso.onmicrosoft.com/oauth2/v2.0/token"* ]]
	run --separate-stderr pbictl --cloud usgovhigh -v auth status
	[[ "$stderr" == *"https://login.microsoftonline.us/"* ]]
	PBICTL_LOGIN_URL=http://login.example/ run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"expected an https URL"* ]]
}

@test "wrong secret, unknown app and unknown tenant get their advice" {
	sim_start
	demo_ledger
	AZURE_CLIENT_SECRET=wrong run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"401 invalid_client AADSTS7000215"* ]]
	[[ "$stderr" == *"the client secret is wrong"* ]]
	[[ "$stderr" == *"(request id "* ]]
	AZURE_CLIENT_ID=99999999-2222-4333-8444-555555555555 AZURE_CLIENT_SECRET=x \
	    run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *AADSTS700016* ]]
	[[ "$stderr" == *"no application with this client id"* ]]
	AZURE_TENANT_ID=nowhere.onmicrosoft.com AZURE_CLIENT_SECRET=$APP_SECRET \
	    run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *AADSTS90002* ]]
}

@test "no credential at all says what to set" {
	demo_ledger
	run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"AZURE_CLIENT_SECRET"* && "$stderr" == *"--device-code"* ]]
}

@test "no secret or token in -vv traces, the ledger or argv" {
	sim_start
	demo_ledger
	printf '%s\n' "$APP_SECRET" >"$T/secret"
	chmod 600 "$T/secret"
	run --separate-stderr pbictl -vv --client-secret-file "$T/secret" auth status -o json
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"client_secret=[REDACTED]"* ]]
	[[ "$stderr" == *'"access_token":"[REDACTED]"'* ]]
	[[ "$stderr" != *"$APP_SECRET"* ]]
	[[ "$stderr" != *"eyJ"* ]]
	[[ "$output" != *"eyJ"* ]]
	refute_in "$APP_SECRET" "$PBICTL_LEDGER"
	refute_in eyJ "$PBICTL_LEDGER"
	# argv: the secret travels by file or environment only.
	sim_post /_sim/faults '{"latencyMs":300}'
	# The process itself, not a subshell running the pbictl function.
	"$PBICTL" --client-secret-file "$T/secret" auth status >/dev/null 2>&1 &
	local pid=$!
	sleep 0.2
	tr '\0' ' ' </proc/$pid/cmdline >"$T/cmdline"
	# Still running (its cmdline read), and no secret in it.
	grep -q 'auth status' "$T/cmdline"
	refute_in "$APP_SECRET" "$T/cmdline"
	wait "$pid"
}

@test "a token expiring mid-run is renewed without the user noticing" {
	onboard_setup
	sim_start --latency 100 --import-seconds 0.2 --assign-seconds 0.2
	demo_ledger
	"$PBICTL" -q --jobs 1 onboard a b c d e f >"$T/out" 2>"$T/err" &
	pid=$!
	sleep 1.2
	# An hour passes at pbisim: every token issued so far has expired.
	sim_post /_sim/clock '{"advanceSeconds":3600}'
	wait "$pid" || { cat "$T/err"; false; }
	# A call met the expired token, a new one was fetched, all went on.
	[ "$(requests '[.[] | select(.status == 403 and (.path | startswith("/v1.0/myorg")))] | length')" -ge 1 ]
	[ "$(requests '[.[] | select(.path | endswith("/token")) | .body.scope] | map(select(test("powerbi"))) | length')" -ge 2 ]
	[ "$(state '[.workspaces[] | select(.name | startswith("cust-"))] | length')" = 6 ]
	[ ! -s "$T/err" ]
}
