#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# IPv6: the router has --addr 10.77.0.1/24 and --addr fd00:77::1/64; the
# caller and the gateway host get fd00:77::10 and fd00:77::20 (nodad) on the
# same wire.
#   - neighbour discovery and ICMPv6 echo to fd00:77::1 through the
#     exception path (the tap has the address; NS/NA and echoes cross it);
#   - OPTIONS sip:[fd00:77::1] answered 200;
#   - INVITE to 302x answered 302 with the caller's Via carrying received and
#     rport; the ACK (INVITE's branch, the 302's To-tag) is absorbed; then 20
#     SIPp calls over IPv6 (uac6_302.xml);
#   - forward to the IPv6 gateway [fd00:77::20]: the request arrives with the
#     Request-URI rewritten to the gateway and our Via [fd00:77::1] on top;
#     20 whole SIPp calls over IPv6 through the router (uac6_fwd.xml,
#     uas6_gw.xml: Via handling on every message);
#   - a location binding (pushed with sipline-link) with an IPv6 next hop,
#     given as ADDR and as [ADDR]:PORT;
#   - across families: an IPv4 caller's INVITE forwarded to the IPv6 gateway
#     carries our IPv6 Via (the gateway answers it), and the answer comes
#     back to the caller over IPv4.
#
# Usage: test_ipv6.sh PATH_TO_SIPLINE [PATH_TO_SIPLINE_LINK]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
itest_init ipv6 "${1:-}"
link_init "${2:-}"
ROUTER_BUGS=()
IP6_R=fd00:77::1
IP6_A=fd00:77::10
IP6_B=fd00:77::20
PLAN="$ITEST_PLANS/ipv6.dialplan"
VIA6='SIP/2\.0/UDP \[fd00:77::1\](:5060)?;branch=z9hG4bK'

# shellcheck disable=SC2317 # called through wait_for
tap_has_v6() {
    ip -n "$NS_R" -6 addr show dev sl0 | grep "inet6 $IP6_R/64" | grep -vq tentative
}
# shellcheck disable=SC2317
sink_has() { grep -Eq -- "$2" "$ITEST_TMP/$1.log"; }
# req6 WHAT ARGS...: itools.py request from the IPv6 caller; output in $ITEST_TMP/req.out.
req() {
    local what=$1
    shift
    nsx "$NS_A" "$ITEST_PY" "$ITOOLS" request "$@" >"$ITEST_TMP/req.out" 2>&1 ||
        fail "$what: $(head -n 12 "$ITEST_TMP/req.out")"
    log "$what: $(head -n 1 "$ITEST_TMP/req.out")"
}
# uac6_run: lib.sh's uac_run with the IPv6 addresses (SIPp -i and [remote]),
# changed in a subshell only.
# shellcheck disable=SC2030,SC2031
uac6_run() {
    (
        IP_R="[$IP6_R]"
        IP_A=$IP6_A
        uac_run "$@"
    )
}

topo_up
v6_host "$NS_A" a0 "$IP6_A/64"
v6_host "$NS_B" b0 "$IP6_B/64"
uas_start_at "$NS_B" "$IP6_B" 5060 uas6 "$ITEST_SCEN/uas6_gw.xml"
UAS6=$LAST_UAS_PID
sink_start "$NS_B" "$IP6_B" 5070 sink6
sink_start "$NS_B" "$IP6_B" 5072 ans6 --answer 486
sipline_start --dialplan "$PLAN" --addr "$IP6_R/64" --record-route
wait_for 10 "$IP6_R/64 on the tap sl0 (not tentative)" tap_has_v6

# ---- 1: neighbour discovery and ICMPv6 echo through the exception path ----
ip -n "$NS_A" -6 neigh flush dev a0
exc0=$(counter exc_pkts)
nsx "$NS_A" "$ITEST_PY" "$ITOOLS" ping6 --dst "$IP6_R" --count 5 >"$ITEST_TMP/ping6.out" 2>&1 ||
    fail "ICMPv6 echo to $IP6_R: $(tr '\n' ' ' <"$ITEST_TMP/ping6.out")"
