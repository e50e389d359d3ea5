#!/usr/bin/env bats
# pbictl token against pbisim: a customer's token opens that customer's
# content and nothing else (pbisim's POST /_sim/embed plays the embedding
# page); every refusal is made before any GenerateToken call (pbisim's
# request log); row-level security, dynamic binding, the lifetime against
# the Entra token's, --all over many customers, and the token never
# written anywhere.
bats_require_minimum_version 1.5.0

load cli_helper

setup() {
	cli_setup
	onboard_setup
}
teardown() { cli_teardown; }

# two: customers a and b, each with the reports sales and rls (a dataset
# with row-level security, role Region), the tenant admin an admin of
# both workspaces (to change them behind the ledger's back).
two() {
	sim_start --import-seconds 0 --assign-seconds 0 "$@"
	demo_ledger
	pbictl -q onboard a b --report "$T/pbix/sales.pbix" \
	    --report "$T/pbix/rls.pbix" --admin "$ADMIN" >/dev/null
}

# q SQL: one value from the ledger.
q() {
	ledger_sql "$1"
}

# rep CUSTOMER NAME, ds CUSTOMER NAME, ws CUSTOMER, prof CUSTOMER: ids
# from the ledger.
rep() {
	q "SELECT r.id FROM reports r JOIN workspaces w ON w.id = r.workspace_id JOIN customers c ON c.id = w.customer_id WHERE c.slug = '$1' AND r.name = '$2'"
}
ds() {
	q "SELECT r.dataset_id FROM reports r JOIN workspaces w ON w.id = r.workspace_id JOIN customers c ON c.id = w.customer_id WHERE c.slug = '$1' AND r.name = '$2'"
}
ws() {
	q "SELECT w.id FROM workspaces w JOIN customers c ON c.id = w.customer_id WHERE c.slug = '$1' AND w.state = 'active'"
}
prof() {
	q "SELECT p.id FROM profiles p JOIN customers c ON c.id = p.customer_id WHERE c.slug = '$1' AND p.state = 'active'"
}

# gens [SINCE]: GenerateToken calls (V1 or V2) from request SINCE on.
gens() {
	requests "[.[${1:-0}:][] | select(.method == \"POST\" and (.path | endswith(\"/GenerateToken\")))] | length"
}

# admin METHOD PATH [JSON]: a Power BI call as the tenant admin, who is
# an admin of the customers' workspaces, with the delegated scopes its
# changes take (pbisim checks them); sets CODE and BODY.
admin() {
	local tok r=https://analysis.windows.net/powerbi/api
	local scopes="$r/Workspace.ReadWrite.All $r/Report.ReadWrite.All $r/Dashboard.ReadWrite.All"
	tok=$(curl -sf -XPOST "$SIM/contoso.onmicrosoft.com/oauth2/v2.0/token" \
	    -d grant_type=password -d "client_id=$APP" \
	    --data-urlencode "username=$ADMIN" \
	    --data-urlencode "password=$ADMIN_PASSWORD" \
	    --data-urlencode "scope=$scopes" | jq -r .access_token)
	BODY=$(curl -s -w '\n%{http_code}' -X "$1" "$SIM/v1.0/myorg$2" \
	    -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    ${3:+--data "$3"})
	CODE=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}

# embed JSON: what pbisim's embedding page says; sets BODY.
embed() {
	BODY=$(sim_post /_sim/embed "$1")
}

# refused ARGS...: pbictl token ARGS fails with exit 1 and sends no
# GenerateToken; its stderr is in $stderr.
refused() {
	local n
	n=$(requests length)
	run --separate-stderr pbictl token "$@"
	[ "$status" -eq 1 ] || { echo "exit $status: $output $stderr"; return 1; }
	[ "$(gens "$n")" = 0 ] || { echo "a GenerateToken was sent"; return 1; }
}

