#!/bin/sh
# run.sh BUILD...: run every test against each build directory (unit tests
# in BUILD/tests/, each bats suite of tests/e2e against BUILD/pbictl and
# BUILD/pbisim), lint the man pages once, and print for each suite, then
# for all, "N passed, N failed, N skipped".  Exits non-zero on any
# failure.  The output of a suite that failed is shown, and every skip
# with its reason.
#
# Environment:
#   CI                 when set and not empty, a skip in a suite that must
#                      run (MUST_RUN) is a failure
#   BATS_TEST_TIMEOUT  seconds one bats test may take (default 120)
#   SUITE_TIMEOUT      seconds one suite may take (default 1800)
#   RUN_JOBS           suites run at once (default 4)
#   FUZZ_B             a fuzz build (make fuzz-build): each libFuzzer
#                      target runs over its kept corpus, then for
#                      FUZZ_CHECK_SECONDS more (default 3)
#
# A PostgreSQL server (tests/tools/pg.sh's, from Debian's packages) runs
# for the whole run: the unit tests reach it through PBICTL_TEST_PG_DIR,
# and the suites of PG_SUITES run a second time with the last BUILD on a
# PostgreSQL ledger (PBICTL_TEST_LEDGER=pg), reported as BUILD/e2e-pg/;
# their tests that say sqlite_only (SQLite's file itself) are left out
# there.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0
fail=0
skip=0
MUST_RUN="pbisim_swagger.bats pbisim_msal.bats"
PG_SUITES="onboard.bats token.bats audit.bats migrate.bats"
: "${BATS_TEST_TIMEOUT:=120}"
: "${SUITE_TIMEOUT:=1800}"
: "${RUN_JOBS:=4}"
export BATS_TEST_TIMEOUT SUITE_TIMEOUT

# count NAME FILE RC [MUST]: add the TAP results of FILE.  "ok N # skip"
# is a skip, not a pass; a skip in a suite that must run (MUST set) is a
# failure under CI.  A suite that exited non-zero without a failing
# result, or gave fewer results than its plan, failed once more.
count() {
	p=$(grep -c '^ok ' "$2")
	s=$(grep -ci '^ok .*# skip' "$2")
	f=$(grep -c '^not ok ' "$2")
	p=$((p - s))
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$2" | head -1)
	if [ -n "$plan" ] && [ $((p + s + f)) -lt "$plan" ]; then
		echo "not ok - $1 gave $((p + s + f)) of $plan results" >>"$2"
		f=$((f + 1))
	elif [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $1 exited $3 without a failing test" >>"$2"
		f=$((f + 1))
	fi
	if [ -n "${4:-}" ] && [ -n "${CI:-}" ] && [ "$s" -ne 0 ]; then
		grep -i '^ok .*# skip' "$2" | sed 's/^ok/not ok/;
		    s/ # [Ss][Kk][Ii][Pp]/: skipped, a failure when CI is set:/' \
		    >>"$2"
		f=$((f + s))
		s=0
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
	if [ "$f" -ne 0 ]; then
		echo "--- $1: $f failed"
		cat "$2"
	elif [ "$s" -ne 0 ]; then
		grep -i '^ok .*# skip' "$2" | sed "s|^|$1: |"
	fi
	echo "$1: $p passed, $f failed, $s skipped"
}

# must SUITE: SUITE is one that must run.
must() {
	case " $MUST_RUN " in
	*" $1 "*) echo must ;;
	esac
}

# The suites run RUN_JOBS at a time (they mostly wait on pbisim's
# latencies and on timeouts, not on the processor); results are counted
# in order once all are done.
# The PostgreSQL server, stopped on the way out.
pgdir=$(mktemp -d /tmp/pbipg.XXXXXX)
trap 'bash -c ". tests/e2e/pg_helper.bash; PG_DIR=$pgdir; pg_stop" \
    >/dev/null 2>&1; rm -rf "$out" "$pgdir"' EXIT
