#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Network probes for the integration tests (run inside a namespace).

  sipnet.py options   --src IP --dst IP [--port N] [--tries N] [--timeout S]
  sipnet.py request   --src IP --dst IP --method M --ruri URI [--expect CODE|none|icmp|any]
                      [--to-tag T] [--size BYTES] [--header LINE]...
  sipnet.py udp-sink  --bind IP --port N
  sipnet.py udp-answer --bind IP --port N   (udp-sink answering requests 200 OK)
  sipnet.py arping    --iface IF --src IP --dst IP [--count N] [--expect-mac MAC]
  sipnet.py ping      --dst IP [--count N] [--size BYTES]
  sipnet.py udp-echo-server --bind IP --port N
  sipnet.py udp-echo  --src IP --dst IP --port N
  sipnet.py tcp-echo-server --bind IP --port N
  sipnet.py tcp-echo  --dst IP --port N
  sipnet.py telemetry --prefix PREFIX [--json] CMD...

ping and arping stand in for iputils (not installed here): raw sockets, one
line per reply, and duplicates are an error (both the kernel and the router
answering would show up as duplicates). Exit status 0 on success, 1 otherwise.
"""

import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time


def sip_request(method, ruri, src, sport, dst, to_tag=None, callid=None, extra="", size=0):
    callid = callid or "probe-%08x@%s" % (random.getrandbits(32), src)
    branch = "z9hG4bK-probe-%08x" % random.getrandbits(32)
    to = "<%s>" % ruri if ruri.startswith("sip:") else "<sip:probe@%s>" % dst
    if to_tag:
        to += ";tag=" + to_tag
    body = ""
    if size:
        # An SDP-like body that brings the whole datagram to about `size` bytes.
        body = "v=0\r\n" + ("a=x-pad:" + "p" * 70 + "\r\n") * max(0, (size - 330) // 80)
        extra += "Content-Type: application/sdp\r\n"
    msg = (
        "%s %s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP %s:%d;branch=%s;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:probe@%s>;tag=%08x\r\n"
        "To: %s\r\n"
        "Call-ID: %s\r\n"
        "CSeq: 1 %s\r\n"
        "%s"
        "Content-Length: %d\r\n\r\n%s"
    ) % (method, ruri, src, sport, branch, src, random.getrandbits(32), to, callid, method, extra,
         len(body), body)
    return msg.encode(), callid


def sip_header(msg, name):
    for line in msg.split(b"\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(b":")
        if k.strip().lower() == name.lower().encode():
            return v.strip()
    return None


def transact(a, method, ruri, tries, timeout, to_tag=None, size=0, extra=""):
    """Send a request until a final response with our Call-ID arrives; return it.

    Returns (response or None, tries used, size sent, ICMP error seen)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, getattr(a, "sport", 0) or 0))
    s.connect((a.dst, a.port))  # ICMP errors surface as ECONNREFUSED
    sport = s.getsockname()[1]
    data, callid = sip_request(method, ruri, a.src, sport, a.dst, to_tag=to_tag, size=size,
                               extra=extra)
    icmp = False
    for i in range(tries):
        try:
            s.send(data)
        except ConnectionRefusedError:
            icmp = True
            s.send(data)
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            try:
                resp = s.recv(65535)
            except ConnectionRefusedError:
                icmp = True
                continue
            if sip_header(resp, "Call-ID") != callid.encode() and sip_header(resp, "i") != callid.encode():
                continue
            status = resp.split(b"\r\n", 1)[0]
            if status.startswith(b"SIP/2.0 1"):
                continue
            return resp, i + 1, len(data), icmp
    return None, tries, len(data), icmp


def cmd_options(a):
    ruri = "sip:%s:%d" % (a.dst, a.port)
    resp, n, _, _ = transact(a, "OPTIONS", ruri, a.tries, a.timeout)
    if resp is None:
        print("OPTIONS %s: no final response after %d tries" % (ruri, n))
        return 1
    line = resp.split(b"\r\n", 1)[0].decode("latin1")
    print("OPTIONS %s: %s (try %d)" % (ruri, line, n))
    return 0 if line.startswith("SIP/2.0 200") else 1


def cmd_request(a):
    """--expect CODE, 'none' (silence), 'icmp' (the router's kernel refused
    it), or 'any' (anything but silence); several joined by '|'."""
    resp, n, size, icmp = transact(a, a.method, a.ruri, a.tries, a.timeout, to_tag=a.to_tag,
                                   size=a.size, extra="".join(h + "\r\n" for h in a.header))
    if resp is not None:
        got = resp.split(b" ", 2)[1].decode()
        print(resp.decode("latin1").rstrip())
    else:
        got = "icmp" if icmp else "none"
        print("%s %s (%d bytes): %s" % (a.method, a.ruri, size,
              "ICMP port unreachable from the router" if icmp else "no final response"))
    if a.expect is None:
        return 0
    want = a.expect.split("|")
    return 0 if got in want or ("any" in want and got != "none") else 1


