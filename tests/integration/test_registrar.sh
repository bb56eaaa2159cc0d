#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The registrar of sipline-control behind the real dataplane: REGISTER
# arrives at the router's address ($IP_R:5060), the dataplane hands it to
# the kernel through its exception path (the tap sl0), sipline-control
# answers from its UDP socket there, and pushes the best binding back to
# the dataplane, which then routes calls to the registered contact.
#   - subscribers imported from a Kamailio subscriber CSV (siplinectl
#     subscribers import): passwords hashed, never stored;
#   - RFC 3665 registration flows with SIPp (MD5: SIPp 3.6 knows no other
#     algorithm and answers the first challenge only): challenge and
#     successful registration (§2.1), update (§2.2), query (§2.3), a wrong
#     password and an unknown user challenged again (§2.5), Contact *
#     removal;
#   - SHA-256 and SHA-512-256 registrations by regtool.py (hashlib: a
#     digest implementation that is not ours) once a SIGHUP enabled them,
#     the 401 then offering SHA-512-256, SHA-256, MD5 in that order;
#   - an INVITE to the AOR from another namespace, routed by the dataplane
#     to the registered contact (a SIPp UAS on the phone's address);
#   - REGISTER throughput through the exception path (regtool.py load: the
#     JSON line goes to the log and $ITEST_TMP/bench.json);
#   - kill -9 of sipline-control during REGISTER load: every registration
#     acknowledged with a 200 is in the store after the restart, and the
#     restarted control plane pushes all of them to the dataplane (whose
#     bindings were cleared meanwhile).
#
# Usage: test_registrar.sh SIPLINE SIPLINE_LINK SIPLINE_CONTROL SIPLINECTL
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_extra.sh"
. "$(dirname "$0")/lib_control.sh"
itest_init registrar "${1:-}"
link_init "${2:-}"
control_init "${3:-}" "${4:-}"
LOAD_USERS=${ITEST_REG_USERS:-400}
LOAD_SECS=${ITEST_REG_SECONDS:-4}
REGTOOL="$ITEST_DIR/regtool.py"

topo_up
sipline_start --record-route   # in-dialog requests come back through us (our Route)

# store_batch 0.05: batches stay open 50 ms, so a kill -9 under load very likely lands in
# one, and a registrar that answered before its commit would lose acknowledged
# registrations there (checked by hand on loopback with the same check: a build sending
# the 200 before the commit lost 244 of 500 acknowledged AORs).
control_conf "dataplane $LINK_SOCK" "probe off" "registrar $IP_R:$SIP_PORT" \
    "reg_domains $IP_R" "reg_algorithms md5" "reg_min_expires 10" "store_batch 0.05"
control_start
wait_for 10 "the dataplane in sync" dp_ready 1
ctl_ok --json location stats
assert_eq "registrar listening" "$(jget 'r["listening"]')" true

# ---- subscribers: a Kamailio subscriber table as CSV ----
ha1_bob=$(printf '%s' "bob:$IP_R:hunter2" | md5sum | cut -d' ' -f1)
{
    echo "id,username,domain,password,ha1,ha1b"
    echo "1,alice,$IP_R,secret,,"
    echo "2,bob,$IP_R,,$ha1_bob,"
    echo "3,1001,$IP_R,phone,,"
    for ((i = 0; i < LOAD_USERS; i++)); do
        echo "$((i + 10)),u$i,$IP_R,samepw,,"
    done
} >"$ITEST_TMP/subscribers.csv"
ctl_ok subscribers import "$ITEST_TMP/subscribers.csv"
grep -Eq "added +$((LOAD_USERS + 3))" "$ITEST_TMP/ctl.out" ||
    fail "subscribers import: $(cat "$ITEST_TMP/ctl.out")"
grep -q "secret\|samepw" "$ITEST_TMP/control.db" "$ITEST_TMP"/control.db-wal 2>/dev/null &&
    fail "a plaintext password is in the store"
ctl_ok --json subscribers list domain="$IP_R" limit=2
assert_eq "subscribers of $IP_R" "$(jget 'r["total"]')" $((LOAD_USERS + 3))
assert_eq "bob's algorithms (an MD5 HA1 only)" \
    "$(ctl_json '[s["algorithms"] for s in r["items"] if s["username"] == "bob"][0]' subscribers list)" \
    "['MD5']"
