# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The flooder of the edge tests (test_flood.sh, test_soak.sh): sipline-gen on
# a DPDK af_packet port in namespace $NS_F, on the topology's switch. Sourced
# after lib.sh; GEN is sipline-gen's path.

NS_F="slf-$ITEST_ID"
IP_FL=10.77.0.30
MAC_R=02:77:00:00:00:01
RATE=${FLOOD_RATE:-4000}

# flooder_up: the flooder's namespace and port (after topo_up); a scanner template.
flooder_up() {
    itest_add_ns "$NS_F"
    nsx "$NS_F" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$NS_F" link add f0 address 02:77:00:00:00:1e type veth peer name pf0 netns "$NS_SW"
    ip -n "$NS_SW" link set pf0 master br0
    itest_host_if "$NS_SW" pf0
    ip -n "$NS_SW" link set pf0 up
    itest_host_if "$NS_F" f0
    ip -n "$NS_F" link set f0 up
    cat >"$ITEST_TMP/scanner.tmpl" <<'TEOF'
INVITE sip:$user@$dst_ip SIP/2.0
Via: SIP/2.0/UDP $src_ip:$src_port;branch=$branch;rport
Max-Forwards: 70
From: "1000" <sip:1000@$dst_ip>;tag=$fromtag
To: "1000" <sip:$user@$dst_ip>
Call-ID: $callid
CSeq: 1 INVITE
Contact: <sip:1000@$src_ip:$src_port>
User-Agent: friendly-scanner
Content-Length: 0

TEOF
}

# flood NAME SECONDS OPTIONS...: sipline-gen from $NS_F at $RATE/s; its JSON lines in NAME.json.
flood() {
    local name=$1 secs=$2
    shift 2
    ip netns exec "$NS_F" "$GEN" --no-huge -m 512 --no-pci --file-prefix "$DPDK_PREFIX-gen" \
        --lcores 0@0,1@0 --log-level=error \
        --vdev net_af_packet0,iface=f0,framecnt=4096,blocksz=65536,framesz=2048 -- \
        --dst "$IP_R" --dst-mac "$MAC_R" --rate "$RATE" --duration "$secs" \
        --json --no-progress --case "$name" --src "$IP_FL" "$@" >"$ITEST_TMP/$name.json" \
        2>"$ITEST_TMP/$name.txt" || fail "sipline-gen $name failed: $(tail -3 "$ITEST_TMP/$name.txt")"
    log "flood $name: $(grep -E '^ *(run|answered|finals)' "$ITEST_TMP/$name.txt" | tr -s ' ' | tr '\n' ';')"
}

# jget NAME FIELD: a field of flood NAME's final JSON line.
jget() {
    "$ITEST_PY" -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1][sys.argv[2]])' \
        "$ITEST_TMP/$1.json" "$2"
}

# The router's resident memory, kB.
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$SIPLINE_PID/status"; }

# calls_expect TAG CALLS RC: at least 99% of SIPp run TAG's calls succeeded.
calls_expect() {
    local tag=$1 calls=$2 rc=$3 ok f="$ITEST_TMP/$1_stat.csv"
    [ -s "$f" ] || fail "SIPp $tag wrote no statistics (exit $rc)"
    ok=$(sipp_stat "$f" 'SuccessfulCall(C)')
    log "legitimate calls ($tag): $ok of $calls succeeded (SIPp exit $rc)"
    [ "$ok" -ge $((calls * 99 / 100)) ] || fail "only $ok of $calls legitimate calls succeeded"
}
