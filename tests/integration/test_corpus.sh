#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# (c) The RFC 4475 torture messages (and the RFC 5118 IPv6 ones, in wire
# form) sent over UDP from the client namespace: each gets the expected
# response or silence (send_corpus.py has the table and the reasons), the
# router forwards none of them, keeps running, still answers OPTIONS, and
# stops cleanly afterwards.
#
# Usage: test_corpus.sh PATH_TO_SIPLINE
. "$(dirname "$0")/lib.sh"
itest_init corpus "${1:-}"
[ -d "$ITEST_CORPUS/rfc4475" ] || fail "corpus not found at $ITEST_CORPUS (set SIPLINE_CORPUS)"

topo_up
sipline_start --dialplan "$ITEST_PLANS/itest.dialplan"
rc=0
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/send_corpus.py" --corpus "$ITEST_CORPUS" --iface a0 \
    --src "$IP_A" --dst "$IP_R" --port "$SIP_PORT" --wait "${ITEST_CORPUS_WAIT:-0.3}" \
    >"$ITEST_TMP/corpus.log" 2>&1 || rc=$?
cat "$ITEST_TMP/corpus.log"
[ "$rc" = 0 ] || fail "the corpus did not get the expected answers (see the FAIL lines above)"
sipline_alive || fail "sipline died during the corpus"
# No torture message may leave the router towards another host.
expect_counter act_forward -eq 0
expect_counter act_response_fwd -eq 0
expect_counter act_error_reply -ge 15
expect_counter exc_register -ge 5
sipline_stop
pass "RFC 4475/5118 corpus answered as expected; router alive and stopped cleanly"
