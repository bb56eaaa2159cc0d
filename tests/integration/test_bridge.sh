#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Transport bridging (docs/dataplane.md "Transport bridging"), with the real
# dataplane and control plane:
#   1. the dataplane alone: an INVITE to a TCP gateway gets its 503
#      ("Gateway Transport Not In Fast Path"); a request whose forward is
#      over 1300 bytes is sent by the dataplane itself;
#   2. a control plane whose relay key differs from the dataplane's is
#      refused at HELLO, with the reason in its log;
#   3. with the same key: the dataplane is told BRIDGE; the large forward is
#      punted (punt_large_request), relayed by the control plane's UDP
#      socket with the dataplane's Via and Record-Route, reaches the gateway
#      namespace, and its 200 comes back through the dataplane; a UDP
#      caller's INVITE to a TCP gateway and to a TLS gateway (certificate
#      from the test CA, verified) is punted (punt_gateway_transport), sent
#      by the control plane over TCP/TLS with a double Record-Route (RFC
#      5658: one entry per transport) and Max-Forwards decremented once, and
#      the gateway's 200 comes back to the caller over UDP; a TLS gateway
#      whose certificate another CA signed, or whose certificate does not
#      carry the address it is named by, gets nothing (verification on by
#      default; the reason is logged); a caller over TCP is relayed to the
#      UDP gateway and its 200 comes back on the caller's connection; a phone
#      registered over TCP (registrar without digest here) is called from UDP:
#      punted (punt_contact_transport), sent down the phone's own connection;
#   4. the control plane stops: the dataplane answers the 503 itself again.
#
# Usage: test_bridge.sh SIPLINE SIPLINE_LINK SIPLINE_CONTROL SIPLINECTL
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
. "$(dirname "$0")/lib_control.sh"
. "$(dirname "$0")/lib_tls.sh"
itest_init bridge "${1:-}"
link_init "${2:-}"
control_init "${3:-}" "${4:-}"

PLAN="$ITEST_TMP/bridge.dialplan"
cat >"$PLAN" <<EOF
plan bridge
group gw $IP_B:5080
group tcpgw $IP_B:5090;transport=tcp
group tlsgw $IP_B:5091;transport=tls
group evilgw $IP_B:5092;transport=tls
group noipgw $IP_B:5093;transport=tls
10 prefix 100 forward gw
10 prefix 101 forward tcpgw
10 prefix 102 forward tlsgw
10 prefix 103 forward evilgw
10 prefix 104 forward noipgw
EOF

# The gateways' PKI: ours, and another CA the control plane does not trust.
PKI="$ITEST_TMP/pki"
mkdir -p "$PKI"
pki_ca "$PKI" ca
pki_cert "$PKI" gw ca "IP:$IP_B,DNS:gw.example.net"
pki_ca "$PKI" evil
pki_cert "$PKI" evilgw evil "IP:$IP_B,DNS:gw.example.net"
pki_cert "$PKI" noipgw ca "DNS:gw.example.net"

# Two signing keys (mode 0600): the dataplane's, and another one.
KEY="$ITEST_TMP/key"
OTHER="$ITEST_TMP/other.key"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$KEY"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$OTHER"
chmod 600 "$KEY" "$OTHER"

# A request whose forward (our Via and two Record-Route lines added) is over
# 1300 bytes while the request itself fits one datagram of the 1500-byte MTU
# unfragmented (fragments go to the kernel before any decision).
LARGE=1290

topo_up
nsx "$NS_B" "$ITEST_PY" "$ITEST_DIR/sipnet.py" udp-answer --bind "$IP_B" --port 5080 \
    >"$ITEST_TMP/gw.log" 2>&1 &
