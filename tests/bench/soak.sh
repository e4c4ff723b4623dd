#!/usr/bin/env bash
# Soak: a day of synthetic media read again and again at full speed, for
# SECONDS (default 8 hours), with random faults: every 7th call throttled,
# every 11th a 500, every 3rd media response cut at a random byte. Checks
# that every loop delivers every fragment once, in order, and prints RSS and
# file descriptors. Loopback only.
#
#   SECONDS=600 tests/bench/soak.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
seconds=${SECONDS_TO_RUN:-${1:-28800}}
export GST_PLUGIN_PATH=$build/gst
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-west-2 AWS_EC2_METADATA_DISABLED=true
start=1764000000
f=$(mktemp)
"$build/tests/emulator/kvs-emulator" --start-time $start --synthetic day:43200:2 \
    --throttle-every 7 --fail-every 11 --cut-every 3 > "$f" &
emu=$!
trap 'kill $emu 2>/dev/null; rm -f "$f"' EXIT
for _ in $(seq 200); do grep -q '^PORT' "$f" && break; sleep 0.05; done
port=$(awk '/^PORT/ {print $2}' "$f")
"$build/tests/bench/kvambench" soak "http://127.0.0.1:$port" day $start \
    $((start + 86400 - 1)) 43200 "$seconds"