@test "a token for a's report opens a's report, as a's profile, and nothing else" {
	two
	n=$(requests length)
	run --separate-stderr pbictl token --customer a --report sales -o json
	[ "$status" -eq 0 ]
	tok=$(jq -r .token <<<"$output")
	[ -n "$tok" ]
	[ "$tok" != null ]
	jq -e --arg r "$(rep a sales)" --arg d "$(ds a sales)" --arg w "$(ws a)" '
	    .customer == "a" and .workspaceId == $w and (.tokenId | length) == 36 and
	    (.expiration | test("Z$")) and .identity == null and
	    .reports == [{id: $r, name: "sales", embedUrl: .reports[0].embedUrl,
	        datasetId: $d, embedConfig: {type: "report", id: $r,
	            embedUrl: .reports[0].embedUrl, accessToken: .token,
	            tokenType: 1, permissions: 0}}] and
	    (.reports[0].embedUrl | test("reportId=\($r)&groupId=\($w)"))' <<<"$output"
	# One GenerateToken, V2, as a's profile, for exactly that report.
	[ "$(gens "$n")" = 1 ]
	requests "[.[$n:][] | select(.path == \"/v1.0/myorg/GenerateToken\")][0]" >"$T/gen.json"
	jq -e --arg p "$(prof a)" --arg r "$(rep a sales)" --arg d "$(ds a sales)" '
	    .profileId == $p and .body.reports == [{id: $r}] and
	    .body.datasets == [{id: $d}] and (.body | has("targetWorkspaces") | not) and
	    (.body | has("identities") | not)' "$T/gen.json"
	# The reads were made as the profile too.
	[ "$(requests "[.[$n:][] | select(.method == \"GET\" and (.path | test(\"/groups/\"))) | .profileId] | unique == [\"$(prof a)\"]")" = true ]
	# The consumer's side: a's report loads, b's and a's other do not.
	embed "{\"token\":\"$tok\",\"reportId\":\"$(rep a sales)\"}"
	jq -e '.loads == true' <<<"$BODY"
	embed "{\"token\":\"$tok\",\"reportId\":\"$(rep b sales)\"}"
	jq -e '.loads == false and .reason == "itemNotCovered"' <<<"$BODY"
	embed "{\"token\":\"$tok\",\"reportId\":\"$(rep a rls)\"}"
	jq -e '.loads == false and .reason == "itemNotCovered"' <<<"$BODY"
	embed "{\"token\":\"$tok\",\"reportId\":\"$(rep a sales)\",\"datasetId\":\"$(ds b sales)\"}"
	jq -e '.loads == false and .reason == "datasetNotCovered"' <<<"$BODY"
	# The table shows all but the token; --token-only only the token.
	run --separate-stderr pbictl token --customer a --report "$(rep a sales)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"token id:"* && "$output" == *"$(rep a sales)"* ]]
	[[ "$output" != *"token:"* && "$output" != *H4sI* ]]
	run --separate-stderr pbictl token --customer a --report sales --token-only
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" = 1 ]
	embed "{\"token\":\"$output\",\"reportId\":\"$(rep a sales)\"}"
	jq -e '.loads == true' <<<"$BODY"
	run --separate-stderr pbictl token --customer a --report sales --show-token
	[[ "$output" == *"token:      H4sI"* ]]
}

@test "b's report, b's dataset as a binding, an unknown id, a rebound report: refused, no call" {
	two
	refused --customer a --report "$(rep b sales)"
	[[ "$stderr" == *"report $(rep b sales) belongs to customer 'b', not 'a'"* ]]
	refused --customer a --report sales --dataset "$(ds b sales)"
	[[ "$stderr" == *"dataset $(ds b sales), which belongs to customer 'b', not 'a'"* ]]
	refused --customer a --dataset "$(ds b rls)" --username u --role Region
	[[ "$stderr" == *"belongs to customer 'b'"* ]]
	refused --customer a --report 0badf00d-0000-4000-8000-000000000001
	[[ "$stderr" == *"report 0badf00d-0000-4000-8000-000000000001 is not customer 'a''s: the ledger does not know it"* ]]
	refused --customer a --report nosuch
	[[ "$stderr" == *"customer 'a' has no report named 'nosuch'"* ]]
	# A report in a's workspace the ledger does not know: a clone.
	admin POST "/groups/$(ws a)/reports/$(rep a sales)/Clone" '{"name":"copy"}'
	[ "$CODE" = 200 ]
	clone=$(jq -r .id <<<"$BODY")
	refused --customer a --report "$clone"
	[[ "$stderr" == *"the ledger does not know it"* ]]
	# a's report rebound behind the ledger's back to b's dataset.
	admin POST "/groups/$(ws a)/reports/$(rep a sales)/Rebind" "{\"datasetId\":\"$(ds b sales)\"}"
	[ "$CODE" = 200 ]
	refused --customer a --report sales
	[[ "$stderr" == *"report 'sales' ($(rep a sales)) of customer 'a' is bound to dataset $(ds b sales) of another workspace, $(ws b), which belongs to customer b"* ]]
	# The same from --all, as one customer's failure.
	n=$(requests length)
	run --separate-stderr pbictl token --all --username u --role Region -o json
	[ "$status" -eq 1 ]
	jq -e '[.customers[] | .customer + ":" + .status] == ["a:failed", "b:ok"]' <<<"$output"
	[[ "$stderr" == *"1 of 2 customers failed; first: a: report 'sales'"* ]]
	[ "$(gens "$n")" = 1 ]
	# Nothing of that reached the journal as a token.
	[ "$(q "SELECT count(*) FROM journal WHERE step = 'token' AND customer_id = (SELECT id FROM customers WHERE slug = 'a')")" = 0 ]
	# A customer the ledger does not have, or removed.
	refused --customer zed --report sales
	[[ "$stderr" == *"customer 'zed' is not in the ledger"* ]]
}

@test "row-level security: identity and roles required, exactly on the RLS dataset" {
	two
	refused --customer a --report rls
	[[ "$stderr" == *"dataset 'rls' ($(ds a rls)) has row-level security"* ]]
	refused --customer a --report rls --username alice@a.example
	[[ "$stderr" == *"requires roles"* ]]
	refused --customer a --report sales --username alice@a.example --role Region
	[[ "$stderr" == *"no dataset of the token has row-level security"* ]]
	n=$(requests length)
	run --separate-stderr pbictl token --customer a --report rls --report sales \
	    --username alice@a.example --role Region --custom-data c42 -o json
	[ "$status" -eq 0 ]
	# The identity covers the RLS dataset only, not sales'.
	jq -e --arg d "$(ds a rls)" '.identity == {username: "alice@a.example",
	    roles: ["Region"], datasets: [$d], customData: "c42"}' <<<"$output"
	requests "[.[$n:][] | select(.path == \"/v1.0/myorg/GenerateToken\")][0].body.identities" >"$T/ids.json"
	jq -e --arg d "$(ds a rls)" '. == [{username: "alice@a.example",
	    roles: ["Region"], datasets: [$d], customData: "c42"}]' "$T/ids.json"
	# pbisim kept exactly that identity on exactly that dataset.
	state '.embedTokens[-1].identities' >"$T/kept.json"
	jq -e --arg d "$(ds a rls)" '. == [{username: "alice@a.example",
	    roles: ["Region"], datasets: [$d], customData: "c42",
	    identityBlob: false}]' "$T/kept.json"
	tok=$(jq -r .token <<<"$output")
	embed "{\"token\":\"$tok\",\"reportId\":\"$(rep a rls)\"}"
	jq -e '.loads == true and .identity.username == "alice@a.example" and .identity.roles == ["Region"]' <<<"$BODY"
	embed "{\"token\":\"$tok\",\"reportId\":\"$(rep a sales)\"}"
	jq -e '.loads == true and .identity == null' <<<"$BODY"
	# A role the dataset lacks: the service's refusal, named.
	run --separate-stderr pbictl token --customer a --report rls --username u --role Nope
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Role 'Nope' does not exist"* ]]
	# Limits of api-facts 3.7 are usage errors, before anything.
	run --separate-stderr pbictl token --customer a --report rls --username u --role "a,b"
	[ "$status" -eq 2 ]
	run --separate-stderr pbictl token --customer a --report rls --username "$(printf 'u%.0s' $(seq 257))" --role Region
	[ "$status" -eq 2 ]
	run --separate-stderr pbictl token --customer a --report rls --role Region
	[ "$status" -eq 2 ]
}

