# sim_helper.bash: shared setup for the pbisim end-to-end tests.
#
# Start one pbisim per test file (sim_start in setup_file) on port 0 with
# the test seed, reset it before each test (sim_reset), and always stop
# it in teardown_file, failing unless it exits 0 with no sanitizer report.

load common

SIM_ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
PBISIM="${PBISIM:-build/pbisim}"
case "$PBISIM" in
/*) ;;
*) PBISIM="$SIM_ROOT/$PBISIM" ;;
esac
SIM_SEED="$SIM_ROOT/tests/data/sim/seed.json"
TENANT=11112222-3333-4444-5555-666677778888
DOMAIN=sim.onmicrosoft.com
APP1=aaaaaaaa-0000-4000-8000-000000000001
APP2=aaaaaaaa-0000-4000-8000-000000000002
APP3=aaaaaaaa-0000-4000-8000-000000000003
SP1=bbbbbbbb-0000-4000-8000-000000000001
SP2=bbbbbbbb-0000-4000-8000-000000000002
PBI_SP=cccccccc-0000-4000-8000-000000000009
GRAPH_SP=cccccccc-0000-4000-8000-000000000003
SECGROUP=dddddddd-0000-4000-8000-000000000001
CAP_OK=ca000000-0000-4000-8000-000000000001
CAP_SUSP=ca000000-0000-4000-8000-000000000002
CAP_OTHER=ca000000-0000-4000-8000-000000000003
WS1=ee000000-0000-4000-8000-000000000001
WS_OTHER=ee000000-0000-4000-8000-000000000002
DS_RLS=d5000000-0000-4000-8000-000000000001
DS_PLAIN=d5000000-0000-4000-8000-000000000002
REP_RLS=e5000000-0000-4000-8000-000000000001
REP_PLAIN=e5000000-0000-4000-8000-000000000002
PBI_SCOPE=https://analysis.windows.net/powerbi/api/.default
GRAPH_SCOPE=https://graph.microsoft.com/.default
ADMIN=admin@sim.onmicrosoft.com
export SIM_ROOT PBISIM SIM_SEED TENANT DOMAIN APP1 APP2 APP3 SP1 SP2 PBI_SP \
    GRAPH_SP SECGROUP CAP_OK CAP_SUSP CAP_OTHER WS1 WS_OTHER DS_RLS DS_PLAIN \
    REP_RLS REP_PLAIN PBI_SCOPE GRAPH_SCOPE ADMIN

# sim_start DIR [pbisim options]: start pbisim, wait for its port file,
# export SIM (base URL).  The seed defaults to tests/data/sim/seed.json.
sim_start() {
	local dir=$1 i
	shift
	mkdir -p "$dir"
	rm -f "$dir/port"
	case " $* " in
	*" --seed "*) ;;
	*) set -- --seed "$SIM_SEED" "$@" ;;
	esac
	"$PBISIM" --port-file "$dir/port" --request-log "$dir/requests.log" \
	    "$@" 2>>"$dir/stderr" &
	echo $! >"$dir/pid"
	for i in $(seq 200); do
		[ -s "$dir/port" ] && break
		kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$dir/port" ]; then
		cat "$dir/stderr" >&2
		return 1
	fi
	SIM="http://127.0.0.1:$(cat "$dir/port")"
	export SIM
}

# sim_stop DIR: stop the pbisim of DIR (sim_terminate): fails if it had
# died, did not exit 0, or a sanitizer reported on its stderr.
sim_stop() {
	local dir=$1 pid
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	rm -f "$dir/pid"
	sim_terminate "$pid" "$dir/stderr"
}

# Default per-file lifecycle; files may override.
sim_setup_file() {
	SIM_DIR="$BATS_FILE_TMPDIR/sim"
	export SIM_DIR
	sim_start "$SIM_DIR" "$@"
}

sim_teardown_file() {
	sim_stop "$BATS_FILE_TMPDIR/sim"
}

# sim_reset: back to the seed; also rewinds the clock and restores the
# command-line faults.
sim_reset() {
	curl -sf -XPOST "$SIM/_sim/reset" >/dev/null
}

# call METHOD PATH [curl args]: sets CODE, BODY, HEADERS.
call() {
	local m=$1 p=$2
	shift 2
	CODE=$(curl -s -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/hdrs" \
	    -w '%{http_code}' -X "$m" "$SIM$p" "$@")
	BODY=$(cat "$BATS_TEST_TMPDIR/body")
	HEADERS=$(tr -d '\r' <"$BATS_TEST_TMPDIR/hdrs")
}

# header NAME: value of a response header of the last call.
header() {
	printf '%s\n' "$HEADERS" | awk -v n="$1" -F': ' \
	    'tolower($1) == tolower(n) { print $2 }' | tail -1
}

token_call() {
	call POST "/$TENANT/oauth2/v2.0/token" "$@"
}

# tok_app APPID SECRET SCOPE: client-credentials access token.
tok_app() {
	curl -sf -XPOST "$SIM/$TENANT/oauth2/v2.0/token" \
	    -d grant_type=client_credentials -d "client_id=$1" \
	    --data-urlencode "client_secret=$2" \
	    --data-urlencode "scope=$3" | jq -r .access_token
}

# tok_user UPN PASSWORD SCOPE: password-grant access token via APP1.
tok_user() {
	curl -sf -XPOST "$SIM/$TENANT/oauth2/v2.0/token" \
	    -d grant_type=password -d "client_id=$APP1" \
	    --data-urlencode "username=$1" --data-urlencode "password=$2" \
	    --data-urlencode "scope=$3" | jq -r .access_token
}

# pbi METHOD PATH [JSON] [curl args]: Power BI call with $PBI_TOKEN.
pbi() {
	local m=$1 p=$2 j=${3-}
	shift 2
	[ $# -gt 0 ] && shift
	if [ -n "$j" ]; then
		call "$m" "/v1.0/myorg$p" -H "Authorization: Bearer $PBI_TOKEN" \
		    -H 'Content-Type: application/json' --data "$j" "$@"
	else
		call "$m" "/v1.0/myorg$p" -H "Authorization: Bearer $PBI_TOKEN" \
		    "$@"
	fi
}

# graph METHOD PATH [JSON] [curl args]: Graph call with $GRAPH_TOKEN.
graph() {
	local m=$1 p=$2 j=${3-}
	shift 2
	[ $# -gt 0 ] && shift
	if [ -n "$j" ]; then
		call "$m" "/v1.0$p" -H "Authorization: Bearer $GRAPH_TOKEN" \
		    -H 'Content-Type: application/json' --data "$j" "$@"
	else
		call "$m" "/v1.0$p" -H "Authorization: Bearer $GRAPH_TOKEN" "$@"
	fi
}

sim_clock() {
	curl -sf -XPOST "$SIM/_sim/clock" -d "{\"advanceSeconds\":$1}" >/dev/null
}

sim_faults() {
	curl -sf -XPOST "$SIM/_sim/faults" -d "$1" >/dev/null
}

# Number of requests logged so far (use as ?since=).
sim_mark() {
	curl -sf "$SIM/_sim/requests" | jq 'if length == 0 then 0 else .[-1].n + 1 end'
}

b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# mkcert DIR: throwaway RSA key + self-signed certificate.
mkcert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/key.pem" \
	    -out "$1/cert.pem" -days 2 -subj /CN=pbisim-test 2>/dev/null
}

# assertion ALG KEY CERT CLAIMS_JSON: a signed client assertion.
assertion() {
	local alg=$1 key=$2 cert=$3 claims=$4 thumb hdr sig
	if [ "$alg" = PS256 ]; then
		thumb=$(openssl x509 -in "$cert" -outform DER |
		    openssl dgst -sha256 -binary | b64url)
		hdr=$(printf '{"alg":"PS256","typ":"JWT","x5t#S256":"%s"}' "$thumb" | b64url)
	else
		thumb=$(openssl x509 -in "$cert" -outform DER |
		    openssl dgst -sha1 -binary | b64url)
		hdr=$(printf '{"alg":"RS256","typ":"JWT","x5t":"%s"}' "$thumb" | b64url)
	fi
	claims=$(printf '%s' "$claims" | b64url)
	if [ "$alg" = PS256 ]; then
		sig=$(printf '%s.%s' "$hdr" "$claims" | openssl dgst -sha256 \
		    -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
		    -sign "$key" | b64url)
	else
		sig=$(printf '%s.%s' "$hdr" "$claims" | openssl dgst -sha256 \
		    -sign "$key" | b64url)
	fi
	printf '%s.%s.%s' "$hdr" "$claims" "$sig"
}
