#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# SIP over TCP and TLS in sipline-control behind the real dataplane: TCP
# and TLS to the router's address ($IP_R:5060, :5061) are punted by the
# dataplane to the kernel (tap sl0), where sipline-control listens. The
# clients are python3 (socket, ssl, hashlib: not our code); the PKI is made
# here with the openssl CLI (lib_tls.sh).
#   - REGISTER with digest over TCP: 401, then 200; location.list says tcp;
#     a 200 whose connection is gone comes on a new connection to the Via
#     sent-by port (RFC 3261 §18.2.2);
#   - pipelined REGISTERs behind a CRLFCRLF ping on one TCP connection: the
#     pong and both answers; a request without Content-Length: 400 and
#     the connection closed; a non-REGISTER request: 503 (no relay configured);
#   - TLS with tls_client_verify required and an allow-list: an allowed
#     client certificate registers (binding tls, connection listed with its
#     AOR, the client identity and the SNI); no certificate, a certificate not on the allow-list and one from
#     another CA are refused; after a SIGHUP to optional, no certificate is
#     accepted and a certificate not on the list is still refused;
#   - tls.reload with a new certificate while a TLS connection stays open:
#     that connection registers again, a new handshake shows the new serial;
#     tls.reload of a broken file: a JSON-RPC error with OpenSSL's text,
#     the previous certificate still served;
#   - a client dribbling a REGISTER is closed by the message time-out, a
#     silent one by the first-byte time-out; a flood of connections from one
#     address stops at the per-source limit while a TLS REGISTER from
#     another address succeeds, and its connections that never start TLS
#     are closed by the handshake time-out.
#
# Usage: test_stream.sh SIPLINE SIPLINE_LINK SIPLINE_CONTROL SIPLINECTL
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
. "$(dirname "$0")/lib_control.sh"
. "$(dirname "$0")/lib_tls.sh"
itest_init stream "${1:-}"
link_init "${2:-}"
control_init "${3:-}" "${4:-}"
ST="$ITEST_DIR/streamtool.py"
TLS_PORT=5061
PER_SOURCE=8

# ---- the PKI ----
PKI="$ITEST_TMP/pki"
mkdir -p "$PKI"
pki_ca "$PKI" ca
pki_cert "$PKI" server1 ca "URI:sip:$IP_R,DNS:sip.example.com"
pki_cert "$PKI" server2 ca "URI:sip:$IP_R,DNS:sip.example.com"
pki_cert "$PKI" client1 ca "DNS:client1.example.net"
pki_cert "$PKI" client2 ca "DNS:client2.example.net"
pki_ca "$PKI" evil
pki_cert "$PKI" evilc evil "DNS:client1.example.net"
cp "$PKI/server1.crt" "$PKI/server.crt"
cp "$PKI/server1.key" "$PKI/server.key"
SERIAL1=$(pki_serial "$PKI/server1.crt")
SERIAL2=$(pki_serial "$PKI/server2.crt")
[ "$SERIAL1" != "$SERIAL2" ] || fail "pki: two certificates with one serial"
log "test PKI made: CA, server1 ($SERIAL1), server2 ($SERIAL2), client1, client2, evil CA"

topo_up
sipline_start
control_conf "dataplane $LINK_SOCK" "probe off" "registrar $IP_R:$SIP_PORT" \
    "reg_domains $IP_R" "reg_algorithms sha-256,md5" \
    "tls_cert $PKI/server.crt" "tls_key $PKI/server.key" "tls_ca $PKI/ca.crt" \
    "tls_client_verify required" "tls_client_allow client1.example.net" \
    "stream_max_per_source $PER_SOURCE" "stream_first_byte_timeout 2" \
    "stream_message_timeout 2" "tls_handshake_timeout 3" "store_batch 0.3"
control_start
wait_for 10 "the dataplane in sync" dp_ready 1
grep -q "listening on tcp $IP_R:$SIP_PORT, tls $IP_R:$TLS_PORT" "$CTL_LOG" ||
    fail "no TCP and TLS listeners in the log: $(grep -i stream "$CTL_LOG")"
ctl_ok subscribers add username=alice domain="$IP_R" password=secret
ctl_ok subscribers add username=bob domain="$IP_R" password=hunter2

# st NS NAME ARGS...: streamtool.py in a namespace; output in $ITEST_TMP/NAME.out, returns its status
st() {
    local ns=$1 name=$2 rc=0
    shift 2
    timeout --kill-after=5 60 ip netns exec "$ns" "$ITEST_PY" "$ST" "$@" \
        >"$ITEST_TMP/$name.out" 2>&1 || rc=$?
    return "$rc"
}
out() {
    cat "$ITEST_TMP/$1.out"
    "$SIPLINECTL" -s "$CTL_SOCK" --json connections stats 2>&1 | tr -d ' \n'
    echo
    "$SIPLINECTL" -s "$CTL_SOCK" --json connections list 2>&1 | tr -d ' \n' | head -c 3000
}
# binding_tp CONTACT_SUBSTRING: the transport of that binding in location.list
binding_tp() {
    ctl_ok --json location list
    jget "[b['transport'] for b in r['items'] if '$1' in b['contact']][0] if [b for b in r['items'] if '$1' in b['contact']] else 'none'"
}
tls_args=(--dst "$IP_R" --transport tls --port "$TLS_PORT" --ca "$PKI/ca.crt" --domain "$IP_R")

