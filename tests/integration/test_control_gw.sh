#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Gateway health and two dataplanes on one control plane:
#   - two dataplanes (each its own namespace, wire and tap) attach to one
#     sipline-control; a push reaches both (same version and SHA-256);
#   - a group of two SIPp gateways answering OPTIONS: probes from the
#     control plane's own UDP socket (through the first router's kernel
#     side) keep them up; calls through either dataplane complete;
#   - one gateway stops answering (killed): marked down within
#     probe_down x (interval + jitter) + timeout, the change logged and
#     pushed to both dataplanes, calls through both go to the other member
#     and none fails; it answers again: back up within probe_up probes,
#     calls reach it again;
#   - probing paused sends nothing; resumed, it probes again;
#   - /metrics shows both dataplanes and the gateway states (promtool);
#   - dialplan.explain with a Call-ID picks the member the dataplane picked;
#   - a dataplane with another signing key (--secret-file) is refused
#     (key_mismatch refuse: the fingerprints in HELLO_ACK differ).
#
# Usage: test_control_gw.sh SIPLINE SIPLINE_LINK SIPLINE_CONTROL SIPLINECTL
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
. "$(dirname "$0")/lib_control.sh"
itest_init control-gw "${1:-}"
link_init "${2:-}"
control_init "${3:-}" "${4:-}"

PLAN="$ITEST_PLANS/control_gw.dialplan"
IP_R2=10.77.0.2
NS_R2="slr2-$ITEST_ID"
LINK2="$ITEST_TMP/link2.sock"
SIPLINE2_PID=""
SIPLINE2_LOG="$ITEST_TMP/sipline2_err.log"
# One signing key for both dataplanes, another for the refused one (files 0600).
KEY="$ITEST_TMP/key"
KEY2="$ITEST_TMP/key.other"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$KEY"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$KEY2"
chmod 600 "$KEY" "$KEY2"
# Probing: 1 s +- 10 %, 0.5 s time-out, down after 2, up after 2.
DOWN_BOUND=5   # 2 x 1.1 + 0.5, plus the 50 ms tick and a loaded machine's slack
UP_BOUND=6 

# The second router: its own namespace on the same switch.
router2_up() {
    itest_add_ns "$NS_R2"
    ip -n "$NS_R2" link add r1 address 02:77:00:00:00:02 type veth peer name pr1 netns "$NS_SW"
    ip -n "$NS_SW" link set pr1 master br0
    itest_host_if "$NS_SW" pr1
    ip -n "$NS_SW" link set pr1 up
    nsx "$NS_R2" sysctl -qw net.ipv6.conf.r1.disable_ipv6=1 net.ipv4.conf.r1.arp_ignore=8 \
        net.ipv4.conf.r1.rp_filter=1
    ip -n "$NS_R2" link set r1 up
}

# sipline2_start [options]: the second dataplane on r1 (lcores as the first).
sipline2_start() {
    log "starting the second sipline $*"
    ip netns exec "$NS_R2" "$SIPLINE" --no-huge -m 1024 --no-pci --file-prefix "$DPDK_PREFIX-2" \
        -l 0-1 --vdev "net_af_packet1,iface=r1,framecnt=4096,blocksz=65536,framesz=4096" -- \
        --addr "$IP_R2/24" --port "$SIP_PORT" --tap sl0 --link "$LINK2" --record-route "$@" \
        >>"$SIPLINE2_LOG" 2>&1 &
    SIPLINE2_PID=$!
    ITEST_PIDS+=("$SIPLINE2_PID")
    wait_for 30 "the second sipline's tap" nsx "$NS_R2" sh -c "ip -o addr show dev sl0 | grep -q 'inet $IP_R2/'"
    nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" options --src "$IP_A" --dst "$IP_R2" \
        --port "$SIP_PORT" --tries 40 --timeout 0.5 >>"$ITEST_TMP/probe2.log" 2>&1 ||
        fail "the second sipline does not answer OPTIONS"
    log "second sipline running (pid $SIPLINE2_PID)"
}

