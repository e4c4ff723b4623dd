#!/usr/bin/env bash
# The README's demo: a local kvs-emulator holds 10 minutes of synthetic
# video; kvamsrc plays a 2-minute range of it into an MP4 file through
# gst-launch-1.0. Nothing leaves 127.0.0.1.
#
# usage: examples/demo.sh [OUT.mp4] [START] [END]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/demo-clip.mp4}
stream_start=2026-11-24T10:00:00Z
start=${2:-2026-11-24T10:02:00Z}
end=${3:-2026-11-24T10:03:59Z}

export GST_PLUGIN_PATH=$top/build/gst
# The emulator's example keys, given the way a real deployment would give
# them: through the environment, not on the launch line.
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-west-2
export AWS_EC2_METADATA_DISABLED=true

portfile=$(mktemp)
"$top/build/tests/emulator/kvs-emulator" --synthetic demo:300 \
    --start-time "$stream_start" > "$portfile" &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -f "$portfile"' EXIT
for _ in $(seq 100); do grep -q '^PORT' "$portfile" && break; sleep 0.1; done
port=$(awk '/^PORT/ {print $2}' "$portfile")
[ -n "$port" ] || { echo "kvs-emulator did not start" >&2; exit 1; }
echo "kvs-emulator: stream 'demo', 300 fragments of 2 s from $stream_start, on port $port"

set -x
gst-launch-1.0 -q kvamsrc stream-name=demo start-time="$start" end-time="$end" \
    fragment-selector-type=producer endpoint-uri="http://127.0.0.1:$port" ! \
    matroskademux ! h264parse ! mp4mux ! filesink location="$out"
{ set +x; } 2>/dev/null

# frames and duration, read back from the file
read -r frames duration < <(gst-launch-1.0 -v filesrc location="$out" ! qtdemux ! \
    fakesink silent=false 2>/dev/null | awk '
      /last-message = chain/ {
        n++
        if (match($0, /pts: [0-9:.]+/)) { split(substr($0, RSTART + 5, RLENGTH - 5), t, ":"); p = t[1]*3600 + t[2]*60 + t[3] }
        if (match($0, /duration: [0-9:.]+/)) { split(substr($0, RSTART + 10, RLENGTH - 10), t, ":"); d = t[1]*3600 + t[2]*60 + t[3] }
        if (p + d > end) end = p + d
      }
      END { printf "%d %.2f\n", n, end }')
echo "wrote $out: $duration s, $frames frames"
