#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The router cannot be turned against third parties or around its dialplan
# (docs/security.md), each class of attack tried in its variants by
# sectools.py from the caller's namespace ($NS_A, the attacker) while a
# sniffer on the bridge records every UDP frame the router sends and decoy
# sinks listen where an attacker would like traffic to go:
#
#  1. response steering: INVITEs whose Via names another host or port
#     (maddr, received, rport, sent-by, all at once, received twice): the
#     gateway's 100/180/200 come back to the caller's own socket only;
#  2. forged responses: with one of our branches (learnt by having a request
#     forwarded to the attacker itself), responses naming a victim in a
#     second Via, with ten Vias, with received/rport/maddr changed: none is
#     relayed (drop_response_forged), the genuine one still is;
#  3. Record-Route replay (--record-route): the Route of a genuine call
#     replayed to a premium number at the gateway (rejected by the
#     dialplan), another Call-ID, the other direction, our own address on
#     other ports and 50 other hosts: 403 every time, and the gateway sees
#     only the genuine call;
#  4. even the open relay (--relay-in-dialog) never sends to our own
#     addresses, IPv4-mapped forms of them, or the subnet's network and
#     broadcast addresses;
#  6. the same steering variants from an IPv6 caller (dual-stack router,
#     IPv4 gateway), with IPv6 decoys;
#  5. key rotation with a dialog in progress (--secret-file, SIGHUP): the
#     old dialog's BYE still passes during --secret-grace, a new dialog
#     uses the new key, after the grace period the old signature is
#     refused; a restart with the previous key named in the file accepts
#     it again. Weak or world-readable key files stop start-up.
# At the end every frame the router sent went to the caller or the
# gateway, and the decoys heard nothing.
#
# Usage: test_security.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
itest_init security "${1:-}"
SEC="$ITEST_DIR/sectools.py"
VICTIM=10.77.0.66

topo_up
# Decoys: a victim host beside the gateway, another port of the caller, the
# router's own kernel side on another port.
ip -n "$NS_B" addr add "$VICTIM/24" dev b0
sink_start "$NS_B" "$VICTIM" 5060 decoy_victim
sink_start "$NS_B" "$VICTIM" 9999 decoy_victim_9999
sink_start "$NS_A" "$IP_A" 9999 decoy_caller_9999

# The gateway: answers INVITE with 100/180/200 (Record-Route copied, Contact).
nsx "$NS_B" "$ITEST_PY" "$SEC" gateway --bind "$IP_B" --port 5060 >"$ITEST_TMP/gw.log" 2>&1 &
ITEST_PIDS+=($!)
wait_for 5 "gateway on $IP_B:5060" udp_listening "$NS_B" "$IP_B" 5060

# Every UDP frame the router sends, as seen on the bridge.
nsx "$NS_SW" "$ITEST_PY" "$SEC" sniff --iface pr0 --mac 02:77:00:00:00:01 \
    >"$ITEST_TMP/sniff.log" 2>&1 &
ITEST_PIDS+=($!)
sleep 0.5

PLAN="$ITEST_TMP/security.dialplan"
cat >"$PLAN" <<EOF
plan security
group gw $IP_B:5060
group caller $IP_A:5090
10 prefix 100 forward gw
10 prefix 300 forward caller
10 prefix 900 reject 403 "Premium Numbers Barred"
10 prefix +900 reject 403 "Premium Numbers Barred"
EOF

KEYFILE="$ITEST_TMP/key"
key_a=3f8a91c2d4e5b60718293a4b5c6d7e8f
key_b=0123456789abcdef0f1e2d3c4b5a6978
( umask 077 && echo "$key_a" >"$KEYFILE" )

# ---- key files that must stop start-up ----
bad_start() { # WHAT EXPECTED-MESSAGE
    if "$SIPLINE" --no-huge -m 256 --no-pci -l 0-1 --file-prefix "$DPDK_PREFIX-bad" \
            --vdev net_null0 --log-level=lib.eal:error -- --addr "$IP_R/24" \
            --no-exception --link "$ITEST_TMP/bad.sock" --secret-file "$KEYFILE.bad" \
            >"$ITEST_TMP/bad.out" 2>&1; then
        fail "$1: sipline started"
    fi
    grep -q -- "$2" "$ITEST_TMP/bad.out" || fail "$1: expected '$2' in: $(cat "$ITEST_TMP/bad.out")"
    log "$1 refused: $(grep -m1 -- "$2" "$ITEST_TMP/bad.out")"
}
( umask 077 && echo "$key_a" >"$KEYFILE.bad" ) && chmod 644 "$KEYFILE.bad"
bad_start "world-readable key file" "mode 0644"
( umask 077 && echo 00000000000000000000000000000000 >"$KEYFILE.bad" ) && chmod 600 "$KEYFILE.bad"
bad_start "all-zero key" "weak key"
rm -f "$KEYFILE.bad" && mkfifo -m 600 "$KEYFILE.bad"
bad_start "key file that is a FIFO" "a FIFO"
rm -f "$KEYFILE.bad"

