#!/usr/bin/env bats
# The waits the manual pages document, each against a pbisim that is slow
# or stuck: a small timeout gives the documented error, and running the
# same command again resumes and converges, with nothing duplicated.
# (PBICTL_ASSIGN_TIMEOUT during an onboarding is in onboard.bats.)
bats_require_minimum_version 1.5.0

load cli_helper

setup() {
	cli_setup
	onboard_setup
}
teardown() { cli_teardown; }

# slow_import: onboard acme with a report whose import pbisim keeps
# Publishing for 30 s, and PBICTL_IMPORT_TIMEOUT=1.
slow_import() {
	sim_start --import-seconds 30 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" --capacity "$CAP" >/dev/null
	PBICTL_IMPORT_TIMEOUT=1 run pbictl onboard acme --report "$T/pbix/sales.pbix" -o json
}

@test "PBICTL_IMPORT_TIMEOUT: a slow import fails the customer with the documented error" {
	slow_import
	[ "$status" -eq 1 ]
	[ "$(jq -r '.customers[0].status' <<<"$output")" = failed ]
	[[ "$(jq -r '.customers[0].error' <<<"$output")" == *"cannot publish 'sales' to workspace 'cust-acme': import "*" is still Publishing; re-run to resume"* ]]
	# Not recorded as published; the journal keeps the import's intent
	# open with its id, for the re-run to follow.
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM reports")" = 0 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT state FROM journal WHERE step = 'report.import'")" = intent ]
	[[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT result FROM journal WHERE step = 'report.import'")" == import:* ]]
	[ "$(count POST '/imports$')" = 1 ]
}

@test "PBICTL_IMPORT_TIMEOUT: the re-run after a slow import finishes the customer" {
	# The re-run follows the import the first run started (its intent
	# stays open with the import's id): no second upload, no 409 Abort.
	slow_import
	[ "$status" -eq 1 ]
	# The service speeds up; the same command again.
	sim_post /_sim/faults '{"importSeconds":0.2}' >/dev/null
	run pbictl onboard acme --report "$T/pbix/sales.pbix" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.customers[0].status' <<<"$output")" = ok ]
	# One report and one dataset, in the ledger and at the service.
	[ "$(state '[.workspaces[] | select(.name == "cust-acme") | ._reports[].name] | join(",")')" = sales ]
	[ "$(state '[.workspaces[] | select(.name == "cust-acme") | ._datasets[]] | length')" = 1 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM reports")" = 1 ]
	[ "$(count POST '^/v1.0/myorg/groups$')" = 1 ]
	[ "$(count POST '^/v1.0/myorg/profiles$')" = 1 ]
	[ "$(count POST '/imports$')" = 1 ]
	run pbictl ledger verify
	[ "$status" -eq 0 ]
}

@test "PBICTL_REFRESH_TIMEOUT: a refresh still running fails the customer, a re-run finishes it" {
	# pbisim's refreshes take a second; a timeout of 0 s allows one look.
	sim_start --import-seconds 0.2 --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	PBICTL_REFRESH_TIMEOUT=0 run pbictl onboard acme --report "$T/pbix/rls.pbix" --refresh -o json
	[ "$status" -eq 1 ]
	[ "$(jq -r '.customers[0].status' <<<"$output")" = failed ]
	[[ "$(jq -r '.customers[0].error' <<<"$output")" == *"cannot refresh dataset "*": the refresh of dataset "*" is still running"* ]]
	[ "$(count POST '/refreshes$')" = 1 ]
	# A failed refresh leaves the report unrecorded, so that the re-run
	# retries the step (pbictl-publish(1)).
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM reports")" = 0 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT state FROM journal WHERE step = 'dataset.refresh'")" = failed ]
	run pbictl onboard acme --report "$T/pbix/rls.pbix" --refresh -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.customers[0].status' <<<"$output")" = ok ]
	[ "$(count POST '/refreshes$')" = 2 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT group_concat(state) FROM journal WHERE step = 'dataset.refresh' ORDER BY id")" = failed,ok ]
	# Each import's entry closed, with its report's id, after the steps.
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT group_concat(j.state) FROM journal j JOIN reports r ON r.id = j.result WHERE j.step = 'report.import' ORDER BY j.id")" = ok,ok ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM journal WHERE state = 'intent'")" = 0 ]
	[ "$(state '[.workspaces[] | select(.name == "cust-acme") | ._datasets[]._refreshes[-1].status][0]')" = Completed ]
	# The re-run replaced the report: still one of each.
	[ "$(state '[.workspaces[] | select(.name == "cust-acme") | ._reports[]] | length')" = 1 ]
	[ "$(state '[.workspaces[] | select(.name == "cust-acme") | ._datasets[]] | length')" = 1 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM reports")" = 1 ]
}

