#!/usr/bin/env bats
# The EXAMPLES of every manual page, run as they are written against
# pbisim: each command must succeed, and an output the page shows must be
# what the command prints.  tests/tools/man_examples.py takes them from
# the page; each page's test below prepares what a reader of that page
# has: a pbisim tenant (the demo seed, with the apps, users and capacities
# the examples name), the files they name in the working directory and
# under HOME, a ledger where the page assumes one, and credentials in
# the environment where the examples show none.  Each display runs in a
# shell of its own, in order, on the same ledger and pbisim; pbisim.1's
# run as one session.  A device code the examples show is approved at
# pbisim as the user at the browser would.  Port 8443 of the examples is
# pbisim's port here.
#
# Excluded examples: none.  An example that cannot run against pbisim is
# listed here with the reason, and given to run_examples with --exclude.
bats_require_minimum_version 1.5.0

load cli_helper

TOOL=$top/tests/tools/man_examples.py
# The app of pbictl.1, pbictl-init(1) and the US Government examples.
DOC_APP=6d4f1c2a-0b7e-4c53-9a61-2f8e5d3b7c10
DOC_TENANT=9c1e7a3b-4d2f-4e8a-b6c0-5f1d2e3a4b5c
OPS=ops@contoso.onmicrosoft.com

setup() {
	cli_setup
	# The ledger where the pages say it is: under HOME.
	unset PBICTL_LEDGER
	mkdir -p "$T/bin" "$T/work" "$HOME/.config/pbictl" "$HOME/gov"
	ln -s "$PBICTL" "$T/bin/pbictl"
	ln -s "$PBISIM" "$T/bin/pbisim"
	export PATH="$T/bin:$PATH"
	python3 "$top/tests/data/mkpbix.py" "$T/pbix" >/dev/null
	cp "$T/pbix/sales-db.pbix" "$T/work/sales.pbix"
	cp "$T/pbix/sales-v2.pbix" "$T/pbix/finance.pbix" "$T/work/"
	# The certificate of the examples: app.crt, and app.pem with its key.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pbictl-docs \
	    -keyout "$T/app.key" -out "$T/work/app.crt" 2>/dev/null
	cat "$T/work/app.crt" "$T/app.key" >"$HOME/.config/pbictl/app.pem"
	chmod 600 "$HOME/.config/pbictl/app.pem"
	secret_file "$HOME/.config/pbictl/secret"
	secret_file "$HOME/gov/secret"
	# The customers file of pbictl-customer(1).
	printf 'customer,display name,admin\nacme,"Acme, Inc.",alice@acme.example\nglobex,Globex\n' \
	    >"$T/work/customers.csv"
	# The demo tenant, with the tenant id, app, user and certificate the
	# examples name; both apps have a service principal.
	"$PBISIM" --print-seed | jq --rawfile c "$T/work/app.crt" \
	    --arg app "$APP" --arg doc "$DOC_APP" --arg tid "$DOC_TENANT" \
	    --arg ops "$OPS" '
	    .tenant.id = $tid | .tenant.deviceCodeInterval = 1
	    | .applications[0].keyCredentials = [{certificate: $c}]
	    | .applications += [{appId: $doc, displayName: "pbictl docs app",
	        passwordCredentials: [{secretText: "demo-secret-value",
	            endDateTime: "2099-01-01T00:00:00Z"}],
	        keyCredentials: [{certificate: $c}]}]
	    | .servicePrincipals = [{appId: $app}, {appId: $doc}]
	    | .users += [{userPrincipalName: $ops, displayName: "Operations",
	        password: "Ops-Passw0rd!"}]
	    | .capacities |= map(.assign += [$doc])' >"$T/seed.json"
	# What a reader types at "read -rs AZURE_PASSWORD".
	printf '%s\n' "$ADMIN_PASSWORD" >"$T/stdin"
}
teardown() {
	# The server of pg_examples, which a failure may have left running.
	if [ -n "${PG_DIR:-}" ]; then
		pg_stop
		rm -rf "$PG_DIR"
	fi
	cli_teardown
}

