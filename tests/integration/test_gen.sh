#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# sipline-gen against sipline over memif (two DPDK processes, shared-memory
# rings), in a namespace of its own:
#  1. a redirect/forward/no-route mix at a low fixed rate, with 5% of the
#     requests retransmitted and the generator as the gateway too: every
#     request answered as its class expects (302, the gateway's 200 relayed
#     back, 404), every forward seen at the gateway and forwarded well (our
#     Via on top, Max-Forwards 69), retransmissions forwarded with the same
#     branch, zero loss, latency reported; the same over IPv6;
#  2. the router limited to half the offered rate (--src-rate): the
#     generator reports about 50% loss (a generator that cannot see loss is
#     not a benchmark);
#  3. precise errors for bad options.
#
# Usage: test_gen.sh PATH_TO_SIPLINE PATH_TO_SIPLINE_GEN
. "$(dirname "$0")/lib.sh"
itest_init gen "${1:-}"
GEN=${2:-}
[ -x "$GEN" ] || fail "usage: $0 SIPLINE SIPLINE_GEN"
NS_G="slg-$ITEST_ID"
itest_add_ns "$NS_G"
SOCK="$ITEST_TMP/memif.sock"
MAC_R=02:78:00:00:00:01
MAC_G=02:78:00:00:00:02
PLAN="$ITEST_TMP/gen.dialplan"
cat >"$PLAN" <<'PLANEOF'
plan gen
group gw 10.78.0.20:5060
group gw6 [fd00:78::20]:5060
10  prefix 302   redirect 302 contact sip:+4930111@gw1.example.net
10  prefix 100   forward gw
10  prefix 600   forward gw6
PLANEOF

# router_start [sipline options]: sipline in $NS_G as the memif server.
router_start() {
    local i
    : >"$SIPLINE_LOG"
    rm -f "$SOCK"
    ip netns exec "$NS_G" "$SIPLINE" --no-huge -m 1024 --no-pci --file-prefix "$DPDK_PREFIX" \
        --lcores 0@0,1@1 --log-level=warning \
        --vdev "net_memif0,role=server,socket=$SOCK,socket-abstract=no,mac=$MAC_R" -- \
        --addr 10.78.0.1/24 --addr fd00:78::1/64 --no-exception --link "$ITEST_TMP/link.sock" \
        --neighbor 10.78.0.2=$MAC_G --neighbor 10.78.0.20=$MAC_G \
        --neighbor fd00:78::2=$MAC_G --neighbor fd00:78::20=$MAC_G \
        --dialplan "$PLAN" "$@" >>"$SIPLINE_LOG" 2>&1 &
    SIPLINE_PID=$!
    for ((i = 0; i < 300; i++)); do
        grep -q '^sipline: running' "$SIPLINE_LOG" && return 0
        sipline_alive || fail "sipline exited during start-up"
        sleep 0.1
    done
    fail "sipline did not start in 30 s"
}

# gen OUT [options]: a generator run against the router router_start started;
# its JSON lines in OUT, its text in OUT.txt. The generator lingers after its
# report and the router is stopped first: Debian's DPDK 22.11 memif server
# can crash when its client leaves while a worker polls the rings
# (docs/benchmarking.md "memif on DPDK 22.11"), so each run gets its own
# router, as in perf/e2e.sh.
gen() {
    local out=$1 gpid i rc=0
    shift
    ip netns exec "$NS_G" "$GEN" --no-huge -m 512 --no-pci --file-prefix "$DPDK_PREFIX-gen" \
        --lcores 0@0,1@0 --log-level=error \
        --vdev "net_memif0,role=client,socket=$SOCK,socket-abstract=no,mac=$MAC_G" -- \
        --dst-mac $MAC_R --json --no-progress --linger "$@" >"$out" 2>"$out.txt" &
    gpid=$!
    ITEST_PIDS+=("$gpid")
    for ((i = 0; i < 600; i++)); do
        grep -q '"last":true' "$out" 2>/dev/null && break
        kill -0 "$gpid" 2>/dev/null || break
        sleep 0.1
    done
    sipline_stop
    wait "$gpid" || rc=$?
    [ "$rc" = 0 ] || fail "sipline-gen failed ($rc): $(tail -5 "$out.txt")"
    log "sipline-gen $*: $(grep -E '^ *(run|answered|gateway|latency)' "$out.txt" | tr -s ' ' | tr '\n' ';')"
}