@test "dynamic binding: a's report on a's other dataset; b's is refused" {
	two
	run --separate-stderr pbictl token --customer a --report rls --dataset "$(ds a sales)" -o json
	[ "$status" -eq 0 ]
	jq -e --arg d "$(ds a sales)" --arg own "$(ds a rls)" '
	    .reports[0].datasetId == $d and .reports[0].boundFrom == $own and
	    .reports[0].embedConfig.datasetBinding == {datasetId: $d} and
	    [.datasets[].id] == [$d]' <<<"$output"
	[ "$(requests '[.[] | select(.path == "/v1.0/myorg/GenerateToken")][-1].body.datasets' | jq -c .)" = "[{\"id\":\"$(ds a sales)\"}]" ]
	tok=$(jq -r .token <<<"$output")
	embed "{\"token\":\"$tok\",\"reportId\":\"$(rep a rls)\",\"datasetId\":\"$(ds a sales)\"}"
	jq -e '.loads == true and .identity == null' <<<"$BODY"
	embed "{\"token\":\"$tok\",\"reportId\":\"$(rep a rls)\"}"
	jq -e '.loads == false and .reason == "datasetNotCovered"' <<<"$BODY"
	refused --customer a --report rls --dataset "$(ds b sales)"
	# Editing and saving target a's workspace, only.
	run --separate-stderr pbictl token --customer a --report sales --allow-edit --allow-save-as --xmla-read-only -o json
	[ "$status" -eq 0 ]
	jq -e '.reports[0].embedConfig.permissions == 3' <<<"$output"
	requests '[.[] | select(.path == "/v1.0/myorg/GenerateToken")][-1].body' >"$T/b.json"
	jq -e --arg w "$(ws a)" '.targetWorkspaces == [{id: $w}] and
	    .reports[0].allowEdit == true and .datasets[0].xmlaPermissions == "ReadOnly"' "$T/b.json"
	[ "$(state '.embedTokens[-1].accessLevel')" = Edit ]
	run --separate-stderr pbictl token --customer a --create --dataset "$(ds a sales)" -o json
	[ "$status" -eq 0 ]
	jq -e --arg d "$(ds a sales)" '.create.datasetId == $d and
	    .create.embedConfig.datasetId == $d and
	    (.create.embedUrl | test("config=create"))' <<<"$output"
}

