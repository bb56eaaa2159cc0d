#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# sipline in one command (Debian 12, as root): install what is missing,
# build, and route real SIP traffic for DEMO_SECONDS (default 40) seconds.
#
#   - network namespaces with a bridge: the router (sipline on a veth through
#     DPDK's af_packet driver, no hugepages, no NIC), a caller and a gateway;
#   - an example dialplan: Berlin numbers (+4930...) redirected with a 302,
#     premium numbers (+49900...) rejected with a 403, the rest of Germany
#     (+49...) forwarded to the gateway;
#   - SIPp places calls to all three (the redirected ones ACK the 302, which
#     the router absorbs; the forwarded ones ring, answer and hang up through
#     the router), a SIPp gateway answers the forwarded ones;
#   - live counters every second from DPDK telemetry, a summary at the end.
#
# Everything it creates (namespaces, veths, bridge, tap, processes,
# temporary files) is removed when it ends, fails or is interrupted (Ctrl-C).
#
# Environment: DEMO_SECONDS (traffic duration), DEMO_BUILD (build directory,
# default build), DEMO_NO_SETUP=1 (skip scripts/setup.sh), DEMO_NO_BUILD=1
# (use the existing binary).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DEMO_BUILD:-$ROOT/build}
DEMO_SECONDS=${DEMO_SECONDS:-40}
SIPLINE_BIN="$BUILD/dataplane/sipline"

say() { printf '\n== %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
    echo "demo: run as root: it creates network namespaces and drives a veth with DPDK" >&2
    exit 1
fi
case "$DEMO_SECONDS" in
'' | *[!0-9]*) echo "demo: DEMO_SECONDS must be a number of seconds" >&2; exit 1 ;;
esac

if [ "${DEMO_NO_SETUP:-0}" != 1 ]; then
    say "installing missing packages (scripts/setup.sh)"
    "$ROOT/scripts/setup.sh"
fi
if [ "${DEMO_NO_BUILD:-0}" != 1 ]; then
    say "building sipline in $BUILD"
    if [ ! -f "$BUILD/build.ninja" ]; then
        meson setup "$BUILD" "$ROOT" >/dev/null
    fi
    meson compile -C "$BUILD" sipline
fi
[ -x "$SIPLINE_BIN" ] || {
    echo "demo: $SIPLINE_BIN was not built (is libdpdk-dev installed? see meson setup's summary)" >&2
    exit 1
}

# Topology, sipline and SIPp helpers, and the clean-up on exit/Ctrl-C.
# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
itest_init demo "$SIPLINE_BIN"
# shellcheck disable=SC2034 # read by lib.sh: sipline in its own session
ITEST_SETSID=1

# ---- the example dialplan, for the gateway this demo runs ----
PLAN="$ITEST_TMP/demo.dialplan"
cat >"$PLAN" <<EOF
# sipline demo: language reference in docs/dialplan.md; lower priority wins.
plan sipline-demo

# The PSTN gateway: here a SIPp UAS in its own namespace.
group pstn-de $IP_B:$UAS_PORT

# Premium-rate numbers are refused, before any prefix rule.
5    regex ^\\+49900[0-9]+\$   reject 403 "Premium numbers are blocked"

# Berlin numbers have moved: redirect the caller to the Berlin switch.
10   prefix +4930            redirect 302 contact sip:\$user@gw1.example.net

# The rest of Germany leaves through the PSTN gateway.
100  prefix +49              forward pstn-de
EOF

say "starting: namespaces, sipline, SIPp gateway"
topo_up
uas_start "$ITEST_SCEN/uas_gw.xml"
sipline_start --dialplan "$PLAN" --record-route
sed -n 's/^sipline: /   sipline: /p' "$SIPLINE_LOG"
echo "   dialplan ($PLAN):"
grep -Ev '^(#|$)' "$PLAN" | sed 's/^/     /'

# ---- traffic: three SIPp callers in the caller namespace ----
RATE_302=30 RATE_FWD=10 RATE_403=2
start_uac() { # TAG SCENARIO NUMBER_PREFIX RATE LOCAL_PORT
    local calls=$(($4 * DEMO_SECONDS))
    (
        rc=0
        UAC_LOCAL_PORT=$5 uac_run "$1" "$ITEST_SCEN/$2" "$3" "$calls" "$4" >/dev/null || rc=$?
        echo "$rc" >"$ITEST_TMP/$1.rc"
    ) &
    ITEST_PIDS+=($!)
    UAC_JOBS+=($!)
}
UAC_JOBS=()
say "calls for ${DEMO_SECONDS}s: +4930... redirected (${RATE_302}/s), +4989... forwarded (${RATE_FWD}/s), +49900... rejected (${RATE_403}/s)"
start_uac redirected uac_302.xml +4930 "$RATE_302" 5061
start_uac forwarded uac_fwd.xml +4989 "$RATE_FWD" 5062
start_uac rejected uac_403.xml +49900 "$RATE_403" 5063

calls() { # TAG COLUMN: from SIPp's statistics file (0 before the first dump)
    local f="$ITEST_TMP/${1}_stat.csv"
    if [ -s "$f" ] && [ "$(wc -l <"$f")" -gt 1 ]; then sipp_stat "$f" "$2" 2>/dev/null || echo 0; else echo 0; fi
}

