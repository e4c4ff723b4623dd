#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 30) from the seeds
# committed in corpus/ (and, for the merger, the real captures in
# ../shared/fixtures, read in place), and fails on the first finding.
#
# usage: tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]
# BUILD_DIR is a clang build with -Dfuzzing=true (scripts/dev.sh fuzz makes
# one); see README.md here for long runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1; secs=${2:-30}; shift $(( $# < 2 ? $# : 2 ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_merger fuzz_json fuzz_configfile fuzz_time fuzz_credentials fuzz_url)
fixtures=${KVAM_FIXTURES_DIR:-$here/../../../shared/fixtures}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:fast_unwind_on_malloc=0:malloc_context_size=30
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export G_SLICE=always-malloc

status=0 passed=0 failed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/new" "$work/$t/seeds"
  cp "$here/corpus/$t/"* "$work/$t/seeds/"
  dict=
  case $t in
    fuzz_merger)
      dict=-dict=$here/ebml.dict
      # the captures, behind the target's 3 bytes of cut and piece size
      if [ -d "$fixtures/kvs-captures" ]; then
        for f in "$fixtures"/kvs-captures/*.mkv; do
          { printf '\x40\x00\x05'; cat "$f"; } > "$work/$t/seeds/$(basename "$f")"
        done
      else
        echo "fuzz: $fixtures/kvs-captures absent: merger seeds are the generated ones only"
      fi ;;
    fuzz_json) dict=-dict=$here/json.dict ;;
  esac
  echo "fuzz: $t for ${secs}s"
  if ! "$build/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 $dict \
      -artifact_prefix="$work/$t/" "$work/$t/new" "$work/$t/seeds" \
      > "$work/$t/log" 2>&1; then
    echo "fuzz: $t FOUND A PROBLEM:"
    tail -60 "$work/$t/log"
    for a in "$work/$t"/crash-* "$work/$t"/leak-* "$work/$t"/timeout-* "$work/$t"/oom-*; do
      [ -e "$a" ] && { echo "input ($a), base64:"; base64 "$a" | head -40; }
    done
    status=1 failed=$((failed + 1))
  else
    passed=$((passed + 1))
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$t/log" | tr '\n' ' '
    echo
  fi
done
echo "fuzz targets: $passed passed, $failed failed"
exit $status