if ! bash -c '. tests/e2e/pg_helper.bash; pg_start "$1"' sh "$pgdir"; then
	echo "not ok - cannot start a PostgreSQL server (make deps)" >&2
	exit 1
fi
PBICTL_TEST_PG_DIR=$pgdir
PBICTL_TEST_PG_USER=$(if [ "$(id -u)" -eq 0 ]; then echo pbitest; else
    id -un; fi)
export PBICTL_TEST_PG_DIR PBICTL_TEST_PG_USER

# pg_filter SUITE: a bats --filter for SUITE's tests but those that say
# sqlite_only on their first line.
pg_filter() {
	awk '/^@test "/ { name = $0; sub(/^@test "/, "", name);
	    sub(/" \{$/, "", name); getline nx;
	    if (nx !~ /^[ \t]*sqlite_only/) print name }' "$1" |
	    sed 's/[][\.*^$(){}?+|/]/\\&/g' | paste -sd '|' |
	    sed 's/^/^(/; s/$/)$/'
}

n=0
last=
for b in "$@"; do
	last=$b
done
for b in "$@"; do
	for t in "$b"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$((n + 1))
		printf '%s unit %s %s\n' "$n" "$b" "$t"
	done
	for t in tests/e2e/*.bats; do
		n=$((n + 1))
		printf '%s e2e %s %s\n' "$n" "$b" "$t"
	done
	[ "$b" = "$last" ] || continue
	for t in $PG_SUITES; do
		n=$((n + 1))
		pg_filter "tests/e2e/$t" >"$out/$n.filter"
		printf '%s e2e-pg %s tests/e2e/%s\n' "$n" "$b" "$t"
	done
done >"$out/jobs"
OUT=$out TOP=$top xargs -P "$RUN_JOBS" -L 1 sh -c '
	case $2 in
	unit)	CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 "$SUITE_TIMEOUT" \
		    "$4" >"$OUT/$1.tap" 2>&1 ;;
	e2e)	PBICTL="$TOP/$3/pbictl" PBISIM="$TOP/$3/pbisim" \
		    timeout -k 10 "$SUITE_TIMEOUT" bats --tap "$4" \
		    >"$OUT/$1.tap" 2>&1 ;;
	e2e-pg)	PBICTL_TEST_LEDGER=pg PBICTL="$TOP/$3/pbictl" \
		    PBISIM="$TOP/$3/pbisim" timeout -k 10 "$SUITE_TIMEOUT" \
		    bats --tap --filter "$(cat "$OUT/$1.filter")" "$4" \
		    >"$OUT/$1.tap" 2>&1 ;;
	esac
	echo $? >"$OUT/$1.rc"' sh <"$out/jobs"
while read -r id kind b t; do
	rc=$(cat "$out/$id.rc" 2>/dev/null || echo 1)
	if [ "$kind" = unit ]; then
		count "$b/${t##*/}" "$out/$id.tap" "$rc"
	elif [ "$kind" = e2e-pg ]; then
		count "$b/e2e-pg/${t##*/}" "$out/$id.tap" "$rc"
	else
		count "$b/e2e/${t##*/}" "$out/$id.tap" "$rc" \
		    "$(must "${t##*/}")"
	fi
done <"$out/jobs"

: >"$out/man"
n=0
for m in man/*.[0-9]; do
	[ -f "$m" ] || continue
	n=$((n + 1))
	if mandoc -Tlint -W warning "$m" >"$out/lint" 2>&1; then
		echo "ok $n - mandoc -Tlint $m" >>"$out/man"
	else
		echo "not ok $n - mandoc -Tlint $m" >>"$out/man"
		sed 's/^/# /' "$out/lint" >>"$out/man"
	fi
done
count "man" "$out/man" 0

if [ -n "${FUZZ_B:-}" ] && ls "$FUZZ_B"/fuzz/fuzz_* >/dev/null 2>&1; then
	sh tests/fuzz/run.sh "$FUZZ_B" "${FUZZ_CHECK_SECONDS:-3}" \
	    >"$out/fuzz" 2>&1
	count "fuzz" "$out/fuzz" $?
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
