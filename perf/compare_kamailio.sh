#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The rival's number, measured here: Kamailio (Debian's 5.6) as a stateless
# redirect server (sl_send_reply 302 with a Contact, one UDP worker), fed
# INVITEs as fast as a sender in another namespace can, for SECONDS. Prints
# one JSON line: replies per second and per CPU-second of every Kamailio
# process (user + system time, kernel UDP work included, from /proc).
# Compare with bench_pipeline's messages per CPU-second of a sipline worker
# (docs/PERFORMANCE.md). Root only; it creates and removes two namespaces.
#
#   perf/compare_kamailio.sh [SECONDS]
set -euo pipefail

SECONDS_RUN=${1:-10}
ID=$(printf '%04x' $((RANDOM)))
NS_K="slkam-$ID"
NS_C="slkac-$ID"
TMP=$(mktemp -d /tmp/sipline-kamailio.XXXXXX)

cleanup() {
    set +e
    [ -n "${SENDER:-}" ] && kill "$SENDER" 2>/dev/null
    if [ -f "$TMP/kamailio.pid" ]; then
        for p in $(ip netns pids "$NS_K" 2>/dev/null); do kill "$p" 2>/dev/null; done
        sleep 0.5
        for p in $(ip netns pids "$NS_K" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    fi
    ip netns del "$NS_K" 2>/dev/null
    ip netns del "$NS_C" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

if [ "$(id -u)" -ne 0 ]; then
    echo "compare_kamailio: needs root (network namespaces)" >&2
    exit 77
fi
command -v kamailio >/dev/null || { echo "compare_kamailio: kamailio not installed (scripts/setup.sh)" >&2; exit 1; }

ip netns add "$NS_K"
ip netns add "$NS_C"
ip link add "k$ID" netns "$NS_K" type veth peer name "c$ID" netns "$NS_C"
ip -n "$NS_K" addr add 10.99.0.1/24 dev "k$ID"
ip -n "$NS_C" addr add 10.99.0.10/24 dev "c$ID"
for ns in "$NS_K" "$NS_C"; do ip -n "$ns" link set lo up; done
ip -n "$NS_K" link set "k$ID" up
ip -n "$NS_C" link set "c$ID" up

cat > "$TMP/kamailio.cfg" <<EOF
#!KAMAILIO
# Stateless redirect server, as a carrier would run Kamailio for number
# portability / LCR redirects: one UDP worker, no logging per message.
debug=0
log_stderror=no
memdbg=5
memlog=5
children=1
tcp_children=1
disable_tcp=yes
auto_aliases=no
listen=udp:10.99.0.1:5060
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "pv.so"
request_route {
    if (is_method("ACK")) { exit; }
    if (is_method("INVITE")) {
        # The canonical stateless redirect: sl builds the 3xx Contact from the R-URI.
        \$ru = "sip:" + \$rU + "@gw1.example.net";
        sl_send_reply("302", "Moved Temporarily");
        exit;
    }
    sl_send_reply("404", "Not Found");
}
EOF
if ! ip netns exec "$NS_K" kamailio -f "$TMP/kamailio.cfg" -P "$TMP/kamailio.pid" -m 64 -M 8 \
    -w "$TMP" > "$TMP/kamailio.log" 2>&1; then
    echo "compare_kamailio: kamailio did not start:" >&2
    cat "$TMP/kamailio.log" >&2
    exit 1
fi
for _ in $(seq 50); do [ -s "$TMP/kamailio.pid" ] && break; sleep 0.1; done
sleep 1

cpu_ticks() {
    local t=0
    for p in $(ip netns pids "$NS_K"); do
        # utime + stime (fields 14 and 15 of /proc/PID/stat)
        t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$t"
}

cat > "$TMP/flood.py" <<'EOF'
import socket, sys, time
dst, seconds = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.0.10", 5062))
s.setblocking(False)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
tmpl = ("INVITE sip:+4930%07d@10.99.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.99.0.10:5062;branch=z9hG4bK-%d;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:+4420794608@10.99.0.10>;tag=%d\r\n"
        "To: <sip:+4930%07d@10.99.0.1>\r\n"
        "Call-ID: %d@10.99.0.10\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:+4420794608@10.99.0.10:5062>\r\n"
        "Content-Type: application/sdp\r\n"
        "Content-Length: 151\r\n\r\n"
        "v=0\r\no=- 1 1 IN IP4 10.99.0.10\r\ns=-\r\nc=IN IP4 10.99.0.10\r\nt=0 0\r\n"
        "m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n")
msgs = [(tmpl % (i, i, i, i, i)).encode() for i in range(4096)]
sent = got = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    # Keep a bounded number in flight: measure the server, not socket drops.
    while sent - got < 256:
        try:
            s.sendto(msgs[sent % 4096], (dst, 5060)); sent += 1
        except BlockingIOError:
            break
    while True:
        try:
            s.recv(65535); got += 1
        except BlockingIOError:
            break
print(sent, got)
EOF

t0=$(cpu_ticks)
start=$(date +%s.%N)
read -r sent got < <(ip netns exec "$NS_C" python3 "$TMP/flood.py" 10.99.0.1 "$SECONDS_RUN")
end=$(date +%s.%N)
t1=$(cpu_ticks)
hz=$(getconf CLK_TCK)
python3 - "$sent" "$got" "$start" "$end" "$t0" "$t1" "$hz" <<'EOF'
import json, sys
sent, got = int(sys.argv[1]), int(sys.argv[2])
wall = float(sys.argv[4]) - float(sys.argv[3])
cpu = (int(sys.argv[6]) - int(sys.argv[5])) / int(sys.argv[7])
print(json.dumps({"bench": "kamailio", "case": "stateless_302/1_udp_worker",
                  "variant": "kamailio-5.6", "sent": sent, "replies": got,
                  "replies_per_s": round(got / wall), "cpu_s": round(cpu, 2),
                  "replies_per_cpu_s": round(got / cpu) if cpu else None,
                  "us_cpu_per_reply": round(cpu * 1e6 / got, 1) if got else None}))
EOF
