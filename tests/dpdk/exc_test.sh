#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Exception path and neighbour table against real kernels, in namespaces:
#
#   ns R (router): test_exc, af_packet on slkw0 <-> | ns S: bridge | <-> ns P: peer
#                  tap slkt (created by dp_exc)     |              | <-> ns G: gateway
#
#   R's tap: 10.201.0.1/24, fd00:5c::1/64, route 10.202.0.0/24 via G (10.201.0.3).
#   P: 10.201.0.2, fd00:5c::2 (02:5c:00:00:00:02). G: 10.201.0.3 (02:5c:00:00:00:03),
#   and 10.202.0.9 behind it.
#
# Checks: "via kernel" UDP to an on-link peer, to a host behind a gateway and over
# IPv6 arrives, and dp_neigh then holds the right next-hop MAC (the peer's, the
# gateway's); only a pinned destination's next hop is kernel-managed, and it
# stops being managed when unpinned; ARP and ICMP echo (v4 and v6) to the
# router's address; a TCP echo through the kernel; a real gateway MAC change
# (gratuitous ARP, old MAC gone) reaches the destinations behind it after the
# verification; a spoofed one (the old MAC still answers) does not, and is a
# conflict; unpinned destinations expire after --idle; the tap goes away on exit.
#
# Usage: exc_test.sh TEST_EXC_BINARY [txq|egress]
#   txq:    the main lcore sends the kernel's frames on its own wire queue (qpairs=2)
#   egress: it hands them to the worker through a ring (qpairs=1), as sipline does
# Exit 77 (skip) only when not root.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (network namespaces, af_packet, tap)"
    exit 77
fi
BIN=$(realpath "$1")
MODE=${2:-txq}
case $MODE in
    txq) QPAIRS=2 MODE_ARGS=() ;;
    egress) QPAIRS=1 MODE_ARGS=(--egress) ;;
    *) echo "FAIL: mode '$MODE' (txq or egress)" >&2; exit 1 ;;
esac
HERE=$(dirname "$(realpath "$0")")
PEER="python3 $HERE/exc_peer.py"

T=$(( $$ % 100000 ))          # unique suffix: concurrent runs do not collide
NR=slkR$T NS=slkS$T NP=slkP$T NG=slkG$T
TAP=slkt$T
R_MAC=02:5c:00:00:00:01 P_MAC=02:5c:00:00:00:02 G_MAC=02:5c:00:00:00:03
G_MAC2=02:5c:00:00:00:13
TMP=$(mktemp -d /tmp/slk-exc.XXXXXX)
PIDS=()
DP_PID=

