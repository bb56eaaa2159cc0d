#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The neighbour table under attack (issue 8, point 4). sipline on a /16, so
# that any of 65,000 on-link addresses is a next hop an attacker can name;
# --relay-in-dialog makes in-dialog BYEs go wherever their Request-URI says.
# A sniffer on the bridge port of the router counts the ARP requests it sends.
#
#  1. The dialplan's gateway (10.77.0.20) is pinned: resolved, managed by the
#     kernel, before any call.
#  2. 1,000 attacker-named next hops (10.77.1.1...) at 100/s into a table of
#     64: ARP requests stay within what --neigh-rate and --neigh-kernel-rate
#     allow (each resolution is at most 3 ARP requests); the table evicts
#     instead of freezing: a new legitimate next hop (a sink on 10.77.0.21)
#     that starts talking mid-flood gets resolved, and once resolved its
#     packets leave from the fast path (exc_neigh_miss does not move).
#  3. After the flood, within the idle time (--neigh-idle 5) plus the
#     kernel's last retries, the table is back to the gateway alone, no
#     attacker-named next hop is managed, and ARP falls to a floor (the
#     gateway's own upkeep).
#  4. SIPp calls through the gateway while a spoofer (in the caller's
#     namespace) sends gratuitous ARPs claiming 10.77.0.20 from another MAC:
#     every call completes, the router never sends a frame to the spoofer's
#     MAC, the gateway keeps its MAC (ours and the kernel's), and the
#     conflict is logged and counted.
#
# Usage: test_neigh.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
itest_init neigh "${1:-}"
NT="$ITEST_DIR/neigh_tools.py"

IDLE=5
RATE=20         # --neigh-rate: route lookups + resolutions per second
KRATE=20        # --neigh-kernel-rate: via-kernel packets per second (one worker)
CAPACITY=64
FLOOD=1000      # attacker-named next hops
FLOOD_RATE=100
LEGIT=10.77.0.21
SPOOF_MAC=02:77:00:00:00:66
R_MAC=02:77:00:00:00:01
B_MAC=02:77:00:00:00:14
CALLS=${ITEST_CALLS:-60}

topo_up
ip -n "$NS_B" addr add "$LEGIT/24" dev b0
sink_start "$NS_B" "$LEGIT" 5070 legit
uas_start "$ITEST_SCEN/uas_gw.xml"

ip netns exec "$NS_SW" "$ITEST_PY" "$NT" sniff --iface pr0 --router-mac "$R_MAC" \
    --watch-mac "$SPOOF_MAC" >"$ITEST_TMP/sniff.log" 2>"$ITEST_TMP/sniff.err" &
ITEST_PIDS+=($!)
wait_for 5 "the ARP sniffer on pr0" grep -q ready "$ITEST_TMP/sniff.err"

sipline_start --addr 10.77.0.1/16 --dialplan "$ITEST_PLANS/itest.dialplan" --relay-in-dialog \
    --neigh-idle "$IDLE" --neigh-capacity "$CAPACITY" --neigh-rate "$RATE" \
    --neigh-kernel-rate "$KRATE"

# neigh IP: "STATE MAC" of a destination (telemetry /sipline/neigh,IP).
neigh() {
    "$ITEST_PY" "$ITEST_DIR/sipnet.py" telemetry --prefix "$DPDK_PREFIX" "/sipline/neigh,$1" |
        awk '$1 == "state" { s = $2 } $1 == "mac" { m = $2 } END { print s, m }'
}
neigh_is() { # IP "STATE [MAC]"
    [ "$(neigh "$1" | sed 's/ *$//')" = "$2" ]
}
managed() { # the kernel neighbours on sl0 flagged managed, one address per line
    ip -n "$NS_R" neigh show dev sl0 | awk '/managed/ { print $1 }'
}
# calc EXPR: floating-point arithmetic (awk).
calc() {
    awk "BEGIN { printf \"%.3f\", $* }"
}
entries_is() { # N: neigh_entries in telemetry
    [ "$(counter neigh_entries)" = "$1" ]
}
# arp_between FROM TO: ARP requests the router sent in [FROM, TO) (epoch seconds).
arp_between() {
    awk -v a="$1" -v b="$2" '$1 == "A" && $2 >= a && $2 < b { n++ } END { print n + 0 }' \
        "$ITEST_TMP/sniff.log"
}
# legit_send N TAG: N in-dialog requests to the legitimate sink, 10 per second.
legit_send() {
    nsx "$NS_A" "$ITEST_PY" "$NT" flood --src "$IP_A" --dst "$IP_R" --first "$LEGIT" \
        --count 1 --rounds "$1" --rate 10 --dport 5070 --tag "$2" >/dev/null
}

