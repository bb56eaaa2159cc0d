#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The other virtual port types: the same router on net_pcap, net_memif,
# net_tap and net_ring wire ports (the other tests use af_packet).
#
#  1. net_pcap: a capture of 18 frames (vport_pcap.py: redirect, forward,
#     reject, no route, OPTIONS, Max-Forwards 0, SIP/3.0, garbage, a foreign
#     response, another MAC, a bad IP checksum, our own source address, a
#     fragment, a bad UDP checksum, no UDP checksum (IPv4: allowed), OPTIONS
#     over IPv6, a zero UDP checksum over IPv6 (forbidden), the IPv4-mapped
#     form of our address as an IPv6 source) replayed into the wire port;
#     what the router transmits is written to another capture and checked
#     frame by frame: the 9 expected frames, exactly once, well formed
#     (MACs, IP and UDP checksums), nothing for the 9 others.
#     No exception path: next hops are static (--neighbor).
#  2. net_memif: sipline is the memif server; DPDK's testpmd is the client
#     and relays between the memif and a net_pcap port (io forwarding), so
#     the same capture goes through shared-memory rings and is checked the
#     same way.
#  3. net_tap: the wire is a tap whose kernel side is bridged to the test
#     topology; ping the router (exception path) and place SIPp calls
#     through it (302 and forward).
#  4. net_ring: a ring port (what the pipeline benchmark drives at full
#     speed) starts, reports itself and stops cleanly.
#
# Usage: test_vports.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
. "$ITEST_DIR/lib_extra.sh"
itest_init vports "${1:-}"
command -v dpdk-testpmd >/dev/null ||
    fail "missing dpdk-testpmd (Debian package dpdk; scripts/setup.sh installs it)"
VP="$ITEST_DIR/vport_pcap.py"
MAC_A=02:77:00:00:00:0a
MAC_B=02:77:00:00:00:14
IP6_R=fd00:77::1 # the capture's IPv6 frames (vport_pcap.py) are addressed to it
# A peer that dies must fail the test where it is written to, not kill it.
trap '' PIPE

# received_all N: the router has taken N frames off the wire.
received_all() {
    [ "$(counter rx_pkts)" -ge "$1" ]
}

# check_capture TAG FILE MAC: vport_pcap.py check, its report in the log.
check_capture() {
    local tag=$1 file=$2 mac=$3
    if ! "$ITEST_PY" "$VP" check --in "$file" --router-mac "$mac" >"$ITEST_TMP/${tag}_check.log" 2>&1; then
        cat "$ITEST_TMP/${tag}_check.log" >&2
        fail "$tag: the router's output does not match (vport_pcap.py check)"
    fi
    log "$tag: $(tail -n 1 "$ITEST_TMP/${tag}_check.log")"
}

# The counters every replay of the capture must leave (18 frames: 9 answered
# or forwarded, the rest dropped each for its own reason).
expect_replay_counters() {
    expect_counter rx_pkts -eq 18
    expect_counter tx_pkts -eq 9
    expect_counter act_redirect -eq 2
    expect_counter act_forward -eq 1
    expect_counter act_reject -eq 1
    expect_counter act_no_route -eq 1
    expect_counter act_options_reply -eq 2
    expect_counter act_error_reply -eq 2
    expect_counter drop_bad_request_silent -eq 1
    expect_counter drop_response_not_ours -eq 1
    expect_counter drop_l2 -eq 1
    expect_counter drop_l3 -eq 1
    expect_counter drop_l4 -eq 0
    # The first fragment is held for reassembly (no second one comes: it times out).
    expect_counter frag_rx -eq 1
    expect_counter drop_no_exception -eq 0
    expect_counter drop_martian -eq 2
    expect_counter drop_udp_checksum -eq 2
}

# Parts 1, 2 and 4 need no network: their own empty namespace.
NS_OFF="slo-$ITEST_ID"
itest_add_ns "$NS_OFF"

