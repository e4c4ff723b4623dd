#!/bin/sh
# Links the stock GStreamer plugins the tests use into one folder, so a test
# run loads those and the freshly built kvam plugin, not every plugin on the
# machine (faster, and no third-party leaks under LeakSanitizer).
# usage: link-plugins.sh SYSTEM_PLUGIN_DIR OUT_DIR STAMP plugin...
set -e
sysdir=$1; out=$2; stamp=$3; shift 3
mkdir -p "$out"
for p in "$@"; do
  if [ -e "$sysdir/libgst$p.so" ]; then
    ln -sf "$sysdir/libgst$p.so" "$out/libgst$p.so"
  fi
done
touch "$stamp"
