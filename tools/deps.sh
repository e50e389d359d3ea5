#!/bin/sh
# deps.sh PACKAGE...: install the Debian packages this machine lacks.
# A package counts as present when it is installed or when an installed
# package provides it (a nodejs that bundles npm provides npm, and would
# conflict with Debian's).  As root it runs apt-get; otherwise it prints
# the line to run and fails.
set -eu
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system; install the equivalents of: $*" >&2
	exit 1
fi
# every installed package, and what each provides, one name a line
have=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' |
    sed -n 's/^.i. //p' | sed -e 's/([^)]*)//g' -e 's/[,:]/ /g' |
    tr -s ' ' '\n' | sort -u)
missing=""
for p in "$@"; do
	if ! printf '%s\n' "$have" | grep -qxF "$p"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
