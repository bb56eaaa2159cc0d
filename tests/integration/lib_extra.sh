# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Helpers for test_link.sh, test_spread.sh, test_ipv6.sh and
# test_telemetry.sh, on top of lib.sh (source lib.sh first): the control
# link client, sinks and gateways on any address and port, sipline with
# other EAL lcores, IPv6 on the hosts. Same rules as lib.sh: every process
# started here is recorded in ITEST_PIDS and killed by id by itest_cleanup.

ITOOLS="$ITEST_DIR/itools.py"
SIPLINE_LINK=${SIPLINE_LINK:-}
LINK_SOCK=""

# link_init [PATH_TO_SIPLINE_LINK]: the client (argument, environment
# SIPLINE_LINK, or next to the sipline binary) and the socket sipline_start uses.
link_init() {
    local c=${1:-$SIPLINE_LINK}
    [ -n "$c" ] || c="$(dirname "$SIPLINE")/sipline-link"
    [ -x "$c" ] || fail "sipline-link '$c' does not exist or is not executable (second argument)"
    SIPLINE_LINK=$(cd "$(dirname "$c")" && pwd)/$(basename "$c")
    LINK_SOCK="$ITEST_TMP/link.sock"
}

# slink COMMAND...: sipline-link on our socket; output in $ITEST_TMP/slink.out
# (stdout and stderr), returns its status. Never waits more than 20 s.
slink() {
    local rc=0
    timeout --kill-after=2 20 "$SIPLINE_LINK" --socket "$LINK_SOCK" "$@" \
        >"$ITEST_TMP/slink.out" 2>&1 || rc=$?
    return "$rc"
}

# slink_ok COMMAND...: must succeed.
slink_ok() {
    slink "$@" || fail "sipline-link $* failed (exit $?): $(cat "$ITEST_TMP/slink.out")"
}

# hello_field NAME: one field of `sipline-link hello`.
hello_field() {
    slink_ok hello
    awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) exit 1 }' "$ITEST_TMP/slink.out" ||
        fail "sipline-link hello has no field $1: $(cat "$ITEST_TMP/slink.out")"
}

# counter_names: the counters of dataplane/core/dp_counters.h, lower case.
counter_names() {
    local h="$ITEST_DIR/../../dataplane/core/dp_counters.h"
    [ -f "$h" ] || fail "cannot find $h (counter names)"
    sed -n 's/^[[:space:]]*X(\([A-Z0-9_]*\),.*/\1/p' "$h" | tr '[:upper:]' '[:lower:]'
}

# sink_start NS IP PORT NAME [--answer CODE]: a UDP sink (itools.py sink),
# log $ITEST_TMP/NAME.log.
sink_start() {
    local ns=$1 ip=$2 port=$3 name=$4
    shift 4
    ip netns exec "$ns" "$ITEST_PY" "$ITOOLS" sink --bind "$ip" --port "$port" "$@" \
        >"$ITEST_TMP/$name.log" 2>&1 &
    ITEST_PIDS+=($!)
    wait_for 5 "UDP sink $name on $ip:$port" udp_listening "$ns" "$ip" "$port"
}

udp_listening() { # NS IP PORT
    local a=$2
    case $a in *:*) a="[$a]" ;; esac
    nsx "$1" ss -Hlun "src $a:$3" | grep . >/dev/null
}

# lines FILE REGEX: how many lines match (0 if none or no file).
lines() {
    local n
    n=$(grep -Ec -- "$2" "$1" 2>/dev/null) || true
    echo "${n:-0}"
}

