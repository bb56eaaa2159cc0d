#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Peer-side probes for exc_test.sh (run inside a network namespace).

  arping IFACE SRC DST MAC     ARP who-has DST; every reply must say DST is-at MAC
  garp IFACE IP                gratuitous ARP for IP with IFACE's MAC
  ping DST                     3 ICMP echo requests, 3 replies needed
  ping6 DST                    the same over ICMPv6
  udprecv ADDR PORT FILE       write the first datagram's payload to FILE
                               (FILE.ready once listening)
  tcpserve ADDR PORT READY     echo server for one connection (creates READY once listening)
  tcpcheck ADDR PORT BYTES     connect, send BYTES, read them back, compare

Exit 0 on success, 1 with a reason on stderr otherwise.
"""
import os
import select
import socket
import struct
import sys
import time

TIMEOUT = 2.0


def fail(msg):
    print("exc_peer: " + msg, file=sys.stderr)
    sys.exit(1)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def arp_frame(mac, op, sip, tip, tmac=b"\0" * 6, dst=b"\xff" * 6):
    return (dst + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac
            + socket.inet_aton(sip) + tmac + socket.inet_aton(tip)).ljust(60, b"\0")


def arping(ifc, src, dst, want):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((ifc, 0))
    mac = s.getsockname()[4]
    for _ in range(3):
        s.send(arp_frame(mac, 1, src, dst))
        t0 = time.time()
        end = t0 + TIMEOUT
        while time.time() < end:
            if not select.select([s], [], [], 0.1)[0]:
                continue
            f = s.recv(2048)
            if f[20:22] == b"\x00\x02" and f[28:32] == socket.inet_aton(dst):
                got = f[22:28].hex(":")
                if got != want:
                    fail("ARP reply: %s is-at %s, expected %s" % (dst, got, want))
                print("arping: %s is-at %s (%.1f ms)" % (dst, got, (time.time() - t0) * 1e3))
                return
    fail("no ARP reply for %s" % dst)


def garp(ifc, ip):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((ifc, 0))
    mac = s.getsockname()[4]
    for _ in range(2):
        s.send(arp_frame(mac, 1, ip, ip))
        time.sleep(0.05)
    print("garp: %s is-at %s" % (ip, mac.hex(":")))


def ping(dst, v6):
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        req, rep = 128, 129
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        req, rep = 8, 0
    ident = os.getpid() & 0xFFFF
    for seq in range(3):
        body = b"sipline-exc"
        h = struct.pack("!BBHHH", req, 0, 0, ident, seq)
        # ICMPv6: the kernel fills the checksum in (it covers a pseudo-header).
        pkt = h if v6 else struct.pack("!BBHHH", req, 0, csum(h + body), ident, seq)
        s.sendto(pkt + body, (dst, 0))
        end = time.time() + TIMEOUT
        while True:
            if time.time() > end:
                fail("no echo reply from %s (seq %d)" % (dst, seq))
            if not select.select([s], [], [], 0.1)[0]:
                continue
            d = s.recv(2048)
            off = 0 if v6 else (d[0] & 15) * 4
            t, _, _, i, sq = struct.unpack("!BBHHH", d[off:off + 8])
            if t == rep and i == ident and sq == seq:
                break
    print("ping: 3/3 replies from %s" % dst)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udprecv(addr, port, path):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    open(path + ".ready", "w").close()
    s.settimeout(30)
    data, src = s.recvfrom(2048)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


def tcpserve(addr, port, ready):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    if ready:
        open(ready, "w").close()
    s.settimeout(30)
    c, _ = s.accept()
    c.settimeout(10)
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()


def tcpcheck(addr, port, nbytes):
    payload = bytes((i * 7 + 3) & 0xFF for i in range(nbytes))
    c = socket.create_connection((addr, port), timeout=TIMEOUT * 2)
    c.sendall(payload)
    c.shutdown(socket.SHUT_WR)
    got = b""
    while len(got) < nbytes:
        d = c.recv(65536)
        if not d:
            break
        got += d
    if got != payload:
        fail("TCP echo: %d of %d bytes came back intact" % (len(got), nbytes))
    print("tcp: %d bytes echoed by %s:%d" % (nbytes, addr, port))


def main():
    a = sys.argv[1:]
    if not a:
        fail("no command")
    cmd = a[0]
    if cmd == "arping" and len(a) == 5:
        arping(a[1], a[2], a[3], a[4])
    elif cmd == "garp" and len(a) == 3:
        garp(a[1], a[2])
    elif cmd in ("ping", "ping6") and len(a) == 2:
        ping(a[1], cmd == "ping6")
    elif cmd == "udprecv" and len(a) == 4:
        udprecv(a[1], int(a[2]), a[3])
    elif cmd == "tcpserve" and len(a) == 4:
        tcpserve(a[1], int(a[2]), a[3])
    elif cmd == "tcpcheck" and len(a) == 4:
        tcpcheck(a[1], int(a[2]), int(a[3]))
    else:
        fail("bad command line: %s" % " ".join(a))


main()