# ---- TCP: digest, pipelining, ping, framing errors, 503 ----
st "$NS_B" tcp register --src "$IP_B" --dst "$IP_R" --transport tcp --domain "$IP_R" \
    --user alice --password secret || fail "REGISTER over TCP: $(out tcp)"
assert_eq "TCP answers" "$(grep '^status' "$ITEST_TMP/tcp.out" | tr '\n' ' ')" "status 401 status 200 "
tcp_port=$(awk '/^local/ {print $2}' "$ITEST_TMP/tcp.out")
assert_eq "transport of alice's TCP binding" "$(binding_tp "$IP_B:$tcp_port;transport=tcp")" tcp
log "TCP: 401 then 200 with SHA-256 digest, binding transport tcp"

st "$NS_A" pipe pipeline --src "$IP_A" --dst "$IP_R" --domain "$IP_R" || fail "pipeline: $(out pipe)"
assert_eq "pipelined answers" "$(tr '\n' '|' <"$ITEST_TMP/pipe.out")" \
    "pong|status 401 cseq 1|status 401 cseq 2|"
log "TCP: CRLFCRLF ping answered with CRLF, two pipelined REGISTERs answered in order"

nocl=$(printf 'REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/TCP %s:5070;branch=z9hG4bKnocl\r\nFrom: <sip:a@%s>;tag=1\r\nTo: <sip:a@%s>\r\nCall-ID: nocl\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n\r\n' \
    "$IP_R" "$IP_A" "$IP_R" "$IP_R" | od -An -tx1 | tr -d ' \n')
st "$NS_A" nocl raw --src "$IP_A" --dst "$IP_R" --data "$nocl" || fail "raw: $(out nocl)"
if ! grep -q "^SIP/2.0 400" "$ITEST_TMP/nocl.out" || ! grep -q "<EOF>" "$ITEST_TMP/nocl.out"; then
    fail "no Content-Length: want 400 and the connection closed: $(out nocl)"
fi
opt=$(printf 'OPTIONS sip:bob@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s:5070;branch=z9hG4bKopt\r\nFrom: <sip:a@%s>;tag=1\r\nTo: <sip:bob@%s>\r\nCall-ID: opt\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' \
    "$IP_R" "$IP_A" "$IP_R" "$IP_R" | od -An -tx1 | tr -d ' \n')
st "$NS_A" opt raw --src "$IP_A" --dst "$IP_R" --data "$opt" || fail "raw: $(out opt)"
grep -q "^SIP/2.0 503" "$ITEST_TMP/opt.out" || fail "OPTIONS over TCP: want 503: $(out opt)"
log "TCP: no Content-Length -> 400 and closed; OPTIONS (no relay configured) -> 503"

# The 200 waits for the group commit (store_batch 0.3): the client is gone by then.
st "$NS_B" fallback fallback --src "$IP_B" --dst "$IP_R" --domain "$IP_R" --user alice \
    --password secret --listen-port 5090 || fail "answer to a closed connection: $(out fallback)"
grep -q "^connection from $IP_R:" "$ITEST_TMP/fallback.out" ||
    fail "the answer did not come from $IP_R: $(out fallback)"
ctl_ok --json connections stats
assert_ge "outgoing connections" "$(jget 'r["connects"]')" 1
log "TCP: the 200 for a closed connection came on a new one to the sent-by port (RFC 3261 18.2.2)"

# ---- TLS: client certificates required, allow-list ----
st "$NS_B" tls1 register --src "$IP_B" "${tls_args[@]}" --cert "$PKI/client1.crt" \
    --key "$PKI/client1.key" --user bob --password hunter2 --reg-id 1 ||
    fail "TLS REGISTER with an allowed client certificate: $(out tls1)"
grep -q "^serial $SERIAL1$" "$ITEST_TMP/tls1.out" || fail "TLS: not server1's certificate: $(out tls1)"
tls_port=$(awk '/^local/ {print $2}' "$ITEST_TMP/tls1.out")
# bob's binding is an RFC 5626 flow: it went with its connection when the client closed.
wait_for 5 "bob's flow binding gone with its connection" \
    test "$(binding_tp "$IP_B:$tls_port;transport=tls")" = none
log "TLS: allowed client certificate registered; its flow binding went with the connection"

