#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Gateways named by host (RFC 3263), resolved by the control plane with a
# real DNS server (dnsmasq in the router's namespace, on 127.0.0.1:5353):
#   - carrier.test: NAPTR (SIP+D2U) -> _sip._udp.carrier.test SRV -> two
#     targets, gw1 (:5070, priority 10) and gw2 (:5072, priority 20), both
#     SIPp gateways answering OPTIONS; gateways.list shows the records,
#     TTLs, targets and their states; the dataplane got the table
#     (gw_names_version); calls reach the primary only;
#   - the primary stops answering OPTIONS: its target is marked down, calls
#     go to the secondary (the name stays up); it answers again: back;
#   - the A records' TTL changes (dnsmasq restarted with another TTL): the
#     control plane follows within dns_max_refresh;
#   - the DNS server stopped: calls keep flowing on the stale answer, and
#     gateways.list and stats.get count it;
#   - an in-dialog BYE whose Route names a host (peer.carrier.test:5090):
#     the dataplane punts it (punt_needs_dns), the control plane's relay
#     resolves the name and relays it with the dataplane's edits (our Via,
#     a signed branch) to a UDP peer on the gateways' host, whose 200 comes
#     back through the dataplane (the branch verifies there);
#   - loop.test -> 127.0.0.1 and self.test -> the router's own address:
#     refused, logged and counted; that group never gets an address.
#
# Usage: test_control_dns.sh SIPLINE SIPLINE_LINK SIPLINE_CONTROL SIPLINECTL
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
. "$(dirname "$0")/lib_control.sh"
itest_init control-dns "${1:-}"
link_init "${2:-}"
control_init "${3:-}" "${4:-}"
command -v dnsmasq >/dev/null 2>&1 || fail "missing dnsmasq (run scripts/setup.sh: dnsmasq-base)"

PLAN="$ITEST_PLANS/control_dns.dialplan"
DNS_PORT=5353
DNS_CONF="$ITEST_TMP/dnsmasq.conf"
DNS_LOG="$ITEST_TMP/dnsmasq_err.log"
DNS_PID=""
MAX_REFRESH=4      # dns_max_refresh: a TTL change shows within this (plus a query)

# dns_start TTL [RR_TTL]: dnsmasq in the router's namespace, foreground, our
# records only; TTL for the targets' A records, RR_TTL (default 30) for the
# NAPTR and SRV records (dnsmasq's local-ttl).
dns_start() {
    cat >"$DNS_CONF" <<EOC
port=$DNS_PORT
local-ttl=${2:-30}
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
no-poll
local=/test/
naptr-record=carrier.test,10,10,"s","SIP+D2U","",_sip._udp.carrier.test
naptr-record=carrier.test,20,10,"s","SIP+D2T","",_sip._tcp.carrier.test
srv-host=_sip._udp.carrier.test,gw1.carrier.test,5070,10,100
srv-host=_sip._udp.carrier.test,gw2.carrier.test,5072,20,100
host-record=gw1.carrier.test,$IP_B,$1
host-record=gw2.carrier.test,$IP_B,$1
host-record=loop.test,127.0.0.1
host-record=self.test,$IP_R
host-record=peer.carrier.test,$IP_B
EOC
    ip netns exec "$NS_R" dnsmasq --keep-in-foreground --conf-file="$DNS_CONF" \
        --pid-file= --user=root --log-facility=- >>"$DNS_LOG" 2>&1 &
    DNS_PID=$!
    ITEST_PIDS+=("$DNS_PID")
    wait_for 10 "dnsmasq on 127.0.0.1:$DNS_PORT" udp_listening "$NS_R" 127.0.0.1 "$DNS_PORT"
    log "dnsmasq running (pid $DNS_PID), A record TTL $1 s, NAPTR/SRV TTL ${2:-30} s"
}

dns_stop() {
    itest_kill_pid "$DNS_PID" 5
    { wait "$DNS_PID"; } 2>/dev/null || true
    DNS_PID=""
}

