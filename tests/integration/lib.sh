# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test library: a namespace topology, sipline on af_packet, SIPp
# on both sides, wait-for helpers and assertions. Sourced by the test_*.sh
# scripts (run as root by `meson test --suite integration`) and by
# scripts/demo.sh.
#
#   ns $NS_SW   bridge br0 joining pr0, pa0, pb0
#   ns $NS_R    r0 (DPDK af_packet, no IP) <-> pr0; sipline creates the tap
#               sl0 here with $IP_R/24: the kernel side of the router
#   ns $NS_A    a0 $IP_A (SIPp UAC, corpus sender) <-> pa0
#   ns $NS_B    b0 $IP_B (SIPp UAS: the gateway)    <-> pb0
#
# Every name carries a per-run id, so two runs (or other developers' tests)
# never collide. itest_cleanup (trap on EXIT, INT, TERM) stops every process
# started here, deletes the namespaces (and with them every veth, the bridge
# and the tap), the DPDK runtime directory and the temporary directory,
# whether the test passed or failed.
#
# Exit codes: 0 pass, 1 fail (with a reason and the sipline log tail),
# 77 skip (not root: the only reason to skip).
#
# Environment: SIPLINE_CORPUS (corpus path), ITEST_KEEP=1 (keep the temporary
# directory), ITEST_VERBOSE=1 (SIPp message traces), ITEST_STATS_INTERVAL
# (sipline --stats-interval, default 0), ITEST_AF_PACKET_ARGS (af_packet
# ring parameters after iface=r0, default framecnt=4096,blocksz=65536,framesz=4096),
# ITEST_WIRE_VDEV (the wire port's --vdev instead of af_packet on r0),
# ITEST_AFTER_TAP (a command sipline_start runs once the tap is up, before
# probing the router).

set -Eeuo pipefail

# Variables here are the tests' interface (used by the scripts that source us).
ITEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034
ITEST_SCEN="$ITEST_DIR/scenarios"
# shellcheck disable=SC2034
ITEST_PLANS="$ITEST_DIR/dialplans"
ITEST_PY=${ITEST_PY:-python3}

IP_R=10.77.0.1
IP_A=10.77.0.10
IP_B=10.77.0.20
SIP_PORT=5060
UAS_PORT=5060
UAC_PORT=5061

ITEST_NAME=${ITEST_NAME:-itest}
ITEST_ID=""
ITEST_TMP=""
NS_R="" NS_A="" NS_B="" NS_SW=""
DPDK_PREFIX=""
SIPLINE=""
SIPLINE_PID=""
SIPLINE_LOG=""
SIPLINE_STATUS=""
UAS_PID=""
ITEST_NETNS=()      # namespaces created by this run, deleted by itest_cleanup
ITEST_NS_INO=()     # their inode numbers (to recognise our processes)
ITEST_PIDS=()       # processes started by this run (killed by id)
ITEST_CLEANED=0

# ---- messages ----

log() { printf '[%s %s] %s\n' "$ITEST_NAME" "$(date +%T)" "$*"; }

# fail MESSAGE: report, show what the router said, exit 1 (cleanup runs on EXIT).
# In a subshell ($(...)) only the reason is printed; the caller fails in turn.
fail() {
    trap - ERR
    printf '[%s] FAIL: %s\n' "$ITEST_NAME" "$*" >&2
    if [ "$BASH_SUBSHELL" -eq 0 ]; then
        itest_diagnostics >&2 || true
    fi
    exit 1
}

skip() {
    printf '[%s] SKIP: %s\n' "$ITEST_NAME" "$*" >&2
    exit 77
}

itest_on_err() {
    local rc=$1 line=$2 cmd=$3
    fail "command failed (exit $rc) at ${BASH_SOURCE[1]##*/}:$line: $cmd"
}

