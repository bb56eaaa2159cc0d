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

# ---- whole trains: each reassembled once and answered ----
send in-order 3000 302
send reversed 3000 302
send duplicated 3000 302
expect_counter frag_rx -eq 12
expect_counter frag_reassembled -eq 3
expect_counter drop_frag_duplicate -eq 3
expect_counter act_redirect -ge 3
expect_counter frag_held -eq 0

# ---- refused trains: no reply, counted, nothing left behind ----
# Three fragments and one over the first two (offset 1000, 512 bytes): all four refused.
send overlap 3000 none 1
expect_counter drop_frag_overlap -eq 4
# The first 1480 bytes as 64-byte fragments (24, all refused); the other two
# wait for a first fragment that never comes, then expire.
send tiny 3000 none 1
expect_counter drop_frag_tiny -eq 24
send incomplete 3000 none 1
expect_counter frag_reassembled -eq 3
wait_for 5 "frag_held back to 0 after --frag-timeout" held_zero
expect_counter drop_frag_timeout -eq 4
expect_counter drop_frag_table_full -eq 0

# ---- larger than the buffer: 513, not silence ----
send in-order 8000 513
expect_counter act_too_large -eq 1
expect_counter frag_reassembled -eq 4
expect_counter frag_held -eq 0

sipline_stop
pass "3 KB INVITE in order, reversed, duplicated: 302; overlap, tiny, incomplete refused (no entry left); 8 KB: 513"
