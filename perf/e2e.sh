#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end benchmark: sipline-gen and sipline as two DPDK processes joined
# by memif (zero-copy shared-memory rings: the closest thing to a NIC here),
# the generator also acting as the gateway of forwarded calls.
# For each case (redirect and forward; a plan of 10 regexes, and one of
# 1,000 regexes + 1M prefixes with numbers drawn from the whole plan) it
# searches the highest rate answered with <= 0.1% loss (sipline-gen --step),
# then measures latency percentiles at 50% and 90% of that rate.
# JSON lines on stdout (sipline-gen's, "phase" best/at50/at90), a table on stderr.
#
#   perf/e2e.sh [--quick] [BUILD_DIR]
#
# --quick: the CI smoke run (small plans, short steps, low rates).
# Two real ports (two machines, or two NIC ports cabled back to back):
#   E2E_ROUTER_EAL="-a 0000:03:00.0 -l 2,3"  E2E_GEN_EAL="-a 0000:03:00.1 -l 4,5"
#   E2E_ROUTER_MAC=...  (the router port's MAC: the generator's --dst-mac)
# replace the memif ports and the lcore layout (docs/benchmarking.md).
#
# This machine has 2 cores: the router's worker gets CPU 1, the generator's
# worker shares CPU 0 with both processes' main lcores, so latency figures
# include scheduling delays a real layout would not have.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-build}
SIPLINE=$build/dataplane/sipline
GEN=$build/perf/gen/sipline-gen
for b in "$SIPLINE" "$GEN"; do
    [ -x "$b" ] || { echo "e2e: $b not built (meson compile -C $build)" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: needs root (DPDK without hugepages still needs /var/run/dpdk and memif sockets)" >&2
    exit 77
fi

ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
TMP=$(mktemp -d "/tmp/sipline-e2e.XXXXXX")
[ -n "${E2E_KEEP:-}" ] && echo "e2e: temporary files in $TMP" >&2
PREFIX="sle2e-$ID"
ROUTER_PID=""
cleanup() {
    set +e
    [ -n "$ROUTER_PID" ] && kill -TERM "$ROUTER_PID" 2>/dev/null && wait "$ROUTER_PID" 2>/dev/null
    [ -n "${E2E_KEEP:-}" ] || rm -rf "$TMP"
    rm -rf "/var/run/dpdk/$PREFIX" "/var/run/dpdk/$PREFIX"-*
}
trap cleanup EXIT INT TERM

MAC_R=${E2E_ROUTER_MAC:-02:79:00:00:00:01}
MAC_G=02:79:00:00:00:02
SOCK=$TMP/memif.sock
ROUTER_EAL=${E2E_ROUTER_EAL:-"--no-pci --vdev net_memif0,role=server,socket=$SOCK,socket-abstract=no,mac=$MAC_R --lcores 0@0,1@1"}
GEN_EAL=${E2E_GEN_EAL:-"--no-pci --vdev net_memif0,role=client,socket=$SOCK,socket-abstract=no,mac=$MAC_G --lcores 0@0,1@0"}

# Plans and the numbers that hit them (python3: deterministic).
python3 - "$TMP" "$quick" <<'PYEOF'
import random, sys
tmp, quick = sys.argv[1], sys.argv[2] == '1'
rnd = random.Random(20261206)
def digits(n): return ''.join(rnd.choice('0123456789') for _ in range(n))
head = 'group gw 10.79.0.20:5060\n'
# 10 regexes: 7<i><9 digits>; even i redirect, odd i forward.
with open(f'{tmp}/10re.dialplan', 'w') as f:
    f.write('plan e2e-10re\n' + head)
    for i in range(10):
        act = 'redirect contact sip:$user@redir.example.net' if i % 2 == 0 else 'forward gw'
        f.write(f'100 regex ^7{i}[0-9]{{9}}$ {act}\n')
n_list = 2000 if quick else 200000
for cls, parity in (('redirect', 0), ('forward', 1)):
    with open(f'{tmp}/10re.{cls}', 'w') as f:
        for _ in range(n_list):
            f.write(f'7{rnd.randrange(parity, 10, 2)}{digits(9)}\n')
# 1,000 regexes 6<iii><7 digits> + N prefixes of 6-9 digits starting 1-5:
# first digit odd redirects, even forwards (nested prefixes agree).
n_pfx = 10000 if quick else 1000000
prefixes = set()
while len(prefixes) < n_pfx:
    prefixes.add(str(rnd.randrange(1, 6)) + digits(rnd.randrange(5, 9)))
prefixes = sorted(prefixes)
name = 'big'
with open(f'{tmp}/{name}.dialplan', 'w') as f:
    f.write(f'plan e2e-{name}\n' + head)
    for i in range(1000):
        act = 'redirect contact sip:$user@redir.example.net' if i % 2 == 0 else 'forward gw'
        f.write(f'100 regex ^6{i:03d}[0-9]{{7}}$ {act}\n')
    for p in prefixes:
        act = 'redirect contact sip:$user@pfx.example.net' if int(p[0]) % 2 else 'forward gw'
        f.write(f'100 prefix {p} {act}\n')
# Numbers from the whole plan (cold caches): 90% prefix traffic, 10% regexes.
n_num = 2000 if quick else 1000000
for cls, odd in (('redirect', True), ('forward', False)):
    pool = [p for p in prefixes if (int(p[0]) % 2 == 1) == odd]
    with open(f'{tmp}/{name}.{cls}', 'w') as f:
        for _ in range(n_num):
            if rnd.random() < 0.1:
                i = rnd.randrange(0 if odd else 1, 1000, 2)
                f.write(f'6{i:03d}{digits(7)}\n')
            else:
                p = rnd.choice(pool)
                f.write(p + digits(11 - len(p)) + '\n')
PYEOF

router_start() { # PLAN
    rm -f "$SOCK"
    # shellcheck disable=SC2086
    "$SIPLINE" --no-huge -m 2048 --file-prefix "$PREFIX" --log-level=warning $ROUTER_EAL -- \
        --addr 10.79.0.1/24 --no-exception --link "$TMP/link.sock" \
        --neighbor 10.79.0.2=$MAC_G --neighbor 10.79.0.20=$MAC_G \
        --dialplan "$1" >"$TMP/sipline.log" 2>&1 &
    ROUTER_PID=$!
    local i
    for ((i = 0; i < 1200; i++)); do
        grep -q '^sipline: running' "$TMP/sipline.log" && return 0
        kill -0 "$ROUTER_PID" 2>/dev/null || { cat "$TMP/sipline.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "e2e: sipline did not start in 120 s" >&2
    exit 1
}
router_stop() {
    kill -TERM "$ROUTER_PID"
    wait "$ROUTER_PID" || { echo "e2e: sipline exited with status $?: $(tail -3 "$TMP/sipline.log")" >&2; exit 1; }
    ROUTER_PID=""
}

# gen CASE OPTIONS...: one generator process for the whole case (the step
# search, then runs at 50% and 90% of the best rate); it lingers until the
# router has stopped (a memif client leaving under a running DPDK 22.11 memif
# server can crash the server).
gen_case() {
    local c=$1 i
    shift
    # shellcheck disable=SC2086
    "$GEN" --no-huge -m 1024 --file-prefix "$PREFIX-gen" --log-level=error $GEN_EAL -- \
        --src 10.79.0.2 --dst 10.79.0.1 --dst-mac "$MAC_R" --gw 10.79.0.20 \
        --size 600 --json --no-progress --case "$c" --then-at 50,90 --linger "$@" \
        >"$TMP/gen.json" 2>>"$TMP/gen.txt" &
    local gpid=$!
    for ((i = 0; i < 6000; i++)); do
        grep -q '"last":true' "$TMP/gen.json" 2>/dev/null && break
        kill -0 "$gpid" 2>/dev/null || break
        sleep 0.1
    done
    router_stop
    wait "$gpid" || { echo "e2e: sipline-gen failed:" >&2; grep -E '^(step|best|  answered)' "$TMP/gen.txt" | tail -8 >&2; exit 1; }
    grep '^{' "$TMP/gen.json" >>"$all"
}

if [ $quick = 1 ]; then
    STEP=(--rate 5000 --step 2,0.1,20000 --duration 0.5 --then-seconds 1)
else
    STEP=(--rate 10000 --step 1.25,0.1 --duration 2 --then-seconds 3)
fi

echo "e2e: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')): router worker on CPU 1, generator worker on CPU 0 with both main lcores" >&2
all="$TMP/all.json"
: >"$all"
for plan in 10re big; do
    for kind in redirect forward; do
        router_start "$TMP/$plan.dialplan"
        gen_case "e2e-$kind-$plan" --mix "$kind=100:@$TMP/$plan.$kind" "${STEP[@]}"
    done
done
cat "$all"
python3 - "$all" <<'PYEOF' >&2
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
print('%-22s %8s %12s %12s %10s %10s %10s' % ('case', 'phase', 'rate pps', 'answered/s',
      'p50 us', 'p99 us', 'loss'))
for r in rows:
    if r['phase'] in ('best', 'at50', 'at90'):
        print('%-22s %8s %12d %12.0f %10.1f %10.1f %10.4f' % (r['case'], r['phase'],
              r['rate_asked'], r['mpps'] * 1e6, r['p50_us'], r['p99_us'], r['loss']))
PYEOF
