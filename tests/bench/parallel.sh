#!/usr/bin/env bash
# Exports faster than one media session (issue 13). Loopback only; prints
# medians of alternating runs and their ratios.
#
#  (a) a ~1 GB range with the emulator capping each media response at
#      25 MB/s like AWS (--bandwidth aws): kvamsrc with its defaults
#      against max-concurrent-requests=1; throughput and peak RSS;
#  (b) 60 s of synced playback: the most responses in flight and bytes
#      read ahead (sampled from stats every 10 ms) and peak RSS;
#  (c) no cap, 300 1080p fragments (~620 MB): kvamsrc against
#      curl -o /dev/null and souphttpsrc on the same bytes (the emulator's
#      /raw/ route): wall and CPU, with the body in HTTP chunks of 64 KiB,
#      256 KiB and 1 MiB (CCHUNKS), over plain HTTP and over HTTPS
#      (CSCHEMES; a throwaway certificate made by openssl(1)). Also
#      libsoup alone reading the same body in 64 KiB reads (kvambench
#      libsoup): the floor kvamsrc's HTTP stack sets, so that a gap to curl
#      can be told apart from kvamsrc's own cost. Each with two senders
#      (CSENDERS): the emulator's libsoup server, which writes a chunk as
#      three sends (split), and --gather-chunks, one write a chunk
#      (gather), as servers that gather their writes send it.
#
#   ROUNDS=3 FRAGMENTS=36000 bash tests/bench/parallel.sh
#   PARTS=c ROUNDS=7 bash tests/bench/parallel.sh     # only (c)
#   PARTS=c CCHUNKS=65536 CFRAGMENTS=1000 bash tests/bench/parallel.sh
#   PARTS=c CSCHEMES=https CCHUNKS=65536 bash tests/bench/parallel.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-3}
fragments=${FRAGMENTS:-36000}
end=$((start + fragments * 2 - 1))
parts=${PARTS:-abc}

# (a)
if [[ $parts == *a* ]]; then
start_emulator --synthetic cam:$fragments:2 --bandwidth aws
d=""; o=""
for i in $(seq "$rounds"); do
  d+="$("$bench" kvamsrc "http://127.0.0.1:$port" cam $start $end)"$'\n'
  o+="$(KVAMBENCH_PROPS=max-concurrent-requests=1 "$bench" kvamsrc "http://127.0.0.1:$port" cam $start $end)"$'\n'
done
d=$(echo -n "$d"); o=$(echo -n "$o")
bytes=$(echo "$d" | col 5 | median)
dw=$(echo "$d" | col 1 | median); ow=$(echo "$o" | col 1 | median)
dr=$(echo "$d" | col 3 | median); orss=$(echo "$o" | col 3 | median)
echo "(a) $fragments fragments, $bytes bytes, each response capped at 25 MB/s, medians of $rounds:"
awk -v b="$bytes" -v w="$dw" -v r="$dr" 'BEGIN {printf "  defaults                   %6.2f s  %6.1f MB/s  peak RSS %5.1f MB\n", w, b/w/1e6, r/1024}'
awk -v b="$bytes" -v w="$ow" -v r="$orss" 'BEGIN {printf "  max-concurrent-requests=1  %6.2f s  %6.1f MB/s  peak RSS %5.1f MB\n", w, b/w/1e6, r/1024}'
awk -v a="$ow" -v b="$dw" -v by="$bytes" -v r="$dr" 'BEGIN {printf "  speed-up %.2fx (target >= 3), %.1f MB/s (target >= 75), peak RSS %.1f MB (target <= 150)\n", a/b, by/b/1e6, r/1024}'
stop_emulators
fi

# (b)
if [[ $parts == *b* ]]; then
start_emulator --synthetic cam:600:2 --bandwidth aws
s=$("$bench" sync "http://127.0.0.1:$port" cam $start $((start + 1199)) 60)
echo "(b) 60 s synced playback: at most $(echo "$s" | col 1) response(s) in flight, $(echo "$s" | col 2) bytes read ahead at most, peak RSS $(echo "$s" | col 3) kB, $(echo "$s" | col 4) fragments"
stop_emulators
fi

