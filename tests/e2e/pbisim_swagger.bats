#!/usr/bin/env bats
# pbisim: route and field names agree with the published specs.  Every
# Power BI and Workspace Collections route pbisim serves (listed in
# tests/tools/pbisim_routes.txt) must be a swagger operation (method, path,
# parameter names, required query parameters, body members), and must be
# served when called with real ids of a seeded pbisim.  The specs are
# copies in tests/data/specs (their source and licence in its README.md).

bats_require_minimum_version 1.5.0

load sim_helper

SPECS="$SIM_ROOT/tests/data/specs"
PBI_SPEC=powerbi-rest.swagger.json
COLL_SPEC=workspace-collections.swagger.json
ROUTES="$SIM_ROOT/tests/tools/pbisim_routes.txt"
TOOL="$SIM_ROOT/tests/tools/swagger_routes.py"

setup_file() {
	python3 "$SIM_ROOT/tests/data/sim/mkpbix.py" "$BATS_FILE_TMPDIR/pbix"
	PBIX="$BATS_FILE_TMPDIR/pbix"
	export PBIX
	sim_setup_file
}
teardown_file() { sim_teardown_file; }
setup() { sim_reset; }

# must CODE...: the last call answered one of CODE, else show it and fail.
must() {
	local c
	for c in "$@"; do
		[ "$CODE" = "$c" ] && return 0
	done
	echo "seeding: expected $*, got $CODE: $BODY" >&2
	return 1
}

# import_pbix WS FILE NAME: import, settle, set DS and REP.
import_pbix() {
	local id
	pbi POST "/groups/$1/imports?datasetDisplayName=$3&nameConflict=Ignore" '' \
	    -F "file=@$PBIX/$2"
	must 202 || return 1
	id=$(echo "$BODY" | jq -r .id)
	pbi GET "/groups/$1/imports/$id"
	sim_clock 2
	pbi GET "/groups/$1/imports/$id"
	must 200 || return 1
	echo "$BODY" | jq -e '.importState == "Succeeded"' >/dev/null || {
		echo "seeding: import $3 did not succeed: $BODY" >&2
		return 1
	}
	IMPORT=$id
	DS=$(echo "$BODY" | jq -r '.datasets[0].id')
	REP=$(echo "$BODY" | jq -r '.reports[0].id')
}

# seed_powerbi FILE: a workspace with imported reports and datasets, a
# profile, a finished scan; their ids as JSON in FILE.
seed_powerbi() {
	local ws doomed ds rep dsp repp dsd repd imp prof gw src scan
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	pbi POST '/groups?workspaceV2=true' '{"name":"swagger-walk"}'
	must 200 || return 1
	ws=$(echo "$BODY" | jq -r .id)
	pbi POST '/groups?workspaceV2=true' '{"name":"swagger-walk-doomed"}'
	must 200 || return 1
	doomed=$(echo "$BODY" | jq -r .id)
	import_pbix "$ws" rls.pbix Sales.pbix || return 1
	ds=$DS rep=$REP imp=$IMPORT
	import_pbix "$ws" plain.pbix Plain.pbix || return 1
	dsp=$DS repp=$REP
	import_pbix "$ws" plain.pbix Doomed.pbix || return 1
	dsd=$DS repd=$REP
	pbi GET "/groups/$ws/datasets/$ds/Default.GetBoundGatewayDatasources"
	must 200 || return 1
	gw=$(echo "$BODY" | jq -r '.value[0].gatewayId')
	src=$(echo "$BODY" | jq -r '.value[0].id')
	pbi POST /profiles '{"displayName":"swagger-walk"}'
	must 200 201 || return 1
	prof=$(echo "$BODY" | jq -r .id)
	pbi POST /admin/workspaces/getInfo "{\"workspaces\":[\"$ws\"]}"
	must 202 || return 1
	scan=$(echo "$BODY" | jq -r .id)
	pbi GET "/admin/workspaces/scanStatus/$scan"
	pbi GET "/admin/workspaces/scanStatus/$scan"
	echo "$BODY" | jq -e '.status == "Succeeded"' >/dev/null || {
		echo "seeding: scan did not succeed: $BODY" >&2
		return 1
	}
	jq -n --arg groupId "$ws" --arg groupDoomed "$doomed" \
	    --arg datasetId "$ds" --arg reportId "$rep" \
	    --arg datasetPlain "$dsp" --arg reportPlain "$repp" \
	    --arg datasetDoomed "$dsd" --arg reportDoomed "$repd" \
	    --arg importId "$imp" --arg gatewayId "$gw" \
	    --arg datasourceId "$src" --arg profileId "$prof" \
	    --arg scanId "$scan" --arg capacityId "$CAP_OK" \
	    --arg user "user@$DOMAIN" --arg pageName ReportSection \
	    --arg seedGroup "$WS1" \
	    --arg dashboardId da000000-0000-4000-8000-000000000001 \
	    --arg dashboardDoomed da000000-0000-4000-8000-000000000002 \
	    --arg tileId d1e00000-0000-4000-8000-000000000001 \
	    --arg unknownId 00000000-0000-4000-8000-0000000000aa \
	    --arg pbixDir "$PBIX" \
	    '$ARGS.named' >"$1"
	SW_SP_TOKEN=$PBI_TOKEN
	SW_USER_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	export SW_SP_TOKEN SW_USER_TOKEN
}