sipline_start --dialplan "$PLAN" --record-route --secret-file "$KEYFILE" --secret-grace 4
assert_log "signing key fingerprint [0-9a-f]{16}" "key fingerprint logged"
if grep -q "$key_a" "$SIPLINE_LOG"; then fail "the key itself appears in the log"; fi

# ---- 1: response steering ----
nsx "$NS_A" "$ITEST_PY" "$SEC" steer --src "$IP_A" --router "$IP_R" --victim "$VICTIM" \
    --victim-port 9999 >"$ITEST_TMP/steer.out" 2>&1 ||
    fail "response steering: $(grep FAIL "$ITEST_TMP/steer.out" | head -n 3)"
log "response steering: $(grep -c '^ok' "$ITEST_TMP/steer.out") variants came back to the caller only"

# ---- 2: forged responses ----
forged0=$(counter drop_response_forged)
nsx "$NS_A" "$ITEST_PY" "$SEC" forge --src "$IP_A" --router "$IP_R" --listen-port 5090 \
    --victim "$VICTIM:5060" >"$ITEST_TMP/forge.out" 2>&1 ||
    fail "forged responses: $(grep FAIL "$ITEST_TMP/forge.out" | head -n 3)"
forged=$(( $(counter drop_response_forged) - forged0 ))
assert_ge "forged responses dropped (drop_response_forged)" "$forged" 6
log "forged responses: $forged dropped, the genuine one relayed"

# ---- 3: Record-Route replay ----
refused0=$(counter act_dialog_refused)
nsx "$NS_A" "$ITEST_PY" "$SEC" replay --src "$IP_A" --router "$IP_R" --premium +900555 \
    --hosts 50 --state "$ITEST_TMP/dialog_a.json" >"$ITEST_TMP/replay.out" 2>&1 ||
    fail "Record-Route replay: $(grep FAIL "$ITEST_TMP/replay.out" | head -n 3)"
refused=$(( $(counter act_dialog_refused) - refused0 ))
assert_ge "replays refused (act_dialog_refused)" "$refused" 56
if grep -q '+900555\|sip:x@' "$ITEST_TMP/gw.log"; then
    fail "a replayed request reached the gateway: $(grep -m1 '+900555\|sip:x@' "$ITEST_TMP/gw.log")"
fi
nsx "$NS_A" "$ITEST_PY" "$SEC" bye --src "$IP_A" --router "$IP_R" \
    --state "$ITEST_TMP/dialog_a.json" --expect 200 >>"$ITEST_TMP/replay.out" 2>&1 ||
    fail "the genuine BYE of the record-routed call: $(tail -n 1 "$ITEST_TMP/replay.out")"
log "Record-Route replay: $refused refused; the genuine ACK and BYE reached the gateway"

# ---- 5: key rotation with the dialog in progress ----
( umask 077 && echo "$key_b" >"$KEYFILE" )
sipline_reload
wait_for 5 "key rotation in the log" grep -q "signing key rotated" "$SIPLINE_LOG"
nsx "$NS_A" "$ITEST_PY" "$SEC" bye --src "$IP_A" --router "$IP_R" \
    --state "$ITEST_TMP/dialog_a.json" --expect 200 >"$ITEST_TMP/rot.out" 2>&1 ||
    fail "old dialog during the grace period: $(tail -n 1 "$ITEST_TMP/rot.out")"
nsx "$NS_A" "$ITEST_PY" "$SEC" replay --src "$IP_A" --router "$IP_R" --hosts 0 \
    --state "$ITEST_TMP/dialog_b.json" >>"$ITEST_TMP/rot.out" 2>&1 ||
    fail "a new dialog after the rotation: $(grep FAIL "$ITEST_TMP/rot.out" | head -n 2)"
wait_for 10 "the end of the grace period" grep -q "grace period over" "$SIPLINE_LOG"
nsx "$NS_A" "$ITEST_PY" "$SEC" bye --src "$IP_A" --router "$IP_R" \
    --state "$ITEST_TMP/dialog_a.json" --expect 403 >>"$ITEST_TMP/rot.out" 2>&1 ||
    fail "old dialog after the grace period: $(tail -n 1 "$ITEST_TMP/rot.out")"
