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
    if ! printf '%s\n' "$out" | python3 -c '
import json, sys
need = {"bench", "case", "ns_per_op", "mpps", "cycles_per_op"}
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
'; then
        echo "bench: $name printed malformed results" >&2
        status=1
        continue
    fi
    printf '%s\n' "$out"
done
exit $status
