#!/usr/bin/env bats
# Customer onboarding against pbisim: profiles, workspaces, capacity,
# reports; resumable, parallel, idempotent, checked on the wire and in
# pbisim's state.
bats_require_minimum_version 1.5.0

load cli_helper

setup() {
	cli_setup
	onboard_setup
}
teardown() { cli_teardown; }

customers() {
	local i
	for i in $(seq -w 1 "$1"); do echo "c$i"; done
}

# no_duplicates N: exactly N profiles and N workspaces named cust-*, each
# once, each with one report, one dataset, on the capacity; the parent
# service principal a member of none.
no_duplicates() {
	local s
	s=$(curl -sf "$SIM/_sim/state")
	[ "$(jq '[.profiles[] | select(.displayName | startswith("cust-"))] | length' <<<"$s")" = "$1" ]
	[ "$(jq '[.profiles[].displayName] | length == (unique | length)' <<<"$s")" = true ]
	[ "$(jq '[.workspaces[] | select(.name | startswith("cust-"))] | length' <<<"$s")" = "$1" ]
	[ "$(jq '[.workspaces[] | select(.name | startswith("cust-")) | (._reports | length)] | unique' -c <<<"$s")" = "[1]" ]
	[ "$(jq '[.workspaces[] | select(.name | startswith("cust-")) | (._datasets | length)] | unique' -c <<<"$s")" = "[1]" ]
	[ "$(jq "[.workspaces[] | select(.name | startswith(\"cust-\")) | .capacityId] | unique" -c <<<"$s")" = "[\"$CAP\"]" ]
	[ "$(jq '[.workspaces[]._users[] | select(.principalType == "App" and .profile == null)] | length' <<<"$s")" = 0 ]
}

@test "onboard 20 customers with --jobs 8: profiles, workspaces, capacity, reports" {
	sim_start --import-seconds 0.3 --assign-seconds 0.3
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	run pbictl --jobs 8 onboard $(customers 20) --report "$T/pbix/sales.pbix" -o json
	[ "$status" -eq 0 ]
	[ "$(jq '[.customers[] | select(.status == "ok")] | length' <<<"$output")" = 20 ]
	no_duplicates 20
	# The ledger matches the service, customer by customer.
	for c in $(customers 20); do
		ws=$(ledger_sql "SELECT w.id FROM workspaces w JOIN customers c ON c.id = w.customer_id WHERE c.slug = '$c' AND w.state = 'active'")
		[ "$(state ".workspaces[] | select(.id == \"$ws\") | .name")" = "cust-$c" ]
		prof=$(ledger_sql "SELECT p.id FROM profiles p JOIN customers c ON c.id = p.customer_id WHERE c.slug = '$c'")
		[ "$(state ".workspaces[] | select(.id == \"$ws\") | [._users[] | select(.principalType == \"App\")][0].profile.id")" = "$prof" ]
	done
	[ "$(ledger_sql "SELECT count(*) FROM reports")" = 20 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
	# Workspaces were created as their profiles, never as the parent.
	[ "$(requests '[.[] | select(.method == "POST" and .path == "/v1.0/myorg/groups") | .profileId] | map(select(. == null)) | length')" = 0 ]
}

@test "re-running the same onboard makes no write call" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q --jobs 4 onboard a b c d e --report "$T/pbix/sales.pbix" --admin "$ADMIN" >/dev/null
	n=$(requests length)
	run pbictl --jobs 4 onboard a b c d e --report "$T/pbix/sales.pbix" --admin "$ADMIN" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.customers[].reports[].action] | unique | join(",")' <<<"$output")" = unchanged ]
	[ "$(writes "$n")" = 0 ]
}

@test "a run killed at random moments, then re-run, converges with no duplicates" {
	sim_start --import-seconds 0.3 --assign-seconds 0.3 --latency 20:30
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	for delay in 0.3 0.9 1.6 0.5 2.2; do
		# The process itself, not a subshell around it.
		"$PBICTL" -q --jobs 4 onboard $(customers 8) --report "$T/pbix/sales.pbix" >/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	run pbictl --jobs 4 onboard $(customers 8) --report "$T/pbix/sales.pbix" -o json
	[ "$status" -eq 0 ]
	no_duplicates 8
	run pbictl ledger verify -o json
	[ "$status" -eq 0 ]
	# Nothing is left half-known: every intent has an outcome.
	[ "$(ledger_sql "SELECT count(*) FROM journal WHERE state = 'intent'")" = 0 ]
}

@test "with faults on the wire the run converges with no duplicates" {
	# Slow imports too: each takes 1.5 s at pbisim.
	sim_start --import-seconds 1.5 --assign-seconds 0.3 --seed-random 7
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	sim_post /_sim/faults '{"p429":0.08,"retryAfter":1,"p5xx":0.08,"pdrop":0.04,"p500AfterCommit":0.15}'
	# The first run may fail some customers (a create refused three
	# times, each followed by a lookup that found nothing, or an import
	# the faults broke).  One re-run must complete them all.
	ok=0
	for try in 1 2; do
		if pbictl -q --jobs 4 onboard $(customers 10) --report "$T/pbix/sales.pbix" >"$T/out.$try" 2>&1; then
			ok=1
			break
		fi
	done
	[ "$ok" = 1 ] || { cat "$T"/out.*; false; }
	sim_post /_sim/faults '{"reset":true}'
	no_duplicates 10
	# Faults were met and survived.
	[ "$(requests '[.[] | select(.status == 429)] | length')" -gt 0 ]
	[ "$(requests '[.[] | select(.status >= 500)] | length')" -gt 0 ]
}

# workspace SLUG: the customer's workspace id, from the ledger.
workspace() {
	ledger_sql "SELECT w.id FROM workspaces w JOIN customers c ON c.id = w.customer_id WHERE c.slug = '$1'"
}

# import_calls SINCE: the import POSTs and polls from the SINCE'th request
# on, in the order pbisim answered them (n), each with its workspace.
import_calls() {
	requests "[.[$1:][] | select(.path | test(\"^/v1.0/myorg/groups/[^/]+/imports(/[^/]+)?\$\"))
	    | {n, ws: (.path | split(\"/\")[4]), post: (.method == \"POST\")}]"
}

@test "publish v2 in waves updates everyone; the same file again imports nothing" {
	local n calls canaries
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q --jobs 8 onboard $(customers 12) --report "$T/pbix/sales.pbix" >/dev/null
	n=$(requests length)
	# More jobs than a wave holds: only the waves keep the width down.
	run pbictl --jobs 8 publish "$T/pbix/sales-v2.pbix" --name sales --all --canary 2 --wave-size 5 -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.customers[].reports[0].action] | unique | join(",")' <<<"$output")" = updated ]
	[ "$(jq '.customers | length' <<<"$output")" = 12 ]
	# Every import of this publish replaced the report: one POST per
	# customer, each with CreateOrOverwrite.
	[ "$(requests "[.[$n:][] | select(.method == \"POST\" and (.path | endswith(\"/imports\")))]
	    | length == 12 and all(.query | test(\"(^|&)nameConflict=CreateOrOverwrite(&|\$)\"))")" = true ]
	calls=$(import_calls "$n")
	# The canaries are the first two customers of the output.
	canaries=$(for c in $(jq -r '.customers[0:2][].customer' <<<"$output"); do
		workspace "$c"; done | jq -R . | jq -sc .)
	[ "$(jq 'length' <<<"$canaries")" = 2 ]
	# Each canary's import and its polls were answered before any other
	# customer's import was sent.
	[ "$(jq --argjson c "$canaries" '
	    ([.[] | select(.ws | IN($c[]))] | map(.n) | max) as $last
	    | ([.[] | select(.post and (.ws | IN($c[]) | not))] | map(.n) | min) as $first
	    | ([.[] | select(.post and (.ws | IN($c[])))] | length) == 2
	      and $last < $first' <<<"$calls")" = true ]
	# The waves: a customer whose first import was sent before every
	# earlier customer's last poll was answered ran in the same wave.
	# None holds more than --wave-size customers, so at least two ran.
	run jq -c --argjson c "$canaries" '
	    [group_by(.ws)[] | select(.[0].ws | IN($c[]) | not)
	     | {first: (map(select(.post)) | map(.n) | min), last: (map(.n) | max)}]
	    | sort_by(.first)
	    | reduce .[] as $w ([]; if length > 0 and $w.first < .[-1].last
	        then .[-1] = {size: (.[-1].size + 1), last: ([.[-1].last, $w.last] | max)}
	        else . + [{size: 1, last: $w.last}] end)
	    | map(.size)' <<<"$calls"
	[ "$status" -eq 0 ]
	echo "wave sizes: $output"
	[ "$(jq 'add' <<<"$output")" = 10 ]
	[ "$(jq 'max <= 5 and length >= 2' <<<"$output")" = true ]
	[ "$(ledger_sql "SELECT DISTINCT version FROM reports")" = 2 ]
	no_duplicates 12
	n=$(requests length)
	run pbictl --jobs 4 publish "$T/pbix/sales-v2.pbix" --name sales --all -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.customers[].reports[0].action] | unique | join(",")' <<<"$output")" = unchanged ]
	[ "$(writes "$n")" = 0 ]
}

@test "a failing canary stops the rollout and leaves the rest untouched" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q --jobs 8 onboard $(customers 6) --report "$T/pbix/sales.pbix" >/dev/null
	# The first canary's workspace is gone behind pbictl's back.
	ws=$(ledger_sql "SELECT w.id FROM workspaces w JOIN customers c ON c.id = w.customer_id WHERE c.slug = 'c01'")
	sim_post /_sim/faults '{"p5xx":1,"match":"POST /v1.0/myorg/groups/'"$ws"'/imports"}'
	n=$(requests length)
	run --separate-stderr pbictl publish "$T/pbix/sales-v2.pbix" --name sales --customer c01 --customer c02 --customer c03 \
	    --customer c04 --customer c05 --customer c06 --canary 2 --wave-size 2 -o json
	[ "$status" -eq 1 ]
	[ "$(jq -r '.customers[0].status' <<<"$output")" = failed ]
	[ "$(jq -r '[.customers[2:][].status] | unique | join(",")' <<<"$output")" = skipped ]
	[ "$(jq -r .skipped <<<"$output")" = 4 ]
	# No import was sent to the customers after the canaries.
	for c in c03 c04 c05 c06; do
		w=$(ledger_sql "SELECT w.id FROM workspaces w JOIN customers c ON c.id = w.customer_id WHERE c.slug = '$c'")
		[ "$(requests "[.[$n:][] | select(.method == \"POST\" and .path == \"/v1.0/myorg/groups/$w/imports\")] | length")" = 0 ]
	done
}

# delete_workspace SLUG: the customer's workspace deleted behind pbictl's
# back, by its profile, as someone in the Power BI portal would.
delete_workspace() {
	local ws prof tok
	ws=$(workspace "$1")
	prof=$(ledger_sql "SELECT p.id FROM profiles p JOIN customers c ON c.id = p.customer_id WHERE c.slug = '$1'")
	tok=$(curl -sf -d grant_type=client_credentials -d "client_id=$APP" \
	    --data-urlencode "client_secret=$APP_SECRET" \
	    --data-urlencode "scope=https://analysis.windows.net/powerbi/api/.default" \
	    "$SIM/contoso.onmicrosoft.com/oauth2/v2.0/token" | jq -r .access_token)
	curl -sf -X DELETE -H "Authorization: Bearer $tok" \
	    -H "X-PowerBI-Profile-Id: $prof" "$SIM/v1.0/myorg/groups/$ws" >/dev/null
	[ "$(state "[.workspaces[] | select(.id == \"$ws\")] | length")" = 0 ]
}

@test "--halt-after: a wave stops the rollout only when more than N fail" {
	local n c named=
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q --jobs 8 onboard $(customers 8) --report "$T/pbix/sales.pbix" >/dev/null
	for c in $(customers 8); do named="$named --customer $c"; done
	# One canary, then waves [c2 c3 c4] [c5 c6 c7] [c8]: one
	# failure in the first wave, two in the second.
	delete_workspace c3
	delete_workspace c5
	delete_workspace c6
	n=$(requests length)
	run pbictl --jobs 4 publish "$T/pbix/sales-v2.pbix" --name sales $named \
	    --canary 1 --wave-size 3 --halt-after 1 -o json
	[ "$status" -eq 1 ]
	[ "$(jq -r '[.customers[] | .customer + ":" + .status] | join(",")' <<<"$output")" = \
	    c1:ok,c2:ok,c3:failed,c4:ok,c5:failed,c6:failed,c7:ok,c8:skipped ]
	[ "$(jq -r .skipped <<<"$output")" = 1 ]
	# The wave after the halt was not touched.
	[ "$(requests "[.[$n:][] | select(.path | startswith(\"/v1.0/myorg/groups/$(workspace c8)/\"))] | length")" = 0 ]
	[ "$(ledger_sql "SELECT r.version FROM reports r JOIN workspaces w ON w.id = r.workspace_id JOIN customers c ON c.id = w.customer_id WHERE c.slug = 'c8'")" = 1 ]
	[ "$(ledger_sql "SELECT r.version FROM reports r JOIN workspaces w ON w.id = r.workspace_id JOIN customers c ON c.id = w.customer_id WHERE c.slug = 'c7'")" = 2 ]
	# The default is 0: one failure in a wave stops the rollout.  The
	# customers done already are unchanged; c3 fails in the first wave.
	n=$(requests length)
	run pbictl --jobs 4 publish "$T/pbix/sales-v2.pbix" --name sales $named \
	    --canary 1 --wave-size 3 -o json
	[ "$status" -eq 1 ]
	[ "$(jq -r '[.customers[] | .customer + ":" + .status] | join(",")' <<<"$output")" = \
	    c1:ok,c2:ok,c3:failed,c4:ok,c5:skipped,c6:skipped,c7:skipped,c8:skipped ]
	[ "$(jq -r .skipped <<<"$output")" = 4 ]
	[ "$(requests "[.[$n:][] | select(.path | startswith(\"/v1.0/myorg/groups/$(workspace c8)/\"))] | length")" = 0 ]
}

@test "bad input gives a clear error and changes nothing" {
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	run --separate-stderr pbictl onboard acme --report "$T/pbix/text.pbix"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is not a .pbix package (not a zip archive)"* ]]
	run --separate-stderr pbictl onboard acme --report "$T/pbix/notpbix.pbix"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is a zip archive but not a .pbix package"* ]]
	run --separate-stderr pbictl onboard acme --capacity 99999999-9999-4999-8999-999999999999
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is not among the capacities"* ]]
	run --separate-stderr pbictl onboard acme --capacity "$CAP_SUSPENDED"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is Suspended, not Active"* ]]
	run --separate-stderr pbictl onboard Acme_Corp
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"invalid customer name 'Acme_Corp'"* ]]
	printf 'customer,display name\nacme,Acme\nBad Name,Bad\n' >"$T/c.csv"
	run --separate-stderr pbictl onboard --from "$T/c.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"c.csv:3: invalid customer name 'Bad Name'"* ]]
	run --separate-stderr pbictl publish "$T/pbix/text.pbix" --all
	[ "$status" -eq 1 ]
	[ "$(writes)" = 0 ]
	[ "$(ledger_sql "SELECT count(*) FROM customers")" = 0 ]
}

@test "customers from a CSV get their display names and admins" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	printf 'customer,display name,admin\n# a comment\nacme,"Acme, Inc.",%s\n\nbeta,Beta\n' "$ADMIN" >"$T/c.csv"
	run pbictl customer add --from "$T/c.csv" -o json
	[ "$status" -eq 0 ]
	[ "$(ledger_sql "SELECT display_name FROM customers WHERE slug = 'acme'")" = "Acme, Inc." ]
	ws=$(jq -r '.customers[0].workspaceId' <<<"$output")
	[ "$(state ".workspaces[] | select(.id == \"$ws\") | [._users[] | select(.principalType == \"User\")][0].identifier")" = "$ADMIN" ]
	[ "$(pbictl customer list -o json | jq -r '[.[].customer] | join(",")')" = acme,beta ]
}

@test "customer remove deletes workspace and profile and keeps a tombstone" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q onboard acme beta --report "$T/pbix/sales.pbix" >/dev/null
	ws=$(pbictl customer show acme -o json | jq -r .workspaceId)
	run pbictl customer remove acme -o json
	[ "$status" -eq 0 ]
	[ "$(state "[.workspaces[] | select(.id == \"$ws\")] | length")" = 0 ]
	[ "$(state '[.profiles[] | select(.displayName == "cust-acme")] | length')" = 0 ]
	[ "$(state '[.profiles[] | select(.displayName == "cust-beta")] | length')" = 1 ]
	[ "$(ledger_sql "SELECT status || ':' || CASE WHEN removed_at IS NULL THEN 0 ELSE 1 END FROM customers WHERE slug = 'acme'")" = removed:1 ]
	[ "$(pbictl customer list -o json | jq -r '[.[].customer] | join(",")')" = beta ]
	[ "$(pbictl customer list --removed -o json | jq -r '[.[].customer] | join(",")')" = acme,beta ]
	# Again: nothing to do, no call that writes.
	n=$(requests length)
	run pbictl customer remove acme
	[ "$status" -eq 0 ]
	[ "$(writes "$n")" = 0 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}

@test "customer remove --keep-workspace leaves workspace and profile, keeps a tombstone" {
	local ws prof n
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q onboard acme beta --report "$T/pbix/sales.pbix" >/dev/null
	ws=$(pbictl customer show acme -o json | jq -r .workspaceId)
	prof=$(ledger_sql "SELECT p.id FROM profiles p JOIN customers c ON c.id = p.customer_id WHERE c.slug = 'acme'")
	[ -n "$ws" ] && [ -n "$prof" ]
	n=$(requests length)
	run pbictl customer remove acme --keep-workspace -o json
	[ "$status" -eq 0 ]
	# Nothing was deleted, nor written at all, at the service.
	[ "$(writes "$n")" = 0 ]
	[ "$(count DELETE '.')" = 0 ]
	# The workspace, its report and the profile that reaches it stay.
	[ "$(state "[.workspaces[] | select(.id == \"$ws\")] | length")" = 1 ]
	[ "$(state ".workspaces[] | select(.id == \"$ws\") | [._reports[].name] | join(\",\")")" = sales ]
	[ "$(state "[.profiles[] | select(.id == \"$prof\")] | length")" = 1 ]
	[ "$(state ".workspaces[] | select(.id == \"$ws\") | [._users[] | select(.principalType == \"App\")][0].profile.id")" = "$prof" ]
	# The ledger: a tombstone, the workspace and profile still active.
	[ "$(ledger_sql "SELECT status || ':' || CASE WHEN removed_at IS NULL THEN 0 ELSE 1 END FROM customers WHERE slug = 'acme'")" = removed:1 ]
	[ "$(ledger_sql "SELECT state FROM workspaces WHERE id = '$ws'")" = active ]
	[ "$(ledger_sql "SELECT state FROM profiles WHERE id = '$prof'")" = active ]
	[ "$(pbictl customer list -o json | jq -r '[.[].customer] | join(",")')" = beta ]
	[ "$(pbictl customer list --removed -o json | jq -r '[.[] | .customer + ":" + .status] | join(",")')" = acme:removed,beta:active ]
	# ledger verify warns of what was kept, and the ledger is still ok.
	run pbictl ledger verify -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.ok' <<<"$output")" = true ]
	[ "$(jq -r '[.findings[] | select(.severity == "warning") | .check] | sort | join(",")' <<<"$output")" = \
	    removed-customer-active,removed-customer-profile ]
	# Again: nothing to do.
	run pbictl customer remove acme --keep-workspace
	[ "$status" -eq 0 ]
	[ "$(writes "$n")" = 0 ]
	[ "$(state "[.workspaces[] | select(.id == \"$ws\")] | length")" = 1 ]
}

@test "a workspace of the expected name that is not ours is refused" {
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}]
	    | .workspaces = [{\"id\": \"aaaaaaaa-0000-4000-8000-000000000001\", \"name\": \"cust-acme\"}]"
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --isolation workspace >/dev/null
	run --separate-stderr pbictl customer add acme -o json
	[ "$status" -eq 1 ]
	[[ "$(jq -r '.customers[0].error' <<<"$output")" == *"cust-acme"* ]]
	[ "$(state '[.workspaces[] | select(.name == "cust-acme")] | length')" = 1 ]
}

@test "workspace isolation mode: the service principal owns each workspace" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --isolation workspace --capacity "$CAP" >/dev/null
	run pbictl onboard acme beta --report "$T/pbix/sales.pbix" -o json
	[ "$status" -eq 0 ]
	[ "$(state '[.profiles[]] | length')" = 0 ]
	[ "$(requests '[.[] | select(.profileId != null)] | length')" = 0 ]
	[ "$(state '[.workspaces[] | select(.name | startswith("cust-"))] | length')" = 2 ]
}

@test "capacity assign moves customers between capacities and checks first" {
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}]
	    | .capacities += [{\"id\": \"6e0a1b2c-3d4e-4f50-8a9b-0c1d2e3f4a5b\", \"displayName\": \"embedded-b\",
	        \"sku\": \"A2\", \"state\": \"Active\", \"region\": \"West Europe\", \"assign\": [\"$APP\"]}]"
	sim_start --assign-seconds 0.3
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q onboard acme beta >/dev/null
	run pbictl capacity assign --all --capacity 6e0a1b2c-3d4e-4f50-8a9b-0c1d2e3f4a5b -o json
	[ "$status" -eq 0 ]
	[ "$(state '[.workspaces[] | select(.name | startswith("cust-")) | .capacityId] | unique | join(",")')" = 6e0a1b2c-3d4e-4f50-8a9b-0c1d2e3f4a5b ]
	[ "$(ledger_sql "SELECT DISTINCT capacity_id FROM workspaces")" = 6e0a1b2c-3d4e-4f50-8a9b-0c1d2e3f4a5b ]
	n=$(requests length)
	run pbictl capacity assign acme --capacity "$CAP_SUSPENDED"
	[ "$status" -eq 1 ]
	[ "$(writes "$n")" = 0 ]
	run --separate-stderr pbictl capacity assign nobody --capacity "$CAP" -o json
	[ "$status" -eq 1 ]
	[[ "$(jq -r '.customers[0].error' <<<"$output")" == *"has no workspace"* ]]
}

@test "a stuck capacity assignment is a clear error that a re-run resumes" {
	sim_start --assign-stuck
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	PBICTL_ASSIGN_TIMEOUT=2 run --separate-stderr pbictl onboard acme -o json
	[ "$status" -eq 1 ]
	[[ "$(jq -r '.customers[0].error' <<<"$output")" == *"still InProgress"*"re-run to resume"* ]]
	sim_post /_sim/faults '{"assignStuck":false,"assignSeconds":0.2}'
	run pbictl onboard acme -o json
	[ "$status" -eq 0 ]
	[ "$(state '.workspaces[] | select(.name == "cust-acme") | .capacityId')" = "$CAP" ]
	[ "$(count POST '/myorg/groups$')" = 1 ]
}

@test "--dry-run lists the calls and writes nothing" {
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	run pbictl --dry-run onboard acme --report "$T/pbix/sales.pbix" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.calls[] | .method + " " + (.url | sub("^http://[^/]*"; "") | sub("\\?.*"; ""))] | join(",")' <<<"$output")" = \
	    "POST /v1.0/myorg/profiles,POST /v1.0/myorg/groups,POST /v1.0/myorg/groups/00000000-0000-0000-0000-000000000000/AssignToCapacity,POST /v1.0/myorg/groups/00000000-0000-0000-0000-000000000000/imports" ]
	[ "$(writes)" = 0 ]
	[ "$(ledger_sql "SELECT count(*) FROM customers")" = 0 ]
	# Admins of a workspace a dry run did not create: listed, not read.
	run pbictl --dry-run onboard acme --admin "$ADMIN" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.calls[].url | select(test("/users$"))] | length' <<<"$output")" = 1 ]
	[ "$(writes)" = 0 ]
}

@test "two runs never interleave on one ledger" {
	sqlite_only
	sim_start --import-seconds 0.2 --assign-seconds 0.2 --latency 200
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	"$PBICTL" -q onboard acme beta >/dev/null 2>&1 &
	pid=$!
	sleep 0.5
	run --separate-stderr pbictl onboard gamma
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"another pbictl is changing ledger"* ]]
	wait "$pid"
	run pbictl onboard gamma
	[ "$status" -eq 0 ]
}

@test "parameters and datasource credentials are set after the import" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	printf '{"credentialType":"Basic","username":"reader","password":"S3cret-Pw!"}\n' >"$T/creds.json"
	chmod 644 "$T/creds.json"
	run --separate-stderr pbictl onboard acme --report "$T/pbix/rls.pbix" --credentials-file "$T/creds.json"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"refusing secret file"* ]]
	[ "$(writes)" = 0 ]
	chmod 600 "$T/creds.json"
	run --separate-stderr pbictl -vv onboard acme --report "$T/pbix/rls.pbix" \
	    --param Server=sql-b --credentials-file "$T/creds.json" --refresh -o json
	[ "$status" -eq 0 ]
	# The refresh was triggered and followed to its end.
	[ "$(count POST '/refreshes$')" = 1 ]
	[ "$(count GET '/refreshes$')" -ge 1 ]
	[ "$(ledger_sql "SELECT state FROM journal WHERE step = 'dataset.refresh'")" = ok ]
	# TakeOver before UpdateParameters, then the credentials PATCH.
	[ "$(requests '[.[] | select(.method != "GET") | .path | capture("/(?<op>Default\\.[A-Za-z]+)$").op] | join(",")')" = \
	    "Default.TakeOver,Default.UpdateParameters" ]
	[ "$(count PATCH '^/v1.0/myorg/gateways/.*/datasources/')" = 1 ]
	[ "$(requests '[.[] | select(.method == "PATCH")][0].body.credentialDetails.credentialType')" = Basic ]
	[ "$(state '[.workspaces[]._datasets[]._parameters[]? | select(.name == "Server") | .currentValue][0]')" = sql-b ]
	[ "$(state '[.workspaces[]._datasets[]._datasources[]?.credentialType][0]')" = Basic ]
	# The password went to the service only.
	[[ "$stderr" != *"S3cret-Pw!"* ]]
	refute_in 'S3cret-Pw!' "$(ledger_file)" "$T/requests.log"
}

@test "a package over the multipart limit goes through a temporary upload location" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	# The limit is 1 GiB; here it is lowered, and the blocks made small.
	export PBICTL_LARGE_IMPORT_BYTES=200 PBICTL_UPLOAD_BLOCK_BYTES=256
	size=$(stat -c %s "$T/pbix/sales.pbix")
	run pbictl onboard acme --report "$T/pbix/sales.pbix" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.customers[0].reports[0].action' <<<"$output")" = published ]
	[ "$(count POST '/imports/createTemporaryUploadLocation$')" = 1 ]
	[ "$(requests '[.[] | select(.method == "PUT" and (.path | startswith("/_blob/")) and (.query | test("comp=block&")))] | length')" = $(( (size + 255) / 256 )) ]
	[ "$(requests '[.[] | select(.method == "PUT" and (.query | test("comp=blocklist")))] | length')" = 1 ]
	# The import names the blob; no multipart upload was sent.
	[ "$(requests '[.[] | select(.method == "POST" and (.path | endswith("/imports")))][0].body.fileUrl' | grep -c '/_blob/')" = 1 ]
	# No bearer token went to the blob: pbisim saw no principal there.
	[ "$(requests '[.[] | select(.path | startswith("/_blob/")) | .principal] | unique | join(",")')" = "" ]
	[ "$(state '[.workspaces[] | select(.name == "cust-acme") | ._reports[].name] | join(",")')" = sales ]
}

@test "an import the service refused is never recorded as published" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	pbictl -q onboard acme --report "$T/pbix/sales.pbix" >/dev/null
	sim_post /_sim/faults '{"p5xx":1,"retryAfter":0,"match":"POST /v1.0/myorg/groups/"}'
	run --separate-stderr pbictl publish "$T/pbix/sales-v2.pbix" --name sales --customer acme -o json
	[ "$status" -eq 1 ]
	[ "$(jq -r '.customers[0].status' <<<"$output")" = failed ]
	v1=$(sha256sum "$T/pbix/sales.pbix" | cut -d' ' -f1)
	[ "$(ledger_sql "SELECT sha256 FROM reports")" = "$v1" ]
	sim_post /_sim/faults '{"reset":true}'
	run pbictl publish "$T/pbix/sales-v2.pbix" --name sales --customer acme -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.customers[0].reports[0].action' <<<"$output")" = updated ]
	[ "$(state '.workspaces[] | select(.name == "cust-acme") | ._reports[0]._file')" = \
	    "$(sha256sum "$T/pbix/sales-v2.pbix" | cut -d' ' -f1)" ]
}

@test "rolling back to an earlier file imports it again" {
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	pbictl -q onboard acme --report "$T/pbix/sales.pbix" >/dev/null
	pbictl -q publish "$T/pbix/sales-v2.pbix" --name sales --customer acme >/dev/null
	n=$(requests length)
	run pbictl publish "$T/pbix/sales.pbix" --customer acme -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.customers[0].reports[0].action' <<<"$output")" = updated ]
	[ "$(requests "[.[$n:][] | select(.method == \"POST\" and (.path | endswith(\"/imports\")))] | length")" = 1 ]
	v1=$(sha256sum "$T/pbix/sales.pbix" | cut -d' ' -f1)
	[ "$(state '.workspaces[] | select(.name == "cust-acme") | ._reports[0]._file')" = "$v1" ]
	[ "$(ledger_sql "SELECT sha256 || ':' || version FROM reports")" = "$v1:3" ]
}

@test "a terminal gets a progress line, a pipe does not" {
	command -v script >/dev/null || skip "no script(1) for a pseudo-terminal"
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	run script -qec "\"$PBICTL\" onboard acme beta" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"onboard: 2/2 done, 0 failed"* ]]
	run --separate-stderr pbictl onboard gamma
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"done,"* ]]
}

@test "reading verbs work while an onboarding holds the run lock" {
	sqlite_only
	# Slow enough that the onboarding outlasts the reads below.
	sim_start --import-seconds 5 --assign-seconds 0.2 --latency 250
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	pbictl -q onboard early >/dev/null
	"$PBICTL" -q onboard acme beta gamma --report "$T/pbix/sales.pbix" >/dev/null 2>&1 &
	pid=$!
	# It holds the lock once it has journalled its first intent.
	for i in $(seq 300); do
		n=$(ledger_sql "SELECT count(*) FROM journal WHERE state = 'intent'" 2>/dev/null || echo 0)
		[ "$n" -gt 0 ] && break
		sleep 0.1
	done
	[ "$n" -gt 0 ]
	run --separate-stderr pbictl capacity list -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r "[.[].id] | index(\"$CAP\") != null" <<<"$output")" = true ]
	run --separate-stderr pbictl customer list -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[].customer] | index("early") != null' <<<"$output")" = true ]
	run --separate-stderr pbictl customer show early -o json
	[ "$status" -eq 0 ]
	run --separate-stderr pbictl ledger status -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .counts.customers <<<"$output")" -ge 1 ]
	# What changes the tenant is refused while the lock is held.
	run --separate-stderr pbictl customer add delta
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"another pbictl is changing ledger"* ]]
	# All of that happened while the onboarding was still running.
	kill -0 "$pid"
	wait "$pid"
	[ "$(ledger_sql "SELECT count(*) FROM customers WHERE slug = 'delta'")" = 0 ]
	[ "$(ledger_sql "SELECT group_concat(status) FROM customers WHERE slug IN ('acme', 'beta', 'gamma')")" = active,active,active ]
}

@test "a value of a command's option is never taken for a global option" {
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	run --separate-stderr pbictl customer add acme --display-name -q
	[ "$status" -eq 0 ]
	[ "$(ledger_sql "SELECT display_name FROM customers WHERE slug = 'acme'")" = "-q" ]
	# The = form, with a global option after it that still counts.
	run --separate-stderr pbictl customer add beta --display-name=-o -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.customers[0].status' <<<"$output")" = ok ]
	[ "$(ledger_sql "SELECT display_name FROM customers WHERE slug = 'beta'")" = "-o" ]
	# Global options between command and verb, and after the verb.
	run --separate-stderr pbictl customer -o json list
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[].customer] | join(",")' <<<"$output")" = acme,beta ]
	run --separate-stderr pbictl ledger log --customer -v -o json
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" = 0 ]
	[ -z "$stderr" ]
	run --separate-stderr pbictl ledger status -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .counts.customers <<<"$output")" = 2 ]
	run --separate-stderr pbictl ledger status -o yaml
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"-o: expected table or json, not 'yaml'"* ]]
}

@test "when customers fail, one line on stderr says how many and the first" {
	sim_seed ".servicePrincipals = [{\"appId\": \"$APP\"}]
	    | .workspaces = [{\"id\": \"aaaaaaaa-0000-4000-8000-000000000001\", \"name\": \"cust-beta\"}]"
	sim_start
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --isolation workspace >/dev/null
	run --separate-stderr pbictl customer add acme beta gamma -o json
	[ "$status" -eq 1 ]
	# Standard output is the JSON alone.
	[ "$(jq -r '[.customers[].status] | join(",")' <<<"$output")" = ok,failed,ok ]
	[ "$(wc -l <<<"$stderr")" = 1 ]
	[[ "$stderr" == "pbictl: 1 of 3 customers failed; first: beta: "*"cust-beta"* ]]
	# Even with -q, and as a table.
	run --separate-stderr pbictl -q customer add beta
	[ "$status" -eq 1 ]
	[[ "$output" == *"1 of 1 failed"* ]]
	[[ "$stderr" == "pbictl: 1 of 1 customer failed; first: beta: "* ]]
	# No failure, no line.
	run --separate-stderr pbictl customer add acme
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}
