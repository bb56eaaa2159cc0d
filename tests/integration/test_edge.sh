#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Edge protections (issue 13): scanner blocking and per-source rate limits.
#   1. Scanners: before and after SIPp places calls from $IP_A through the
#      router, the same host sends every kind of request the router would answer or
#      hand to its kernel (OPTIONS, INVITEs redirected, rejected and
#      unrouted, REGISTER, a bad version, Max-Forwards 0, a CSeq mismatch,
#      a short body, unterminated headers) with a scanner's User-Agent, and
#      with a scanner's From: nothing at all comes back (no SIP, no ICMP).
#      The same messages with a clean User-Agent are answered (the listener
#      hears replies). Every call succeeds; drop_scanner counts them.
#   2. Rate limit (--src-rate 100 --src-burst 200 --src-ban 30): a flooder at
#      $IP_F sends OPTIONS at ~600/s for 2 s: about the burst is
#      answered, the rest dropped, it is banned (even one OPTIONS gets no
#      reply during the ban) while $IP_A's OPTIONS and SIPp calls go
#      through; after the ban it is answered again. drop_src_rate,
#      src_bans and /sipline/src_top show it.
#
# Usage: test_edge.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
itest_init edge "${1:-}"
EDGE="$ITEST_DIR/edgetools.py"
IP_F=10.77.0.11
CALLS=${ITEST_CALLS:-20}
RATE=5

topo_up
# The flooder: a second address of the caller's host.
ip -n "$NS_A" addr add "$IP_F/24" dev a0
uas_start "$ITEST_SCEN/uas_gw.xml"

scan() { # NAME EXPECT [edgetools options]
    local name=$1 expect=$2
    shift 2
    nsx "$NS_A" "$ITEST_PY" "$EDGE" scan --src "$IP_A" --dst "$IP_R" --expect "$expect" "$@" \
        >"$ITEST_TMP/scan_$name.out" 2>&1 ||
        fail "$name: expected $expect, heard: $(tr '\n' '|' <"$ITEST_TMP/scan_$name.out")"
    log "$name ($expect): $(tr -s ' ' <"$ITEST_TMP/scan_$name.out" | tr '\n' '|')"
}

# ---- 1: scanners get nothing back; the legitimate caller is served ----
sipline_start --dialplan "$ITEST_PLANS/itest.dialplan" --relay-in-dialog \
    --scanner-from evil-dialer
scan clean replies --ua "Linphone/5.2"
expect_counter drop_scanner -eq 0
scan friendly-scanner silence --ua "friendly-scanner"
scan sipvicious silence --ua "SIPVicious 0.3.4"
# The calls run after these probes, not during them: on a loaded shared host
# SIPp's UAS is the first to stall, and its failures would hide ours.
rc=0
uac_run calls "$ITEST_SCEN/uac_fwd.xml" 100 "$CALLS" "$RATE" || rc=$?
uac_expect_all_ok calls "$CALLS" "$rc"
scan sipcli-upper silence --ua "SIPCLI/v1.8"
scan custom-from silence --ua "Linphone/5.2" --from-name "Evil-Dialer"
# 10 kinds x 4 senders, each dropped once.
expect_counter drop_scanner -eq 40
expect_counter act_forward -ge "$CALLS"
sipline_stop

# ---- 2: per-source rate limit and ban ----
sipline_start --dialplan "$ITEST_PLANS/itest.dialplan" --relay-in-dialog \
    --src-rate 100 --src-burst 200 --src-ban 30
rc=0
# 5 calls/s: about 15 datagrams/s from the caller, far under its limit.
uac_run calls2 "$ITEST_SCEN/uac_fwd.xml" 100 "$CALLS" "$RATE" &
UAC_JOB=$!
ITEST_PIDS+=("$UAC_JOB")
nsx "$NS_A" "$ITEST_PY" "$EDGE" flood --src "$IP_F" --dst "$IP_R" --pps 600 --seconds 2 \
    >"$ITEST_TMP/flood.out" 2>&1 || fail "flood: $(cat "$ITEST_TMP/flood.out")"