nsx "$NS_A" "$ITEST_PY" "$SEC" bye --src "$IP_A" --router "$IP_R" \
    --state "$ITEST_TMP/dialog_b.json" --expect 200 >>"$ITEST_TMP/rot.out" 2>&1 ||
    fail "new dialog after the grace period: $(tail -n 1 "$ITEST_TMP/rot.out")"
sipline_stop
# A restart with the previous key named in the file accepts it again.
( umask 077 && printf '%s\n%s\n' "$key_b" "$key_a" >"$KEYFILE" )
sipline_start --dialplan "$PLAN" --record-route --secret-file "$KEYFILE" --secret-grace 60
nsx "$NS_A" "$ITEST_PY" "$SEC" bye --src "$IP_A" --router "$IP_R" \
    --state "$ITEST_TMP/dialog_a.json" --expect 200 >>"$ITEST_TMP/rot.out" 2>&1 ||
    fail "old dialog after a restart naming the previous key: $(tail -n 1 "$ITEST_TMP/rot.out")"
log "key rotation: old dialog accepted during the grace period and after a restart naming it, refused after"
sipline_stop

# ---- 4: the open relay never targets us or the subnet's edges ----
sipline_start --dialplan "$PLAN" --relay-in-dialog
nsx "$NS_A" "$ITEST_PY" "$SEC" relay-targets --src "$IP_A" --router "$IP_R" \
    --targets "sip:x@$IP_R:5070,sip:x@$IP_R:22,sip:x@[::ffff:$IP_R]:5070,sip:x@10.77.0.0,sip:x@10.77.0.255,sip:x@10.77.0.255:9999,sip:x@127.0.0.1,sip:x@224.0.0.1,sip:x@$IP_B;maddr=10.77.0.255" \
    >"$ITEST_TMP/relay.out" 2>&1 ||
    fail "relay to forbidden targets: $(grep FAIL "$ITEST_TMP/relay.out" | head -n 3)"
expect_counter drop_forbidden_dst -ge 9
sipline_stop

# ---- 6: response steering over IPv6 (a dual-stack router, the gateway on IPv4) ----
IP6_R=fd00:77::1
IP6_A=fd00:77::10
VICTIM6=fd00:77::66
v6_host "$NS_A" a0 "$IP6_A/64"
v6_host "$NS_B" b0 "$VICTIM6/64"
sink_start "$NS_B" "$VICTIM6" 5060 decoy_victim6
sink_start "$NS_B" "$VICTIM6" 9999 decoy_victim6_9999
sipline_start --dialplan "$PLAN" --addr "$IP6_R/64"
wait_for 10 "$IP6_R/64 on the tap sl0 (not tentative)" \
    sh -c "ip -n '$NS_R' -6 addr show dev sl0 | grep 'inet6 $IP6_R/64' | grep -vq tentative"
nsx "$NS_A" "$ITEST_PY" "$SEC" steer --src "$IP6_A" --router "$IP6_R" --victim "$VICTIM6" \
    --victim-port 9999 >"$ITEST_TMP/steer6.out" 2>&1 ||
    fail "response steering over IPv6: $(grep FAIL "$ITEST_TMP/steer6.out" | head -n 3)"
log "IPv6 response steering: $(grep -c '^ok' "$ITEST_TMP/steer6.out") variants came back to the caller only"
sipline_stop

# ---- what went where ----
sleep 0.5
for d in decoy_victim decoy_victim_9999 decoy_caller_9999 decoy_victim6 decoy_victim6_9999; do
    n=$(lines "$ITEST_TMP/$d.log" '^from ')
    [ "$n" -eq 0 ] || fail "decoy $d received $n datagram(s): $(grep -m1 '^from ' "$ITEST_TMP/$d.log")"
done
stray=$(awk -v a="$IP_A" -v a6="$IP6_A" -v b="$IP_B" \
    '!((($1 == a || $1 == a6) && $2 != 9999) || ($1 == b && $2 == 5060))' "$ITEST_TMP/sniff.log")
[ -z "$stray" ] || fail "the router sent frames elsewhere than the caller and the gateway: $(echo "$stray" | head -n 3)"
total=$(wc -l <"$ITEST_TMP/sniff.log")
assert_ge "UDP frames sent by the router seen on the bridge" "$total" 20
pass "steering, forgery, replay, relay targets and key rotation: $total frames, all to the caller or the gateway"