log "ping6 $IP6_R: $(tail -n 1 "$ITEST_TMP/ping6.out")"
wire_mac=$(if_mac "$NS_R" r0)
ip -n "$NS_A" -6 neigh show "$IP6_R" dev a0 | grep -i "lladdr $wire_mac" >/dev/null ||
    fail "the caller did not resolve $IP6_R to the wire MAC $wire_mac: $(ip -n "$NS_A" -6 neigh show dev a0)"
ip -n "$NS_R" -6 neigh show "$IP6_A" dev sl0 | grep -i "lladdr $(if_mac "$NS_A" a0)" >/dev/null ||
    fail "the router's kernel did not learn $IP6_A: $(ip -n "$NS_R" -6 neigh show dev sl0)"
expect_counter exc_pkts -ge $((exc0 + 6)) # the caller's NS and five echoes at least

# ---- 2: OPTIONS to the router ----
opt0=$(counter act_options_reply)
req "OPTIONS sip:[$IP6_R]:5060" --src "$IP6_A" --dst "$IP6_R" --method OPTIONS \
    --ruri "sip:[$IP6_R]:5060" --expect 200
expect_counter act_options_reply -eq $((opt0 + 1))

# ---- 3: redirect, ACK absorbed ----
ack0=$(counter act_ack_absorbed)
req "INVITE sip:3021@[$IP6_R] (ACK sent)" --src "$IP6_A" --dst "$IP6_R" \
    --ruri "sip:3021@[$IP6_R]" --expect 302 --ack
via=$(grep -m1 -i '^Via:' "$ITEST_TMP/req.out")
printf '%s\n' "$via" | grep -Eq "^Via: SIP/2\.0/UDP \[$IP6_A\]:([0-9]+);branch=[^;]+;(rport=[0-9]+;received=\[?$IP6_A\]?|received=\[?$IP6_A\]?;rport=[0-9]+)\s*$" ||
    fail "302 over IPv6: the caller's Via lacks received/rport or has more: '$via'"
grep -q '^Contact: <sip:+4930111@gw1.example.net>' "$ITEST_TMP/req.out" ||
    fail "302 over IPv6: no Contact <sip:+4930111@gw1.example.net>: $(cat "$ITEST_TMP/req.out")"
log "302 Via: $via"
expect_counter act_ack_absorbed -eq $((ack0 + 1))
rc=0
uac6_run r302v6 "$ITEST_SCEN/uac6_302.xml" 302 20 20 || rc=$?
uac_expect_all_ok r302v6 20 "$rc"
expect_counter act_ack_absorbed -eq $((ack0 + 21))

# ---- 4: forward to the IPv6 gateway ----
req "INVITE sip:2001@[$IP6_R] to the IPv6 sink" --src "$IP6_A" --dst "$IP6_R" \
    --ruri "sip:2001@[$IP6_R]" --callid v6-sink --expect none --tries 1 --timeout 0.3
wait_for 5 "the INVITE at [$IP6_B]:5070 with our Via [$IP6_R]" sink_has sink6 \
    "callid v6-sink \| INVITE sip:2001@\[$IP6_B\]:5070 SIP/2\.0 \| Via: $VIA6"
log "at the IPv6 gateway: $(grep -m1 'callid v6-sink' "$ITEST_TMP/sink6.log")"
rc=0
uac6_run fwd6 "$ITEST_SCEN/uac6_fwd.xml" 100 20 10 || rc=$?
uac_expect_all_ok fwd6 20 "$rc"
uas_stop_pid "$UAS6"
assert_eq "calls completed at the IPv6 gateway" \
    "$(sipp_stat "$ITEST_TMP/uas6_stat.csv" 'SuccessfulCall(C)')" 20

# ---- 5: a location binding with an IPv6 next hop ----
sink_start "$NS_B" "$IP6_B" 5060 loc6
loc0=$(counter act_location)
slink_ok loc-set 4930666@ "sip:4930666@[$IP6_B]" "$IP6_B"
req "INVITE sip:4930666@[$IP6_R] (bound to [$IP6_B])" --src "$IP6_A" --dst "$IP6_R" \
    --ruri "sip:4930666@[$IP6_R]" --callid v6-loc --expect none --tries 1 --timeout 0.3
