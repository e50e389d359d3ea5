#!/bin/sh
# fresh-root.sh DIR: run 'make check' on a bare Debian 12, as on a new
# machine.  As root: debootstrap a minbase bookworm into DIR (which must
# be missing or empty), point its apt at the same mirror, copy the
# committed tree (git archive of REV) into DIR/src, mount /proc, /sys and
# /dev, and in a chroot install make alone and run 'make check' as root,
# so that 'make deps' has to install everything else.  The mounts are
# undone and any process left in the chroot is ended on the way out; DIR
# stays (remove it with rm -rf DIR).  Not part of 'make check'.
#
# Needs root, debootstrap, git, and the Debian mirror; the MSAL test also
# fetches its packages from the npm registry.  The tests need loopback
# only.  Environment:
#   MIRROR    Debian mirror (default http://deb.debian.org/debian)
#   SECURITY  security mirror (default http://deb.debian.org/debian-security)
#   REV       the commit to test (default HEAD)
#   TARGETS   what to make in the chroot (default check)
#   SITE_CA   a directory of this site's own CA certificates (*.crt), such
#             as a network that inspects TLS needs, copied into the root's
#             /usr/local/share/ca-certificates where the ca-certificates
#             package that make deps installs adds them to the trust store
#             (default /usr/local/share/ca-certificates; empty: none)
#   CI, http_proxy, https_proxy, no_proxy: passed into the chroot if set
# Exit status: that of make in the chroot, or 1 if the root cannot be set
# up, 2 for a usage error.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: fresh-root.sh DIR" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "fresh-root: must run as root (debootstrap, mount, chroot)" >&2
	exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
	echo "fresh-root: needs debootstrap: apt-get install debootstrap" >&2
	exit 1
fi
top=$(cd "$(dirname "$0")/.." && pwd)
mirror=${MIRROR:-http://deb.debian.org/debian}
security=${SECURITY:-http://deb.debian.org/debian-security}
rev=${REV:-HEAD}
targets=${TARGETS:-check}
mkdir -p "$1"
dir=$(cd "$1" && pwd)
if [ -n "$(ls -A "$dir")" ]; then
	echo "fresh-root: $dir is not empty" >&2
	exit 1
fi
# Resolve REV now: a commit that does not exist fails before debootstrap.
commit=$(git -C "$top" rev-parse --verify "$rev^{commit}")

mounted=
# cleanup: end what still runs inside the root, then unmount.
cleanup() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$dir" ] || continue
		kill -KILL "${p#/proc/}" 2>/dev/null || true
	done
	for m in $mounted; do
		umount -R "$dir/$m" 2>/dev/null || umount -R -l "$dir/$m" ||
		    echo "fresh-root: cannot unmount $dir/$m" >&2
	done
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

t0=$(date +%s)
debootstrap --variant=minbase bookworm "$dir" "$mirror"
cat >"$dir/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
site_ca=${SITE_CA-/usr/local/share/ca-certificates}
if [ -n "$site_ca" ] && [ -d "$site_ca" ]; then
	mkdir -p "$dir/usr/local/share/ca-certificates"
	find "$site_ca" -maxdepth 1 -name '*.crt' \
	    -exec cp {} "$dir/usr/local/share/ca-certificates/" \;
fi
git -C "$top" archive --prefix=src/ "$commit" | tar -xf - -C "$dir"
t1=$(date +%s)

mount -t proc proc "$dir/proc"
mounted="proc"
mount -t sysfs sysfs "$dir/sys"
mounted="sys $mounted"
mount --rbind /dev "$dir/dev"
mount --make-rslave "$dir/dev"
mounted="dev $mounted"

# A clean environment, with only what this script promises to pass on.
set -- HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
for v in CI http_proxy https_proxy no_proxy; do
	eval "val=\${$v-}"
	[ -z "$val" ] || set -- "$@" "$v=$val"
done
echo "fresh-root: bookworm in $dir ($((t1 - t0)) s); make $targets" \
    "on $commit"
rc=0
chroot "$dir" /usr/bin/env -i "$@" /bin/sh -c '
	set -e
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends make >/dev/null
	cd /src
	exec make '"$targets" || rc=$?
t2=$(date +%s)
echo "fresh-root: make $targets exited $rc after $((t2 - t1)) s" \
    "(debootstrap $((t1 - t0)) s)"
exit "$rc"
