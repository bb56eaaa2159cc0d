# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Helpers for the control plane tests (test_control.sh, test_control_gw.sh),
# on top of lib.sh and lib_extra.sh: sipline-control in the router's
# namespace (its probes and its kernel sockets use the router's address,
# through the dataplane's exception path), siplinectl on its socket, JSON
# fields, a second dataplane. Same rules as lib.sh: every process started
# here is in ITEST_PIDS or in one of our namespaces and is killed by
# itest_cleanup, pass or fail.

SIPLINE_CONTROL=""
SIPLINECTL=""
CTL_PID=""
CTL_SOCK=""
CTL_CONF=""
CTL_LOG=""
CTL_METRICS=127.0.0.1:19470

# control_init SIPLINE_CONTROL SIPLINECTL: the binaries (meson passes them).
control_init() {
    [ -x "${1:-}" ] || fail "sipline-control '${1:-}' does not exist (third argument)"
    [ -x "${2:-}" ] || fail "siplinectl '${2:-}' does not exist (fourth argument)"
    SIPLINE_CONTROL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    SIPLINECTL=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
    CTL_SOCK="$ITEST_TMP/run/control.sock"
    CTL_CONF="$ITEST_TMP/control.conf"
    # *_err.log: lib.sh's diagnostics print its tail when a test fails.
    CTL_LOG="$ITEST_TMP/control_err.log"
    : >"$CTL_LOG"
}

# control_conf [option value lines...]: the configuration file; the test's
# defaults first (fast probes and reconnections), then the arguments.
control_conf() {
    {
        echo "# written by $ITEST_NAME"
        echo "socket $CTL_SOCK"
        echo "store $ITEST_TMP/control.db"
        echo "metrics $CTL_METRICS"
        echo "stats_poll 1"
        echo "reconnect_min 0.1"
        echo "reconnect_max 0.5"
        echo "probe_interval 1"
        echo "probe_timeout 0.5"
        echo "probe_down 2"
        echo "probe_up 2"
        local l
        for l in "$@"; do
            echo "$l"
        done
    } >"$CTL_CONF"
}

# notify_listen: a systemd stand-in on $ITEST_TMP/notify.sock that writes every
# sd_notify(3) datagram it gets to notify.log, one per line.
notify_listen() {
    CTL_NOTIFY="$ITEST_TMP/notify.sock"
    rm -f "$CTL_NOTIFY"
    : >"$ITEST_TMP/notify.log"
    "$ITEST_PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")' "$CTL_NOTIFY" "$ITEST_TMP/notify.log" &
    ITEST_PIDS+=($!)
    wait_for 5 "the notify socket" test -S "$CTL_NOTIFY"
}

# control_start: sipline-control in $NS_R, ready when siplinectl answers and
# it told "systemd" READY=1 (Type=notify).
control_start() {
    log "starting sipline-control ($(grep -c . "$CTL_CONF") config lines)"
    echo "---- start $(date +%T) ----" >>"$CTL_LOG"
    notify_listen
    NOTIFY_SOCKET="$CTL_NOTIFY" ip netns exec "$NS_R" "$SIPLINE_CONTROL" -c "$CTL_CONF" >>"$CTL_LOG" 2>&1 &
    CTL_PID=$!
    ITEST_PIDS+=("$CTL_PID")
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$CTL_PID" 2>/dev/null || fail "sipline-control exited during start-up: $(tail -n 5 "$CTL_LOG")"
        if [ -S "$CTL_SOCK" ] && "$SIPLINECTL" -s "$CTL_SOCK" -t 2 core version >/dev/null 2>&1; then
            wait_for 5 "READY=1 from sipline-control" grep -qx READY=1 "$ITEST_TMP/notify.log"
            log "sipline-control running (pid $CTL_PID), READY=1 sent"
            return 0
        fi
        sleep 0.1
    done
    fail "sipline-control did not answer on $CTL_SOCK within 10 s"
}

# control_stop: SIGTERM, a clean exit (status 0) within 10 s.
control_stop() {
    local pid=$CTL_PID i rc
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || fail "sipline-control died before the test stopped it"
    kill -TERM "$pid"
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && fail "sipline-control did not stop within 10 s of SIGTERM"
    rc=0
    wait "$pid" || rc=$?
    CTL_PID=""
    [ "$rc" = 0 ] || fail "sipline-control exited with status $rc on SIGTERM"
    [ -e "$CTL_SOCK" ] && fail "the control socket is still there after sipline-control stopped"
    grep -qx STOPPING=1 "$ITEST_TMP/notify.log" ||
        fail "sipline-control stopped without STOPPING=1 to systemd: $(tr '\n' ' ' <"$ITEST_TMP/notify.log")"
    log "sipline-control stopped cleanly (STOPPING=1 sent)"
}

# ctl ARGS...: siplinectl on our socket; output in $ITEST_TMP/ctl.out, returns its status.
ctl() {
    local rc=0
    timeout --kill-after=2 120 "$SIPLINECTL" -s "$CTL_SOCK" "$@" >"$ITEST_TMP/ctl.out" 2>&1 || rc=$?
    return "$rc"
}

ctl_ok() {
    ctl "$@" || fail "siplinectl $* failed (exit $?): $(head -c 2000 "$ITEST_TMP/ctl.out")"
}

# jget EXPR [FILE]: a value of the JSON in FILE (default ctl.out), EXPR in Python
# over `r` (e.g. 'r["version"]', 'len(r["items"])').
jget() {
    "$ITEST_PY" -c 'import json, sys
r = json.load(open(sys.argv[2]))
v = eval(sys.argv[1], {"r": r})
print(str(v).lower() if isinstance(v, bool) else v)' "$1" "${2:-$ITEST_TMP/ctl.out}" ||
        fail "cannot read $1 from $(head -c 500 "${2:-$ITEST_TMP/ctl.out}")"
}

# ctl_json FIELD_EXPR ARGS...: siplinectl --json ARGS, then jget FIELD_EXPR.
ctl_json() {
    local expr=$1
    shift
    ctl_ok --json "$@"
    jget "$expr"
}

# dp_ready N: core.health says N dataplanes are in sync.
dp_ready() {
    [ "$(ctl_json 'r["dataplanes_ready"]' core health)" = "$1" ]
}

# hello_at SOCKET FIELD: a field of the dataplane's HELLO_ACK (sipline-link).
hello_at() {
    timeout 10 "$SIPLINE_LINK" --socket "$1" hello >"$ITEST_TMP/hello.out" 2>&1 ||
        fail "sipline-link hello on $1: $(cat "$ITEST_TMP/hello.out")"
    awk -v n="$2" '$1 == n { print $2 }' "$ITEST_TMP/hello.out"
}

# shellcheck disable=SC2317 # used through wait_for
hello_is() { [ "$(hello_at "$1" "$2")" = "$3" ]; }

# metrics_get FILE: the Prometheus page (curl in the router's namespace).
metrics_get() {
    nsx "$NS_R" curl -sf --max-time 5 "http://$CTL_METRICS/metrics" >"$1" ||
        fail "GET http://$CTL_METRICS/metrics failed"
}
