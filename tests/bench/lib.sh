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
trap 'kill "${pids[@]}" 2>/dev/null || true; [[ -z $tls_dir ]] || rm -rf "$tls_dir"' EXIT
start_emulator() { # args... ; sets $port
  local f; f=$(mktemp)
  "$emu" --start-time $start "$@" > "$f" &
  pids+=($!)
  for _ in $(seq 2400); do grep -q '^PORT' "$f" && break; sleep 0.05; done
  port=$(awk '/^PORT/ {print $2}' "$f"); rm -f "$f"
}
stop_emulators() { kill "${pids[@]}" 2>/dev/null || true; pids=(); }
# A throwaway certificate for 127.0.0.1 in $tls_dir (cert.pem, key.pem),
# RSA 2048 like the service's; FALSE when openssl(1) cannot make one.
tls_dir=""
make_certificate() {
  tls_dir=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls_dir/key.pem" \
    -out "$tls_dir/cert.pem" -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 2>/dev/null
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { awk -v c="$1" '{print $c}'; }
