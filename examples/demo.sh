#!/usr/bin/env bash
# Until kvs-emulator and playback land, the demo shows the element as
# GStreamer sees it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
GST_PLUGIN_PATH="$top/build/gst" gst-inspect-1.0 kvamsrc