ITEST_PIDS+=("$!")
wait_for 10 "the UDP gateway on $IP_B:5080" udp_listening "$NS_B" "$IP_B" 5080
# The stream gateways (tlsgw.py: python's ssl, not our code): TCP, TLS, TLS with an untrusted certificate.
gw_stream() { # PORT LOG [--cert F --key F]
    local port=$1 log=$2
    shift 2
    nsx "$NS_B" "$ITEST_PY" "$ITEST_DIR/tlsgw.py" --bind "$IP_B" --port "$port" \
        --log "$ITEST_TMP/$log.jsonl" "$@" >"$ITEST_TMP/$log.out" 2>&1 &
    ITEST_PIDS+=("$!")
    wait_for 10 "the gateway on $IP_B:$port" grep -q listening "$ITEST_TMP/$log.out"
}
gw_stream 5090 tcpgw
gw_stream 5091 tlsgw --cert "$PKI/gw.crt" --key "$PKI/gw.key"
gw_stream 5092 evilgw --cert "$PKI/evilgw.crt" --key "$PKI/evilgw.key"
gw_stream 5093 noipgw --cert "$PKI/noipgw.crt" --key "$PKI/noipgw.key"
sipline_start --dialplan "$PLAN" --record-route --secret-file "$KEY"

request() { # NAME RURI EXPECT [--size N]: one request from $NS_A; its output in NAME.out
    local name=$1 ruri=$2 expect=$3
    shift 3
    nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$IP_A" --dst "$IP_R" \
        --method INVITE --ruri "$ruri" --tries 3 --timeout 2 --expect "$expect" "$@" \
        >"$ITEST_TMP/$name.out" 2>&1 ||
        fail "$name: expected $expect: $(head -c 1500 "$ITEST_TMP/$name.out")"
}
# gw_large N: large INVITEs the gateway got (size > 1300) with our Via on top.
gw_large() {
    awk -v ip="$IP_R" '$3 == "from" && $1 > 1300 && $5 == "INVITE" &&
        index($0, "Via: SIP/2.0/UDP " ip ":5060;branch=z9hG4bKsl") { n++ } END { print n + 0 }' \
        "$ITEST_TMP/gw.log"
}

# ---- 1: the dataplane alone ----
request alone_tcp "sip:101555@$IP_R" 503
grep -q "^SIP/2.0 503 Gateway Transport Not In Fast Path" "$ITEST_TMP/alone_tcp.out" ||
    fail "alone: not the dataplane's 503: $(head -n 3 "$ITEST_TMP/alone_tcp.out")"
expect_counter act_unavailable -ge 1
expect_counter punt_gateway_transport -eq 0
request alone_large "sip:100555@$IP_R" 200 --size "$LARGE"
assert_eq "large INVITEs at the gateway (dataplane alone)" "$(gw_large)" 1
expect_counter punt_large_request -eq 0
log "alone: 503 for the TCP gateway, the large forward sent by the fast path"

# ---- 2: a control plane with another key is refused ----
relay_conf() { # KEYFILE
    control_conf "dataplane $LINK_SOCK" "relay on" "relay_addr $IP_R/24" \
        "relay_port $SIP_PORT" "relay_secret_file $1" "relay_record_route on" \
        "tls_ca $PKI/ca.crt" "probe off" "registrar $IP_R:$SIP_PORT" "reg_auth off" \
        "reg_domains $IP_R"
}
relay_conf "$OTHER"
control_start
wait_for 10 "the refusal in the control plane's log" \
    grep -q "refused: signing-key fingerprint .* of relay_secret_file $OTHER" "$CTL_LOG"
assert_eq "dataplanes ready with another key" "$(ctl_json 'r["dataplanes_ready"]' core health)" 0
log "refused: $(grep -m1 'refused: signing-key' "$CTL_LOG")"
control_stop

# ---- 3: the same key: bridged through the control plane ----
relay_conf "$KEY"
control_start
wait_for 15 "the dataplane in sync" dp_ready 1
ctl_ok dialplan push "$PLAN"
wait_for 10 "bridging on in the dataplane" grep -q "transport bridging on" "$SIPLINE_LOG"
punt0=$(counter punt_large_request)
request bridged_large "sip:100556@$IP_R" 200 --size "$LARGE"
assert_eq "large INVITEs at the gateway (bridged)" "$(gw_large)" 2
expect_counter punt_large_request -ge $((punt0 + 1))
ctl_ok --json stats get
[ "$(jget "r['control']['relay']['large_udp']")" -ge 1 ] ||
    fail "the relay counted no large UDP request: $(jget "r['control']['relay']")"