# With the Entra token pbictl holds down to 5 minutes at pbisim (its
# clock moved 55 minutes while pbictl reads, before the token is asked
# for): ask for LIFETIME minutes; sets output, stderr, N (the first
# request of the run) and LEFT (seconds the embed token has at pbisim).
lifetime_run() {
	local n0 i
	sim_post /_sim/faults '{"latencyMs":700,"match":"GET /v1.0/myorg/groups/"}' >/dev/null
	N=$(requests length)
	(
		for i in $(seq 400); do
			if requests "[.[$N:][] | select(.path | endswith(\"/oauth2/v2.0/token\"))] | length > 0" | grep -q true; then
				sim_post /_sim/clock '{"advanceSeconds":3300}' >/dev/null
				exit 0
			fi
			sleep 0.05
		done
		exit 1
	) &
	run --separate-stderr pbictl token --customer a --report sales --lifetime "$1" -o json
	wait $!
	sim_post /_sim/faults '{"reset":true}' >/dev/null
	LEFT=$(( $(jq -r '.expiration | fromdateiso8601' <<<"$output") - $(curl -sf "$SIM/_sim/clock" | jq .epoch) ))
}

@test "lifetime: 30 minutes even when the cached Entra token has 5 left; 600 capped, with a warning" {
	two
	lifetime_run 30
	[ "$status" -eq 0 ]
	# pbisim counted 5 minutes left of the Entra token used first: the
	# answer was cut short, so a new Entra token, and a second call.
	[ "$LEFT" -ge 1780 ]
	[ "$LEFT" -le 1800 ]
	jq -e '.expiresInMinutes == 30 and .lifetimeMinutes == 30 and .shortened == false' <<<"$output"
	[ "$(requests "[.[$N:][] | select(.path | endswith(\"/oauth2/v2.0/token\"))] | length")" = 2 ]
	[ "$(gens "$N")" = 2 ]
	[ -z "$stderr" ]
	[ "$(q "SELECT count(*) FROM journal WHERE step = 'token' AND result LIKE '%cut short by the Entra token%'")" = 1 ]
	# Ten hours: no Entra token lasts that long.  A new one first (the
	# cached one is not long enough), and the expiry is that token's.
	lifetime_run 600
	[ "$status" -eq 0 ]
	[ "$LEFT" -ge 3560 ]
	[ "$LEFT" -le 3600 ]
	jq -e '.expiresInMinutes == 60 and .lifetimeMinutes == 600 and .shortened == true' <<<"$output"
	[[ "$stderr" == *"warning: the embed token of customer a expires at $(jq -r .expiration <<<"$output"), in 60 minutes, not the 600 asked"* ]]
	[ "$(requests "[.[$N:][] | select(.path | endswith(\"/oauth2/v2.0/token\"))] | length")" = 2 ]
	[ "$(gens "$N")" = 1 ]
	[ "$(requests '[.[] | select(.path == "/v1.0/myorg/GenerateToken")][-1].body.lifetimeInMinutes')" = 600 ]
	# 0, negative or not a number: usage errors, nothing sent.
	n=$(requests length)
	for l in 0 -5 abc 1441; do
		run --separate-stderr pbictl token --customer a --report sales --lifetime "$l"
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"--lifetime: expected a whole number from 1 to 1440"* ]]
	done
	[ "$(requests length)" = "$n" ]
}

@test "an Entra token shorter than asked: the token says so and warns" {
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}] | .tenant.tokenLifetime = 900"
	two
	n=$(requests length)
	run --separate-stderr pbictl token --customer a --report sales --lifetime 30 -o json
	[ "$status" -eq 0 ]
	jq -e '.shortened == true and .expiresInMinutes == 15' <<<"$output"
	[[ "$stderr" == *"in 15 minutes, not the 30 asked"* ]]
	# A new Entra token would be no longer: one call only.
	[ "$(gens "$n")" = 1 ]
	run --separate-stderr pbictl token --customer a --report sales --lifetime 10 -o json
	jq -e '.shortened == false and .expiresInMinutes == 10' <<<"$output"
	[ -z "$stderr" ]
}

@test "token --all over 50 customers: one row each, in parallel; a report deleted behind the ledger fails its customer" {
	sim_start --import-seconds 0 --assign-seconds 0
	demo_ledger
	pbictl -q --jobs 8 onboard $(seq -f 'c%02g' 1 50) --report "$T/pbix/sales.pbix" --admin "$ADMIN" >/dev/null
	# Each GenerateToken takes 300 ms at pbisim: parallel runs overlap.
	sim_post /_sim/faults '{"latencyMs":300,"match":"POST /v1.0/myorg/GenerateToken"}' >/dev/null
	n=$(requests length)
	run --separate-stderr pbictl --jobs 8 token --all -o json
	[ "$status" -eq 0 ]
	jq -e '(.customers | length) == 50 and .failed == 0 and
	    ([.customers[].status] | unique) == ["ok"] and
	    ([.customers[].customer] == [range(1; 51) | "c\(if . < 10 then "0" else "" end)\(.)"]) and
	    ([.customers[].reports] | unique) == [["sales"]] and
	    all(.customers[]; (.tokenId | length) == 36 and (.expiration | test("Z$")))' <<<"$output"
	# No token in the output.
	run ! grep -q '"token"\|H4sI' <<<"$output"
	[ "$(gens "$n")" = 50 ]
	# Each call as its customer's profile, and up to 8 at a time.
	[ "$(requests "[.[$n:][] | select(.path == \"/v1.0/myorg/GenerateToken\") | .profileId] | unique | length")" = 50 ]
	requests "[.[$n:][] | select(.path == \"/v1.0/myorg/GenerateToken\")]" >"$T/calls.json"
	# The most calls at pbisim at one moment: from the end of each
	# (time, to the millisecond) back by its duration.
	wide=$(jq '[.[] | (.time | capture("T(?<h>..):(?<m>..):(?<s>..)\\.(?<ms>...)")) as $t
	    | (($t.h | tonumber) * 3600000 + ($t.m | tonumber) * 60000 +
	       ($t.s | tonumber) * 1000 + ($t.ms | tonumber)) as $e
	    | {s: ($e - .durationMs), e: $e}] as $c
	    | [$c[] | .s as $x | [$c[] | select(.s <= $x and .e > $x)] | length] | max' "$T/calls.json")
	[ "$wide" -ge 4 ]
	[ "$wide" -le 8 ]
	# The table: a row per customer.
	run --separate-stderr pbictl --jobs 8 token --all
	[ "$status" -eq 0 ]
	[ "$(grep -c '^c[0-9][0-9] *ok ' <<<"$output")" = 50 ]
	# c07's report is deleted behind the ledger's back.
	admin DELETE "/groups/$(ws c07)/reports/$(rep c07 sales)"
	[ "$CODE" = 200 ]
	run --separate-stderr pbictl --jobs 8 token --all -o json
	[ "$status" -eq 1 ]
	jq -e '.failed == 1 and ([.customers[] | select(.status == "failed") | .customer] == ["c07"])' <<<"$output"
	jq -e --arg r "$(rep c07 sales)" '.customers[6].error | test("report .sales. \\(\($r)\\) of customer .c07. is in the ledger but not in its workspace")' <<<"$output"
	[[ "$stderr" == *"pbictl: 1 of 50 customers failed; first: c07: report 'sales'"* ]]
	# Only some customers, by name.
	run --separate-stderr pbictl token --all --customer c01 --customer c02 -o json
	[ "$status" -eq 0 ]
	jq -e '[.customers[].customer] == ["c01", "c02"]' <<<"$output"
}

@test "the token is nowhere: ledger files, -vv traces, journal; nor the identity blob" {
	sqlite_only
	two
	printf 'identity-blob-never-written\n' >"$T/blob"
	chmod 600 "$T/blob"
	# A reader holding the ledger open keeps its write-ahead log on
	# disk after pbictl exits, to be searched too.
	mkfifo "$T/hold"
	sqlite3 "$PBICTL_LEDGER" <"$T/hold" >"$T/held" 2>&1 3>&- &
	holder=$!
	exec 7>"$T/hold"
	echo "BEGIN; SELECT 'held' FROM settings LIMIT 1;" >&7
	for i in $(seq 400); do
		grep -q held "$T/held" && break
		sleep 0.05
	done
	grep -q held "$T/held"
	run --separate-stderr pbictl -vv token --customer a --report rls \
	    --username alice --role Region --identity-blob-file "$T/blob" -o json
	[ "$status" -eq 0 ]
	tok=$(jq -r .token <<<"$output")
	tid=$(jq -r .tokenId <<<"$output")
	exp=$(jq -r .expiration <<<"$output")
	[ "${#tok}" -gt 100 ]
	# The trace shows the call and its answer, redacted.
	[[ "$stderr" == *"/v1.0/myorg/GenerateToken"* ]]
	[[ "$stderr" == *'"token":"[REDACTED]"'* ]]
	[[ "$stderr" == *'"identityBlob":"[REDACTED]"'* ]]
	[[ "$stderr" == *'"tokenId":'* ]]
	printf '%s' "$stderr" >"$T/trace"
	run ! grep -qF -- "$tok" "$T/trace"
	run ! grep -q identity-blob-never-written "$T/trace"
	# pbisim got the blob (it is the point), and logs it redacted.
	run ! grep -q identity-blob-never-written "$T/requests.log"
	[ "$(state '.embedTokens[-1].identities[0].identityBlob')" = true ]
	# Journal: who, what, when; never the token or the blob.
	run --separate-stderr pbictl ledger log -o json
	[ "$status" -eq 0 ]
	printf '%s' "$output" >"$T/log.json"
	jq -e --arg r "$(rep a rls)" --arg d "$(ds a rls)" --arg tid "$tid" \
	    --arg exp "$exp" --arg c "$(q "SELECT id FROM customers WHERE slug = 'a'")" '
	    [.[] | select(.step == "token")] | length == 1 and
	    (.[0] | .target == "report:\($r) dataset:\($d)" and .state == "ok" and
	     .customer == "a" and .started_at != null and .finished_at != null and
	     .result == "tokenId=\($tid) expiration=\($exp) username=alice roles=Region")' "$T/log.json"
	run ! grep -qF -- "$tok" "$T/log.json"
	run ! grep -q identity-blob-never-written "$T/log.json"
	# The journal entry is in the log, the log on disk, searched.
	[ -s "$PBICTL_LEDGER-wal" ]
	grep -qF -- "$tid" "$PBICTL_LEDGER-wal"
	refute_in "$tok" "$(ledger_file)" "$T/trace" "$T/log.json"
	refute_in identity-blob-never-written "$(ledger_file)" "$T/trace" \
	    "$T/log.json" "$T/requests.log"
	exec 7>&-
	wait "$holder"
	# A blob file others may read is refused, before anything is sent.
	chmod 644 "$T/blob"
	n=$(requests length)
	run --separate-stderr pbictl token --customer a --report rls --username alice --role Region --identity-blob-file "$T/blob"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"refusing secret file"* ]]
	[ "$(requests length)" = "$n" ]
}

@test "token works while a rollout holds the run lock" {
	sqlite_only
	two
	# Imports take 4 s: the rollout outlasts what follows.
	sim_post /_sim/faults '{"importSeconds":4}' >/dev/null
	"$PBICTL" -q publish "$T/pbix/sales-v2.pbix" --name sales --all >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 300); do
		n=$(q "SELECT count(*) FROM journal WHERE state = 'intent'" 2>/dev/null || echo 0)
		[ "$n" -gt 0 ] && break
		sleep 0.1
	done
	[ "$n" -gt 0 ]
	run --separate-stderr pbictl token --customer b --report rls --username u --role Region -o json
	[ "$status" -eq 0 ]
	jq -e '.customer == "b"' <<<"$output"
	run --separate-stderr pbictl customer add c
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"another pbictl is changing ledger"* ]]
	kill -0 "$pid"
	wait "$pid"
}

