#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""IPv4 fragment trains of a SIP request, crafted on a raw socket (test_frag.sh).

  fragtool.py send --src IP --dst IP [--port 5060] [--sport N] --size BYTES
                   --train in-order|reversed|duplicated|overlap|tiny|incomplete
                   [--ruri URI] [--frag 1480] --expect CODE|none [--timeout S]

Builds an INVITE of --size bytes of UDP payload (the body pads it), cuts the
UDP datagram into IPv4 fragments of --frag bytes and sends them with
IP_HDRINCL from --src (the kernel adds the Ethernet header and nothing else)
in the order --train says:

  in-order, reversed   every fragment once
  duplicated           every fragment twice in a row
  overlap              an extra 512-byte fragment at offset 1000 (over the first two)
  tiny                 the first fragment cut into 64-byte pieces (tiny non-last fragments)
  incomplete           the last fragment never sent

Replies are read on a UDP socket bound to --src:--sport. Exit 0 when the
first reply's status is --expect (or, with none, when nothing came within
--timeout), 1 otherwise. Prints the status line (or "none").
"""
import argparse
import random
import socket
import struct
import sys
import time


from vport_pcap import csum  # noqa: E402 (the Internet checksum sum, RFC 1071)


def invite(a, callid, branch):
    head = (
        "INVITE {ruri} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP {src}:{sport};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:frag@{src}>;tag=f{tag}\r\n"
        "To: <{ruri}>\r\n"
        "Call-ID: {callid}\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:frag@{src}:{sport}>\r\n"
        "Content-Type: application/sdp\r\n"
    ).format(ruri=a.ruri, src=a.src, sport=a.sport, branch=branch, callid=callid,
             tag=random.randrange(1 << 30))
    # Content-Length fills the datagram to --size bytes exactly.
    for width in range(1, 7):
        body_len = a.size - len(head) - len("Content-Length: \r\n\r\n") - width
        if body_len >= 0 and len(str(body_len)) == width:
            break
    else:
        raise SystemExit("fragtool: --size too small")
    line = "a=x-pad:" + "x" * 60 + "\r\n"
    body = ("v=0\r\no=- 1 1 IN IP4 {0}\r\ns=-\r\nc=IN IP4 {0}\r\nt=0 0\r\n"
            "m=audio 40000 RTP/AVP 0\r\n").format(a.src)
    while len(body) < body_len:
        body += line
    body = body[:body_len]
    msg = head + "Content-Length: %d\r\n\r\n" % body_len + body
    assert len(msg) == a.size, (len(msg), a.size)
    return msg.encode()


def udp_datagram(a, payload):
    src, dst = socket.inet_aton(a.src), socket.inet_aton(a.dst)
    ulen = 8 + len(payload)
    hdr = struct.pack("!HHHH", a.sport, a.port, ulen, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_UDP, ulen)
    ck = 0xFFFF - csum(pseudo + hdr + payload)
    hdr = struct.pack("!HHHH", a.sport, a.port, ulen, ck or 0xFFFF)
    return hdr + payload


def ip_frag(a, ident, data, ofs, more):
    src, dst = socket.inet_aton(a.src), socket.inet_aton(a.dst)
    flags = (ofs // 8) | (0x2000 if more else 0)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, flags, 64,
                      socket.IPPROTO_UDP, 0, src, dst)
    ck = 0xFFFF - csum(hdr)
    return hdr[:10] + struct.pack("!H", ck) + hdr[12:] + data


def train(a, dgram, ident):
    """(offset, bytes, more) in sending order."""
    size = a.frag
    pieces = [(o, dgram[o:o + size], o + size < len(dgram)) for o in range(0, len(dgram), size)]
    if a.train == "reversed":
        return pieces[::-1]
    if a.train == "duplicated":
        return [p for p in pieces for _ in (0, 1)]
    if a.train == "overlap":
        return [pieces[0], (1000, dgram[1000:1512], True)] + pieces[1:]
    if a.train == "tiny":
        first = [(o, dgram[o:min(o + 64, size)], True) for o in range(0, size, 64)]
        return first + pieces[1:]
    if a.train == "incomplete":
        return pieces[:-1]
    return pieces


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--src", required=True)
    s.add_argument("--dst", required=True)
    s.add_argument("--port", type=int, default=5060)
    s.add_argument("--sport", type=int, default=0)
    s.add_argument("--size", type=int, required=True)
    s.add_argument("--frag", type=int, default=1480)
    s.add_argument("--train", default="in-order",
                   choices=["in-order", "reversed", "duplicated", "overlap", "tiny", "incomplete"])
    s.add_argument("--ruri", default=None)
    s.add_argument("--expect", required=True)
    s.add_argument("--timeout", type=float, default=2.0)
    a = p.parse_args()
    if a.frag % 8 or a.frag < 64:
        raise SystemExit("fragtool: --frag must be a multiple of 8, at least 64")
    a.ruri = a.ruri or "sip:3021234@%s" % a.dst

    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind((a.src, a.sport))
    a.sport = rx.getsockname()[1]
    callid = "frag-%x@%s" % (random.randrange(1 << 48), a.src)
    dgram = udp_datagram(a, invite(a, callid, "z9hG4bK-frag-%x" % random.randrange(1 << 32)))
    ident = random.randrange(1, 0xFFFF)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    frags = train(a, dgram, ident)
    for ofs, data, more in frags:
        raw.sendto(ip_frag(a, ident, data, ofs, more), (a.dst, 0))
    raw.close()

    rx.settimeout(a.timeout)
    got = "none"
    deadline = time.time() + a.timeout
    while time.time() < deadline:
        try:
            data = rx.recv(65535)
        except socket.timeout:
            break
        text = data.decode(errors="replace")
        if ("Call-ID: " + callid) in text or ("i: " + callid) in text:
            got = text.split("\r\n", 1)[0]
            break
    print("%s: %d fragments of a %d-byte INVITE -> %s" % (a.train, len(frags), a.size, got))
    if a.expect == "none":
        return 0 if got == "none" else 1
    return 0 if got.startswith("SIP/2.0 %s " % a.expect) else 1


if __name__ == "__main__":
    sys.exit(main())
