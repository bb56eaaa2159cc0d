#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The control plane (sipline-control, siplinectl) driving the real dataplane
# on af_packet, with SIPp calls:
#   - the control socket: mode 0660 in a 0750 directory of socket_group; a
#     member of the group may call, another non-root user is refused;
#   - dialplan.push with siplinectl (versions from the control plane; the
#     dataplane serves the pushed version and SHA-256); a bad plan returns
#     every error with file:line and the old plan keeps routing calls;
#     a large plan pushed while 500 calls run: no failed call, no
#     retransmission; the same text again is a no-op;
#   - two pushes at once based on the same version: one wins, the other
#     gets a version conflict; a stale base_version is refused with the
#     serving version;
#   - gateway admin state (persisted) and bindings swept by the re-sync;
#   - sipline-control restarted while calls run: the dataplane keeps
#     routing (no failed call); on return the plan, the history and the
#     gateway admin states are intact;
#   - the dataplane restarted: the control plane re-syncs it (plan version
#     and gateway states arrive together, from one HELLO on);
#   - stats by name agree with telemetry; /metrics parses (promtool);
#   - hostile clients: a 100 MB request, a client that never reads: errors
#     or disconnects, the daemon keeps serving others.
#
# Usage: test_control.sh SIPLINE SIPLINE_LINK SIPLINE_CONTROL SIPLINECTL
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
. "$(dirname "$0")/lib_control.sh"
itest_init control "${1:-}"
link_init "${2:-}"
control_init "${3:-}" "${4:-}"
SWAP_CALLS=${ITEST_CONTROL_CALLS:-500}
SWAP_RATE=${ITEST_CONTROL_RATE:-50}

PLAN_A="$ITEST_PLANS/link_a.dialplan"
PLAN_BAD="$ITEST_PLANS/link_bad.dialplan"
PLAN_B="$ITEST_TMP/control_b.dialplan"
filler_plan "$ITEST_PLANS/link_b.dialplan" "$PLAN_B" 3000 100
sha_a=$(sha256sum "$PLAN_A" | cut -d' ' -f1)
sha_b=$(sha256sum "$PLAN_B" | cut -d' ' -f1)
command -v setpriv >/dev/null || fail "setpriv is missing (util-linux)"
command -v curl >/dev/null || fail "curl is missing (scripts/setup.sh)"

topo_up
uas_start "$ITEST_SCEN/uas_gw.xml"
sink_start "$NS_B" "$IP_B" 5070 sink70
sipline_start --record-route

# The gateway at :5060 is a plain SIPp UAS that does not answer OPTIONS:
# probing is tested by test_control_gw.sh, off here.
chmod 755 "$ITEST_TMP" # let `nobody` reach the socket's directory: only its mode may stop it
control_conf "dataplane $LINK_SOCK" "probe off" "socket_group nogroup" "history 10" \
    "max_request 1M" "max_write_queue 256k"
control_start
wait_for 10 "the dataplane in sync" dp_ready 1

# ---- 1: the control socket's permissions ----
assert_eq "mode of the control socket" "$(stat -c %a "$CTL_SOCK")" 660
assert_eq "group of the control socket" "$(stat -c %G "$CTL_SOCK")" nogroup
assert_eq "mode of its directory" "$(stat -c %a "$(dirname "$CTL_SOCK")")" 750
assert_eq "group of its directory" "$(stat -c %G "$(dirname "$CTL_SOCK")")" nogroup
rc=0
setpriv --reuid nobody --regid 4242 --clear-groups \
    "$SIPLINECTL" -s "$CTL_SOCK" core version >"$ITEST_TMP/priv.out" 2>&1 || rc=$?
assert_eq "siplinectl exit status as a user outside the socket's group" "$rc" 3
grep -q "Permission denied" "$ITEST_TMP/priv.out" ||
    fail "refused user: expected 'Permission denied', got: $(cat "$ITEST_TMP/priv.out")"
setpriv --reuid nobody --regid nogroup --clear-groups \
    "$SIPLINECTL" -s "$CTL_SOCK" core version >"$ITEST_TMP/priv.out" 2>&1 ||
    fail "a member of the socket's group was refused: $(cat "$ITEST_TMP/priv.out")"
log "socket $CTL_SOCK: 0660 nogroup in a 0750 directory; a member may call, uid nobody outside the group is refused"

