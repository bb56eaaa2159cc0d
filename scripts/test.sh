#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The README's test command: installs what it needs, builds, and runs every
# test sipline has. Run as root on Debian 12 (integration tests create network
# namespaces). Exit status is non-zero if anything fails.
#
#   scripts/test.sh            everything
#   FUZZ_SECONDS=300 scripts/test.sh   longer fuzz smoke (default 30 s per target)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
export SIPLINE_CORPUS=${SIPLINE_CORPUS:-$ROOT/../shared/corpus}

stage() { printf '\n==== %s ====\n' "$*"; }
elapsed() { echo "($(( $(date +%s) - $1 )) s)"; }

if [ ! -d "$SIPLINE_CORPUS/rfc4475" ]; then
    echo "test: SIP corpus not found at $SIPLINE_CORPUS (set SIPLINE_CORPUS)" >&2
    exit 1
fi

t0=$(date +%s)
stage "setup (Debian packages)"
./scripts/setup.sh

# configure DIR [meson options...]: set up a build directory, or reconfigure it.
configure() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" -Dcorpus="$SIPLINE_CORPUS" "$@" >/dev/null
    else
        meson setup "$dir" -Dcorpus="$SIPLINE_CORPUS" "$@" >/dev/null
    fi
}

# no_skips DIR: a skipped test is not a pass here (integration tests skip
# when not run as root): fail and name them.
no_skips() {
    python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
skipped = [r["name"] for r in map(json.loads, open(sys.argv[1])) if r.get("result") == "SKIP"]
if skipped:
    sys.exit("test: %d skipped (run as root for the integration tests): %s"
             % (len(skipped), ", ".join(skipped)))
PY
}

stage "build (debugoptimized) and all tests"
t=$(date +%s)
configure build
meson compile -C build
meson test -C build --print-errorlogs --num-processes 2
no_skips build
echo "build + tests ok $(elapsed "$t")"

stage "unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
t=$(date +%s)
configure build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
meson compile -C build-asan
meson test -C build-asan --suite unit --print-errorlogs --num-processes 2
no_skips build-asan
echo "sanitizer tests ok $(elapsed "$t")"

stage "concurrency tests under ThreadSanitizer (dialplan swap stress, location table)"
t=$(date +%s)
configure build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debug -Ddataplane=disabled
meson compile -C build-tsan
meson test -C build-tsan --suite tsan --print-errorlogs --num-processes 2
no_skips build-tsan
echo "tsan tests ok $(elapsed "$t")"


stage "fuzz smoke (libFuzzer, ASan + UBSan)"
t=$(date +%s)
FUZZ_SECONDS=${FUZZ_SECONDS:-30} ./scripts/fuzz.sh
echo "fuzz smoke ok $(elapsed "$t")"

stage "benchmark smoke (--quick: each benchmark runs and prints JSON)"
t=$(date +%s)
./scripts/bench.sh --quick build >/dev/null
echo "benchmark smoke ok $(elapsed "$t")"

stage "all tests passed $(elapsed "$t0")"
