# cli_helper.bash: shared setup for the pbictl end-to-end tests.
# Each test gets its own directory and ledger; the directory is kept
# when the test fails (its path is printed) and removed when it passes.
#
# PBICTL_TEST_LEDGER=pg runs the suite on a PostgreSQL ledger instead:
# each test gets a database of its own on the server of
# PBICTL_TEST_PG_DIR (tests/tools/pg.sh starts one), and ledger_sql runs
# its SQL there.  A test of SQLite's own file behaviour says sqlite_only.

load common
load pg_helper

top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
: "${PBICTL:=$top/build/pbictl}"
export PBICTL
: "${PBISIM:=$top/build/pbisim}"
export PBISIM

cli_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/pbictl-e2e.XXXXXX")
	export PBICTL_LEDGER="$T/ledger.db"
	if [ "${PBICTL_TEST_LEDGER:-}" = pg ]; then
		PG_DIR=${PBICTL_TEST_PG_DIR:?PBICTL_TEST_LEDGER=pg needs a server: tests/tools/pg.sh}
		PBICTL_LEDGER=$(pg_newdb "t_$(basename "$T" | tr 'A-Z.-' 'a-z__')") ||
		    return 1
	fi
	export HOME="$T/home"
	unset XDG_DATA_HOME AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET \
	    AZURE_CLIENT_CERTIFICATE_PATH AZURE_CLIENT_CERTIFICATE_PASSWORD \
	    AZURE_USERNAME AZURE_PASSWORD AZURE_AUTHORITY_HOST \
	    PBICTL_LOGIN_URL PBICTL_GRAPH_URL PBICTL_POWERBI_URL
	TENANT=contoso.onmicrosoft.com
	CLIENT=6a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b
}

cli_teardown() {
	local rc=0
	sim_stop || rc=1
	if [ -n "${BATS_TEST_COMPLETED:-}" ] && [ "$rc" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "# kept $T" >&3
	fi
	return $rc
}

pbictl() {
	"$PBICTL" "$@"
}

# ledger_sql SQL: run SQL on the test's ledger (sqlite3, or psql), one
# row a line, columns separated by '|'.
ledger_sql() {
	if [ "${PBICTL_TEST_LEDGER:-}" = pg ]; then
		pg_sql "$PBICTL_LEDGER" "$1"
	else
		sqlite3 "$PBICTL_LEDGER" "$1"
	fi
}

# ledger_file: a file that holds every byte of the test's ledger, for
# refute_in: the SQLite file, or a dump of the PostgreSQL database.
ledger_file() {
	if [ "${PBICTL_TEST_LEDGER:-}" = pg ]; then
		"$PG_BIN/pg_dump" -d "$PBICTL_LEDGER" >"$T/ledger.dump" &&
		    echo "$T/ledger.dump"
	else
		echo "$PBICTL_LEDGER"
	fi
}

# sqlite_only: this test is about the SQLite file itself; it does not run
# on PostgreSQL (tests/run.sh leaves it out there).
sqlite_only() {
	if [ "${PBICTL_TEST_LEDGER:-}" = pg ]; then
		skip "SQLite's file behaviour"
	fi
}

# The demo tenant's app (pbisim --print-seed) and its secret.
APP=11111111-2222-4333-8444-555555555555
APP_SECRET=demo-secret-value
ADMIN=admin@contoso.onmicrosoft.com
ADMIN_PASSWORD='Demo-Passw0rd!'

# sim_seed [JQ-FILTER]: write $T/seed.json from the demo seed, changed by
# the filter, with short device-code polling for tests.
sim_seed() {
	"$PBISIM" --print-seed |
	    jq ".tenant.deviceCodeInterval = 1 | ${1:-.}" >"$T/seed.json"
}

# sim_start [PBISIM-ARGS]: start pbisim on a free port with $T/seed.json
# and point pbictl at it.
sim_start() {
	[ -f "$T/seed.json" ] || sim_seed
	# A port file left by an earlier start would name the old port.
	rm -f "$T/port"
	"$PBISIM" --seed "$T/seed.json" --port-file "$T/port" \
	    --request-log "$T/requests.log" "$@" >"$T/pbisim.out" 2>&1 &
	SIM_PID=$!
	local i
	for i in $(seq 200); do
		[ -s "$T/port" ] && break
		sleep 0.05
	done
	[ -s "$T/port" ] || { cat "$T/pbisim.out"; return 1; }
	SIM=http://127.0.0.1:$(cat "$T/port")
	export PBICTL_LOGIN_URL=$SIM PBICTL_GRAPH_URL=$SIM PBICTL_POWERBI_URL=$SIM
}

# sim_stop: stop the pbisim of sim_start (sim_terminate): fails if it had
# died, did not exit 0, or a sanitizer reported on its output.
sim_stop() {
	local pid=${SIM_PID:-}
	[ -n "$pid" ] || return 0
	SIM_PID=
	sim_terminate "$pid" "$T/pbisim.out"
}

# sim_post PATH JSON: a control call.
sim_post() {
	curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$SIM$1"
}

# requests [JQ-FILTER]: the requests pbisim saw, as a JSON array.
requests() {
	curl -sf "$SIM/_sim/requests" | jq -r "${1:-.}"
}

# A ledger for the demo tenant and app.
demo_ledger() {
	"$PBICTL" -q init --tenant contoso.onmicrosoft.com --client-id "$APP" \
	    >/dev/null
}

# writes [SINCE]: how many requests from the SINCE'th on changed state
# (any method but GET, token requests not counted).
writes() {
	requests "[.[${1:-0}:][] | select(.method != \"GET\" and (.path | test(\"/oauth2/\") | not))] | length"
}

# count METHOD PATH-REGEX: requests with that method and a matching path.
count() {
	requests "[.[] | select(.method == \"$1\" and (.path | test(\"$2\")))] | length"
}

# As the tenant admin (master user), the way a first setup runs.
as_admin() {
	export AZURE_USERNAME=$ADMIN AZURE_PASSWORD=$ADMIN_PASSWORD
	unset AZURE_CLIENT_SECRET
}

# The demo tenant with the app's service principal and short async waits:
# the app works as itself (profiles are for service principals only).
onboard_setup() {
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}]"
	export AZURE_CLIENT_SECRET=$APP_SECRET
	unset AZURE_USERNAME AZURE_PASSWORD
	CAP=0f084df7-c13d-451b-af5f-ed0c466403b2
	CAP_SUSPENDED=5d9b2c1a-8e7f-4a3b-9c6d-1e2f3a4b5c6d
	python3 "$top/tests/data/mkpbix.py" "$T/pbix" >/dev/null
}

# The tenant as pbisim holds it.
state() {
	curl -sf "$SIM/_sim/state" | jq -r "$1"
}
