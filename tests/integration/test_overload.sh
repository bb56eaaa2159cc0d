#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Overload shedding (docs/dataplane.md "Overload"). The router's wire port
# is a net_pcap capture read flat out: every receive burst comes back full
# and the queue never drains, which is what overload is to a poll-mode
# worker, on any machine (a veth flood on this 2-CPU VM cannot be made to
# outrun the router reliably).
#
#  1. 20,000 frames, every tenth a BYE, the others new INVITEs: INVITEs are
#     shed (drop_overload > 0), every BYE is still forwarded, every INVITE
#     not shed is answered 302, and the counters add up to what was sent.
#  2. --overload-reply 503 with a peer ACL allowing the caller: shed
#     INVITEs are answered 503 with Retry-After: 5 up to the reply budget
#     (--overload-reply-rate), the rest dropped; nothing else changes.
#  3. --overload-shed off: nothing is shed; every INVITE gets its 302.
#  4. The capture replayed without end for a few seconds: the worker flat
#     out and shedding, telemetry and the control link still answer at
#     once, and SIGTERM stops the router cleanly.
#
# Usage: test_overload.sh PATH_TO_SIPLINE [PATH_TO_SIPLINE_LINK]
. "$(dirname "$0")/lib.sh"
. "$ITEST_DIR/lib_extra.sh"
itest_init overload "${1:-}"
link_init "${2:-}"
OP="$ITEST_DIR/overload_pcap.py"
MAC_A=02:77:00:00:00:0a
MAC_B=02:77:00:00:00:14
IP6_R=fd00:77::1
# net_pcap's first port: MAC 02:70:63:61:70:00.
PCAP_MAC=02:70:63:61:70:00
N=20000
NS_OFF="slo-$ITEST_ID"
itest_add_ns "$NS_OFF"

"$ITEST_PY" "$OP" gen --out "$ITEST_TMP/in.pcap" --router-mac "$PCAP_MAC" --count "$N"

received_all() {
    [ "$(counter rx_pkts)" -ge "$1" ]
}

# run TAG [sipline options...]: replay the capture once; the router's output
# checked (overload_pcap.py check); its JSON summary in $ITEST_TMP/TAG.json.
run() {
    local tag=$1
    shift
    sipline_offline "net_pcap0,rx_pcap=$ITEST_TMP/in.pcap,tx_pcap=$ITEST_TMP/$tag.pcap" "$@"
    wait_for 60 "sipline to read the $N frames" received_all "$N"
    SHED=$(counter drop_overload)
    R503=$(counter act_overload_reply)
    FULL=$(counter overload_bursts)
    R302=$(counter act_redirect)
    FWD=$(counter act_forward)
    sipline_stop # closing the port flushes the output capture
    "$ITEST_PY" "$OP" check --sent "$ITEST_TMP/in.pcap" --got "$ITEST_TMP/$tag.pcap" \
        --router-mac "$PCAP_MAC" >"$ITEST_TMP/$tag.json" ||
        fail "$tag: the router's output is wrong: $(cat "$ITEST_TMP/$tag.json")"
    log "$tag: $(cat "$ITEST_TMP/$tag.json"); counters: drop_overload $SHED," \
        "act_overload_reply $R503, overload_bursts $FULL, act_redirect $R302, act_forward $FWD"
}

field() { "$ITEST_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
    "$ITEST_TMP/$1.json" "$2"; }

# ---- 1: shed, dropped ----
run drop
assert_ge "full bursts" "$FULL" 100
assert_ge "INVITEs shed" "$SHED" 1
assert_eq "503s without --overload-reply 503" "$R503" 0
assert_eq "BYEs forwarded (never shed)" "$(field drop fwd_bye)" "$(field drop sent_bye)"
assert_eq "INVITEs answered + shed" "$(($(field drop r302) + SHED))" "$(field drop sent_invite)"
assert_eq "302s counted" "$R302" "$(field drop r302)"

# ---- 2: shed, 503 with Retry-After to a peer the ACL allows ----
printf 'default deny drop\nallow 10.77.0.0/24\n' >"$ITEST_TMP/peers.acl"
run reply --acl "$ITEST_TMP/peers.acl" --overload-reply 503 --overload-reply-rate 1000
assert_ge "503s sent" "$(field reply r503)" 1
assert_eq "503s counted" "$R503" "$(field reply r503)"
assert_ge "budget exceeded: some shed silently" "$SHED" 1
assert_eq "BYEs forwarded (never shed)" "$(field reply fwd_bye)" "$(field reply sent_bye)"
assert_eq "INVITEs answered 302 or 503, or shed" \
    "$(($(field reply r302) + $(field reply r503) + SHED))" "$(field reply sent_invite)"

# ---- 3: shedding off ----
run off --overload-shed off
assert_eq "shed with --overload-shed off" "$SHED" 0
assert_eq "every INVITE answered 302" "$(field off r302)" "$(field off sent_invite)"
assert_eq "BYEs forwarded" "$(field off fwd_bye)" "$(field off sent_bye)"

# ---- 4: flat out for seconds: telemetry and the link answer ----
# infinite_rx loads the whole capture into the router's mbuf pool: a small one.
"$ITEST_PY" "$OP" gen --out "$ITEST_TMP/loop.pcap" --router-mac "$PCAP_MAC" --count 2000
sipline_offline "net_pcap0,rx_pcap=$ITEST_TMP/loop.pcap,infinite_rx=1"
sleep 2
s1=$(counter drop_overload)
# Each must answer within 5 s (the clients alone take ~0.1-1 s on a busy CI machine).
for i in 1 2 3; do
    t0=$(date +%s%N)
    counter rx_pkts >/dev/null
    t1=$(date +%s%N)
    slink_ok stats
    t2=$(date +%s%N)
    tm=$(((t1 - t0) / 1000000)) lm=$(((t2 - t1) / 1000000))
    log "flat out: telemetry answered in $tm ms, the control link in $lm ms"
    [ "$tm" -lt 5000 ] || fail "telemetry took $tm ms while overloaded"
    [ "$lm" -lt 5000 ] || fail "the control link took $lm ms while overloaded"
    sleep 0.5
done
s2=$(counter drop_overload)
assert_ge "still shedding under sustained overload" "$((s2 - s1))" 1
sipline_alive || fail "sipline died under sustained overload"
sipline_stop
pass