# name_field HOST EXPR: EXPR over the gateway `g` named HOST in gateways.list.
name_field() {
    ctl_ok --json gateways list
    jget "[$2 for g in r['items'] if g['host'] == '$1'][0]"
}
# target_field PORT EXPR: EXPR over carrier.test's target `t` of that port.
target_field() {
    name_field carrier.test "[$2 for t in g['dns']['targets'] if t['port'] == $1][0]"
}
# shellcheck disable=SC2317 # used through wait_for
target_state_is() { [ "$(target_field "$1" "t['state']")" = "$2" ]; }
# shellcheck disable=SC2317
resolved() { [ "$(name_field carrier.test "len(g['dns']['targets'])")" = 2 ]; }
# shellcheck disable=SC2317
ttl_is() { [ "$(name_field carrier.test "g['dns']['ttl']")" = "$1" ]; }
# shellcheck disable=SC2317
is_stale() { [ "$(name_field carrier.test "g['dns']['stale']")" = true ]; }
# shellcheck disable=SC2317
refused_both() {
    [ "$(name_field loop.test "g['dns']['refused']")" -ge 1 ] &&
        [ "$(name_field self.test "g['dns']['refused']")" -ge 1 ]
}
# shellcheck disable=SC2317
dp_has_table() {
    local v
    v=$(ctl_json "r['dataplanes'][0]['counters'].get('gw_names_version', 0)" stats get)
    [ "$v" -gt 0 ]
}

invites() { # PORT: one number (grep -c prints 0 and fails when nothing matches)
    local n
    n=$(grep -c '^INVITE sip:555' "$ITEST_TMP/gw$1_msg.log" 2>/dev/null) || true
    echo "${n:-0}"
}

gw_start() { # PORT
    uas_start_at "$NS_B" "$IP_B" "$1" "gw$1" "$ITEST_SCEN/uas_probe_gw.xml" \
        -trace_msg -message_file "$ITEST_TMP/gw$1_msg.log"
    eval "GW$1_PID=\$LAST_UAS_PID"
}

calls() { # TAG N: N calls to 555... at 10/s, every one must succeed
    local rc=0
    uac_run "$1" "$ITEST_SCEN/uac_fwd.xml" 555 "$2" 10 || rc=$?
    uac_expect_all_ok "$1" "$2" "$rc"
}

# One signing key for the dataplane and the control plane's relay (mode 0600).
KEY="$ITEST_TMP/key"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$KEY"
chmod 600 "$KEY"

topo_up
dns_start 3
gw_start 5070
gw_start 5072
sipline_start --record-route --secret-file "$KEY" --relay-in-dialog
control_conf "dataplane $LINK_SOCK" "dns_servers 127.0.0.1:$DNS_PORT" "dns_min_refresh 1" \
    "dns_max_refresh $MAX_REFRESH" "dns_stale_max 600" "dns_timeout 1" "dns_tries 2" \
    "relay on" "relay_addr $IP_R/24" "relay_port $SIP_PORT" "relay_secret_file $KEY" \
    "relay_in_dialog on" "probe_interval 1.5" "probe_timeout 1" "probe_down 3" \
    "registrar $IP_R:$SIP_PORT" "reg_domains $IP_R" "reg_algorithms sha-256"
# (the registrar on the relay's address and port: one socket serves both, step 4)
# (probes a little more patient than control_conf's: a loaded 2-core machine
# can leave a SIPp gateway silent for 0.5 s, and both targets down means 503s)
control_start
wait_for 15 "the dataplane in sync" dp_ready 1
ctl_ok dialplan push "$PLAN"

# ---- 1: NAPTR -> SRV -> two targets; the table reaches the dataplane ----
wait_for 10 "carrier.test resolved to two targets" resolved
assert_eq "carrier.test resolved via" "$(name_field carrier.test "g['dns']['via']")" "NAPTR+SRV"
assert_eq "NAPTR records kept" "$(name_field carrier.test "len(g['dns']['naptr'])")" 2
assert_eq "the first target's priority" \
    "$(name_field carrier.test "g['dns']['targets'][0]['priority']")" 10
