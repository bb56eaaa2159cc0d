#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the libFuzzer targets (clang, ASan + UBSan) and run each of them.
#
#   scripts/fuzz.sh                          every target, FUZZ_SECONDS (60) each: the CI smoke run
#   FUZZ_SECONDS=3600 scripts/fuzz.sh fuzz_msg   one target for an hour (see docs/fuzzing.md)
#
# Seeds come from ../shared/corpus (or $SIPLINE_CORPUS): the RFC 4475 and
# RFC 5118 messages, the RFC 5118 ones also in CRLF form, the public fuzz
# seeds, and for fuzz_uri the Request-URIs and header values cut out of them.
# They are copied to a temporary directory only: some are GPL-licensed and
# must never land in the repository. What the fuzzer finds goes to
# build-fuzz/corpus/<target> (kept between runs, ignored by git); crash, leak
# and timeout inputs to build-fuzz/artifacts/.
#
# Exit status: 0 if every target ran its time without a crash, leak, timeout,
# sanitizer report or broken invariant; 1 otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
CORPUS=${SIPLINE_CORPUS:-$ROOT/../shared/corpus}
BUILD=${FUZZ_BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
ALL_TARGETS=(fuzz_msg fuzz_uri fuzz_rpc fuzz_link fuzz_auth fuzz_frame fuzz_dp fuzz_pkt fuzz_plan)
if [ $# -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=("${ALL_TARGETS[@]}")
fi

for t in "${TARGETS[@]}"; do
    case " ${ALL_TARGETS[*]} " in
        *" $t "*) ;;
        *) echo "fuzz: unknown target $t (targets: ${ALL_TARGETS[*]})" >&2; exit 2 ;;
    esac
done
if [ ! -d "$CORPUS/rfc4475" ]; then
    echo "fuzz: SIP corpus not found at $CORPUS (set SIPLINE_CORPUS)" >&2
    exit 2
fi
command -v clang >/dev/null || { echo "fuzz: clang is required" >&2; exit 2; }

# ---- build ----
if [ -f "$BUILD/build.ninja" ]; then
    meson setup --reconfigure "$BUILD" >/dev/null
else
    CC=clang meson setup "$BUILD" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false >/dev/null
fi
meson compile -C "$BUILD" "${TARGETS[@]}"

# ---- seeds (temporary) ----
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sipline-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/msg" "$WORK/uri"
cp "$CORPUS"/rfc4475/*.sip "$WORK/msg/"
for f in "$CORPUS"/rfc5118/*.sip; do
    b=$(basename "$f" .sip)
    cp "$f" "$WORK/msg/5118-$b.sip"
    # The archive uses bare LF; a peer sends CRLF.
    sed 's/$/\r/' "$f" > "$WORK/msg/5118-$b-crlf.sip"
done
find "$CORPUS/fuzz" -type f | while read -r f; do
    cp "$f" "$WORK/msg/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
done
# URI-target seeds: every Request-URI and every header value, one per file.
for f in "$WORK"/msg/*; do
    tr -d '\r' < "$f" | awk -v dir="$WORK/uri" -v base="$(basename "$f")" '
        NR == 1 && $2 != "" { print $2 > (dir "/" base "-ruri"); next }
        /^$/ { exit }
        /^[A-Za-z-]+[ \t]*:/ {
            v = $0; sub(/^[^:]*:[ \t]*/, "", v)
            if (v != "") { n++; print v > (dir "/" base "-h" n) }
        }'
done

# JSON-RPC seeds: requests, batches, notifications, every parameter type.
mkdir -p "$WORK/rpc" "$WORK/link"
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" >"$WORK/rpc/seed-$n.json"
done <<'JSON'
{"jsonrpc":"2.0","id":1,"method":"f.echo","params":{"r":1,"s":"x","i":2,"b":true,"o":{},"a":[],"x":null}}
{"jsonrpc":"2.0","id":"a","method":"f.echo","params":[1,"s",true]}
[{"jsonrpc":"2.0","id":1,"method":"f.later"},{"jsonrpc":"2.0","method":"f.echo","params":{"r":1}},{"jsonrpc":"2.0","id":2,"method":"f.err","params":{"r":-32001}}]
{"jsonrpc":"2.0","id":3,"method":"f.page","params":{"cursor":"3","limit":2}}
{"jsonrpc":"2.0","id":4,"method":"system.methodHelp","params":["f.echo"]}
{"jsonrpc":"2.0","id":5,"method":"system.listMethods"}
[]
{"jsonrpc":"2.0","method":"nope"}
{"jsonrpc":"2.0","id":6,"method":"system.listMethods;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;źds"}
{"jsonrpc":"2.0","id":7,"method":"f.echo","params":{"pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppź":1}}
JSON
# Authorization seeds: RFC 7616/3261 style credentials, hostile shapes.
mkdir -p "$WORK/auth"
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%b' "$line" >"$WORK/auth/seed-$n"
done <<'AUTH'
Digest username="alice", realm="example.com", nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", uri="sip:example.com", response="8ca523f5e9506fed4657c9700eebdbec", algorithm=MD5, cnonce="x", qop=auth, nc=00000001
Digest username="Mufasa",realm="http-auth@example.org",uri="/dir/index.html",algorithm=SHA-256,nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",nc=00000001,cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",qop=auth,response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
Digest username="a\\"b", realm="r",\r\n nonce="n", userhash=true, username*=UTF-8''J%C3%A4s%C3%B8n
digest USERNAME = "x" , foo = bar
AUTH
# Link seeds: a HELLO, a RESULT, a STATS page with two records, two frames in one.
"${PYTHON:-python3}" - "$WORK/link" <<'PY'
import struct, sys
d = sys.argv[1]
def frame(t, seq, payload, version=2):
    return struct.pack("=IHHII", 0x534C4B31, version, t, seq, len(payload)) + payload
