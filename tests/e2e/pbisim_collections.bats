#!/usr/bin/env bats
# pbisim: retired Workspace Collections API (api-facts 4, 6.15).

bats_require_minimum_version 1.5.0

load sim_helper

setup_file() {
	python3 "$SIM_ROOT/tests/data/sim/mkpbix.py" "$BATS_FILE_TMPDIR/pbix"
	PBIX="$BATS_FILE_TMPDIR/pbix"
	export PBIX
	sim_setup_file
}
teardown_file() { sim_teardown_file; }
setup() { sim_reset; }

CW=/v1.0/collections/legacy/workspaces
CWS=f0000000-0000-4000-8000-000000000001

coll() {
	local m=$1 p=$2
	shift 2
	call "$m" "$CW$p" -H 'Authorization: AppKey key-two' "$@"
}

@test "AppKey only: Bearer and wrong keys are refused" {
	call GET "$CW" -H "Authorization: Bearer $(tok_app "$APP1" s3cret-one "$PBI_SCOPE")"
	[ "$CODE" = 403 ]
	call GET "$CW" -H 'Authorization: AppKey nope'
	[ "$CODE" = 403 ]
	call GET "$CW"
	[ "$CODE" = 403 ]
	coll GET ""
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.value == [{"workspaceId": "f0000000-0000-4000-8000-000000000001", "workspaceCollectionName": "legacy", "displayName": "acme"}]'
	[ -n "$(header RequestId)" ]
}

@test "create workspace 201" {
	coll POST "" -H 'Content-Type: application/json' --data '{"name":"newco"}'
	[ "$CODE" = 201 ]
	echo "$BODY" | jq -e '.displayName == "newco" and .workspaceCollectionName == "legacy"'
}

@test "reports, datasets, datasources, bound gateway datasources" {
	coll GET "/$CWS/reports"
	echo "$BODY" | jq -e '.value | length == 3'
	echo "$BODY" | jq -e '.value[0] | keys == ["datasetId","embedUrl","id","name","webUrl"]'
	coll GET "/$CWS/datasets"
	echo "$BODY" | jq -e '[.value[].addRowsAPIEnabled] == [false, true]'
	coll GET "/$CWS/datasets/fd000000-0000-4000-8000-000000000001/datasources"
	echo "$BODY" | jq -e '.value[0].connectionString | startswith("data source=")'
	coll GET "/$CWS/datasets/fd000000-0000-4000-8000-000000000001/Default.GetBoundGatewayDatasources"
	echo "$BODY" | jq -e '.value[0].gatewayId == "fb000000-0000-4000-8000-000000000001"'
}

@test "export: ok, push dataset refused, pre-2016-11-26 import refused" {
	coll GET "/$CWS/reports/fe000000-0000-4000-8000-000000000001/Export"
	[ "$CODE" = 200 ]
	# A .pbix package: a zip with the DataModelSchema in it.
	python3 -c 'import zipfile, sys
sys.exit("DataModelSchema" not in zipfile.ZipFile(sys.argv[1]).namelist())' \
	    "$BATS_TEST_TMPDIR/body"
	coll GET "/$CWS/reports/fe000000-0000-4000-8000-000000000002/Export"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error.message | contains("2016-11-26")'
	coll GET "/$CWS/reports/fe000000-0000-4000-8000-000000000003/Export"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error.message | contains("push dataset")'
}

@test "SetAllConnections and gateway credentials" {
	coll POST "/$CWS/datasets/fd000000-0000-4000-8000-000000000001/Default.SetAllConnections" \
	    -H 'Content-Type: application/json' --data '{"connectionString":"data source=new;initial catalog=x"}'
	[ "$CODE" = 200 ]
	coll GET "/$CWS/datasets/fd000000-0000-4000-8000-000000000001/datasources"
	echo "$BODY" | jq -e '.value[0].connectionString == "data source=new;initial catalog=x"'
	coll PATCH "/$CWS/gateways/fb000000-0000-4000-8000-000000000001/datasources/fa000000-0000-4000-8000-000000000001" \
	    -H 'Content-Type: application/json' --data '{"credentialType":"Basic","basicCredentials":{"username":"u","password":"hunter2"}}'
	[ "$CODE" = 200 ]
	curl -sf "$SIM/_sim/state" >"$BATS_TEST_TMPDIR/state"
	refute_in hunter2 "$BATS_TEST_TMPDIR/state" "$SIM_DIR/requests.log"
}

@test "clone, rebind, delete report" {
	local id
	coll POST "/$CWS/reports/fe000000-0000-4000-8000-000000000001/Clone" \
	    -H 'Content-Type: application/json' --data '{"name":"Copy"}'
	[ "$CODE" = 200 ]
	id=$(echo "$BODY" | jq -r .id)
	coll POST "/$CWS/reports/$id/Rebind" -H 'Content-Type: application/json' \
	    --data '{"datasetId":"fd000000-0000-4000-8000-000000000002"}'
	[ "$CODE" = 200 ]
	coll DELETE "/$CWS/reports/$id"
	[ "$CODE" = 200 ]
	coll GET "/$CWS/reports"
	echo "$BODY" | jq -e '.value | length == 3'
}

