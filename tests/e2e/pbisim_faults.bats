#!/usr/bin/env bats
# pbisim: fault injection (options and POST /_sim/faults).

bats_require_minimum_version 1.5.0

load sim_helper

setup_file() {
	sim_setup_file
	PBI_TOKEN=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	GRAPH_TOKEN=$(tok_app "$APP1" s3cret-one "$GRAPH_SCOPE")
	export PBI_TOKEN GRAPH_TOKEN
}
teardown_file() { sim_teardown_file; }
setup() { sim_reset; }

@test "p429 with Retry-After, restricted by match; control routes exempt" {
	sim_faults '{"p429":1,"retryAfter":2,"match":"GET /v1.0/myorg/groups"}'
	pbi GET /groups
	[ "$CODE" = 429 ]
	[ "$(header Retry-After)" = 2 ]
	pbi GET /capacities
	[ "$CODE" = 200 ]
	pbi POST '/groups?workspaceV2=true' '{"name":"x"}'
	[ "$CODE" = 200 ]
	sim_faults '{"match":"/v1.0/applications"}'
	graph GET /applications
	[ "$CODE" = 429 ]
	echo "$BODY" | jq -e '.error.code == "Request_ThrottledTemporarily" and (.error.innerError["request-id"] | length == 36)'
	call GET /_sim/state
	[ "$CODE" = 200 ]
}

@test "p5xx answers 500 or 503" {
	sim_faults '{"p5xx":1,"match":"/v1.0/myorg"}'
	pbi GET /groups
	[[ "$CODE" = 500 || "$CODE" = 503 ]]
	[ -n "$(header RequestId)" ]
}

@test "pdrop closes the connection without an answer" {
	sim_faults '{"pdrop":1,"match":"/v1.0/myorg"}'
	run curl -s -H "Authorization: Bearer $PBI_TOKEN" "$SIM/v1.0/myorg/groups"
	[ "$status" -eq 52 ]
	curl -sf "$SIM/_sim/requests" | jq -e '.[-1].dropped == true and .[-1].status == 0'
}

@test "p500AfterCommit performs the write then answers 500" {
	local mark
	mark=$(sim_mark)
	sim_faults '{"p500AfterCommit":1,"match":"POST /v1.0/myorg/groups"}'
	pbi POST '/groups?workspaceV2=true' '{"name":"committed"}'
	[ "$CODE" = 500 ]
	sim_faults '{"p500AfterCommit":0}'
	pbi GET "/groups?\$filter=name%20eq%20'committed'"
	echo "$BODY" | jq -e '.value | length == 1'
	curl -sf "$SIM/_sim/requests?since=$mark" |
	    jq -e '[.[] | select(.method == "POST" and .path == "/v1.0/myorg/groups")] | length == 1'
	curl -sf "$SIM/_sim/requests?since=$mark" |
	    jq -e '[.[] | select(.method == "POST")][0].body == {"name":"committed"}'
}

@test "latencyAfterCommitMs: the write is done before its answer comes" {
	local t0 t1 p
	sim_faults '{"latencyAfterCommitMs":1500,"match":"POST /v1.0/myorg/groups"}'
	t0=$(date +%s%N)
	curl -s -o /dev/null -X POST -H "Authorization: Bearer $PBI_TOKEN" \
	    -H 'Content-Type: application/json' -d '{"name":"held"}' \
	    "$SIM/v1.0/myorg/groups?workspaceV2=true" &
	p=$!
	# Seen by another client while the first still waits.
	for i in $(seq 50); do
		curl -sf "$SIM/_sim/state" | jq -e '[.workspaces[] | select(.name == "held")] | length == 1' >/dev/null && break
		sleep 0.05
	done
	curl -sf "$SIM/_sim/state" | jq -e '[.workspaces[] | select(.name == "held")] | length == 1'
	kill -0 "$p"
	wait "$p"
	t1=$(date +%s%N)
	[ $(( (t1 - t0) / 1000000 )) -ge 1500 ]
	# A bad value is refused; GETs are not held.
	run curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"latencyAfterCommitMs":-1}' "$SIM/_sim/faults"
	[ "$output" = 400 ]
	run curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"reset":true,"latencyAfterCommitMs":700000}' "$SIM/_sim/faults"
	[ "$output" = 400 ]
	# A refused change changes nothing.
	[ "$(curl -sf "$SIM/_sim/faults" | jq -r '[.latencyAfterCommitMs, .match] | join(" ")')" = "1500 POST /v1.0/myorg/groups" ]
	pbi GET /groups
	[ "$CODE" = 200 ]
}

