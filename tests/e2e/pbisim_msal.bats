#!/usr/bin/env bats
# pbisim: Microsoft's own @azure/msal-node (tests/msal, pinned by its
# package-lock.json) acquires client-credentials tokens from pbisim over
# HTTPS, with a client secret and with a certificate, changing nothing but
# its authority settings (tests/msal/acquire.js).

bats_require_minimum_version 1.5.0

load sim_helper

MSAL_DIR="$SIM_ROOT/tests/msal"

# msal_installed: node_modules holds exactly the packages of the lock.
msal_installed() {
	local want have
	[ -f "$MSAL_DIR/node_modules/.package-lock.json" ] || return 1
	want=$(jq -S '.packages | del(.[""]) | map_values({version, integrity})' \
	    "$MSAL_DIR/package-lock.json") || return 1
	have=$(jq -S '.packages | map_values({version, integrity})' \
	    "$MSAL_DIR/node_modules/.package-lock.json") || return 1
	[ "$want" = "$have" ]
}

setup_file() {
	local d="$BATS_FILE_TMPDIR"
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		: >"$d/no-node"
		return 0
	fi
	# Install once; concurrent runs (plain and ASan) take turns.
	(
		flock 9
		if ! msal_installed; then
			CI=true npm ci --prefix "$MSAL_DIR" --no-audit --no-fund \
			    --loglevel=error </dev/null >&2 || exit 1
		fi
	) 9<"$MSAL_DIR"
	msal_installed || {
		echo "npm ci did not install tests/msal/package-lock.json" >&2
		return 1
	}
	# pbisim's TLS certificate, trusted by node and curl
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/tls-key.pem" \
	    -out "$d/tls-cert.pem" -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 \
	    -addext basicConstraints=critical,CA:FALSE 2>/dev/null
	# the application's credentials: a certificate and a secret (APP2
	# has a service principal, SP2)
	mkcert "$d"
	jq --rawfile c "$d/cert.pem" \
	    '(.applications[] | select(.appId == env.APP2)) |=
	     (.keyCredentials = [{"certificate": $c}] |
	      .passwordCredentials = [{"secretText": "msal-s3cret",
	                               "endDateTime": "2099-01-01T00:00:00Z"}])' \
	    "$SIM_SEED" >"$d/seed.json"
	sim_setup_file --seed "$d/seed.json" --tls-cert "$d/tls-cert.pem" \
	    --tls-key "$d/tls-key.pem"
	SIM="https://127.0.0.1:$(cat "$SIM_DIR/port")"
	CURL_CA_BUNDLE="$d/tls-cert.pem"
	export SIM CURL_CA_BUNDLE
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/no-node" ] || sim_teardown_file
}

setup() {
	[ ! -f "$BATS_FILE_TMPDIR/no-node" ] ||
	    skip "node and npm are needed to run @azure/msal-node"
	sim_reset
}

# msal MODE [VAR=value...]: run acquire.js; JSON in $output.
msal() {
	local mode=$1
	shift
	run --separate-stderr env \
	    NODE_EXTRA_CA_CERTS="$BATS_FILE_TMPDIR/tls-cert.pem" \
	    PBISIM_AUTHORITY="$SIM/$TENANT" MSAL_CLIENT_ID="$APP2" \
	    MSAL_SECRET=msal-s3cret MSAL_CERT="$BATS_FILE_TMPDIR/cert.pem" \
	    MSAL_KEY="$BATS_FILE_TMPDIR/key.pem" "$@" \
	    node "$MSAL_DIR/acquire.js" "$mode"
	echo "stdout: $output"
	echo "stderr: $stderr"
}

# token_requests MARK: the token endpoint requests logged since MARK.
token_requests() {
	curl -sf "$SIM/_sim/requests?since=$1" |
	    jq -c --arg p "/$TENANT/oauth2/v2.0/token" '[.[] | select(.path == $p)]'
}

@test "MSAL Node: client secret gets a Power BI token" {
	local mark reqs
	mark=$(sim_mark)
	msal secret
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.aud == "https://analysis.windows.net/powerbi/api"'
	echo "$output" | jq -e '.appid == env.APP2 and .tid == env.TENANT'
	echo "$output" | jq -e '.sub == env.SP2 and .tokenType == "Bearer"'
	reqs=$(token_requests "$mark")
	echo "$reqs"
	echo "$reqs" | jq -e 'length == 1 and .[0].status == 200'
	echo "$reqs" | jq -e '.[0].body | .grant_type == "client_credentials" and
	    .client_secret == "REDACTED" and .client_id == env.APP2 and
	    (has("client_assertion") | not) and
	    .["x-client-SKU"] == "msal.js.node"'
}

@test "MSAL Node: certificate (its default PS256, x5t#S256) gets a Power BI token" {
	local mark reqs
	mark=$(sim_mark)
	msal cert
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.aud == "https://analysis.windows.net/powerbi/api"'
	echo "$output" | jq -e '.appid == env.APP2 and .tid == env.TENANT'
	echo "$output" | jq -e '.assertionHeader.alg == "PS256" and
	    (.assertionHeader["x5t#S256"] | length == 43)'
	reqs=$(token_requests "$mark")
	echo "$reqs"
	echo "$reqs" | jq -e 'length == 1 and .[0].status == 200'
	echo "$reqs" | jq -e '.[0].body | .grant_type == "client_credentials" and
	    .client_assertion_type ==
	    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" and
	    .client_assertion == "REDACTED" and
	    (has("client_secret") | not) and .client_id == env.APP2'
	# the same in the request log file
	tail -1 "$SIM_DIR/requests.log" | jq -e '.status == 200 and
	    .body.client_assertion_type ==
	    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"'
}

@test "MSAL Node: certificate with a SHA-1 thumbprint (RS256, x5t) gets a Power BI token" {
	local mark reqs
	mark=$(sim_mark)
	msal cert-sha1
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.aud == "https://analysis.windows.net/powerbi/api"'
	echo "$output" | jq -e '.appid == env.APP2'
	echo "$output" | jq -e '.assertionHeader.alg == "RS256" and
	    (.assertionHeader.x5t | length == 27)'
	reqs=$(token_requests "$mark")
	echo "$reqs" | jq -e 'length == 1 and .[0].status == 200 and
	    .[0].body.client_assertion_type ==
	    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"'
}

@test "MSAL Node: a wrong secret or an unknown certificate is refused" {
	local other="$BATS_TEST_TMPDIR/other"
	msal secret MSAL_SECRET=not-the-secret
	[ "$status" -eq 1 ]
	[[ "$stderr" == *invalid_client* ]]
	[[ "$stderr" == *AADSTS7000215* ]]
	mkdir -p "$other"
	mkcert "$other"
	msal cert MSAL_CERT="$other/cert.pem" MSAL_KEY="$other/key.pem"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *invalid_client* ]]
}