# secret_file FILE: the demo app's secret in a file of mode 0600.
secret_file() {
	printf '%s\n' "$APP_SECRET" >"$1"
	chmod 600 "$1"
}

# as_app: the examples' credentials, where they show none, are the app's
# secret in the environment.
as_app() {
	export AZURE_CLIENT_SECRET=$APP_SECRET
}

# run_examples PAGE [man_examples.py script options]: run the EXAMPLES of
# man/PAGE in $T/work, approving at pbisim every device code shown.
run_examples() {
	local page=$1 pid code seen= i rc
	shift
	python3 "$TOOL" script "$@" ${SIM:+--subst "127.0.0.1:8443=${SIM#http://}"} \
	    "$top/man/$page" >"$T/examples.sh"
	(cd "$T/work" && exec bash "$T/examples.sh") <"$T/stdin" \
	    >"$T/examples.out" 2>"$T/examples.err" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		code=$(sed -n 's/.*enter the code \([A-Z0-9]*\) .*/\1/p' \
		    "$T/examples.err" | tail -1)
		if [ -n "$code" ] && [ "$code" != "$seen" ]; then
			sim_post /_sim/devicecode "{\"userCode\":\"$code\",\"action\":\"approve\",\"upn\":\"$ADMIN\"}" >/dev/null
			seen=$code
		fi
		sleep 0.1
	done
	wait "$pid" && rc=0 || rc=$?
	echo "--- $page: exit $rc; stdout:"
	cat "$T/examples.out"
	echo "--- stderr:"
	cat "$T/examples.err"
	return "$rc"
}

@test "every manual page with EXAMPLES has its test here" {
	local p missing=
	for p in "$top"/man/*.[1-9]; do
		grep -q '^\.Sh EXAMPLES' "$p" || continue
		[ "$(python3 "$TOOL" list "$p" | wc -l)" -gt 0 ] ||
		    { echo "${p##*/}: no example found"; return 1; }
		grep -q "^	run_examples ${p##*/}\( \|\$\)" "$BATS_TEST_FILENAME" ||
		    missing="$missing ${p##*/}"
	done
	[ -z "$missing" ] || { echo "no test for:$missing"; return 1; }
}

@test "man_examples.py: a failing example, a wrong output and a stray option fail" {
	mkdir -p "$T/man"
	printf '%s\n' '.Sh EXAMPLES' '.Bd -literal' '$ echo one' two .Ed \
	    '.Sh SEE ALSO' >"$T/man/out.1"
	run bash -c "python3 '$TOOL' script '$T/man/out.1' | bash"
	[ "$status" -ne 0 ]
	[[ "$output" == *"+one"* ]]
	printf '%s\n' '.Sh EXAMPLES' '.Dl $ false' '.Dl $ echo after' >"$T/man/fail.1"
	run bash -c "python3 '$TOOL' script '$T/man/fail.1' | bash"
	[ "$status" -ne 0 ]
	[[ "$output" == *"failed: false"* ]]
	[[ "$output" != *after* ]]
	run python3 "$TOOL" script --exclude nothing-like-it "$T/man/fail.1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"matches 0 example commands"* ]]
}

@test "pbictl.1 EXAMPLES" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	as_app
	run_examples pbictl.1
	[ "$(state '[.workspaces[] | select(.name | startswith("cust-"))] | length')" = 2 ]
	[ -f "$HOME/fabrikam/ledger.db" ]
}

@test "pbictl-audit.1 EXAMPLES" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	demo_ledger
	as_app
	pbictl -q onboard acme globex --report "$top/examples/sales.pbix" \
	    --admin "$ADMIN" >/dev/null
	run_examples pbictl-audit.1
	grep -q '<testsuite name="isolation audit" tests="2" failures="0"' \
	    "$T/work/audit.xml"
	grep -q '<p id="verdict" class="verdict clean">' "$T/work/audit.html"
	[ "$(sqlite3 "$HOME/.local/share/pbictl/ledger.db" 'SELECT count(*) FROM audits WHERE complete = 1')" = 5 ]
}

