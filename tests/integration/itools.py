#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""More probes for the integration tests: IPv4 and IPv6 alike (sipnet.py is IPv4 only).

  itools.py request  --src IP --dst IP [--port N] --method M --ruri URI
                     [--expect CODE|none] [--ack] [--callid ID] [--tries N] [--timeout S]
  itools.py burst    --src IP --dst IP [--port N] --user-prefix P --count N
                     [--callid-prefix C] [--wait S]
  itools.py sink     --bind IP --port N [--answer CODE]
  itools.py ping6    --dst IP [--count N]
  itools.py link     --socket PATH KIND [--seconds S]
  itools.py push-watch --socket PATH (--blob FILE | --sparse BYTES) [--expect-status N]
                     [--min-pings N] [--max-rtt S] [--seconds S] [--busy-check]

request prints the final response (and, with --ack, sends the ACK a UAC
owes a non-2xx final response: the INVITE's branch, the response's To-tag;
nothing may answer it). burst sends COUNT INVITEs with distinct, repeatable
Call-IDs (C-0, C-1, ...) without waiting between them and prints
"STATUS COUNT" per final status received ("none N" for silence). sink logs
one line per datagram: source, Call-ID, request or status line, top Via.
With --answer, sink answers every request but ACK with CODE (a stateless
gateway). ping6 is an ICMPv6 echo client (iputils is not installed here).

link speaks the control link (link/sl_link.h) the way a broken or hostile
client would; KIND is one of
  half-header   write 8 of the 16 header bytes, close
  half-payload  a PLAN_PUSH header and 10 of its 80 payload bytes, close
  bad-magic     a header with another magic: the dataplane must hang up
  bad-version   protocol version 99: the dataplane must hang up
  oversize      a length past SL_LINK_MAX_PAYLOAD: the dataplane must hang up
  unknown-type  a well-formed frame of type 999: RESULT -ENOTSUP expected
  push-no-fd    PLAN_PUSH without its memfd: RESULT < 0 expected
  push-short    PLAN_PUSH announcing more bytes than the memfd holds: RESULT < 0
  push-garbage  PLAN_PUSH of a memfd full of random bytes: RESULT < 0 expected
  push-header   PLAN_PUSH of a blob with the right magic and garbage after it: RESULT < 0
  no-read       pipeline PINGs for --seconds without reading a single reply
                (prints a line once the dataplane stops taking them)
  push-huge     PLAN_PUSH of a sparse 4 GiB memfd: RESULT -EFBIG (--max-plan-size)
                expected within a second, nothing read
Exit status 0 when the dataplane behaved as described, 1 otherwise.

