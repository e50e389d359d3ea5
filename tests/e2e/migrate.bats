#!/usr/bin/env bats
# pbictl migrate: from the retired Workspace Collections into customers'
# app workspaces, against pbisim.  The legacy side is built through its
# own API (workspaces, imports, a push dataset, a DirectQuery dataset with
# its connection string, same-name reports); the pre-2016 import comes
# from the seed.  Every check is on pbisim's request log and state, or on
# the ledger.
bats_require_minimum_version 1.5.0

load cli_helper

CN=legacy-embedded
KEY=demo-access-key-1
SUB=00000000-0000-0000-0000-000000000001
ACME_WS=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
CONN_PW=S3cret-Conn-Pw-81
CONN_CS="data source=sql-new.contoso.net;initial catalog=orders"

setup() {
	cli_setup
	onboard_setup
}
teardown() { cli_teardown; }

# wc METHOD PATH [CURL-ARGS]: a legacy data-plane call with the key.
wc() {
	local m=$1 p=$2
	shift 2
	curl -sf -X "$m" -H "Authorization: AppKey $KEY" \
	    "$SIM/v1.0/collections/$CN/workspaces$p" "$@"
}

# wc_import WS FILE NAME: import a package and wait for it; prints the
# import's JSON.
wc_import() {
	local id i o
	id=$(wc POST "/$1/imports?datasetDisplayName=$3&nameConflict=Ignore" \
	    -F "file=@$2" | jq -r .id)
	for i in $(seq 100); do
		o=$(wc GET "/$1/imports/$id")
		[ "$(jq -r .importState <<<"$o")" = Succeeded ] && break
		sleep 0.1
	done
	echo "$o"
}

# legacy_build: workspace "Globex Corp" with two reports named Sales, a
# DirectQuery report Orders (its legacy connection string set) and a
# report on a push dataset; and the key, map and connections files.
legacy_build() {
	local o sales push
	G=$(wc POST "" -H 'Content-Type: application/json' \
	    -d '{"name":"Globex Corp"}' | jq -r .workspaceId)
	o=$(wc_import "$G" "$T/pbix/sales.pbix" Sales)
	sales=$(jq -r '.reports[0].id' <<<"$o")
	wc_import "$G" "$T/pbix/sales-v2.pbix" Sales >/dev/null
	o=$(wc_import "$G" "$T/pbix/rls.pbix" Orders)
	DQ_DS=$(jq -r '.datasets[0].id' <<<"$o")
	wc POST "/$G/datasets/$DQ_DS/Default.SetAllConnections" \
	    -H 'Content-Type: application/json' \
	    -d '{"connectionString":"data source=sql-legacy;initial catalog=orders"}' >/dev/null
	push=$(wc POST "/$G/datasets" -H 'Content-Type: application/json' \
	    -d '{"name":"Telemetry","tables":[{"name":"Rows","columns":[{"name":"Value","dataType":"Int64"}]}]}' | jq -r .id)
	wc POST "/$G/reports/$sales/Clone" -H 'Content-Type: application/json' \
	    -d "{\"name\":\"Telemetry\",\"targetModelId\":\"$push\"}" >/dev/null
	printf '%s\n' "$KEY" >"$T/key"
	chmod 600 "$T/key"
	printf 'workspaceId,customer,display name\n%s,globex,Globex Corporation\n%s,acme,Acme\n' \
	    "$G" "$ACME_WS" >"$T/map.csv"
	jq -n --arg ds "$DQ_DS" --arg cs "$CONN_CS" --arg pw "$CONN_PW" \
	    '{($ds): {connectionString: $cs, credentialType: "Basic", username: "orders-reader", password: $pw}}' \
	    >"$T/conn.json"
	chmod 600 "$T/conn.json"
}

mig_start() {
	sim_start --import-seconds "${1:-0.1}" --assign-seconds 0.1
	export PBICTL_ARM_URL=$SIM PBICTL_COLLECTIONS_URL=$SIM
	pbictl -q init --tenant "$TENANT" --client-id "$APP" --capacity "$CAP" >/dev/null
	legacy_build
}

# The workspace of customer C in pbisim's state.
ws_of() {
	curl -sf "$SIM/_sim/state" | jq -c ".workspaces[] | select(.name == \"cust-$1\")"
}

