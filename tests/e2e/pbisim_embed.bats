#!/usr/bin/env bats
# pbisim: embed tokens and the consumer's side (api-facts 3.7): the
# rules GenerateToken applies (roles, lifetime, My workspace, the V1
# routes' workspace), dashboards and tiles with their V1 tokens, every
# token remembered, and POST /_sim/embed saying whether an item would
# load with a token, as whom, or why not.
bats_require_minimum_version 1.5.0

load sim_helper

DASH=da000000-0000-4000-8000-000000000001
DASH_OLD=da000000-0000-4000-8000-000000000002
TILE_PLAIN=d1e00000-0000-4000-8000-000000000001
TILE_RLS=d1e00000-0000-4000-8000-000000000002
WS_MINE=ee000000-0000-4000-8000-0000000000ff
REP_MINE=e5000000-0000-4000-8000-0000000000ff

setup_file() {
	# The test seed, and a "My workspace" of the service principal.
	jq --arg sp "$SP1" --arg ws "$WS_MINE" --arg rep "$REP_MINE" \
	    '.workspaces += [{id: $ws, name: "My workspace",
	        type: "PersonalGroup",
	        users: [{identifier: $sp, principalType: "App",
	            groupUserAccessRight: "Admin"}],
	        reports: [{id: $rep, name: "Mine"}]}]' \
	    "$SIM_SEED" >"$BATS_FILE_TMPDIR/seed.json"
	sim_setup_file --seed "$BATS_FILE_TMPDIR/seed.json"
	PBI_TOKEN0=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	export PBI_TOKEN0
}
teardown_file() { sim_teardown_file; }
setup() {
	sim_reset
	PBI_TOKEN=$PBI_TOKEN0
}

# embed JSON: POST /_sim/embed; sets CODE and BODY.
embed() {
	call POST /_sim/embed -H 'Content-Type: application/json' --data "$1"
}

# v2 JSON: a V2 token; sets TOK (the token) or fails.
v2() {
	pbi POST /GenerateToken "$1"
	[ "$CODE" = 200 ] || { echo "$CODE $BODY"; return 1; }
	TOK=$(jq -r .token <<<"$BODY")
}

@test "dashboards: create, list, get, delete; tiles from the seed" {
	pbi GET "/groups/$WS1/dashboards"
	[ "$CODE" = 200 ]
	jq -e '.value | map(.displayName) == ["Sales board", "Old board"]' <<<"$BODY"
	jq -e --arg d "$DASH" --arg w "$WS1" '.value[0].embedUrl ==
	    "https://app.powerbi.com/dashboardEmbed?dashboardId=\($d)&groupId=\($w)"' <<<"$BODY"
	pbi POST "/groups/$WS1/dashboards" '{"name":"New board"}'
	[ "$CODE" = 200 ]
	id=$(jq -r .id <<<"$BODY")
	jq -e '.displayName == "New board" and .isReadOnly == false' <<<"$BODY"
	pbi GET "/groups/$WS1/dashboards/$id"
	[ "$CODE" = 200 ]
	pbi GET "/groups/$WS1/dashboards/$id/tiles"
	[ "$CODE" = 200 ]
	jq -e '.value == []' <<<"$BODY"
	pbi DELETE "/groups/$WS1/dashboards/$id"
	[ "$CODE" = 200 ]
	pbi GET "/groups/$WS1/dashboards/$id"
	[ "$CODE" = 404 ]
	pbi POST "/groups/$WS1/dashboards" '{}'
	[ "$CODE" = 400 ]
	# The seeded tiles, each with its report and dataset.
	pbi GET "/groups/$WS1/dashboards/$DASH/tiles"
	[ "$CODE" = 200 ]
	jq -e --arg r "$REP_PLAIN" --arg d "$DS_PLAIN" '.value[0] |
	    .title == "Revenue" and .reportId == $r and .datasetId == $d and
	    .colSpan == 2 and (.embedUrl | test("^https://app.powerbi.com/embed\\?dashboardId="))' <<<"$BODY"
	pbi GET "/groups/$WS1/dashboards/$DASH/tiles/$TILE_RLS"
	[ "$CODE" = 200 ]
	jq -e --arg d "$DS_RLS" '.datasetId == $d' <<<"$BODY"
	# Another workspace does not hold them.
	pbi GET "/groups/$WS_OTHER/dashboards/$DASH"
	[ "$CODE" = 401 ]
}

