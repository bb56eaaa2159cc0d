#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Floods (issue 13) with a real flooder: sipline-gen on a DPDK af_packet
# port in a namespace of its own on the same switch, while SIPp places
# calls from $IP_A through the router to the gateway ($IP_B).
#   1. A scanner flood (INVITEs with a scanner's User-Agent) at several
#      thousand per second, far more than 10x the legitimate traffic: not
#      one answer comes back to the flooder (sipline-gen counts every frame
#      it receives), drop_scanner counts them.
#   2. A clean flood from one source above --src-rate: banned, the excess
#      dropped.
#   3. A spoofed-source flood: OPTIONS from 4,096 source addresses (more than
#      the per-lcore source table holds: --src-table 1024): the tables stay
#      within their bounds (neighbours <= --neigh-capacity, the source table
#      evicts), the router's memory does not grow.
# Through all of it the legitimate calls succeed (>= 99%).
#
# Usage: test_flood.sh PATH_TO_SIPLINE PATH_TO_SIPLINE_GEN
. "$(dirname "$0")/lib.sh"
itest_init flood "${1:-}"
GEN=${2:-}
[ -x "$GEN" ] || fail "usage: $0 SIPLINE SIPLINE_GEN"
. "$ITEST_DIR/lib_flood.sh"
CALLS=${ITEST_CALLS:-60}
CPS=4
SECS=4
NEIGH_CAP=256

topo_up
flooder_up

sipline_start --dialplan "$ITEST_PLANS/itest.dialplan" --relay-in-dialog --src-rate 300 --src-burst 600 \
    --src-ban 3 --src-table 1024 --neigh-capacity "$NEIGH_CAP"
uas_start "$ITEST_SCEN/uas_gw.xml"
rss0=$(rss_kb)
log "sipline RSS before: $rss0 kB"

# The legitimate calls run through all three floods.
rc=0
uac_run calls "$ITEST_SCEN/uac_fwd.xml" 100 "$CALLS" "$CPS" &
UAC=$!
sleep 1

log "1. scanner flood"
flood scanner "$SECS" --template "@$ITEST_TMP/scanner.tmpl" --users 1000000000-1009999999
sent=$(jget scanner sent)
[ "$sent" -ge $((RATE * SECS * 9 / 10)) ] || fail "the scanner flood sent only $sent"
[ "$(jget scanner answered)" = 0 ] || fail "a scanner got $(jget scanner answered) answers"
for k in s2xx s3xx s4xx s5xx s6xx dup unexpected; do
    [ "$(jget scanner "$k")" = 0 ] || fail "a scanner got something back ($k = $(jget scanner "$k"))"
done
# Silently dropped, and counted: as a scanner, or earlier as a source over its rate.
dropped=$(( $(counter drop_scanner) + $(counter drop_src_rate) ))
log "scanner flood: $dropped dropped and counted (drop_scanner $(counter drop_scanner))"
[ "$dropped" -ge "$sent" ] || fail "of $sent scanner INVITEs only $dropped were counted dropped"
expect_counter drop_scanner -ge 300

log "2. one clean source above --src-rate 300/s"
flood clean "$SECS" --template options --users 9990000000-9999999999 --src 10.77.0.31
sent=$(jget clean sent)
ans=$(jget clean answered)
# At most the burst plus the rate until the ban, and nothing during the ban.
[ "$ans" -le 1500 ] || fail "the flooder got $ans of $sent answered (limit 300/s, burst 600, ban 3 s)"
[ "$ans" -ge 300 ] || fail "the flooder got only $ans answers: the burst should pass"
expect_counter src_bans -ge 1

log "3. spoofed sources: 4,096 addresses"
flood spoofed "$SECS" --template options --users 9990000000-9999999999 --src-ips 4096 --src 10.78.0.1
expect_counter neighbours -le "$NEIGH_CAP"

wait "$UAC" || rc=$?
calls_expect calls "$CALLS" "$rc"

rss1=$(rss_kb)
log "sipline RSS after: $rss1 kB (before: $rss0 kB)"
[ $((rss1 - rss0)) -le 16384 ] || fail "sipline's memory grew by $((rss1 - rss0)) kB during the floods"
sipline_stop
pass