log "subscribers imported: $((LOAD_USERS + 3)), no plaintext password stored"

# ---- RFC 3665 flows with SIPp (from the phone's address, $IP_B:5060) ----
# reg_sipp TAG SCENARIO USER PASSWORD [sipp -key options...]
reg_sipp() {
    local tag=$1 scen=$2 user=$3 pw=$4
    shift 4
    local rc=0
    timeout --kill-after=5 30 ip netns exec "$NS_B" sipp "$IP_R:$SIP_PORT" \
        -sf "$ITEST_SCEN/$scen" -i "$IP_B" -p 5060 -m 1 -au "$user" -ap "$pw" \
        -key aor_user "$user" -nostdin -timeout 20s -timeout_error \
        -trace_msg -message_file "$ITEST_TMP/${tag}_msg.log" \
        -trace_err -error_file "$ITEST_TMP/${tag}_err.log" "$@" \
        >"$ITEST_TMP/${tag}_out.log" 2>&1 || rc=$?
    return "$rc"
}
reg_ok() {
    reg_sipp "$@" || fail "SIPp $1 ($2) failed: $(tail -n 30 "$ITEST_TMP/$1_msg.log" 2>/dev/null; cat "$ITEST_TMP/$1_err.log" 2>/dev/null)"
}
# binding AOR: the JSON of location.lookup into ctl.out (fails if none)
binding() {
    ctl --json location lookup aor="$1"
}

PHONE="<sip:1001@$IP_B:5060>"
reg_ok reg1 reg_auth.xml 1001 phone -key contact "$PHONE" -key expires 600
binding "1001@$IP_R" || fail "no binding for 1001@$IP_R after a 200"
assert_eq "contact of 1001" "$(jget 'r["best"]["contact"]')" "sip:1001@$IP_B:5060"
assert_eq "next hop of 1001 (the REGISTER's source)" "$(jget 'r["best"]["source"]')" "$IP_B"
grep -q "algorithm=MD5" "$ITEST_TMP/reg1_msg.log" || fail "reg1: no MD5 challenge"
log "RFC 3665 2.1: 401 then 200 for 1001, binding $PHONE"

reg_ok reg2 reg_auth.xml 1001 phone -key contact "$PHONE" -key expires 300
binding "1001@$IP_R" || fail "binding of 1001 gone after an update"
exp=$(jget 'r["best"]["expires"]')
if [ "$exp" -gt 300 ] || [ "$exp" -le 250 ]; then
    fail "update to 300 s: expires $exp"
fi
log "RFC 3665 2.2: update, expires now $exp s"

reg_ok reg3 reg_auth.xml alice secret -key contact "<sip:alice@$IP_B:5062>" -key expires 600
reg_ok query reg_query.xml alice secret -key want "sip:alice@$IP_B:5062"
log "RFC 3665 2.3: query of alice lists sip:alice@$IP_B:5062"

reg_ok badpw reg_bad.xml alice wrong -key contact "<sip:alice@$IP_B:5099>" -key expires 600
reg_ok unknown reg_bad.xml mallory secret -key contact "<sip:mallory@$IP_B:5099>" -key expires 600
binding "alice@$IP_R" || fail "alice's binding lost"
assert_eq "alice after a wrong password" "$(jget 'len(r["bindings"])')" 1
binding "mallory@$IP_R" && fail "an unknown user got a binding"
log "RFC 3665 2.5: wrong password and unknown user challenged again, nothing bound"

# bob has only an MD5 HA1 (from the CSV's ha1 column)
reg_ok bob reg_auth.xml bob hunter2 -key contact "<sip:bob@$IP_B:5064>" -key expires 600
binding "bob@$IP_R" || fail "bob (HA1 imported) could not register"

reg_ok star reg_star.xml alice secret
binding "alice@$IP_R" && fail "alice still has bindings after Contact: *"
log "Contact: * with Expires: 0 removed alice's bindings"

