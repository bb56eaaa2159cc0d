#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The control link (link/sl_link.h), driven with sipline-link as the control
# plane would: sipline starts WITHOUT a dialplan and gets everything over
# the Unix socket.
#   - the socket: mode 0600, in a directory sipline created without group
#     write or world access; HELLO reports plan version 0 and no route (404);
#   - PLAN_PUSH: version 1 and the file's SHA-256; forward and 302 calls;
#     a broken plan is refused with file:line errors and changes nothing;
#     a plan pushed during 500 calls at 50/s loses none (version 2);
#   - location bindings: LOC_SET routes a number no rule knows to the
#     binding's contact (Request-URI rewritten, act_location), per domain or
#     for any domain; LOC_DEL and expiry bring the 404 back;
#   - gateway health: a group of one that is down answers 503 "All Gateways
#     Down"; in a group of two, the other member takes every call, calls go
#     back where they were when it returns (Call-ID hash), and a new plan
#     inherits the state;
#   - robustness: half frames, garbage, bad versions and lengths, broken
#     plan blobs, a client that stops reading: sipline keeps serving, the
#     link keeps answering; STATS prints every counter by name.
#
# Usage: test_link.sh PATH_TO_SIPLINE [PATH_TO_SIPLINE_LINK]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
itest_init link "${1:-}"
link_init "${2:-}"
SWAP_CALLS=${ITEST_LINK_CALLS:-500}
SWAP_RATE=${ITEST_LINK_RATE:-50}
FWD_CALLS=0 # calls the gateway must have completed at the end
ROUTER_BUGS=()

PLAN_A="$ITEST_PLANS/link_a.dialplan"
PLAN_BAD="$ITEST_PLANS/link_bad.dialplan"
PLAN_B="$ITEST_TMP/link_b.dialplan"
filler_plan "$ITEST_PLANS/link_b.dialplan" "$PLAN_B" 3000 100
sha_a=$(sha256sum "$PLAN_A" | cut -d' ' -f1)
sha_b=$(sha256sum "$PLAN_B" | cut -d' ' -f1)

# sip_expect RURI CODE: an INVITE from the caller gets CODE (itools.py request).
sip_expect() {
    nsx "$NS_A" "$ITEST_PY" "$ITOOLS" request --src "$IP_A" --dst "$IP_R" --ruri "$1" \
        --expect "$2" --tries 2 --timeout 1 >"$ITEST_TMP/req.out" 2>&1 ||
        fail "INVITE $1: expected $2, got: $(head -n 1 "$ITEST_TMP/req.out")"
    log "INVITE $1 -> $(head -n 1 "$ITEST_TMP/req.out")"
}
# sip_send RURI CALLID: one INVITE to a sink (nothing answers).
sip_send() {
    nsx "$NS_A" "$ITEST_PY" "$ITOOLS" request --src "$IP_A" --dst "$IP_R" --ruri "$1" \
        --callid "$2" --expect none --tries 1 --timeout 0.3 >"$ITEST_TMP/req.out" 2>&1 ||
        fail "INVITE $1 (Call-ID $2) was answered: $(head -n 1 "$ITEST_TMP/req.out")"
}
# shellcheck disable=SC2317 # called through wait_for
sink_has() { grep -Eq -- "$2" "$ITEST_TMP/$1.log"; }
# burst PREFIX USERPREFIX: 40 INVITEs to the duo group (sinks), distinct Call-IDs PREFIX-N.
burst() {
    nsx "$NS_A" "$ITEST_PY" "$ITOOLS" burst --src "$IP_A" --dst "$IP_R" --user-prefix "$2" \
        --count 40 --callid-prefix "$1" --wait 0.5 >"$ITEST_TMP/burst.out" 2>&1 ||
        fail "burst $1 failed: $(cat "$ITEST_TMP/burst.out")"
    grep -qx 'none 40' "$ITEST_TMP/burst.out" ||
        fail "burst $1: the sinks never answer, yet: $(tr '\n' ' ' <"$ITEST_TMP/burst.out")"
}
# shellcheck disable=SC2317
sinks_total() { [ $(($(lines "$ITEST_TMP/sink70.log" .) + $(lines "$ITEST_TMP/sink71.log" .))) -ge "$1" ]; }
# callids FILE FROM_LINE PREFIX: sorted Call-IDs PREFIX-* logged after line FROM_LINE.
callids() {
    tail -n +$(($2 + 1)) "$1" | sed -n "s/.* callid \($3-[0-9]*\) .*/\1/p" | sort
}

