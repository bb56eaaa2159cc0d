#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Peer ACLs and the per-source limit through the control socket (issue 13,
# docs/security.md "Peer ACLs", docs/control.md acl.* and limits.*):
#   1. the dataplane starts with --acl FILE (a source is routed: 302);
#      acl.list shows the dataplane's file ACL and its SHA-256;
#   2. siplinectl acl set FILE2 changes the live verdicts (that source now
#      gets silence, a denied one 403, the caller 302); acl.list: the
#      dataplane serves the pushed SHA-256; acl.test gives the same verdicts
#      and names the deciding lines;
#   3. a broken text: every error with its line, exit 1, the old list serves;
#   4. SIGHUP leaves the pushed ACL alone;
#   5. sipline-control and the dataplane restarted (the dataplane back on its
#      file): the control plane re-pushes the stored ACL;
#   6. acl.clear: the file serves again;
#   7. limits.top lists a source that flooded past --src-rate; limits.get
#      shows the configuration (sipline-link acl-get and src-top read the
#      same over the link).
#
# Usage: test_control_acl.sh SIPLINE SIPLINE_LINK SIPLINE_CONTROL SIPLINECTL
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
. "$(dirname "$0")/lib_control.sh"
itest_init control-acl "${1:-}"
link_init "${2:-}"
control_init "${3:-}" "${4:-}"
IP_D=10.77.0.11   # denied: 403
IP_N=10.77.0.12   # allowed by the file, not listed by the pushed ACL (dropped)
IP_P=10.77.0.13   # allowed from port 5099 only
FILE_ACL="$ITEST_TMP/file.acl"
PUSH_ACL="$ITEST_TMP/push.acl"
BAD_ACL="$ITEST_TMP/bad.acl"

topo_up
for ip in $IP_D $IP_N $IP_P; do ip -n "$NS_A" addr add "$ip/24" dev a0; done

printf 'default allow register\ndeny %s/32 403\n' "$IP_D" >"$FILE_ACL"
cat >"$PUSH_ACL" <<AEOF
default deny drop
allow $IP_A/32 register
deny $IP_D/32 403
allow $IP_P port 5099
AEOF
printf 'allow 10.77.0.1/16\nallow %s/32\nfoo bar\n' "$IP_A" >"$BAD_ACL"
sha_file=$(sha256sum "$FILE_ACL" | cut -d' ' -f1)
sha_push=$(sha256sum "$PUSH_ACL" | cut -d' ' -f1)