@test "latency delays without blocking other connections" {
	local t0 t1 i p pids=
	sim_faults '{"latencyMs":400,"match":"/v1.0/myorg"}'
	t0=$(date +%s%N)
	for i in 1 2 3 4 5 6; do
		curl -s -o /dev/null -H "Authorization: Bearer $PBI_TOKEN" "$SIM/v1.0/myorg/groups" &
		pids="$pids $!"
	done
	# Each by its id: a bare wait would also wait for bats's own
	# BATS_TEST_TIMEOUT countdown, a job of the test too.
	for p in $pids; do
		wait "$p"
	done
	t1=$(date +%s%N)
	[ $(( (t1 - t0) / 1000000 )) -ge 400 ]
	[ $(( (t1 - t0) / 1000000 )) -lt 1500 ]
	t0=$(date +%s%N)
	call GET /_sim/health
	t1=$(date +%s%N)
	[ $(( (t1 - t0) / 1000000 )) -lt 300 ]
}

@test "command-line faults: --p429/--retry-after, and they show in /_sim/faults" {
	local d="$BATS_TEST_TMPDIR/f"
	sim_start "$d" --p429 1 --retry-after 7 --replication-delay 5 \
	    --import-seconds 3 --assign-seconds 4 --assign-stuck \
	    --admin-rate-limit 9 --latency 10:5
	call GET "/$TENANT/v2.0/.well-known/openid-configuration"
	local c=$CODE ra
	ra=$(header Retry-After)
	call GET /_sim/faults
	sim_stop "$d"
	[ "$c" = 429 ]
	[ "$ra" = 7 ]
	echo "$BODY" | jq -e '.replicationDelay == 5 and .importSeconds == 3 and .assignSeconds == 4 and .assignStuck == true and .adminRateLimit == 9 and .latencyMs == 10 and .jitterMs == 5'
}

@test "--rate-limit: per-principal token bucket" {
	local d="$BATS_TEST_TMPDIR/rl" tok codes="" i
	sim_start "$d" --rate-limit 3
	tok=$(tok_app "$APP1" s3cret-one "$PBI_SCOPE")
	for i in 1 2 3 4 5 6; do
		codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$SIM/v1.0/myorg/groups")"
	done
	sim_stop "$d"
	[[ "$codes" == *429* ]]
	[[ "$codes" == " 200"* ]]
}

@test "--seed-random makes fault decisions reproducible" {
	local d="$BATS_TEST_TMPDIR/sr" a="" b="" i
	sim_start "$d" --seed-random 42 --p429 0.5
	for i in $(seq 12); do a="$a$(curl -s -o /dev/null -w '%{http_code}' "$SIM/$TENANT/discovery/v2.0/keys")"; done
	sim_stop "$d"
	sim_start "$d" --seed-random 42 --p429 0.5
	for i in $(seq 12); do b="$b$(curl -s -o /dev/null -w '%{http_code}' "$SIM/$TENANT/discovery/v2.0/keys")"; done
	sim_stop "$d"
	[ "$a" = "$b" ]
	[[ "$a" == *429* && "$a" == *200* ]]
}

@test "p307: preferClientRouting requests are sent to the home cluster" {
	local loc
	sim_faults '{"p307":1}'
	pbi POST '/groups?workspaceV2=true&preferClientRouting=true' '{"name":"routed"}'
	[ "$CODE" = 307 ]
	loc=$(header Location)
	[[ "$loc" == "$SIM/_cluster/v1.0/myorg/groups?workspaceV2=true&preferClientRouting=true" ]]
	call POST "${loc#$SIM}" -H "Authorization: Bearer $PBI_TOKEN" \
	    -H 'Content-Type: application/json' --data '{"name":"routed"}'
	[ "$CODE" = 200 ]
	pbi GET /groups
	[ "$CODE" = 200 ]
	pbi POST '/groups?workspaceV2=true' '{"name":"direct"}'
	[ "$CODE" = 200 ]
}