# ---- 2: push plan A, calls ----
ctl_ok dialplan push "$PLAN_A"
log "push A: $(tr '\n' ' ' <"$ITEST_TMP/ctl.out")"
grep -Eq "^version +1$" "$ITEST_TMP/ctl.out" || fail "push A: not version 1: $(cat "$ITEST_TMP/ctl.out")"
grep -Eq "$LINK_SOCK +ok" "$ITEST_TMP/ctl.out" || fail "push A: no 'ok' from the dataplane"
assert_eq "the dataplane's plan version" "$(hello_at "$LINK_SOCK" plan_version)" 1
assert_eq "the dataplane's plan SHA-256" "$(hello_at "$LINK_SOCK" plan_sha256)" "$sha_a"
grep -q "call dialplan.push by uid 0 pid [0-9]*:" "$CTL_LOG" ||
    fail "the push was not logged with the caller's uid and pid"
rc=0
uac_run fwd "$ITEST_SCEN/uac_fwd.xml" 100 20 10 || rc=$?
uac_expect_all_ok fwd 20 "$rc"
FWD=20

# ---- 3: a bad plan: every error with its line, the old plan keeps routing ----
rc=0
ctl dialplan push "$PLAN_BAD" || rc=$?
assert_eq "siplinectl exit status for a bad plan" "$rc" 1
grep -Eq 'link_bad\.dialplan:8: ' "$ITEST_TMP/ctl.out" ||
    fail "bad push: no 'link_bad.dialplan:8:' error: $(cat "$ITEST_TMP/ctl.out")"
grep -q "(-32000)" "$ITEST_TMP/ctl.out" || fail "bad push: not error -32000"
log "bad push refused: $(head -n 2 "$ITEST_TMP/ctl.out" | tr '\n' ' ')"
assert_eq "serving version after a bad push" "$(ctl_json 'r["version"]' dialplan status)" 1
assert_eq "the dataplane's version after a bad push" "$(hello_at "$LINK_SOCK" plan_version)" 1
rc=0
uac_run fwd2 "$ITEST_SCEN/uac_fwd.xml" 100 10 10 || rc=$?
uac_expect_all_ok fwd2 10 "$rc"
FWD=$((FWD + 10))

# ---- 4: plan B pushed while calls run ----
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
ctl_ok dialplan push "$PLAN_B"
log "plan B pushed in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s: $(grep -E '^(version|rules|compile_ms) ' "$ITEST_TMP/ctl.out" | tr -s ' \n' ' ')"
kill -0 "$UAC_JOB" 2>/dev/null || fail "the SIPp run ended before plan B was pushed (raise ITEST_CONTROL_CALLS)"
wait "$UAC_JOB" || true
uac_expect_all_ok swap "$SWAP_CALLS" "$(cat "$ITEST_TMP/swap.rc" 2>/dev/null || echo missing)"
uac_expect_no_retrans swap
FWD=$((FWD + SWAP_CALLS))
assert_eq "the dataplane's version after plan B" "$(hello_at "$LINK_SOCK" plan_version)" 2
assert_eq "the dataplane's version in dialplan.status" \
    "$(ctl_json 'r["dataplanes"][0]["plan_version"]' dialplan status)" 2
assert_eq "the dataplane in sync in dialplan.status" "$(jget 'r["dataplanes"][0]["in_sync"]')" true
assert_eq "the dataplane's SHA-256 after plan B" "$(hello_at "$LINK_SOCK" plan_sha256)" "$sha_b"
expect_counter act_reject -eq 0
# The same text again: nothing happens.
ctl_ok --json dialplan push "$PLAN_B"
assert_eq "a push of the serving text changes" "$(jget 'r["changed"]')" false
assert_eq "version after a no-op push" "$(jget 'r["version"]')" 2

# ---- 5: two pushes at once, and a stale base_version ----
for n in 1 2; do
    (
        rc=0
        timeout 120 "$SIPLINECTL" -s "$CTL_SOCK" dialplan push "$PLAN_A" base_version=2 \
            note="concurrent $n" >"$ITEST_TMP/conc$n.out" 2>&1 || rc=$?
        echo "$rc" >"$ITEST_TMP/conc$n.rc"
    ) &
    ITEST_PIDS+=($!)
done
wait_for 60 "both concurrent pushes to finish" test -s "$ITEST_TMP/conc1.rc" -a -s "$ITEST_TMP/conc2.rc"
rcs="$(cat "$ITEST_TMP/conc1.rc") $(cat "$ITEST_TMP/conc2.rc")"
log "concurrent pushes on base_version 2: exit statuses $rcs"
case "$rcs" in
    "0 1" | "1 0") ;;
    *) fail "two pushes on base_version 2: expected one success and one conflict, got $rcs: $(cat "$ITEST_TMP"/conc?.out)" ;;