# check OUT PYTHON-EXPRESSION...: each expression over the final JSON line (r) must hold.
check() {
    local out=$1
    shift
    "$ITEST_PY" - "$out" "$@" <<'PYEOF' || fail "sipline-gen report: see above"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
r = [l for l in lines if l.get('last')][-1]
bad = [e for e in sys.argv[2:] if not eval(e, {}, {'r': r})]
for e in bad:
    print('  not true:', e, file=sys.stderr)
if bad:
    print('  report:', json.dumps(r), file=sys.stderr)
    sys.exit(1)
PYEOF
}

MIX=redirect=70:3020000000-3029999999,forward=25:1000000000-1009999999,noroute=5:9990000000-9999999999

log "1. the mix at 2,000/s for 3 s over IPv4, 5% retransmitted"
router_start
gen "$ITEST_TMP/v4.json" --src 10.78.0.2 --dst 10.78.0.1 --gw 10.78.0.20 --mix "$MIX" \
    --rate 2000 --duration 3 --size 600 --retrans 5 --case mix-v4
check "$ITEST_TMP/v4.json" \
    "r['sent'] >= 5900 and r['sent'] <= 6001" \
    "r['answered'] == r['sent']" "r['loss'] == 0" "r['unexpected'] == 0" \
    "abs(r['s3xx'] / r['sent'] - 0.70) < 0.05" "abs(r['s2xx'] / r['sent'] - 0.25) < 0.05" \
    "abs(r['s4xx'] / r['sent'] - 0.05) < 0.03" \
    "r['fwd_answered'] == r['fwd_seen'] and r['fwd_seen'] >= r['s2xx']" \
    "r['fwd_bad'] == 0" "r['branch_mismatch'] == 0" \
    "r['retrans'] > 100 and r['dup'] > 0 and r['dup'] <= r['retrans']" \
    "r['p50_us'] > 0 and r['p99_us'] >= r['p50_us'] and r['max_us'] >= r['p99_us']" \
    "r['tsc_hz'] > 0 and r['cpu'] != ''"

log "   the same over IPv6 (forwards to an IPv6 gateway)"
router_start
gen "$ITEST_TMP/v6.json" --src fd00:78::2 --dst fd00:78::1 --gw fd00:78::20 \
    --mix redirect=60:3020000000-3029999999,forward=40:6000000000-6009999999 \
    --rate 1000 --duration 2 --case mix-v6
check "$ITEST_TMP/v6.json" "r['sent'] >= 1950" "r['loss'] == 0" "r['unexpected'] == 0" \
    "abs(r['s2xx'] / r['sent'] - 0.40) < 0.07" "r['fwd_bad'] == 0"

log "2. a router that serves half the offered rate: the generator sees the loss"
router_start --src-rate 1000 --src-burst 20 --src-ban 0
gen "$ITEST_TMP/half.json" --src 10.78.0.2 --dst 10.78.0.1 \
    --users 3020000000-3029999999 --rate 2000 --duration 3 --case half
check "$ITEST_TMP/half.json" "r['sent'] >= 5900" "0.35 < r['loss'] < 0.65" \
    "r['answered'] + 1 >= r['sent'] * (1 - r['loss'])"

log "3. precise errors"
out=$("$GEN" --no-huge -m 64 --no-pci --file-prefix "$DPDK_PREFIX-err" --log-level=error -- \
    --src 10.78.0.2 --dst 10.78.0.1 --mix redirect=70:1-2,noroute=20:3-4 2>&1) && fail "bad --mix accepted"
grep -q 'add up to 90, not 100' <<<"$out" || fail "bad --mix: $out"
out=$("$GEN" --no-huge -m 64 --no-pci --file-prefix "$DPDK_PREFIX-err" --log-level=error -- \
    --src 10.78.0.2 --dst 10.78.0.1 --template invite --size 100 2>&1) && fail "--size 100 accepted"
grep -q 'can be reached' <<<"$out" || fail "bad --size: $out"
out=$("$GEN" --no-huge -m 64 --no-pci --file-prefix "$DPDK_PREFIX-err" --log-level=error -- \
    --src 10.78.0.2 --dst 10.78.0.1 --mix forward=100:1-2 2>&1) && fail "forward without --gw accepted"
grep -q 'needs --gw' <<<"$out" || fail "forward without --gw: $out"

pass
