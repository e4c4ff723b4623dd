#!/usr/bin/env bash
# Runs a command in a clean clone of this repository's HEAD inside a fresh
# minimal Debian 12 root (debootstrap --variant=minbase bookworm, from the
# Debian mirror this machine's apt uses), with ../shared beside the clone,
# as root, as a user following the README would.
#
# usage: .ci/debian-root.sh COMMAND [ARG...]      (as root)
#
# The pristine root is made once and kept in $KVAM_CI_CACHE (default
# /var/cache/kvam-ci); every run copies it afresh, so nothing one run
# installs is there for the next. Downloaded .deb files are kept between
# runs (only the download is saved: every package is installed anew).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${KVAM_CI_CACHE:-/var/cache/kvam-ci}
pristine=$cache/bookworm-minbase
debs=$cache/apt-archives

[ "$(id -u)" -eq 0 ] || { echo "debian-root.sh: run as root" >&2; exit 1; }

# The first Debian mirror apt is configured with (deb822 or one-line form).
debian_mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources |
    awk '{print $2}' | grep -m1 '/debian/\?$' || true)
  [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list | awk '{print $2}' |
    grep -m1 '/debian/\?$' || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

make_pristine() {
  [ -f "$pristine/.kvam-ci-complete" ] && return 0
  command -v debootstrap >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  rm -rf "$pristine"
  mkdir -p "$cache"
  echo "ci: debootstrap --variant=minbase bookworm from $(debian_mirror)"
  debootstrap --variant=minbase bookworm "$pristine" "$(debian_mirror)" \
    > "$cache/debootstrap.log" 2>&1 || {
    tail -20 "$cache/debootstrap.log" >&2
    exit 1
  }
  touch "$pristine/.kvam-ci-complete"
}

root=
cleanup() {
  [ -n "$root" ] || return 0
  for m in var/cache/apt/archives dev/shm dev/pts dev sys proc; do
    mountpoint -q "$root/$m" && umount -l "$root/$m"
  done
  rm -rf "$root"
}
trap cleanup EXIT

make_pristine
root=$(mktemp -d /var/tmp/kvam-ci-root.XXXXXX)
cp -a "$pristine/." "$root/"
rm -f "$root/.kvam-ci-complete"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs tmpfs "$root/dev/shm"
mkdir -p "$debs/partial"
mount --bind "$debs" "$root/var/cache/apt/archives"

# a clean clone of HEAD, and the shared fixtures beside it, read-only as
# CI lays them out
mkdir -p "$root/work"
git clone -q --no-hardlinks "$top" "$root/work/main"
git -C "$root/work/main" checkout -q "$(git -C "$top" rev-parse HEAD)"
if [ -d "$top/../shared" ]; then
  cp -a "$top/../shared" "$root/work/shared"
else
  echo "ci: no ../shared beside the repository: fixture tests will skip"
fi

echo "ci: running '$*' in a fresh Debian 12 root ($root)"
chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  CI="${CI:-true}" DEBIAN_FRONTEND=noninteractive \
  /bin/bash -c 'cd /work/main && exec "$@"' bash "$@"