# ---- 1: the gateway is pinned, resolved and managed before any traffic ----
wait_for 10 "the gateway $IP_B resolved in the table" neigh_is "$IP_B" "resolved $B_MAC"
expect_counter neigh_pinned -eq 1
wait_for 10 "the gateway's neighbour managed by the kernel" sh -c \
    "ip -n '$NS_R' neigh show dev sl0 '$IP_B' | grep -q managed"
log "gateway $IP_B: $(neigh "$IP_B"), kernel: $(ip -n "$NS_R" neigh show dev sl0 "$IP_B")"

# ---- 2: 1,000 attacker-named next hops into a table of 256 ----
t_flood=$(date +%s.%N)
ip netns exec "$NS_A" "$ITEST_PY" "$NT" flood --src "$IP_A" --dst "$IP_R" --first 10.77.1.1 \
    --count "$FLOOD" --rate "$FLOOD_RATE" --tag flood >"$ITEST_TMP/flood.out" 2>&1 &
flood_pid=$!
ITEST_PIDS+=("$flood_pid")
# A legitimate next hop appears once the table is full of the attacker's.
sleep 3
miss0=$(counter exc_neigh_miss)
# Not legit_send: a function in the background is a subshell, and $! must be the sender.
ip netns exec "$NS_A" "$ITEST_PY" "$NT" flood --src "$IP_A" --dst "$IP_R" --first "$LEGIT" \
    --count 1 --rounds 300 --rate 10 --dport 5070 --tag during >/dev/null &
legit_pid=$!
ITEST_PIDS+=("$legit_pid")
resolved_during=0
while kill -0 "$flood_pid" 2>/dev/null; do
    if neigh_is "$LEGIT" "resolved $B_MAC"; then
        # Still flooding at that moment: resolved despite the flood.
        kill -0 "$flood_pid" 2>/dev/null && resolved_during=1
        break
    fi
    sleep 0.1
done
wait "$flood_pid" || fail "flood sender failed: $(cat "$ITEST_TMP/flood.out")"
t_end=$(date +%s.%N)
# Nothing the attacker named is kept resolved by the kernel (only the gateway is).
others=$(managed | { grep -vx "$IP_B" || true; } | wc -l)
[ "$others" = 0 ] || fail "$others attacker-named next hops managed: $(managed | head -n 5 | paste -sd' ')"
log "flood: $(cat "$ITEST_TMP/flood.out") in $(calc "$t_end - $t_flood") s"
[ "$resolved_during" = 1 ] ||
    fail "the legitimate next hop $LEGIT was not resolved while the flood ran ($(neigh "$LEGIT"))"
log "legitimate next hop $LEGIT resolved during the flood: $(neigh "$LEGIT")"
# Resolved: the next ones leave from the fast path, none through the kernel.
miss1=$(counter exc_neigh_miss)
fwd1=$(lines "$ITEST_TMP/legit.log" "callid after-")
legit_send 20 after
sleep 0.5
miss2=$(counter exc_neigh_miss)
got=$(lines "$ITEST_TMP/legit.log" "callid after-")
# The legitimate next hop stays in use (10 requests a second) until here.
kill "$legit_pid" 2>/dev/null || true
wait "$legit_pid" 2>/dev/null || true
assert_eq "requests to $LEGIT after the flood, received by its sink" "$((got - fwd1))" 20
assert_eq "requests sent via the kernel after the flood (exc_neigh_miss)" "$((miss2 - miss1))" 0
log "legitimate next hop: $(lines "$ITEST_TMP/legit.log" "callid during-") received during" \
    "the flood (via the kernel while unresolved: $((miss1 - miss0)) packets in all), 20 of 20" \
    "after, all from the fast path"
expect_counter neigh_evicted -ge 50
expect_counter neigh_rate_limited -ge 1
entries=$(counter neigh_entries)
[ "$entries" -le "$CAPACITY" ] || fail "neigh_entries $entries > capacity $CAPACITY"

# ARP during the flood: within the budgets (3 requests per resolution at most).
span=$(calc "$t_end - $t_flood + 3")
arp_flood=$(arp_between "$t_flood" "$(calc "$t_end + 3")")
# 3 requests per resolution, resolutions within both budgets (and their bursts).
bound=$(awk "BEGIN { printf \"%d\", 3 * ($RATE + $KRATE) * ($span + 1) }")
log "ARP requests during the flood: $arp_flood in ${span} s (bound $bound: $RATE+$KRATE resolutions/s)"
[ "$arp_flood" -le "$bound" ] || fail "ARP requests during the flood: $arp_flood > $bound"
[ "$arp_flood" -ge 10 ] || fail "ARP requests during the flood: only $arp_flood (is the sniffer working?)"

