#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Frames in, frames out: the router checked through capture files.

  vport_pcap.py gen   --out IN.pcap --router-mac MAC
  vport_pcap.py check --in OUT.pcap --router-mac MAC

`gen` writes a capture of Ethernet/IPv4/UDP frames from the caller
(10.77.0.10:5061, 02:77:00:00:00:0a) to the router (10.77.0.1:5060), and a
few over IPv6 (fd00:77::10 to fd00:77::1): the cases below, one frame each.
Replayed into sipline's wire port (net_pcap rx_pcap=, or through another
port type by a forwarder), with the router's two addresses, the test
dialplan (dialplans/itest.dialplan) and static neighbours for the caller and
the gateway (10.77.0.20, 02:77:00:00:00:14), every case has one exact
outcome. `check` reads what the router transmitted and verifies it:

  * each expected frame is there exactly once (matched by Call-ID): the
    status for answers, the gateway for the forwarded request;
  * nothing else was transmitted: the silent cases stay silent;
  * every frame is well formed: Ethernet addresses (from the router, to the
    static neighbour), IPv4 header checksum, UDP length and checksum, a
    reply never more than twice the size of its request.

UDP checksums: every frame carries a correct one unless its case says
otherwise (a wrong one, or none: allowed over IPv4, forbidden over IPv6).

Exit status 0 when everything matched; otherwise one line per problem.
"""

import argparse
import socket
import struct
import sys

ROUTER_IP = "10.77.0.1"
CALLER_IP = "10.77.0.10"
ROUTER_IP6 = "fd00:77::1"
CALLER_IP6 = "fd00:77::10"
CALLER_MAC = "02:77:00:00:00:0a"
CALLER_PORT = 5061
GW_IP = "10.77.0.20"
GW_MAC = "02:77:00:00:00:14"
SIP_PORT = 5060


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def ip_bytes(ip):
    if ":" in ip:
        return socket.inet_pton(socket.AF_INET6, ip)
    return bytes(int(x) for x in ip.split("."))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def udp_checksum(src, dst, udp):
    pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, 17, len(udp))
    c = 0xFFFF - csum(pseudo + udp)
    return c or 0xFFFF


def udp_datagram(payload, src_ip, dst_ip, sport, dport, udp_csum):
    """udp_csum: "ok", "bad" (off by one) or "zero" (none)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = udp_checksum(src_ip, dst_ip, udp)
    if udp_csum == "bad":
        c = c - 1 if c > 1 else 0x1234
    elif udp_csum == "zero":
        c = 0
    return udp[:6] + struct.pack("!H", c) + udp[8:]


def frame(payload, dst_mac, src_ip=CALLER_IP, sport=CALLER_PORT, dport=SIP_PORT,
          src_mac=CALLER_MAC, frag=0, bad_ip_csum=False, udp_csum="ok"):
    udp = udp_datagram(payload, src_ip, ROUTER_IP, sport, dport, udp_csum)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1234, frag, 64, 17, 0,
                     ip_bytes(src_ip), ip_bytes(ROUTER_IP))
    c = 0xFFFF - csum(ip)
    if bad_ip_csum:
        c ^= 0x00FF
    ip = ip[:10] + struct.pack("!H", c) + ip[12:]
    return mac_bytes(dst_mac) + mac_bytes(src_mac) + b"\x08\x00" + ip + udp


def frame6(payload, dst_mac, src_ip=CALLER_IP6, sport=CALLER_PORT, dport=SIP_PORT,
           src_mac=CALLER_MAC, udp_csum="ok"):
    udp = udp_datagram(payload, src_ip, ROUTER_IP6, sport, dport, udp_csum)
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(udp), 17, 64, ip_bytes(src_ip),
                     ip_bytes(ROUTER_IP6))
    return mac_bytes(dst_mac) + mac_bytes(src_mac) + b"\x86\xdd" + ip + udp