@test "tiles clone onto another dashboard, rebound to another report and dataset" {
	pbi POST "/groups/$WS1/dashboards/$DASH/tiles/$TILE_RLS/Clone" \
	    "{\"targetDashboardId\":\"$DASH_OLD\",\"targetReportId\":\"$REP_PLAIN\",\"targetModelId\":\"$DS_PLAIN\"}"
	[ "$CODE" = 200 ]
	jq -e --arg r "$REP_PLAIN" --arg d "$DS_PLAIN" \
	    '.title == "Regions" and .reportId == $r and .datasetId == $d' <<<"$BODY"
	pbi GET "/groups/$WS1/dashboards/$DASH_OLD/tiles"
	jq -e '.value | length == 1' <<<"$BODY"
	pbi POST "/groups/$WS1/dashboards/$DASH/tiles/$TILE_RLS/Clone" '{}'
	[ "$CODE" = 400 ]
	pbi POST "/groups/$WS1/dashboards/$DASH/tiles/$TILE_RLS/Clone" \
	    '{"targetDashboardId":"da000000-0000-4000-8000-0000000000aa"}'
	[ "$CODE" = 404 ]
}

@test "GenerateToken: unknown and missing roles, negative lifetime, My workspace" {
	local id="{\"username\":\"u\",\"roles\":[\"Region\"],\"datasets\":[\"$DS_RLS\"]}"
	pbi POST /GenerateToken "{\"reports\":[{\"id\":\"$REP_RLS\"}],\"identities\":[{\"username\":\"u\",\"roles\":[\"Nope\"],\"datasets\":[\"$DS_RLS\"]}]}"
	[ "$CODE" = 400 ]
	jq -e --arg d "$DS_RLS" '.error.message == "Role '"'"'Nope'"'"' does not exist in dataset \($d)"' <<<"$BODY"
	pbi POST /GenerateToken "{\"reports\":[{\"id\":\"$REP_RLS\"}],\"identities\":[{\"username\":\"u\",\"datasets\":[\"$DS_RLS\"]}]}"
	[ "$CODE" = 400 ]
	jq -e '.error.message | test("requires roles")' <<<"$BODY"
	pbi POST /GenerateToken "{\"reports\":[{\"id\":\"$REP_RLS\"}],\"identities\":[$id],\"lifetimeInMinutes\":-5}"
	[ "$CODE" = 400 ]
	jq -e '.error.message | test("lifetimeInMinutes")' <<<"$BODY"
	pbi POST /GenerateToken "{\"reports\":[{\"id\":\"$REP_MINE\"}]}"
	[ "$CODE" = 400 ]
	jq -e '.error.message | test("My workspace")' <<<"$BODY"
	# None of these was issued.
	[ "$(curl -sf "$SIM/_sim/state" | jq '.embedTokens // [] | length')" = 0 ]
	pbi POST /GenerateToken "{\"reports\":[{\"id\":\"$REP_RLS\"}],\"identities\":[$id],\"lifetimeInMinutes\":5}"
	[ "$CODE" = 200 ]
}

