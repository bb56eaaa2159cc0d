#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# (b) Redirect and reject: SIPp calls 302x numbers, which the dialplan
# redirects. Each call must get a 302 with the dialplan's Contact
# (sip:+4930111@gw1.example.net, checked by uac_302.xml), a To-tag and the
# caller's Via with received/rport; the ACK (INVITE's branch, the 302's
# To-tag) must be absorbed by the router: counted as absorbed, not answered,
# not forwarded. Same for 403x numbers (rejected 403) and for a number no
# rule knows (the no-route reply, 404).
#
# Usage: test_redirect.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
itest_init redirect "${1:-}"
CALLS=${ITEST_CALLS:-50}

topo_up
sipline_start --dialplan "$ITEST_PLANS/itest.dialplan"
expect_counter act_ack_absorbed -eq 0

rc=0
uac_run r302 "$ITEST_SCEN/uac_302.xml" 302 "$CALLS" 25 \
    -trace_msg -message_file "$ITEST_TMP/r302_msg.log" || rc=$?
uac_expect_all_ok r302 "$CALLS" "$rc"
# The scenario itself: every ACK reused its INVITE's branch.
branches() {
    awk -v m="$1" '$1 == m && $2 ~ /^sip:/ { want = 1; next }
        want && /^Via:/ { match($0, /branch=[^;,]*/); print substr($0, RSTART, RLENGTH); want = 0 }' \
        "$ITEST_TMP/r302_msg.log" | sort -u
}
if [ -z "$(branches ACK)" ] || [ "$(branches INVITE)" != "$(branches ACK)" ]; then
    fail "uac_302.xml: the ACKs do not reuse the INVITEs' branches"
fi
# The exact Contact of the dialplan's redirect rule, in every 302.
n302=$(grep -c '^SIP/2.0 302 ' "$ITEST_TMP/r302_msg.log" || true)
ncontact=$(grep -Ec '^(Contact|m): *<?sip:\+4930111@gw1\.example\.net([;>]|$)' "$ITEST_TMP/r302_msg.log" || true)
assert_ge "302 responses received" "$n302" "$CALLS"
assert_eq "302 responses with Contact <sip:+4930111@gw1.example.net>" "$ncontact" "$n302"
expect_counter act_redirect -ge "$CALLS"
expect_counter reply_3xx -ge "$CALLS"
expect_counter act_ack_absorbed -eq "$CALLS"

rc=0
uac_run r403 "$ITEST_SCEN/uac_403.xml" 403 20 20 || rc=$?
uac_expect_all_ok r403 20 "$rc"
expect_counter act_reject -ge 20
expect_counter act_ack_absorbed -eq $((CALLS + 20))

# Nothing reached a gateway, and no ACK was left over for the dialplan.
expect_counter act_forward -eq 0
expect_counter drop_ack_unroutable -eq 0

# A number no rule matches gets the no-route reply; an ACK with a To-tag
# that is not ours (we never answered this call) is not absorbed.
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$IP_A" --dst "$IP_R" \
    --method INVITE --ruri "sip:99999@$IP_R" --expect 404 >"$ITEST_TMP/noroute.log" 2>&1 ||
    fail "INVITE sip:99999@$IP_R: expected 404 (no route); got: $(head -n 1 "$ITEST_TMP/noroute.log")"
log "no-route: $(head -n 1 "$ITEST_TMP/noroute.log")"
expect_counter act_no_route -ge 1
before=$(counter act_ack_absorbed)
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$IP_A" --dst "$IP_R" \
    --method ACK --ruri "sip:3029999@$IP_R" --to-tag not-ours-1234 --tries 1 --timeout 0.5 \
    --expect none >"$ITEST_TMP/ack_foreign.log" 2>&1 ||
    fail "an ACK with a foreign To-tag was answered: $(head -n 1 "$ITEST_TMP/ack_foreign.log")"
expect_counter act_ack_absorbed -eq "$before"

sipline_stop
pass "$CALLS redirected and 20 rejected calls, every ACK absorbed"