def request(name, method, user, max_forwards=70, version="SIP/2.0", v6=False):
    router = "[%s]" % ROUTER_IP6 if v6 else ROUTER_IP
    caller = "[%s]" % CALLER_IP6 if v6 else CALLER_IP
    ruri = "sip:%s@%s" % (user, router) if user else "sip:%s" % router
    return (
        "%s %s %s\r\n"
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-vp-%s;rport\r\n"
        "Max-Forwards: %d\r\n"
        "From: <sip:caller@%s>;tag=vp%s\r\n"
        "To: <%s>\r\n"
        "Call-ID: vp-%s@%s\r\n"
        "CSeq: 1 %s\r\n"
        "Contact: <sip:caller@%s:%d>\r\n"
        "Content-Length: 0\r\n\r\n"
    ) % (method, ruri, version, caller, CALLER_PORT, name, max_forwards, caller, name,
         ruri, name, caller, method, caller, CALLER_PORT)


def foreign_response(name):
    return (
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/UDP 10.77.0.99:5060;branch=z9hG4bK-vp-%s\r\n"
        "From: <sip:a@10.77.0.99>;tag=1\r\nTo: <sip:b@%s>;tag=2\r\n"
        "Call-ID: vp-%s@%s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    ) % (name, ROUTER_IP, name, CALLER_IP)


# name: (what to send, expected outcome: a status, "forward" or None for silence)
def cases(router_mac):
    other_mac = "02:00:00:00:00:99"
    return [
        ("redirect", frame(request("redirect", "INVITE", "3021000").encode(), router_mac), 302),
        ("forward", frame(request("forward", "INVITE", "1001000").encode(), router_mac), "forward"),
        ("reject", frame(request("reject", "INVITE", "4031000").encode(), router_mac), 403),
        ("noroute", frame(request("noroute", "INVITE", "99999").encode(), router_mac), 404),
        ("options", frame(request("options", "OPTIONS", None).encode(), router_mac), 200),
        ("hops", frame(request("hops", "INVITE", "1002000", max_forwards=0).encode(), router_mac), 483),
        ("version", frame(request("version", "INVITE", "3022000", version="SIP/3.0").encode(),
                          router_mac), 505),
        ("garbage", frame(b"this is not SIP\r\n\r\n", router_mac), None),
        ("foreign_response", frame(foreign_response("foreign_response").encode(), router_mac), None),
        ("other_mac", frame(request("other_mac", "INVITE", "3023000").encode(), other_mac), None),
        ("bad_ip_checksum", frame(request("bad_ip_checksum", "INVITE", "3024000").encode(),
                                  router_mac, bad_ip_csum=True), None),
        # Spoofed from the router's own address: nothing may go back there.
        ("own_source", frame(request("own_source", "INVITE", "3026000").encode(), router_mac,
                             src_ip=ROUTER_IP), None),
        # A first fragment (MF set) whose train never completes: held, then timed out, unanswered.
        ("fragment", frame(request("fragment", "INVITE", "3025000").encode(), router_mac,
                           frag=0x2000), None),
        # UDP checksums: a wrong one is dropped; none (0) is allowed over IPv4 only.
        ("bad_udp_checksum", frame(request("bad_udp_checksum", "INVITE", "3027000").encode(),
                                   router_mac, udp_csum="bad"), None),
        ("no_udp_checksum", frame(request("no_udp_checksum", "INVITE", "3028000").encode(),
                                  router_mac, udp_csum="zero"), 302),
        ("v6_options", frame6(request("v6_options", "OPTIONS", None, v6=True).encode(),
                              router_mac), 200),
        ("v6_zero_checksum", frame6(request("v6_zero_checksum", "OPTIONS", None, v6=True).encode(),
                                    router_mac, udp_csum="zero"), None),
        # The IPv4-mapped form of the router's own address: never a real source.
        ("v6_mapped_own_source", frame6(request("v6_mapped_own_source", "OPTIONS", None,
                                                v6=True).encode(), router_mac,
                                        src_ip="::ffff:" + ROUTER_IP), None),
    ]


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: not a capture file (%d bytes)" % (path, len(data)))
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise ValueError("%s: bad pcap magic %08x" % (path, magic))
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError("%s: link type %d, expected Ethernet (1)" % (path, linktype))
    off, frames = 24, []
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        if incl != orig:
            raise ValueError("%s: frame %d truncated in the capture" % (path, len(frames)))
        frames.append(data[off:off + incl])
        off += incl
    return frames


def header(msg, *names):
    for line in msg.split(b"\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(b":")
        if k.strip().lower() in [n.lower().encode() for n in names]:
            return v.strip()
    return None


def parse_ip4(ip):
    """IPv4 header checks; returns (src, dst, UDP datagram)."""
    ihl = (ip[0] & 15) * 4
    if ip[0] >> 4 != 4 or ihl < 20:
        raise ValueError("not an IPv4 header")
    total = struct.unpack("!H", ip[2:4])[0]
    if total > len(ip):
        raise ValueError("IPv4 total length %d > %d bytes captured" % (total, len(ip)))
    if csum(ip[:ihl]) != 0xFFFF:
        raise ValueError("bad IPv4 header checksum")
    if ip[9] != 17:
        raise ValueError("IP protocol %d, expected UDP" % ip[9])
    src = ".".join(str(b) for b in ip[12:16])
    dst = ".".join(str(b) for b in ip[16:20])
    if src != ROUTER_IP:
        raise ValueError("source IP %s is not the router's" % src)
    return src, dst, ip[ihl:total]


def parse_ip6(ip):
    """IPv6 header checks; returns (src, dst, UDP datagram)."""
    if len(ip) < 40 or ip[0] >> 4 != 6:
        raise ValueError("not an IPv6 header")
    plen = struct.unpack("!H", ip[4:6])[0]
    if 40 + plen > len(ip):
        raise ValueError("IPv6 payload length %d > %d bytes captured" % (plen, len(ip) - 40))
    if ip[6] != 17:
        raise ValueError("IPv6 next header %d, expected UDP" % ip[6])
    src = socket.inet_ntop(socket.AF_INET6, ip[8:24])
    dst = socket.inet_ntop(socket.AF_INET6, ip[24:40])
    if src != ROUTER_IP6:
        raise ValueError("source IP %s is not the router's" % src)
    return src, dst, ip[40:40 + plen]


def parse_frame(fr, router_mac):
    """Checks the layers; returns (dst ip, dst port, SIP payload) or raises ValueError."""
    if len(fr) < 14 + 20 + 8:
        raise ValueError("runt frame (%d bytes)" % len(fr))
    if fr[6:12] != mac_bytes(router_mac):
        raise ValueError("source MAC %s is not the router's" % fr[6:12].hex(":"))
    if fr[12:14] == b"\x08\x00":
        src, dst, udp = parse_ip4(fr[14:])
    elif fr[12:14] == b"\x86\xdd":
        src, dst, udp = parse_ip6(fr[14:])
    else:
        raise ValueError("ethertype %s, expected IPv4 or IPv6" % fr[12:14].hex())
    sport, dport, ulen, ucs = struct.unpack("!HHHH", udp[:8])
    if ulen != len(udp):
        raise ValueError("UDP length %d, IP payload %d" % (ulen, len(udp)))
    if sport != SIP_PORT:
        raise ValueError("source port %d, expected %d" % (sport, SIP_PORT))
    if ucs == 0:
        raise ValueError("no UDP checksum")
    pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!HH", 17, len(udp))
    if ":" in src:
        pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!IxxxB", len(udp), 17)
    if csum(pseudo + udp) != 0xFFFF:
        raise ValueError("bad UDP checksum")
    want_mac = {CALLER_IP: CALLER_MAC, CALLER_IP6: CALLER_MAC, GW_IP: GW_MAC}.get(dst)
    if want_mac is None:
        raise ValueError("sent to %s, which is neither the caller nor the gateway" % dst)
    if fr[0:6] != mac_bytes(want_mac):
        raise ValueError("to %s with MAC %s, expected %s" % (dst, fr[0:6].hex(":"), want_mac))
    return dst, dport, udp[8:]


def check_answer(name, payload, status, sent_len, caller=CALLER_IP):
    problems = []
    line = payload.split(b"\r\n", 1)[0].decode(errors="replace")
    if not line.startswith("SIP/2.0 %d " % status):
        problems.append("%s: got '%s', expected status %d" % (name, line, status))
    if len(payload) > 2 * sent_len:
        problems.append("%s: reply of %d bytes to a request of %d (amplification)"
                        % (name, len(payload), sent_len))
    via = header(payload, "Via", "v") or b""
    sent_by = "[%s]" % caller if ":" in caller else caller
    if not via.startswith(b"SIP/2.0/UDP %s:%d" % (sent_by.encode(), CALLER_PORT)) or \
            b"rport=%d" % CALLER_PORT not in via:
        problems.append("%s: Via %r is not the caller's with rport=%d" % (name, via, CALLER_PORT))
    to = header(payload, "To", "t") or b""
    if b";tag=" not in to:
        problems.append("%s: To %r has no tag" % (name, to))
    if status == 302:
        contact = header(payload, "Contact", "m") or b""
        if b"sip:+4930111@gw1.example.net" not in contact:
            problems.append("%s: Contact %r, expected sip:+4930111@gw1.example.net" % (name, contact))
    return problems


def check_forward(name, payload):
    problems = []
    line = payload.split(b"\r\n", 1)[0].decode(errors="replace")
    if not line.startswith("INVITE sip:1001000@"):
        problems.append("%s: forwarded request line '%s'" % (name, line))
    vias = [l.split(b":", 1)[1].strip() for l in payload.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
            if l.split(b":", 1)[0].strip().lower() in (b"via", b"v")]
    if len(vias) != 2 or not vias[0].startswith(b"SIP/2.0/UDP %s" % ROUTER_IP.encode()) or \
            b"branch=z9hG4bK" not in vias[0]:
        problems.append("%s: Vias %r: expected ours (with a branch) on top of the caller's" % (name, vias))
    elif b"rport=%d" % CALLER_PORT not in vias[1]:
        problems.append("%s: the caller's Via %r lacks rport=%d" % (name, vias[1], CALLER_PORT))
    mf = header(payload, "Max-Forwards")
    if mf != b"69":
        problems.append("%s: Max-Forwards %r, expected 69" % (name, mf))
    return problems


def cmd_gen(a):
    write_pcap(a.out, [fr for _, fr, _ in cases(a.router_mac)])
    print("wrote %d frames to %s" % (len(cases(a.router_mac)), a.out))
    return 0


def cmd_check(a):
    table = cases(a.router_mac)
    sent = {name: len(fr) - (62 if fr[12:14] == b"\x86\xdd" else 42) for name, fr, _ in table}
    caller = {name: CALLER_IP6 if fr[12:14] == b"\x86\xdd" else CALLER_IP for name, fr, _ in table}
    expect = {name: out for name, _, out in table}
    try:
        frames = read_pcap(a.input)
    except (OSError, ValueError) as e:
        print("check: %s" % e)
        return 1
    problems, seen = [], {}
    for i, fr in enumerate(frames):
        try:
            dst, dport, payload = parse_frame(fr, a.router_mac)
        except ValueError as e:
            problems.append("frame %d: %s" % (i, e))
            continue
        callid = (header(payload, "Call-ID", "i") or b"").decode(errors="replace")
        name = callid[3:].split("@")[0] if callid.startswith("vp-") else None
        if name not in expect:
            problems.append("frame %d: unexpected message (Call-ID %r)" % (i, callid))
            continue
        seen[name] = seen.get(name, 0) + 1
        want = expect[name]
        if want is None:
            problems.append("%s: expected silence, the router sent %r"
                            % (name, payload.split(b"\r\n", 1)[0]))
        elif want == "forward":
            if (dst, dport) != (GW_IP, SIP_PORT):
                problems.append("%s: forwarded to %s:%d, expected the gateway %s:%d"
                                % (name, dst, dport, GW_IP, SIP_PORT))
            problems += check_forward(name, payload)
        else:
            if (dst, dport) != (caller[name], CALLER_PORT):
                problems.append("%s: answer sent to %s:%d, expected %s:%d"
                                % (name, dst, dport, caller[name], CALLER_PORT))
            problems += check_answer(name, payload, want, sent[name], caller[name])
        print("%-20s -> %s:%d %s" % (name, dst, dport, payload.split(b"\r\n", 1)[0].decode(errors="replace")))
    for name, want in expect.items():
        n = seen.get(name, 0)
        if want is not None and n != 1:
            problems.append("%s: %d frames, expected exactly one (%s)" % (name, n, want))
    for p in problems:
        print("FAIL " + p)
    print("%d frames checked, %d problems" % (len(frames), len(problems)))
    return 1 if problems else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    q = sub.add_parser("gen")
    q.add_argument("--out", required=True)
    q.add_argument("--router-mac", required=True)
    q.set_defaults(fn=cmd_gen)
    q = sub.add_parser("check")
    q.add_argument("--in", dest="input", required=True)
    q.add_argument("--router-mac", required=True)
    q.set_defaults(fn=cmd_check)
    a = p.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