rc=0
st "$NS_B" tls_nocert register --src "$IP_B" "${tls_args[@]}" --user bob --password hunter2 || rc=$?
assert_eq "TLS without a client certificate (required)" "$rc" 3
rc=0
st "$NS_B" tls_c2 register --src "$IP_B" "${tls_args[@]}" --cert "$PKI/client2.crt" \
    --key "$PKI/client2.key" --user bob --password hunter2 || rc=$?
assert_eq "TLS with a certificate not on the allow-list" "$rc" 3
rc=0
st "$NS_B" tls_evil register --src "$IP_B" "${tls_args[@]}" --cert "$PKI/evilc.crt" \
    --key "$PKI/evilc.key" --user bob --password hunter2 || rc=$?
assert_eq "TLS with a certificate of another CA" "$rc" 3
ctl_ok --json connections stats
assert_ge "TLS peers refused" "$(jget 'r["tls_failed"]')" 3
log "TLS required: no certificate, one off the allow-list and one of another CA refused"

sed -i 's/^tls_client_verify required$/tls_client_verify optional/' "$CTL_CONF"
kill -HUP "$CTL_PID"
wait_for 10 "SIGHUP applied" grep -q "configuration reloaded" "$CTL_LOG"
st "$NS_B" tls_opt register --src "$IP_B" "${tls_args[@]}" --user bob --password hunter2 ||
    fail "TLS without a certificate when optional: $(out tls_opt)"
rc=0
st "$NS_B" tls_opt_c2 register --src "$IP_B" "${tls_args[@]}" --cert "$PKI/client2.crt" \
    --key "$PKI/client2.key" --user bob --password hunter2 || rc=$?
assert_eq "TLS optional, a certificate not on the allow-list" "$rc" 3
log "TLS optional: no certificate accepted, a certificate off the allow-list still refused"

# ---- tls.reload during a live connection ----
pause="$ITEST_TMP/pause"
rm -f "$pause"
timeout --kill-after=5 90 ip netns exec "$NS_B" "$ITEST_PY" "$ST" register --src "$IP_B" \
    "${tls_args[@]}" --cert "$PKI/client1.crt" --key "$PKI/client1.key" --user alice \
    --password secret --pause-file "$pause" --servername sip.example.com \
    >"$ITEST_TMP/hold.out" 2>&1 &
hold_pid=$!
ITEST_PIDS+=("$hold_pid")
wait_for 30 "the held TLS client registered" grep -q "^status 200" "$ITEST_TMP/hold.out"
hold_port=$(awk '/^local/ {print $2}' "$ITEST_TMP/hold.out")
ctl_ok --json connections list
assert_eq "the held connection's AORs" \
    "$(jget "[c['aors'] for c in r['items'] if c['peer'] == '$IP_B:$hold_port'][0]")" \
    "['alice@$IP_R']"
assert_eq "the held connection's peer identity" \
    "$(jget "[c['tls_peer'] for c in r['items'] if c['peer'] == '$IP_B:$hold_port'][0]")" \
    client1.example.net
assert_eq "the held connection's SNI" \
    "$(jget "[c['tls_name'] for c in r['items'] if c['peer'] == '$IP_B:$hold_port'][0]")" \
    sip.example.com

cp "$PKI/server2.crt" "$PKI/server.crt"
cp "$PKI/server2.key" "$PKI/server.key"
ctl_ok --json tls reload
assert_eq "tls.reload generation" "$(jget 'r["generation"]')" 3   # 1, SIGHUP 2, now 3
assert_eq "serial after tls.reload" "$(serial_norm "$(jget 'r["certificates"][0]["serial"]')")" "$SERIAL2"
st "$NS_A" tls_new register --src "$IP_A" "${tls_args[@]}" --user bob --password hunter2 ||
    fail "TLS after tls.reload: $(out tls_new)"
grep -q "^serial $SERIAL2$" "$ITEST_TMP/tls_new.out" ||
    fail "a new handshake does not show the new certificate: $(out tls_new)"
touch "$pause"
wait "$hold_pid" || fail "the TLS connection open during tls.reload failed: $(cat "$ITEST_TMP/hold.out")"
[ "$(grep -c '^status 200' "$ITEST_TMP/hold.out")" = 2 ] ||
    fail "the held connection did not register twice: $(cat "$ITEST_TMP/hold.out")"
grep -q "^serial $SERIAL1$" "$ITEST_TMP/hold.out" || fail "held connection: $(cat "$ITEST_TMP/hold.out")"
log "tls.reload: the open connection (server1) registered again, a new handshake got server2"

echo "not a certificate" >"$PKI/server.crt"
ctl --json tls reload && fail "tls.reload of a broken certificate succeeded"
grep -qi "PEM\|no start line\|tls_cert" "$ITEST_TMP/ctl.out" ||
    fail "tls.reload error without OpenSSL's reason: $(cat "$ITEST_TMP/ctl.out")"
