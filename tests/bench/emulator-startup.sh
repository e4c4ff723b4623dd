#!/usr/bin/env bash
# Time from launch to "PORT n" and resident memory of kvs-emulator, for the
# README's demo stream (300 x 2 s) and a day of 2 s fragments (43 200).
# Runs each case 3 times and prints the medians. Loopback only.
set -euo pipefail
emu=${1:-build/tests/emulator/kvs-emulator}

measure() { # prints "seconds rss_kb"
  local out; out=$(mktemp)
  local t0; t0=$(date +%s.%N)
  "$emu" --synthetic "$1" --start-time 1764000000 > "$out" &
  local pid=$!
  until grep -q '^PORT' "$out" 2>/dev/null; do sleep 0.02; done
  local t1; t1=$(date +%s.%N)
  local rss; rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true; rm -f "$out"
  awk -v a="$t0" -v b="$t1" -v r="$rss" 'BEGIN {printf "%.3f %d\n", b - a, r}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for spec in demo:300 day:43200:2; do
  runs=$(for i in 1 2 3; do measure "$spec"; done)
  t=$(echo "$runs" | awk '{print $1}' | median)
  r=$(echo "$runs" | awk '{print $2}' | median)
  printf '%-14s start %5.2f s (median of 3)   RSS %6.1f MB\n' "$spec" "$t" "$(awk -v r="$r" 'BEGIN {print r / 1024}')"
done
