#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Software spreading by Call-ID (--spread callid): carrier traffic on ONE
# 5-tuple (one SIPp UAC, 10.77.0.10:5061 -> 10.77.0.1:5060) must still use
# every worker, and keep each call's messages together and in order.
#   - start-up: --spread callid with too few lcores (-l 0-1) is refused
#     with a message naming the option;
#   - sipline with a dispatcher and two workers on the two CPUs
#     (--lcores 0@0,1@1,2@1,3@1; af_packet qpairs=3: one per non-main
#     lcore, the dispatcher polls them all);
#   - forwarded calls (INVITE/180/200/ACK/BYE/200) and 302 calls: none fails;
#   - calls cancelled while ringing, to a group of two gateways: CANCEL and
#     ACK reach the gateway of their INVITE with the INVITE's branch, and the
#     gateway's 200 (CANCEL) and 487 come back in order;
#   - /sipline/lcores: worker0 is the dispatcher and handled no request
#     itself; worker1 and worker2 each handled more than 10% of them.
#
# Usage: test_spread.sh PATH_TO_SIPLINE [PATH_TO_SIPLINE_LINK]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
itest_init spread "${1:-}"
FWD_CALLS=${ITEST_SPREAD_CALLS:-200}
R302_CALLS=${ITEST_SPREAD_302:-300}
CANCEL_CALLS=${ITEST_SPREAD_CANCELS:-40}
PLAN="$ITEST_PLANS/spread.dialplan"
AFP="framecnt=4096,blocksz=65536,framesz=4096"

topo_up

# ---- 1: too few lcores ----
rc=0
timeout 60 ip netns exec "$NS_R" "$SIPLINE" --no-huge -m 1024 --no-pci --file-prefix "$DPDK_PREFIX" \
    -l 0-1 --vdev "net_af_packet0,iface=r0,$AFP" -- --addr "$IP_R/24" --tap sl0 \
    --link "$ITEST_TMP/bad.sock" --dialplan "$PLAN" --spread callid \
    >"$ITEST_TMP/too_few.log" 2>&1 || rc=$?
log "--spread callid with -l 0-1: exit $rc: $(grep -m1 'sipline:' "$ITEST_TMP/too_few.log" || tail -n 1 "$ITEST_TMP/too_few.log")"
[ "$rc" = 0 ] || [ "$rc" = 124 ] &&
    fail "sipline -l 0-1 ... --spread callid: exit $rc, expected a start-up error; $(tail -n 3 "$ITEST_TMP/too_few.log")"
grep -q -- '--spread callid' "$ITEST_TMP/too_few.log" ||
    fail "the start-up error does not mention --spread callid: $(tail -n 3 "$ITEST_TMP/too_few.log")"
ip -n "$NS_R" link show sl0 >/dev/null 2>&1 && fail "the refused start left the tap sl0 behind"

# ---- 2: dispatcher + two workers ----
uas_start "$ITEST_SCEN/uas_gw.xml"
uas_start_at "$NS_B" "$IP_B" 5062 cnla "$ITEST_SCEN/uas_cancel.xml" \
    -trace_msg -message_file "$ITEST_TMP/cnla_msg.log"
CNLA=$LAST_UAS_PID
uas_start_at "$NS_B" "$IP_B" 5064 cnlb "$ITEST_SCEN/uas_cancel.xml" \
    -trace_msg -message_file "$ITEST_TMP/cnlb_msg.log"
CNLB=$LAST_UAS_PID
sipline_start_eal "--lcores 0@0,1@1,2@1,3@1" "$AFP,qpairs=3" --dialplan "$PLAN" --spread callid --record-route
assert_log "3 lcore\(s\), spread callid" "start-up line: three lcores, spread callid"

rc=0
uac_run fwd "$ITEST_SCEN/uac_fwd.xml" 100 "$FWD_CALLS" 50 || rc=$?
uac_expect_all_ok fwd "$FWD_CALLS" "$rc"
rc=0
uac_run r302 "$ITEST_SCEN/uac_302.xml" 302 "$R302_CALLS" 100 || rc=$?
uac_expect_all_ok r302 "$R302_CALLS" "$rc"
expect_counter act_ack_absorbed -eq "$R302_CALLS"
rc=0
uac_run cnl "$ITEST_SCEN/uac_cancel.xml" 487 "$CANCEL_CALLS" 20 || rc=$?
uac_expect_all_ok cnl "$CANCEL_CALLS" "$rc"

uas_stop_pid "$UAS_PID" "$CNLA" "$CNLB"
UAS_PID=""
assert_eq "calls completed at the gateway" \
    "$(sipp_stat "$ITEST_TMP/uas_stat.csv" 'SuccessfulCall(C)')" "$FWD_CALLS"