esac
cat "$ITEST_TMP"/conc?.out | grep "(-32001)" >/dev/null ||
    fail "the losing push did not report a version conflict: $(cat "$ITEST_TMP"/conc?.out)"
assert_eq "serving version after the concurrent pushes" "$(ctl_json 'r["version"]' dialplan status)" 3
rc=0
ctl dialplan push "$PLAN_B" base_version=1 || rc=$?
assert_eq "siplinectl exit status for a stale base_version" "$rc" 1
grep -q "serving: version 3, sha256 $sha_a" "$ITEST_TMP/ctl.out" ||
    fail "stale base_version: the answer does not name the serving version: $(cat "$ITEST_TMP/ctl.out")"
assert_eq "history length" "$(ctl_json 'len(r["items"])' dialplan history)" 3

# ---- 6: gateway admin state, and bindings swept by a re-sync ----
ctl_ok gateways set 10.77.0.20 down port=5070
wait_for 5 "the dataplane to see one gateway down" hello_is "$LINK_SOCK" gateways_down 1
grep -q "call gateways.set by uid 0 pid" "$CTL_LOG" || fail "gateways.set was not logged"
"$SIPLINE_LINK" --socket "$LINK_SOCK" loc-set 4930777@ "sip:4930777@$IP_B:5070" "$IP_B:5070" \
    >/dev/null || fail "loc-set failed"
assert_eq "bindings set behind the control plane's back" "$(hello_at "$LINK_SOCK" bindings)" 1

# ---- 7: sipline-control restarted while calls run ----
(
    rc=0
    uac_run restart "$ITEST_SCEN/uac_fwd.xml" 100 200 40 || rc=$?
    echo "$rc" >"$ITEST_TMP/restart.rc"
) &
UAC_JOB=$!
ITEST_PIDS+=("$UAC_JOB")
wait_for 30 "the first calls of the run" sipp_calls_done restart 40
control_stop
sleep 1
control_start
wait_for 10 "the dataplane in sync again" dp_ready 1
wait "$UAC_JOB" || true
uac_expect_all_ok restart 200 "$(cat "$ITEST_TMP/restart.rc" 2>/dev/null || echo missing)"
FWD=$((FWD + 200))
assert_eq "serving version after the restart" "$(ctl_json 'r["version"]' dialplan status)" 3
assert_eq "SHA-256 after the restart" "$(jget 'r["sha256"]')" "$sha_a"
assert_eq "history after the restart" "$(ctl_json 'len(r["items"])' dialplan history)" 3
assert_eq "admin state after the restart" \
    "$(ctl_json '[g["admin"] for g in r["items"] if g["port"] == 5070][0]' gateways list)" down
assert_eq "the dataplane's version after the restart (no re-push)" "$(hello_at "$LINK_SOCK" plan_version)" 3
assert_eq "gateways down in the dataplane after the restart" "$(hello_at "$LINK_SOCK" gateways_down)" 1
assert_eq "bindings after the re-sync (swept: the control plane holds none)" \
    "$(hello_at "$LINK_SOCK" bindings)" 0
grep -q "bindings re-synced: 0 set, 1 removed" "$SIPLINE_LOG" || fail "the dataplane did not log the binding sweep"

# ---- 8: the dataplane restarted: re-synced from the first HELLO on ----
sipline_stop
sipline_start --record-route
wait_for 10 "the control plane to re-push plan version 3" hello_is "$LINK_SOCK" plan_version 3
# Plan and gateway states travel together (PLAN_PUSH carries the states).
assert_eq "gateways down as soon as the plan is there" "$(hello_at "$LINK_SOCK" gateways_down)" 1
wait_for 10 "the dataplane in sync" dp_ready 1
rc=0
uac_run fwd3 "$ITEST_SCEN/uac_fwd.xml" 100 10 10 || rc=$?
uac_expect_all_ok fwd3 10 "$rc"
FWD=$((FWD + 10))
ctl_ok gateways set 10.77.0.20 auto port=5070
wait_for 5 "the gateway back up in the dataplane" hello_is "$LINK_SOCK" gateways_down 0

# ---- 9: statistics by name, Prometheus ----
ctl_ok --json stats
cp "$ITEST_TMP/ctl.out" "$ITEST_TMP/stats.json"
for name in act_forward rx_requests exc_to_kernel neigh_requests dialplan_version; do
    jget "r['dataplanes'][0]['counters']['$name']" "$ITEST_TMP/stats.json" >/dev/null
done
assert_eq "act_forward from siplinectl and from telemetry" \
    "$(jget "r['dataplanes'][0]['counters']['act_forward']" "$ITEST_TMP/stats.json")" "$(counter act_forward)"