reload_err=$(tr '\n' ' ' <"$ITEST_TMP/ctl.out" | head -c 160)
ctl_ok --json tls list
assert_eq "certificate after a failed reload" "$(serial_norm "$(jget 'r["certificates"][0]["serial"]')")" "$SERIAL2"
st "$NS_A" tls_after_bad register --src "$IP_A" "${tls_args[@]}" --user bob --password hunter2 ||
    fail "TLS after a failed tls.reload: $(out tls_after_bad)"
grep -q "^serial $SERIAL2$" "$ITEST_TMP/tls_after_bad.out" ||
    fail "after a failed reload the old certificate is not served: $(out tls_after_bad)"
cp "$PKI/server2.crt" "$PKI/server.crt"
log "tls.reload of a broken file: error ($reload_err...), server2 still served"

# ---- slowloris, silence, flood ----
st "$NS_A" slow slowloris --src "$IP_A" --dst "$IP_R" --interval 0.3 ||
    fail "slowloris not closed: $(out slow)"
t=$(awk '/^closed after/ {print $3}' "$ITEST_TMP/slow.out")
awk -v t="$t" 'BEGIN { exit !(t >= 1.5 && t <= 10) }' ||
    fail "slowloris closed after $t s (message time-out 2 s, checked every 0.25 s)"
st "$NS_A" silent raw --src "$IP_A" --dst "$IP_R" --data "" || fail "raw: $(out silent)"
grep -q "<EOF>" "$ITEST_TMP/silent.out" || fail "a silent connection was not closed: $(out silent)"
ctl_ok --json connections stats
assert_ge "message time-outs" "$(jget 'r["timeout_message"]')" 1
assert_ge "first-byte time-outs" "$(jget 'r["timeout_first_byte"]')" 1
log "slowloris closed after $t s (message time-out), a silent connection by the first-byte time-out"

timeout --kill-after=5 60 ip netns exec "$NS_A" "$ITEST_PY" "$ST" flood --src "$IP_A" \
    --dst "$IP_R" --port "$TLS_PORT" --count $((PER_SOURCE + 6)) --hold 8 \
    >"$ITEST_TMP/flood.out" 2>&1 &
flood_pid=$!
ITEST_PIDS+=("$flood_pid")
wait_for 10 "the flood connected" grep -q "^open" "$ITEST_TMP/flood.out"
assert_eq "flood connections left open" "$(awk '/^open/ {print $2}' "$ITEST_TMP/flood.out")" \
    "$PER_SOURCE"
st "$NS_B" legit register --src "$IP_B" "${tls_args[@]}" --cert "$PKI/client1.crt" \
    --key "$PKI/client1.key" --user alice --password secret ||
    fail "a TLS REGISTER during the flood failed: $(out legit)"
ctl_ok --json connections stats
assert_ge "connections refused per source" "$(jget 'r["refused_source"]')" 6
wait "$flood_pid" || true
ctl_ok --json connections stats
assert_ge "handshake time-outs (the flood never started TLS)" "$(jget 'r["timeout_handshake"]')" 1
log "flood: $PER_SOURCE connections kept from $IP_A, the rest closed; TLS REGISTER from $IP_B ok"

# ---- connections.close ----
rm -f "$pause"
timeout --kill-after=5 60 ip netns exec "$NS_B" "$ITEST_PY" "$ST" register --src "$IP_B" \
    --dst "$IP_R" --transport tcp --domain "$IP_R" --user alice --password secret --pause-file "$pause" \
    >"$ITEST_TMP/close.out" 2>&1 &
close_pid=$!
ITEST_PIDS+=("$close_pid")
wait_for 30 "the TCP client registered" grep -q "^status 200" "$ITEST_TMP/close.out"
cport=$(awk '/^local/ {print $2}' "$ITEST_TMP/close.out")
ctl_ok --json connections list
cid=$(jget "[c['id'] for c in r['items'] if c['peer'] == '$IP_B:$cport'][0]")
ctl_ok connections close id="$cid"
ctl --json connections close id="$cid" && fail "closing connection $cid twice succeeded"
touch "$pause"
rc=0
wait "$close_pid" || rc=$?
[ "$rc" != 0 ] || fail "the client went on after connections.close: $(cat "$ITEST_TMP/close.out")"
assert_eq "binding of the closed TCP connection (no reg-id: kept)" \
    "$(binding_tp "$IP_B:$cport;transport=tcp")" tcp
log "connections.close $cid: closed, its plain binding kept"

metrics_get "$ITEST_TMP/metrics.txt"
grep -q '^sipline_control_stream_accepted_total [1-9]' "$ITEST_TMP/metrics.txt" ||
    fail "no stream counters in /metrics"
pass
