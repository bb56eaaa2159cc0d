#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tools of test_neigh.sh: the router made to send to many next hops, the ARP
traffic that results counted on the bridge, and a spoofed gateway.

  neigh_tools.py flood --src IP --dst ROUTER [--port N] --first IP --count N
                       [--rounds K] [--rate R] [--dport N] [--tag T]
  neigh_tools.py sniff --iface IF --router-mac MAC [--watch-mac MAC]
  neigh_tools.py garp  --iface IF --ip IP --mac MAC [--count N] [--interval S]

flood sends in-dialog BYEs (To-tag, no Route) through the router whose
Request-URIs name COUNT consecutive IPv4 hosts from FIRST (skipping .0 and
.255), ROUNDS times, RATE per second: with --relay-in-dialog the router
relays each to its host, a next hop of the attacker's choosing. Nothing is
waited for. It prints "sent N".

sniff reads every frame on IF (a bridge port, ETH_P_ALL) until killed and
writes one line per frame of interest, flushed at once:
  A TIME TARGET   an ARP request the router (source MAC ROUTER) sent
  W TIME          a frame the router sent to --watch-mac (a spoofer's MAC)
TIME is the epoch time in seconds. "ready" goes to stderr once the socket
is bound.

garp sends, COUNT times INTERVAL apart, a gratuitous ARP request and an
unsolicited ARP reply claiming IP for MAC, from MAC (not IF's own: a
spoofer's frames).
"""

import argparse
import ipaddress
import socket
import struct
import sys
import time


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def hosts(first, count):
    a = ipaddress.IPv4Address(first)
    out = []
    while len(out) < count:
        if a.packed[3] not in (0, 255):
            out.append(str(a))
        a += 1
    return out


def bye(src, sport, host, dport, tag, i):
    ruri = "sip:x%d@%s:%d" % (i, host, dport)
    return ("BYE %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-nt-%s-%d;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:flood@%s>;tag=f%d\r\n"
            "To: <sip:x%d@%s>;tag=t%d\r\n"
            "Call-ID: %s-%d\r\n"
            "CSeq: 2 BYE\r\n"
            "Content-Length: 0\r\n\r\n") % (ruri, src, sport, tag, i, src, i, i, host, i,
                                             tag, i)


def cmd_flood(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    sport = s.getsockname()[1]
    targets = hosts(a.first, a.count)
    gap = 1.0 / a.rate
    sent = 0
    t = time.time()
    for r in range(a.rounds):
        for i, h in enumerate(targets):
            try:
                s.sendto(bye(a.src, sport, h, a.dport, "%s-%d" % (a.tag, r), i).encode(),
                         (a.dst, a.port))
                sent += 1
            except OSError:
                pass  # an ICMP error from an earlier datagram: keep going
            t += gap
            d = t - time.time()
            if d > 0:
                time.sleep(d)
    print("sent %d" % sent)
    return 0


def cmd_sniff(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((a.iface, 0))
    router = mac_bytes(a.router_mac)
    watch = mac_bytes(a.watch_mac) if a.watch_mac else None
    print("ready", file=sys.stderr, flush=True)
    out = sys.stdout
    while True:
        f = s.recv(4096)
        if len(f) < 14 or f[6:12] != router:
            continue
        now = time.time()
        if watch is not None and f[0:6] == watch:
            out.write("W %.3f\n" % now)
            out.flush()
        if f[12:14] == b"\x08\x06" and len(f) >= 42 and f[20:22] == b"\x00\x01":
            out.write("A %.3f %s\n" % (now, socket.inet_ntoa(f[38:42])))
            out.flush()


def cmd_garp(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((a.iface, 0))
    mac = mac_bytes(a.mac)
    ip = socket.inet_aton(a.ip)
    bcast = b"\xff" * 6
    arp = lambda op, tha: (struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac + ip + tha + ip)
    for k in range(a.count):
        s.send((bcast + mac + b"\x08\x06" + arp(1, b"\0" * 6)).ljust(60, b"\0"))
        s.send((bcast + mac + b"\x08\x06" + arp(2, bcast)).ljust(60, b"\0"))
        if k + 1 < a.count:
            time.sleep(a.interval)
    print("garp: %s is-at %s, %d times" % (a.ip, a.mac, a.count))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("flood")
    q.add_argument("--src", required=True)
    q.add_argument("--dst", required=True)
    q.add_argument("--port", type=int, default=5060)
    q.add_argument("--first", required=True)
    q.add_argument("--count", type=int, required=True)
    q.add_argument("--rounds", type=int, default=1)
    q.add_argument("--rate", type=float, default=100.0)
    q.add_argument("--dport", type=int, default=5060)
    q.add_argument("--tag", default="nt")
    q = sub.add_parser("sniff")
    q.add_argument("--iface", required=True)
    q.add_argument("--router-mac", required=True)
    q.add_argument("--watch-mac")
    q = sub.add_parser("garp")
    q.add_argument("--iface", required=True)
    q.add_argument("--ip", required=True)
    q.add_argument("--mac", required=True)
    q.add_argument("--count", type=int, default=1)
    q.add_argument("--interval", type=float, default=1.0)
    a = p.parse_args()
    return {"flood": cmd_flood, "sniff": cmd_sniff, "garp": cmd_garp}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
