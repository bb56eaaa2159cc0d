#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# (d) The exception path: what is not SIP/UDP for the fast path reaches the
# router's kernel through the tap, and the kernel's answers go back out of
# the wire port.
#   - ARP who-has for the router's address: exactly one reply per request,
#     naming the wire port's MAC (the kernel on r0 must stay silent);
#   - ICMP echo to the router: every request answered once, payload intact,
#     also with 1800- and 3000-byte echoes (IP fragments both ways);
#   - ICMP echo from the router's kernel to a host (tap -> wire, and the
#     kernel resolves the host with ARP through the router);
#   - non-SIP UDP and TCP to listeners on the router's address;
#   - SIP keeps working afterwards.
#
# Usage: test_exception.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
itest_init exception "${1:-}"

topo_up
sipline_start --dialplan "$ITEST_PLANS/itest.dialplan"
probe() { # NS ARGS...: run a sipnet.py probe, log its output, fail with it
    local ns=$1 what=$2
    shift 2
    if ! nsx "$ns" "$ITEST_PY" "$ITEST_DIR/sipnet.py" "$@" >"$ITEST_TMP/probe.out" 2>&1; then
        cat "$ITEST_TMP/probe.out" >&2
        fail "$what"
    fi
    sed "s/^/    /" "$ITEST_TMP/probe.out"
}

wire_mac=$(if_mac "$NS_R" r0)
tap_mac=$(if_mac "$NS_R" sl0)
log "wire port r0 $wire_mac, tap sl0 $tap_mac"
assert_eq "the tap's MAC (the kernel must answer ARP with the wire's)" "$tap_mac" "$wire_mac"

log "ARP who-has $IP_R from $NS_A"
ip -n "$NS_A" neigh flush dev a0
probe "$NS_A" "ARP for $IP_R not answered exactly once with $wire_mac" \
    arping --iface a0 --src "$IP_A" --dst "$IP_R" --count 3 --expect-mac "$wire_mac"

log "ICMP echo $NS_A -> $IP_R"
probe "$NS_A" "ping $IP_R failed" ping --dst "$IP_R" --count 5
# Fragmented echoes. Note: af_packet hands the router IP datagrams already
# reassembled by the kernel (PACKET_FANOUT_FLAG_DEFRAG) and cut to the ring's
# frame size (framesz, see ITEST_AF_PACKET_ARGS): past it they arrive truncated.
for size in 1800 3000; do
    log "ICMP echo $NS_A -> $IP_R, $size bytes (IP fragments)"
    probe "$NS_A" "ping $IP_R with $size bytes (two or three IP fragments each way) failed" \
        ping --dst "$IP_R" --count 3 --size "$size"
done

log "ICMP echo from the router's kernel to $IP_B (tap -> wire)"
ip -n "$NS_R" neigh flush dev sl0
probe "$NS_R" "ping from the router to $IP_B failed" ping --dst "$IP_B" --count 3
mac_b=$(if_mac "$NS_B" b0)
ip -n "$NS_R" neigh show "$IP_B" dev sl0 | grep -i "$mac_b" >/dev/null ||
    fail "the router's kernel did not learn $IP_B is-at $mac_b: $(ip -n "$NS_R" neigh show dev sl0)"

log "non-SIP UDP and TCP to listeners on $IP_R"
ip netns exec "$NS_R" "$ITEST_PY" "$ITEST_DIR/sipnet.py" udp-echo-server --bind "$IP_R" \
    --port 7777 >/dev/null 2>&1 &
ITEST_PIDS+=($!)
ip netns exec "$NS_R" "$ITEST_PY" "$ITEST_DIR/sipnet.py" tcp-echo-server --bind "$IP_R" \
    --port "$SIP_PORT" >/dev/null 2>&1 &
ITEST_PIDS+=($!)
wait_for 5 "UDP echo server" nsx "$NS_R" sh -c "ss -Hlun 'src $IP_R:7777' | grep -q ."
wait_for 5 "TCP echo server" nsx "$NS_R" sh -c "ss -Hltn 'src $IP_R:$SIP_PORT' | grep -q ."
probe "$NS_A" "UDP to $IP_R:7777 (not SIP) was not relayed to the kernel and back" \
    udp-echo --src "$IP_A" --dst "$IP_R" --port 7777
probe "$NS_A" "TCP to $IP_R:$SIP_PORT (SIP over TCP is the control plane's) failed" \
    tcp-echo --dst "$IP_R" --port "$SIP_PORT" --size 200000

expect_counter exc_pkts -ge 20
probe "$NS_A" "SIP OPTIONS after the exception traffic" options --src "$IP_A" --dst "$IP_R"
sipline_stop
pass "ARP, ICMP (both ways, fragmented too), UDP and TCP through the exception path"