@test "dashboards and tiles: V1 tokens, a tile showing b's data refused" {
	# A library workspace with a dashboard of tiles, shared with the
	# admin, who copies them onto the customers' dashboards.
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}]
	    | .workspaces = [{id: \"ee000000-0000-4000-8000-0000000000aa\", name: \"library\",
	        users: [{identifier: \"$ADMIN\", principalType: \"User\", groupUserAccessRight: \"Admin\"}],
	        dashboards: [{id: \"da000000-0000-4000-8000-0000000000aa\", displayName: \"Library\",
	            tiles: [{id: \"d1e00000-0000-4000-8000-0000000000aa\", title: \"Revenue\"}]}]}]"
	two
	lib=ee000000-0000-4000-8000-0000000000aa
	admin POST "/groups/$(ws a)/dashboards" '{"name":"Overview"}'
	[ "$CODE" = 200 ]
	dash=$(jq -r .id <<<"$BODY")
	# A tile of a's sales, and one of b's data, onto a's dashboard.
	admin POST "/groups/$lib/dashboards/da000000-0000-4000-8000-0000000000aa/tiles/d1e00000-0000-4000-8000-0000000000aa/Clone" \
	    "{\"targetDashboardId\":\"$dash\",\"targetWorkspaceId\":\"$(ws a)\",\"targetReportId\":\"$(rep a sales)\",\"targetModelId\":\"$(ds a sales)\"}"
	[ "$CODE" = 200 ]
	mine=$(jq -r .id <<<"$BODY")
	n=$(requests length)
	run --separate-stderr pbictl token --customer a --tile "$dash/$mine" -o json
	[ "$status" -eq 0 ]
	jq -e --arg d "$dash" --arg t "$mine" '.tile.id == $t and
	    .tile.embedConfig.type == "tile" and .tile.embedConfig.dashboardId == $d and
	    .tile.embedConfig.tokenType == 1 and .dashboard.id == $d' <<<"$output"
	[ "$(requests "[.[$n:][] | select(.path | endswith(\"/tiles/$mine/GenerateToken\"))][0].profileId")" = "$(prof a)" ]
	embed "{\"token\":\"$(jq -r .token <<<"$output")\",\"dashboardId\":\"$dash\",\"tileId\":\"$mine\"}"
	jq -e '.loads == true' <<<"$BODY"
	run --separate-stderr pbictl token --customer a --dashboard "$dash" -o json
	[ "$status" -eq 0 ]
	jq -e '.dashboard.embedConfig.type == "dashboard" and .tile == null' <<<"$output"
	admin POST "/groups/$lib/dashboards/da000000-0000-4000-8000-0000000000aa/tiles/d1e00000-0000-4000-8000-0000000000aa/Clone" \
	    "{\"targetDashboardId\":\"$dash\",\"targetWorkspaceId\":\"$(ws a)\",\"targetReportId\":\"$(rep b sales)\",\"targetModelId\":\"$(ds b sales)\"}"
	[ "$CODE" = 200 ]
	theirs=$(jq -r .id <<<"$BODY")
	refused --customer a --tile "$dash/$theirs"
	[[ "$stderr" == *"shows dataset $(ds b sales), which belongs to customer 'b', not 'a'"* ]]
	refused --customer a --dashboard "$dash"
	[[ "$stderr" == *"belongs to customer 'b'"* ]]
	# b's dashboard is not a's.
	admin POST "/groups/$(ws b)/dashboards" '{"name":"B board"}'
	refused --customer a --dashboard "$(jq -r .id <<<"$BODY")"
	[[ "$stderr" == *"is not in customer 'a''s workspace"* ]]
	run --separate-stderr pbictl token --customer a --dashboard "$dash" --report sales
	[ "$status" -eq 2 ]
	run --separate-stderr pbictl token --customer a --tile "$dash"
	[ "$status" -eq 2 ]
}

@test "dry run, usage and help" {
	two
	n=$(requests length)
	run --separate-stderr pbictl --dry-run token --customer a --report sales -o json
	[ "$status" -eq 0 ]
	jq -e '.dryRun == true and (.calls | length) == 1 and
	    (.calls[0].url | endswith("/v1.0/myorg/GenerateToken")) and
	    (has("token") | not)' <<<"$output"
	[ "$(gens "$n")" = 0 ]
	n=$(requests length)
	run --separate-stderr pbictl token -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: pbictl token --customer NAME"* ]]
	for bad in "--customer a" "--report sales" "--customer a --customer b --report sales" \
	    "--all --report sales" "--all --show-token" "--customer a --report sales --token-only --show-token" \
	    "--customer a --create" "--customer a --dataset not-an-id"; do
		run --separate-stderr pbictl token $bad
		[ "$status" -eq 2 ] || { echo "$bad: $status"; return 1; }
	done
	[ "$(requests length)" = "$n" ]
}
