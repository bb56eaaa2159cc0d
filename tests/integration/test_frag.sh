#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# IPv4 fragments reassembled by the dataplane (dataplane/dp_reasm.c): a
# 3000-byte INVITE to a 302x number sent as three fragments in order,
# reversed and with every fragment twice must each get the dialplan's 302;
# overlapping, tiny and never-completed trains get nothing, each moves its
# drop counter, and once --frag-timeout has passed no fragment is held
# (frag_held 0: no table entry leaked). An 8000-byte INVITE (larger than
# the dataplane's 4 KiB buffer, six fragments) gets 513.
#
# The wire is net_pcap on r0, not af_packet: the af_packet PMD joins a
# fanout group with PACKET_FANOUT_FLAG_DEFRAG, so the kernel would
# reassemble before the dataplane saw a fragment.
#
# Usage: test_frag.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
itest_init frag "${1:-}"
TIMEOUT_MS=400

topo_up
ITEST_WIRE_VDEV="net_pcap0,iface=r0" sipline_start --dialplan "$ITEST_PLANS/itest.dialplan" \
    --frag-timeout "$TIMEOUT_MS"
expect_counter frag_reassembled -eq 0

# send TRAIN SIZE EXPECT: one INVITE as a fragment train from $NS_A.
send() {
    local out
    out=$(nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/fragtool.py" send --src "$IP_A" --dst "$IP_R" \
        --port "$SIP_PORT" --train "$1" --size "$2" --expect "$3" --timeout "${4:-2}" 2>&1) ||
        fail "$1 train of a $2-byte INVITE: expected ${3}; got: $out"
    log "$out"
}
held_zero() { [ "$(counter frag_held)" = 0 ]; }
# expect NAME=VALUE...: exact values, from one telemetry read.
expect() {
    local stats kv got
    stats=$(sipline_stats) || fail "cannot read telemetry /sipline/stats"
    for kv in "$@"; do
        got=$(printf '%s\n' "$stats" | awk -v n="${kv%%=*}" '$1 == n { print $2; f = 1 } END { exit !f }') ||
            fail "telemetry /sipline/stats has no counter '${kv%%=*}'"
        [ "$got" = "${kv#*=}" ] || fail "counter ${kv%%=*} = $got, expected ${kv#*=}"
    done
    log "counters: $*"
}

# ---- whole trains: each reassembled once and answered ----
send in-order 3000 302
send reversed 3000 302
send duplicated 3000 302
expect frag_rx=12 frag_reassembled=3 drop_frag_duplicate=3 act_redirect=3 frag_held=0

# ---- refused trains: no reply, counted, nothing left behind ----
# Three fragments and one over the first two (offset 1000, 512 bytes): all four refused.
send overlap 3000 none 1
expect drop_frag_overlap=4
# The first 1480 bytes as 64-byte fragments (24, all refused); the other two
# wait for a first fragment that never comes, then expire.
send tiny 3000 none 1
expect drop_frag_tiny=24
send incomplete 3000 none 1
expect frag_reassembled=3
wait_for 5 "frag_held back to 0 after --frag-timeout" held_zero
expect drop_frag_timeout=4 drop_frag_table_full=0

# ---- larger than the buffer: 513, not silence ----
send in-order 8000 513
expect act_too_large=1 frag_reassembled=4 frag_held=0

sipline_stop

# ---- --spread callid: the dispatcher reassembles, workers get whole frames ----
# net_pcap has one queue pair; a net_tap wire (bridged to r0, as in
# test_vports.sh) has as many as the lcores need (dispatcher + worker).
bridge_tap() {
    nsx "$NS_R" sysctl -qw net.ipv6.conf.w0.disable_ipv6=1
    # No netfilter on this bridge: it could reassemble what the router must see.
    nsx "$NS_R" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true
    ip -n "$NS_R" link set w0 address 02:77:00:00:00:7e
    ip -n "$NS_R" link add brw type bridge
    nsx "$NS_R" sysctl -qw net.ipv6.conf.brw.disable_ipv6=1
    ip -n "$NS_R" link set r0 master brw
    ip -n "$NS_R" link set w0 master brw
    ip -n "$NS_R" link set w0 up
    ip -n "$NS_R" link set brw up
}
ITEST_EAL_CORES="--lcores 0@0,1@1,2@1" ITEST_WIRE_VDEV="net_tap0,iface=w0,mac=02:77:00:00:00:02" \
    ITEST_AFTER_TAP=bridge_tap sipline_start --dialplan "$ITEST_PLANS/itest.dialplan" \
    --spread callid --frag-timeout "$TIMEOUT_MS"
send reversed 3000 302
send duplicated 3000 302
send in-order 8000 513
expect frag_reassembled=3 drop_frag_duplicate=3 act_too_large=1
send incomplete 3000 none 1
wait_for 5 "frag_held back to 0 (spread)" held_zero
expect drop_frag_timeout=2
sipline_stop
pass "3 KB INVITE in order, reversed, duplicated: 302; overlap, tiny, incomplete refused (no entry left); 8 KB: 513; the same through a --spread callid dispatcher"
