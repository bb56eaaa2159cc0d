#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send the RFC 4475 (and RFC 5118) torture messages to the router over UDP.

Runs in the client namespace. Each file is sent as one datagram from
SRC:5060 to the router; everything the router sends back within --wait
seconds is captured on the client's interface with a packet socket (replies
go to the port the message's Via names, not necessarily ours, so a plain
UDP socket would miss them), IP fragments are reassembled, and the result
is compared with the expectation table below:

  NNN       exactly one SIP response with that status and the message's Call-ID
  A|B       any one of those
  silence   no SIP response and no ICMP error
  kernel    no SIP response, but the router's kernel answered ICMP port
            unreachable for this very datagram (same IP id): the dataplane
            handed it to the exception path (REGISTER, IP fragments) and no
            control plane listens on the router's address in this test
  any       anything (robustness only)

A reply is also checked to be at most twice the size of the request
(docs/dataplane.md) and never duplicated. After the last file the router
must still answer OPTIONS with 200.

The RFC 5118 files are stored with bare LF line endings (two without the
closing empty line, two with a wrong Content-Length): their wire form is
built here, with CRLF line endings and a recomputed Content-Length.

Usage: send_corpus.py --corpus DIR --iface a0 --src IP --dst IP [--port 5060]
       [--wait 0.3] [--set rfc4475,rfc5118] [--only NAME,...]