assert_eq "the dataplane's own act_forward equals the total" \
    "$(jget "r['total']['act_forward']" "$ITEST_TMP/stats.json")" "$(counter act_forward)"
ctl_ok stats
grep -Eq '^act_forward +[0-9]+' "$ITEST_TMP/ctl.out" || fail "siplinectl stats: no act_forward row: $(head "$ITEST_TMP/ctl.out")"
metrics_get "$ITEST_TMP/metrics.txt"
if command -v promtool >/dev/null; then
    promtool check metrics <"$ITEST_TMP/metrics.txt" >"$ITEST_TMP/promtool.out" 2>&1 ||
        fail "promtool check metrics: $(head -n 20 "$ITEST_TMP/promtool.out")"
    log "promtool: /metrics is valid Prometheus text ($(grep -c '^[a-z]' "$ITEST_TMP/metrics.txt") samples)"
else
    fail "promtool is missing (Debian package prometheus, scripts/setup.sh)"
fi
grep -Eq "^sipline_dataplane_act_forward_total\{dataplane=\"$LINK_SOCK\"\} [1-9][0-9]*$" "$ITEST_TMP/metrics.txt" ||
    fail "/metrics: no sipline_dataplane_act_forward_total for the dataplane"
grep -Eq '^sipline_dataplane_act_forward_total\{dataplane="[^"]*",worker="0"\} [0-9]+$' "$ITEST_TMP/metrics.txt" ||
    fail "/metrics: no per-worker act_forward"
grep -Eq '^sipline_dataplane_responses_relayed_total\{dataplane="[^"]*",status="200"\} [1-9]' "$ITEST_TMP/metrics.txt" ||
    fail "/metrics: no relayed 200 by status"
grep -Eq '^sipline_control_plan_version 3$' "$ITEST_TMP/metrics.txt" || fail "/metrics: plan version is not 3"
grep -Eq '^sipline_dataplane_up\{dataplane="[^"]*"\} 1$' "$ITEST_TMP/metrics.txt" ||
    fail "/metrics: the dataplane is not shown up"

# ---- 10: hostile clients ----
"$ITEST_PY" - "$CTL_SOCK" >"$ITEST_TMP/hostile.out" 2>&1 <<'PY' || fail "hostile clients: $(cat "$ITEST_TMP/hostile.out")"
import json, socket, sys, time
path = sys.argv[1]
# 1. 100 MB without a newline: an error, then the daemon hangs up, having read at most ~1 MB.
s = socket.socket(socket.AF_UNIX)
s.connect(path)
chunk = b"x" * (1 << 20)
sent = 0
try:
    for _ in range(100):
        s.sendall(chunk)
        sent += len(chunk)
except (BrokenPipeError, ConnectionResetError):
    pass
s.settimeout(5)
data = b""
try:
    while not data.endswith(b"\n"):
        d = s.recv(4096)
        if not d:
            break
        data += d
except socket.timeout:
    pass
ans = json.loads(data.split(b"\n")[0])
assert ans["error"]["code"] == -32600, ans
print("100 MB request: error %d after %d MB sent: %s" % (ans["error"]["code"], sent >> 20, ans["error"]["message"]))
# 2. Requests without ever reading the answers: dropped at max_write_queue, not waited for.
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.setblocking(False)
req = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "system.methodHelp",
                   "params": {"method": "dialplan.push"}}) + "\n").encode()
t = time.time()
hung_up = False
while time.time() - t < 20:
    try:
        s.send(req * 64)
    except BlockingIOError:
        time.sleep(0.01)
    except (BrokenPipeError, ConnectionResetError):
        hung_up = True
        break
assert hung_up, "the daemon kept a client that reads nothing"
print("a client that never reads: disconnected after %.1f s" % (time.time() - t))
# 3. Garbage and a half line, then a good request on a new connection.
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.sendall(b"\x00\xff{{{\n")
ans = json.loads(s.makefile().readline())
assert ans["error"]["code"] == -32700, ans
print("garbage: error -32700")
PY
log "$(tr '\n' ';' <"$ITEST_TMP/hostile.out")"
ctl_ok core health
grep -q "disconnected: its unread answers exceed max_write_queue" "$CTL_LOG" ||
    fail "the non-reading client's disconnection was not logged"

uas_stop
assert_eq "calls completed at the gateway" "$(sipp_stat "$ITEST_TMP/uas_stat.csv" 'SuccessfulCall(C)')" "$FWD"
control_stop
sipline_stop
pass "socket permissions, pushes during calls, errors with lines, conflicts, restarts of both processes, stats, metrics, hostile clients"
