#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# (e) Dialplan swaps during a SIPp run lose no call: a long forward run
# (ITEST_RELOAD_CALLS calls at ITEST_RELOAD_RATE/s through the router to the
# gateway) while the dialplan file is rewritten - plan A, plan B (other
# rule text and group name, thousands of filler rules, same gateway for
# 100x), back and forth, by rename and in place - with SIGHUP after each
# write. Once, a broken plan: the reload must report file:line errors and
# the current plan keep serving. Every call must succeed, and the version
# and SHA-256 sipline reports (log line and telemetry /sipline/dialplan)
# must follow the files.
#
# Usage: test_reload.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
itest_init reload "${1:-}"
CALLS=${ITEST_RELOAD_CALLS:-2000}
RATE=${ITEST_RELOAD_RATE:-50}

PLAN="$ITEST_TMP/reload.dialplan"
PLAN_A="$ITEST_TMP/plan_a"
PLAN_B="$ITEST_TMP/plan_b"
cp "$ITEST_PLANS/reload_a.dialplan" "$PLAN_A"
filler_plan "$ITEST_PLANS/reload_b.dialplan" "$PLAN_B" 5000 200
sha_a=$(sha256sum "$PLAN_A" | cut -d' ' -f1)
sha_b=$(sha256sum "$PLAN_B" | cut -d' ' -f1)

loaded_lines() { grep -c "dialplan $PLAN loaded:" "$SIPLINE_LOG" || true; }
error_lines() { grep -c "dialplan $PLAN: .*error" "$SIPLINE_LOG" || true; }
# shellcheck disable=SC2317 # called through wait_for
more_loaded() { [ "$(loaded_lines)" -gt "$1" ]; }
# shellcheck disable=SC2317
more_errors() { [ "$(error_lines)" -gt "$1" ]; }
served() { # the telemetry's version and sha256 of the plan being served
    "$ITEST_PY" "$ITEST_DIR/sipnet.py" telemetry --prefix "$DPDK_PREFIX" /sipline/dialplan |
        awk '$1 == "version" || $1 == "sha256" { printf "%s=%s ", $1, $2 }'
}

topo_up
uas_start "$ITEST_SCEN/uas_gw.xml"
cp "$PLAN_A" "$PLAN"
sipline_start --dialplan "$PLAN" --record-route
assert_log "dialplan $PLAN loaded: version [0-9]+, 2 rules, sha256 $sha_a" "plan A at start"

log "calls: $CALLS at $RATE/s while the dialplan changes"
(
    rc=0
    uac_run reload "$ITEST_SCEN/uac_fwd.xml" 100 "$CALLS" "$RATE" || rc=$?
    echo "$rc" >"$ITEST_TMP/uac.rc"
) &
UAC_JOB=$!
ITEST_PIDS+=("$UAC_JOB")

reloads=0 bad_done=0 version_seen=()
next=B
sleep 2
while kill -0 "$UAC_JOB" 2>/dev/null; do
    before_ok=$(loaded_lines)
    before_err=$(error_lines)
    if [ "$bad_done" = 0 ] && [ "$reloads" = 3 ]; then
        cp "$ITEST_PLANS/reload_bad.dialplan" "$PLAN"
        sipline_reload
        wait_for 20 "sipline to report the broken plan" more_errors "$before_err"
        assert_log "reload\.dialplan:[0-9]+: " "file:line errors for the broken plan"
        log "broken plan refused: $(grep -m1 -E 'reload\.dialplan:[0-9]+: ' "$SIPLINE_LOG")"
        bad_done=1
        # Put the last good plan back without a reload: the file now matches what is served.
        if [ "$next" = B ]; then cp "$PLAN_A" "$PLAN"; else cp "$PLAN_B" "$PLAN"; fi
        sleep 1
        continue
    fi
    src=$PLAN_A want=$sha_a
    [ "$next" = B ] && src=$PLAN_B want=$sha_b
    if ((reloads % 2)); then
        cp "$src" "$PLAN"                                 # in place
    else
        cp "$src" "$PLAN.new" && mv -f "$PLAN.new" "$PLAN" # by rename
    fi
    sipline_reload
    wait_for 30 "sipline to load plan $next (reload $((reloads + 1)))" \
        more_loaded "$before_ok"
    line=$(grep "dialplan $PLAN loaded:" "$SIPLINE_LOG" | tail -n 1)
    case "$line" in
    *"sha256 $want"*) ;;
    *) fail "reload $((reloads + 1)) (plan $next): log says '$line', expected sha256 $want" ;;
    esac
    reloads=$((reloads + 1))
    version_seen+=("$(printf '%s' "$line" | sed -n 's/.*version \([0-9]*\),.*/\1/p')")
    log "reload $reloads: plan $next served ($(served))"
    if [ "$next" = B ]; then next=A; else next=B; fi
    sleep 1.5
done
wait "$UAC_JOB" || true
rc=$(cat "$ITEST_TMP/uac.rc" 2>/dev/null || echo "missing")
uac_expect_all_ok reload "$CALLS" "$rc"

if [ $((CALLS / RATE)) -ge 20 ]; then # the default run: 40 s
    assert_ge "successful reloads during the run" "$reloads" 4
    assert_eq "broken plan tried during the run" "$bad_done" 1
else
    assert_ge "successful reloads during the run" "$reloads" 1
fi
# Versions strictly increase, one per successful load.
prev=0
for v in "${version_seen[@]}"; do
    if [ -z "$v" ] || [ "$v" -le "$prev" ]; then
        fail "dialplan versions do not increase: ${version_seen[*]}"
    fi
    prev=$v
done
now=$(served)
case "$now" in
*"version=$prev "*) ;;
*) fail "telemetry /sipline/dialplan says '$now', expected version $prev" ;;
esac
expect_counter act_unavailable -eq 0
expect_counter act_reject -eq 0
expect_counter act_dialog_refused -eq 0
# Nothing lost on the way: no queue overflowed, and SIPp never had to
# retransmit (a message lost during a swap would show as a retransmission).
expect_counter drop_tx_full -eq 0
expect_counter drop_no_mbuf -eq 0
expect_counter drop_exc_full -eq 0
uac_expect_no_retrans reload
uas_stop
uas_ok=$(sipp_stat "$ITEST_TMP/uas_stat.csv" 'SuccessfulCall(C)')
assert_eq "calls completed at the gateway" "$uas_ok" "$CALLS"
sipline_stop
pass "$CALLS calls, $reloads reloads (versions ${version_seen[*]}), $bad_done refused plan, no call lost"