Exit status 0 when every file matched its expectation and the router is alive.
"""

import argparse
import os
import random
import re
import select
import socket
import struct
import sys
import time

# name: (expectation, why) - the RFC's verdict (../shared/corpus/SOURCES.md)
# applied to a stateless proxy whose test dialplan knows none of the users
# in these messages (no-route reply 404), and docs/sip-core.md's choices
# where the RFC allows several.
RFC4475 = {
    "wsinv": ("403", "valid; To-tag + a Route not ours: not a dialog the router record-routed"),
    "intmeth": ("404", "valid unknown method; no route for the user"),
    "esc01": ("404", "valid; no route"),
    "escnull": ("kernel", "REGISTER: control plane"),
    "esc02": ("404", "RE%47IST%45R is an unknown method, not REGISTER; no route"),
    "lwsdisp": ("404", "valid; no route"),
    "longreq": ("kernel|404", "3515 bytes in IP fragments: the exception path (kernel) or the fast path must answer"),
    "dblreq": ("kernel", "REGISTER (trailing octets ignored): control plane"),
    "semiuri": ("404", "valid; no route"),
    "transports": ("404", "valid; no route"),
    "mpart01": ("404|silence", "valid MESSAGE pre-routed to 127.0.0.1 (never a next hop); no route"),
    "unreason": ("silence", "response whose top Via is not ours"),
    "noreason": ("silence", "response whose top Via is not ours"),
    "badinv01": ("400", "junk separators in Via/Contact"),
    "clerr": ("400", "Content-Length larger than the datagram"),
    "ncl": ("400", "negative Content-Length"),
    "scalar02": ("400", "CSeq > 2^32-1 (checked before REGISTER is handed over)"),
    "scalarlg": ("silence", "response with overlarge CSeq: discarded"),
    "quotbal": ("400", "unterminated quoted display name"),
    "ltgtruri": ("400", "<> around the Request-URI"),
    "lwsruri": ("400", "LWS inside the Request-URI"),
    "lwsstart": ("400", "several SPs in the request line"),
    "trws": ("400", "trailing SPs in the request line"),
    "escruri": ("400", "?headers in the Request-URI"),
    "baddate": ("404", "Date is never read; no route"),
    "regbadct": ("kernel|400", "REGISTER: the registrar rejects the Contact (control plane)"),
    "badaspec": ("400", "spaces inside <> of To"),
    "baddn": ("400", "no empty line ends the headers (archive quirk)"),
    "badvers": ("505", "SIP/7.0"),
    "mismatch01": ("400", "CSeq method differs from the request method"),
    "mismatch02": ("501", "unknown method with a CSeq mismatch (501 preferred)"),
    "bigcode": ("silence", "status code > 699: response dropped"),
    "badbranch": ("404|400", "bare z9hG4bK branch: 400 or RFC 2543 fallback (then no route)"),
    "insuf": ("silence", "no From/To/Call-ID: no reply can be built"),
    "unkscm": ("416", "unknown Request-URI scheme"),
    "novelsc": ("416|404", "soap.beep: Request-URI scheme never meaningful here"),
    "unksm2": ("kernel|400", "REGISTER with non-SIP AoR: control plane (registrar 400)"),
    "bext01": ("420", "Proxy-Require of unsupported extensions (+ Unsupported header)"),
    "inv2543": ("404", "RFC 2543 INVITE (no branch, no Content-Length); no route"),
    "invut": ("404", "unknown body type is the UAS's business; no route"),
    "regaut01": ("kernel", "REGISTER with credentials: control plane"),
    "regescrt": ("kernel", "REGISTER: control plane"),
    "sdp01": ("404", "Accept/Require for the UAS; no route"),
    "zeromf": ("483", "Max-Forwards 0"),
    "multi01": ("400", "two Call-IDs, CSeqs, Froms, Tos: 400 copying the first of each"),
    "mcl01": ("400", "several Content-Length values"),
    "cparam01": ("kernel", "REGISTER: control plane"),
    "cparam02": ("kernel", "REGISTER: control plane"),
    "bcast": ("silence", "response; never sent to 255.255.255.255"),
}

# Extra checks on the response (regex over the reply's header section).
RFC4475_REPLY = {
    "bext01": rb"(?im)^Unsupported *:.*noProxiesSupportThis",
}

RFC5118 = {
    "ipv6-good": ("kernel", "REGISTER: control plane"),
    "port-ambiguous": ("kernel|400", "REGISTER: control plane"),
    "port-unambiguous": ("kernel", "REGISTER: control plane"),
    "via-received-param-with-delim": ("any", "BYE to [2001:db8::10]: in-dialog to an IPv6 literal"),
    "via-received-param-no-delim": ("404", "OPTIONS to another host; no route"),
    "ipv6-in-sdp": ("404", "valid; no route"),
    "mult-ip-in-header": ("403", "BYE with a To-tag to a host name: not a dialog the router record-routed"),
    "mult-ip-in-sdp": ("404", "valid; no route"),
    "ipv4-mapped-ipv6": ("404", "valid; no route"),
    "ipv6-bad": ("kernel|400", "REGISTER with an unbracketed IPv6 Request-URI"),
    "ipv6-bug-abnf-3-colons": ("404", "three colons tolerated (docs/sip-core.md); no route"),
    "ipv6-correct-abnf-2-colons": ("404", "valid; no route"),
}

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def wire_5118(raw):
    """RFC 5118 archive text (bare LF) to a datagram: CRLF, Content-Length recomputed."""
    text = raw.replace(b"\r\n", b"\n")
    head, sep, body = text.partition(b"\n\n")
    lines = [l for l in head.split(b"\n") if l != b""]
    body = body.replace(b"\n", b"\r\n") if sep else b""
    out = []
    for l in lines:
        name = l.split(b":", 1)[0].strip().lower()
        if name in (b"content-length", b"l"):
            l = l.split(b":", 1)[0] + b": " + str(len(body)).encode()
        out.append(l)
    return b"\r\n".join(out) + b"\r\n\r\n" + body


def header_values(msg, names):
    head = msg.split(b"\r\n\r\n", 1)[0]
    vals = []
    for line in head.split(b"\r\n")[1:]:
        k, sep, v = line.partition(b":")
        if sep and k.strip().lower() in names:
            vals.append(v.strip())
    return vals


class Sniffer:
    """Frames seen on the client's interface, IPv4 reassembled."""

    def __init__(self, iface, router):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.bind((iface, 0))
        self.router = socket.inet_aton(router)
        self.frags = {}

    def drain(self):
        while select.select([self.s], [], [], 0)[0]:
            self.s.recv(65535)
        self.frags.clear()

    def next(self, timeout):
        """(outgoing, proto, ip_id, src, payload) of one whole IP datagram, or None."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0 or not select.select([self.s], [], [], left)[0]:
                return None
            f, addr = self.s.recvfrom(65535)
            if len(f) < 34 or f[12:14] != b"\x08\x00":
                continue
            ip = f[14:]
            ihl = (ip[0] & 15) * 4
            total = struct.unpack("!H", ip[2:4])[0]
            ip = ip[:total]
            ident = struct.unpack("!H", ip[4:6])[0]
            ff = struct.unpack("!H", ip[6:8])[0]
            more, off = ff & 0x2000, (ff & 0x1FFF) * 8
            proto, src, dst = ip[9], ip[12:16], ip[16:20]
            outgoing = addr[2] == PACKET_OUTGOING
            if not outgoing and src != self.router:
                continue
            data = ip[ihl:]
            if more or off:
                key = (src, dst, ident, proto)
                parts = self.frags.setdefault(key, {})
                parts[off] = (data, not more)
                data = self.reassemble(parts)
                if data is None:
                    continue
                del self.frags[key]
            return outgoing, proto, ident, src, data

    @staticmethod
    def reassemble(parts):
        pos, out = 0, b""
        while pos in parts:
            d, last = parts[pos]
            out += d
            if last:
                return out
            pos += len(d)
        return None


def run_one(a, snif, tx, name, payload):
    """Send one datagram; return (sip_responses, other_sip, icmp_for_us)."""
    cid = header_values(payload, (b"call-id", b"i"))
    snif.drain()
    tx.sendto(payload, (a.dst, a.port))
    our_ids = set()
    responses, others, icmp = [], [], 0
    end = time.time() + a.wait
    while True:
        left = end - time.time()
        if left <= 0:
            break
        r = snif.next(left)
        if r is None:
            break
        outgoing, proto, ident, src, data = r
        if outgoing:
            if proto == 17 and len(data) >= 8 and struct.unpack("!H", data[2:4])[0] == a.port:
                our_ids.add(ident)
            continue
        if proto == 1 and len(data) >= 8 + 20 and data[0] == 3:
            inner = data[8:]
            if struct.unpack("!H", inner[4:6])[0] in our_ids:
                icmp += 1
            continue
        if proto != 17 or len(data) < 8:
            continue
        body = data[8:struct.unpack("!H", data[4:6])[0]]
        if body.startswith(b"SIP/2.0 "):
            rcid = header_values(body, (b"call-id", b"i"))
            if cid and rcid and rcid[0] not in cid:
                others.append(body)  # a late answer to an earlier file
                continue
            responses.append(body)
            end = min(end, time.time() + 0.1)  # a little longer: duplicates
        else:
            others.append(body)
    return responses, others, icmp


def judge(expect, responses, icmp, request, reply_re):
    codes = [r.split(b" ", 2)[1].decode("latin1") for r in responses]
    got = "/".join(codes) if codes else ("kernel" if icmp else "silence")
    if expect == "any":
        return True, got, ""
    if len(codes) > 1:
        return False, got, "duplicate responses"
    ok = got in expect.split("|")
    why = ""
    if ok and responses:
        if len(responses[0]) > 2 * len(request):
            ok, why = False, "reply of %d bytes to a %d-byte request (more than twice)" % (
                len(responses[0]), len(request))
        elif reply_re and not re.search(reply_re, responses[0].split(b"\r\n\r\n", 1)[0]):
            ok, why = False, "reply lacks %s" % reply_re.decode()
    return ok, got, why


def alive(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    s.settimeout(0.5)
    sport = s.getsockname()[1]
    cid = "corpus-alive-%08x" % random.getrandbits(32)
    msg = ("OPTIONS sip:%s:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%08x;rport\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:corpus@%s>;tag=1\r\nTo: <sip:%s>\r\n"
           "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n") % (
        a.dst, a.port, a.src, sport, random.getrandbits(32), a.src, a.dst, cid)
    for _ in range(6):
        s.sendto(msg.encode(), (a.dst, a.port))
        try:
            d, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        if cid.encode() in d:
            return d.split(b"\r\n", 1)[0].decode("latin1")
    return None


def main():
    p = argparse.ArgumentParser(description="RFC 4475/5118 messages over the wire")
    p.add_argument("--corpus", required=True)
    p.add_argument("--iface", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, default=5060)
    p.add_argument("--sport", type=int, default=5060)
    p.add_argument("--wait", type=float, default=0.3)
    p.add_argument("--set", default="rfc4475,rfc5118")
    p.add_argument("--only", default="")
    a = p.parse_args()

    tables = {"rfc4475": (RFC4475, RFC4475_REPLY, None), "rfc5118": (RFC5118, {}, wire_5118)}
    only = set(x for x in a.only.split(",") if x)
    snif = Sniffer(a.iface, a.dst)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tx.bind((a.src, a.sport))

    failed, total = [], 0
    for set_name in a.set.split(","):
        table, reply_re, convert = tables[set_name]
        files = sorted(f[:-4] for f in os.listdir(os.path.join(a.corpus, set_name)) if f.endswith(".sip"))
        missing = sorted(set(files) ^ set(table))
        if missing:
            print("%s: files and expectation table differ: %s" % (set_name, ", ".join(missing)))
            failed.extend(missing)
        for name in files:
            if name not in table or (only and name not in only):
                continue
            with open(os.path.join(a.corpus, set_name, name + ".sip"), "rb") as f:
                payload = f.read()
            if convert:
                payload = convert(payload)
            expect, why = table[name]
            responses, others, icmp = run_one(a, snif, tx, name, payload)
            ok, got, note = judge(expect, responses, icmp, payload, reply_re.get(name))
            total += 1
            print("%-4s %-8s %-28s got %-8s expected %-12s %s%s" % (
                "ok" if ok else "FAIL", set_name, name, got, expect, why,
                " -- " + note if note else ""))
            for o in others:
                print("     (also seen: %r)" % o.split(b"\r\n", 1)[0][:80])
            if not ok:
                failed.append(name)
                for r in responses:
                    print("     reply: " + r.split(b"\r\n\r\n", 1)[0].decode("latin1").replace("\r\n", "\n     "))

    status = alive(a)
    print("router after the corpus: %s" % (status or "NO ANSWER to OPTIONS"))
    if status is None or not status.startswith("SIP/2.0 200"):
        failed.append("(router alive)")
    print("%d files, %d failed%s" % (total, len(failed), (": " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