# What a failing test prints after its reason: router log tail and counters.
itest_diagnostics() {
    if [ -n "$SIPLINE_LOG" ] && [ -f "$SIPLINE_LOG" ]; then
        echo "---- sipline log (last 40 lines of $SIPLINE_LOG) ----"
        tail -n 40 "$SIPLINE_LOG"
    fi
    if [ -n "$SIPLINE_PID" ]; then
        if kill -0 "$SIPLINE_PID" 2>/dev/null; then
            echo "---- sipline counters (telemetry /sipline/stats, non-zero) ----"
            sipline_stats 2>&1 | awk '$2 != "0"' | head -n 60 || true
            local port
            for port in 0 1; do
                printf -- '---- port %s (%s) ----\n' "$port" "$([ $port = 0 ] && echo wire || echo tap)"
                "$ITEST_PY" "$ITEST_DIR/sipnet.py" telemetry --prefix "$DPDK_PREFIX" \
                    "/ethdev/stats,$port" 2>&1 |
                    awk '$1 ~ /^(ipackets|opackets|ierrors|oerrors|imissed|rx_nombuf)$/' |
                    paste -sd' ' || true
            done
        else
            echo "---- sipline (pid $SIPLINE_PID) is not running ----"
        fi
    fi
    local f
    for f in "$ITEST_TMP"/*_err.log; do
        [ -s "$f" ] || continue
        echo "---- $(basename "$f") (last 15 lines) ----"
        tail -n 15 "$f"
    done
    if [ "${ITEST_KEEP:-0}" = 1 ]; then
        echo "---- logs kept in $ITEST_TMP ----"
    fi
}

# ---- set-up and clean-up ----

# itest_init NAME SIPLINE_BINARY: root check, tools, ids, traps, temp dir.
itest_init() {
    ITEST_NAME=$1
    SIPLINE=${2:-}
    if [ "$(id -u)" -ne 0 ]; then
        skip "needs root (network namespaces, veth, af_packet)"
    fi
    trap 'itest_on_err $? $LINENO "$BASH_COMMAND"' ERR
    trap itest_cleanup EXIT
    trap 'itest_signal 130' INT
    trap 'itest_signal 143' TERM

    local t
    for t in ip sipp ethtool sysctl ss "$ITEST_PY"; do
        command -v "$t" >/dev/null 2>&1 ||
            fail "missing tool '$t' (run scripts/setup.sh: iproute2, sip-tester, ethtool, python3)"
    done
    if [ -z "$SIPLINE" ]; then
        fail "usage: $0 PATH_TO_SIPLINE (meson passes the built binary)"
    fi
    [ -x "$SIPLINE" ] || fail "sipline binary '$SIPLINE' does not exist or is not executable"
    SIPLINE=$(cd "$(dirname "$SIPLINE")" && pwd)/$(basename "$SIPLINE")

    # shellcheck disable=SC2034
    ITEST_CORPUS=${SIPLINE_CORPUS:-$ITEST_DIR/../../../shared/corpus}
    # 6 hex digits: namespace names slr-XXXXXX, DPDK prefix sli-XXXXXX.
    ITEST_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
    NS_R="slr-$ITEST_ID"
    NS_A="sla-$ITEST_ID"
    NS_B="slb-$ITEST_ID"
    NS_SW="slsw-$ITEST_ID"
    DPDK_PREFIX="sli-$ITEST_ID"
    ITEST_TMP=$(mktemp -d "/tmp/sipline-$ITEST_NAME.XXXXXX")
    SIPLINE_LOG="$ITEST_TMP/sipline.log"
    log "run id $ITEST_ID, logs in $ITEST_TMP"
}

itest_signal() {
    trap - ERR
    printf '[%s] interrupted (signal); cleaning up\n' "$ITEST_NAME" >&2
    exit "$1"
}

# A process we may signal: a child of this script, or running inside one of
# our namespaces (checked every time: a pid recorded earlier may be reused).
itest_pid_is_ours() {
    local pid=$1 ino i
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
    [ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$$" ] && return 0
    ino=$(readlink "/proc/$pid/ns/net" 2>/dev/null | tr -dc 0-9)
    for i in "${ITEST_NS_INO[@]}"; do
        [ "$ino" = "$i" ] && return 0
    done
    return 1
}

# Stop one process we started: TERM, then KILL after a grace period.
itest_kill_pid() {
    local pid=$1 grace=${2:-5} i
    itest_pid_is_ours "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    itest_pid_is_ours "$pid" && kill -KILL "$pid" 2>/dev/null
    return 0
}

# Fast on purpose: meson gives a timed-out test 0.5 s between SIGTERM and
# SIGKILL. Tests stop sipline gracefully themselves (and check it); here
# everything left is killed at once, then the namespaces go (with them every
# veth, the bridge and the tap).
itest_cleanup() {
    local rc=$? pid ns
    [ "$ITEST_CLEANED" = 1 ] && return 0
    ITEST_CLEANED=1
    trap - ERR INT TERM
    set +e
    for pid in $SIPLINE_PID "${ITEST_PIDS[@]}"; do
        itest_pid_is_ours "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    # Reap our children quietly (no "Killed" job notices).
    for pid in $SIPLINE_PID "${ITEST_PIDS[@]}"; do
        { wait "$pid"; } 2>/dev/null
    done
    for ns in "${ITEST_NETNS[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
    done
    for ns in "${ITEST_NETNS[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    if [ -n "$DPDK_PREFIX" ]; then
        # Ours and our peers' (test_vports.sh's testpmd: $DPDK_PREFIX-peer).
        rm -rf "/var/run/dpdk/$DPDK_PREFIX" "/var/run/dpdk/$DPDK_PREFIX"-*
    fi
    if [ -n "$ITEST_TMP" ] && [ -d "$ITEST_TMP" ]; then
        if [ "${ITEST_KEEP:-0}" = 1 ]; then
            printf '[%s] kept %s\n' "$ITEST_NAME" "$ITEST_TMP" >&2
        else
            rm -rf "$ITEST_TMP"
        fi
    fi
    return "$rc"
}

# ---- topology ----

# nsx NS CMD...: run in a namespace.
nsx() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

itest_add_ns() {
    ip netns add "$1"
    ITEST_NETNS+=("$1")
    ITEST_NS_INO+=("$(stat -L -c %i "/run/netns/$1")")
    ip -n "$1" link set lo up
}

# Plain Linux host: IPv6 off (no DAD/RS noise), checksums computed by the
# sender (veth TX offload would hand af_packet partial checksums).
itest_host_if() {
    local ns=$1 ifc=$2
    nsx "$ns" ethtool -K "$ifc" tx off >/dev/null
}

topo_up() {
    local ns
    itest_add_ns "$NS_SW"
    itest_add_ns "$NS_R"
    itest_add_ns "$NS_A"
    itest_add_ns "$NS_B"
    for ns in "$NS_SW" "$NS_A" "$NS_B"; do
        nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done

    # A plain switch: with br_netfilter loaded, bridged IPv4 would go through
    # netfilter, which reassembles IP fragments on the bridge (the router
    # must see the fragments the hosts send).
    nsx "$NS_SW" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
        net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 \
        2>/dev/null || true
    ip -n "$NS_SW" link add br0 type bridge
    ip -n "$NS_R" link add r0 address 02:77:00:00:00:01 type veth peer name pr0 netns "$NS_SW"
    ip -n "$NS_A" link add a0 address 02:77:00:00:00:0a type veth peer name pa0 netns "$NS_SW"
    ip -n "$NS_B" link add b0 address 02:77:00:00:00:14 type veth peer name pb0 netns "$NS_SW"
    for ns in pr0 pa0 pb0; do
        ip -n "$NS_SW" link set "$ns" master br0
        itest_host_if "$NS_SW" "$ns"
        ip -n "$NS_SW" link set "$ns" up
    done
    ip -n "$NS_SW" link set br0 up

    # The DPDK-owned veth: no address, never answers ARP, drops IP whose
    # reverse path is not r0 (the router's address lives on the tap, so the
    # kernel would otherwise answer pings and UDP arriving on r0 twice).
    nsx "$NS_R" sysctl -qw net.ipv6.conf.r0.disable_ipv6=1 \
        net.ipv4.conf.r0.arp_ignore=8 net.ipv4.conf.r0.rp_filter=1 \
        net.ipv4.icmp_ratelimit=0
    ip -n "$NS_R" link set r0 up

    itest_host_if "$NS_A" a0
    ip -n "$NS_A" addr add "$IP_A/24" dev a0
    ip -n "$NS_A" link set a0 up
    itest_host_if "$NS_B" b0
    ip -n "$NS_B" addr add "$IP_B/24" dev b0
    ip -n "$NS_B" link set b0 up
    # No ICMP rate limit on the hosts either: tests count replies.
    nsx "$NS_A" sysctl -qw net.ipv4.icmp_ratelimit=0
    nsx "$NS_B" sysctl -qw net.ipv4.icmp_ratelimit=0
    log "topology up: $NS_R (r0 -> sipline), $NS_A ($IP_A), $NS_B ($IP_B), bridge in $NS_SW"
}

# MAC address of an interface in a namespace.
if_mac() {
    ip -n "$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# ---- waiting ----

# wait_for SECONDS WHAT CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
    local secs=$1 what=$2 i
    shift 2
    for ((i = 0; i < secs * 10; i++)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    fail "timed out after ${secs}s waiting for $what"
}

# ---- sipline ----

# sipline_start [sipline options...]: start on r0 in $NS_R, wait until it
# answers OPTIONS. --addr, --port, --tap and --link are set here.
sipline_start() {
    local stats=${ITEST_STATS_INTERVAL:-0}
    : >"$SIPLINE_LOG"
    SIPLINE_STATUS=""
    log "starting sipline $*"
    # ip netns exec execs sipline: $! is sipline itself (not a subshell).
    # ITEST_SETSID=1 (the demo): its own session, so a Ctrl-C on the terminal
    # reaches only the script, which then stops sipline itself.
    local sess=()
    [ "${ITEST_SETSID:-0}" = 1 ] && sess=(setsid)
    # ITEST_EAL_CORES: the EAL's lcore options (words), default one worker.
    # shellcheck disable=SC2086
    ip netns exec "$NS_R" "${sess[@]}" "$SIPLINE" --no-huge -m 1024 --no-pci --file-prefix "$DPDK_PREFIX" \
        ${ITEST_EAL_CORES:--l 0-1} \
        --vdev "${ITEST_WIRE_VDEV:-net_af_packet0,iface=r0,${ITEST_AF_PACKET_ARGS:-framecnt=4096,blocksz=65536,framesz=4096}}" -- \
        --addr "$IP_R/24" --port "$SIP_PORT" --tap sl0 --link "$ITEST_TMP/link.sock" \
        --stats-interval "$stats" "$@" >>"$SIPLINE_LOG" 2>&1 &
    SIPLINE_PID=$!
    local i
    for ((i = 0; i < 300; i++)); do
        kill -0 "$SIPLINE_PID" 2>/dev/null || {
            wait "$SIPLINE_PID" && SIPLINE_STATUS=0 || SIPLINE_STATUS=$?
            local dead=$SIPLINE_PID
            SIPLINE_PID=""
            fail "sipline (pid $dead) exited with status $SIPLINE_STATUS during start-up"
        }
        if ip -n "$NS_R" -o addr show dev sl0 2>/dev/null | grep "inet $IP_R/" >/dev/null; then
            break
        fi
        sleep 0.1
    done
    [ "$i" -lt 300 ] || fail "sipline did not bring up the tap sl0 with $IP_R in 30 s"
    ${ITEST_AFTER_TAP:-}
    # First requests also wait for ARP (the router resolves us via the kernel).
    if ! nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" options --src "$IP_A" \
        --dst "$IP_R" --port "$SIP_PORT" --tries 40 --timeout 0.5 >>"$ITEST_TMP/probe.log" 2>&1; then
        cat "$ITEST_TMP/probe.log" >&2
        fail "sipline does not answer OPTIONS sip:$IP_R:$SIP_PORT with 200 after 20 s"
    fi
    log "sipline running (pid $SIPLINE_PID, file prefix $DPDK_PREFIX)"
}

sipline_alive() {
    [ -n "$SIPLINE_PID" ] && kill -0 "$SIPLINE_PID" 2>/dev/null
}

# sipline_stop: SIGTERM, expect a clean exit (status 0) within 15 s.
sipline_stop() {
    local i pid=$SIPLINE_PID
    [ -n "$pid" ] || return 0
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" && SIPLINE_STATUS=0 || SIPLINE_STATUS=$?
        fail "sipline (pid $pid) died before the test stopped it (status $SIPLINE_STATUS)"
    fi
    kill -TERM "$pid"
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        SIPLINE_PID=""
        fail "sipline did not stop within 15 s of SIGTERM (killed)"
    fi
    wait "$pid" && SIPLINE_STATUS=0 || SIPLINE_STATUS=$?
    SIPLINE_PID=""
    [ "$SIPLINE_STATUS" = 0 ] || fail "sipline exited with status $SIPLINE_STATUS on SIGTERM"
    if ip -n "$NS_R" link show sl0 >/dev/null 2>&1; then
        fail "the tap sl0 is still there after sipline stopped"
    fi
    log "sipline stopped cleanly"
}

sipline_reload() {
    sipline_alive || fail "sipline is not running (reload)"
    kill -HUP "$SIPLINE_PID"
}

# sipline_stats: "name value" per counter, from DPDK telemetry /sipline/stats.
sipline_stats() {
    "$ITEST_PY" "$ITEST_DIR/sipnet.py" telemetry --prefix "$DPDK_PREFIX" /sipline/stats
}

# counter NAME: one counter; fails when telemetry has no such name (a typo
# or a counter that is not exported must not read as 0).
counter() {
    local out
    out=$(sipline_stats) || fail "cannot read telemetry /sipline/stats"
    printf '%s\n' "$out" | awk -v n="$1" '$1 == n { print $2; found = 1 } END { exit !found }' ||
        fail "telemetry /sipline/stats has no counter '$1'"
}

# expect_counter NAME OP VALUE: e.g. expect_counter act_forward -ge 20.
expect_counter() {
    local v
    v=$(counter "$1") || fail "cannot read counter $1 (telemetry)"
    if [ "$v" = "n/a" ]; then
        log "counter $1 not checked (no telemetry)"
        return 0
    fi
    test "$v" "$2" "$3" || fail "counter $1 = $v, expected $2 $3"
    log "counter $1 = $v ($2 $3)"
}

# stat_must_exist NAME: fail if telemetry does not export this counter.
stat_must_exist() {
    sipline_stats | awk -v n="$1" '$1 == n { found = 1 } END { exit !found }' ||
        fail "telemetry /sipline/stats has no counter '$1'"
}

# ---- SIPp ----

# uas_start SCENARIO [sipp options...]: the gateway in $NS_B on $IP_B:$UAS_PORT.
uas_start() {
    local scen=$1 out
    shift
    local v=()
    [ "${ITEST_VERBOSE:-0}" = 1 ] && v=(-trace_msg -message_file "$ITEST_TMP/uas_msg.log")
    out=$(nsx "$NS_B" sipp -sf "$scen" -i "$IP_B" -p "$UAS_PORT" -nostdin -bg \
        -trace_err -error_file "$ITEST_TMP/uas_err.log" \
        -trace_stat -stf "$ITEST_TMP/uas_stat.csv" -fd 1 "${v[@]}" "$@" 2>&1) || true
    UAS_PID=$(printf '%s' "$out" | sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p' | head -n 1)
    [ -n "$UAS_PID" ] || fail "SIPp UAS did not start: $out"
    ITEST_PIDS+=("$UAS_PID")
    wait_for 10 "SIPp UAS on $IP_B:$UAS_PORT" uas_listening
    log "SIPp UAS $(basename "$scen") running (pid $UAS_PID) on $IP_B:$UAS_PORT"
}

uas_listening() {
    nsx "$NS_B" ss -Hlun "src $IP_B:$UAS_PORT" | grep . >/dev/null
}

# uas_stop: quit the UAS (SIGUSR1: no new calls, finish current ones).
uas_stop() {
    [ -n "$UAS_PID" ] || return 0
    itest_pid_is_ours "$UAS_PID" && kill -USR1 "$UAS_PID" 2>/dev/null
    local i
    for ((i = 0; i < 50; i++)); do
        kill -0 "$UAS_PID" 2>/dev/null || break
        sleep 0.1
    done
    itest_kill_pid "$UAS_PID" 2
    UAS_PID=""
}

# uac_run TAG SCENARIO SERVICE CALLS RATE [sipp options...]: place calls from
# $NS_A through the router; returns SIPp's exit status (0: every call passed).
# Files: $ITEST_TMP/TAG_stat.csv, TAG_err.log, TAG_screen.log, TAG_out.log.
uac_run() {
    local tag=$1 scen=$2 service=$3 calls=$4 rate=$5
    shift 5
    local limit=$((calls / rate + 60))
    local v=()
    [ "${ITEST_VERBOSE:-0}" = 1 ] && v=(-trace_msg -message_file "$ITEST_TMP/${tag}_msg.log")
    log "SIPp UAC $tag: $calls calls to '$service...' at $rate/s ($(basename "$scen"))"
    local rc=0
    timeout --kill-after=5 $((limit + 10)) \
        ip netns exec "$NS_A" sipp "$IP_R:$SIP_PORT" -sf "$scen" -s "$service" \
        -i "$IP_A" -p "${UAC_LOCAL_PORT:-$UAC_PORT}" -m "$calls" -r "$rate" -l "$((rate * 4 + 10))" \
        -nostdin -timeout "${limit}s" -timeout_error \
        -trace_stat -stf "$ITEST_TMP/${tag}_stat.csv" -fd 1 \
        -trace_err -error_file "$ITEST_TMP/${tag}_err.log" \
        -trace_screen -screen_file "$ITEST_TMP/${tag}_screen.log" \
        "${v[@]}" "$@" >"$ITEST_TMP/${tag}_out.log" 2>&1 || rc=$?
    return "$rc"
}

# sipp_stat FILE COLUMN: the column of the last line of a SIPp -trace_stat CSV.
sipp_stat() {
    awk -F';' -v col="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
        { last = $c }
        END { if (!c) { print "no column " col > "/dev/stderr"; exit 1 } print last + 0 }' "$1"
}

# uac_expect_all_ok TAG CALLS RC: every call of run TAG succeeded.
uac_expect_all_ok() {
    local tag=$1 calls=$2 rc=$3
    local f="$ITEST_TMP/${tag}_stat.csv"
    [ -s "$f" ] || fail "SIPp $tag wrote no statistics (exit $rc); $(tail -n 5 "$ITEST_TMP/${tag}_out.log")"
    local ok failed retrans
    ok=$(sipp_stat "$f" 'SuccessfulCall(C)')
    failed=$(sipp_stat "$f" 'FailedCall(C)')
    retrans=$(sipp_stat "$f" 'Retransmissions(C)')
    log "SIPp $tag: $ok successful, $failed failed, $retrans retransmissions (exit $rc)"
    if [ "$rc" != 0 ] || [ "$ok" != "$calls" ] || [ "$failed" != 0 ]; then
        if [ -s "$ITEST_TMP/${tag}_screen.log" ]; then
            echo "---- SIPp $tag screen ----" >&2
            head -n 40 "$ITEST_TMP/${tag}_screen.log" >&2
        fi
        fail "SIPp $tag: expected $calls successful calls and none failed, got $ok successful, $failed failed (exit $rc); see ${tag}_err.log"
    fi
}

# uac_expect_no_retrans TAG: SIPp run TAG never retransmitted (nothing was lost).
uac_expect_no_retrans() {
    local n
    n=$(sipp_stat "$ITEST_TMP/${1}_stat.csv" 'Retransmissions(C)')
    [ "$n" = 0 ] || fail "SIPp $1: $n retransmissions (a message was lost or late)"
}

# ---- assertions ----

# filler_plan BASE OUT NPREFIX NREGEX: BASE plus rules for numbers no test
# dials (NPREFIX prefixes 49NNNN, NREGEX regexes ^77NNN...), so that compiling
# the plan takes long enough for a swap to overlap traffic.
filler_plan() {
    local base=$1 out=$2 npfx=$3 nre=$4 i
    {
        cat "$base"
        echo "# filler: numbers no test dials"
        for ((i = 0; i < npfx; i++)); do
            printf '40 prefix 49%04d forward gateway-b\n' "$i"
        done
        for ((i = 0; i < nre; i++)); do
            printf '40 regex ^77%03d[0-9]{4,8}$ reject 404 "filler %d"\n' "$i" "$i"
        done
    } >"$out"
}

assert_eq() { # WHAT GOT WANT
    [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

assert_ge() { # WHAT GOT MIN
    [ "$2" -ge "$3" ] || fail "$1: got $2, expected at least $3"
}

# assert_log REGEX WHAT: the sipline log matches (extended regex).
assert_log() {
    grep -Eq -- "$1" "$SIPLINE_LOG" || fail "sipline log has no line matching /$1/ ($2)"
}

pass() {
    log "PASS${1:+: $1}"
    exit 0
}

# Developer aid: ITEST_ROUTER_OVERRIDE=FILE redefines sipline_start,
# sipline_stop, sipline_reload and counter to drive another router (e.g. a
# Kamailio configured like the test dialplan) through the same scenarios.
if [ -n "${ITEST_ROUTER_OVERRIDE:-}" ]; then
    # shellcheck disable=SC1090
    . "$ITEST_ROUTER_OVERRIDE"
fi