log "large forward: punted, relayed from the control plane's socket, 200 back"

# fwd_check LOG TRANSPORT: the request the stream gateway LOG got: our two
# Record-Route entries (UDP side and TRANSPORT side), two Vias, Max-Forwards 69.
fwd_check() {
    "$ITEST_PY" - "$ITEST_TMP/$1.jsonl" "$2" <<'PYEOF' || fail "$1: the forwarded request: see above"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
inv = [r for r in recs if r['request'].startswith('INVITE ')]
if not inv:
    sys.exit('no INVITE arrived')
r = inv[0]
rr = ','.join(r['record_route'])
bad = []
if r['vias'] != 2:
    bad.append('%d Vias' % r['vias'])
if r['max_forwards'] != '69':
    bad.append('Max-Forwards %s' % r['max_forwards'])
if rr.count('<sip:') != 2 or ('transport=' + sys.argv[2]) not in rr:
    bad.append('Record-Route %r: not a double one with transport=%s' % (rr, sys.argv[2]))
print('%s: %s, Record-Route %s' % (sys.argv[1].split('/')[-1], r['request'], rr))
if bad:
    sys.exit('; '.join(bad))
PYEOF
}

request bridged_tcp "sip:101556@$IP_R" 200
fwd_check tcpgw tcp
expect_counter punt_gateway_transport -ge 1
log "TCP gateway: punted, sent over TCP by the control plane, its 200 back to the UDP caller"
request bridged_tls "sip:102556@$IP_R" 200
fwd_check tlsgw tls
log "TLS gateway: verified, sent over TLS, its 200 back to the UDP caller"
# A caller over TCP (to the router's address: punted to the control plane's
# listener): its INVITE leaves over UDP to the UDP gateway, and the 200
# comes back on the caller's connection.
nsx "$NS_A" "$ITEST_PY" - "$IP_A" "$IP_R" >"$ITEST_TMP/tcp_caller.out" 2>&1 <<'PYEOF' ||
import random, re, socket, sys
src, dst = sys.argv[1], sys.argv[2]
s = socket.create_connection((dst, 5060), timeout=10, source_address=(src, 0))
port = s.getsockname()[1]
tag = "%08x" % random.getrandbits(32)
msg = ("INVITE sip:100777@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s:%d;branch=z9hG4bK-tcp%s\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:tcpcaller@%s>;tag=%s\r\nTo: <sip:100777@%s>\r\n"
       "Call-ID: tcp-%s@%s\r\nCSeq: 1 INVITE\r\nContact: <sip:tcpcaller@%s:%d;transport=tcp>\r\n"
       "Content-Length: 0\r\n\r\n") % (dst, src, port, tag, src, tag, dst, tag, src, src, port)
