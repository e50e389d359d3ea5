#!/usr/bin/env bats
# pbictl over TLS against pbisim --tls-cert/--tls-key: verification is
# always on (pbictl(1)); a certificate no trusted CA signed, or one for
# another host, is refused with a clear error, and PBICTL_CA_BUNDLE naming
# the CA that signed pbisim's certificate is accepted.
bats_require_minimum_version 1.5.0

load cli_helper

setup() {
	cli_setup
	onboard_setup
	demo_ledger
	# A CA, and two certificates it signs for pbisim: one for 127.0.0.1,
	# one for another host.  Another CA, that signed neither.
	mkca ca
	mkca other-ca
	mkleaf ca server IP:127.0.0.1
	mkleaf ca elsewhere DNS:elsewhere.example
}
teardown() { cli_teardown; }

# mkca NAME: a self-signed CA in $T/NAME.pem, its key in $T/NAME.key.
mkca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pbictl test $1" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -keyout "$T/$1.key" -out "$T/$1.pem" 2>/dev/null
}

# mkleaf CA NAME SAN: a server certificate for SAN, signed by CA.
mkleaf() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" \
	    -keyout "$T/$2.key" -out "$T/$2.csr" 2>/dev/null
	printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' \
	    "$3" >"$T/$2.ext"
	openssl x509 -req -in "$T/$2.csr" -CA "$T/$1.pem" -CAkey "$T/$1.key" \
	    -CAcreateserial -days 2 -extfile "$T/$2.ext" -out "$T/$2.pem" 2>/dev/null
}

# tls_start NAME: pbisim serving HTTPS with certificate NAME; pbictl
# pointed at it.
tls_start() {
	sim_start --tls-cert "$T/$1.pem" --tls-key "$T/$1.key"
	SIM=https://127.0.0.1:$(cat "$T/port")
	export PBICTL_LOGIN_URL=$SIM PBICTL_GRAPH_URL=$SIM PBICTL_POWERBI_URL=$SIM
	# The curl of the helpers (requests, state) trusts the CA; pbictl
	# takes its CAs from PBICTL_CA_BUNDLE only, as the refusals show.
	export CURL_CA_BUNDLE=$T/ca.pem
}

# no_http: no request reached pbisim's routes (TLS failed first).
no_http() {
	[ "$(curl -sfk "$SIM/_sim/requests" | jq length)" = 0 ]
}

@test "a certificate from a CA not trusted is refused with a clear error" {
	tls_start server
	# The system's CAs: none of them signed it.
	run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"POST /contoso.onmicrosoft.com/oauth2/v2.0/token: SSL certificate problem"* ]]
	no_http
	# Another CA named: refused the same way.
	PBICTL_CA_BUNDLE=$T/other-ca.pem run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"oauth2/v2.0/token: SSL certificate problem"* ]]
	no_http
}

@test "an empty PBICTL_CA_BUNDLE counts as unset" {
	tls_start server
	# Unset: the system's CAs, which refuse pbisim's certificate as
	# they do without the variable; not an unreadable file named "".
	PBICTL_CA_BUNDLE= run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"oauth2/v2.0/token: SSL certificate problem"* ]]
	no_http
	# And an empty variable does not stop pbictl from working where the
	# system's CAs are the right ones: here pbisim over plain http.
	sim_stop
	sim_start
	PBICTL_CA_BUNDLE= run pbictl auth status -o json
	[ "$status" -eq 0 ]
}

@test "PBICTL_CA_BUNDLE naming pbisim's CA is accepted, for every API" {
	tls_start server
	export PBICTL_CA_BUNDLE=$T/ca.pem
	run pbictl auth status -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .method <<<"$output")" = client-secret ]
	run pbictl capacity list -o json
	[ "$status" -eq 0 ]
	[[ "$output" == *"$CAP"* ]]
	run pbictl onboard acme -o json
	[ "$status" -eq 0 ]
	[ "$(state '[.workspaces[] | select(.name == "cust-acme")] | length')" = 1 ]
	# Everything went over TLS to pbisim: tokens, Power BI.
	[ "$(requests '[.[] | select(.path | endswith("/oauth2/v2.0/token"))] | length')" -ge 1 ]
	[ "$(count POST '^/v1.0/myorg/groups$')" = 1 ]
}

@test "a trusted certificate for another host is refused" {
	tls_start elsewhere
	PBICTL_CA_BUNDLE=$T/ca.pem run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"oauth2/v2.0/token: SSL: no alternative certificate subject name matches target host name '127.0.0.1'"* ]]
	no_http
}

@test "a CA bundle that cannot be read is an error, not a fallback" {
	tls_start server
	PBICTL_CA_BUNDLE=$T/none.pem run --separate-stderr pbictl auth status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"oauth2/v2.0/token: error setting certificate file: $T/none.pem"* ]]
	no_http
}
