#!/bin/sh
# run.sh BUILD...: run every test against each build directory (unit tests
# in BUILD/tests/, the bats suites against BUILD/pbictl and BUILD/pbisim),
# lint the man pages once, and end with one line: "N passed, N failed".
# Exits non-zero on any failure.  Output of a failing suite is shown.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0
fail=0

# count NAME FILE RC: add FILE's TAP results; a crash with no result
# counts as one failure.
count() {
	p=$(grep -c '^ok ' "$2")
	f=$(grep -c '^not ok ' "$2")
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $1 exited $3 without a failing test"
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		echo "--- $1: $f failed"
		cat "$2"
	fi
	echo "$1: $p passed, $f failed"
}

for b in "$@"; do
	for t in "$b"/tests/test_*; do
		[ -x "$t" ] || continue
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out/unit" 2>&1
		count "$b/${t##*/}" "$out/unit" $?
	done
	PBICTL="$top/$b/pbictl" PBISIM="$top/$b/pbisim" \
	    bats --tap tests/e2e >"$out/e2e" 2>&1
	count "$b/e2e" "$out/e2e" $?
done

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

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
