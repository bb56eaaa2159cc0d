#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# (a) Calls through a forward rule complete end to end: SIPp UAC in $NS_A
# calls 100x numbers through sipline, the dialplan forwards them to the
# SIPp UAS (gateway) in $NS_B; INVITE, 180, 200, ACK, BYE, 200 all pass
# through the router. The scenarios check Via handling on every message
# (router's Via on top with a z9hG4bK branch, received/rport added to the
# caller's Via, the router's Via removed from responses, Max-Forwards
# decremented, our Route popped).
#
# Run twice: without Record-Route but with --relay-in-dialog (ACK and BYE
# addressed to the gateway's Contact, routed by Request-URI, as for UAs that
# use the router as outbound proxy) and with --record-route (ACK and BYE
# carry the router's signed Route, which it checks and pops). Then INVITEs
# of 1200, 1450 and 1800 bytes: the first is forwarded, the others must not
# vanish. With neither option, an in-dialog request the router did not
# record-route is refused (403): a To-tag is no way around the dialplan.
#
# Usage: test_forward.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
itest_init forward "${1:-}"
CALLS=${ITEST_CALLS:-30}
RATE=10

topo_up
uas_start "$ITEST_SCEN/uas_gw.xml"

# ---- 1: no Record-Route, --relay-in-dialog ----
sipline_start --dialplan "$ITEST_PLANS/itest.dialplan" --relay-in-dialog
rc=0
uac_run fwd "$ITEST_SCEN/uac_fwd.xml" 100 "$CALLS" "$RATE" || rc=$?
uac_expect_all_ok fwd "$CALLS" "$rc"
expect_counter act_forward -ge "$CALLS"           # INVITEs (and ACKs routed by number)
expect_counter act_response_fwd -ge $((CALLS * 3)) # 180, 200, 200 for BYE
expect_counter drop_response_not_ours -eq 0
expect_counter drop_loop -eq 0
sipline_stop

# ---- 2: --record-route ----
: >"$ITEST_TMP/rr_msg.log"
sipline_start --dialplan "$ITEST_PLANS/itest.dialplan" --record-route
rc=0
uac_run rr "$ITEST_SCEN/uac_fwd.xml" 100 "$CALLS" "$RATE" \
    -trace_msg -message_file "$ITEST_TMP/rr_msg.log" || rc=$?
uac_expect_all_ok rr "$CALLS" "$rc"
# The 2xx carried our Record-Route; ACK and BYE were sent with it as Route.
rr=$(grep -Ec '^Record-Route: *<sip:10\.77\.0\.1(:5060)?;lr;sl=[0-9a-f]{16}>' "$ITEST_TMP/rr_msg.log" || true)
assert_ge "responses carrying Record-Route <sip:$IP_R:$SIP_PORT;lr;sl=SIGNATURE>" "$rr" "$CALLS"
rt=$(grep -Ec '^Route: *<sip:10\.77\.0\.1(:5060)?;lr;sl=[0-9a-f]{16}>' "$ITEST_TMP/rr_msg.log" || true)
assert_ge "ACK and BYE sent with Route <sip:$IP_R:$SIP_PORT;lr;sl=SIGNATURE>" "$rt" $((CALLS * 2))
expect_counter act_in_dialog -ge $((CALLS * 2))
expect_counter act_dialog_refused -eq 0
sipline_stop

uas_stop
uas_ok=$(sipp_stat "$ITEST_TMP/uas_stat.csv" 'SuccessfulCall(C)')
assert_eq "calls completed at the gateway (UAS)" "$uas_ok" $((CALLS * 2))

# ---- 3: requests too large to forward over UDP ----
# RFC 3261 18.1.1: a request within 200 bytes of the path MTU (1500), or
# larger than 1300 bytes, goes over a congestion-controlled transport (the
# control plane's TCP); it must never vanish. A 1200-byte INVITE is
# forwarded to the sink (200x numbers); a 1450-byte one (1510+ bytes once
# our Via is added) and a 1800-byte one (IP fragments on the wire) must be
# forwarded, answered (e.g. 513) or handed to the kernel (here: ICMP port
# unreachable, as no control plane listens) - not silently dropped. One
# larger than the dataplane's buffer (6000 bytes) gets 513.
sipline_start --dialplan "$ITEST_PLANS/itest.dialplan"
# No Record-Route, no relaying: an INVITE with a To-tag straight to the
# gateway's address (around the dialplan) is refused, and nothing reaches it.
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$IP_A" --dst "$IP_R" \
    --method INVITE --ruri "sip:+900123@$IP_B:5060" --to-tag forged --expect 403 \
    >"$ITEST_TMP/forged.out" 2>&1 ||
    fail "forged in-dialog INVITE: expected 403, got $(head -n 1 "$ITEST_TMP/forged.out")"
log "forged in-dialog INVITE: $(head -n 1 "$ITEST_TMP/forged.out")"
expect_counter act_dialog_refused -eq 1
expect_counter act_in_dialog -eq 0
expect_counter act_forward -eq 0
ip netns exec "$NS_B" "$ITEST_PY" "$ITEST_DIR/sipnet.py" udp-sink --bind "$IP_B" --port 5070 \
    >"$ITEST_TMP/sink.log" 2>&1 &
ITEST_PIDS+=($!)
wait_for 5 "UDP sink on $IP_B:5070" nsx "$NS_B" sh -c "ss -Hlun 'src $IP_B:5070' | grep -q ."
big() { # SIZE EXPECT
    nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$IP_A" --dst "$IP_R" \
        --method INVITE --ruri "sip:200$1@$IP_R" --size "$1" --tries 2 --timeout 1 \
        --expect "$2" >"$ITEST_TMP/big.out" 2>&1
}
big 1200 none || true
sleep 0.5
grep -q "INVITE sip:2001200@" "$ITEST_TMP/sink.log" ||
    fail "a 1200-byte INVITE to 2001200 did not reach the gateway: $(head -n 1 "$ITEST_TMP/big.out")"
log "1200-byte INVITE forwarded: $(grep -m1 'INVITE sip:2001200@' "$ITEST_TMP/sink.log")"
for size in 1450 1800; do
    if big "$size" "any"; then
        log "$size-byte INVITE: $(head -n 1 "$ITEST_TMP/big.out")"
    elif grep -q "INVITE sip:200$size@" "$ITEST_TMP/sink.log"; then
        log "$size-byte INVITE forwarded: $(grep -m1 "INVITE sip:200$size@" "$ITEST_TMP/sink.log")"
    else
        fail "a $size-byte INVITE vanished: no answer, no ICMP, not forwarded (RFC 3261 18.1.1; counters drop_build/drop_l3)"
    fi
done
# Larger than the dataplane's 4 KiB buffer: 513, never silence. af_packet hands
# over the datagram the kernel reassembled, cut at the ring's frame size.
big 6000 513 || fail "a 6000-byte INVITE: expected 513, got $(head -n 1 "$ITEST_TMP/big.out")"
log "6000-byte INVITE: $(head -n 1 "$ITEST_TMP/big.out")"
expect_counter act_too_large -ge 1
sipline_stop
pass "$((CALLS * 2)) forwarded calls, Via handling checked on every message; oversized INVITEs handled"