@test "V1 routes: the item must be in the workspace the path names" {
	pbi POST "/groups/$WS_MINE/reports/$REP_PLAIN/GenerateToken" '{"accessLevel":"View"}'
	[ "$CODE" = 404 ]
	pbi POST "/groups/$WS1/reports/$REP_PLAIN/GenerateToken" '{"accessLevel":"Sideways"}'
	[ "$CODE" = 400 ]
	pbi POST "/groups/$WS1/reports/GenerateToken" '{"accessLevel":"Create"}'
	[ "$CODE" = 400 ]
	pbi POST "/groups/$WS1/reports/GenerateToken" "{\"accessLevel\":\"Create\",\"datasetId\":\"$DS_PLAIN\"}"
	[ "$CODE" = 200 ]
	# A dashboard's token covers its tiles' datasets: RLS applies.
	pbi POST "/groups/$WS1/dashboards/$DASH/GenerateToken" '{"accessLevel":"View"}'
	[ "$CODE" = 400 ]
	jq -e --arg d "$DS_RLS" '.error.message | test("dataset \($d) requires effective identity")' <<<"$BODY"
	pbi POST "/groups/$WS1/dashboards/$DASH/tiles/$TILE_PLAIN/GenerateToken" '{"accessLevel":"View"}'
	[ "$CODE" = 200 ]
	pbi POST "/groups/$WS1/dashboards/$DASH/GenerateToken" "{\"accessLevel\":\"View\",\"identities\":[{\"username\":\"u\",\"roles\":[\"Region\"],\"datasets\":[\"$DS_RLS\"]}]}"
	[ "$CODE" = 200 ]
}

@test "every token is remembered, without its text" {
	v2 "{\"reports\":[{\"id\":\"$REP_RLS\",\"allowEdit\":true}],\"datasets\":[{\"id\":\"$DS_RLS\"}],\"targetWorkspaces\":[{\"id\":\"$WS1\"}],\"identities\":[{\"username\":\"alice\",\"roles\":[\"Region\"],\"datasets\":[\"$DS_RLS\"],\"customData\":\"cd\",\"identityBlob\":{\"value\":\"blob-never-kept\"}}],\"lifetimeInMinutes\":10}"
	tid=$(jq -r .tokenId <<<"$BODY")
	s=$(curl -sf "$SIM/_sim/state")
	jq -e --arg t "$tid" --arg r "$REP_RLS" --arg d "$DS_RLS" --arg w "$WS1" --arg a "$APP1" '
	    .embedTokens | length == 1 and (.[0] | .tokenId == $t and
	    .principal == $a and .principalType == "App" and
	    .accessLevel == "Edit" and .reports == [$r] and
	    .editableReports == [$r] and .datasets == [$d] and
	    .targetWorkspaces == [$w] and .version == "V2" and
	    .identities == [{username: "alice", roles: ["Region"],
	        datasets: [$d], customData: "cd", identityBlob: true}])' <<<"$s"
	run ! grep -qF -- "$TOK" <<<"$s"
	run ! grep -q blob-never-kept <<<"$s"
	# Nor in the request log.
	run ! grep -q blob-never-kept "$SIM_DIR/requests.log"
}

@test "/_sim/embed: the covered report loads, as the token's identity" {
	v2 "{\"reports\":[{\"id\":\"$REP_RLS\"}],\"datasets\":[{\"id\":\"$DS_RLS\"}],\"identities\":[{\"username\":\"alice\",\"roles\":[\"Region\"],\"datasets\":[\"$DS_RLS\"]}],\"lifetimeInMinutes\":10}"
	embed "{\"token\":\"$TOK\",\"reportId\":\"$REP_RLS\"}"
	[ "$CODE" = 200 ]
	jq -e --arg d "$DS_RLS" '.loads == true and .reason == null and
	    .datasetId == $d and .identity.username == "alice" and
	    .identity.roles == ["Region"] and .item.type == "report"' <<<"$BODY"
	# The token's text is not echoed.
	run ! grep -qF -- "$TOK" <<<"$BODY"
	# Another report is not covered; a bound dataset must be.
	embed "{\"token\":\"$TOK\",\"reportId\":\"$REP_PLAIN\"}"
	jq -e '.loads == false and .reason == "itemNotCovered"' <<<"$BODY"
	embed "{\"token\":\"$TOK\",\"reportId\":\"$REP_RLS\",\"datasetId\":\"$DS_PLAIN\"}"
	jq -e '.loads == false and .reason == "datasetNotCovered"' <<<"$BODY"
	embed '{"token":"H4sIAAAAnotatoken","reportId":"e5000000-0000-4000-8000-000000000001"}'
	jq -e '.loads == false and .reason == "unknownToken"' <<<"$BODY"
	embed '{"reportId":"x"}'
	[ "$CODE" = 400 ]
	# Ten minutes later it has expired.
	sim_clock 601
	embed "{\"token\":\"$TOK\",\"reportId\":\"$REP_RLS\"}"
	jq -e '.loads == false and .reason == "expired"' <<<"$BODY"
}