# (c)
# 1080p fragments of ~2 MB, as cameras send (small ones would measure the
# 5 calls/s limit on ListFragments, not the transfer). The emulator sends
# bodies in HTTP chunks of 64 KiB by default; over plain HTTP libsoup hands
# over one chunk per read, after reading its size line on its own (a recv
# of 128 bytes), while curl reads across chunks, so the chunk size is
# printed and varied (CCHUNKS) rather than chosen. Kinesis Video answers
# only HTTPS, where those small reads come out of the TLS record gnutls
# already decrypted: both schemes are measured (CSCHEMES).
run_c() { # chunk-size scheme sender
  local small=${CFRAGMENTS:-300} tls=() cacert=() ca="" gather=()
  if [[ $2 == https ]]; then
    tls=(--tls-cert "$tls_dir/cert.pem" --tls-key "$tls_dir/key.pem")
    cacert=(--cacert "$tls_dir/cert.pem")
    ca="ssl-ca-file=$tls_dir/cert.pem"
  fi
  if [[ $3 == gather ]]; then gather=(--gather-chunks); fi
  start_emulator --synthetic cam:$small:2:1920x1080 --no-rate-limit --chunk-size "$1" "${tls[@]}" "${gather[@]}"
  local url="$2://127.0.0.1:$port"
  k=""; c=""; u=""; l=""; rw=""; rc=""; rl=""
  for i in $(seq "$rounds"); do
    kr="$(KVAMBENCH_PROPS="$ca ${KVAMBENCH_PROPS:-}" "$bench" kvamsrc "$url" cam $start $((start + small * 2 - 1)))"
    # souphttpsrc takes no ssl-ca-file with libsoup 3 (only a tls-database
    # object): it skips the check of the throwaway certificate instead
    u+="$(KVAMBENCH_PROPS="${ca:+ssl-strict=false}" "$bench" soup "$url/raw/cam")"$'\n'
    lr="$(KVAMBENCH_CA="${cacert[1]:-}" "$bench" libsoup "$url/raw/cam")"
    l+="$lr"$'\n'
    # curl's own transfer time (no process start, as kvambench times only
    # PLAYING to EOS) and the CPU of the whole curl process
    cr="$( { /usr/bin/time -f '%U %S' curl -s "${cacert[@]}" -o /dev/null -w '%{time_total}\n' "$url/raw/cam"; } 2>&1 | paste -sd' ' | awk '{print $1, $2 + $3}')"
    k+="$kr"$'\n'; c+="$cr"$'\n'
    # the ratio of each alternating pair: drift in the machine's load
    # between rounds cancels out
    rw+="$(awk -v a="$(echo "$kr" | col 1)" -v b="$(echo "$cr" | col 1)" 'BEGIN {print a / b}')"$'\n'
    rc+="$(awk -v a="$(echo "$kr" | col 2)" -v b="$(echo "$cr" | col 2)" 'BEGIN {print a / b}')"$'\n'
    rl+="$(awk -v a="$(echo "$lr" | col 1)" -v b="$(echo "$cr" | col 1)" 'BEGIN {print a / b}')"$'\n'
  done
  stop_emulators
  kw=$(echo -n "$k" | col 1 | median); kc=$(echo -n "$k" | col 2 | median)
  kf=$(echo -n "$k" | col 4 | median); kb=$(echo -n "$k" | col 5 | median)
  uw=$(echo -n "$u" | col 1 | median); uc=$(echo -n "$u" | col 2 | median)
  cw=$(echo -n "$c" | col 1 | median); cc=$(echo -n "$c" | col 2 | median)
  lw=$(echo -n "$l" | col 1 | median); lc=$(echo -n "$l" | col 2 | median)
  echo "(c) $small 1080p fragments over $2 in HTTP chunks of $1 bytes, $3 writes (${gather[*]:-the libsoup server}), no cap, medians of $rounds:"
  printf '  kvamsrc      wall %6.3f s  cpu %6.3f s  (first buffer %5.3f s)\n' "$kw" "$kc" "$kf"
  printf '  curl         wall %6.3f s  cpu %6.3f s\n' "$cw" "$cc"
  printf '  souphttpsrc  wall %6.3f s  cpu %6.3f s\n' "$uw" "$uc"
  printf '  libsoup      wall %6.3f s  cpu %6.3f s  (libsoup alone, 64 KiB reads)\n' "$lw" "$lc"
  awk -v a="$kw" -v b="$cw" -v c="$kc" -v d="$cc" 'BEGIN {printf "  kvamsrc/curl, ratio of medians: wall %.2fx, cpu %.2fx\n", a/b, c/d}'
  # CPU per GB: kvamsrc counts what it pushed, curl and libsoup the body
  # (the same media; the merged output is a few bytes shorter)
  awk -v k="$kc" -v c="$cc" -v l="$lc" -v b="$kb" 'BEGIN {printf "  cpu per GB: kvamsrc %.3f s, curl %.3f s, libsoup alone %.3f s\n", k/b*1e9, c/b*1e9, l/b*1e9}'
  printf '  kvamsrc/curl, median of the %s paired ratios: wall %.2fx (target <= 1.1), cpu %.2fx (target <= 1.3)\n' "$rounds" "$(echo -n "$rw" | median)" "$(echo -n "$rc" | median)"
  printf '  libsoup/curl, median of the %s paired ratios: wall %.2fx (the HTTP stack'"'"'s floor)\n' "$rounds" "$(echo -n "$rl" | median)"
}
if [[ $parts == *c* ]]; then
  for scheme in ${CSCHEMES:-http https}; do
    if [[ $scheme == https ]] && ! make_certificate; then
      echo "(c) over https skipped: openssl(1) could not make a certificate"
      continue
    fi
    for chunk in ${CCHUNKS:-65536 262144 1048576}; do
      for sender in ${CSENDERS:-split gather}; do run_c "$chunk" "$scheme" "$sender"; done
    done
    if [[ -n $tls_dir ]]; then rm -rf "$tls_dir"; tls_dir=""; fi
  done
fi
