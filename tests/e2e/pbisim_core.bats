#!/usr/bin/env bats
# pbisim: startup, control endpoints, request log, state file.

bats_require_minimum_version 1.5.0

load sim_helper

setup_file() { sim_setup_file; }
teardown_file() { sim_teardown_file; }
setup() { sim_reset; }

@test "print-seed is a JSON tenant with the demo pieces" {
	run "$PBISIM" --print-seed
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.users | length == 1'
	echo "$output" | jq -e '.applications[0].passwordCredentials | length == 1'
	echo "$output" | jq -e '.capacities | length == 2'
	echo "$output" | jq -e '[.capacities[].state] | index("Suspended") != null'
	echo "$output" | jq -e '.collections[0].workspaces[0].reports | length >= 2'
}

@test "refuses a non-loopback listen address" {
	run "$PBISIM" --listen 0.0.0.0:0 --seed "$SIM_SEED"
	[ "$status" -eq 2 ]
	[[ "$output" == *non-loopback* ]]
}

@test "usage errors exit 2, -h exits 0" {
	run "$PBISIM" --bogus
	[ "$status" -eq 2 ]
	run "$PBISIM" -h
	[ "$status" -eq 0 ]
	[[ "$output" == *--print-seed* ]]
}

@test "port file holds the listening port" {
	call GET /_sim/health
	[ "$CODE" = 200 ]
	[ "$(echo "$BODY" | jq .port)" = "$(cat "$SIM_DIR/port")" ]
}

@test "request ids on every response" {
	call GET /v1.0/myorg/groups
	[ "$CODE" = 403 ]
	[ -n "$(header RequestId)" ]
	call GET /v1.0/applications -H 'client-request-id: abc-123'
	[ "$CODE" = 401 ]
	[ "$(header client-request-id)" = abc-123 ]
	[ "$(echo "$BODY" | jq -r '.error.innerError["request-id"]')" = "$(header request-id)" ]
	[ "$(echo "$BODY" | jq -r .error.code)" = InvalidAuthenticationToken ]
}

@test "state shows the tenant but no secrets" {
	call GET /_sim/state
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.tenant.id == env.TENANT'
	echo "$BODY" | jq -e '.workspaces | length == 2'
	[ -s "$BATS_TEST_TMPDIR/body" ]
	run ! grep -q 's3cret\|AdminPass1\|key-one\|__' "$BATS_TEST_TMPDIR/body"
}

@test "request log: JSON lines, redacted bodies, since" {
	local mark
	mark=$(sim_mark)
	tok_app "$APP1" s3cret-one "$PBI_SCOPE" >/dev/null
	call GET "/_sim/requests?since=$mark"
	echo "$BODY" | jq -e 'length == 1'
	echo "$BODY" | jq -e '.[0].method == "POST" and .[0].status == 200'
	echo "$BODY" | jq -e '.[0].path == "/" + env.TENANT + "/oauth2/v2.0/token"'
	echo "$BODY" | jq -e '.[0].body.client_secret == "REDACTED"'
	echo "$BODY" | jq -e '.[0].body.client_id == env.APP1'
	echo "$BODY" | jq -e '.[0].principal == env.APP1'
	echo "$BODY" | jq -e '.[0].requestId | length == 36'
	echo "$BODY" | jq -e '.[0].durationMs >= 0'
	refute_in s3cret-one "$SIM_DIR/requests.log"
	tail -1 "$SIM_DIR/requests.log" | jq -e '.body.client_secret == "REDACTED"'
}

@test "control routes are not logged" {
	local mark
	mark=$(sim_mark)
	call GET /_sim/state
	call GET /_sim/faults
	call GET "/_sim/requests?since=$mark"
	[ "$BODY" = "[]" ]
}

@test "clock advances and reset rewinds it" {
	local before after
	before=$(curl -sf "$SIM/_sim/clock" | jq .epoch)
	sim_clock 7200
	after=$(curl -sf "$SIM/_sim/clock" | jq .epoch)
	[ $((after - before)) -ge 7200 ]
	sim_reset
	after=$(curl -sf "$SIM/_sim/clock" | jq .epoch)
	[ $((after - before)) -lt 100 ]
}

@test "faults are readable and settable" {
	sim_faults '{"p429":0.5,"retryAfter":2,"match":"POST /v1.0/myorg/groups"}'
	call GET /_sim/faults
	echo "$BODY" | jq -e '.p429 == 0.5 and .retryAfter == 2'
	echo "$BODY" | jq -e '.match == "POST /v1.0/myorg/groups"'
	call POST /_sim/faults --data 'nope'
	[ "$CODE" = 400 ]
}

@test "reset returns to the seed" {
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	pbi POST '/groups?workspaceV2=true' '{"name":"temp-ws"}'
	[ "$CODE" = 200 ]
	sim_reset
	curl -sf "$SIM/_sim/state" | jq -e '[.workspaces[].name] | index("temp-ws") == null'
}

@test "state file survives a restart, tokens stay valid" {
	local d="$BATS_TEST_TMPDIR/st" tok
	sim_start "$d" --state "$d/state.json"
	tok=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	call POST '/v1.0/myorg/groups?workspaceV2=true' \
	    -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    --data '{"name":"persisted"}'
	[ "$CODE" = 200 ]
	sim_stop "$d"
	[ -s "$d/state.json" ]
	sim_start "$d" --state "$d/state.json"
	call GET "/v1.0/myorg/groups?\$filter=name%20eq%20'persisted'" \
	    -H "Authorization: Bearer $tok"
	sim_stop "$d"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.value | length == 1'
}

@test "in-memory request log is a bounded ring" {
	local d="$BATS_TEST_TMPDIR/ring" i
	sim_start "$d" --log-size 5
	for i in 1 2 3 4 5 6 7 8; do
		curl -s "$SIM/v1.0/myorg/groups" >/dev/null
	done
	call GET /_sim/requests
	sim_stop "$d"
	echo "$BODY" | jq -e 'length == 5 and .[0].n == 3'
	[ "$(wc -l <"$d/requests.log")" -eq 8 ]
}

@test "--tls-cert/--tls-key serve HTTPS with https links" {
	local d="$BATS_TEST_TMPDIR/tls"
	mkdir -p "$d"
	mkcert "$d"
	sim_start "$d" --tls-cert "$d/cert.pem" --tls-key "$d/key.pem"
	SIM="https://127.0.0.1:$(cat "$d/port")"
	call GET "/$TENANT/v2.0/.well-known/openid-configuration" -k
	sim_stop "$d"
	[ "$CODE" = 200 ]
	echo "$BODY" | jq -e '.token_endpoint | startswith("https://127.0.0.1:")'
}

@test "--token-lifetime sets expires_in" {
	local d="$BATS_TEST_TMPDIR/tl"
	sim_start "$d" --token-lifetime 600
	token_call -d grant_type=client_credentials -d "client_id=$APP1" \
	    -d client_secret=s3cret-one --data-urlencode "scope=$PBI_SCOPE"
	sim_stop "$d"
	echo "$BODY" | jq -e '.expires_in == 600'
}
