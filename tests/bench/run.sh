#!/usr/bin/env bash
# kvamsrc against souphttpsrc on the same bytes, same machine, same run.
# Loopback only. Prints medians of ROUNDS alternating runs and the ratios.
#
#   wall and CPU: a range of FRAGMENTS x 2 s fragments read through
#     kvamsrc ! fakesink, and the same fragment documents, concatenated,
#     fetched by souphttpsrc ! fakesink from the emulator's /raw/ route
#     (same server, same writer, same bytes);
#   time to first buffer for a 24 h range with 20 ms added per request,
#     over plain HTTP and over HTTPS;
#   peak RSS for a 24 h range against a 1 min range.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
fragments=${FRAGMENTS:-1800}

start_emulator --synthetic cam:$fragments:2
end=$((start + fragments * 2 - 1))
k=""; s=""
for i in $(seq "$rounds"); do
  k+="$("$bench" kvamsrc "http://127.0.0.1:$port" cam $start $end)"$'\n'
  s+="$("$bench" soup "http://127.0.0.1:$port/raw/cam")"$'\n'
done
k=$(echo -n "$k"); s=$(echo -n "$s")
kb=$(echo "$k" | col 5 | median); sb=$(echo "$s" | col 5 | median)
kw=$(echo "$k" | col 1 | median); sw=$(echo "$s" | col 1 | median)
kc=$(echo "$k" | col 2 | median); sc=$(echo "$s" | col 2 | median)
echo "range of $fragments fragments, $rounds rounds, medians:"
printf '  kvamsrc      wall %6.3f s  cpu %6.3f s  %s bytes out\n' "$kw" "$kc" "$kb"
printf '  souphttpsrc  wall %6.3f s  cpu %6.3f s  %s bytes in\n' "$sw" "$sc" "$sb"
awk -v a="$kw" -v b="$sw" -v c="$kc" -v d="$sc" \
  'BEGIN {printf "  ratio kvamsrc/souphttpsrc: wall %.2fx (target <= 1.2), cpu %.2fx (target <= 1.2)\n", a/b, c/d}'

start_emulator --synthetic day:43200:2 --latency 20
day_end=$((start + 86400 - 1))
t=""
for i in $(seq "$rounds"); do
  t+="$(timeout 20 "$bench" kvamsrc "http://127.0.0.1:$port" day $start $((start + 86400 - 1)) 2>/dev/null | col 4 || true)"$'\n'
done 2>/dev/null || true
echo "24 h range, 20 ms per request: time to first buffer $(echo -n "$t" | grep . | median) s (median; target < 1 s)"
stop_emulators

# the same over HTTPS, as the service answers: TLS set-up on top
if make_certificate; then
  start_emulator --synthetic day:43200:2 --latency 20 \
    --tls-cert "$tls_dir/cert.pem" --tls-key "$tls_dir/key.pem"
  t=""
  for i in $(seq "$rounds"); do
    t+="$(KVAMBENCH_PROPS="ssl-ca-file=$tls_dir/cert.pem" timeout 20 "$bench" kvamsrc "https://127.0.0.1:$port" day $start $day_end 2>/dev/null | col 4 || true)"$'\n'
  done
  echo "24 h range over HTTPS, 20 ms per request: time to first buffer $(echo -n "$t" | grep . | median) s (median; target < 1 s)"
  stop_emulators
else
  echo "24 h range over HTTPS skipped: openssl(1) could not make a certificate"
fi

start_emulator --synthetic day:43200:2
r1=$("$bench" kvamsrc "http://127.0.0.1:$port" day $start $((start + 59)) | col 3)
r24=$("$bench" kvamsrc "http://127.0.0.1:$port" day $start $day_end | col 3)
awk -v a="$r1" -v b="$r24" 'BEGIN {printf "peak RSS: 1 min range %.1f MB, 24 h range %.1f MB, difference %.1f MB (target < 20)\n", a/1024, b/1024, (b-a)/1024}'