sipline2_stop() {
    kill -TERM "$SIPLINE2_PID"
    local i
    for ((i = 0; i < 150; i++)); do
        kill -0 "$SIPLINE2_PID" 2>/dev/null || break
        sleep 0.1
    done
    local rc=0
    wait "$SIPLINE2_PID" || rc=$?
    [ "$rc" = 0 ] || fail "the second sipline exited with status $rc on SIGTERM"
    SIPLINE2_PID=""
}

# uac_via ROUTER_IP TAG CALLS RATE: uac_run through another router.
uac_via() {
    local ip=$1 tag=$2 calls=$3 rate=$4 rc=0
    log "SIPp UAC $tag: $calls calls to '555...' through $ip at $rate/s"
    timeout --kill-after=5 $((calls / rate + 70)) ip netns exec "$NS_A" sipp "$ip:$SIP_PORT" \
        -sf "$ITEST_SCEN/uac_fwd.xml" -s 555 -i "$IP_A" -p "$UAC_PORT" -m "$calls" -r "$rate" \
        -l $((rate * 4 + 10)) -nostdin -timeout "$((calls / rate + 60))s" -timeout_error \
        -trace_stat -stf "$ITEST_TMP/${tag}_stat.csv" -fd 1 \
        -trace_err -error_file "$ITEST_TMP/${tag}_err.log" \
        -trace_screen -screen_file "$ITEST_TMP/${tag}_screen.log" >"$ITEST_TMP/${tag}_out.log" 2>&1 || rc=$?
    uac_expect_all_ok "$tag" "$calls" "$rc"
}

# gw_field PORT EXPR: a field of gateway 10.77.0.20:PORT in gateways.list.
gw_field() {
    ctl_json "[g['$2'] for g in r['items'] if g['port'] == $1][0]" gateways list
}
# shellcheck disable=SC2317
gw_state_is() { [ "$(gw_field "$1" state)" = "$2" ]; }
# since_change PORT T0: seconds from T0 to the gateway's last up/down change as
# the control plane stamped it (not when our polling noticed: on a loaded
# machine each poll costs a siplinectl and a python3 start).
since_change() {
    awk -v a="$2" -v b="$(gw_field "$1" changed_at)" 'BEGIN { printf "%.1f", b - a }'
}
# gw_answered PORT: its last probe was answered 200 (read afresh at every try).
# shellcheck disable=SC2317
gw_answered() { [ "$(gw_field "$1" last_code 2>/dev/null)" = 200 ]; }
# gw_sent_more PORT N: more than N probes sent to it so far.
# shellcheck disable=SC2317
gw_sent_more() { [ "$(gw_field "$1" probes_sent)" -gt "$2" ]; }

# invites PORT: INVITEs the gateway at PORT answered (its SIPp messages log).
invites() {
    grep -c '^INVITE sip:555' "$ITEST_TMP/gw$1_msg.log" 2>/dev/null || echo 0
}

gw_start() { # PORT
    uas_start_at "$NS_B" "$IP_B" "$1" "gw$1" "$ITEST_SCEN/uas_probe_gw.xml" \
        -trace_msg -message_file "$ITEST_TMP/gw$1_msg.log"
    eval "GW$1_PID=\$LAST_UAS_PID"
}

topo_up
router2_up
gw_start 5070
gw_start 5072
sipline_start --secret-file "$KEY" --record-route
sipline2_start --secret-file "$KEY"
control_conf "dataplane $LINK_SOCK" "dataplane $LINK2" "key_mismatch refuse"
control_start
wait_for 15 "two dataplanes in sync" dp_ready 2

# ---- 1: one push, two dataplanes ----
ctl_ok dialplan push "$PLAN"
sha=$(sha256sum "$PLAN" | cut -d' ' -f1)
[ "$(grep -c " ok" "$ITEST_TMP/ctl.out")" = 2 ] || fail "push: not ok from both dataplanes: $(cat "$ITEST_TMP/ctl.out")"
for s in "$LINK_SOCK" "$LINK2"; do
    assert_eq "plan version at $s" "$(hello_at "$s" plan_version)" 1
    assert_eq "plan SHA-256 at $s" "$(hello_at "$s" plan_sha256)" "$sha"
