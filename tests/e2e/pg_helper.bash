# pg_helper.bash: a real PostgreSQL server for the tests of the team
# ledger, from Debian's packages (postgresql): initdb into a directory of
# its own, owned by an unprivileged user (the suite may run as root, and
# postgres refuses to), listening on a Unix socket in that directory
# only, stopped by pg_stop.
#
#   pg_start DIR   start a server in DIR (created); sets PG_DIR
#   pg_stop        stop it (fast shutdown), leaving DIR
#   pg_restart     start the stopped server again
#   pg_newdb NAME  create database NAME; prints its ledger URI
#   pg_sql URI SQL run SQL on URI with psql, unaligned, tuples only
#
# PG_BIN names the server's bin directory (default: the newest
# /usr/lib/postgresql/*/bin).

: "${PG_BIN:=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V |
    tail -1)}"
PG_USER=pbitest

# pg_as CMD...: CMD as the server's owner (ourselves unless root).  The
# test watchdog's mark is dropped: the server outlives a test.
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		env -u PBI_TEST_MARK runuser -u "$PG_USER" -- "$@"
	else
		env -u PBI_TEST_MARK "$@"
	fi
}

pg_start() {
	PG_DIR=$1
	export PG_DIR
	[ -x "$PG_BIN/initdb" ] || {
		echo "no PostgreSQL server in '$PG_BIN' (make deps)" >&2
		return 1
	}
	mkdir -p "$PG_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		id "$PG_USER" >/dev/null 2>&1 ||
		    useradd --system --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin "$PG_USER" 2>/dev/null ||
		    id "$PG_USER" >/dev/null 2>&1 || return 1
		chown "$PG_USER" "$PG_DIR"
	else
		PG_USER=$(id -un)
	fi
	chmod 700 "$PG_DIR"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_USER" -A trust \
	    --no-sync -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log" >&2
		return 1
	}
	pg_restart
}

pg_restart() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	    -t 30 -o "-k $PG_DIR -c listen_addresses= -c fsync=off \
	    -c full_page_writes=off -c max_connections=60" start \
	    >/dev/null 2>&1 || {
		cat "$PG_DIR/server.log" >&2
		return 1
	}
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop \
	    >/dev/null 2>&1
}

pg_newdb() {
	pg_as "$PG_BIN/createdb" -h "$PG_DIR" -U "$PG_USER" "$1" || return 1
	echo "postgresql:///$1?host=$PG_DIR&user=$PG_USER"
}

pg_sql() {
	psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