@test "pbictl-auth.1 EXAMPLES" {
	sim_start
	demo_ledger
	# The sign-in message the page shows goes to stderr, with a code
	# that is new each time: not compared.
	run_examples pbictl-auth.1 \
	    --no-compare 'pbictl --device-code auth status'
	# Each credential the page shows was used.
	[ "$(requests '[.[] | select(.path | endswith("/token")) | .body.grant_type] | unique | join(",")')" = \
	    client_credentials,password,refresh_token,urn:ietf:params:oauth:grant-type:device_code ]
	[ "$(requests '[.[] | select(.path | endswith("/token")) | .body.client_assertion_type // empty] | length')" -ge 1 ]
}

@test "pbictl-capacity.1 EXAMPLES" {
	# The capacity the examples move customers to is Active here.
	jq '.capacities |= map(.state = "Active")' "$T/seed.json" >"$T/seed2.json"
	mv "$T/seed2.json" "$T/seed.json"
	sim_start --assign-seconds 0.2
	demo_ledger
	as_app
	pbictl -q customer add acme globex >/dev/null
	run_examples pbictl-capacity.1
	[ "$(state '[.workspaces[] | select(.name | startswith("cust-")) | .capacityId] | unique | join(",")')" = \
	    5d9b2c1a-8e7f-4a3b-9c6d-1e2f3a4b5c6d ]
}

@test "pbictl-customer.1 EXAMPLES" {
	sim_start
	demo_ledger
	as_app
	run_examples pbictl-customer.1
	[ "$(pbictl customer list --removed -o json | jq -r '[.[] | .customer + ":" + .status] | join(",")')" = \
	    acme:active,globex:removed ]
	[ "$(state '[.workspaces[] | select(.name == "cust-globex")] | length')" = 1 ]
	[ "$(state '[.workspaces[] | select(.name == "cust-initech")] | length')" = 0 ]
}

@test "pbictl-grant.1 EXAMPLES" {
	sim_start
	demo_ledger
	as_admin
	run_examples pbictl-grant.1
	grep -q Workspace.ReadWrite.All "$T/examples.out"
	# Two grants for all users, two for one user; one scope added, one
	# taken away.
	[ "$(count POST '^/v1.0/oauth2PermissionGrants$')" = 4 ]
	[ "$(count PATCH '^/v1.0/oauth2PermissionGrants/')" = 2 ]
}

@test "pbictl-init.1 EXAMPLES" {
	run_examples pbictl-init.1
	[ "$(pbictl init -o json | jq -r .settings.name_template)" = 'tenant-{slug}' ]
	[ "$(pbictl --ledger "$HOME/gov/ledger.db" init -o json | jq -r .settings.cloud)" = usgov ]
}

# pg_examples: a PostgreSQL server (pg_helper.bash) for db.example.com,
# with its database pbictl; the --subst options that point the pages'
# URIs and createdb at it (over its socket, which sslmode leaves be).
pg_examples() {
	# Not under $T, which the server's user may not enter.
	pg_start "$(mktemp -d /tmp/pbipg.XXXXXX)"
	PG_URI="postgresql:///pbictl?host=$PG_DIR&user=$PG_USER&sslmode"
	PG_SUBST=(--subst "postgresql://db.example.com/pbictl?sslmode=$PG_URI"
	    --subst "postgresql://ci@db.example.com/pbictl?sslmode=$PG_URI"
	    --subst "createdb -h db.example.com=createdb -h $PG_DIR -U $PG_USER")
}

@test "pbictl-ledger.1 EXAMPLES" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	demo_ledger
	as_app
	pbictl -q onboard acme --report "$T/work/sales.pbix" >/dev/null
	pg_examples
	pg_newdb pbictl >/dev/null
	run_examples pbictl-ledger.1 "${PG_SUBST[@]}"
	pg_stop
	[ "$(jq -r .ok "$T/work/verify.json")" = true ]
	[ "$(jq -r '.customers | length' "$T/work/ledger-$(date +%F).json")" = 1 ]
}