# uas_start_at NS IP PORT TAG SCENARIO [sipp options...]: another SIPp UAS
# (lib.sh's uas_start has one fixed address); files $ITEST_TMP/TAG_*.
# Sets LAST_UAS_PID.
uas_start_at() {
    local ns=$1 ip=$2 port=$3 tag=$4 scen=$5 out
    shift 5
    local v=()
    [ "${ITEST_VERBOSE:-0}" = 1 ] && v=(-trace_msg -message_file "$ITEST_TMP/${tag}_msg.log")
    out=$(nsx "$ns" sipp -sf "$scen" -i "$ip" -p "$port" -nostdin -bg \
        -trace_err -error_file "$ITEST_TMP/${tag}_err.log" \
        -trace_stat -stf "$ITEST_TMP/${tag}_stat.csv" -fd 1 "${v[@]}" "$@" 2>&1) || true
    LAST_UAS_PID=$(printf '%s' "$out" | sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p' | head -n 1)
    [ -n "$LAST_UAS_PID" ] || fail "SIPp UAS $tag did not start: $out"
    ITEST_PIDS+=("$LAST_UAS_PID")
    wait_for 10 "SIPp UAS $tag on $ip:$port" udp_listening "$ns" "$ip" "$port"
    log "SIPp UAS $tag $(basename "$scen") running (pid $LAST_UAS_PID) on $ip:$port"
}

# sipp_calls_done TAG N: SIPp run TAG has completed at least N calls (its
# statistics file, written every second: cheap enough to poll).
sipp_calls_done() {
    local f="$ITEST_TMP/${1}_stat.csv" n
    [ -s "$f" ] || return 1
    n=$(sipp_stat "$f" 'SuccessfulCall(C)' 2>/dev/null) || return 1
    [ "$n" -ge "$2" ]
}

# uas_stop_pid PID...: let SIPp UASs finish their calls and quit (SIGUSR1),
# killed after 5 s.
uas_stop_pid() {
    local pid i
    for pid in "$@"; do
        itest_pid_is_ours "$pid" && kill -USR1 "$pid" 2>/dev/null
    done
    for pid in "$@"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        itest_kill_pid "$pid" 2
    done
}

# sipline_start_eal "EAL_LCORE_OPTIONS" "AF_PACKET_ARGS" [sipline options...]:
# lib.sh's sipline_start with other lcores (e.g. "--lcores 0@0,1@1,2@1,3@1")
# and af_packet parameters after iface=r0 (e.g. "qpairs=3,...").
sipline_start_eal() {
    local cores=$1 afp=$2
    shift 2
    ITEST_EAL_CORES=$cores ITEST_AF_PACKET_ARGS=$afp sipline_start "$@"
}

# telemetry_json CMD: the reply of one telemetry command as JSON.
telemetry_json() {
    "$ITEST_PY" "$ITEST_DIR/sipnet.py" telemetry --prefix "$DPDK_PREFIX" --json "$1"
}

# v6_host NS IF ADDR/PREFIX: IPv6 on a host interface that lib.sh left IPv4-only.
v6_host() {
    local ns=$1 ifc=$2 addr=$3
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
        "net.ipv6.conf.$ifc.disable_ipv6=0" "net.ipv6.conf.$ifc.accept_ra=0" \
        "net.ipv6.conf.$ifc.router_solicitations=0"
    ip -n "$ns" -6 addr add "$addr" dev "$ifc" nodad
}

# sipline_offline VDEV [sipline options...]: sipline in $NS_OFF (the caller's
# namespace) on VDEV (net_pcap, net_memif...) with no exception path and
# static neighbours for the caller and the gateway (MAC_A, MAC_B); returns once
# it says it is running.
sipline_offline() {
    local vdev=$1 i
    shift
    : >"$SIPLINE_LOG"
    log "starting sipline on $vdev $*"
    ip netns exec "$NS_OFF" "$SIPLINE" --no-huge -m 1024 --no-pci --file-prefix "$DPDK_PREFIX" \
        -l 0-1 --vdev "$vdev" -- --addr "$IP_R/24" --addr "$IP6_R/64" --port "$SIP_PORT" \
        --link "$ITEST_TMP/link.sock" --no-exception \
        --neighbor "$IP_A=$MAC_A" --neighbor "$IP_B=$MAC_B" \
        --dialplan "$ITEST_PLANS/itest.dialplan" "$@" >>"$SIPLINE_LOG" 2>&1 &
    SIPLINE_PID=$!
    for ((i = 0; i < 300; i++)); do
        grep -q '^sipline: running' "$SIPLINE_LOG" && break
        sipline_alive || fail "sipline exited during start-up on $vdev"
        sleep 0.1
    done
    [ "$i" -lt 300 ] || fail "sipline on $vdev did not start in 30 s"
    log "sipline running (pid $SIPLINE_PID): $(grep '^sipline: wire port' "$SIPLINE_LOG")"
}

# wire_mac: the wire port's MAC, from sipline's start-up line.
wire_mac() {
    sed -n 's/^sipline: wire port [0-9]* ([a-z_]*) \([0-9A-Fa-f:]*\),.*/\1/p' "$SIPLINE_LOG" |
        tr '[:upper:]' '[:lower:]'
}
