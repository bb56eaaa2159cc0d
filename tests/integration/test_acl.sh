#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Peer ACLs (issue 13, docs/security.md "Peer ACLs"): sipline --acl FILE.
#   1. Verdicts: the caller (allow register) is routed (302) and its SIPp
#      calls through the gateway (allowed: its in-dialog requests and
#      responses) all succeed; a denied source gets 403 Forbidden (ACL); a
#      source no entry covers gets silence (default deny drop); a host
#      allowed from one source port only is routed from that port and
#      ignored from others, and may not REGISTER (403); counters count.
#   2. SIGHUP with a new file changes verdicts at once; SIGHUP with a broken
#      file keeps the old table and names file and line.
#   3. A broken file at start-up stops sipline with file:line.
#
# Usage: test_acl.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
itest_init acl "${1:-}"
IP_D=10.77.0.11   # denied: 403
IP_N=10.77.0.12   # not listed: dropped
IP_P=10.77.0.13   # allowed from port 5099 only
ACL="$ITEST_TMP/peers.acl"

topo_up
for ip in $IP_D $IP_N $IP_P; do ip -n "$NS_A" addr add "$ip/24" dev a0; done

cat >"$ACL" <<AEOF
# sipline peer ACL (test)
default deny drop
allow $IP_A/32 register     # the caller: calls and REGISTER
allow $IP_B                 # the gateway
deny $IP_D/32 403
allow $IP_P port 5099
AEOF

# req SRC EXPECT [sipnet options]: an INVITE to a redirected number from SRC.
req() {
    local src=$1 expect=$2 out
    shift 2
    out=$(nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$src" --dst "$IP_R" \
        --method INVITE --ruri "sip:3021234@$IP_R" --expect "$expect" --tries 2 --timeout 0.7 "$@" \
        2>&1) || fail "INVITE from $src $*: expected $expect, got: $(head -1 <<<"$out")"
    log "INVITE from $src $*: $expect ($(head -1 <<<"$out"))"
}

log "1. verdicts"
sipline_start --dialplan "$ITEST_PLANS/itest.dialplan" --relay-in-dialog --acl "$ACL"
assert_log 'ACL .*peers.acl loaded: 4 entries, default deny drop' 'the ACL at start'
req "$IP_A" 302
req "$IP_D" 403
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$IP_D" --dst "$IP_R" \
    --method OPTIONS --ruri "sip:$IP_R" --expect 403 --tries 2 | grep 'Forbidden (ACL)' >/dev/null ||
    fail "the 403 does not say Forbidden (ACL)"
req "$IP_N" none
req "$IP_P" 302 --sport 5099
req "$IP_P" none --sport 5098
out=$(nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$IP_P" --dst "$IP_R" \
    --sport 5099 --method REGISTER --ruri "sip:$IP_R" --expect 403 --tries 2 2>&1) ||
    fail "REGISTER from a peer without 'register': $(head -1 <<<"$out")"
uas_start "$ITEST_SCEN/uas_gw.xml"
rc=0
uac_run calls "$ITEST_SCEN/uac_fwd.xml" 100 10 5 || rc=$?
uac_expect_all_ok calls 10 "$rc"
expect_counter act_acl_reject -ge 2
expect_counter drop_acl -ge 2

log "2. SIGHUP: a new list, then a broken one"
sed -i "s|^allow $IP_A/32 register.*|deny $IP_A/32 403|" "$ACL"
sipline_reload
wait_for 10 "the new ACL" bash -c "[ \$(grep -c 'ACL .* loaded' '$SIPLINE_LOG') -ge 2 ]"
req "$IP_A" 403
printf 'allow 10.77.0.1/16\n' >>"$ACL"
sipline_reload
wait_for 10 "the ACL error" grep -q 'ACL not reloaded, the old one stays: .*peers.acl:7: .*host bits' "$SIPLINE_LOG"
req "$IP_A" 403
req "$IP_N" none
sipline_stop

log "3. a broken file at start-up"
printf 'allow 10.77.0.0/24\nallow 10.77.0.0/24 # again\n' >"$ITEST_TMP/dup.acl"
out=$(ip netns exec "$NS_R" "$SIPLINE" --no-huge -m 256 --no-pci --file-prefix "$DPDK_PREFIX-bad" \
    -l 0-1 --vdev net_null0 -- --addr "$IP_R/24" --no-exception --acl "$ITEST_TMP/dup.acl" 2>&1) &&
    fail "sipline started with a duplicate ACL entry"
grep -q 'dup.acl:2: the same prefix as line 1' <<<"$out" || fail "start-up message: $out"
log "start-up refused: $(grep -m1 'dup.acl' <<<"$out")"
pass
