#!/usr/bin/env bash
# kvamsrc developer entry point: set up a Debian 12 machine, build, and then
#   demo  - play a range from a local kvs-emulator into an MP4 file
#   test  - run the whole test suite (plain build, then ASan/UBSan build),
#           then every fuzz target for FUZZ_SECONDS (default 30) each
#   setup - only install packages and build
#   package - build the Debian package gstreamer1.0-kvam, install it (root),
#           check that gst-inspect-1.0 finds kvamsrc with no GST_PLUGIN_PATH,
#           then remove it (KEEP=1 keeps it)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Debian packages the build, the tests and the demo need.
packages=(
  gcc pkg-config meson ninja-build
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libsoup-3.0-dev libjson-glib-dev libssl-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-plugins-base-apps
  mkvtoolnix awscli python3-boto3 openssl
  python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  clang libclang-rt-14-dev indent
)

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages; install them with:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() {
  local dir=$1; shift
  [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
  ninja -C "$dir" >/dev/null
}

# Runs the suite in build dir $1; prints its own pass/fail counts.
run_suite() {
  local dir=$1 label=$2 rc=0
  meson test -C "$dir" --print-errorlogs --num-processes 2 || rc=$?
  local ok fail
  ok=$(grep -c '"result": "OK"' "$dir/meson-logs/testlog.json" || true)
  fail=$(grep -c '"result": "\(FAIL\|TIMEOUT\|ERROR\)"' "$dir/meson-logs/testlog.json" || true)
  echo "$label: $ok passed, $fail failed"
  total_ok=$((total_ok + ok)); total_fail=$((total_fail + fail))
  return $rc
}

# libFuzzer targets: clang, ASan/UBSan, coverage in the code under test
build_fuzz() {
  [ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz \
    -Dfuzzing=true -Dtests=disabled -Db_sanitize=address,undefined \
    -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
  ninja -C build-fuzz >/dev/null
}

run_fuzz() {
  local rc=0 log ok fail
  log=$(mktemp)
  bash tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-30}" 2>&1 | tee "$log" || rc=1
  read -r ok fail < <(sed -n 's/^fuzz targets: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log")
  rm -f "$log"
  total_ok=$((total_ok + ${ok:-0})); total_fail=$((total_fail + ${fail:-1}))
  return $rc
}

# dpkg-buildpackage -b in a copy of the tree (it writes next to it); the
# version is meson.build's, which debian/changelog must carry.
package() {
  local version arch tmp deb
  install_packages debhelper dpkg-dev
  version=$(sed -n "s/^  version : '\(.*\)',$/\1/p" meson.build)
  grep -q "^kvamsrc ($version) " debian/changelog || {
    echo "debian/changelog does not start with version $version (meson.build)" >&2
    return 1; }
  arch=$(dpkg --print-architecture)
  tmp=$(mktemp -d)
  mkdir "$tmp/kvamsrc"
  tar --exclude='./build' --exclude='./build-*' --exclude='./.git' -cf - . |
    tar -xf - -C "$tmp/kvamsrc"
  (cd "$tmp/kvamsrc" && dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) ||
    { tail -30 "$tmp/build.log" >&2; return 1; }
  deb=$tmp/gstreamer1.0-kvam_${version}_$arch.deb
  echo "package: built $(basename "$deb") ($(du -k "$deb" | cut -f1) kB): $(dpkg-deb -f "$deb" Depends)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "package: not root, not installed; install it with: sudo apt-get install $deb"
    return 0
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
  env -u GST_PLUGIN_PATH gst-inspect-1.0 kvamsrc >/dev/null ||
    { echo "package: gst-inspect-1.0 kvamsrc fails after installing it" >&2; return 1; }
  echo "package: installed; gst-inspect-1.0 kvamsrc finds $(dpkg -L gstreamer1.0-kvam | grep 'libgstkvam.so$')"
  [ "${KEEP:-0}" = 1 ] || DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq gstreamer1.0-kvam >/dev/null
  rm -rf "$tmp"
}

cmd=${1:-demo}
install_packages "${packages[@]}"
build build -Dwerror=true

case "$cmd" in
  setup) ;;
  test)
    total_ok=0; total_fail=0; status=0
    run_suite build "plain build" || status=1
    build build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
    run_suite build-asan "ASan/UBSan build" || status=1
    build_fuzz
    run_fuzz || status=1
    echo "$total_ok passed, $total_fail failed"
    exit $status ;;
  demo)
    exec "$top/examples/demo.sh" ;;
  fuzz)
    total_ok=0; total_fail=0
    build_fuzz
    run_fuzz ;;
  package)
    package ;;
  *)
    echo "usage: $0 [demo|test|setup|fuzz|package]" >&2; exit 2 ;;
esac