topo_up
uas_start "$ITEST_SCEN/uas_gw.xml"
sink_start "$NS_B" "$IP_B" 5070 sink70
sink_start "$NS_B" "$IP_B" 5071 sink71

# ---- 1: the socket, HELLO, no plan ----
# In a directory sipline has to create: it must not open it to others.
LINK_SOCK="$ITEST_TMP/run/sipline/dataplane.sock"
sipline_start --link "$LINK_SOCK" --record-route
[ -S "$LINK_SOCK" ] || fail "no control socket at $LINK_SOCK"
mode=$(stat -c %a "$LINK_SOCK")
dmode=$(stat -c %a "$(dirname "$LINK_SOCK")")
log "control socket $LINK_SOCK mode $mode, directory mode $dmode"
assert_eq "mode of the control socket" "$mode" 600
(((8#$dmode & 8#027) == 0)) ||
    fail "directory of the control socket has mode $dmode: group-writable or world-accessible"
assert_eq "HELLO plan_version before any push" "$(hello_field plan_version)" 0
assert_eq "HELLO bindings before any push" "$(hello_field bindings)" 0
assert_eq "HELLO lcores (-l 0-1: one worker)" "$(hello_field lcores)" 1
sip_expect "sip:1000001@$IP_R" 404

# ---- 2: push plan A ----
slink push "$PLAN_A" || fail "push $PLAN_A failed (exit $?): $(cat "$ITEST_TMP/slink.out")"
log "push A: $(cat "$ITEST_TMP/slink.out")"
assert_eq "HELLO plan_version after the first push" "$(hello_field plan_version)" 1
assert_eq "HELLO plan_sha256 (sha256sum of $PLAN_A)" "$(hello_field plan_sha256)" "$sha_a"
assert_log "dialplan pushed: version 1, [0-9]+ rules, sha256 $sha_a" "push A in the log"
rc=0
uac_run fwd "$ITEST_SCEN/uac_fwd.xml" 100 20 10 || rc=$?
uac_expect_all_ok fwd 20 "$rc"
FWD_CALLS=$((FWD_CALLS + 20))
rc=0
uac_run r302 "$ITEST_SCEN/uac_302.xml" 302 20 20 || rc=$?
uac_expect_all_ok r302 20 "$rc"

# ---- 3: a broken plan changes nothing ----
rc=0
slink push "$PLAN_BAD" || rc=$?
log "push of the broken plan: exit $rc: $(tr '\n' ' ' <"$ITEST_TMP/slink.out")"
[ "$rc" != 0 ] || fail "sipline-link push $PLAN_BAD succeeded"
grep -Eq 'link_bad\.dialplan:8: ' "$ITEST_TMP/slink.out" ||
    fail "push $PLAN_BAD: no 'link_bad.dialplan:8:' error: $(cat "$ITEST_TMP/slink.out")"
assert_eq "HELLO plan_version after a refused push" "$(hello_field plan_version)" 1
assert_eq "HELLO plan_sha256 after a refused push" "$(hello_field plan_sha256)" "$sha_a"
rc=0
uac_run fwd2 "$ITEST_SCEN/uac_fwd.xml" 100 10 10 || rc=$?
uac_expect_all_ok fwd2 10 "$rc"
FWD_CALLS=$((FWD_CALLS + 10))

# ---- 4: plan B pushed while calls run ----
fwd0=$(counter act_forward)
log "calls: $SWAP_CALLS at $SWAP_RATE/s; plan B ($(wc -l <"$PLAN_B") lines) pushed during the run"
(
    rc=0
    uac_run swap "$ITEST_SCEN/uac_fwd.xml" 100 "$SWAP_CALLS" "$SWAP_RATE" || rc=$?
    echo "$rc" >"$ITEST_TMP/swap.rc"
) &
UAC_JOB=$!
ITEST_PIDS+=("$UAC_JOB")
wait_for 30 "the first $SWAP_RATE calls of the run" sipp_calls_done swap "$SWAP_RATE"
t0=$(date +%s.%N)
slink push "$PLAN_B" || fail "push $PLAN_B failed (exit $?): $(cat "$ITEST_TMP/slink.out")"
log "plan B pushed in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s, $(($(counter act_forward) - fwd0)) requests forwarded by the rules so far"
kill -0 "$UAC_JOB" 2>/dev/null || fail "the SIPp run ended before plan B was pushed (raise ITEST_LINK_CALLS)"
wait "$UAC_JOB" || true
uac_expect_all_ok swap "$SWAP_CALLS" "$(cat "$ITEST_TMP/swap.rc" 2>/dev/null || echo missing)"
FWD_CALLS=$((FWD_CALLS + SWAP_CALLS))
assert_eq "HELLO plan_version after plan B" "$(hello_field plan_version)" 2
assert_eq "HELLO plan_sha256 after plan B" "$(hello_field plan_sha256)" "$sha_b"
expect_counter act_reject -eq 0 # plan B's 503 catch-all for 1xxx never won
expect_counter act_unavailable -eq 0
expect_counter drop_tx_full -eq 0
expect_counter drop_no_mbuf -eq 0
uac_expect_no_retrans swap

# ---- 5: location bindings ----
user=4930777
sip_expect "sip:$user@$IP_R" 404
slink_ok loc-set "$user@" "sip:$user@$IP_B:5070" "$IP_B:5070"
assert_eq "HELLO bindings after loc-set" "$(hello_field bindings)" 1
loc0=$(counter act_location)
sip_send "sip:$user@$IP_R" loc-1
wait_for 5 "INVITE for $user at the binding's contact" sink_has sink70 \
    "callid loc-1 \| INVITE sip:$user@$IP_B:5070 SIP/2.0 \| Via: SIP/2.0/UDP $IP_R(:5060)?;branch=z9hG4bK"
log "binding: $(grep 'callid loc-1 ' "$ITEST_TMP/sink70.log")"
expect_counter act_location -eq $((loc0 + 1))
slink_ok loc-del "$user@"
assert_eq "HELLO bindings after loc-del" "$(hello_field bindings)" 0
sip_expect "sip:$user@$IP_R" 404
slink loc-del "$user@" && fail "loc-del of a binding that is not there succeeded"
# A binding for one domain: only that domain (case-insensitive) uses it.
slink_ok loc-set "$user@example.com" "sip:$user@$IP_B:5071" "$IP_B:5071"
sip_send "sip:$user@Example.COM" loc-dom
wait_for 5 "INVITE sip:$user@Example.COM at the binding's contact" sink_has sink71 \
    "callid loc-dom \| INVITE sip:$user@$IP_B:5071 SIP/2.0"
sip_expect "sip:$user@$IP_R" 404
slink_ok loc-clear
assert_eq "HELLO bindings after loc-clear" "$(hello_field bindings)" 0
# Expiry: 2 s.
slink_ok loc-set "$user@" "sip:$user@$IP_B:5070" "$IP_B:5070" 2
t_set=$(date +%s.%N)
sip_send "sip:$user@$IP_R" loc-2
wait_for 5 "INVITE for $user with a binding of 2 s" sink_has sink70 "callid loc-2 \| INVITE sip:$user@"
sleep "$(awk -v a="$t_set" -v b="$(date +%s.%N)" 'BEGIN { d = 3 - (b - a); printf "%.2f", (d > 0 ? d : 0) }')"
sip_expect "sip:$user@$IP_R" 404
log "the 2-s binding expired"
expect_counter act_location -eq $((loc0 + 3))

# ---- 6: gateway health ----
slink_ok gw "$IP_B" 5060 down
nsx "$NS_A" "$ITEST_PY" "$ITOOLS" request --src "$IP_A" --dst "$IP_R" \
    --ruri "sip:1009999@$IP_R" --expect 503 >"$ITEST_TMP/req.out" 2>&1 ||
    fail "100x with its only gateway down: expected 503, got $(head -n 1 "$ITEST_TMP/req.out")"
grep -q '^SIP/2.0 503 All Gateways Down' "$ITEST_TMP/req.out" ||
    fail "100x with its only gateway down: $(head -n 1 "$ITEST_TMP/req.out"), expected '503 All Gateways Down'"
log "gateway $IP_B:5060 down: $(head -n 1 "$ITEST_TMP/req.out")"
expect_counter act_unavailable -eq 1
slink_ok gw "$IP_B" 5060 up
rc=0
uac_run gwup "$ITEST_SCEN/uac_fwd.xml" 100 10 10 || rc=$?
uac_expect_all_ok gwup 10 "$rc"
FWD_CALLS=$((FWD_CALLS + 10))
slink gw 10.9.9.9 5060 down && fail "gw for a gateway that is in no plan succeeded"
log "gw 10.9.9.9 (unknown): $(tr '\n' ' ' <"$ITEST_TMP/slink.out")"

# A group of two (555x -> sinks :5070 and :5071): 40 calls, then again with
# :5070 down, then again with it up: the same Call-IDs go where they went.
n70=$(lines "$ITEST_TMP/sink70.log" .)
n71=$(lines "$ITEST_TMP/sink71.log" .)
burst duo 555
wait_for 5 "40 INVITEs at the two sinks" sinks_total $((n70 + n71 + 40))
first70=$(callids "$ITEST_TMP/sink70.log" "$n70" duo)
first71=$(callids "$ITEST_TMP/sink71.log" "$n71" duo)
c70=$(echo "$first70" | grep -c . || true)
c71=$(echo "$first71" | grep -c . || true)
log "both up: $c70 calls to :5070, $c71 to :5071"
assert_eq "calls of the first burst at the sinks" $((c70 + c71)) 40
if [ "$c70" -eq 0 ] || [ "$c71" -eq 0 ]; then
    fail "40 Call-IDs all went to one gateway ($c70/$c71)"
fi

slink_ok gw "$IP_B" 5070 down
n70=$(lines "$ITEST_TMP/sink70.log" .)
n71=$(lines "$ITEST_TMP/sink71.log" .)
burst duo 555
wait_for 5 "40 INVITEs at :5071 with :5070 down" sinks_total $((n70 + n71 + 40))
sleep 0.3 # late arrivals at :5070 would be a failure
c70=$(callids "$ITEST_TMP/sink70.log" "$n70" duo | grep -c . || true)
c71=$(callids "$ITEST_TMP/sink71.log" "$n71" duo | grep -c . || true)
log ":5070 down: $c70 calls to :5070, $c71 to :5071"
assert_eq "calls to the gateway marked down" "$c70" 0
assert_eq "calls to the other gateway" "$c71" 40

slink_ok gw "$IP_B" 5070 up
n70=$(lines "$ITEST_TMP/sink70.log" .)
n71=$(lines "$ITEST_TMP/sink71.log" .)
burst duo 555
wait_for 5 "40 INVITEs at the two sinks again" sinks_total $((n70 + n71 + 40))
sleep 0.3
again70=$(callids "$ITEST_TMP/sink70.log" "$n70" duo)
[ "$again70" = "$first70" ] ||
    fail "with both gateways up again, the Call-IDs at :5070 differ from the first time (the choice must be a hash of the Call-ID)"
log ":5070 up again: the same $(echo "$again70" | grep -c .) Call-IDs went to :5070"

# A new plan inherits the health of the gateways it shares with the old one.
slink_ok gw "$IP_B" 5070 down
slink_ok push "$PLAN_B"
assert_eq "HELLO plan_version after pushing plan B again" "$(hello_field plan_version)" 3
n70=$(lines "$ITEST_TMP/sink70.log" .)
n71=$(lines "$ITEST_TMP/sink71.log" .)
burst inh 555
wait_for 5 "40 INVITEs after the push with :5070 down" sinks_total $((n70 + n71 + 40))
sleep 0.3
c70=$(callids "$ITEST_TMP/sink70.log" "$n70" inh | grep -c . || true)
assert_eq "calls to :5070 (down before the push) after the push" "$c70" 0
slink_ok gw "$IP_B" 5070 up

# ---- 7: broken and hostile clients ----
for kind in half-header half-payload bad-magic bad-version oversize unknown-type push-no-fd push-short \
    push-garbage push-header; do
    timeout 20 "$ITEST_PY" "$ITOOLS" link --socket "$LINK_SOCK" "$kind" >"$ITEST_TMP/abuse.out" 2>&1 ||
        fail "control link, $kind: $(cat "$ITEST_TMP/abuse.out")"
    log "$(head -n 1 "$ITEST_TMP/abuse.out")"
    sipline_alive || fail "sipline died after the link client '$kind'"
    slink_ok ping
done
assert_eq "HELLO plan_version after the hostile clients" "$(hello_field plan_version)" 3
assert_eq "HELLO plan_sha256 after the hostile clients" "$(hello_field plan_sha256)" "$sha_b"

# A client that sends requests but stops reading the replies (a hung
# control plane): the dataplane's main lcore must not block on it - other
# link clients and the exception path (ARP, ICMP) must keep working.
"$ITEST_PY" "$ITOOLS" link --socket "$LINK_SOCK" --seconds 40 no-read >"$ITEST_TMP/noread.out" 2>&1 &
NOREAD=$!
ITEST_PIDS+=("$NOREAD")
# shellcheck disable=SC2317
# The dataplane either stops taking its requests (its socket is full) or,
# as it should, hangs up on it once a reply does not fit: never waits for it.
noread_full() { grep -qE 'stopped taking|hung up' "$ITEST_TMP/noread.out"; }
wait_for 10 "the non-reading link client to fill its socket or be disconnected" noread_full
log "$(head -n 1 "$ITEST_TMP/noread.out")"
stall=""
if ! timeout 3 "$SIPLINE_LINK" --socket "$LINK_SOCK" ping >"$ITEST_TMP/ping_stall.out" 2>&1; then
    stall="another client's PING got no answer within 3 s"
fi
if ! nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" ping --dst "$IP_R" --count 3 \
    >"$ITEST_TMP/icmp_stall.out" 2>&1; then
    stall="${stall:+$stall; }ICMP echo to $IP_R (exception path, relayed by the main lcore) unanswered"
fi
sip_expect "sip:3029999@$IP_R" 302 # the workers are not affected either way
itest_kill_pid "$NOREAD" 2
wait "$NOREAD" 2>/dev/null || true
grep -q 'hung up' "$ITEST_TMP/noread.out" ||
    stall="${stall:+$stall; }the dataplane kept a client that reads none of its replies"
slink_ok ping
sipline_alive || fail "sipline died after the non-reading client"
if [ -n "$stall" ]; then
    # Reported at the end (the test fails), after the remaining checks ran.
    ROUTER_BUGS+=("while one link client does not read its replies, $stall (dataplane/dp_link.c must send without waiting and drop such a client)")
    log "ROUTER BUG (reported at the end): $stall"
else
    log "a client that does not read does not stall the link or the exception path"
fi

# ---- 8: STATS by name; the link's counters agree with telemetry ----
slink_ok stats
cp "$ITEST_TMP/slink.out" "$ITEST_TMP/stats.out"
for name in dialplan_version location_bindings $(counter_names); do
    grep -Eq "^$name [0-9]+$" "$ITEST_TMP/stats.out" ||
        fail "sipline-link stats has no line '$name NUMBER'"
done
assert_eq "stats dialplan_version" "$(awk '$1 == "dialplan_version" { print $2 }' "$ITEST_TMP/stats.out")" 3
for name in act_location act_redirect act_ack_absorbed; do
    assert_eq "$name from the link and from telemetry" \
        "$(awk -v n=$name '$1 == n { print $2 }' "$ITEST_TMP/stats.out")" "$(counter $name)"
done
log "stats: $(grep -c . "$ITEST_TMP/stats.out") lines, every counter of dp_counters.h by name"

# The link is not needed to keep serving: no client is connected now.
rc=0
uac_run last "$ITEST_SCEN/uac_fwd.xml" 100 10 10 || rc=$?
uac_expect_all_ok last 10 "$rc"
FWD_CALLS=$((FWD_CALLS + 10))
uas_stop
assert_eq "calls completed at the gateway" "$(sipp_stat "$ITEST_TMP/uas_stat.csv" 'SuccessfulCall(C)')" "$FWD_CALLS"
sipline_stop
[ -e "$LINK_SOCK" ] && fail "the control socket $LINK_SOCK is still there after sipline stopped"
if [ "${#ROUTER_BUGS[@]}" -gt 0 ]; then
    fail "ROUTER BUG: $(printf '%s; ' "${ROUTER_BUGS[@]}")"
fi
pass "plans, bindings and gateway state over the link; $SWAP_CALLS calls across a push; hostile clients survived"
