#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TLS handshakes per second against sipline-control's TLS listener, with
# `openssl s_time -new` (a full handshake per connection, no resumption)
# on loopback. A throw-away PKI (ECDSA P-256 CA and server certificate) and
# store are made in a temporary directory. For each protocol version the
# JSON line gives the handshakes per wall second (client and server share
# the machine) and per CPU-second of sipline-control (its utime + stime
# from /proc over the run: the server's own cost).
#
# Usage: perf/tls_handshakes.sh BUILD_DIR [SECONDS]
set -euo pipefail
BUILD=${1:?usage: perf/tls_handshakes.sh BUILD_DIR [SECONDS]}
SECS=${2:-10}
CTL="$BUILD/control/sipline-control"
[ -x "$CTL" ] || { echo "no $CTL" >&2; exit 2; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/sipline-tlsperf.XXXXXX")
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$DIR"
}
trap cleanup EXIT
PORT=$((20000 + RANDOM % 20000))

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj "/CN=perf CA" -keyout "$DIR/ca.key" -out "$DIR/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" >/dev/null 2>&1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=perf" \
    -keyout "$DIR/server.key" -out "$DIR/server.csr" >/dev/null 2>&1
echo "subjectAltName=URI:sip:127.0.0.1,DNS:localhost" >"$DIR/ext"
openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" \
    -set_serial 1 -days 1 -extfile "$DIR/ext" -out "$DIR/server.crt" >/dev/null 2>&1

cat >"$DIR/control.conf" <<CONF
socket $DIR/control.sock
store $DIR/control.db
dataplane $DIR/none.sock
metrics off
probe off
registrar 127.0.0.1:$PORT
tls_listen 127.0.0.1:$((PORT + 1))
tls_cert $DIR/server.crt
tls_key $DIR/server.key
tls_ca $DIR/ca.crt
stream_max_per_source 100000
stream_max_conns 100000
CONF
"$CTL" -c "$DIR/control.conf" >"$DIR/control.log" 2>&1 &
PID=$!
for _ in $(seq 50); do
    grep -q "listening on" "$DIR/control.log" && break
    sleep 0.1
done
grep -q "listening on" "$DIR/control.log" || { cat "$DIR/control.log" >&2; exit 1; }

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)
for v in tls1_3 tls1_2; do
    before=$(cpu_ticks)
    out=$(openssl s_time -connect "127.0.0.1:$((PORT + 1))" -new -"$v" -time "$SECS" \
        -CAfile "$DIR/ca.crt" 2>&1)
    after=$(cpu_ticks)
    line=$(grep -E '^[0-9]+ connections in [0-9.]+ real seconds' <<<"$out" | head -n 1)
    n=$(awk '{print $1}' <<<"$line")
    real=$(awk '{print $4}' <<<"$line")
    cipher=$(openssl s_client -connect "127.0.0.1:$((PORT + 1))" -"$v" -CAfile "$DIR/ca.crt" \
        </dev/null 2>/dev/null | sed -n 's/^ *Cipher *: *//p' | head -n 1)
    awk -v v="$v" -v n="$n" -v real="$real" -v t=$((after - before)) -v hz="$HZ" \
        -v c="$cipher" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
        cpu = t / hz
        printf "{\"bench\":\"tls_handshakes\",\"version\":\"%s\",\"cipher\":\"%s\",\"cert\":\"ECDSA P-256\",\"handshakes\":%d,\"seconds\":%s,\"per_s\":%.0f,\"server_cpu_s\":%.2f,\"per_server_cpu_s\":%.0f,\"loadavg\":%s}\n",
            v, c, n, real, n / real, cpu, (cpu > 0 ? n / cpu : 0), load }'
done
