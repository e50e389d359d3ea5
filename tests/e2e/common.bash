# common.bash: what every end-to-end test shares: a watchdog on its run
# time, the checks that a secret is nowhere, and the check that a pbisim
# stopped cleanly.  Loaded by cli_helper.bash, sim_helper.bash and the
# files that load neither.

# A test may run BATS_TEST_TIMEOUT seconds (default 120), after which bats
# fails it.  bats then kills the test's own children only: a grandchild
# that hangs (a pbictl under "run", a pbictl function, a pipeline) keeps
# the test's output open, and bats waits on it for as long as it hangs.
# So each test also gets a watchdog that kills every process the test
# started, found by a mark in their environment: once the time is up, and
# whatever is left once the test has ended.
#
# The countdown of BATS_TEST_TIMEOUT is a background job of the test: a
# test must wait for its own jobs by their ids, as a bare "wait" waits for
# the countdown too, and so for the whole timeout.
: "${BATS_TEST_TIMEOUT:=120}"
export BATS_TEST_TIMEOUT

# test_watchdog: start the watchdog of this test; a no-op outside a test
# (setup_file, teardown_file).
test_watchdog() {
	local me=$BASHPID mark i
	[ -n "${BATS_TEST_NAME:-}" ] || return 0
	mark="PBI_TEST_MARK=$me.$RANDOM"
	# Forked twice: not a job of the test, which may "wait" for its own.
	( (
		i=0
		while kill -0 "$me" 2>/dev/null &&
		    [ "$i" -lt $((BATS_TEST_TIMEOUT + 2)) ]; do
			sleep 1
			i=$((i + 1))
		done
		kill_marked "$mark" "$me" "$BASHPID"
	) </dev/null >/dev/null 2>&1 3>&- 4>&- & )
	export "${mark%%=*}=${mark#*=}"
}

# kill_marked MARK PID...: SIGKILL every process whose environment holds
# MARK (NAME=value), but the PIDs given.
kill_marked() {
	local mark=$1 e p
	shift
	for e in $(grep -lzxF -- "$mark" /proc/[0-9]*/environ 2>/dev/null); do
		p=${e#/proc/}
		p=${p%/environ}
		case " $* " in *" $p "*) continue ;; esac
		kill -KILL "$p" 2>/dev/null
	done
	return 0
}

test_watchdog

# refute_in STRING FILE...: fail, saying where, if the fixed string STRING
# is in any FILE (read as binary).  A FILE that is an SQLite database is
# searched with its -wal and -shm files beside it, when they are there.
# Every FILE must exist: a file that is not there proves nothing.
#
# A negated command in the middle of a bats test ("! grep ...") is exempt
# from errexit and can never fail the test: use this, or "run !".
refute_in() {
	local s=$1 f g
	shift
	[ -n "$s" ] || { echo "refute_in: empty string" >&2; return 1; }
	for f in "$@"; do
		if [ ! -f "$f" ]; then
			echo "refute_in: no file '$f'" >&2
			return 1
		fi
		for g in "$f" "$f-wal" "$f-shm"; do
			[ -f "$g" ] || continue
			if grep -qaF -- "$s" "$g"; then
				echo "'$s' found in $g" >&2
				return 1
			fi
		done
	done
}

# sim_terminate PID STDERR-FILE: stop the pbisim PID, a child of this
# shell: SIGTERM, then SIGKILL after 10 s.  Fails, saying why, unless it
# was running, exited 0 (its EXIT STATUS after a signal) and its stderr,
# where an AddressSanitizer, LeakSanitizer or UBSan report goes, has none.
sim_terminate() {
	local pid=$1 err=$2 i st rc=0
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "pbisim $pid was not running" >&2
		rc=1
	fi
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 200); do
		case "$(ps -o stat= -p "$pid" 2>/dev/null)" in
		'' | Z*) break ;;
		esac
		sleep 0.05
	done
	case "$(ps -o stat= -p "$pid" 2>/dev/null)" in
	'' | Z*) ;;
	*)
		echo "pbisim $pid did not stop within 10 s of SIGTERM" >&2
		kill -KILL "$pid" 2>/dev/null
		rc=1
		;;
	esac
	wait "$pid"
	st=$?
	if [ "$st" -ne 0 ]; then
		echo "pbisim $pid exited $st, not 0" >&2
		rc=1
	fi
	if grep -q 'Sanitizer\|runtime error:' "$err" 2>/dev/null; then
		echo "pbisim $pid reported on its stderr ($err):" >&2
		cat "$err" >&2
		rc=1
	fi
	return $rc
}