def cmd_arping(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((a.iface, 0))
    mac = s.getsockname()[4]
    req = (b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac
           + socket.inet_aton(a.src) + b"\x00" * 6 + socket.inet_aton(a.dst)).ljust(60, b"\0")
    ok = True
    macs = set()
    total = 0
    for i in range(a.count):
        s.send(req)
        end = time.time() + 1.0
        got = 0
        while time.time() < end:
            r, _, _ = select.select([s], [], [], 0.1)
            if not r:
                continue
            f = s.recv(2048)
            if f[20:22] == b"\x00\x02" and f[28:32] == socket.inet_aton(a.dst):
                got += 1
                m = f[22:28].hex(":")
                macs.add(m)
                print("reply %d: %s is-at %s (ethernet source %s)" % (i, a.dst, m, f[6:12].hex(":")))
        total += got
        if got != 1:
            print("request %d: %d replies (expected exactly 1)" % (i, got))
            ok = False
    if a.expect_mac and macs != {a.expect_mac.lower()}:
        print("replies name %s, expected %s" % (sorted(macs), a.expect_mac))
        ok = False
    print("%d replies to %d requests" % (total, a.count))
    return 0 if ok else 1


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def cmd_ping(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    body = (b"sipline-integration-" * (a.size // 20 + 1))[: a.size]
    sent = {}
    replies = {}
    for seq in range(a.count):
        h = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = struct.pack("!BBHHH", 8, 0, csum(h + body), ident, seq) + body
        sent[seq] = time.time()
        s.sendto(pkt, (a.dst, 0))
        end = time.time() + a.interval
        while True:
            left = end - time.time()
            if seq == a.count - 1:
                left += 1.0  # last one: wait for late replies and duplicates
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            d, addr = s.recvfrom(65535)
            ih = (d[0] & 15) * 4
            typ, _, _, i, sq = struct.unpack("!BBHHH", d[ih:ih + 8])
            if typ != 0 or i != ident or addr[0] != a.dst:
                continue
            ok = d[ih + 8:] == body
            replies[sq] = replies.get(sq, 0) + 1
            print("echo reply from %s seq=%d bytes=%d time=%.3f ms%s%s" % (
                addr[0], sq, len(d) - ih - 8, (time.time() - sent.get(sq, 0)) * 1e3,
                "" if ok else " (payload differs)", " DUPLICATE" if replies[sq] > 1 else ""))
            if not ok:
                replies[sq] += 1000
    got = sum(1 for v in replies.values() if v >= 1)
    dup = sum(1 for v in replies.values() if v > 1)
    print("%d/%d replies, %d duplicated or damaged" % (got, a.count, dup))
    return 0 if got == a.count and dup == 0 else 1


def cmd_udp_echo_server(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    while True:
        d, addr = s.recvfrom(65535)
        s.sendto(b"echo:" + d, addr)


def cmd_udp_echo(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    s.settimeout(a.timeout)
    for i in range(a.tries):
        msg = b"not-sip %d" % i
        s.sendto(msg, (a.dst, a.port))
        try:
            d, addr = s.recvfrom(65535)
        except socket.timeout:
            print("try %d: timeout" % i)
            continue
        print("reply from %s:%d: %r" % (addr[0], addr[1], d))
        return 0 if d == b"echo:" + msg else 1
    return 1


def cmd_udp_sink(a):
    """Log the first line, size and top Via of every datagram received."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    while True:
        d, addr = s.recvfrom(65535)
        via = sip_header(d, "Via") or sip_header(d, "v") or b""
        print("%d bytes from %s:%d: %s | Via: %s" % (len(d), addr[0], addr[1],
              d.split(b"\r\n", 1)[0].decode("latin1"), via.decode("latin1")), flush=True)


def cmd_udp_answer(a):
    """As udp-sink, and answer every request 200 OK (its Via lines, From, To,
    Call-ID and CSeq copied) to the address it came from."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    while True:
        d, addr = s.recvfrom(65535)
        via = sip_header(d, "Via") or sip_header(d, "v") or b""
        print("%d bytes from %s:%d: %s | Via: %s" % (len(d), addr[0], addr[1],
              d.split(b"\r\n", 1)[0].decode("latin1"), via.decode("latin1")), flush=True)
        if d.startswith(b"SIP/2.0"):
            continue
        keep = [ln for ln in d.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
                if ln.split(b":", 1)[0].strip().lower() in
                (b"via", b"v", b"from", b"f", b"to", b"t", b"call-id", b"i", b"cseq")]
        resp = b"SIP/2.0 200 OK\r\n" + b"\r\n".join(keep) + b"\r\nContent-Length: 0\r\n\r\n"
        s.sendto(resp, addr)


def cmd_tcp_echo_server(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    s.listen(4)
    while True:
        c, _ = s.accept()
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)


def cmd_tcp_echo(a):
    data = os.urandom(a.size)
    s = socket.create_connection((a.dst, a.port), timeout=a.timeout)
    s.setblocking(False)
    sent, got = 0, b""
    end = time.time() + a.timeout
    # Send and read at once: the echo comes back while we are still sending.
    while len(got) < len(data) and time.time() < end:
        w = [s] if sent < len(data) else []
        r, w, _ = select.select([s], w, [], 0.5)
        if w:
            sent += s.send(data[sent:sent + 65536])
            if sent == len(data):
                s.shutdown(socket.SHUT_WR)
        if r:
            d = s.recv(65536)
            if not d:
                break
            got += d
    print("tcp %s:%d: sent %d bytes, echoed %d bytes%s" % (
        a.dst, a.port, sent, len(got), "" if got == data else " (MISMATCH or timeout)"))
    return 0 if got == data else 1


def flatten(prefix, v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            flatten("%s.%s" % (prefix, k) if prefix else str(k), x, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            flatten("%s.%d" % (prefix, i) if prefix else str(i), x, out)
    else:
        out.append((prefix, v))


def telemetry(prefix, cmds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
    hello = json.loads(s.recv(4096).decode())
    res = []
    for c in cmds:
        s.send(c.encode())
        res.append(json.loads(s.recv(hello.get("max_output_len", 16384)).decode()))
    s.close()
    return res


def cmd_telemetry(a):
    try:
        res = telemetry(a.prefix, a.cmd)
    except OSError as e:
        print("telemetry %s: %s" % (a.prefix, e), file=sys.stderr)
        return 1
    for c, r in zip(a.cmd, res):
        if a.json:
            print(json.dumps(r))
            continue
        body = r
        if isinstance(r, dict) and len(r) == 1:
            body = next(iter(r.values()))  # {"/ethdev/stats": {...}} for "/ethdev/stats,0"
        out = []
        flatten("", body, out)
        for k, v in out:
            print("%s %s" % (k, v))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="what", required=True)

    def sip_args(q):
        q.add_argument("--src", required=True)
        q.add_argument("--dst", required=True)
        q.add_argument("--port", type=int, default=5060)
        q.add_argument("--sport", type=int, default=0, help="source port (0: any)")
        q.add_argument("--tries", type=int, default=3)
        q.add_argument("--timeout", type=float, default=1.0)

    q = sub.add_parser("options")
    sip_args(q)
    q.set_defaults(fn=cmd_options)
    q = sub.add_parser("request")
    sip_args(q)
    q.add_argument("--method", required=True)
    q.add_argument("--ruri", required=True)
    q.add_argument("--to-tag")
    q.add_argument("--expect", help="status code, 'none', 'icmp' or 'any', '|'-separated")
    q.add_argument("--size", type=int, default=0, help="pad the body to about this many bytes")
    q.add_argument("--header", action="append", default=[],
                   help="a header line to add, e.g. 'Route: <sip:p.example;lr>' (repeatable)")
    q.set_defaults(fn=cmd_request)
    q = sub.add_parser("arping")
    q.add_argument("--iface", required=True)
    q.add_argument("--src", required=True)
    q.add_argument("--dst", required=True)
    q.add_argument("--count", type=int, default=3)
    q.add_argument("--expect-mac")
    q.set_defaults(fn=cmd_arping)
    q = sub.add_parser("ping")
    q.add_argument("--dst", required=True)
    q.add_argument("--count", type=int, default=5)
    q.add_argument("--size", type=int, default=56)
    q.add_argument("--interval", type=float, default=0.2)
    q.set_defaults(fn=cmd_ping)
    q = sub.add_parser("udp-echo-server")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.set_defaults(fn=cmd_udp_echo_server)
    q = sub.add_parser("udp-echo")
    sip_args(q)
    q.set_defaults(fn=cmd_udp_echo)
    q = sub.add_parser("udp-sink")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.set_defaults(fn=cmd_udp_sink)
    q = sub.add_parser("udp-answer")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.set_defaults(fn=cmd_udp_answer)
    q = sub.add_parser("tcp-echo-server")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.set_defaults(fn=cmd_tcp_echo_server)
    q = sub.add_parser("tcp-echo")
    q.add_argument("--dst", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--size", type=int, default=200000)
    q.add_argument("--timeout", type=float, default=5.0)
    q.set_defaults(fn=cmd_tcp_echo)
    q = sub.add_parser("telemetry")
    q.add_argument("--prefix", required=True)
    q.add_argument("--json", action="store_true")
    q.add_argument("cmd", nargs="+")
    q.set_defaults(fn=cmd_telemetry)
    a = p.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