assert_eq "the :5070 target's address" "$(target_field 5070 "t['address']")" "$IP_B"
assert_eq "the :5072 target's priority" "$(target_field 5072 "t['priority']")" 20
assert_eq "carrier.test TTL" "$(name_field carrier.test "g['dns']['ttl']")" 3
assert_eq "carrier.test state" "$(name_field carrier.test "g['state']")" up
wait_for 10 "the dataplane to report a names table" dp_has_table
# Its targets are pinned in the neighbour table like IP gateways (never expire, guarded).
# shellcheck disable=SC2317
targets_pinned() {
    [ "$(ctl_json "r['dataplanes'][0]['counters'].get('neigh_pinned', 0)" stats get)" -ge 1 ]
}
wait_for 10 "the resolved target's next hop pinned" targets_pinned
wait_for 10 "answered probes of the :5070 target" target_state_is 5070 up
log "carrier.test: $(name_field carrier.test \
    "' '.join('%s:%s/p%s' % (t['address'], t['port'], t['priority'])
              for t in g['dns']['targets'])")"
# Warm-up (next-hop MACs), not checked.
ip netns exec "$NS_A" timeout 20 sipp "$IP_R:$SIP_PORT" -sf "$ITEST_SCEN/uac_fwd.xml" -s 555 \
    -i "$IP_A" -p "$UAC_PORT" -m 2 -r 2 -nostdin -timeout 15s >/dev/null 2>&1 || true
i70=$(invites 5070)
i72=$(invites 5072)
calls prim 20
assert_eq "INVITEs at the primary" "$(invites 5070)" $((i70 + 20))
assert_eq "INVITEs at the secondary" "$(invites 5072)" "$i72"
log "20 calls reached the priority-10 target only"

# ---- 2: the primary stops answering OPTIONS: failover, and back ----
itest_kill_pid "$GW5070_PID" 2
wait_for 15 "the :5070 target marked down" target_state_is 5070 down
assert_eq "carrier.test state with one target down" "$(name_field carrier.test "g['state']")" up
grep -q "gateway target $IP_B:5070 is DOWN" "$CTL_LOG" ||
    fail "the target's transition was not logged"
sleep 0.5 # the new table on its way to the dataplane
i72=$(invites 5072)
calls second 20
assert_eq "INVITEs at the secondary after failover" "$(invites 5072)" $((i72 + 20))
mv "$ITEST_TMP/gw5070_msg.log" "$ITEST_TMP/gw5070_msg.1.log"
gw_start 5070
wait_for 15 "the :5070 target back up" target_state_is 5070 up
sleep 0.5
i72=$(invites 5072)
calls back 20
assert_eq "INVITEs at the primary once back" "$(invites 5070)" 20
assert_eq "INVITEs at the secondary once the primary is back" "$(invites 5072)" "$i72"
log "failover to priority 20 while :5070 was down, back to it when it answered"

# ---- 3: a TTL change is followed within the refresh bound ----
# The addresses now live long (30 s) and the SRV records briefly (2 s): the
# answer lives as long as its shortest record, whichever kind it is.
dns_stop
dns_start 30 2
t0=$(date +%s)
wait_for $((MAX_REFRESH + 6)) "the new TTL (2 s, the SRV records')" ttl_is 2
log "TTL change 3 -> 2 s (now the SRV records') seen after $(($(date +%s) - t0)) s (bound: $MAX_REFRESH s + a query)"

# ---- 4: an in-dialog BYE whose Route names a host: punted, resolved, relayed ----
nsx "$NS_B" "$ITEST_PY" "$ITEST_DIR/sipnet.py" udp-answer --bind "$IP_B" --port 5090 \
    >"$ITEST_TMP/sink5090.log" 2>&1 &
ITEST_PIDS+=("$!")
wait_for 10 "the UDP peer on $IP_B:5090" udp_listening "$NS_B" "$IP_B" 5090
punt0=$(ctl_json "r['dataplanes'][0]['counters']['punt_needs_dns']" stats get)
# Its 200 comes back through the dataplane (our Via popped, the branch verified).
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$IP_A" --dst "$IP_R" \
    --method BYE --ruri "sip:bob@$IP_B:5090" --to-tag dlg1 --tries 3 --timeout 2 \
    --header "Route: <sip:peer.carrier.test:5090;lr>" --expect 200 >"$ITEST_TMP/bye.out" 2>&1 ||
    fail "BYE: no 200 back through the router: $(cat "$ITEST_TMP/bye.out")"