# ---- 1: net_pcap ----
# net_pcap gives its first port the MAC 02:70:63:61:70:00 ("\x02pcap" + 0);
# the capture is written for it, and the start-up line must agree.
PCAP_MAC=02:70:63:61:70:00
"$ITEST_PY" "$VP" gen --out "$ITEST_TMP/pcap_in.pcap" --router-mac "$PCAP_MAC" >/dev/null
sipline_offline "net_pcap0,rx_pcap=$ITEST_TMP/pcap_in.pcap,tx_pcap=$ITEST_TMP/pcap_out.pcap"
assert_eq "net_pcap wire MAC" "$(wire_mac)" "$PCAP_MAC"
wait_for 10 "sipline to read the 18 frames of the capture" received_all 18
expect_replay_counters
sipline_stop # closing the port flushes the output capture
check_capture pcap "$ITEST_TMP/pcap_out.pcap" "$PCAP_MAC"

# ---- 2: net_memif, testpmd relaying a capture ----
MEMIF_MAC=02:77:00:00:00:01
MEMIF_SOCK="$ITEST_TMP/memif.sock"
"$ITEST_PY" "$VP" gen --out "$ITEST_TMP/memif_in.pcap" --router-mac "$MEMIF_MAC" >/dev/null
sipline_offline "net_memif0,role=server,socket=$MEMIF_SOCK,mac=$MEMIF_MAC"
assert_eq "net_memif wire MAC" "$(wire_mac)" "$MEMIF_MAC"

# testpmd, interactive, its commands through a FIFO: it starts forwarding
# only once the memif is connected (a capture read before would be lost),
# and --no-flush-rx keeps "start" from draining the capture first.
mkfifo "$ITEST_TMP/testpmd.fifo"
# In sipline's namespace: memif's control socket is abstract by default, and
# abstract sockets belong to a network namespace.
PEER_PREFIX="$DPDK_PREFIX-peer"
ip netns exec "$NS_OFF" dpdk-testpmd --no-huge -m 512 --no-pci --file-prefix "$PEER_PREFIX" -l 0-1 \
    --vdev "net_memif0,role=client,socket=$MEMIF_SOCK" \
    --vdev "net_pcap0,rx_pcap=$ITEST_TMP/memif_in.pcap,tx_pcap=$ITEST_TMP/memif_out.pcap" \
    -- -i --forward-mode=io --total-num-mbufs=8192 --no-flush-rx \
    <"$ITEST_TMP/testpmd.fifo" >"$ITEST_TMP/testpmd.log" 2>&1 &
PEER_PID=$!
ITEST_PIDS+=("$PEER_PID")
exec 9>"$ITEST_TMP/testpmd.fifo"
memif_up() {
    telemetry_json "/ethdev/link_status,0" | grep '"status": *"UP"' >/dev/null
}
wait_for 20 "the memif connection (sipline's wire port link up)" memif_up
log "memif connected; testpmd (pid $PEER_PID) relays the capture"
echo start >&9 || fail "testpmd (pid $PEER_PID) is gone: $(tail -n 5 "$ITEST_TMP/testpmd.log")"
wait_for 10 "sipline to receive the 18 frames through the memif" received_all 18
peer_sent_all() { # testpmd wrote the router's 9 frames to its capture port (1)
    "$ITEST_PY" "$ITEST_DIR/sipnet.py" telemetry --prefix "$PEER_PREFIX" "/ethdev/stats,1" |
        awk '$1 == "opackets" { exit !($2 >= 9) }'
}
wait_for 10 "testpmd to relay the router's 9 frames" peer_sent_all
expect_replay_counters
# The client stops forwarding, the router (the memif server) stops, then the
# client quits: Debian's DPDK 22.11 memif server can crash when its client
# leaves while a worker polls (docs/benchmarking.md "memif on DPDK 22.11").
echo stop >&9 || fail "testpmd (pid $PEER_PID) is gone before stop"
# Its output to the log is buffered: no line to wait for. Stopping takes
# milliseconds; a second is ample.
sleep 1
sipline_stop
echo quit >&9 || fail "testpmd (pid $PEER_PID) is gone before quit"
exec 9>&-
peer_gone() { ! kill -0 "$PEER_PID" 2>/dev/null; }
wait_for 15 "testpmd to quit" peer_gone
wait "$PEER_PID" || fail "testpmd exited with status $?: $(tail -n 5 "$ITEST_TMP/testpmd.log")"
check_capture memif "$ITEST_TMP/memif_out.pcap" "$MEMIF_MAC"

