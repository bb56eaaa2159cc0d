#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Telemetry read with DPDK's own client, /usr/bin/dpdk-telemetry.py -f PREFIX
# (commands on stdin, one JSON reply per line), as docs/dataplane.md tells
# operators to:
#   - /sipline/stats: every counter of dataplane/core/dp_counters.h by its
#     lower-case name, an integer, plus dialplan_version (1 after --dialplan),
#     uptime_s, location_bindings, neighbours, worker_lcores, frag_held; the counters
#     move with the traffic sent (OPTIONS, 302, 404);
#   - /sipline/dialplan: version, name, SHA-256 (sha256sum of the file), source;
#   - /sipline/lcores: one entry per worker lcore;
#   - "/" lists the three commands, /help describes them.
#
# Usage: test_telemetry.sh PATH_TO_SIPLINE [PATH_TO_SIPLINE_LINK]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
itest_init telemetry "${1:-}"
DPDK_TELEMETRY=${ITEST_DPDK_TELEMETRY:-/usr/bin/dpdk-telemetry.py}
[ -x "$DPDK_TELEMETRY" ] ||
    fail "DPDK's telemetry client $DPDK_TELEMETRY is missing (Debian package dpdk; or set ITEST_DPDK_TELEMETRY)"
PLAN="$ITEST_PLANS/itest.dialplan"

# dpdk_tel CMD...: the replies, one JSON document per line, in $ITEST_TMP/tel.json.
dpdk_tel() {
    printf '%s\n' "$@" | timeout 20 "$DPDK_TELEMETRY" -f "$DPDK_PREFIX" >"$ITEST_TMP/tel.json" \
        2>"$ITEST_TMP/tel.err" ||
        fail "$DPDK_TELEMETRY -f $DPDK_PREFIX failed: $(cat "$ITEST_TMP/tel.err")"
    [ "$(grep -c . "$ITEST_TMP/tel.json")" = "$#" ] ||
        fail "$DPDK_TELEMETRY printed $(grep -c . "$ITEST_TMP/tel.json") lines for $# commands: $(head -c 600 "$ITEST_TMP/tel.json")"
}

topo_up
sipline_start --dialplan "$PLAN"
for r in 302555:302 99999:404; do
    nsx "$NS_A" "$ITEST_PY" "$ITEST_DIR/sipnet.py" request --src "$IP_A" --dst "$IP_R" \
        --method INVITE --ruri "sip:${r%:*}@$IP_R" --expect "${r#*:}" >"$ITEST_TMP/req.out" 2>&1 ||
        fail "INVITE sip:${r%:*}@$IP_R: expected ${r#*:}, got $(head -n 1 "$ITEST_TMP/req.out")"
done

dpdk_tel / /sipline/stats /sipline/dialplan /sipline/lcores /help,/sipline/stats /sipline/status
counter_names >"$ITEST_TMP/names"
"$ITEST_PY" - "$ITEST_TMP/tel.json" "$ITEST_TMP/names" "$(sha256sum "$PLAN" | cut -d' ' -f1)" \
    "$PLAN" >"$ITEST_TMP/check.out" 2>&1 <<'EOF' || fail "dpdk-telemetry.py replies: $(cat "$ITEST_TMP/check.out")"
import json, sys
replies = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
names = [l.strip() for l in open(sys.argv[2]) if l.strip()]
sha, path = sys.argv[3], sys.argv[4]
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
listing, stats, plan, lcores, helptext, status = replies
cmds = listing.get("/", [])
for c in ("/sipline/stats", "/sipline/dialplan", "/sipline/lcores", "/sipline/status"):
    want(c in cmds, "'/' does not list %s" % c)
stats = stats.get("/sipline/stats", {})
for n in names + ["dialplan_version", "uptime_s", "location_bindings", "neighbours", "worker_lcores"]:
    want(isinstance(stats.get(n), int), "/sipline/stats: no integer '%s'" % n)