done
ctl_ok --json core health
assert_eq "dataplanes with a key mismatch" "$(jget 'sum(1 for d in r["dataplanes"] if d["key_mismatch"])')" 0

# ---- 2: probes keep both gateways up; calls through both dataplanes ----
wait_for 10 "answered probes of :5070" gw_answered 5070
wait_for 10 "answered probes of :5072" gw_answered 5072
assert_eq "state of :5070" "$(gw_field 5070 state)" up
# latency_ms is there while the last probe was answered (a loaded machine may time one out).
lat() { ctl_json "[g.get('latency_ms', 'n/a') for g in r['items'] if g['port'] == $1][0]" gateways list; }
log "probes: :5070 latency $(lat 5070) ms, :5072 $(lat 5072) ms"
# Warm-up: a dataplane's first packets to a next hop whose MAC it has not
# learned yet go through the kernel and may overtake each other (a 200
# before its 180); one call through each router learns the caller and the
# gateways' addresses. Their outcome is not checked.
for ip in "$IP_R" "$IP_R2"; do
    ip netns exec "$NS_A" timeout 20 sipp "$ip:$SIP_PORT" -sf "$ITEST_SCEN/uac_fwd.xml" -s 555 \
        -i "$IP_A" -p "$UAC_PORT" -m 2 -r 2 -nostdin -timeout 15s >/dev/null 2>&1 || true
done
uac_via "$IP_R" both1 20 10
uac_via "$IP_R2" both2 10 10
i70=$(invites 5070)
i72=$(invites 5072)
log "both up: $i70 INVITEs at :5070, $i72 at :5072"
[ "$i70" -gt 0 ] && [ "$i72" -gt 0 ] || fail "30 calls all went to one gateway ($i70/$i72)"
# dialplan.explain picks the member of the group the dataplane picked (same Call-ID hash).
for port in 5070 5072; do
    cid=$(awk '/^INVITE sip:555/ { inv = 1 } inv && /^Call-I[Dd]:/ { print $2; exit }' \
        "$ITEST_TMP/gw${port}_msg.log" | tr -d '\r')
    user=$(awk '/^INVITE sip:555/ { sub(/^INVITE sip:/, ""); sub(/@.*/, ""); print; exit }' \
        "$ITEST_TMP/gw${port}_msg.log")
    [ -n "$cid" ] && [ -n "$user" ] || fail "no INVITE with a Call-ID in gw${port}_msg.log"
    assert_eq "dialplan.explain's gateway for Call-ID $cid" \
        "$(ctl_json 'r["gateway"]' dialplan explain "user=$user" "callid=$cid")" "10.77.0.20:$port;udp"
done
log "dialplan.explain chose the gateways the dataplane chose"

# ---- 3: :5070 stops answering ----
itest_kill_pid "$GW5070_PID" 2
t0=$(date +%s.%N)
wait_for 15 "gateway :5070 marked down" gw_state_is 5070 down
dt=$(since_change 5070 "$t0")
log "gateway :5070 marked down $dt s after it stopped answering"
awk -v d="$dt" -v b="$DOWN_BOUND" 'BEGIN { exit !(d <= b) }' ||
    fail "gateway :5070 marked down after $dt s, more than $DOWN_BOUND s"
grep -q "gateway 10.77.0.20:5070 is DOWN" "$CTL_LOG" || fail "the transition was not logged"
wait_for 5 "dataplane 1 to see it down" hello_is "$LINK_SOCK" gateways_down 1
wait_for 5 "dataplane 2 to see it down" hello_is "$LINK2" gateways_down 1
i70=$(invites 5070)
i72=$(invites 5072)
uac_via "$IP_R" down1 20 10
uac_via "$IP_R2" down2 10 10
assert_eq "INVITEs to the gateway marked down" "$(invites 5070)" "$i70"
assert_eq "INVITEs to the other member" "$(invites 5072)" $((i72 + 30))