# shellcheck disable=SC2317
bye_delivered() {
    grep -q "BYE sip:bob@$IP_B:5090 SIP/2.0 | Via: SIP/2.0/UDP $IP_R:$SIP_PORT;branch=z9hG4bKsl" \
        "$ITEST_TMP/sink5090.log"
}
wait_for 5 "the BYE at the sink, with our Via" bye_delivered
log "delivered: $(grep -m1 BYE "$ITEST_TMP/sink5090.log")"
punt1=$(ctl_json "r['dataplanes'][0]['counters']['punt_needs_dns']" stats get)
[ "$punt1" -gt "$punt0" ] || fail "punt_needs_dns did not grow ($punt0 -> $punt1)"
ctl_ok --json stats get
[ "$(jget "r['control']['relay']['relayed']")" -ge 1 ] || fail "the relay counted nothing relayed"
log "in-dialog BYE to peer.carrier.test: punted ($punt0 -> $punt1), resolved, relayed, 200 back"
# The registrar listens on the same address and port: REGISTER goes to it, the
# rest to the relay (two sockets there would each get some of both).
ctl_ok subscribers add username=carol domain="$IP_R" password=dnspw
rel0=$(ctl_json "r['control']['relay']['received']" stats get)
nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/regtool.py" register --src "$IP_A" --sport 5066 --dst "$IP_R" \
    --domain "$IP_R" --user carol --password dnspw --alg SHA-256 --expires 600 \
    --contact "sip:carol@$IP_A:5066" --cseq 1 >"$ITEST_TMP/regtool.out" 2>&1 ||
    fail "REGISTER beside the relay: $(cat "$ITEST_TMP/regtool.out")"
grep -q "^SIP/2.0 200" "$ITEST_TMP/regtool.out" || fail "REGISTER: $(cat "$ITEST_TMP/regtool.out")"
assert_eq "bindings of carol" "$(ctl_json 'r["total"]' location list)" 1
assert_eq "requests the relay saw during the registration" \
    "$(ctl_json "r['control']['relay']['received']" stats get)" "$rel0"
log "REGISTER answered by the registrar on the relay's socket; the relay saw none"

# ---- 5: the DNS server stopped: the stale answer keeps serving ----
stale0=$(ctl_json "r['control']['dns']['stale']" stats get)
dns_stop
wait_for 10 "the stale answer kept" is_stale
assert_eq "targets kept while DNS is down" "$(name_field carrier.test "len(g['dns']['targets'])")" 2
i70=$(invites 5070)
calls stale 20
assert_eq "INVITEs at the primary on the stale answer" "$(invites 5070)" $((i70 + 20))
stale1=$(ctl_json "r['control']['dns']['stale']" stats get)
[ "$stale1" -gt "$stale0" ] || fail "stats.get control.dns.stale did not grow ($stale0 -> $stale1)"
grep -q "keeping the last good answer" "$CTL_LOG" || fail "the stale answer was not logged"
metrics_get "$ITEST_TMP/metrics.txt"
grep -Eq '^sipline_control_dns_total\{outcome="stale"\} [1-9]' "$ITEST_TMP/metrics.txt" ||
    fail "/metrics: no stale answers counted"
log "DNS down: calls on the stale answer, stale count $stale0 -> $stale1"

# ---- 6: answers naming 127.0.0.1 or the router itself are refused ----
wait_for 10 "loop.test and self.test refused" refused_both
assert_eq "loop.test targets" "$(name_field loop.test "len(g['dns']['targets'])")" 0
assert_eq "self.test targets" "$(name_field self.test "len(g['dns']['targets'])")" 0
assert_eq "loop.test state" "$(name_field loop.test "g['state']")" down
grep -q "loop.test: refused 1 address(es): 127.0.0.1 (loop.test: loopback)" "$CTL_LOG" ||
    fail "the loopback refusal was not logged"
grep -q "self.test: refused 1 address(es): $IP_R (self.test: our own address)" "$CTL_LOG" ||
    fail "the refusal of the router's own address was not logged"
[ "$(ctl_json "r['control']['dns']['refused']" stats get)" -ge 2 ] || fail "refusals not counted"
log "127.0.0.1 and $IP_R refused and counted"

control_stop
sipline_stop
uas_stop_pid "$GW5070_PID" "$GW5072_PID"
pass "NAPTR -> SRV -> targets, failover and back, TTL followed, BYE to a name relayed, stale, refusals"
