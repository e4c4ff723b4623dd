#!/usr/bin/env bash
# The plugin installs where the system's GStreamer finds it: with
# --prefix=/usr into pkg-config's pluginsdir, and where -Dplugindir says.
# Checked from `meson introspect --installed` of fresh set-ups (no build,
# nothing installed).
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
want=$(pkg-config --variable=pluginsdir gstreamer-1.0)/libgstkvam.so

installed() { # build dir -> the plugin's install path
  meson introspect "$1" --installed | tr ',' '\n' | grep -o '"[^"]*libgstkvam.so"' | tail -1 | tr -d '"'
}
meson setup "$tmp/usr" "$src" --prefix=/usr -Dtests=disabled > /dev/null
got=$(installed "$tmp/usr")
echo "--prefix=/usr: $got"
[ "$got" = "$want" ] || { echo "FAIL: want $want" >&2; exit 1; }

meson setup "$tmp/opt" "$src" --prefix=/usr -Dtests=disabled -Dplugindir=/opt/gst > /dev/null
got=$(installed "$tmp/opt")
echo "-Dplugindir=/opt/gst: $got"
[ "$got" = /opt/gst/libgstkvam.so ] || { echo "FAIL: want /opt/gst/libgstkvam.so" >&2; exit 1; }