# req SRC EXPECT [sipnet options]: an INVITE to a redirected number from SRC.
req() {
    local src=$1 expect=$2 out
    shift 2
    out=$(nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$src" --dst "$IP_R" \
        --method INVITE --ruri "sip:3021234@$IP_R" --expect "$expect" --tries 2 --timeout 0.7 "$@" \
        2>&1) || fail "INVITE from $src $*: expected $expect, got: $(head -1 <<<"$out")"
    log "INVITE from $src $*: $expect"
}

# acl_dp FIELD: a field of the first dataplane in acl.list.
acl_dp() { ctl_json "r[\"dataplanes\"][0][\"$1\"]" acl list; }

DP_ARGS=(--dialplan "$ITEST_PLANS/itest.dialplan" --acl "$FILE_ACL" --src-rate 50 --src-burst 50)

log "1. the file ACL"
sipline_start "${DP_ARGS[@]}"
control_conf "dataplane $LINK_SOCK" "probe off"
control_start
wait_for 10 "the dataplane in sync" dp_ready 1
req "$IP_N" 302
req "$IP_D" 403
assert_eq "dataplane ACL source" "$(acl_dp source)" file
assert_eq "dataplane ACL sha256" "$(jget 'r["dataplanes"][0]["sha256"]')" "$sha_file"
assert_eq "control plane ACL source" "$(jget 'r["source"]')" none
slink_ok acl-get
grep -qx "sha256 $sha_file" "$ITEST_TMP/slink.out" || fail "sipline-link acl-get: $(cat "$ITEST_TMP/slink.out")"

log "2. acl set: the live verdicts change"
ctl_ok acl set "$PUSH_ACL"
log "acl set: $(tr -s ' \n' ' ' <"$ITEST_TMP/ctl.out")"
grep -Eq "^version +1$" "$ITEST_TMP/ctl.out" || fail "acl set: not version 1"
grep -Eq "$LINK_SOCK +ok" "$ITEST_TMP/ctl.out" || fail "acl set: no 'ok' from the dataplane"
req "$IP_N" none
req "$IP_D" 403
req "$IP_A" 302
req "$IP_P" 302 --sport 5099
req "$IP_P" none --sport 5098
assert_eq "dataplane ACL source" "$(acl_dp source)" pushed
assert_eq "dataplane ACL sha256" "$(jget 'r["dataplanes"][0]["sha256"]')" "$sha_push"
assert_eq "control plane ACL sha256" "$(jget 'r["sha256"]')" "$sha_push"
assert_eq "dataplane agrees" "$(jget 'r["dataplanes"][0]["agrees"]')" true
assert_eq "entries listed" "$(jget 'len(r["items"])')" 3
assert_eq "acl.test $IP_N" "$(ctl_json 'r["verdict"]' acl test "$IP_N")" "deny drop"
assert_eq "acl.test $IP_N: the default decides" "$(jget 'r["line"]')" 1
assert_eq "acl.test $IP_D" "$(ctl_json 'r["outcome"]' acl test "$IP_D")" "403 Forbidden"
assert_eq "acl.test $IP_P:5099" "$(ctl_json 'r["line"]' acl test "$IP_P:5099")" 4
assert_eq "acl.test $IP_P:5098" "$(ctl_json 'r["verdict"]' acl test "$IP_P:5098")" "deny drop"
assert_eq "acl.test REGISTER $IP_A" \
    "$(ctl_json 'r["permitted"]' acl test "$IP_A" method=REGISTER)" true

log "3. a broken text: every error, nothing changes"
rc=0
ctl acl set "$BAD_ACL" || rc=$?
assert_eq "siplinectl exit status for a broken ACL" "$rc" 1
grep -q 'acl:1: .*host bits' "$ITEST_TMP/ctl.out" || fail "no line 1 error: $(cat "$ITEST_TMP/ctl.out")"
grep -q "acl:3: 'foo'" "$ITEST_TMP/ctl.out" || fail "no line 3 error: $(cat "$ITEST_TMP/ctl.out")"
req "$IP_N" none
req "$IP_A" 302
assert_eq "version after the broken text" "$(ctl_json 'r["version"]' acl list)" 1

log "4. SIGHUP keeps the pushed ACL"
sipline_reload
wait_for 10 "the SIGHUP note" grep -q "control plane's ACL (version 1) serves" "$SIPLINE_LOG"
req "$IP_N" none

log "5. both restarted: the control plane re-pushes the stored ACL"
control_stop
sipline_stop
sipline_start "${DP_ARGS[@]}"
req "$IP_N" 302
control_start
wait_for 10 "the dataplane in sync" dp_ready 1
wait_for 10 "the ACL re-pushed" bash -c "[ \"\$(\"$SIPLINECTL\" -s \"$CTL_SOCK\" --json acl list |
    \"$ITEST_PY\" -c 'import json,sys; print(json.load(sys.stdin)[\"dataplanes\"][0][\"sha256\"])')\" = $sha_push ]"
req "$IP_N" none
assert_eq "control plane ACL source after restart" "$(ctl_json 'r["source"]' acl list)" pushed

log "6. acl clear: the file again"
ctl_ok acl clear
req "$IP_N" 302
assert_eq "dataplane ACL source after clear" "$(acl_dp source)" file
assert_eq "dataplane ACL sha256 after clear" "$(jget 'r["dataplanes"][0]["sha256"]')" "$sha_file"

log "7. limits.top after a flood from $IP_N"
nsx "$NS_A" "$ITEST_PY" -c 'import socket, sys, time
src, dst = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 5077))
for i in range(600):
    m = ("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5077;branch=z9hG4bKfl%d\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:fl@%s>;tag=f%d\r\nTo: <sip:%s>\r\n"
         "Call-ID: fl%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
         % (dst, src, i, src, i, dst, i)).encode()
    s.sendto(m, (dst, 5060))
    if i % 50 == 49:
        time.sleep(0.05)' "$IP_N" "$IP_R"
ctl_ok --json limits top n=5
log "limits.top: $(tr -d ' \n' <"$ITEST_TMP/ctl.out" | head -c 400)"
assert_eq "top source" "$(jget 'r["top"][0]["src"]')" "$IP_N"
drops=$(jget 'r["top"][0]["drops"]')
[ "$drops" -ge 100 ] || fail "limits.top: only $drops drops for $IP_N (600 sent at ~1000/s, rate 50)"
assert_eq "limit enabled" "$(jget 'r["dataplanes"][0]["enabled"]')" true
assert_eq "limits.get rate" "$(ctl_json 'r["dataplanes"][0]["rate"]' limits get)" 50
ctl_ok limits top
grep -q "$IP_N" "$ITEST_TMP/ctl.out" || fail "siplinectl limits top (table) lacks $IP_N"
slink_ok src-top 3
grep -q "^src $IP_N drops" "$ITEST_TMP/slink.out" || fail "sipline-link src-top: $(cat "$ITEST_TMP/slink.out")"

control_stop
sipline_stop
pass