s.sendall(msg.encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(65536)
    if not d:
        sys.exit("connection closed: %r" % buf)
    buf += d
print(buf.decode("latin1").split("\r\n")[0])
sys.exit(0 if buf.startswith(b"SIP/2.0 200") else 1)
PYEOF
    fail "a caller over TCP: $(cat "$ITEST_TMP/tcp_caller.out")"
log "a caller over TCP: INVITE relayed over UDP, $(head -1 "$ITEST_TMP/tcp_caller.out") back on its connection"
# A phone registered over TCP (its connection kept open) is called by a UDP
# caller: the dataplane punts the call (punt_contact_transport), the relay
# sends it down the phone's own connection, the phone's 200 comes back.
nsx "$NS_A" "$ITEST_PY" - "$IP_A" "$IP_R" >"$ITEST_TMP/phone.out" 2>&1 <<'PYEOF' &
import random, re, socket, sys, time
src, dst = sys.argv[1], sys.argv[2]
s = socket.create_connection((dst, 5060), timeout=20, source_address=(src, 0))
port = s.getsockname()[1]
tag = "%08x" % random.getrandbits(32)
reg = ("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/TCP %s:%d;branch=z9hG4bK-reg%s;rport\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:4930999@%s>;tag=%s\r\nTo: <sip:4930999@%s>\r\n"
       "Call-ID: reg-%s@%s\r\nCSeq: 1 REGISTER\r\n"
       "Contact: <sip:phone@%s:%d;transport=tcp>\r\nExpires: 300\r\nContent-Length: 0\r\n\r\n"
       ) % (dst, src, port, tag, dst, tag, dst, tag, src, src, port)
s.sendall(reg.encode())
buf = b""
def msg():
    global buf
    while True:
        buf = buf.lstrip(b"\r\n")
        e = buf.find(b"\r\n\r\n")
        if e >= 0:
            m = re.search(rb"(?im)^(content-length|l)[ \t]*:[ \t]*(\d+)", buf[:e])
            n = e + 4 + (int(m.group(2)) if m else 0)
            if len(buf) >= n:
                out, buf = buf[:n], buf[n:]
                return out.decode("latin1")
        d = s.recv(65536)
        if not d:
            sys.exit("connection closed")
        buf += d
r = msg()
print("REGISTER:", r.split("\r\n")[0], flush=True)
if not r.startswith("SIP/2.0 200"):
    sys.exit(1)
inv = msg()
print("got:", inv.split("\r\n")[0], flush=True)
keep = [l for l in inv.split("\r\n\r\n")[0].split("\r\n")[1:]
        if re.match(r"(?i)(via|v|from|f|call-id|i|cseq|to|t)\s*:", l)]
keep = [l + ";tag=phone1" if re.match(r"(?i)(to|t)\s*:", l) and ";tag=" not in l else l for l in keep]
s.sendall(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n").encode())
time.sleep(2)
PYEOF
PHONE=$!
ITEST_PIDS+=("$PHONE")
wait_for 20 "the phone registered over TCP" grep -q '^REGISTER: SIP/2.0 200' "$ITEST_TMP/phone.out"
binding_pushed() { [ "$(hello_at "$LINK_SOCK" bindings)" -ge 1 ]; }
wait_for 10 "the TCP binding in the dataplane" binding_pushed
request to_phone "sip:4930999@$IP_R" 200
wait "$PHONE" || fail "the phone over TCP: $(cat "$ITEST_TMP/phone.out")"
grep -q '^got: INVITE sip:phone@' "$ITEST_TMP/phone.out" ||
    fail "the phone got no INVITE on its connection: $(cat "$ITEST_TMP/phone.out")"
expect_counter punt_contact_transport -ge 1
log "a phone registered over TCP called from UDP: $(tr '\n' ' ' <"$ITEST_TMP/phone.out")"
request bridged_evil "sip:103556@$IP_R" none
[ ! -s "$ITEST_TMP/evilgw.jsonl" ] || fail "a gateway with an untrusted certificate got the request"
ctl_ok --json stats get
[ "$(jget "r['control']['relay']['stream_out']")" -ge 2 ] ||
    fail "the relay sent nothing over streams: $(jget "r['control']['relay']")"
log "TLS gateway with another CA's certificate: nothing sent to it"
request bridged_noip "sip:104556@$IP_R" none
[ ! -s "$ITEST_TMP/noipgw.jsonl" ] || fail "a gateway whose certificate lacks its address got the request"
grep -q "TLS to $IP_B refused: server certificate has no IP address SAN $IP_B" "$CTL_LOG" ||
    fail "the control plane did not say why it refused the gateway's certificate"
log "TLS gateway named by address, certificate without that address: refused ($(grep -m1 'has no IP address SAN' "$CTL_LOG"))"

# ---- 4: without the control plane the dataplane answers again ----
control_stop
wait_for 10 "bridging off in the dataplane" grep -q "transport bridging off" "$SIPLINE_LOG"
p=$(counter punt_gateway_transport)
request after_tcp "sip:101557@$IP_R" 503
expect_counter punt_gateway_transport -eq "$p"
log "control plane gone: the dataplane's own 503 again"

sipline_stop
pass "503 alone, key refused at HELLO, large forward, TCP and TLS gateways bridged, untrusted TLS refused, 503 again alone"