push-watch pushes a plan (a blob written by `sipline-link compile`, or a
sparse memfd of BYTES zeros) on one connection and, until its RESULT
comes, PINGs the dataplane every 20 ms on a second connection: the link
must keep answering while the plan loads. It prints the RESULT, how long
it took, how many PINGs were answered before it and their largest round
trip. Exit status 0 when the RESULT has --expect-status (default 0), at
least --min-pings PINGs were answered before it, and none took longer
than --max-rtt seconds. With --busy-check, a second PLAN_PUSH (the same
memfd) on the PING connection, once two PINGs were answered, must be
refused with -EBUSY while the first is still loading.
"""

import argparse
import errno
import os
import random
import select
import socket
import struct
import sys
import time

# ---- SIP over UDP, either family ----


def family(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def hostport(ip, port):
    return "[%s]:%d" % (ip, port) if ":" in ip else "%s:%d" % (ip, port)


def header(msg, *names):
    want = [n.lower().encode() for n in names]
    for line in msg.split(b"\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(b":")
        if k.strip().lower() in want:
            return v.strip()
    return None


def build(method, ruri, src, sport, dst, callid, branch, cseq=1, to_tag=None, from_tag=None):
    to = "<%s>" % ruri
    if to_tag:
        to += ";tag=" + to_tag
    msg = (
        "%s %s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:probe@%s>;tag=%s\r\n"
        "To: %s\r\n"
        "Call-ID: %s\r\n"
        "CSeq: %d %s\r\n"
        "Contact: <sip:probe@%s>\r\n"
        "Content-Length: 0\r\n\r\n"
    ) % (method, ruri, hostport(src, sport), branch, hostport(src, sport), from_tag, to, callid,
         cseq, method, hostport(src, sport))
    return msg.encode()


def udp_socket(src, dst, port):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.connect((dst, port))
    return s


def cmd_request(a):
    s = udp_socket(a.src, a.dst, a.port)
    sport = s.getsockname()[1]
    callid = a.callid or "itools-%08x" % random.getrandbits(32)
    branch = "z9hG4bK-itools-%08x" % random.getrandbits(32)
    ftag = "%08x" % random.getrandbits(32)
    data = build(a.method, a.ruri, a.src, sport, a.dst, callid, branch, from_tag=ftag)
    resp = None
    for _ in range(a.tries):
        try:
            s.send(data)
        except ConnectionRefusedError:
            s.send(data)
        end = time.time() + a.timeout
        while resp is None:
            left = end - time.time()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            try:
                d = s.recv(65535)
            except ConnectionRefusedError:
                continue
            if header(d, "Call-ID", "i") != callid.encode() or d.startswith(b"SIP/2.0 1"):
                continue
            resp = d
        if resp is not None:
            break
    if resp is None:
        print("%s %s: no final response" % (a.method, a.ruri))
        return 0 if a.expect == "none" else 1
    print(resp.decode("latin1").rstrip())
    code = resp.split(b" ", 2)[1].decode()
    if a.ack and a.method == "INVITE" and code >= "300":
        to = header(resp, "To", "t").decode("latin1")
        tag = to.split("tag=", 1)[1].split(";")[0] if "tag=" in to else ""
        s.send(build("ACK", a.ruri, a.src, sport, a.dst, callid, branch, to_tag=tag,
                     from_tag=ftag))
        r, _, _ = select.select([s], [], [], 0.5)
        if r:
            print("---- something answered the ACK:\n%s" % s.recv(65535).decode("latin1"))
            return 1
        print("---- ACK sent (branch %s, To-tag %s): no answer" % (branch, tag))
    if a.expect is None:
        return 0
    return 0 if code in a.expect.split("|") else 1


def cmd_burst(a):
    s = udp_socket(a.src, a.dst, a.port)
    sport = s.getsockname()[1]
    want = {}
    for i in range(a.count):
        callid = "%s-%d" % (a.callid_prefix, i)
        ruri = "sip:%s%d@%s" % (a.user_prefix, i, hostport(a.dst, a.port))
        branch = "z9hG4bK-burst-%s-%d" % (a.callid_prefix, i)
        s.send(build("INVITE", ruri, a.src, sport, a.dst, callid, branch, from_tag="b%d" % i))
        want[callid.encode()] = None
    end = time.time() + a.wait
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if not r:
            break
        try:
            d = s.recv(65535)
        except ConnectionRefusedError:
            continue
        cid = header(d, "Call-ID", "i")
        if cid in want and not d.startswith(b"SIP/2.0 1"):
            want[cid] = d.split(b" ", 2)[1].decode()
    counts = {}
    for v in want.values():
        counts[v or "none"] = counts.get(v or "none", 0) + 1
    for k in sorted(counts):
        print("%s %d" % (k, counts[k]))
    return 0


def answer(req, code):
    """A stateless final response to req: every Via, From, To (+tag), Call-ID, CSeq."""
    keep = []
    for line in req.split(b"\r\n")[1:]:
        if not line:
            break
        k = line.partition(b":")[0].strip().lower()
        if k in (b"via", b"v", b"from", b"f", b"call-id", b"i", b"cseq"):
            keep.append(line)
        elif k in (b"to", b"t"):
            keep.append(line if b"tag=" in line else line + b";tag=itools-sink")
    return (b"SIP/2.0 %d Answered By Sink\r\n" % code + b"\r\n".join(keep)
            + b"\r\nContent-Length: 0\r\n\r\n")


def cmd_sink(a):
    s = socket.socket(family(a.bind), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    while True:
        d, addr = s.recvfrom(65535)
        print("from %s port %d callid %s | %s | Via: %s" % (
            addr[0], addr[1], (header(d, "Call-ID", "i") or b"-").decode("latin1"),
            d.split(b"\r\n", 1)[0].decode("latin1"),
            (header(d, "Via", "v") or b"").decode("latin1")), flush=True)
        if a.answer and not d.startswith((b"SIP/", b"ACK ")):
            # To the sender, which is the top Via's sent-by here (the router).
            s.sendto(answer(d, a.answer), addr)


def cmd_ping6(a):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    ident = os.getpid() & 0xFFFF
    body = b"sipline-integration-v6" * 3
    got = {}
    for seq in range(a.count):
        # The kernel fills in the ICMPv6 checksum (RFC 3542 3.1).
        s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + body, (a.dst, 0))
        end = time.time() + a.interval + (1.0 if seq == a.count - 1 else 0)
        while True:
            left = end - time.time()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            d, addr = s.recvfrom(65535)
            typ, _, _, i, sq = struct.unpack("!BBHHH", d[:8])
            if typ != 129 or i != ident or addr[0] != a.dst:
                continue
            got[sq] = got.get(sq, 0) + 1
            print("echo reply from %s seq=%d bytes=%d%s%s" % (
                addr[0], sq, len(d) - 8, "" if d[8:] == body else " (payload differs)",
                " DUPLICATE" if got[sq] > 1 else ""))
            if d[8:] != body:
                got[sq] += 1000
    ok = sum(1 for v in got.values() if v == 1)
    print("%d/%d replies, %d duplicated or damaged" % (
        sum(1 for v in got.values() if v >= 1), a.count, sum(1 for v in got.values() if v > 1)))
    return 0 if ok == a.count else 1


# ---- the control link (link/sl_link.h) ----

SL_MAGIC = 0x534C4B31
SL_VERSION = 2
SL_MAX_PAYLOAD = 64 * 1024
HDR = struct.Struct("=IHHII")  # magic, version, type, seq, len (host order)
T_RESULT, T_PLAN_PUSH, T_PING = 3, 4, 11
# struct sl_plan_push: size, name, flags, n_gw (no gateway states follow)
PUSH = struct.Struct("=Q64sII")


def frame(typ, seq, payload=b"", magic=SL_MAGIC, version=SL_VERSION, length=None):
    return HDR.pack(magic, version, typ, seq, len(payload) if length is None else length) + payload


def read_frame(s, timeout):
    """One frame, or None if the peer hung up (b'' from recv), or 'timeout'."""
    buf = b""
    end = time.time() + timeout
    while True:
        need = HDR.size if len(buf) < HDR.size else HDR.size + HDR.unpack(buf[:HDR.size])[4]
        if len(buf) >= need:
            return buf[:need]
        left = end - time.time()
        if left <= 0:
            return "timeout"
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return "timeout"
        try:
            d = s.recv(need - len(buf))
        except ConnectionResetError:
            return None
        if not d:
            return None
        buf += d


def expect_hangup(s, what):
    f = read_frame(s, 5.0)
    if f is None:
        print("%s: the dataplane closed the connection" % what)
        return 0
    print("%s: expected the dataplane to hang up, got %r" % (what, f))
    return 1


def expect_refused(s, what):
    f = read_frame(s, 10.0)
    if f is None or f == "timeout":
        print("%s: no RESULT (%s)" % (what, "hung up" if f is None else "timeout"))
        return 1
    _, _, typ, seq, ln = HDR.unpack(f[:HDR.size])
    status, tl = struct.unpack("=iI", f[HDR.size:HDR.size + 8])
    text = f[HDR.size + 8:HDR.size + 8 + tl].decode("latin1", "replace").strip()
    print("%s: RESULT type %d seq %d status %d (%s) %s" % (
        what, typ, seq, status, os.strerror(-status) if status < 0 else "ok", text))
    return 0 if typ == T_RESULT and seq == 7 and status < 0 else 1


def plan_push(s, blob, size=None):
    fd = os.memfd_create("itools-plan")
    os.write(fd, blob)
    payload = PUSH.pack(len(blob) if size is None else size, b"itools", 0, 0)
    socket.send_fds(s, [frame(T_PLAN_PUSH, 7, payload)], [fd])
    os.close(fd)


def cmd_link(a):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.socket)
    k = a.kind
    if k == "half-header":
        s.send(frame(T_PING, 1)[:8])
        s.close()
        print("half-header: sent 8 of 16 header bytes and closed")
        return 0
    if k == "half-payload":
        s.send(frame(T_PLAN_PUSH, 1, PUSH.pack(4096, b"itools", 0, 0))[:HDR.size + 10])
        s.close()
        print("half-payload: sent a header announcing 72 bytes, 10 of them, and closed")
        return 0
    if k == "bad-magic":
        s.send(frame(T_PING, 1, magic=0xDEADBEEF) + b"GET / HTTP/1.0\r\n\r\n")
        return expect_hangup(s, k)
    if k == "bad-version":
        s.send(frame(T_PING, 1, version=99))
        return expect_hangup(s, k)
    if k == "oversize":
        s.send(frame(T_PING, 1, length=SL_MAX_PAYLOAD + 1))
        return expect_hangup(s, k)
    if k == "unknown-type":
        s.send(frame(999, 7))
        return expect_refused(s, k)
    if k == "push-no-fd":
        s.send(frame(T_PLAN_PUSH, 7, PUSH.pack(4096, b"itools", 0, 0)))
        return expect_refused(s, k)
    if k == "push-short":
        plan_push(s, b"SIPLRULE" + os.urandom(100), size=1 << 20)
        return expect_refused(s, k)
    if k == "push-garbage":
        plan_push(s, os.urandom(64 * 1024))
        return expect_refused(s, k)
    if k == "push-header":
        plan_push(s, b"SIPLRULE" + b"\xff" * 8 + os.urandom(4096))
        return expect_refused(s, k)
    if k == "push-huge":
        fd = os.memfd_create("itools-huge")
        os.ftruncate(fd, 4 << 30)  # sparse: costs nothing here, 4 GiB to whoever reads it
        t0 = time.time()
        socket.send_fds(s, [frame(T_PLAN_PUSH, 7, PUSH.pack(4 << 30, b"itools", 0, 0))],
                        [fd])
        os.close(fd)
        f = read_frame(s, 10.0)
        took = time.time() - t0
        if f is None or f == "timeout":
            print("push-huge: no RESULT (%s)" % ("hung up" if f is None else "timeout"))
            return 1
        status, tl = struct.unpack("=iI", f[HDR.size:HDR.size + 8])
        text = f[HDR.size + 8:HDR.size + 8 + tl].decode("latin1", "replace").strip()
        print("push-huge: RESULT status %d (%s) after %.3f s: %s" % (
            status, os.strerror(-status) if status < 0 else "ok", took, text))
        return 0 if status == -errno.EFBIG and took < 1.0 else 1
    if k == "no-read":
        # A control plane that stopped reading (hung, SIGSTOPped, deadlocked)
        # while its requests still flow: the dataplane's replies pile up.
        s.setblocking(False)
        sent = 0
        full = False
        end = time.time() + a.seconds
        while time.time() < end:
            try:
                s.send(frame(T_PING, sent + 1))
                sent += 1
            except (BlockingIOError, InterruptedError):
                if not full:
                    print("no-read: the link stopped taking requests after %d PINGs" % sent,
                          flush=True)
                    full = True
                time.sleep(0.05)
            except OSError as e:
                if e.errno in (errno.EPIPE, errno.ECONNRESET):
                    print("no-read: the dataplane hung up after %d PINGs" % sent)
                    return 0
                raise
        print("no-read: %d PINGs sent in %.0f s, no reply read; closing" % (sent, a.seconds))
        s.close()
        return 0
    print("unknown kind %s" % k)
    return 2


def cmd_push_watch(a):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.socket)
    p = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    p.connect(a.socket)
    fd = os.memfd_create("itools-push")
    if a.blob:
        with open(a.blob, "rb") as f:
            while True:
                chunk = f.read(1 << 22)
                if not chunk:
                    break
                os.write(fd, chunk)
        size = os.path.getsize(a.blob)
    else:
        os.ftruncate(fd, a.sparse)
        size = a.sparse
    t0 = time.time()
    push = frame(T_PLAN_PUSH, 7, PUSH.pack(size, b"itools-watch", 0, 0))
    socket.send_fds(s, [push], [fd])
    rtts, result, seq, busy = [], None, 100, None
    while result is None and time.time() - t0 < a.seconds:
        if a.busy_check and busy is None and len(rtts) >= 2:
            # The first push is loading (two poll rounds of the main lcore have passed).
            socket.send_fds(p, [frame(T_PLAN_PUSH, 8, push[HDR.size:])], [fd])
            f = read_frame(p, 5.0)
            if f is None or f == "timeout":
                print("push-watch: no RESULT for the second push")
                return 1
            busy = struct.unpack("=i", f[HDR.size:HDR.size + 4])[0]
            print("push-watch: a second push while the first loads: RESULT status %d (%s)"
                  % (busy, os.strerror(-busy) if busy < 0 else "ok"))
        seq += 1
        t = time.time()
        p.send(frame(T_PING, seq))
        f = read_frame(p, a.seconds)
        if f is None or f == "timeout":
            print("push-watch: PING %d got no reply (%s)"
                  % (seq, "hung up" if f is None else "timeout"))
            return 1
        rtt = time.time() - t
        r, _, _ = select.select([s], [], [], 0.02)
        if r:
            result = read_frame(s, 5.0)
            took = time.time() - t0
        else:
            rtts.append(rtt)  # answered while the push was still loading
    os.close(fd)
    if result is None or result == "timeout":
        print("push-watch: no RESULT for the push within %.0f s" % a.seconds)
        return 1
    _, _, typ, rseq, _ = HDR.unpack(result[:HDR.size])
    status, tl = struct.unpack("=iI", result[HDR.size:HDR.size + 8])
    text = result[HDR.size + 8:HDR.size + 8 + tl].decode("latin1", "replace").strip()
    worst = max(rtts) if rtts else 0.0
    meaning = os.strerror(-status) if status < 0 else "ok"
    print("push-watch: %d bytes, RESULT status %d (%s) after %.3f s%s; %d PINGs answered "
          "meanwhile, slowest %.1f ms" % (size, status, meaning, took,
                                          ": " + text if text else "", len(rtts), worst * 1e3))
    ok = typ == T_RESULT and rseq == 7 and status == a.expect_status
    if len(rtts) < a.min_pings:
        print("push-watch: only %d PINGs answered while the plan loaded, expected at least %d "
              "(the main lcore was busy loading it)" % (len(rtts), a.min_pings))
        ok = False
    if a.busy_check and busy != -errno.EBUSY:
        print("push-watch: the second push got %s, expected -EBUSY (%d)"
              % ("no RESULT: the first was answered too soon" if busy is None else busy,
                 -errno.EBUSY))
        ok = False
    if worst > a.max_rtt:
        print("push-watch: a PING took %.0f ms (more than %.0f ms)"
              % (worst * 1e3, a.max_rtt * 1e3))
        ok = False
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="what", required=True)

    def sip_args(q):
        q.add_argument("--src", required=True)
        q.add_argument("--dst", required=True)
        q.add_argument("--port", type=int, default=5060)

    q = sub.add_parser("request")
    sip_args(q)
    q.add_argument("--method", default="INVITE")
    q.add_argument("--ruri", required=True)
    q.add_argument("--expect")
    q.add_argument("--ack", action="store_true")
    q.add_argument("--callid")
    q.add_argument("--tries", type=int, default=3)
    q.add_argument("--timeout", type=float, default=1.0)
    q.set_defaults(fn=cmd_request)
    q = sub.add_parser("burst")
    sip_args(q)
    q.add_argument("--user-prefix", required=True)
    q.add_argument("--count", type=int, default=20)
    q.add_argument("--callid-prefix", default="burst")
    q.add_argument("--wait", type=float, default=1.0)
    q.set_defaults(fn=cmd_burst)
    q = sub.add_parser("sink")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--answer", type=int, help="answer every request but ACK with this status")
    q.set_defaults(fn=cmd_sink)
    q = sub.add_parser("ping6")
    q.add_argument("--dst", required=True)
    q.add_argument("--count", type=int, default=5)
    q.add_argument("--interval", type=float, default=0.2)
    q.set_defaults(fn=cmd_ping6)
    q = sub.add_parser("link")
    q.add_argument("--socket", required=True)
    q.add_argument("--seconds", type=float, default=5.0)
    q.add_argument("kind")
    q.set_defaults(fn=cmd_link)
    q = sub.add_parser("push-watch")
    q.add_argument("--socket", required=True)
    q.add_argument("--blob")
    q.add_argument("--sparse", type=int)
    q.add_argument("--expect-status", type=int, default=0)
    q.add_argument("--min-pings", type=int, default=0)
    q.add_argument("--max-rtt", type=float, default=0.5)
    q.add_argument("--seconds", type=float, default=60.0)
    q.add_argument("--busy-check", action="store_true")
    q.set_defaults(fn=cmd_push_watch)
    a = p.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
