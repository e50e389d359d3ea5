#!/usr/bin/env bats
#
# meta.bats: the documentation agrees with the binary.  Every command
# answers -h (git t0012), has a manual page that mandoc finds clean, and a
# SYNOPSIS that names the options its usage text names (curl test1139).
#
# PBICTL names the binary (default build/pbictl); a relative path is taken
# from the repository's root.

bats_require_minimum_version 1.5.0

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
PBICTL=${PBICTL:-build/pbictl}
case $PBICTL in
/*)	;;
*)	PBICTL=$ROOT/$PBICTL ;;
esac
MAN=$ROOT/man

load common

setup_file() {
	if [ ! -x "$PBICTL" ]; then
		echo "no pbictl at '$PBICTL': build it first" >&2
		return 1
	fi
	command -v mandoc >/dev/null || {
		echo "mandoc is not installed" >&2
		return 1
	}
}

setup() {
	# A ledger path that does not exist: -h must not need one.
	export PBICTL_LEDGER=$BATS_TEST_TMPDIR/none/ledger.db
	unset XDG_DATA_HOME
}

# The commands 'pbictl -h' lists, one a line.
commands() {
	"$PBICTL" -h | awk '/^commands:/ { on = 1; next }
	    on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'
}

# The second-level verbs in the usage text of command $1, one a line.
verbs() {
	"$PBICTL" "$1" -h | awk -v c="$1" '{
	    for (i = 1; i < NF; i++)
		if ($i == "pbictl" && $(i + 1) == c && $(i + 2) ~ /^[a-z]/)
			print $(i + 2) }' | sort -u
}

# Page $1 rendered as plain text, wide enough not to wrap.
render() {
	mandoc -Tascii -O width=1000 "$1" | col -b
}

# The SYNOPSIS section of page $1 as plain text.
synopsis() {
	render "$1" | awk '/^SYNOPSIS/ { on = 1; next }
	    /^[A-Z]/ { on = 0 } on'
}

# The options in text on stdin: long ones and bracketed short ones.
options() {
	grep -oE -- '--[a-z][a-z0-9-]*|\[-[A-Za-z]+' | sed 's/^\[//' |
	    sort -u
}

# Usage text ($1) and man page SYNOPSIS ($2) name the same options.
same_options() {
	local u m
	u=$(printf '%s\n' "$1" | options)
	m=$(printf '%s\n' "$2" | options)
	if [ -z "$u" ] && [ -z "$m" ]; then
		return 0
	fi
	if [ "$u" != "$m" ]; then
		echo "usage text and SYNOPSIS differ (< usage, > man):"
		diff <(printf '%s\n' "$u") <(printf '%s\n' "$m") || true
		return 1
	fi
}

@test "pbictl -h prints the usage and the commands on stdout, exit 0" {
	run --separate-stderr "$PBICTL" -h
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == usage:\ pbictl* ]]
	[ -z "$stderr" ]
	[ -n "$(commands)" ]
}

@test "every command answers -h with a usage line on stdout, exit 0" {
	local c
	for c in $(commands); do
		run --separate-stderr "$PBICTL" "$c" -h
		if [ "$status" -ne 0 ] ||
		    ! grep -q "^usage: pbictl $c" <<<"$output"; then
			echo "pbictl $c -h: exit $status"
			echo "stdout: $output"
			echo "stderr: $stderr"
			return 1
		fi
		[ -z "$stderr" ]
	done
}

@test "every command answers --help as it answers -h" {
	local c
	for c in $(commands); do
		run --separate-stderr "$PBICTL" "$c" --help
		[ "$status" -eq 0 ] || { echo "pbictl $c --help: exit $status"; return 1; }
		[[ $output == usage:* ]]
	done
}

@test "every second-level verb answers -h with its usage line, exit 0" {
	local c v n=0
	# No ledger: -h must not need one.
	export PBICTL_LEDGER=$BATS_TEST_TMPDIR/none/l.db
	for c in $(commands); do
		for v in $(verbs "$c"); do
			n=$((n + 1))
			run --separate-stderr "$PBICTL" "$c" "$v" -h
			if [ "$status" -ne 0 ] ||
			    ! grep -q "^usage: pbictl $c $v" <<<"$output"; then
				echo "pbictl $c $v -h: exit $status"
				echo "stdout: $output"
				echo "stderr: $stderr"
				return 1
			fi
		done
	done
	# pbictl ledger has verbs; if none were found the parsing broke.
	[ "$n" -ge 4 ]
}

@test "pbictl with no arguments prints the usage on stderr, exit 2" {
	run --separate-stderr "$PBICTL"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ $stderr == *usage:\ pbictl* ]]
}

@test "an unknown command is named, with the usage on stderr, exit 2" {
	run --separate-stderr "$PBICTL" no-such-command
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ $stderr == *"pbictl: unknown command 'no-such-command'"* ]]
	[[ $stderr == *usage:\ pbictl* ]]
}

@test "man/pbictl.1 exists" {
	[ -f "$MAN/pbictl.1" ]
}

@test "every command has man/pbictl-COMMAND.1" {
	local c missing=
	for c in $(commands); do
		[ -f "$MAN/pbictl-$c.1" ] || missing="$missing pbictl-$c.1"
	done
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}

@test "every cmd/*.c but pbictl.c and common.c has a man page" {
	local f c missing=
	for f in "$ROOT"/cmd/*.c; do
		c=$(basename "$f" .c)
		case $c in pbictl|common) continue ;; esac
		[ -f "$MAN/pbictl-$c.1" ] || missing="$missing pbictl-$c.1"
	done
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}

@test "mandoc -Tlint -W warning is clean on every man page" {
	local p n=0
	for p in "$MAN"/*.[1-9]; do
		n=$((n + 1))
		run mandoc -Tlint -W warning "$p"
		if [ "$status" -ne 0 ] || [ -n "$output" ]; then
			echo "$output"
			return 1
		fi
	done
	[ "$n" -gt 0 ]
}

@test "pbictl.1 SYNOPSIS names the options of 'pbictl -h'" {
	local u
	# The usage text is the part before the list of commands.
	u=$("$PBICTL" -h | awk '/^$/ { exit } { print }')
	[ -n "$u" ]
	same_options "$u" "$(synopsis "$MAN/pbictl.1")"
}

@test "each command's SYNOPSIS names the options of its usage text" {
	local c u m
	for c in $(commands); do
		u=$("$PBICTL" "$c" -h)
		m=$(synopsis "$MAN/pbictl-$c.1")
		[ -n "$m" ] || { echo "pbictl-$c.1: no SYNOPSIS"; return 1; }
		same_options "$u" "$m" || { echo "in pbictl-$c.1"; return 1; }
	done
}

@test "each command's SYNOPSIS names the verbs of its usage text" {
	local c u m
	for c in $(commands); do
		u=$(verbs "$c")
		m=$(synopsis "$MAN/pbictl-$c.1" | awk -v c="$c" '{
		    for (i = 1; i < NF; i++)
			if ($i == "pbictl" && $(i + 1) == c &&
			    $(i + 2) ~ /^[a-z]/)
				print $(i + 2) }' | sort -u)
		if [ "$u" != "$m" ]; then
			echo "pbictl-$c.1: verbs '$m', usage: '$u'"
			return 1
		fi
	done
}

@test "every SYNOPSIS line starts with the command the page is about" {
	local c
	for c in $(commands); do
		synopsis "$MAN/pbictl-$c.1" | grep -q "^ *pbictl $c" ||
		    { echo "pbictl-$c.1"; return 1; }
	done
}