# ---- 4: it answers again ----
mv "$ITEST_TMP/gw5070_msg.log" "$ITEST_TMP/gw5070_msg.1.log"
gw_start 5070
t0=$(date +%s.%N)
wait_for 15 "gateway :5070 back up" gw_state_is 5070 up
dt=$(since_change 5070 "$t0")
log "gateway :5070 back up $dt s after it answered again"
awk -v d="$dt" -v b="$UP_BOUND" 'BEGIN { exit !(d <= b) }' ||
    fail "gateway :5070 back up after $dt s, more than $UP_BOUND s"
wait_for 5 "dataplane 1 to see it up" hello_is "$LINK_SOCK" gateways_down 0
wait_for 5 "dataplane 2 to see it up" hello_is "$LINK2" gateways_down 0
uac_via "$IP_R" up1 20 10
[ "$(invites 5070)" -gt 0 ] || fail "no call reached :5070 after it came back"
log "back up: $(invites 5070) INVITEs at :5070 again"

# ---- 5: probing paused and resumed ----
ctl_ok gateways probing false
sleep 1.2 # a probe in flight may still complete
n0=$(gw_field 5072 probes_sent)
sleep 2.5
assert_eq "probes sent while paused" "$(gw_field 5072 probes_sent)" "$n0"
ctl_ok gateways probing true
wait_for 5 "probes again after resuming" gw_sent_more 5072 "$n0"
ctl_ok gateways probe 10.77.0.20 port=5072
log "probing paused (no probe in 2.5 s) and resumed"

# ---- 6: metrics of both dataplanes and the gateways ----
metrics_get "$ITEST_TMP/metrics.txt"
promtool check metrics <"$ITEST_TMP/metrics.txt" >"$ITEST_TMP/promtool.out" 2>&1 ||
    fail "promtool check metrics: $(head -n 20 "$ITEST_TMP/promtool.out")"
for s in "$LINK_SOCK" "$LINK2"; do
    grep -q "^sipline_dataplane_up{dataplane=\"$s\"} 1$" "$ITEST_TMP/metrics.txt" ||
        fail "/metrics: dataplane $s not up"
    grep -Eq "^sipline_dataplane_act_forward_total\{dataplane=\"$s\"\} [1-9]" "$ITEST_TMP/metrics.txt" ||
        fail "/metrics: no forwards counted for $s"
done
grep -Eq '^sipline_control_gateway_up\{host="10.77.0.20",port="5070",transport="udp",admin="auto"\} 1$' \
    "$ITEST_TMP/metrics.txt" || fail "/metrics: gateway :5070 not up"
grep -Eq '^sipline_control_gateway_transitions_total [2-9]' "$ITEST_TMP/metrics.txt" ||
    fail "/metrics: fewer than 2 gateway transitions"
log "/metrics: both dataplanes, gateway states, $(grep -c '^sipline' "$ITEST_TMP/metrics.txt") samples, promtool ok"

# ---- 7: a dataplane with another key is refused ----
sipline2_stop
sipline2_start --secret-file "$KEY2"
# shellcheck disable=SC2317
dp2_refused() { grep -q "fingerprint .* differs" "$CTL_LOG"; }
wait_for 10 "the control plane to refuse the second dataplane's key" dp2_refused
sleep 1
assert_eq "dataplanes in sync with one refused" "$(ctl_json 'r["dataplanes_ready"]' core health)" 1
log "a dataplane with another signing key was refused: $(grep -m1 -o 'fingerprint [0-9a-f]* differs[^:]*' "$CTL_LOG")"

control_stop
sipline2_stop
sipline_stop
uas_stop_pid "$GW5070_PID" "$GW5072_PID"
pass "two dataplanes, probes, failover within $DOWN_BOUND s and back, pause, metrics, key check"
