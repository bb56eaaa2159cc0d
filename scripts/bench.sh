#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Run every benchmark and print their JSON lines (one result per line).
#   scripts/bench.sh [--quick] [BUILD_DIR]
# --quick is the CI smoke mode: few iterations, same code paths. Each line
# is checked to be valid JSON with the fields every benchmark must report.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=""
if [ "${1:-}" = "--quick" ]; then quick="--quick"; shift; fi
build=${1:-build}

if [ ! -f "$build/build.ninja" ]; then
    ./scripts/setup.sh
    meson setup "$build" >/dev/null
fi
meson compile -C "$build" >/dev/null

# check [EXTRA_FIELDS]: stdin's JSON lines carry every field a benchmark must report.
check() {
    python3 -c '
import json, sys
need = {"bench", "case", "ns_per_op", "mpps", "cycles_per_op"} | set(sys.argv[1:])
n = 0
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    rec = json.loads(line)
    # The parser benchmark also names the scanner variant of each line.
    missing = (need | ({"variant"} if rec.get("bench") == "parse" else set())) - rec.keys()
    if missing:
        sys.exit("missing fields %s in %s" % (sorted(missing), line))
    n += 1
if n == 0:
    sys.exit("no results")
' "$@"
}

status=0
for want in bench_parse bench_rules bench_pipeline; do
    if [ ! -x "$build/perf/$want" ]; then
        echo "bench: $build/perf/$want was not built" >&2
        status=1
    fi
done
for b in "$build"/perf/bench_*; do
    [ -x "$b" ] && [ -f "$b" ] || continue
    name=$(basename "$b")
    if ! out=$("$b" $quick); then
        echo "bench: $name failed" >&2
        status=1
        continue
    fi
    if ! printf '%s\n' "$out" | check; then
        echo "bench: $name printed malformed results" >&2
        status=1
        continue
    fi
    printf '%s\n' "$out"
done
# End to end: sipline-gen against sipline over memif (root: DPDK's runtime
# directory). Its lines also carry loss and latency percentiles.
if [ "$(id -u)" = 0 ] && [ -x "$build/perf/gen/sipline-gen" ]; then
    if ! out=$(perf/e2e.sh $quick "$build"); then
        echo "bench: perf/e2e.sh failed" >&2
        status=1
    elif ! printf '%s\n' "$out" | check loss p50_us p99_us tx_mpps; then
        echo "bench: perf/e2e.sh printed malformed results" >&2
        status=1
    else
        printf '%s\n' "$out"
    fi
fi
exit $status