# One line of router counters (DPDK telemetry /sipline/stats) and call progress.
print_header() {
    printf '\n%5s %8s %8s %8s %8s %8s %8s %7s %7s %6s %6s | %7s %7s %7s %6s\n' \
        time rx tx rx/s redirect fwd_req resp_fwd reject ack_abs exc drops \
        "302 ok" "fwd ok" "403 ok" failed
}
last_rx=0
print_line() {
    local t=$1 s
    s=$(sipline_stats 2>/dev/null) || s=""
    local v
    v=$(printf '%s\n' "$s" | awk '
        { c[$1] = $2 }
        $1 ~ /^drop_/ { drops += $2 }
        END { printf "%d %d %d %d %d %d %d %d %d", c["rx_pkts"], c["tx_pkts"], c["act_redirect"],
                  c["act_forward"] + c["act_in_dialog"], c["act_response_fwd"], c["act_reject"],
                  c["act_ack_absorbed"], c["exc_pkts"], drops }')
    # shellcheck disable=SC2086
    set -- $v
    local failed=$(($(calls redirected 'FailedCall(C)') + $(calls forwarded 'FailedCall(C)') +
        $(calls rejected 'FailedCall(C)')))
    printf '%4ss %8d %8d %8d %8d %8d %8d %7d %7d %6d %6d | %7d %7d %7d %6d\n' "$t" "$1" "$2" \
        $(($1 - last_rx)) "$3" "$4" "$5" "$6" "$7" "$8" "$9" \
        "$(calls redirected 'SuccessfulCall(C)')" "$(calls forwarded 'SuccessfulCall(C)')" \
        "$(calls rejected 'SuccessfulCall(C)')" "$failed"
    last_rx=$1
}

DEMO_STOP=0
trap 'DEMO_STOP=1' INT TERM
start=$SECONDS
start_us=${EPOCHREALTIME/./}
print_header
n=0
while [ "$DEMO_STOP" = 0 ]; do
    # Tick on whole seconds from the start, whatever printing a line costs.
    wait_us=$((start_us + (n + 1) * 1000000 - ${EPOCHREALTIME/./}))
    if [ "$wait_us" -gt 0 ]; then sleep "$((wait_us / 1000000)).$(printf '%06d' $((wait_us % 1000000)))" || true; fi
    [ "$DEMO_STOP" = 0 ] || break
    alive=0
    for j in "${UAC_JOBS[@]}"; do kill -0 "$j" 2>/dev/null && alive=1; done
    print_line $((n + 1))
    n=$((n + 1))
    [ $((n % 20)) = 0 ] && print_header
    [ "$alive" = 1 ] || break
    if [ $((SECONDS - start)) -gt $((DEMO_SECONDS + 60)) ]; then
        echo "demo: the callers did not finish in time" >&2
        break
    fi
done
trap 'itest_signal 130' INT
trap 'itest_signal 143' TERM
if [ "$DEMO_STOP" = 1 ]; then
    say "interrupted: stopping the callers"
    for pid in $(ip netns pids "$NS_A" 2>/dev/null); do kill -USR1 "$pid" 2>/dev/null || true; done
    sleep 2
fi

# ---- summary ----
uas_stop
sleep 0.5
say "summary after $((SECONDS - start)) s"
summary() { # LABEL TAG
    local ok failed rc
    ok=$(calls "$2" 'SuccessfulCall(C)')
    failed=$(calls "$2" 'FailedCall(C)')
    rc=$(cat "$ITEST_TMP/$2.rc" 2>/dev/null || echo "-")
    printf '   %-44s %6d ok %6d failed\n' "$1" "$ok" "$failed"
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
    [ "$rc" = 0 ] || [ "$rc" = "-" ] || [ "$failed" -gt 0 ] || TOTAL_FAILED=$((TOTAL_FAILED + 1))
}
TOTAL_FAILED=0
summary "redirected (+4930...: 302, ACK absorbed)" redirected
summary "forwarded to the gateway (+4989...)" forwarded
summary "rejected (+49900...: 403)" rejected
printf '   %-44s %6d answered\n' "calls the gateway completed" \
    "$(sipp_stat "$ITEST_TMP/uas_stat.csv" 'SuccessfulCall(C)' 2>/dev/null || echo 0)"
if sipline_alive; then
    echo "   router counters (non-zero):"
    sipline_stats 2>/dev/null |
        awk '$2 != "0" && $1 !~ /^(uptime_s|worker_lcores)$/ { printf "     %-28s %s\n", $1, $2 }'
    sipline_stop
else
    # sipline stopped on its own (it runs in its own session: not by Ctrl-C).
    echo "   (sipline already stopped)"
    wait "$SIPLINE_PID" 2>/dev/null || true
    SIPLINE_PID=""
fi
if [ "$DEMO_STOP" = 1 ]; then
    say "demo interrupted; everything it created is being removed"
    exit 130
fi
if [ "$TOTAL_FAILED" -gt 0 ]; then
    say "demo finished with failed calls (SIPp error logs were in $ITEST_TMP)"
    # shellcheck disable=SC2034 # read by lib.sh's clean-up
    ITEST_KEEP=1
    exit 1
fi
say "demo finished: every call completed; cleaning up"