# ---- SHA-256 and SHA-512-256 (the strongest first) after a SIGHUP ----
sed -i 's/^reg_algorithms md5$/reg_algorithms sha-512-256,sha-256,md5/' "$CTL_CONF"
kill -HUP "$CTL_PID"
wait_for 10 "SIGHUP applied" grep -q "configuration reloaded" "$CTL_LOG"
for alg in SHA-256 SHA-512-256; do
    nsx "$NS_B" "$ITEST_PY" "$REGTOOL" register --src "$IP_B" --sport 5062 --dst "$IP_R" \
        --domain "$IP_R" --user alice --password secret --alg "$alg" --expires 600 \
        --contact "sip:alice@$IP_B:5062" --cseq 10 >"$ITEST_TMP/regtool.out" 2>&1 ||
        fail "$alg registration: $(cat "$ITEST_TMP/regtool.out")"
    grep -q "^SIP/2.0 200" "$ITEST_TMP/regtool.out" || fail "$alg: $(cat "$ITEST_TMP/regtool.out")"
done
nsx "$NS_B" "$ITEST_PY" - "$IP_R" "$IP_B" >"$ITEST_TMP/challenge.out" 2>&1 <<'PY' || fail "challenge: $(cat "$ITEST_TMP/challenge.out")"
import re, socket, sys
r, b = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((b, 0)); s.settimeout(2)
p = s.getsockname()[1]
s.sendto((f"REGISTER sip:{r} SIP/2.0\r\nVia: SIP/2.0/UDP {b}:{p};rport;branch=z9hG4bKch\r\n"
          f"From: <sip:alice@{r}>;tag=1\r\nTo: <sip:alice@{r}>\r\nCall-ID: ch\r\nCSeq: 1 REGISTER\r\n"
          f"Contact: <sip:alice@{b}:{p}>\r\nContent-Length: 0\r\n\r\n").encode(), (r, 5060))
m = s.recv(65535).decode()
algs = re.findall(r"^WWW-Authenticate: Digest .*algorithm=([A-Z0-9-]+)", m, re.M)
print(" ".join(algs))
sys.exit(0 if algs == ["SHA-512-256", "SHA-256", "MD5"] and all('qop="auth"' in l for l in m.split("\r\n") if l.startswith("WWW-Auth")) else 1)
PY
log "after SIGHUP: challenges $(cat "$ITEST_TMP/challenge.out"); SHA-256 and SHA-512-256 registrations of alice accepted"

# ---- a call to the AOR, routed by the dataplane to the contact ----
uas_start "$ITEST_SCEN/uas_gw.xml"   # the phone: $IP_B:5060, where 1001 registered from
before=$(counter act_location)
rc=0
uac_run call "$ITEST_SCEN/uac_fwd.xml" 100 1 1 || rc=$?   # INVITE sip:1001@$IP_R from $IP_A
uac_expect_all_ok call 1 "$rc"
expect_counter act_location -ge $((before + 1))
uas_stop
log "INVITE sip:1001@$IP_R from $IP_A reached the phone registered at $IP_B:5060 through the dataplane"

metrics_get "$ITEST_TMP/metrics.txt"
grep -Eq '^sipline_control_reg_ok_total [1-9]' "$ITEST_TMP/metrics.txt" ||
    fail "/metrics: no sipline_control_reg_ok_total above 0"
grep -Eq '^sipline_control_registered_aors [1-9]' "$ITEST_TMP/metrics.txt" ||
    fail "/metrics: no sipline_control_registered_aors above 0"
if command -v promtool >/dev/null; then
    promtool check metrics <"$ITEST_TMP/metrics.txt" || fail "promtool refuses /metrics"
fi

# ---- throughput, then kill -9 under load ----
# A load of its own first (nothing killed): registrations per second through the
# exception path, each a challenge and a SHA-256 answer (two REGISTERs).
nsx "$NS_A" "$ITEST_PY" "$REGTOOL" load --src "$IP_A" --dst "$IP_R" --domain "$IP_R" \
    --users "$LOAD_USERS" --password samepw --duration 3 --out "$ITEST_TMP/warm.txt" \
    --alg SHA-256 --case digest_sha256_exception_path >"$ITEST_TMP/bench.json" 2>&1 ||
    fail "load: $(cat "$ITEST_TMP/bench.json")"
