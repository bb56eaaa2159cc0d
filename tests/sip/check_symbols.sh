#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# libsip's promise, checked on the archive: no allocation, no locks, no
# system calls, no DPDK. Every undefined symbol must be on the allow-list
# below (string and memory functions, CPU feature detection, the start-up
# getenv of SIPLINE_SCANNER, snprintf for error texts, libsodium's SipHash
# and constant-time comparison, both pure computation).
#
# Usage: check_symbols.sh libsip.a
set -eu
lib=$1
allowed='^(crypto_shorthash_siphash24|sodium_memcmp|memchr|memcmp|memcpy|memmove|memset|strcmp|strlen|strncmp|strchr|getenv|snprintf|__builtin_.*|__cpu_indicator_init|__cpu_model|__cpu_features2|__stack_chk_fail|__memcpy_chk|__memset_chk|__snprintf_chk|__ubsan_.*|__asan_.*|__sanitizer_.*|__tsan_.*|__msan_.*|_GLOBAL_OFFSET_TABLE_)$'
# Undefined in some member and defined in none: what libsip takes from outside.
defined=$(nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u)
undefined=$(nm -u "$lib" | awk 'NF == 2 { print $2 } NF == 1 && $1 !~ /:$/ { print $1 }' |
    sort -u | comm -23 - /dev/fd/3 3<<DEFINED
$defined
DEFINED
)
[ -n "$undefined" ] || { echo "check_symbols: nm found no undefined symbols in $lib (not an archive?)"; exit 1; }
bad=$(printf '%s\n' "$undefined" | grep -Ev "$allowed" || true)
if [ -n "$bad" ]; then
    echo "libsip uses symbols outside its allow-list (allocation, locks, syscalls or DPDK?):"
    printf '  %s\n' $bad
    exit 1
fi
echo "libsip: $(printf '%s\n' "$undefined" | wc -l) undefined symbols, all allowed"
