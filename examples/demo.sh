#!/bin/sh
# demo.sh BUILD: the pbictl flow on a throwaway ledger.
# Run by 'make demo'.  Everything happens in a temporary directory.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
b=${1:-build}
pbictl="$top/$b/pbictl"
dir=$(mktemp -d "${TMPDIR:-/tmp}/pbictl-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
export PBICTL_LEDGER="$dir/ledger.db"

step() { printf '\n== %s\n$ pbictl %s\n' "$1" "$2"; }

step "create the ledger for one tenant deployment" \
    "init --tenant contoso.onmicrosoft.com --client-id 6a1e2b3c-..."
"$pbictl" init --tenant contoso.onmicrosoft.com \
    --client-id 6a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b \
    --capacity 0f084df7-c13d-451b-af5f-ed0c466403b2

step "what the ledger holds" "ledger status"
"$pbictl" ledger status

step "check the ledger's own invariants" "ledger verify"
"$pbictl" ledger verify

step "the same, for scripts" "ledger status -o json"
"$pbictl" ledger status -o json

cat <<'TXT'

Coming next, on pbisim (the bundled emulator of Entra ID, Microsoft Graph
and Power BI): auth status, sp and grant ensure, onboarding customers into
their own profile and workspace on a capacity, publishing reports, embed
tokens, migration from Workspace Collections and the isolation audit.
TXT