# seed_collections FILE: ids of the seeded collection "legacy" plus an
# import, as JSON in FILE.
seed_collections() {
	local cw=/v1.0/collections/legacy/workspaces
	local cws=f0000000-0000-4000-8000-000000000001
	call POST "$cw/$cws/imports?datasetDisplayName=seed.pbix" \
	    -H 'Authorization: AppKey key-one' -F "file=@$PBIX/plain.pbix"
	must 202 || return 1
	jq -n --arg collectionName legacy --arg workspaceId "$cws" \
	    --arg importId "$(echo "$BODY" | jq -r .id)" \
	    --arg datasetKey fd000000-0000-4000-8000-000000000001 \
	    --arg reportKey fe000000-0000-4000-8000-000000000001 \
	    --arg gatewayId fb000000-0000-4000-8000-000000000001 \
	    --arg datasourceId fa000000-0000-4000-8000-000000000001 \
	    --arg datasetKeyDoomed fd000000-0000-4000-8000-000000000002 \
	    --arg reportKeyDoomed fe000000-0000-4000-8000-000000000002 \
	    --arg pbixDir "$PBIX" '$ARGS.named' >"$1"
	SW_APPKEY=key-one
	export SW_APPKEY
}

@test "the specs are the copies tests/data/specs/README.md names" {
	local f want have
	for f in "$PBI_SPEC" "$COLL_SPEC"; do
		want=$(sed -n "s/^\([0-9a-f]\{64\}\)  $f\$/\1/p" "$SPECS/README.md")
		have=$(sha256sum "$SPECS/$f" | cut -d' ' -f1)
		[ -n "$want" ] || { echo "$f: no digest in README.md"; return 1; }
		[ "$want" = "$have" ] || { echo "$f: $have, README.md says $want"; return 1; }
	done
}

@test "route list covers every path segment the pbisim routers match" {
	run python3 "$TOOL" coverage "$ROUTES" "$SIM_ROOT"/sim/pbi_*.c \
	    "$SIM_ROOT/sim/collections.c"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "swagger: every Power BI route is an operation of powerbi-rest.swagger.json" {
	run python3 "$TOOL" check "$SPECS" "$ROUTES" powerbi
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^ok ')" -ge 50 ]
}

@test "swagger: every Workspace Collections route is an operation of its swagger" {
	run python3 "$TOOL" check "$SPECS" "$ROUTES" collections
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^ok ')" -ge 18 ]
}

@test "swagger walk: every Power BI route is served with real ids and a valid token" {
	seed_powerbi "$BATS_TEST_TMPDIR/ids.json"
	run python3 "$TOOL" walk "$SPECS" "$ROUTES" powerbi "$SIM" \
	    "$BATS_TEST_TMPDIR/ids.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^ok ')" -ge 50 ]
}

@test "swagger walk: every Workspace Collections route is served with AppKey" {
	seed_collections "$BATS_TEST_TMPDIR/ids.json"
	run python3 "$TOOL" walk "$SPECS" "$ROUTES" collections "$SIM" \
	    "$BATS_TEST_TMPDIR/ids.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^ok ')" -ge 18 ]
}