t_flood=$(date +%s.%N)
read -r _ sent _ replied _ <"$ITEST_TMP/flood.out"
log "flood from $IP_F: $(cat "$ITEST_TMP/flood.out")"
# Read at once: the ban must still run (telemetry reads are slow on a loaded host).
"$ITEST_PY" "$ITEST_DIR/sipnet.py" telemetry --prefix "$DPDK_PREFIX" /sipline/src_top \
    >"$ITEST_TMP/top.out" 2>&1 || fail "telemetry /sipline/src_top: $(cat "$ITEST_TMP/top.out")"
log "src_top: $(tr '\n' ' ' <"$ITEST_TMP/top.out")"
grep -Eq "^top\.0\.src $IP_F\$" "$ITEST_TMP/top.out" ||
    fail "/sipline/src_top does not list $IP_F first"
grep -Eq '^top\.0\.ban_left_ms [1-9]' "$ITEST_TMP/top.out" ||
    fail "/sipline/src_top: $IP_F is not shown banned"
if grep -Eq "src $IP_A\$" "$ITEST_TMP/top.out"; then
    fail "/sipline/src_top lists the legitimate caller $IP_A"
fi
assert_ge "OPTIONS sent by the flooder" "$sent" 600
assert_ge "OPTIONS answered (the burst)" "$replied" 100
[ "$replied" -le 240 ] ||
    fail "$replied OPTIONS of the flood answered: more than the burst (200) and its refill"
# Banned: one OPTIONS, well under the rate, gets nothing.
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$IP_F" --dst "$IP_R" \
    --method OPTIONS --ruri "sip:$IP_R" --tries 1 --timeout 1 --expect none \
    >"$ITEST_TMP/banned.out" 2>&1 ||
    fail "OPTIONS from $IP_F during its ban was answered: $(head -n 1 "$ITEST_TMP/banned.out")"
log "OPTIONS from $IP_F during the ban: no reply"
# Another source is unaffected meanwhile.
# (Retried: on a loaded host one datagram can be late; its limit is judged below.)
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" options --src "$IP_A" --dst "$IP_R" \
    --tries 3 --timeout 1 >"$ITEST_TMP/other.out" 2>&1 ||
    fail "OPTIONS from $IP_A during $IP_F's ban: $(cat "$ITEST_TMP/other.out")"
expect_counter src_bans -ge 1
expect_counter drop_src_rate -ge $((sent - 240))
wait "$UAC_JOB" || rc=$?
uac_expect_all_ok calls2 "$CALLS" "$rc"
# After the ban (30 s from about the start of the flood), it is answered again.
left=$(awk -v t="$t_flood" -v n="$(date +%s.%N)" 'BEGIN { d = t + 30.5 - n; print (d > 0 ? d : 0) }')
sleep "$left"
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" options --src "$IP_F" --dst "$IP_R" \
    --tries 2 --timeout 1 >"$ITEST_TMP/after.out" 2>&1 ||
    fail "OPTIONS from $IP_F after its ban: $(cat "$ITEST_TMP/after.out")"
log "after the ban: $(cat "$ITEST_TMP/after.out")"
expect_counter src_bans -eq 1 # the flood earned one ban; the probes none
"$ITEST_PY" "$ITEST_DIR/sipnet.py" telemetry --prefix "$DPDK_PREFIX" /sipline/src_top \
    >"$ITEST_TMP/top2.out" 2>&1 || fail "telemetry /sipline/src_top: $(cat "$ITEST_TMP/top2.out")"
if grep -Eq "src $IP_A\$" "$ITEST_TMP/top2.out"; then
    fail "the legitimate caller $IP_A had datagrams dropped: $(tr '\n' ' ' <"$ITEST_TMP/top2.out")"
fi
sipline_stop
uas_stop
pass "scanners got no reply of any kind (40 requests, 4 signatures) around $CALLS calls;" \
    "a flooder was limited to its burst, banned and recovered, $CALLS calls unaffected"