@test "plan classifies, run moves into the customers' workspaces, status says why not" {
	mig_start
	run pbictl migrate plan --collection "$CN" --access-key-file "$T/key" --map "$T/map.csv" -o json
	[ "$status" -eq 0 ]
	echo "$output" >"$T/plan.json"
	[ "$(jq -c .counts <<<"$output")" = '{"exportable":3,"directquery":1,"push":2,"pre2016":1}' ]
	cls() { jq -r ".reports[] | select(.customer == \"$1\" and .targetName == \"$2\") | .class" "$T/plan.json"; }
	[ "$(cls acme Sales)" = exportable ]
	[ "$(cls acme Live)" = push ]
	[ "$(cls acme Pilot)" = pre2016 ]
	[ "$(cls globex Orders)" = directquery ]
	[ "$(cls globex Telemetry)" = push ]
	# Two legacy reports named Sales: one keeps the name, ordered by id.
	[ "$(jq -r '[.reports[] | select(.customer == "globex" and .name == "Sales") | .targetName] | sort | join(",")' "$T/plan.json")" = "Sales,Sales (2)" ]
	[ "$(jq -r '.reports[] | select(.class == "pre2016") | .reason' "$T/plan.json")" = \
	    "imported 2016-09-01, before 2016-11-26, so it cannot be downloaded: re-import it from your own copy of the .pbix" ]
	[ "$(ledger_sql "SELECT count(*) FROM migrate_reports")" = 7 ]
	[ "$(ledger_sql "SELECT customer || '=' || display_name FROM migrations_map WHERE legacy_workspace_id = '$G'")" = "globex=Globex Corporation" ]
	# Every legacy call carried the key; none reached the new API with it.
	[ "$(requests '[.[] | select(.path | startswith("/v1.0/collections/")) | .principal] | unique | join(",")')" = "$CN" ]
	# The planned same-name pair keeps its names on a second plan.
	pbictl migrate plan --collection "$CN" --access-key-file "$T/key" --map "$T/map.csv" -o json >"$T/plan2.json"
	[ "$(jq -c '[.reports[] | [.reportId, .targetName]]' "$T/plan.json")" = "$(jq -c '[.reports[] | [.reportId, .targetName]]' "$T/plan2.json")" ]

	n0=$(requests length)
	# With traces of every call and body on stderr.
	pbictl -v -v migrate run --connections "$T/conn.json" --access-key-file "$T/key" --staging "$T/staging" -o json \
	    >"$T/run.json" 2>"$T/trace.txt"
	grep -q 'Default.SetAllConnections' "$T/trace.txt"
	# Into the right workspaces, on the capacity, named as planned.
	g=$(ws_of globex)
	a=$(ws_of acme)
	[ "$(jq -r .capacityId <<<"$g")" = "$CAP" ]
	[ "$(jq -r .capacityId <<<"$a")" = "$CAP" ]
	[ "$(jq -r '[._reports[].name] | sort | join(",")' <<<"$g")" = "Orders,Sales,Sales (2)" ]
	[ "$(jq -r '[._reports[].name] | sort | join(",")' <<<"$a")" = "Sales" ]
	gid=$(jq -r .id <<<"$g")
	# The DirectQuery dataset got its connection string and credentials.
	ds=$(ledger_sql "SELECT dataset_id FROM migrate_reports WHERE customer = 'globex' AND target_name = 'Orders'")
	[ "$(requests "[.[$n0:][] | select(.method == \"POST\" and .path == \"/v1.0/myorg/groups/$gid/datasets/$ds/Default.SetAllConnections\") | .body.connectionString] | join(\",\")")" = "$CONN_CS" ]
	[ "$(jq -r "._datasets[] | select(.id == \"$ds\") | ._connections[0].connectionString" <<<"$g")" = "$CONN_CS" ]
	gw=$(jq -r "._datasets[] | select(.id == \"$ds\") | ._datasources[0].gatewayId" <<<"$g")
	src=$(jq -r "._datasets[] | select(.id == \"$ds\") | ._datasources[0].id" <<<"$g")
	[ "$(requests "[.[$n0:][] | select(.method == \"PATCH\" and .path == \"/v1.0/myorg/gateways/$gw/datasources/$src\") | .body.credentialDetails.credentialType] | join(\",\")")" = Basic ]
	[ "$(jq -r "._datasets[] | select(.id == \"$ds\") | ._datasources[0].credentialType" <<<"$g")" = Basic ]
	# Status: counts, and each report not moved with its reason.
	run pbictl migrate status -o json
	[ "$status" -eq 0 ]
	[ "$(jq -S -c .states <<<"$output")" = '{"done":4,"skipped":3}' ]
	[ "$(jq -S -c '.customers.globex' <<<"$output")" = '{"done":3,"skipped":1}' ]
	[ "$(jq -r '[.notMoved[] | .report + ":" + .class] | sort | join(",")' <<<"$output")" = "Live:push,Pilot:pre2016,Telemetry:push" ]
	[ "$(jq -r '.notMoved[] | select(.report == "Telemetry") | .reason' <<<"$output")" = \
	    "bound to push dataset 'Telemetry', which cannot be downloaded: rebuild the report on a dataset in the new workspace" ]
	run pbictl migrate status
	[[ "$output" == *"7 reports:"* ]]
	# The migrated customers are like any other: audited clean, tokens.
	run pbictl audit -o json
	[ "$status" -eq 0 ]
	[ "$(jq '.findings | length' <<<"$output")" = 0 ]
	run pbictl token --customer globex --report "Sales (2)" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .workspaceId <<<"$output")" = "$gid" ]
	run pbictl token --customer acme --report Sales -o json
	[ "$status" -eq 0 ]
	# The password, the key: nowhere pbictl writes.
	pbictl ledger export >"$T/export.json"
	for s in "$CONN_PW" "$KEY"; do
		refute_in "$s" "$(ledger_file)" "$T/run.json" "$T/plan.json" "$T/export.json" "$T/requests.log" "$T/trace.txt"
	done
}

@test "a DirectQuery dataset without a connection is skipped, not a failed run" {
	mig_start
	pbictl -q migrate plan --collection "$CN" --access-key-file "$T/key" --map "$T/map.csv" >/dev/null
	echo '{}' >"$T/none.json"
	chmod 600 "$T/none.json"
	run pbictl migrate run --connections "$T/none.json" --access-key-file "$T/key" --staging "$T/staging"
	[ "$status" -eq 0 ] || { echo "status=$status output=$output"; false; }
	[ "$(ledger_sql "SELECT state || ':' || reason FROM migrate_reports WHERE target_name = 'Orders'")" = "skipped:no connection given" ]
	[ "$(count POST '/Default.SetAllConnections$')" = 1 ]	# legacy_build's own
	[ "$(jq -r '[._reports[].name] | sort | join(",")' <<<"$(ws_of globex)")" = "Sales,Sales (2)" ]
}

@test "--subscription: collections through ARM, keys from listKeys" {
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}] | .collections += [{name: \"legacy-two\", accessKeys: [\"two-key-1\", \"two-key-2\"], resourceGroup: \"rg-two\", workspaces: [{workspaceId: \"7a000000-0000-4000-8000-000000000001\", displayName: \"Initech Ltd\", reports: [{id: \"7e000000-0000-4000-8000-000000000001\", name: \"Books\", importedAt: \"2017-01-01T00:00:00Z\", pbix: .collections[0].workspaces[0].reports[0].pbix}]}]}]"
	mig_start
	run pbictl migrate plan --subscription "$SUB" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.collections | join(",")' <<<"$output")" = "legacy-embedded,legacy-two" ]
	# Without a map, customers are named after the legacy workspaces.
	[ "$(jq -r '[.workspaces[].customer] | sort | join(",")' <<<"$output")" = "customer-acme,globex-corp,initech-ltd" ]
	[ "$(count POST "/subscriptions/$SUB/resourceGroups/rg-two/providers/Microsoft.PowerBI/workspaceCollections/legacy-two/listKeys")" = 1 ]
	[ "$(count POST "/subscriptions/$SUB/resourceGroups/embedded/providers/Microsoft.PowerBI/workspaceCollections/legacy-embedded/listKeys")" = 1 ]
	run pbictl migrate run --customer initech-ltd --staging "$T/staging" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[._reports[].name] | join(",")' <<<"$(ws_of initech-ltd)")" = Books ]
	[ "$(count POST 'legacy-two/listKeys')" = 2 ]
	[ "$(count GET '^/v1.0/collections/legacy-two/.*/Export$')" = 1 ]
	# Only the named customer moved.
	[ -z "$(ws_of customer-acme)" ]
	refute_in two-key-1 "$(ledger_file)" "$T/requests.log"
}

# ledger_same BEFORE: the ledger exports as BEFORE did.
ledger_same() {
	pbictl ledger export | jq -S 'del(.journal)' >"$T/after.json"
	diff "$1" "$T/after.json"
}

@test "bad input: wrong key, unknown workspace in the map, bad connections file; nothing written" {
	mig_start
	pbictl ledger export | jq -S 'del(.journal)' >"$T/empty.json"
	# A wrong key, from the file or the environment.
	echo wrong-key >"$T/bad-key"
	chmod 600 "$T/bad-key"
	run pbictl migrate plan --collection "$CN" --access-key-file "$T/bad-key"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the access key of collection '$CN' was refused"* ]]
	[[ "$output" == *"GET /v1.0/collections/$CN/workspaces"* ]]
	[[ "$output" == *"request id"* ]]
	ledger_same "$T/empty.json"
	PBICTL_COLLECTION_KEY=wrong-key run pbictl migrate plan --collection "$CN"
	[ "$status" -eq 1 ]
	[[ "$output" == *"was refused"* ]]
	# A key file others may read is refused before any call.
	chmod 644 "$T/bad-key"
	n=$(requests length)
	run pbictl migrate plan --collection "$CN" --access-key-file "$T/bad-key"
	[ "$status" -eq 1 ]
	[ "$(requests length)" = "$n" ]
	# The map: an unknown workspace, an invalid customer name.
	printf '%s,globex\nf0000000-0000-4000-8000-00000000dead,ghost\n' "$G" >"$T/ghost.csv"
	run pbictl migrate plan --collection "$CN" --access-key-file "$T/key" --map "$T/ghost.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"map line 2: workspace f0000000-0000-4000-8000-00000000dead is not in the collection"* ]]
	ledger_same "$T/empty.json"
	printf '%s,Globex_Corp\n' "$G" >"$T/badslug.csv"
	run pbictl migrate plan --collection "$CN" --access-key-file "$T/key" --map "$T/badslug.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"badslug.csv:1: invalid customer name 'Globex_Corp'"* ]]
	ledger_same "$T/empty.json"
	# A good plan; then bad connections files change nothing.
	pbictl -q migrate plan --collection "$CN" --access-key-file "$T/key" --map "$T/map.csv" >/dev/null
	pbictl ledger export | jq -S 'del(.journal)' >"$T/planned.json"
	n=$(requests length)
	echo '{"not-a-guid": {"connectionString": "x"}' >"$T/broken.json"
	chmod 600 "$T/broken.json"
	run pbictl migrate run --connections "$T/broken.json" --access-key-file "$T/key"
	[ "$status" -eq 1 ]
	[[ "$output" == *"connections file '$T/broken.json' is not a JSON object"* ]]
	jq -n --arg ds "$DQ_DS" '{($ds): {connectionString: "x", credentialType: "Basic", username: "u"}}' >"$T/nopw.json"
	chmod 600 "$T/nopw.json"
	run pbictl migrate run --connections "$T/nopw.json" --access-key-file "$T/key"
	[ "$status" -eq 1 ]
	[[ "$output" == *"dataset $DQ_DS: Basic needs username and password"* ]]
	chmod 644 "$T/conn.json"
	run pbictl migrate run --connections "$T/conn.json" --access-key-file "$T/key"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/conn.json"* ]]
	[ "$(requests length)" = "$n" ]
	ledger_same "$T/planned.json"
	# A wrong key at run time: refused before anything is written.
	run pbictl migrate run --access-key-file "$T/bad-key"
	[ "$status" -eq 1 ]
	chmod 600 "$T/bad-key"
	run pbictl migrate run --access-key-file "$T/bad-key"
	[ "$status" -eq 1 ]
	[[ "$output" == *"was refused"* ]]
	ledger_same "$T/planned.json"
	[ "$(writes "$n")" = 0 ]
	[ ! -e "$PBICTL_LEDGER.staging" ]
}

@test "--dry-run lists the calls and writes nothing" {
	mig_start
	pbictl -q migrate plan --collection "$CN" --access-key-file "$T/key" --map "$T/map.csv" >/dev/null
	pbictl ledger export | jq -S 'del(.journal)' >"$T/planned.json"
	n=$(requests length)
	run pbictl --dry-run migrate run --connections "$T/conn.json" --access-key-file "$T/key" --staging "$T/staging" -o json
	[ "$status" -eq 0 ]
	[ "$(writes "$n")" = 0 ]
	[ "$(count GET '/Export$')" = 0 ]
	[[ "$output" == *"/v1.0/myorg/groups"* ]]
	ledger_same "$T/planned.json"
	[ ! -e "$T/staging" ]
	refute_in "$CONN_PW" "$(ledger_file)"
	[[ "$output" != *"$CONN_PW"* ]]
}

@test "killed by SIGKILL three times, then re-run: nothing duplicated, staged files reused" {
	mig_start 0.6
	pbictl -q migrate plan --collection "$CN" --access-key-file "$T/key" --map "$T/map.csv" >/dev/null
	for k in 1 2 3; do
		# Reports whose staged hash is recorded, and their exports so far.
		staged=$(ledger_sql "SELECT legacy_report_id FROM migrate_reports WHERE sha256 IS NOT NULL ORDER BY 1")
		before=$(requests '[.[] | select(.path | endswith("/Export")) | .path] | sort | join(" ")')
		"$PBICTL" --jobs 2 migrate run --connections "$T/conn.json" --access-key-file "$T/key" --staging "$T/staging" >/dev/null 2>&1 &
		pid=$!
		sleep "$(python3 -c "import random; print(round(random.uniform(0.2, 1.6), 2))")"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" || true
		for r in $staged; do
			[ "$(requests "[.[] | select(.path | endswith(\"/reports/$r/Export\"))] | length")" = \
			    "$(echo "$before" | tr ' ' '\n' | grep -c "/reports/$r/Export" || true)" ]
		done
	done
	staged=$(ledger_sql "SELECT legacy_report_id FROM migrate_reports WHERE sha256 IS NOT NULL ORDER BY 1")
	before=$(requests '[.[] | select(.path | endswith("/Export")) | .path] | sort | join(" ")')
	run pbictl migrate run --connections "$T/conn.json" --access-key-file "$T/key" --staging "$T/staging"
	[ "$status" -eq 0 ]
	for r in $staged; do
		[ "$(requests "[.[] | select(.path | endswith(\"/reports/$r/Export\"))] | length")" = \
		    "$(echo "$before" | tr ' ' '\n' | grep -c "/reports/$r/Export" || true)" ]
	done
	[ "$(ledger_sql "SELECT DISTINCT state FROM migrate_reports ORDER BY 1" | paste -sd, -)" = "done,skipped" ]
	# One workspace per customer, each report and import once.
	s=$(curl -sf "$SIM/_sim/state")
	[ "$(jq '[.workspaces[] | select(.name == "cust-globex")] | length' <<<"$s")" = 1 ]
	[ "$(jq '[.workspaces[] | select(.name == "cust-acme")] | length' <<<"$s")" = 1 ]
	[ "$(jq -r '.workspaces[] | select(.name == "cust-globex") | [._reports[].name] | sort | join(",")' <<<"$s")" = "Orders,Sales,Sales (2)" ]
	[ "$(jq -r '.workspaces[] | select(.name == "cust-globex") | [._imports[].name] | sort | join(",")' <<<"$s")" = "Orders,Sales,Sales (2)" ]
	[ "$(jq -r '.workspaces[] | select(.name == "cust-acme") | [._imports[].name] | join(",")' <<<"$s")" = "Sales" ]
	[ "$(jq '[.profiles[] | select(.displayName | startswith("cust-"))] | length' <<<"$s")" = 2 ]
	# Every staged file is there, as recorded; nothing half-written left.
	[ -z "$(find "$T/staging" -name '*.part')" ]
	ledger_sql "SELECT staged_path || ' ' || sha256 FROM migrate_reports WHERE sha256 IS NOT NULL" |
	    while read -r f h; do [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$h" ]; done
	# A run after the end exports nothing and writes nothing.
	n=$(requests length)
	run pbictl migrate run --connections "$T/conn.json" --access-key-file "$T/key" --staging "$T/staging"
	[ "$status" -eq 0 ]
	[ "$(requests "[.[$n:][] | select(.path | endswith(\"/Export\"))] | length")" = 0 ]
	[ "$(writes "$n")" = 0 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}
