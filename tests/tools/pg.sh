#!/bin/sh
# pg.sh CMD [ARG...]: run CMD with a PostgreSQL server of its own for the
# team ledger's tests (tests/e2e/pg_helper.bash), started in a temporary
# directory and stopped after, and with PBICTL_TEST_LEDGER=pg and
# PBICTL_TEST_PG_DIR in its environment: tests/e2e/cli_helper.bash then
# gives each test a database of its own.  Exits with CMD's status.
#   sh tests/tools/pg.sh bats tests/e2e/onboard.bats
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/pbipg.XXXXXX) || exit 2
stop() {
	bash -c '. "$1/tests/e2e/pg_helper.bash"; PG_DIR=$2; pg_stop' sh \
	    "$top" "$dir"
	rm -rf "$dir"
}
trap 'stop' EXIT
trap 'exit 2' HUP INT TERM
bash -c '. "$1/tests/e2e/pg_helper.bash"; pg_start "$2"' sh "$top" "$dir" ||
    exit 2
PBICTL_TEST_PG_USER=$(if [ "$(id -u)" -eq 0 ]; then echo pbitest; else
    id -un; fi)
export PBICTL_TEST_PG_USER
PBICTL_TEST_LEDGER=pg PBICTL_TEST_PG_DIR=$dir "$@"