ca=$(sipp_stat "$ITEST_TMP/cnla_stat.csv" 'SuccessfulCall(C)')
cb=$(sipp_stat "$ITEST_TMP/cnlb_stat.csv" 'SuccessfulCall(C)')
fa=$(sipp_stat "$ITEST_TMP/cnla_stat.csv" 'FailedCall(C)')
fb=$(sipp_stat "$ITEST_TMP/cnlb_stat.csv" 'FailedCall(C)')
log "cancelled calls: $ca at :5062, $cb at :5064 (failed: $fa, $fb)"
assert_eq "cancelled calls completed at the two gateways" $((ca + cb)) "$CANCEL_CALLS"
assert_eq "calls failed at the two gateways (a CANCEL or ACK at the wrong one)" $((fa + fb)) 0
if [ "$ca" -eq 0 ] || [ "$cb" -eq 0 ]; then
    fail "all cancelled calls went to one gateway ($ca/$cb)"
fi
# The router's branch (top Via) of INVITE, CANCEL and ACK of each call: one value.
"$ITEST_PY" - "$ITEST_TMP/cnla_msg.log" "$ITEST_TMP/cnlb_msg.log" >"$ITEST_TMP/branches.out" 2>&1 <<'EOF' ||
import re, sys
calls = {}
for f in sys.argv[1:]:
    for m in re.split(r"\n-{5,}[^\n]*\n", open(f, errors="replace").read()):
        first = re.search(r"^(INVITE|CANCEL|ACK) sip:", m, re.M)
        via = re.search(r"^Via: *SIP/2\.0/UDP 10\.77\.0\.1(?::5060)?;branch=([^;,\s]+)", m, re.M)
        cid = re.search(r"^Call-ID: *(\S+)", m, re.M)
        if first and via and cid:
            calls.setdefault(cid.group(1), {}).setdefault(first.group(1), set()).add(via.group(1))
bad = [c for c, v in calls.items()
       if set(v) != {"INVITE", "CANCEL", "ACK"} or len(set().union(*v.values())) != 1]
print("%d calls, %d with INVITE, CANCEL and ACK on one branch" % (len(calls), len(calls) - len(bad)))
for c in bad[:5]:
    print("  %s: %s" % (c, calls[c]))
sys.exit(1 if bad or not calls else 0)
EOF
    fail "router branches of INVITE/CANCEL/ACK differ (RFC 3261 16.11): $(cat "$ITEST_TMP/branches.out")"
log "branches: $(head -n 1 "$ITEST_TMP/branches.out")"
assert_eq "calls seen in the gateways' traces" "$(sed -n 's/^\([0-9]*\) calls.*/\1/p' "$ITEST_TMP/branches.out")" "$CANCEL_CALLS"

# ---- 3: who did the work ----
telemetry_json /sipline/lcores >"$ITEST_TMP/lcores.json" || fail "telemetry /sipline/lcores failed"
"$ITEST_PY" - "$ITEST_TMP/lcores.json" >"$ITEST_TMP/lcores.out" 2>&1 <<'EOF' ||
import json, sys
lc = json.load(open(sys.argv[1]))["/sipline/lcores"]
for k in sorted(lc):
    v = lc[k]
    print("%s: lcore %s %s rx_pkts %d rx_requests %d rx_responses %d tx_pkts %d" % (
        k, v["lcore"], v["role"], v["rx_pkts"], v["rx_requests"], v["rx_responses"], v["tx_pkts"]))
bad = []
if sorted(lc) != ["worker0", "worker1", "worker2"]:
    bad.append("expected worker0..worker2, got %s" % sorted(lc))
else:
    d, w = lc["worker0"], [lc["worker1"], lc["worker2"]]
    total = sum(x["rx_requests"] for x in w)
    if d["role"] != "dispatcher" or d["rx_requests"] != 0 or d["rx_pkts"] == 0:
        bad.append("worker0 must be the dispatcher, receive packets and handle no request")
    for i, x in enumerate(w, 1):
        if x["role"] != "worker" or x["rx_requests"] * 10 <= total:
            bad.append("worker%d handled %d of %d requests (expected > 10%%)" % (
                i, x["rx_requests"], total))
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
    fail "/sipline/lcores: $(cat "$ITEST_TMP/lcores.out")"
sed 's/^/    /' "$ITEST_TMP/lcores.out"
expect_counter drop_tx_full -eq 0
sipline_stop
pass "$FWD_CALLS forwarded, $R302_CALLS redirected, $CANCEL_CALLS cancelled calls from one 5-tuple over two workers"
