#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Probes of test_edge.sh (scanner blocking, per-source limits), run in a namespace.

  edgetools.py scan  --src IP --dst IP [--ua TEXT] [--from-name TEXT] --expect silence|replies
  edgetools.py flood --src IP --dst IP --pps N --seconds S

scan sends one datagram of each kind the router would otherwise answer or
hand to its kernel (OPTIONS to the router, INVITEs redirected, refused and
unrouted, REGISTER, a bad SIP version, Max-Forwards 0, a CSeq mismatch, a
short body, a message without the end of its headers), with the given
User-Agent (and From display name). It listens on the same socket (bound,
connected: an ICMP error from the router's kernel shows as ECONNREFUSED)
and on a raw ICMP socket, and tells replies apart by the Call-ID they
quote. --expect silence: nothing at all may come back from the router
within --wait seconds after the last probe; --expect replies: every kind
but the last two must be answered (proves the listener hears replies). flood sends OPTIONS to the
router at about PPS for S seconds and prints "sent N replied M".
Exit status 0 when the expectation holds, 1 otherwise.
"""

import argparse
import random
import select
import socket
import sys
import time


def msg(kind, src, sport, dst, ua, from_name):
    callid = "edge-%s-%08x@%s" % (kind, random.getrandbits(32), src)
    branch = "z9hG4bK-edge-%08x" % random.getrandbits(32)
    method, ruri, ver, mf, cseq, body, cl, end = "INVITE", "sip:404999@%s" % dst, "SIP/2.0", \
        70, None, "", None, "\r\n"
    if kind == "options":
        method, ruri = "OPTIONS", "sip:%s" % dst
    elif kind == "redirect":
        ruri = "sip:3021234@%s" % dst
    elif kind == "reject":
        ruri = "sip:4031234@%s" % dst
    elif kind == "register":
        method, ruri = "REGISTER", "sip:%s" % dst
    elif kind == "version":
        ver = "SIP/7.0"
    elif kind == "hops":
        mf = 0
    elif kind == "cseq":
        cseq = "1 BYE"
    elif kind == "short":
        body, cl = "v=0\r\n", 300
    elif kind == "noend":
        end = ""
    cseq = cseq or "1 %s" % method
    cl = len(body) if cl is None else cl
    text = ("%s %s %s\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport\r\n"
            "Max-Forwards: %d\r\n"
            "From: \"%s\" <sip:100@%s>;tag=%08x\r\n"
            "To: <%s>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: %s\r\n"
            "User-Agent: %s\r\n"
            "Content-Length: %d\r\n%s%s") % (
        method, ruri, ver, src, sport, branch, mf, from_name, src, random.getrandbits(32),
        ruri, callid, cseq, ua, cl, end, body)
    return text.encode()


KINDS = ["options", "redirect", "reject", "unrouted", "register", "version", "hops", "cseq",
         "short", "noend"]
# Answered by the router when the sender is not a scanner (REGISTER: by the
# router's kernel, with ICMP port unreachable as no registrar listens here).
ANSWERED = KINDS[:-2]


def kind_of(data):
    """The probe kind named in a Call-ID ("edge-KIND-...") inside data, or None."""
    i = data.find(b"\r\nCall-ID: edge-")
    if i < 0:
        return None
    k = data[i + 16:].split(b"-", 1)[0].decode("latin1")
    return k if k in KINDS else None


def cmd_scan(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    s.connect((a.dst, a.port))
    sport = s.getsockname()[1]
    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    heard = {}

    def listen(secs):
        end = time.time() + secs
        while time.time() < end:
            r, _, _ = select.select([s, icmp], [], [], max(0, end - time.time()))
            for sock in r:
                if sock is s:
                    try:
                        resp = s.recv(65535)
                    except ConnectionRefusedError:
                        heard.setdefault("?", []).append("ICMP error (socket)")
                        continue
                    heard.setdefault(kind_of(resp) or "?", []).append(
                        resp.split(b"\r\n", 1)[0].decode("latin1"))
                else:
                    pkt, addr = icmp.recvfrom(65535)
                    # Echo replies are not ours to judge; errors quote our datagram.
                    if addr[0] == a.dst and len(pkt) > 20 and pkt[20] not in (0, 8):
                        heard.setdefault(kind_of(pkt[28:]) or "?", []).append(
                            "ICMP type %d" % pkt[20])

    for kind in KINDS:
        data = msg(kind, a.src, sport, a.dst, a.ua, a.from_name)
        try:
            s.send(data)
        except ConnectionRefusedError:
            heard.setdefault("?", []).append("ICMP error (on send)")
            s.send(data)
        listen(0.2)
    # Late answers count too (a loaded host may take seconds).
    end = time.time() + a.wait
    while time.time() < end:
        listen(0.2)
        if a.expect == "replies" and all(k in heard for k in ANSWERED):
            break
    for kind in KINDS + ["?"]:
        if kind in heard or kind != "?":
            print("%-9s %s" % (kind, "; ".join(heard.get(kind, [])) or "silence"))
    if a.expect == "silence":
        return 0 if not heard else 1
    missing = [k for k in ANSWERED if k not in heard]
    if missing:
        print("not answered: %s" % " ".join(missing))
    return 0 if not missing else 1


def cmd_flood(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    s.setblocking(False)
    sport = s.getsockname()[1]
    sent = replied = 0
    t0 = time.time()
    gap = 1.0 / a.pps
    nxt = t0
    while time.time() - t0 < a.seconds:
        now = time.time()
        if now >= nxt:
            s.sendto(msg("options", a.src, sport, a.dst, "edge-flood", "flood"), (a.dst, a.port))
            sent += 1
            nxt += gap
        try:
            while True:
                s.recv(65535)
                replied += 1
        except BlockingIOError:
            pass
        time.sleep(max(0, min(nxt - time.time(), 0.001)))
    end = time.time() + 0.5
    while time.time() < end:
        r, _, _ = select.select([s], [], [], end - time.time())
        if not r:
            break
        s.recv(65535)
        replied += 1
    print("sent %d replied %d in %.1f s" % (sent, replied, time.time() - t0))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    q = sub.add_parser("scan")
    q.add_argument("--src", required=True)
    q.add_argument("--dst", required=True)
    q.add_argument("--port", type=int, default=5060)
    q.add_argument("--ua", default="friendly-scanner")
    q.add_argument("--from-name", default="100")
    q.add_argument("--wait", type=float, default=3.0,
                   help="seconds to listen after the last probe")
    q.add_argument("--expect", choices=["silence", "replies"], required=True)
    q.set_defaults(fn=cmd_scan)
    q = sub.add_parser("flood")
    q.add_argument("--src", required=True)
    q.add_argument("--dst", required=True)
    q.add_argument("--port", type=int, default=5060)
    q.add_argument("--pps", type=int, default=500)
    q.add_argument("--seconds", type=float, default=1.0)
    q.set_defaults(fn=cmd_flood)
    a = p.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