want(stats.get("dialplan_version") == 1, "dialplan_version %r, expected 1" % stats.get("dialplan_version"))
want(stats.get("worker_lcores") == 1, "worker_lcores %r, expected 1" % stats.get("worker_lcores"))
for n, least in (("act_options_reply", 1), ("act_redirect", 1), ("act_no_route", 1),
                 ("reply_3xx", 1), ("reply_4xx", 1), ("rx_requests", 3)):
    want(stats.get(n, 0) >= least, "%s = %r, expected at least %d" % (n, stats.get(n), least))
state = ("dialplan_version", "uptime_s", "location_bindings", "neighbours", "worker_lcores",
         "exc_to_kernel", "exc_from_kernel", "exc_via_kernel", "exc_drops",
         "gw_names_version", "gw_names_targets",  # gateway names (no control plane: 0)
         "frag_held")  # fragments waiting for reassembly (a gauge)
# The neighbour table's figures: the DP_NEIGH_STATS table of dataplane/kernel/dp_neigh.h.
state += tuple("neigh_" + n for n in (
    "entries", "pinned", "managed", "requests", "req_drops", "route_lookups", "route_errors",
    "resolutions", "rate_limited", "updates", "snooped", "expired", "evicted", "full",
    "mac_changes", "verify_probes", "conflicts", "nl_resyncs", "nl_errors"))
for n in state:
    want(isinstance(stats.get(n), int), "/sipline/stats: no integer '%s'" % n)
want(stats.get("exc_to_kernel", 0) >= 1, "exc_to_kernel %r: ARP went to the kernel" % stats.get("exc_to_kernel"))
# The plan's one gateway address (10.77.0.20, two groups) is pinned: one entry, one pin.
want(stats.get("neigh_pinned") == 1, "neigh_pinned %r, expected 1 (the gateway)" % stats.get("neigh_pinned"))
want(stats.get("frag_held") == 0, "frag_held %r, expected 0 (no fragment sent)" % stats.get("frag_held"))
want(stats.get("gw_names_version") == 0 and stats.get("gw_names_targets") == 0,
     "gw_names %r/%r without a control plane" % (stats.get("gw_names_version"), stats.get("gw_names_targets")))
want(stats.get("neigh_entries") == stats.get("neighbours"),
     "neigh_entries %r != neighbours %r" % (stats.get("neigh_entries"), stats.get("neighbours")))
extra = sorted(k for k in stats if k not in names and k not in state)
want(not extra, "/sipline/stats: unknown keys %s" % extra)
# Every status code we sent: the OPTIONS probes' 200, one 302, one 404.
st = status.get("/sipline/status", {})
sent = st.get("sent", {})
want(sent.get("200", 0) >= 1 and sent.get("302") == 1 and sent.get("404") == 1,
     "/sipline/status sent %r: expected 200 (>= 1), 302 and 404 (1 each)" % sent)
want(set(sent) <= {"200", "302", "404"}, "/sipline/status sent codes we never sent: %r" % sent)
want(st.get("relayed") == {}, "/sipline/status relayed %r, expected none" % st.get("relayed"))
want(all(k == k.lower() for k in stats), "upper-case names in /sipline/stats")
plan = plan.get("/sipline/dialplan", {})
want(plan.get("version") == 1, "/sipline/dialplan version %r" % plan.get("version"))
want(plan.get("sha256") == sha, "/sipline/dialplan sha256 %r, sha256sum says %s" % (plan.get("sha256"), sha))
want(plan.get("name") == "itest", "/sipline/dialplan name %r" % plan.get("name"))
want(plan.get("source") == path, "/sipline/dialplan source %r" % plan.get("source"))
lc = lcores.get("/sipline/lcores", {})
want(list(lc) == ["worker0"] and lc["worker0"].get("role") == "worker",
     "/sipline/lcores: %r" % lc)
want("Counters" in json.dumps(helptext), "/help,/sipline/stats: %r" % helptext)
print("%d counters by name, dialplan_version %s, sha256 %s, other keys %s" % (
    len(names), stats.get("dialplan_version"), plan.get("sha256"), extra))
if bad:
    print("\n".join(bad))
    sys.exit(1)
EOF
log "dpdk-telemetry.py: $(cat "$ITEST_TMP/check.out")"
sipline_stop
pass "/sipline/stats, /sipline/dialplan, /sipline/lcores and /sipline/status through dpdk-telemetry.py"
