#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Faults under load (issue 13), with SIPp calls running the whole time:
#   1. 1,000 dialplan pushes (two plans alternating, each a new version)
#      over one control-socket connection: every push acknowledged by the
#      dataplane, no failed call, no retransmission caused;
#   2. kill -9 of sipline-control mid-run: the dataplane keeps routing (no
#      failed call); restarted, the control plane finds the last version in
#      its store and re-syncs the dataplane.
# (The dataplane restarted under the control plane, and kill -9 during
# REGISTER load: test_control.sh and test_registrar.sh.)
#
# Usage: test_faults.sh SIPLINE SIPLINE_LINK SIPLINE_CONTROL SIPLINECTL
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
. "$(dirname "$0")/lib_control.sh"
itest_init faults "${1:-}"
link_init "${2:-}"
control_init "${3:-}" "${4:-}"
PUSHES=${FAULTS_PUSHES:-1000}
CPS=10

topo_up
uas_start "$ITEST_SCEN/uas_gw.xml"
sipline_start --record-route
control_conf "dataplane $LINK_SOCK" "probe off" "history 10"
control_start
wait_for 10 "the dataplane in sync" dp_ready 1
ctl_ok dialplan push "$ITEST_PLANS/link_a.dialplan"

# calls_start TAG: SIPp placing calls (at most 2,000) until calls_stop TAG.
calls_start() {
    (
        rc=0
        uac_run "$1" "$ITEST_SCEN/uac_fwd.xml" 100 2000 "$CPS" || rc=$?
        echo "$rc" >"$ITEST_TMP/$1.rc"
    ) &
    ITEST_PIDS+=("$!")
    wait_for 30 "the first calls of run $1" sipp_calls_done "$1" 5
}

# calls_stop TAG: SIPp stops placing calls, finishes those in progress; all must have succeeded.
calls_stop() {
    local pid
    pid=$(pgrep -f "^sipp .*$ITEST_TMP/$1_stat.csv" | head -1) || fail "SIPp run $1 is not running"
    kill -USR1 "$pid"
    wait_for 60 "SIPp run $1 to finish" test -e "$ITEST_TMP/$1.rc"
    local f="$ITEST_TMP/$1_stat.csv" ok failed
    ok=$(sipp_stat "$f" 'SuccessfulCall(C)')
    failed=$(sipp_stat "$f" 'FailedCall(C)')
    log "SIPp $1: $ok successful, $failed failed"
    [ "$failed" = 0 ] || fail "SIPp $1: $failed calls failed"
    [ "$ok" -ge 5 ] || fail "SIPp $1: only $ok calls"
}

log "1. $PUSHES pushes while calls run"
calls_start pushes
"$ITEST_PY" - "$CTL_SOCK" "$ITEST_PLANS/link_a.dialplan" "$PUSHES" >"$ITEST_TMP/pushes.out" 2>&1 <<'PYEOF' ||
import json, socket, sys, time
sock, plan, n = sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
f = s.makefile('rwb')
t0 = time.time()
last = None
for i in range(n):
    # Alternate two plans; a comment makes every push a new version.
    text = plan + ('\n10 prefix 303 redirect 302 contact sip:x@y.example\n' if i % 2 else '') \
        + '# push %d\n' % i
    req = {"jsonrpc": "2.0", "id": i, "method": "dialplan.push",
           "params": {"text": text, "source": "faults.dialplan"}}
    f.write((json.dumps(req) + '\n').encode())
    f.flush()
    r = json.loads(f.readline())
    if 'error' in r:
        sys.exit('push %d: %s' % (i, r['error']))
    res = r['result']
    bad = [d for d in res.get('dataplanes', []) if d.get('result') != 'ok']
    if bad or not res.get('dataplanes'):
        sys.exit('push %d: dataplanes %s' % (i, res.get('dataplanes')))
    if last is not None and res['version'] != last + 1:
        sys.exit('push %d: version %s after %s' % (i, res['version'], last))
    last = res['version']
print('%d pushes in %.1f s, last version %d' % (n, time.time() - t0, last))
PYEOF
    fail "pushes: $(tail -3 "$ITEST_TMP/pushes.out")"
log "$(cat "$ITEST_TMP/pushes.out")"
version=$(ctl_json 'r["version"]' dialplan status)
assert_eq "the dataplane's plan version" "$(hello_at "$LINK_SOCK" plan_version)" "$version"
calls_stop pushes
retrans=$(sipp_stat "$ITEST_TMP/pushes_stat.csv" 'Retransmissions(C)')
log "retransmissions during the pushes: $retrans"

log "2. kill -9 of sipline-control while calls run"
calls_start killed
kill -KILL "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
CTL_PID=""
rm -f "$CTL_SOCK"   # a SIGKILLed daemon leaves its socket file
sleep 3             # calls keep going through the dataplane alone
control_start
wait_for 10 "the dataplane re-synced" dp_ready 1
assert_eq "version after the restart" "$(ctl_json 'r["version"]' dialplan status)" "$version"
assert_eq "the dataplane's version after the restart" "$(hello_at "$LINK_SOCK" plan_version)" "$version"
calls_stop killed
control_stop
pass