# ---- 3: back to the gateway alone, ARP at a floor ----
wait_for $((IDLE + 15)) "the table back to the gateway alone" entries_is 1
t_back=$(date +%s.%N)
log "table back to 1 entry $(calc "$t_back - $t_end") s after the flood"
neigh_is "$IP_B" "resolved $B_MAC" || fail "the gateway left the table: $(neigh "$IP_B")"
neigh_is "$LEGIT" "absent" || fail "$LEGIT still in the table: $(neigh "$LEGIT")"
expect_counter neigh_pinned -eq 1
expect_counter neigh_expired -ge 1
assert_eq "kernel neighbours managed (only the gateway)" "$(managed | paste -sd' ')" "$IP_B"
# The kernel's last retries for the flood's addresses end 3 s after their start.
t_quiet=$(calc "$t_end + $IDLE + 3")
wait_s=$(calc "$t_quiet - $(date +%s.%N)")
if awk "BEGIN { exit !($wait_s > 0) }"; then
    sleep "$wait_s"
    t_back=$t_quiet
fi
sleep 5
floor=$(arp_between "$t_back" "$(calc "$t_back + 5")")
log "ARP requests in the 5 s after: $floor"
[ "$floor" -le 3 ] || fail "ARP requests did not fall to a floor: $floor in 5 s after the table emptied"

# ---- 4: a spoofed gateway MAC while calls run ----
# One call first, so the caller's address is resolved (the first responses to
# a new next hop go through the kernel, slower than SIPp's 500 ms timer on a
# busy machine; that is not what this part is about).
uac_run warm "$ITEST_SCEN/uac_fwd.xml" 100 1 1 || true
echo 0 >"$ITEST_TMP/calls.rc"
{ uac_run calls "$ITEST_SCEN/uac_fwd.xml" 100 "$CALLS" 10 || echo "$?" >"$ITEST_TMP/calls.rc"; } &
uac_pid=$!
ITEST_PIDS+=("$uac_pid")
sleep 2
nsx "$NS_A" "$ITEST_PY" "$NT" garp --iface a0 --ip "$IP_B" --mac "$SPOOF_MAC" --count 4 \
    --interval 1 >"$ITEST_TMP/garp.out" 2>&1 || fail "garp: $(cat "$ITEST_TMP/garp.out")"
log "$(cat "$ITEST_TMP/garp.out")"
t_garp=$(date +%s.%N)
wait "$uac_pid" || true
# The gateway got every call: nothing went astray. (SIPp's own verdict is only
# logged: its strict UAS aborts a call on one late retransmission, which a
# machine shared with other test runs produces now and then.)
[ -s "$ITEST_TMP/calls_stat.csv" ] || fail "SIPp calls wrote no statistics: $(tail -n 5 "$ITEST_TMP/calls_out.log")"
ok=$(sipp_stat "$ITEST_TMP/calls_stat.csv" 'SuccessfulCall(C)')
log "SIPp calls: $ok of $CALLS successful (exit $(cat "$ITEST_TMP/calls.rc")), $(sipp_stat "$ITEST_TMP/calls_stat.csv" 'Retransmissions(C)') retransmissions"
[ "$ok" -ge $((CALLS * 9 / 10)) ] || fail "SIPp calls: only $ok of $CALLS successful"
uas_stop
uas_in=$(sipp_stat "$ITEST_TMP/uas_stat.csv" 'IncomingCall(C)')
[ "$uas_in" -ge $((CALLS + 1)) ] ||
    fail "the gateway received $uas_in calls, expected $((CALLS + 1)) (warm-up included)"
# A kernel left with the spoofed MAC would probe it 5 s later (DELAY, then PROBE): wait for that.
wait_s=$(calc "$t_garp + 8 - $(date +%s.%N)")
if awk "BEGIN { exit !($wait_s > 0) }"; then
    sleep "$wait_s"
fi
to_spoofer=$(awk '$1 == "W"' "$ITEST_TMP/sniff.log" | wc -l)
assert_eq "frames the router sent to the spoofer's MAC $SPOOF_MAC" "$to_spoofer" 0
neigh_is "$IP_B" "resolved $B_MAC" || fail "the gateway's MAC moved: $(neigh "$IP_B")"
# The kernel may take a spoofed frame after our correction: it is corrected again.
kernel_mac_is() {
    ip -n "$NS_R" neigh show dev sl0 "$IP_B" | grep "lladdr $1" >/dev/null
}
wait_for 3 "the kernel's neighbour $IP_B back at $B_MAC" kernel_mac_is "$B_MAC"
expect_counter neigh_conflicts -ge 1
expect_counter neigh_verify_probes -ge 1
assert_log "neighbour $IP_B: MAC $B_MAC claimed by $SPOOF_MAC" "the claim is logged"
assert_log "neighbour $IP_B: conflict: claimed by $SPOOF_MAC but $B_MAC still answers" \
    "the conflict is logged"

sipline_stop
pass "$FLOOD attacker next hops: ARP within budget then at a floor, table back to the gateway, evictions keep a new next hop served; a spoofed gateway MAC refused during $CALLS calls"