# ---- 3: net_tap wire, bridged to the topology ----
# The tap's kernel side w0 joins r0 in a bridge: frames from the hosts reach
# the wire port through it. The kernel gives w0 the port's MAC; w0 gets
# another one so that the bridge forwards frames for the router to w0
# instead of keeping them (a bridge port's own address is local).
topo_up
TAP_MAC=02:77:00:00:00:02
bridge_tap() {
    nsx "$NS_R" sysctl -qw net.ipv6.conf.w0.disable_ipv6=1
    ip -n "$NS_R" link set w0 address 02:77:00:00:00:7e
    ip -n "$NS_R" link add brw type bridge
    nsx "$NS_R" sysctl -qw net.ipv6.conf.brw.disable_ipv6=1
    ip -n "$NS_R" link set r0 master brw
    ip -n "$NS_R" link set w0 master brw
    ip -n "$NS_R" link set w0 up
    ip -n "$NS_R" link set brw up
}
uas_start "$ITEST_SCEN/uas_gw.xml"
ITEST_WIRE_VDEV="net_tap0,iface=w0,mac=$TAP_MAC" ITEST_AFTER_TAP=bridge_tap \
    sipline_start --dialplan "$ITEST_PLANS/itest.dialplan" --record-route
assert_eq "net_tap wire MAC" "$(wire_mac)" "$TAP_MAC"
assert_log '^sipline: wire port 0 \(net_tap\)' "the wire is the net_tap port"
# net_tap offers IPv4 and UDP checksum offloads: the calls below then pass
# only if the pseudo-header sums and flags sipline leaves to the port are
# right (the kernel drops a datagram whose UDP checksum is wrong).
assert_log '^sipline: wire port 0 \(net_tap\).*TX checksum offload ipv4\+udp' \
    "net_tap does the IPv4 and UDP checksums"
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" ping --dst "$IP_R" --count 3 \
    >"$ITEST_TMP/tap_ping.log" 2>&1 || fail "ping $IP_R over the tap wire: $(tail -n 3 "$ITEST_TMP/tap_ping.log")"
log "ping over the tap wire: $(tail -n 1 "$ITEST_TMP/tap_ping.log")"
rc=0
uac_run tap302 "$ITEST_SCEN/uac_302.xml" 302 10 10 || rc=$?
uac_expect_all_ok tap302 10 "$rc"
rc=0
uac_run tapfwd "$ITEST_SCEN/uac_fwd.xml" 100 10 10 || rc=$?
uac_expect_all_ok tapfwd 10 "$rc"
expect_counter act_redirect -ge 10
expect_counter act_ack_absorbed -eq 10
expect_counter act_forward -ge 10
expect_counter act_response_fwd -ge 30
sipline_stop
uas_stop

# ---- 4: net_ring ----
sipline_offline "net_ring0"
assert_log '^sipline: wire port 0 \(net_ring\)' "the wire is the net_ring port"
# net_ring has no MAC of its own: the router makes up a locally administered one.
assert_log '^sipline: port 0 has no MAC address; using ' "a MAC made up for net_ring"
case $(wire_mac) in
[0-9a-f][26ae]:*) [ "$(wire_mac)" != 02:00:00:00:00:00 ] || fail "net_ring MAC $(wire_mac)" ;;
*) fail "net_ring: MAC '$(wire_mac)' is not a locally administered unicast address" ;;
esac
expect_counter dialplan_version -eq 1
sipline_stop

pass "net_pcap, net_memif, net_tap and net_ring wire ports"