wait_for 5 "the INVITE at the binding [$IP6_B]:5060" sink_has loc6 \
    "callid v6-loc \| INVITE sip:4930666@\[$IP6_B\] SIP/2\.0 \| Via: $VIA6"
expect_counter act_location -eq $((loc0 + 1))
if slink loc-set 4930667@ "sip:4930667@[$IP6_B]:5070" "[$IP6_B]:5070"; then
    req "INVITE sip:4930667@[$IP6_R] (bound to [$IP6_B]:5070)" --src "$IP6_A" --dst "$IP6_R" \
        --ruri "sip:4930667@[$IP6_R]" --callid v6-loc-port --expect none --tries 1 --timeout 0.3
    wait_for 5 "the INVITE at the binding [$IP6_B]:5070" sink_has sink6 \
        "callid v6-loc-port \| INVITE sip:4930667@\[$IP6_B\]:5070 SIP/2\.0 \| Via: $VIA6"
else
    ROUTER_BUGS+=("sipline-link loc-set ... '[$IP6_B]:5070' (IP[:PORT] with an IPv6 address) is refused: $(tr '\n' ' ' <"$ITEST_TMP/slink.out")(dataplane/tools/sipline_link.c takes the port only when the text has one colon; IPv6 bindings can only use port 5060)")
    log "ROUTER BUG (reported at the end): sipline-link refuses [$IP6_B]:5070"
fi

expect_counter drop_forbidden_dst -eq 0
expect_counter drop_l3 -eq 0
expect_counter drop_response_not_ours -eq 0

# ---- 6: across families ----
# An answer from the IPv6 gateway to an IPv6 caller, then to an IPv4 caller.
req "INVITE sip:4861@[$IP6_R] (gateway answers 486)" --src "$IP6_A" --dst "$IP6_R" \
    --ruri "sip:4861@[$IP6_R]" --callid v6-486 --expect 486
# shellcheck disable=SC2031 # the IPv4 addresses: uac6_run changed them in a subshell only
nsx "$NS_A" "$ITEST_PY" "$ITOOLS" request --src "$IP_A" --dst "$IP_R" --ruri "sip:4862@$IP_R" \
    --callid v4-to-v6 --expect 486 >"$ITEST_TMP/req4.out" 2>&1 || true
wait_for 5 "the IPv4 caller's INVITE at the IPv6 gateway" sink_has ans6 "callid v4-to-v6 "
at_gw=$(grep -m1 'callid v4-to-v6 ' "$ITEST_TMP/ans6.log")
log "IPv4 caller -> IPv6 gateway: $at_gw"
log "IPv4 caller got: $(head -n 1 "$ITEST_TMP/req4.out")"
bugs=()
printf '%s\n' "$at_gw" | grep "| INVITE sip:4862@\[$IP6_B\]:5072 SIP/2.0 |" >/dev/null ||
    bugs+=("the request line arrived damaged: expected 'INVITE sip:4862@[$IP6_B]:5072 SIP/2.0'")
printf '%s\n' "$at_gw" | grep -Eq "\| Via: $VIA6" ||
    bugs+=("our Via is not [$IP6_R] (the gateway can only answer to an address of the family it got the request on)")
head -n 1 "$ITEST_TMP/req4.out" | grep '^SIP/2.0 486 ' >/dev/null ||
    bugs+=("the gateway's 486 never came back to the IPv4 caller (drop_response_not_ours = $(counter drop_response_not_ours))")
if [ "${#bugs[@]}" -gt 0 ]; then
    ROUTER_BUGS+=("an IPv4 INVITE forwarded to an IPv6 gateway: $(printf '%s; ' "${bugs[@]}")at the gateway: $at_gw")
fi

sipline_stop
if [ "${#ROUTER_BUGS[@]}" -gt 0 ]; then
    fail "ROUTER BUG: $(printf '%s | ' "${ROUTER_BUGS[@]}")"
fi
pass "ND and ICMPv6 via the tap, OPTIONS, 302 + ACK, forwarded calls over IPv6, IPv4 <-> IPv6"
