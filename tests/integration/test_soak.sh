#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Soak (issue 13): $SOAK_SECONDS (60 in CI; longer by hand:
#   SOAK_SECONDS=3600 meson test -C build integration-soak --timeout-multiplier 0)
# of legitimate calls (SIPp, forwarded to the gateway and back) mixed with a
# hostile flood from sipline-gen: scanner INVITEs from 4,096 spoofed source
# addresses. Every 10 s the router's resident memory and its counters are
# sampled: memory does not grow, and both the legitimate (act_forward) and
# the hostile (drop_scanner) counters advance in every interval (no stuck
# queue). Afterwards: >= 99% of the calls succeeded, not one answer reached
# the flooder, and a fresh run of calls is served at once.
#
# Usage: test_soak.sh PATH_TO_SIPLINE PATH_TO_SIPLINE_GEN
. "$(dirname "$0")/lib.sh"
itest_init soak "${1:-}"
GEN=${2:-}
[ -x "$GEN" ] || fail "usage: $0 SIPLINE SIPLINE_GEN"
. "$ITEST_DIR/lib_flood.sh"
SOAK=${SOAK_SECONDS:-60}
CPS=4
CALLS=$((SOAK * CPS - 2 * CPS))
RATE=${FLOOD_RATE:-2000}

topo_up
flooder_up
sipline_start --dialplan "$ITEST_PLANS/itest.dialplan" --relay-in-dialog --src-rate 300 \
    --src-burst 600 --src-ban 3 --src-table 1024 --neigh-capacity 256
uas_start "$ITEST_SCEN/uas_gw.xml"

rc=0
uac_run soak "$ITEST_SCEN/uac_fwd.xml" 100 "$CALLS" "$CPS" &
UAC=$!
flood soak "$SOAK" --template "@$ITEST_TMP/scanner.tmpl" --users 1000000000-1009999999 \
    --src-ips 4096 --src 10.78.0.1 &
FLOOD=$!
ITEST_PIDS+=("$UAC" "$FLOOD")

samples="$ITEST_TMP/samples"
: >"$samples"
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt "$SOAK" ]; do
    sleep 10
    printf '%s %s %s %s\n' "$(($(date +%s) - start))" "$(rss_kb)" "$(counter act_forward)" \
        "$(counter drop_scanner)" >>"$samples"
    log "sample: t=$(tail -1 "$samples" | cut -d' ' -f1)s rss=$(tail -1 "$samples" | cut -d' ' -f2) kB act_forward=$(tail -1 "$samples" | cut -d' ' -f3) drop_scanner=$(tail -1 "$samples" | cut -d' ' -f4)"
done
wait "$FLOOD" || fail "the flooder failed"
wait "$UAC" || rc=$?
calls_expect soak "$CALLS" "$rc"
[ "$(jget soak answered)" = 0 ] || fail "the flooder got $(jget soak answered) answers"
[ "$(jget soak sent)" -ge $((RATE * SOAK * 9 / 10)) ] || fail "the flood sent only $(jget soak sent)"

# Memory flat, every queue moving: each interval advances both counters.
"$ITEST_PY" - "$samples" <<'PYEOF' || fail "soak samples: see above"
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
if len(rows) < 3:
    sys.exit('fewer than 3 samples')
rss = [r[1] for r in rows]
grow = max(rss) - rss[0]
print('rss %d..%d kB (growth %d kB over %d samples)' % (min(rss), max(rss), grow, len(rows)))
bad = []
if grow > 8192:
    bad.append('memory grew by %d kB' % grow)
# The last sample may fall after the flood and the calls ended.
for a, b in zip(rows[:-2], rows[1:-1]):
    if b[2] <= a[2]:
        bad.append('act_forward stuck between t=%ds and t=%ds' % (a[0], b[0]))
    if b[3] <= a[3]:
        bad.append('drop_scanner stuck between t=%ds and t=%ds' % (a[0], b[0]))
for m in bad:
    print(m, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

# Recovered at once: a fresh run of calls, all served.
rc=0
uac_run after "$ITEST_SCEN/uac_fwd.xml" 100 10 5 || rc=$?
uac_expect_all_ok after 10 "$rc"
sipline_stop
pass