def stat(name, value, worker=0xffff, code=0, kind=0):
    b = struct.pack("=QHHBB2x", value, worker, code, kind, len(name)) + name
    return b + b"\0" * (-len(b) % 8)
stats = struct.pack("=IIQQ", 2, 0, 3, 0) + stat(b"rx_pkts", 7) + stat(b"sent", 1, code=302)
seeds = {
    "hello": frame(1, 1, b"sipline-control".ljust(32, b"\0")),
    "result": frame(3, 2, struct.pack("=iI", -22, 5) + b"error"),
    "stats": frame(10, 3, stats),
    "two": frame(11, 4, b"") + frame(3, 4, struct.pack("=iI", 0, 0)),
    "v1": frame(11, 5, b"", version=1),
}
for k, v in seeds.items():
    open("%s/seed-%s" % (d, k), "wb").write(v)
PY

# Stream-framer seeds: corpus messages as a TCP peer sends them (a read-size
# byte first, a CRLF ping between two messages, pipelined pairs, compact l:).
mkdir -p "$WORK/frame"
n=0
prev=""
for f in "$WORK"/msg/*; do
    n=$((n + 1))
    { printf '%b' "\\x$(printf %02x $((n % 256)))"; cat "$f"; printf '\r\n\r\n'; if [ -n "$prev" ]; then cat "$prev"; fi; } \
        >"$WORK/frame/seed-$n"
    prev=$f
done
printf '\x07\r\nREGISTER sip:a SIP/2.0\r\nl: 3\r\n\r\nabc\r\n\r\n' >"$WORK/frame/seed-compact"

# Dataplane seeds: three setup bytes (source and flags, source port), then a
# datagram: each corpus message, and requests whose Request-URI user picks
# every route fuzz_dp knows, with and without a Route to us or a name.
mkdir -p "$WORK/dp"
n=0
for f in "$WORK"/msg/*; do
    n=$((n + 1))
    { printf '%b' "\\x$(printf %02x $((n * 37 % 256)))\\x13\\xc4"; cat "$f"; } >"$WORK/dp/seed-$n"
done
for user in 302 many fwd nlo nbcast nself rej unav drop xnone; do
    for flags in 00 08 10 1e 40 66; do
        {
            printf '%b' "\\x$flags\\x13\\xc4"
            printf 'INVITE sip:%s@10.0.0.1 SIP/2.0\r\n' "$user"
            printf 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-%s;rport\r\n' "$user"
            printf 'Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.10>;tag=1\r\n'
            [ "$flags" = 10 ] && printf 'To: <sip:%s@10.0.0.1>;tag=2\r\nRoute: <sip:host.example.com;lr>\r\n' "$user" \
                || printf 'To: <sip:%s@10.0.0.1>\r\n' "$user"
            printf 'Call-ID: %s@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.10>\r\n' "$user"
            printf 'Content-Length: 0\r\n\r\n'
        } >"$WORK/dp/seed-$user-$flags"
    done
done
printf '\x00\x13\xc4SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-x\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-y\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n' \
    >"$WORK/dp/seed-response"

# Frame seeds for fuzz_pkt: an option byte (RX checksum flags, head flag,
# checksums made right), then a frame: SIP over IPv4 (with options, a
# fragment, a head longer than the frame, another protocol or port, to our
# broadcast), over IPv6 (and behind an extension header), ARP, a VLAN tag.
mkdir -p "$WORK/pkt"
"${PYTHON:-python3}" - "$WORK/pkt" <<'PY'
import socket, struct, sys
d = sys.argv[1]
ours, peer = bytes.fromhex("027700000001"), bytes.fromhex("02770000000a")
sip = (b"INVITE sip:1000@10.77.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.77.0.10;branch=z9hG4bK1\r\n"
       b"Content-Length: 0\r\n\r\n")
def csum(b):
    b += b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s
def udp(pseudo, dport=5060):
    u = struct.pack("!HHHH", 5061, dport, 8 + len(sip), 0) + sip
    ck = 0xffff - csum(pseudo(len(u)) + u)
    return u[:6] + struct.pack("!H", ck or 0xffff) + u[8:]
def v4(dst="10.77.0.1", frag=0x4000, proto=17, dport=5060, opts=b"", tot=None):
    s, t = socket.inet_aton("10.77.0.10"), socket.inet_aton(dst)
    u = udp(lambda n: s + t + struct.pack("!HH", 17, n), dport)
    ihl = 20 + len(opts)
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl // 4, 0, tot or ihl + len(u), 1, frag, 64,
                     proto, 0, s, t) + opts
    ip = ip[:10] + struct.pack("!H", 0xffff - csum(ip)) + ip[12:]
    return ours + peer + b"\x08\x00" + ip + u
def v6(nh=17):
    s = socket.inet_pton(socket.AF_INET6, "fd00:77::10")
    t = socket.inet_pton(socket.AF_INET6, "fd00:77::1")
    u = udp(lambda n: s + t + struct.pack("!IxxxB", n, 17))
    return ours + peer + b"\x86\xdd" + struct.pack("!IHBB16s16s", 6 << 28, len(u), nh, 64, s, t) + u
arp = (b"\xff" * 6 + peer + b"\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01" + peer + bytes(10) +
       socket.inet_aton("10.77.0.1"))
seeds = {"v4": v4(), "v4opts": v4(opts=b"\x01\x01\x01\x00"), "v4frag": v4(frag=0x2000),
         "v4head": v4(tot=3000), "v4tcp": v4(proto=6), "v4port": v4(dport=53),
         "v4bcast": v4(dst="10.77.0.255"), "v6": v6(), "v6ext": v6(nh=0), "arp": arp,
         "vlan": ours + peer + b"\x81\x00\x00\x05\x08\x00" + v4()[14:]}
for name, frame in seeds.items():
    for opt in (0x00, 0x0a, 0x60, 0x72):
        open("%s/seed-%s-%02x" % (d, name, opt), "wb").write(bytes([opt]) + frame)
PY

# Dialplan seeds for fuzz_plan: the project's own example and test plans,
# and its Kamailio tables behind the "#kamailio" line that selects an import.
mkdir -p "$WORK/plan"
find examples tests/integration/dialplans -name '*.dialplan' | while read -r f; do
    cp "$f" "$WORK/plan/seed-$(echo "$f" | tr / _)"
done
for f in examples/dialplans/kamailio/dialplan examples/dialplans/kamailio/dialplan.csv; do
    { printf '#kamailio\n'; cat "$f"; } >"$WORK/plan/seed-kamailio-$(basename "$f")"
done

# ---- run ----
mkdir -p "$BUILD/artifacts" "$BUILD/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
status=0
for t in "${TARGETS[@]}"; do
    seeds="$WORK/${t#fuzz_}"
    mkdir -p "$BUILD/corpus/$t"
    before=$(find "$BUILD/artifacts" -type f | wc -l)
    log="$BUILD/logs/$t.log"
    echo "fuzz: $t for ${SECS}s (seeds: $(find "$seeds" -type f | wc -l), log: $log)"
    rc=0
    dict=()
    case $t in
        fuzz_msg | fuzz_uri) dict=(-dict=tests/fuzz/sip.dict) ;;
        fuzz_plan) dict=(-dict=tests/fuzz/plan.dict) ;;
    esac
    "$BUILD/tests/fuzz/$t" \
        -max_total_time="$SECS" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        "${dict[@]}" -print_final_stats=1 \
        -artifact_prefix="$BUILD/artifacts/$t-" \
        "$BUILD/corpus/$t" "$seeds" > "$log" 2>&1 || rc=$?
    after=$(find "$BUILD/artifacts" -type f | wc -l)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" || true)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
    echo "fuzz: $t: exit $rc, ${runs:-?} runs, ${rate:-?} exec/s, ${cov:-cov: ?}," \
        "corpus $(find "$BUILD/corpus/$t" -type f | wc -l) files"
    if [ "$rc" -ne 0 ] || [ "$after" -ne "$before" ]; then
        echo "fuzz: $t FAILED; last lines of $log:" >&2
        tail -n 40 "$log" >&2
        ls -t "$BUILD/artifacts" | head -n 5 | sed "s|^|fuzz: artifact $BUILD/artifacts/|" >&2
        status=1
    fi
done
exit "$status"