@test "import 202 and polling" {
	local id
	coll POST "/$CWS/imports?datasetDisplayName=New.pbix" -F "file=@$PBIX/plain.pbix"
	[ "$CODE" = 202 ]
	id=$(echo "$BODY" | jq -r .id)
	coll GET "/$CWS/imports/$id"
	echo "$BODY" | jq -e '.importState == "Publishing"'
	sim_clock 2
	coll GET "/$CWS/imports/$id"
	echo "$BODY" | jq -e '.importState == "Succeeded" and .reports[0].name == "New"'
	echo "$BODY" | jq -e '.reports[0].embedUrl | startswith("https://embedded.powerbi.com/appTokenReportEmbed?reportId=")'
	# The seeded reports' imports, dated as the seed says, and the new one.
	coll GET "/$CWS/imports"
	echo "$BODY" | jq -e '.value | length == 4'
	echo "$BODY" | jq -e '[.value[] | select(.name == "Old")][0] | .updatedDateTime == "2016-06-01T00:00:00Z" and .reports[0].id == "fe000000-0000-4000-8000-000000000002"'
	echo "$BODY" | jq -e "[.value[] | select(.id == \"$id\")] | length == 1"
}

@test "push dataset through the data plane; its report cannot be exported" {
	local ds rep
	coll POST "/$CWS/datasets" -H 'Content-Type: application/json' --data '{"name":"Pushed"}'
	[ "$CODE" = 400 ]
	coll POST "/$CWS/datasets" -H 'Content-Type: application/json' \
	    --data '{"name":"Pushed","tables":[{"name":"T","columns":[{"name":"V","dataType":"Int64"}]}]}'
	[ "$CODE" = 201 ]
	echo "$BODY" | jq -e '.name == "Pushed" and .addRowsAPIEnabled == true'
	ds=$(echo "$BODY" | jq -r .id)
	coll POST "/$CWS/reports/fe000000-0000-4000-8000-000000000001/Clone" -H 'Content-Type: application/json' \
	    --data "{\"name\":\"On push\",\"targetModelId\":\"$ds\"}"
	rep=$(echo "$BODY" | jq -r .id)
	coll GET "/$CWS/reports/$rep/Export"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error.code == "ReportNotExportable"'
}

@test "ARM: list collections, get, listKeys, workspaces" {
	local tok base=/subscriptions/00000000-0000-0000-0000-000000000001
	tok=$(tok_app "$APP1" s3cret-one https://management.azure.com//.default)
	call GET "$base/providers/Microsoft.PowerBI/workspaceCollections?api-version=2016-01-29" \
	    -H "Authorization: Bearer $tok"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.value[0].name == "legacy" and .value[0].type == "Microsoft.PowerBI/workspaceCollections"'
	base="$base/resourceGroups/embedded/providers/Microsoft.PowerBI/workspaceCollections"
	call POST "$base/legacy/listKeys?api-version=2016-01-29" -H "Authorization: Bearer $tok"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '. == {"key1": "key-one", "key2": "key-two"}'
	[ -n "$(header x-ms-request-id)" ]
	call GET "$base/legacy/workspaces?api-version=2016-01-29" -H "Authorization: Bearer $tok"
	echo "$BODY" | jq -e '.value[0].name == "f0000000-0000-4000-8000-000000000001"'
	call GET "$base/nope?api-version=2016-01-29" -H "Authorization: Bearer $tok"
	[ "$CODE" = 404 ]
	call GET "$base/legacy" -H "Authorization: Bearer $tok"
	[ "$CODE" = 400 ]
	echo "$BODY" | jq -e '.error.code == "MissingApiVersionParameter"'
	call GET "$base/legacy?api-version=2016-01-29" \
	    -H "Authorization: Bearer $(tok_app "$APP1" s3cret-one "$PBI_SCOPE")"
	[ "$CODE" = 401 ]
	curl -sf "$SIM/_sim/state" >"$BATS_TEST_TMPDIR/state"
	refute_in key-one "$BATS_TEST_TMPDIR/state"
}

# apptoken KEY CLAIMS: an HS256 app token (api-facts 4.3).
apptoken() {
	local h c s
	h=$(printf '{"typ":"JWT","alg":"HS256"}' | b64url)
	c=$(printf '%s' "$2" | b64url)
	s=$(printf '%s.%s' "$h" "$c" | openssl dgst -sha256 -hmac "$1" -binary | b64url)
	printf '%s.%s.%s' "$h" "$c" "$s"
}

@test "AppToken: HS256 with the key's UTF-8 bytes, claims checked, scoped to rid" {
	local now t claims rid=fe000000-0000-4000-8000-000000000001
	now=$(date +%s)
	claims=$(jq -cn --arg w "$CWS" --arg r "$rid" --argjson n "$now" \
	    '{ver:"0.2.0",type:"embed",wcn:"legacy",wid:$w,rid:$r,
	      iss:"PowerBISDK",aud:"https://analysis.windows.net/powerbi/api",
	      nbf:$n,exp:($n+3600)}')
	t=$(apptoken key-two "$claims")
	call GET "$CW/$CWS/reports/$rid" -H "Authorization: AppToken $t"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.id == "'"$rid"'"'
	call GET "$CW/$CWS/reports/fe000000-0000-4000-8000-000000000002" -H "Authorization: AppToken $t"
	[ "$CODE" = 403 ]
	call GET "$CW/$CWS/reports/$rid" -H "Authorization: AppToken $(apptoken wrong-key "$claims")"
	[ "$CODE" = 403 ]
	t=$(apptoken key-one "$(echo "$claims" | jq -c '.wcn = "other"')")
	call GET "$CW/$CWS/reports/$rid" -H "Authorization: AppToken $t"
	[ "$CODE" = 403 ]
	t=$(apptoken key-one "$(echo "$claims" | jq -c '.exp = .nbf - 10')")
	call GET "$CW/$CWS/reports/$rid" -H "Authorization: AppToken $t"
	[ "$CODE" = 403 ]
	echo "$BODY" | jq -e '.error.message | contains("lifetime")'
}
