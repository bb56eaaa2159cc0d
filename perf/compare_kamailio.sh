#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# sipline and Kamailio side by side, in one run, with the same generator:
# sipline-gen on an af_packet port in a namespace of its own, the router
# under test behind a veth in another namespace (Kamailio: Debian's package
# on the kernel's UDP socket, one UDP worker, pinned to CPU 1; sipline: its
# worker lcore on CPU 1, on an af_packet port). For each router and case
# (stateless 302, stateless forward to a gateway the generator plays) the
# highest rate answered with <= 0.1% loss (sipline-gen --step), the CPU
# seconds it cost per message, and the ratio. One table on stderr, the JSON
# lines (sipline-gen's, plus one "compare" line per case) on stdout.
#
# CPU per message: Kamailio, the user + system time of all its processes
# (from /proc, over the best step); sipline, its worker lcore's wall time
# (a poll-mode core is all its own, idle polling included) over the same.
# Both routers get the same kernel path to the generator (a veth pair), so
# sipline's figure is bounded by af_packet here; perf/e2e.sh gives its own.
#
#   perf/compare_kamailio.sh [--quick] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-build}
SIPLINE=$build/dataplane/sipline
GEN=$build/perf/gen/sipline-gen
if [ "$(id -u)" -ne 0 ]; then
    echo "compare_kamailio: needs root (network namespaces)" >&2
    exit 77
fi
for b in "$SIPLINE" "$GEN"; do
    [ -x "$b" ] || { echo "compare_kamailio: $b not built" >&2; exit 1; }
done
command -v kamailio >/dev/null || { echo "compare_kamailio: kamailio not installed (scripts/setup.sh)" >&2; exit 1; }

ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS_R="slkr-$ID"
NS_G="slkg-$ID"
PREFIX="slkam-$ID"
TMP=$(mktemp -d /tmp/sipline-kamailio.XXXXXX)
cleanup() {
    set +e
    for ns in "$NS_R" "$NS_G"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
    done
    sleep 0.5
    for ns in "$NS_R" "$NS_G"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$TMP" "/var/run/dpdk/$PREFIX" "/var/run/dpdk/$PREFIX"-*
}
trap cleanup EXIT INT TERM

ip netns add "$NS_R"
ip netns add "$NS_G"
ip link add r0 netns "$NS_R" type veth peer name g0 netns "$NS_G"
for ns in "$NS_R" "$NS_G"; do ip -n "$ns" link set lo up; done
ip -n "$NS_R" link set r0 up
ip -n "$NS_G" link set g0 up
ip netns exec "$NS_R" ethtool -K r0 tx off rx off >/dev/null 2>&1 || true
ip netns exec "$NS_G" ethtool -K g0 tx off rx off >/dev/null 2>&1 || true
MAC_R=$(ip -n "$NS_R" -j link show r0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
MAC_G=$(ip -n "$NS_G" -j link show g0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')

if [ $quick = 1 ]; then
    STEP=(--rate 2000 --step 2,0.1,8000 --duration 0.5)
    RUN=1
else
    STEP=(--rate 2000 --step 1.25,0.1 --duration 2)
    RUN=5
fi
AFP="iface=g0,framecnt=4096,blocksz=65536,framesz=2048"

# gen ROUTER CASE OPTIONS...: sipline-gen against the router now behind r0.
gen() {
    local router=$1 c=$2
    shift 2
    ip netns exec "$NS_G" "$GEN" --no-huge -m 512 --no-pci --file-prefix "$PREFIX-gen" \
        --lcores 0@0,1@0 --log-level=error --vdev "net_af_packet0,$AFP" -- \
        --src 10.99.0.10 --dst 10.99.0.1 --dst-mac "$MAC_R" --gw 10.99.0.20 --size 600 \
        --json --no-progress --case "$router-$c" "$@" >"$TMP/gen.out" \
        2>>"$TMP/gen.txt" || { echo "compare_kamailio: sipline-gen failed against $router:" >&2
        grep -E '^(step|best|run|  answered)' "$TMP/gen.txt" | tail -8 >&2; exit 1; }
    cat "$TMP/gen.out"
    cat "$TMP/gen.out" >>"$TMP/all.json"
}

# CPU ticks of every process in the router's namespace.
cpu_ticks() {
    local t=0 p
    for p in $(ip netns pids "$NS_R"); do
        t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}

CASES=("redirect:redirect=100:3020000000-3029999999" "forward:forward=100:1000000000-1009999999")

# ---- Kamailio ----
ip -n "$NS_R" addr add 10.99.0.1/24 dev r0
cat >"$TMP/kamailio.cfg" <<'KEOF'
#!KAMAILIO
# The equivalent of the dialplan: 302x redirected (sl, Contact from the
# R-URI), 100x forwarded statelessly to the gateway, the rest 404.
debug=0
log_stderror=no
memdbg=5
memlog=5
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:10.99.0.1:5060
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (is_method("ACK")) { exit; }
    if ($rU =~ "^302") {
        $ru = "sip:+4930111@gw1.example.net";
        sl_send_reply("302", "Moved Temporarily");
        exit;
    }
    if ($rU =~ "^100") {
        forward("10.99.0.20", 5060);
        exit;
    }
    sl_send_reply("404", "Not Found");
}
KEOF
ip netns exec "$NS_R" taskset -c 1 kamailio -f "$TMP/kamailio.cfg" -P "$TMP/kamailio.pid" \
    -m 64 -M 8 -w "$TMP" >"$TMP/kamailio.log" 2>&1 ||
    { echo "compare_kamailio: kamailio did not start:" >&2; cat "$TMP/kamailio.log" >&2; exit 1; }
for _ in $(seq 50); do [ -s "$TMP/kamailio.pid" ] && break; sleep 0.1; done
sleep 1
# measure ROUTER: for each case the step search, then a run at the best rate
# with the router's CPU time taken around it.
measure() {
    local router=$1 c best t0 t1
    for c in "${CASES[@]}"; do
        gen "$router" "${c%%:*}" --mix "${c#*:}" "${STEP[@]}" >"$TMP/$router.${c%%:*}.step"
        best=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])
            if l.startswith("{") and "\"best\"" in l][-1]["rate_asked"])' "$TMP/$router.${c%%:*}.step")
        [ "$best" -gt 0 ] || { echo "compare_kamailio: $router sustained no rate" >&2; exit 1; }
        t0=$(cpu_ticks)
        gen "$router" "${c%%:*}" --mix "${c#*:}" --rate "$best" --duration "$RUN" \
            >"$TMP/$router.${c%%:*}.run"
        t1=$(cpu_ticks)
        echo "$router ${c%%:*} $t0 $t1" >>"$TMP/cpu"
    done
}
measure kamailio
for p in $(ip netns pids "$NS_R"); do kill -TERM "$p" 2>/dev/null || true; done
for _ in $(seq 50); do [ -z "$(ip netns pids "$NS_R")" ] && break; sleep 0.1; done
ip -n "$NS_R" addr flush dev r0

