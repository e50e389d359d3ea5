#!/bin/sh
# cleanbuild.sh JOBS [VAR=value...]: build a copy of the source tree that
# holds no build output and no generated file, with make -jJOBS and the
# variables given, as a fresh clone is built.  It catches rules that race
# under -j and a build that leans on what an earlier build left behind.
# 'make check' runs it.  Quiet when it passes; shows the log when not.
#
# The copy holds the files git knows (tracked or new, not ignored) as they
# are in the work tree, or, outside a git work tree, every file but the
# build directories and tests/msal/node_modules.  MAKE names the make to
# run (default make).
set -eu
jobs=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/pbictl-cleanbuild.XXXXXX")
trap 'rm -rf "$dir"' EXIT
src=$dir/src
mkdir "$src"
trap 'exit 1' HUP INT TERM

cd "$top"
if command -v git >/dev/null 2>&1 &&
    [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
	git ls-files --cached --others --exclude-standard |
	while IFS= read -r f; do
		# a tracked file deleted in the work tree is not part of it
		if [ -e "$f" ]; then printf '%s\n' "$f"; fi
	done >"$dir/files"
	tar -cf - -T "$dir/files" | tar -xf - -C "$src"
else
	tar -cf - --exclude='./build*' --exclude=./tests/msal/node_modules . |
	    tar -xf - -C "$src"
fi

# The copy is a new tree: nothing of this make's invocation carries over
# but the variables given (MAKEFLAGS would also bring its job server).
unset MAKEFLAGS MFLAGS MAKELEVEL
start=$(date +%s)
if ! ${MAKE:-make} -C "$src" -j"$jobs" "$@" all tests >"$dir/log" 2>&1; then
	cat "$dir/log" >&2
	echo "cleanbuild: a clean tree does not build with make -j$jobs" >&2
	exit 1
fi
echo "cleanbuild: a clean tree builds with make -j$jobs" \
    "($(($(date +%s) - start)) s)"