@test "pbictl-ledger.5 EXAMPLES" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	demo_ledger
	as_app
	pg_examples
	run_examples pbictl-ledger.5 "${PG_SUBST[@]}"
	[ "$(pg_sql "${PG_URI%&sslmode}" "SELECT string_agg(slug, ',' ORDER BY slug) FROM customers")" = acme,beta ]
	pg_stop
}

@test "pbictl-migrate.1 EXAMPLES" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	export PBICTL_ARM_URL=$SIM PBICTL_COLLECTIONS_URL=$SIM
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" \
	    --capacity 0f084df7-c13d-451b-af5f-ed0c466403b2 >/dev/null
	as_app
	# The demo seed's collection: its key, a map, no DirectQuery.
	printf 'demo-access-key-1\n' >"$T/work/legacy.key"
	chmod 600 "$T/work/legacy.key"
	printf 'workspaceId,customer,display name\n9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d,acme,Acme\n' \
	    >"$T/work/map.csv"
	echo '{}' >"$T/work/connections.json"
	chmod 600 "$T/work/connections.json"
	run_examples pbictl-migrate.1
	# The subscription's plan named the workspace after itself.
	[ "$(state '.workspaces[] | select(.name == "cust-customer-acme") | [._reports[].name] | join(",")')" = Sales ]
	grep -q 'customer-acme Pilot: imported 2016-09-01' "$T/examples.out"
}

@test "pbictl-onboard.1 EXAMPLES" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" \
	    --capacity 0f084df7-c13d-451b-af5f-ed0c466403b2 >/dev/null
	as_app
	run_examples pbictl-onboard.1
	[ "$(state '[.workspaces[] | select(.name | startswith("cust-")) | ._reports | length] | join(",")')" = 2,2 ]
}

@test "pbictl-publish.1 EXAMPLES" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	demo_ledger
	as_app
	pbictl -q customer add acme globex >/dev/null
	run_examples pbictl-publish.1
	# acme's dataset got its parameters, and a refresh.
	[ "$(requests '[.[] | select(.path | endswith("/Default.UpdateParameters")) | .body.updateDetails | map(.name + "=" + .newValue) | join(",")] | join(" ")')" = \
	    Server=sql-acme.example.net,Database=acme ]
	[ "$(count POST '/refreshes$')" = 1 ]
}

@test "pbictl-sp.1 EXAMPLES" {
	rm "$HOME/.config/pbictl/secret"
	sim_start
	demo_ledger
	as_admin
	run_examples pbictl-sp.1
	[ "$(stat -c %a "$HOME/.config/pbictl/secret")" = 600 ]
	[ "$(state '[.applications[] | select(.displayName == "Contoso Embedded")] | length')" = 1 ]
}

@test "pbictl-token.1 EXAMPLES" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	demo_ledger
	as_app
	# acme's reports: sales, and regions, on a dataset with row-level
	# security (role Region); globex has sales only.
	cp "$T/pbix/rls.pbix" "$T/work/regions.pbix"
	pbictl -q onboard acme --report "$T/pbix/sales.pbix" \
	    --report "$T/work/regions.pbix" >/dev/null
	pbictl -q onboard globex --report "$T/pbix/sales.pbix" >/dev/null
	run_examples pbictl-token.1
	# Each example minted its token: four for acme, one for globex.
	[ "$(count POST '^/v1.0/myorg/GenerateToken$')" = 5 ]
	[ "$(state '[.embedTokens[].identities[].username] | unique | join(",")')" = \
	    alice@acme.example,check@contoso.example ]
}

@test "pbisim.1 EXAMPLES" {
	run_examples pbisim.1 --session
	grep -q '^{"token_type":"Bearer",' "$T/examples.out"
}