@test "/_sim/embed: dynamic binding, a deleted report, a user's token without identity" {
	# Plain's report bound to Sales' dataset: only with the binding.
	v2 "{\"reports\":[{\"id\":\"$REP_PLAIN\"}],\"datasets\":[{\"id\":\"$DS_RLS\"}],\"identities\":[{\"username\":\"bob\",\"roles\":[\"Region\"],\"datasets\":[\"$DS_RLS\"]}]}"
	embed "{\"token\":\"$TOK\",\"reportId\":\"$REP_PLAIN\",\"datasetId\":\"$DS_RLS\"}"
	jq -e '.loads == true and .identity.username == "bob"' <<<"$BODY"
	embed "{\"token\":\"$TOK\",\"reportId\":\"$REP_PLAIN\"}"
	jq -e '.loads == false and .reason == "datasetNotCovered"' <<<"$BODY"
	pbi DELETE "/groups/$WS1/reports/$REP_PLAIN"
	[ "$CODE" = 200 ]
	embed "{\"token\":\"$TOK\",\"reportId\":\"$REP_PLAIN\",\"datasetId\":\"$DS_RLS\"}"
	jq -e '.loads == false and .reason == "itemNotFound"' <<<"$BODY"
	# A master user's token may carry no identity: the data is the
	# user's own (as a service principal's may not: identityMissing).
	pbi POST "/groups/$WS1/users" "{\"identifier\":\"$ADMIN\",\"principalType\":\"User\",\"groupUserAccessRight\":\"Member\"}"
	[ "$CODE" = 200 ]
	PBI_TOKEN=$(tok_user "$ADMIN" AdminPass1 "$PBI_SCOPE")
	v2 "{\"reports\":[{\"id\":\"$REP_RLS\"}]}"
	embed "{\"token\":\"$TOK\",\"reportId\":\"$REP_RLS\"}"
	jq -e --arg u "$ADMIN" '.loads == true and .identity.username == $u' <<<"$BODY"
}

@test "/_sim/embed: dashboards and tiles" {
	pbi POST "/groups/$WS1/dashboards/$DASH/tiles/$TILE_PLAIN/GenerateToken" '{"accessLevel":"View"}'
	[ "$CODE" = 200 ]
	tok=$(jq -r .token <<<"$BODY")
	embed "{\"token\":\"$tok\",\"dashboardId\":\"$DASH\",\"tileId\":\"$TILE_PLAIN\"}"
	jq -e '.loads == true and .item.type == "tile"' <<<"$BODY"
	embed "{\"token\":\"$tok\",\"dashboardId\":\"$DASH\",\"tileId\":\"$TILE_RLS\"}"
	jq -e '.loads == false and .reason == "itemNotCovered"' <<<"$BODY"
	embed "{\"token\":\"$tok\",\"dashboardId\":\"$DASH\"}"
	jq -e '.loads == false and .reason == "itemNotCovered"' <<<"$BODY"
	pbi POST "/groups/$WS1/dashboards/$DASH/GenerateToken" "{\"accessLevel\":\"View\",\"identities\":[{\"username\":\"carol\",\"roles\":[\"Region\"],\"datasets\":[\"$DS_RLS\"]}]}"
	tok=$(jq -r .token <<<"$BODY")
	embed "{\"token\":\"$tok\",\"dashboardId\":\"$DASH\"}"
	jq -e '.loads == true and .identity.username == "carol"' <<<"$BODY"
	embed "{\"token\":\"$tok\",\"dashboardId\":\"$DASH\",\"tileId\":\"$TILE_RLS\"}"
	jq -e '.loads == true and .item.type == "tile"' <<<"$BODY"
	embed "{\"token\":\"$tok\",\"dashboardId\":\"$DASH_OLD\"}"
	jq -e '.loads == false and .reason == "itemNotCovered"' <<<"$BODY"
}
