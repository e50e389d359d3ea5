# cli_helper.bash: shared setup for the pbictl end-to-end tests.
# Each test gets its own directory and ledger; the directory is kept
# when the test fails (its path is printed) and removed when it passes.

top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
: "${PBICTL:=$top/build/pbictl}"
export PBICTL
: "${PBISIM:=$top/build/pbisim}"
export PBISIM

cli_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/pbictl-e2e.XXXXXX")
	export PBICTL_LEDGER="$T/ledger.db"
	export HOME="$T/home"
	unset XDG_DATA_HOME
	TENANT=contoso.onmicrosoft.com
	CLIENT=6a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b
}

cli_teardown() {
	if [ -n "${BATS_TEST_COMPLETED:-}" ]; then
		rm -rf "$T"
	else
		echo "# kept $T" >&3
	fi
}

pbictl() {
	"$PBICTL" "$@"
}
