#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The release build the figures in docs/PERFORMANCE.md come from.
#
#   scripts/build-release.sh [--pgo] [DIR]      (DIR defaults to build-rel)
#
# Plain: -O3, LTO, -march=$MARCH (default x86-64-v3; every program checks
# the CPU at start-up). --pgo adds GCC profile-guided optimisation in two
# builds: an instrumented one (-Db_pgo=generate) runs a training workload,
# then the tree is rebuilt with the profile (-Db_pgo=use). Training runs
# the benchmarks' quick modes with Zipf-distributed destinations on small
# plans (the measured runs use uniform destinations, the full number sets
# and the 1M-prefix plan), so the profile is not the measurement replayed.
# Code training never ran keeps its usual optimisation
# (-fprofile-partial-training), not the size-optimisation GCC gives cold code.
# DPDK needs root for its runtime directory: run the --pgo build as root.
set -euo pipefail
cd "$(dirname "$0")/.."

pgo=false
if [ "${1:-}" = "--pgo" ]; then pgo=true; shift; fi
dir=${1:-build-rel}
march=${MARCH:-x86-64-v3}

./scripts/setup.sh >/dev/null
opts=(-Dbuildtype=release -Db_lto=true -Dmarch="$march")
configure() {
    if [ -f "$dir/build.ninja" ]; then
        # (meson 1.0's "setup --reconfigure" keeps some options: configure sets them)
        meson configure "$dir" "${opts[@]}" "$@" >/dev/null
    else
        meson setup "$dir" "${opts[@]}" "$@" >/dev/null
    fi
}

if ! $pgo; then
    configure -Db_pgo=off -Dc_args=
    meson compile -C "$dir" >/dev/null
    echo "release build in $dir"
    exit 0
fi

# Instrumented build; old profiles would be mixed into the new one.
find "$dir" -name '*.gcda' -delete 2>/dev/null || true
configure -Db_pgo=generate -Dc_args=
targets=(perf/bench_pipeline perf/bench_parse perf/bench_rules)
meson compile -C "$dir" "${targets[@]}" >/dev/null
echo "pgo: training in $dir" >&2
"$dir/perf/bench_pipeline" --quick --plan 10re --dist zipf >/dev/null
"$dir/perf/bench_pipeline" --quick --plan 1kre+100kpfx --prefixes 100000 --dist zipf >/dev/null
"$dir/perf/bench_parse" --quick >/dev/null
"$dir/perf/bench_rules" --quick >/dev/null
n=$(find "$dir" -name '*.gcda' | wc -l)
if [ "$n" -eq 0 ]; then
    echo "pgo: the training run left no profile (*.gcda) in $dir" >&2
    exit 1
fi
# Rebuild everything with the profile.
configure -Db_pgo=use -Dc_args=-fprofile-partial-training
meson compile -C "$dir" >/dev/null
echo "release build with profile-guided optimisation in $dir ($n profiles)"
