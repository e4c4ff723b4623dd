#!/usr/bin/env bash
# GStreamer's C style (its tools/gst-indent: GNU indent, run twice as that
# script does, since one pass is not always stable).
#   scripts/gst-indent.sh FILE...          reformat in place
#   scripts/gst-indent.sh --check FILE...  list the files it would change
#                                          (exit 1), change nothing
#   scripts/gst-indent.sh --check-tree DIR  the same for every .c file of
#                                          DIR's gst/, tests/, examples/
# Only .c files: GNU indent mangles G_BEGIN_DECLS headers (GStreamer's
# hook checks .c files only too).
set -euo pipefail
# 77: meson's "skipped", with the reason printed
command -v indent >/dev/null || { echo "SKIP gst-indent: GNU indent is not installed (apt-get install indent)"; exit 77; }
opts=(--braces-on-if-line --case-brace-indentation0 --case-indentation2
  --braces-after-struct-decl-line --line-length80 --no-tabs --cuddle-else
  --dont-line-up-parentheses --continuation-indentation4 --honour-newlines
  --tab-size8 --indent-level2 --leave-preprocessor-space)
check=0
[ "${1:-}" = --check ] && { check=1; shift; }
if [ "${1:-}" = --check-tree ]; then
  check=1
  mapfile -t files < <(cd "$2" && find gst tests examples -name '*.c' | sort)
  cd "$2"
  set -- "${files[@]}"
  echo "gst-indent: checking ${#files[@]} files"
fi
bad=0
for f in "$@"; do
  out=$(mktemp)
  indent "${opts[@]}" -o "$out" "$f" 2>/dev/null
  indent "${opts[@]}" "$out" -o "$out.2" 2>/dev/null && mv "$out.2" "$out"
  if ! cmp -s "$f" "$out"; then
    if [ $check = 1 ]; then echo "$f"; bad=1; else cat "$out" > "$f"; fi
  fi
  rm -f "$out" "$out~"
done
[ $bad = 0 ] || [ $check = 0 ] || echo "gst-indent: reformat them with scripts/gst-indent.sh FILE..."
exit $bad
