#!/bin/sh
# run.sh BUILD SECONDS [TARGET...]: run each libFuzzer target of
# BUILD/fuzz/ (all, or those named) over its corpus in
# tests/data/fuzz/TARGET/ (every kept input once: the regression check),
# then fuzz it for SECONDS more.  New inputs go to a temporary directory,
# never into the tree; a crash, leak or timeout is kept as
# BUILD/fuzz/crashes/TARGET-*, to be fixed and then copied into the
# corpus.  Prints one TAP line a target and exits non-zero when one
# failed.  'make fuzz' runs it for FUZZ_SECONDS (60); 'make check'
# (tests/run.sh) for a few seconds.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
b=$1
secs=$2
shift 2
case $b in
/*) ;;
*) b=$top/$b ;;
esac
if [ $# -eq 0 ]; then
	for f in "$b"/fuzz/fuzz_*; do
		[ -x "$f" ] && set -- "$@" "${f##*/}"
	done
fi
if [ $# -eq 0 ]; then
	echo "run.sh: no fuzz targets in $b/fuzz (make fuzz-build)" >&2
	exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pbictl-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$b/fuzz/crashes"
echo "1..$#"
i=0
fail=0
for t in "$@"; do
	i=$((i + 1))
	corpus=$top/tests/data/fuzz/$t
	mkdir -p "$tmp/$t" "$corpus"
	kept=$(find "$corpus" -type f | wc -l)
	# Leaks are failures too; one input may take 10 s at most.
	if TMPDIR=$tmp ASAN_OPTIONS=detect_leaks=1 \
	    UBSAN_OPTIONS=print_stacktrace=1 "$b/fuzz/$t" \
	    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$b/fuzz/crashes/$t-" \
	    "$tmp/$t" "$corpus" >"$tmp/$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$tmp/$t.log")
		new=$(find "$tmp/$t" -type f | wc -l)
		echo "ok $i - $t: $kept kept inputs, ${runs:-?} runs in ${secs} s, $new new inputs"
	else
		fail=$((fail + 1))
		echo "not ok $i - $t: failed over $kept kept inputs (artifact in $b/fuzz/crashes/)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
		    "$tmp/$t.log" | head -20 | sed 's/^/# /'
	fi
done
[ "$fail" -eq 0 ]
