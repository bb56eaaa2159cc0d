#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A REGISTER client for the registrar tests, with its own digest code
(hashlib, not ours: an independent implementation of RFC 7616).

  regtool.py register --src IP --dst IP --user U --password P --domain D
             [--alg SHA-256] [--expires N] [--contact URI] [--cseq N]
      One registration (challenge, then credentials). Prints the final
      response's status line and Contact lines; exit 0 on 200.

  regtool.py load --src IP --dst IP --domain D --users N --password P
             --duration S --out FILE [--window W]
      Users PREFIX0..N-1 register again and again (same Call-ID per user,
      growing CSeq) for S seconds, W transactions in flight. Every 200 is
      appended to FILE as "aor contact cseq" at once (the acknowledged
      registrations). Prints one JSON line: registrations/s and counts.
"""
import argparse
import hashlib
import json
import os
import re
import socket
import sys
import time

HASH = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def H(alg, s):
    return hashlib.new(HASH[alg], s.encode()).hexdigest()


def request(a, port, user, callid, cseq, contact, expires, auth="", branch=""):
    ruri = "sip:%s" % a.domain
    return ("REGISTER %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK%s\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s@%s>;tag=t%s\r\n"
            "To: <sip:%s@%s>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: %d REGISTER\r\n"
            "Contact: <%s>\r\n"
            "Expires: %d\r\n"
            "%s"
            "Content-Length: 0\r\n\r\n" % (ruri, a.src, port, branch, user, a.domain, callid,
                                           user, a.domain, callid, cseq, contact, expires,
                                           auth)).encode()


def credentials(resp, alg, user, password, ruri, nc="00000001", cnonce="c0ffee"):
    """The Authorization header answering the challenge for alg in resp."""
    for line in resp.split("\r\n"):
        if line.lower().startswith("www-authenticate:") and \
                re.search(r"algorithm=\"?%s\"?(,|$| )" % re.escape(alg), line):
            realm = re.search(r'realm="([^"]*)"', line).group(1)
            nonce = re.search(r'nonce="([^"]*)"', line).group(1)
            ha1 = H(alg, "%s:%s:%s" % (user, realm, password))
            ha2 = H(alg, "REGISTER:%s" % ruri)
            r = H(alg, "%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
            return ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                    'response="%s", algorithm=%s, cnonce="%s", qop=auth, nc=%s\r\n'
                    % (user, realm, nonce, ruri, r, alg, cnonce, nc))
    return None


def status(resp):
    try:
        return int(resp.split(" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def cmd_register(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, a.sport))
    s.settimeout(1.0)
    port = s.getsockname()[1]
    contact = a.contact or "sip:%s@%s:%d" % (a.user, a.src, port)
    callid = "rt-%d-%s" % (os.getpid(), a.user)

    def tx(msg):
        for _ in range(4):
            s.sendto(msg, (a.dst, a.port))
            try:
                return s.recv(65535).decode(errors="replace")
            except socket.timeout:
                continue
        sys.exit("regtool: no answer from %s:%d" % (a.dst, a.port))

    r = tx(request(a, port, a.user, callid, a.cseq, contact, a.expires, branch="a%d" % a.cseq))
    if status(r) == 401:
        auth = credentials(r, a.alg, a.user, a.password, "sip:%s" % a.domain)
        if auth is None:
            sys.exit("regtool: no %s challenge in:\n%s" % (a.alg, r))
        r = tx(request(a, port, a.user, callid, a.cseq + 1, contact, a.expires, auth,
                       branch="b%d" % a.cseq))
    print(r.split("\r\n")[0])
    for line in r.split("\r\n"):
        if line.lower().startswith("contact:"):
            print(line)
    return 0 if status(r) == 200 else 1


def cmd_load(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setblocking(False)
    port = s.getsockname()[1]
    out = open(a.out, "a", buffering=1)
    ruri = "sip:%s" % a.domain
    # per user: [cseq, state, sent_at, msg, tries]; state 0 idle, 1 wait 401, 2 wait 200
    users = {}
    nxt = 0
    acked = failed = sent = 0
    t0 = time.monotonic()
    end = t0 + a.duration
    inflight = {}   # callid -> user

    def start(u):
        nonlocal sent
        st = users.setdefault(u, [0, 0, 0, b"", 0])
        st[0] += 2
        cid = "ld-%d-%s" % (os.getpid(), u)
        st[3] = request(a, port, u, cid, st[0], "sip:%s@%s:%d" % (u, a.src, port), a.expires,
                        branch="%s-%d" % (u, st[0]))
        st[1], st[2], st[4] = 1, time.monotonic(), 0
        inflight[cid] = u
        s.sendto(st[3], (a.dst, a.port))
        sent += 1

    while True:
        now = time.monotonic()
        if now < end:
            while len(inflight) < min(a.window, a.users):
                u = "%s%d" % (a.prefix, nxt % a.users)
                nxt += 1
                if "ld-%d-%s" % (os.getpid(), u) not in inflight:
                    start(u)
        elif not inflight:
            break
        elif now > end + 3:
            failed += len(inflight)
            break
        try:
            data = s.recv(65535).decode(errors="replace")
        except BlockingIOError:
            time.sleep(0.0005)
            # retransmit what waited too long (RFC 3261 T1 0.5 s), give up after 4
            for cid, u in list(inflight.items()):
                st = users[u]
                if now - st[2] > 0.5 * (st[4] + 1):
                    if st[4] >= 4:
                        del inflight[cid]
                        failed += 1
                        continue
                    st[4] += 1
                    s.sendto(st[3], (a.dst, a.port))
            continue
        m = re.search(r"^Call-ID: *(\S+)", data, re.M | re.I)
        if not m or m.group(1) not in inflight:
            continue
        cid = m.group(1)
        u = inflight[cid]
        st = users[u]
        code = status(data)
        if code == 401 and st[1] == 1:
            auth = credentials(data, a.alg, u, a.password, ruri)
            st[0] += 1
            st[3] = request(a, port, u, cid, st[0], "sip:%s@%s:%d" % (u, a.src, port),
                            a.expires, auth or "", branch="%s-%d" % (u, st[0]))
            st[1], st[2], st[4] = 2, time.monotonic(), 0
            s.sendto(st[3], (a.dst, a.port))
            sent += 1
        elif code == 200 and st[1] == 2:
            m2 = re.search(r"^CSeq: *(\d+)", data, re.M)
            if m2 and int(m2.group(1)) == st[0]:
                out.write("%s@%s sip:%s@%s:%d %d\n" % (u, a.domain, u, a.src, port, st[0]))
                acked += 1
                del inflight[cid]
        elif code >= 300 and code != 401:
            del inflight[cid]
            failed += 1
    el = time.monotonic() - t0
    print(json.dumps({"bench": "register_udp", "case": a.case, "registrations": acked,
                      "failed": failed, "requests_sent": sent, "seconds": round(el, 3),
                      "registrations_per_s": round(acked / min(el, a.duration), 1),
                      "ns_per_op": round(1e9 * min(el, a.duration) / max(acked, 1))}))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    for name in ("register", "load"):
        q = sub.add_parser(name)
        q.add_argument("--src", required=True)
        q.add_argument("--dst", required=True)
        q.add_argument("--port", type=int, default=5060)
        q.add_argument("--domain", required=True)
        q.add_argument("--password", required=True)
        q.add_argument("--alg", default="SHA-256", choices=sorted(HASH))
        q.add_argument("--expires", type=int, default=3600)
    q = sub.choices["register"]
    q.add_argument("--user", required=True)
    q.add_argument("--sport", type=int, default=0)
    q.add_argument("--contact")
    q.add_argument("--cseq", type=int, default=1)
    q = sub.choices["load"]
    q.add_argument("--users", type=int, required=True)
    q.add_argument("--prefix", default="u")
    q.add_argument("--duration", type=float, required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--window", type=int, default=64)
    q.add_argument("--case", default="digest")
    a = p.parse_args()
    return cmd_register(a) if a.what == "register" else cmd_load(a)


if __name__ == "__main__":
    sys.exit(main())