# ---- sipline ----
cat >"$TMP/plan" <<'PEOF'
plan compare
group gw 10.99.0.20:5060
10 prefix 302 redirect 302 contact sip:+4930111@gw1.example.net
10 prefix 100 forward gw
PEOF
ip netns exec "$NS_R" "$SIPLINE" --no-huge -m 1024 --no-pci --file-prefix "$PREFIX" \
    --lcores 0@0,1@1 --log-level=warning \
    --vdev "net_af_packet0,iface=r0,framecnt=4096,blocksz=65536,framesz=4096" -- \
    --addr 10.99.0.1/24 --no-exception --link "$TMP/link.sock" \
    --neighbor 10.99.0.10="$MAC_G" --neighbor 10.99.0.20="$MAC_G" \
    --dialplan "$TMP/plan" >"$TMP/sipline.log" 2>&1 &
for _ in $(seq 300); do grep -q '^sipline: running' "$TMP/sipline.log" && break; sleep 0.1; done
grep -q '^sipline: running' "$TMP/sipline.log" || { cat "$TMP/sipline.log" >&2; exit 1; }
measure sipline

python3 - "$TMP" "$(getconf CLK_TCK)" <<'PYEOF'
import json, sys
tmp, hz = sys.argv[1], int(sys.argv[2])
res = {}
for l in open(f'{tmp}/cpu'):
    router, case, t0, t1 = l.split()
    run = [json.loads(x) for x in open(f'{tmp}/{router}.{case}.run') if x.startswith('{')][-1]
    best = run
    if router == 'kamailio':
        cpu = (int(t1) - int(t0)) / hz               # all its processes, user + system
    else:
        cpu = run['seconds'] * run['workers']        # a poll-mode worker core, idle included
    per_cpu_s = run['answered'] / cpu if cpu > 0 else 0
    res[(router, case)] = (best, per_cpu_s)
    print(json.dumps({'bench': 'compare', 'case': f'{router}-{case}', 'router': router,
                      'best_pps': best['rate_asked'], 'loss': best['loss'],
                      'p50_us': best['p50_us'], 'p99_us': best['p99_us'],
                      'msgs_per_cpu_s': round(per_cpu_s), 'mpps': best['mpps'],
                      'ns_per_op': round(1e9 / per_cpu_s, 1) if per_cpu_s else 0,
                      'cycles_per_op': best['cycles_per_op']}))
print('%-10s %-9s %12s %16s %10s %10s %8s' % ('router', 'case', 'best pps', 'msgs/CPU-s',
      'p50 us', 'p99 us', 'ratio'), file=sys.stderr)
for case in ('redirect', 'forward'):
    k = res.get(('kamailio', case))
    for router in ('kamailio', 'sipline'):
        b, m = res[(router, case)]
        ratio = m / k[1] if k and k[1] else 0
        print('%-10s %-9s %12d %16.0f %10.1f %10.1f %8s' % (router, case, b['rate_asked'], m,
              b['p50_us'], b['p99_us'], '%.1fx' % ratio if router == 'sipline' else ''),
              file=sys.stderr)
print('(2-core machine: the generator shares CPU 0 with the main lcores; each router '
      'gets CPU 1. sipline is measured through af_packet on a veth here.)', file=sys.stderr)
PYEOF
