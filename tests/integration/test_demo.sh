#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The README's first command, scripts/demo.sh, on a short run (DEMO_SECONDS,
# default 8 here) with the binary under test (no setup, no build): it must
# finish by itself with every call completed (redirected, forwarded and
# rejected ones), show live statistics, stop sipline cleanly, and leave
# nothing behind (its namespaces are gone afterwards).
#
# Usage: test_demo.sh PATH_TO_SIPLINE
set -euo pipefail
SIPLINE=${1:?usage: test_demo.sh PATH_TO_SIPLINE}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "[demo] SKIP: needs root (network namespaces, af_packet)" >&2
    exit 77
fi
BUILD=$(cd "$(dirname "$SIPLINE")/.." && pwd)
LOG=$(mktemp /tmp/sipline-demo-test.XXXXXX)
trap 'rm -f "$LOG"' EXIT
fail() {
    echo "[demo] FAIL: $*" >&2
    tail -n 40 "$LOG" >&2
    exit 1
}

rc=0
DEMO_NO_SETUP=1 DEMO_NO_BUILD=1 DEMO_BUILD="$BUILD" DEMO_SECONDS=${DEMO_SECONDS:-8} \
    timeout --kill-after=10 120 "$ROOT/scripts/demo.sh" >"$LOG" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "scripts/demo.sh exited with status $rc"
grep -q '^== demo finished: every call completed' "$LOG" || fail "no 'every call completed' line"
grep -q 'sipline stopped cleanly' "$LOG" || fail "sipline was not stopped cleanly"
# Live statistics: at least a few one-second lines with growing RX.
lines=$(grep -Ec '^ *[0-9]+s +[0-9]+ ' "$LOG" || true)
[ "$lines" -ge 3 ] || fail "$lines lines of live statistics, expected at least 3"
# Each kind of call happened and none failed.
for what in "redirected (+4930" "forwarded to the gateway" "rejected (+49900"; do
    row=$(grep -F -- "$what" "$LOG" | tail -n 1)
    ok=$(printf '%s\n' "$row" | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "ok") print $i }')
    failed=$(printf '%s\n' "$row" | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "failed") print $i }')
    [ -n "$ok" ] && [ "$ok" -gt 0 ] || fail "summary '$what': no successful call ($row)"
    [ "$failed" = 0 ] || fail "summary '$what': $failed failed ($row)"
done
grep -Eq '^ +act_ack_absorbed +[1-9]' "$LOG" || fail "no ACK absorbed in the router counters"
grep -Eq '^ +act_in_dialog +[1-9]' "$LOG" || fail "no in-dialog request relayed (signed Record-Route)"
# Nothing left behind: the demo's namespaces are gone.
id=$(sed -n 's/.*run id \([0-9a-f]*\),.*/\1/p' "$LOG" | head -n 1)
[ -n "$id" ] || fail "no run id in the demo's output"
if ip netns list | grep -- "-$id" >/dev/null; then
    fail "namespaces of run $id still exist: $(ip netns list | grep -- "-$id" | tr '\n' ' ')"
fi
echo "[demo] PASS: $(grep -F 'calls the gateway completed' "$LOG" | tr -s ' '), run $id cleaned up"
