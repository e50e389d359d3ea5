# assert.bash: checks shared by the end-to-end tests, loaded by
# cli_helper.bash and sim_helper.bash.
#
# A negated command in the middle of a bats test ("! grep ...") is exempt
# from errexit and can never fail the test: use these (or "run !") instead.

# refute_in STRING FILE...: fail, saying where, if the fixed string STRING
# is in any FILE (read as binary).  A FILE that is an SQLite database is
# searched with its -wal and -shm files beside it, when they are there.
# Every FILE must exist: a file that is not there proves nothing.
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