cleanup() {
    local rc=$?
    set +e
    if [ -n "$DP_PID" ] && kill -0 "$DP_PID" 2>/dev/null; then
        kill "$DP_PID"
        for _ in $(seq 50); do kill -0 "$DP_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$DP_PID" 2>/dev/null
    fi
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for ns in "$NR" "$NS" "$NP" "$NG"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "/var/run/dpdk/slk$T"
    if [ $rc -ne 0 ]; then
        echo "---- test_exc output"; cat "$TMP/out" 2>/dev/null
        echo "---- test_exc stderr"; cat "$TMP/err" 2>/dev/null
    fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# ---- topology
for ns in "$NR" "$NS" "$NP" "$NG"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link add slkbr type bridge mcast_snooping 0
ip link add slkw0$T netns "$NR" address $R_MAC type veth peer name slkw1$T netns "$NS"
ip link add slkp1$T netns "$NP" address $P_MAC type veth peer name slkp0$T netns "$NS"
ip link add slkg1$T netns "$NG" address $G_MAC type veth peer name slkg0$T netns "$NS"
for i in slkw1$T slkp0$T slkg0$T; do
    ip -n "$NS" link set "$i" master slkbr up
done
ip -n "$NS" link set slkbr up

# The router's own veth belongs to DPDK: the kernel there must stay silent
# (no addresses, no IPv6, no ARP answers, drop IP whose reverse path is the tap).
ip netns exec "$NR" sysctl -qw net.ipv6.conf.slkw0$T.disable_ipv6=1 \
    net.ipv4.conf.slkw0$T.arp_ignore=8 net.ipv4.conf.slkw0$T.rp_filter=1
ip -n "$NR" link set slkw0$T up

# Peers: full checksums on the wire (veth would hand af_packet partial ones).
ip netns exec "$NP" sysctl -qw net.ipv6.conf.slkp1$T.accept_dad=0
ip -n "$NP" addr add 10.201.0.2/24 dev slkp1$T
ip -n "$NP" addr add fd00:5c::2/64 dev slkp1$T nodad
ip -n "$NP" link set slkp1$T up
ip netns exec "$NP" ethtool -K slkp1$T tx off >/dev/null
# arp_ignore=1: G must not answer ARP for 10.202.0.9 (on its lo), so only a
# lookup through the gateway can find a MAC for it.
ip netns exec "$NG" sysctl -qw net.ipv6.conf.slkg1$T.disable_ipv6=1 \
    net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.slkg1$T.arp_ignore=1
ip -n "$NG" addr add 10.201.0.3/24 dev slkg1$T
ip -n "$NG" addr add 10.202.0.9/32 dev lo
ip -n "$NG" link set slkg1$T up
ip netns exec "$NG" ethtool -K slkg1$T tx off >/dev/null

# ---- the dataplane side
mkfifo "$TMP/ctl"
exec 3<>"$TMP/ctl"
ip netns exec "$NR" "$BIN" -l 0-1 --no-huge -m 512 --no-pci --file-prefix "slk$T" \
    --vdev "net_af_packet0,iface=slkw0$T,qpairs=$QPAIRS,framecnt=2048,blocksz=65536" \
    -- --tap "$TAP" --addr4 10.201.0.1/24 --addr6 fd00:5c::1/64 --idle 5 "${MODE_ARGS[@]}" \
    <"$TMP/ctl" >"$TMP/out" 2>"$TMP/err" &
DP_PID=$!

# wait_line PATTERN SECONDS: until the dataplane prints a matching line
wait_line() {
    local end=$(( $(date +%s) + $2 ))
    while ! grep -qE "$1" "$TMP/out"; do
        kill -0 "$DP_PID" 2>/dev/null || die "test_exc exited while waiting for '$1'"
        [ "$(date +%s)" -lt "$end" ] || die "timeout waiting for '$1'"
        sleep 0.05
    done
}
N=0
A=
# cmd VERB ARGS...: run a command; its answer lines (tag stripped) in $A
cmd() {
    N=$((N + 1))
    echo "c$N $*" >&3
    wait_line "^c$N done" 20
    A=$(grep "^c$N " "$TMP/out" | grep -v "^c$N done" | sed "s/^c$N //")
}
# ready FILE...: helpers are listening (each creates its file once bound)
ready() {
    for f in "$@"; do
        for _ in $(seq 100); do [ -f "$f" ] && break; sleep 0.05; done
        [ -f "$f" ] || die "helper not listening after 5 s ($f)"
    done
}
# received FILE TEXT WHAT: a udprecv listener wrote TEXT to FILE within 5 s
received() {
    for _ in $(seq 50); do [ -f "$1" ] && break; sleep 0.1; done
    if [ "$(cat "$1" 2>/dev/null)" != "$2" ]; then
        cmd stats
        die "$3 did not get the datagram ($A)"
    fi
    ok "$3 received the via-kernel datagram"
}
expect() { # expect PATTERN WHAT: in the last answer
    echo "$A" | grep -E "$1" >/dev/null || die "$2: got '$A'"
    ok "$2"
}

wait_line '^ready ' 30
ip -n "$NR" link show "$TAP" >/dev/null || die "tap $TAP missing in $NR"
tap_mac=$(ip netns exec "$NR" cat "/sys/class/net/$TAP/address")
[ "$tap_mac" = "$R_MAC" ] || die "tap MAC $tap_mac, expected the wire's $R_MAC"
ok "tap $TAP up in $NR with the wire's MAC"
ip -n "$NR" route add 10.202.0.0/24 via 10.201.0.3

# 1. via kernel to an on-link peer nobody has talked to yet: the kernel ARPs
#    through the tap and the wire, delivers, and dp_neigh learns the MAC.
ip netns exec "$NP" $PEER udprecv 10.201.0.2 9999 "$TMP/p.udp" & PIDS+=($!)
ip netns exec "$NG" $PEER udprecv 10.202.0.9 9999 "$TMP/g.udp" & PIDS+=($!)
ip netns exec "$NP" $PEER udprecv fd00:5c::2 9998 "$TMP/p6.udp" & PIDS+=($!)
ready "$TMP/p.udp.ready" "$TMP/g.udp.ready" "$TMP/p6.udp.ready"
cmd via 10.201.0.1 10.201.0.2 5060 9999 via-kernel-to-peer
expect "before 10.201.0.2 none" "no MAC for the peer before any traffic"
expect "sent 10.201.0.2" "via-kernel packet queued"
cmd wait 10.201.0.2 5000
expect "neigh 10.201.0.2 $P_MAC" "dp_neigh learnt the peer's MAC ($P_MAC)"
received "$TMP/p.udp" via-kernel-to-peer "peer"

# 2. behind a gateway: the table must hold the gateway's MAC, not the peer's.
cmd via 10.201.0.1 10.202.0.9 5060 9999 via-kernel-to-gw
expect "before 10.202.0.9 none" "no MAC for the remote host before"
cmd wait 10.202.0.9 5000
expect "neigh 10.202.0.9 $G_MAC" "remote host resolves to the gateway's MAC ($G_MAC)"
received "$TMP/g.udp" via-kernel-to-gw "gateway host"

# The fast path uses next hops the kernel no longer sees traffic for: dp_neigh
# has the kernel keep them resolved (managed neighbours), but only when
# something justifies it (here a pin, as the dialplan's gateways get): any
# address an attacker names would otherwise be ARPed for ever.
if ip -n "$NR" neigh show dev "$TAP" | grep managed >/dev/null; then
    die "a next hop nobody pinned is managed: $(ip -n "$NR" neigh show dev "$TAP")"
fi
ok "unpinned next hops are not kernel-managed"
cmd pin 10.202.0.9
expect "pinned 10.202.0.9 0" "10.202.0.9 pinned"
for _ in $(seq 50); do
    ip -n "$NR" neigh show dev "$TAP" 10.201.0.3 | grep managed >/dev/null && break
    sleep 0.1
done
ip -n "$NR" neigh show dev "$TAP" 10.201.0.3 | grep managed >/dev/null ||
    die "pinned destination's gateway not managed: $(ip -n "$NR" neigh show dev "$TAP")"
ok "the pinned destination's gateway neighbour is kernel-managed"

# 3. IPv6 via kernel (neighbour discovery through the tap).
cmd via fd00:5c::1 fd00:5c::2 5060 9998 via-kernel-v6
expect "sent fd00:5c::2" "IPv6 via-kernel packet queued"
cmd wait fd00:5c::2 5000
expect "neigh fd00:5c::2 $P_MAC" "dp_neigh learnt the peer's MAC over ND"
received "$TMP/p6.udp" via-kernel-v6 "peer"

cmd stats
expect "neigh count=3 " "three destinations in the table"

# No DAD on the tap: no address waits (or fails) as tentative.
if ip -n "$NR" -6 addr show dev "$TAP" | grep tentative >/dev/null; then
    die "tentative IPv6 address on $TAP: $(ip -n "$NR" -6 addr show dev "$TAP")"
fi
ok "IPv6 addresses on $TAP usable at once (no DAD)"

# 4. ARP, ping and ping6 to the router's address, answered by the kernel behind the tap.
ip netns exec "$NP" ip neigh flush dev slkp1$T
ip netns exec "$NP" $PEER arping slkp1$T 10.201.0.2 10.201.0.1 $R_MAC || die "ARP"
ok "ARP: 10.201.0.1 is-at $R_MAC"
ip netns exec "$NP" $PEER ping 10.201.0.1 || die "ICMP echo"
ok "ICMP echo to 10.201.0.1"
ip netns exec "$NP" $PEER ping6 fd00:5c::1 || die "ICMPv6 echo"
ok "ICMPv6 echo to fd00:5c::1"

# 5. TCP to a kernel listener on the router's address (control-plane style).
ip netns exec "$NR" $PEER tcpserve 10.201.0.1 7070 "$TMP/tcp.ready" & PIDS+=($!)
ready "$TMP/tcp.ready"
ip netns exec "$NP" $PEER tcpcheck 10.201.0.1 7070 200000 || die "TCP echo"
ok "TCP: 200000 bytes echoed through the exception path"

# 6. A spoofed gratuitous ARP: P claims the (pinned, hence guarded) gateway's
#    address. The old MAC is probed and answers: the claim is refused.
ip netns exec "$NP" $PEER garp slkp1$T 10.201.0.3 >/dev/null
cmd wait 10.202.0.9 2500 $P_MAC
expect "neigh 10.202.0.9 $G_MAC\$" "spoofed gratuitous ARP for the gateway refused"
cmd stats
expect "conflicts=[1-9]" "the spoofed claim is counted as a conflict"
expect "verify_probes=[1-9]" "the old MAC was probed"
# The kernel's own entry is corrected too (it took the spoofed frame).
for _ in $(seq 30); do
    ip -n "$NR" neigh show dev "$TAP" 10.201.0.3 | grep "lladdr $G_MAC .*managed" >/dev/null && break
    sleep 0.1
done
ip -n "$NR" neigh show dev "$TAP" 10.201.0.3 | grep "lladdr $G_MAC .*managed" >/dev/null ||
    die "kernel neighbour not restored: $(ip -n "$NR" neigh show dev "$TAP" 10.201.0.3)"
ok "the kernel's neighbour entry is back at $G_MAC, still managed"

# 7. The gateway's MAC really changes (its old MAC is gone): after the old MAC
#    stays silent for a second, destinations behind it follow.
ip -n "$NG" link set slkg1$T address $G_MAC2
ip netns exec "$NG" $PEER garp slkg1$T 10.201.0.3 >/dev/null
cmd wait 10.202.0.9 5000 $G_MAC2
expect "neigh 10.202.0.9 $G_MAC2" "gateway MAC change reached 10.202.0.9"

cmd stats
echo "$A" | sed 's/^/    /'
expect "via_kernel=3 " "three packets sent via the kernel"
expect "exc .*drops=0 " "no exception-path drops"
expect "punt_drops=0" "no punt drops"
expect " pinned=1 " "one destination pinned"
expect "mac_changes=[1-9]" "the gateway's MAC change counted"

# The kernel loses the gateway's entry (flushed): a pinned next hop is
# created and resolved again at once, and keeps its MAC.
ip -n "$NR" neigh del 10.201.0.3 dev "$TAP"
for _ in $(seq 50); do
    ip -n "$NR" neigh show dev "$TAP" 10.201.0.3 | grep "lladdr $G_MAC2 .*managed" >/dev/null && break
    sleep 0.1
done
ip -n "$NR" neigh show dev "$TAP" 10.201.0.3 | grep "lladdr $G_MAC2 .*managed" >/dev/null ||
    die "gateway entry not re-created: $(ip -n "$NR" neigh show dev "$TAP" 10.201.0.3)"
cmd wait 10.202.0.9 3000 $G_MAC2
expect "neigh 10.202.0.9 $G_MAC2" "deleted gateway entry re-created, managed, same MAC"

# 8. Unpinned, the gateway is no longer managed; unused destinations expire
#    (--idle 5): the peers long ago, the gateway 5 s after its unpinning.
cmd unpin 10.202.0.9
expect "unpinned 10.202.0.9 0" "10.202.0.9 unpinned"
for _ in $(seq 50); do
    ip -n "$NR" neigh show dev "$TAP" 10.201.0.3 | grep managed >/dev/null || break
    sleep 0.1
done
if ip -n "$NR" neigh show dev "$TAP" 10.201.0.3 | grep managed >/dev/null; then
    die "gateway still managed once unpinned: $(ip -n "$NR" neigh show dev "$TAP")"
fi
ok "unpinned gateway no longer kernel-managed"
for _ in $(seq 150); do
    cmd stats
    echo "$A" | grep "neigh count=0 " >/dev/null && break
    sleep 0.1
done
expect "neigh count=0 " "every unused destination expired"
expect "expired=3 " "three destinations expired"

# 9. Orderly exit: the tap disappears with the port.
echo "q quit" >&3
wait "$DP_PID" || die "test_exc exit status $?"
DP_PID=
if ip -n "$NR" link show "$TAP" >/dev/null 2>&1; then
    die "tap $TAP still exists after dp_exc_destroy"
fi
ok "tap removed on exit"
echo "PASS"