log "throughput: $(cat "$ITEST_TMP/bench.json")"
ok=$(jget 'r["registrations"]' "$ITEST_TMP/bench.json")
assert_ge "registrations in 3 s" "$ok" 100

: >"$ITEST_TMP/acked.txt"
nsx "$NS_A" "$ITEST_PY" "$REGTOOL" load --src "$IP_A" --dst "$IP_R" --domain "$IP_R" \
    --users "$LOAD_USERS" --password samepw --duration "$LOAD_SECS" --out "$ITEST_TMP/acked.txt" \
    --alg SHA-256 --case kill >"$ITEST_TMP/kill.json" 2>&1 &
LOAD_PID=$!
ITEST_PIDS+=("$LOAD_PID")
# shellcheck disable=SC2317 # used through wait_for
acked_at_least() { [ "$(wc -l <"$ITEST_TMP/acked.txt")" -ge "$1" ]; }
wait_for 20 "300 registrations acknowledged under load" acked_at_least 300
kill -KILL "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
CTL_PID=""
n_acked_at_kill=$(wc -l <"$ITEST_TMP/acked.txt")
log "sipline-control killed (SIGKILL) with $n_acked_at_kill registrations acknowledged so far"
wait "$LOAD_PID" || true
log "load: $(cat "$ITEST_TMP/kill.json")"
# The dataplane keeps its bindings when the control plane dies: clear them,
# so that only the restarted control plane's re-sync can bring them back.
slink_ok loc-clear
assert_eq "dataplane bindings after loc-clear" "$(hello_at "$LINK_SOCK" bindings)" 0
rm -f "$CTL_SOCK"   # a SIGKILLed daemon leaves its socket file
control_start
wait_for 10 "the dataplane in sync again" dp_ready 1

# Every acknowledged registration (its last 200 per AOR) is in the store.
: >"$ITEST_TMP/loc.jsonl"
cursor=0
while :; do
    ctl_ok --json location list cursor="$cursor" limit=1000
    cat "$ITEST_TMP/ctl.out" >>"$ITEST_TMP/loc.jsonl"
    echo >>"$ITEST_TMP/loc.jsonl"
    cursor=$(jget 'r["next_cursor"] or ""')
    [ -n "$cursor" ] || break
done
"$ITEST_PY" - "$ITEST_TMP/acked.txt" "$ITEST_TMP/loc.jsonl" >"$ITEST_TMP/check.out" 2>&1 <<'PY' || fail "acknowledged registrations lost: $(cat "$ITEST_TMP/check.out")"
import json, sys
dec = json.JSONDecoder()
txt = open(sys.argv[2]).read()
loc, i = {}, 0
while True:
    while i < len(txt) and txt[i].isspace():
        i += 1
    if i >= len(txt):
        break
    r, i = dec.raw_decode(txt, i)
    for it in r["items"]:
        loc.setdefault(it["aor"], []).append(it)
last = {}
for line in open(sys.argv[1]):
    aor, contact, cseq = line.split()
    if int(cseq) > last.get(aor, ("", 0))[1]:
        last[aor] = (contact, int(cseq))
bad = [a for a, (c, s) in last.items()
       if not any(b["contact"] == c and b["cseq"] >= s for b in loc.get(a, []))]
print("acknowledged AORs %d, AORs in the store %d, lost %d %s" % (len(last), len(loc), len(bad), bad[:5]))
sys.exit(1 if bad or not last else 0)
PY
log "after kill -9 and restart: $(cat "$ITEST_TMP/check.out")"
aors=$(ctl_json 'r["aors"]' location stats)
wait_for 10 "the dataplane holding the $aors bindings again" hello_is "$LINK_SOCK" bindings "$aors"
assert_ge "AORs after the restart" "$aors" "$(cut -d' ' -f1 "$ITEST_TMP/acked.txt" | sort -u | wc -l)"
log "the restarted control plane pushed $aors bindings to the dataplane"

control_stop
sipline_stop
pass "RFC 3665 flows, MD5/SHA-256/SHA-512-256 digest, a call to the AOR through the dataplane, kill -9 under load"
