# Shared by the benchmark scripts (sourced): paths, the emulator's example
# keys, starting emulators on free loopback ports, medians.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BUILD:-$top/build}
bench=$build/tests/bench/kvambench
emu=$build/tests/emulator/kvs-emulator
export GST_PLUGIN_PATH=$build/gst
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-west-2 AWS_EC2_METADATA_DISABLED=true
start=1764000000

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
start_emulator() { # args... ; sets $port
  local f; f=$(mktemp)
  "$emu" --start-time $start "$@" > "$f" &
  pids+=($!)
  for _ in $(seq 2400); do grep -q '^PORT' "$f" && break; sleep 0.05; done
  port=$(awk '/^PORT/ {print $2}' "$f"); rm -f "$f"
}
stop_emulators() { kill "${pids[@]}" 2>/dev/null || true; pids=(); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { awk -v c="$1" '{print $c}'; }