@test "PBICTL_ASSIGN_TIMEOUT: a stuck assignment fails capacity assign, a re-run finishes it" {
	sim_start --assign-seconds 0.2
	pbictl -q init --tenant contoso.onmicrosoft.com --client-id "$APP" >/dev/null
	pbictl -q customer add acme beta >/dev/null
	sim_post /_sim/faults '{"assignStuck":true}' >/dev/null
	PBICTL_ASSIGN_TIMEOUT=1 run pbictl capacity assign acme beta --capacity "$CAP" -o json
	[ "$status" -eq 1 ]
	[ "$(jq -r '[.customers[].status] | unique | join(",")' <<<"$output")" = failed ]
	[[ "$(jq -r '.customers[0].error' <<<"$output")" == *"the assignment is still InProgress after 1 s; re-run to resume"* ]]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM workspaces WHERE capacity_id = '$CAP'")" = 0 ]
	sim_post /_sim/faults '{"assignStuck":false}' >/dev/null
	run pbictl capacity assign acme beta --capacity "$CAP" -o json
	[ "$status" -eq 0 ]
	[ "$(state "[.workspaces[] | select(.name | startswith(\"cust-\")) | .capacityId] | unique | join(\",\")")" = "$CAP" ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT count(*) FROM workspaces WHERE capacity_id = '$CAP'")" = 2 ]
	# Done: a third run makes no call that writes.
	n=$(requests length)
	run pbictl capacity assign acme beta --capacity "$CAP"
	[ "$status" -eq 0 ]
	[ "$(writes "$n")" = 0 ]
}

@test "PBICTL_REPLICATION_WAIT: a 409 whose object stays hidden fails, a re-run finds it" {
	local tok
	as_admin
	sim_seed '.wellKnownServicePrincipals = {"powerBI": true, "graph": true}'
	sim_start --replication-delay 30
	demo_ledger
	# Someone else creates the service principal just now: Graph
	# answers pbictl's create 409 and hides the new one for 30 s.
	tok=$(curl -sf -d "client_id=$APP&grant_type=password&username=$ADMIN" \
	    --data-urlencode "password=$ADMIN_PASSWORD" \
	    --data-urlencode "scope=https://graph.microsoft.com/.default" \
	    "$SIM/contoso.onmicrosoft.com/oauth2/v2.0/token" | jq -r .access_token)
	curl -sf -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    -d "{\"appId\":\"$APP\"}" "$SIM/v1.0/servicePrincipals" >/dev/null
	PBICTL_REPLICATION_WAIT=1 run --separate-stderr pbictl sp ensure -o json
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot create the service principal of app $APP: it exists but does not show yet: re-run to reconcile: 409 Request_MultipleObjectsWithSameKeyValue"* ]]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT state FROM journal WHERE step = 'sp.create'")" = failed ]
	# The directory catches up; the same command again.
	sim_post /_sim/clock '{"advanceSeconds":31}' >/dev/null
	run pbictl sp ensure -o json
	[ "$status" -eq 0 ]
	# Found by its lookup, as a service principal that was there: no
	# change, and no create sent again.  Two creates in all: the other
	# side's, and pbictl's one 409.
	[ "$(jq -r '.changes | has("servicePrincipal")' <<<"$output")" = false ]
	[ "$(jq -r .servicePrincipalId <<<"$output")" = \
	    "$(state ".servicePrincipals[] | select(.appId == \"$APP\") | .id")" ]
	[ "$(requests '[.[] | select(.method == "POST" and .path == "/v1.0/servicePrincipals") | .status] | join(",")')" = 201,409 ]
	[ "$(state "[.servicePrincipals[] | select(.appId == \"$APP\")] | length")" = 1 ]
	[ "$(sqlite3 "$PBICTL_LEDGER" "SELECT value FROM settings WHERE key = 'sp_object_id'")" = \
	    "$(state ".servicePrincipals[] | select(.appId == \"$APP\") | .id")" ]
}
