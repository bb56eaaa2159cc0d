#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Attacks on the router for test_security.sh, each in its variants.

  sectools.py gateway --bind IP --port N
      a stateless SIP gateway: INVITE -> 100, 180 and 200 (To-tag, the
      request's Record-Route copied, Contact <sip:gw@IP:N>); ACK -> nothing;
      any other request -> 200. One log line per request received.
  sectools.py sniff --iface IF --mac MAC
      every UDP frame sent by MAC (the router) on IF: "dst-ip dst-port first-line".
  sectools.py steer --src IP --router IP [--user-prefix 100]
      INVITEs whose top Via tries to steer the responses elsewhere (maddr,
      received, rport, sent-by, all together); each must get its responses
      at the socket it was sent from, and nowhere else.
  sectools.py forge --src IP --router IP --listen-port N --victim IP:PORT
      learns one of our branches by having a request forwarded to itself
      (300x numbers), then sends responses with it: to the victim through a
      second Via of its choosing, with ten Vias, with received/rport/maddr
      changed. The genuine one must arrive back at the INVITE's socket.
  sectools.py replay --src IP --router IP --premium USER --hosts N [--state FILE]
      sets up a record-routed call (100x) and replays the Route it got
      towards other targets, Call-IDs and directions: each must get 403.
      Prints the dialog's state to FILE (JSON) for `bye`.
  sectools.py bye --src IP --router IP --state FILE --expect CODE
      the dialog's BYE (with its Route) from the caller: expects CODE.
  sectools.py relay-targets --src IP --router IP --targets T,T,...
      in-dialog requests (no Route; --relay-in-dialog) to each target: none
      may be answered (they are dropped).
Exit status 0 when the router behaved, 1 otherwise (the reason is printed).
"""

import argparse
import json
import random
import select
import socket
import struct
import sys
import time


def hdr(msg, *names):
    want = [n.lower().encode() for n in names]
    for line in msg.split(b"\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(b":")
        if k.strip().lower() in want:
            return v.strip()
    return None


def hdrs(msg, *names):
    want = [n.lower().encode() for n in names]
    out = []
    for line in msg.split(b"\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(b":")
        if k.strip().lower() in want:
            out.append(v.strip())
    return out


def status(msg):
    if not msg.startswith(b"SIP/2.0 "):
        return None
    return int(msg.split(b" ", 2)[1])


def rand(n=8):
    return "%0*x" % (n, random.getrandbits(4 * n))


def request(method, ruri, via, from_tag, callid, cseq=1, to_tag=None, route=None,
            contact=None, extra=""):
    lines = ["%s %s SIP/2.0" % (method, ruri)]
    if isinstance(via, str):
        via = [via]
    lines += ["Via: " + v for v in via]
    lines += ["Max-Forwards: 70",
              "From: <sip:attacker@example.com>;tag=%s" % from_tag,
              "To: <%s>%s" % (ruri, ";tag=" + to_tag if to_tag else ""),
              "Call-ID: %s" % callid,
              "CSeq: %d %s" % (cseq, method)]
    if route:
        lines.append("Route: " + route)
    if contact:
        lines.append("Contact: <%s>" % contact)
    if extra:
        lines.append(extra)
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


class Peer:
    """A UDP socket of ours towards the router."""

    def __init__(self, src, router, port=0, rport=5060):
        fam = socket.AF_INET6 if ":" in src else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((src, port))
        self.src, self.port = self.s.getsockname()[:2]
        self.router = (router, rport)

    def hostport(self):
        return hp(self.src, self.port)

    def send(self, data):
        self.s.sendto(data, self.router)

    def recv_all(self, callid, seconds):
        """Every datagram for callid within seconds."""
        got = []
        end = time.time() + seconds
        while True:
            left = end - time.time()
            if left <= 0:
                return got
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return got
            d, addr = self.s.recvfrom(65535)
            if callid is None or hdr(d, "Call-ID", "i") == callid.encode():
                got.append((d, addr))

    def final(self, callid, seconds=2.0):
        for d, _ in self.recv_all(callid, seconds):
            st = status(d)
            if st is not None and st >= 200:
                return d
        return None


def host(ip):
    """An address as a URI host (IPv6 in brackets)."""
    return "[%s]" % ip if ":" in ip else ip


def hp(ip, port):
    return "%s:%d" % (host(ip), port)


def fail(msg):
    print("FAIL: " + msg)
    return 1


# ---- gateway ----


def cmd_gateway(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    contact = "<sip:gw@%s:%d>" % (a.bind, a.port)
    while True:
        d, addr = s.recvfrom(65535)
        first = d.split(b"\r\n", 1)[0].decode("latin1")
        print("from %s:%d callid %s | %s" % (addr[0], addr[1],
              (hdr(d, "Call-ID", "i") or b"-").decode("latin1"), first), flush=True)
        if status(d) is not None or first.startswith("ACK "):
            continue
        keep = []
        for line in d.split(b"\r\n")[1:]:
            if not line:
                break
            k = line.partition(b":")[0].strip().lower()
            if k in (b"via", b"v", b"from", b"f", b"call-id", b"i", b"cseq", b"record-route"):
                keep.append(line)
            elif k in (b"to", b"t"):
                keep.append(line if b"tag=" in line else line + b";tag=gw" + rand(6).encode())
        body = b"\r\n".join(keep)
        codes = [100, 180, 200] if first.startswith("INVITE ") else [200]
        for c in codes:
            lines = body if c != 100 else b"\r\n".join(
                l for l in keep if not l.lower().startswith((b"to", b"t:", b"record-route")))
            if c == 100:
                to = hdr(d, "To", "t")
                lines += b"\r\nTo: " + to
            extra = b"\r\nContact: " + contact.encode() if c != 100 else b""
            s.sendto(b"SIP/2.0 %d Gateway\r\n" % c + lines + extra +
                     b"\r\nContent-Length: 0\r\n\r\n", addr)


# ---- sniffer ----


def cmd_sniff(a):
    mac = bytes(int(x, 16) for x in a.mac.split(":"))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((a.iface, 0))
    while True:
        f = s.recv(65535)
        if len(f) < 14 or f[6:12] != mac:
            continue
        et = struct.unpack("!H", f[12:14])[0]
        if et == 0x0800 and len(f) >= 42 and f[23] == 17:
            ihl = (f[14] & 0xF) * 4
            dst = socket.inet_ntoa(f[30:34])
            dport = struct.unpack("!H", f[14 + ihl + 2:14 + ihl + 4])[0]
            payload = f[14 + ihl + 8:]
        elif et == 0x86DD and len(f) >= 62 and f[20] == 17:
            dst = socket.inet_ntop(socket.AF_INET6, f[38:54])
            dport = struct.unpack("!H", f[56:58])[0]
            payload = f[62:]
        else:
            continue
        print("%s %d %s" % (dst, dport, payload.split(b"\r\n", 1)[0].decode("latin1")),
              flush=True)


# ---- response steering ----


def cmd_steer(a):
    bad = 0
    victim = a.victim      # received= takes a bare IPv6 address, hosts take brackets
    vh = host(victim)
    for name, via in [
        ("maddr", "SIP/2.0/UDP {me};branch=z9hG4bK{b};maddr=%s" % vh),
        ("received", "SIP/2.0/UDP {me};branch=z9hG4bK{b};received=%s" % victim),
        ("rport with a value", "SIP/2.0/UDP {me};branch=z9hG4bK{b};rport=%d" % a.victim_port),
        ("sent-by elsewhere", "SIP/2.0/UDP %s;branch=z9hG4bK{b}" % hp(victim, a.victim_port)),
        ("all at once", "SIP/2.0/UDP %s;branch=z9hG4bK{b};maddr=%s;received=%s;rport=%d"
         % (hp(victim, a.victim_port), vh, victim, a.victim_port)),
        ("received twice", "SIP/2.0/UDP {me};branch=z9hG4bK{b};received=%s;received=%s"
         % (victim, victim)),
    ]:
        p = Peer(a.src, a.router)
        callid = "steer-%s" % rand()
        v = via.format(me=p.hostport(), b=rand())
        inv = request("INVITE", "sip:%s%s@%s" % (a.user_prefix, rand(4), host(a.router)), v,
                      rand(), callid, contact="sip:x@%s" % p.hostport())
        codes = []
        for _ in range(3):  # retransmitted like a UAC would, on a loaded machine
            p.send(inv)
            codes += [status(d) for d, _ in p.recv_all(callid, 1.5)]
            if 180 in codes and 200 in codes:
                break
        codes = sorted(set(codes))
        if 180 not in codes or 200 not in codes:
            bad += fail("%s: the caller's own socket got %s, expected the 180 and 200" %
                        (name, codes))
        else:
            print("ok: %s: responses %s came back to %s" % (name, codes, p.hostport()))
    return 1 if bad else 0


# ---- forged responses ----


def cmd_forge(a):
    me = Peer(a.src, a.router)
    listen = Peer(a.src, a.router, port=a.listen_port)
    callid = "forge-%s" % rand()
    my_branch = "z9hG4bK" + rand()
    inv = request("INVITE", "sip:300%s@%s" % (rand(4), a.router),
                  "SIP/2.0/UDP %s:%d;branch=%s;rport" % (me.src, me.port, my_branch),
                  rand(), callid, contact="sip:x@%s:%d" % (me.src, me.port))
    got = []
    for _ in range(3):
        me.send(inv)
        got = listen.recv_all(callid, 1.5)
        if got:
            break
    if not got:
        return fail("the 300x INVITE was not forwarded to %s:%d" % (a.src, a.listen_port))
    inv = got[0][0]
    vias = hdrs(inv, "Via", "v")
    if len(vias) < 2 or b"branch=z9hG4bKsl" not in vias[0]:
        return fail("forwarded INVITE has no Via of ours on top: %r" % vias)
    ours, second = vias[0].decode(), vias[1].decode()
    print("learnt our Via: %s (below it: %s)" % (ours, second))
    vhost, vport = a.victim.rsplit(":", 1)

    def response(via_list, code=180, cid=callid):
        lines = ["SIP/2.0 %d Forged" % code] + ["Via: " + v for v in via_list]
        lines += ["From: <sip:attacker@example.com>;tag=x", "To: <sip:y@example.com>;tag=y",
                  "Call-ID: " + cid, "CSeq: 1 INVITE", "Content-Length: 0", "", ""]
        return "\r\n".join(lines).encode()

    variants = [
        ("second Via of our choosing", [ours, "SIP/2.0/UDP %s;branch=z9hG4bKv1" % a.victim]),
        ("ten Vias", [ours] + ["SIP/2.0/UDP %s;branch=z9hG4bKv%d" % (a.victim, i)
                               for i in range(9)]),
        ("genuine Via, received changed",
         [ours, second.replace("received=%s" % a.src, "received=%s" % vhost)]),
        ("genuine Via, rport changed",
         [ours, second.replace("rport=%d" % me.port, "rport=%s" % vport)]),
        ("genuine Via, maddr added", [ours, second + ";maddr=%s" % vhost]),
        ("genuine Via with our received, then a second one",
         [ours, second + ";received=%s" % vhost]),
        ("our branch on a Via naming the victim", [ours, "SIP/2.0/UDP %s;rport=%s;received=%s"
                                                   ";branch=%s" % (a.victim, vport, vhost,
                                                                   my_branch)]),
    ]
    # Each variant its own status code, to tell them apart where they land.
    harmless = set()
    for i, (name, via_list) in enumerate(variants):
        listen.send(response(via_list, 181 + i))
        if "maddr added" in name:
            harmless.add(181 + i)   # maddr is ignored: it still goes to the caller
        print("sent forged response %d: %s" % (181 + i, name))
    # The genuine response still works, and only towards the INVITE's socket.
    codes = []
    for _ in range(3):
        listen.send(response([ours, second], 200))
        codes += [status(d) for d, _ in me.recv_all(callid, 1.5)]
        if 200 in codes:
            break
    if 200 not in codes:
        return fail("the genuine 200 did not come back to %s:%d (got %s)" %
                    (me.src, me.port, codes))
    leaked = [c for c in codes if c != 200 and c not in harmless]
    if leaked:
        return fail("forged responses were relayed: %s" % leaked)
    print("ok: %d forged responses sent, none relayed elsewhere; the genuine one came back "
          "to the caller (codes seen there: %s)" % (len(variants), sorted(codes)))
    return 0


# ---- Record-Route replay ----


def setup_dialog(a):
    """A record-routed call to 100x: returns its state (Route, targets, tags)."""
    p = Peer(a.src, a.router)
    callid = "dlg-%s" % rand()
    ftag = rand()
    branch = "z9hG4bK" + rand()
    contact = "sip:caller@%s:%d" % (p.src, p.port)
    ruri = "sip:100%s@%s" % (rand(4), a.router)
    inv = request("INVITE", ruri, "SIP/2.0/UDP %s:%d;branch=%s;rport" % (p.src, p.port, branch),
                  ftag, callid, contact=contact)
    ok = None
    for _ in range(3):
        p.send(inv)
        for d, _ in p.recv_all(callid, 1.5):
            if status(d) == 200:
                ok = d
        if ok is not None:
            break
    if ok is None:
        return None, p
    rr = hdrs(ok, "Record-Route")
    to = hdr(ok, "To", "t").decode()
    gw_contact = hdr(ok, "Contact", "m").decode().strip("<>")
    state = {"callid": callid, "from_tag": ftag, "to_tag": to.split("tag=", 1)[1],
             "route": rr[0].decode() if rr else "", "target": gw_contact,
             "ruri": ruri, "caller_contact": contact}
    # ACK for the 2xx, with the route set.
    p.send(request("ACK", gw_contact, "SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport"
                   % (p.src, p.port, rand()), ftag, callid, to_tag=state["to_tag"],
                   route=state["route"]))
    return state, p


def indialog(p, st, ruri=None, method="BYE", callid=None, from_tag=None, to_tag=None,
             route=None, cseq=2):
    cid = callid or st["callid"]
    req = request(method, ruri or st["target"], "SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport"
                  % (p.src, p.port, rand()), from_tag or st["from_tag"], cid, cseq=cseq,
                  to_tag=to_tag or st["to_tag"], route=route or st["route"])
    for _ in range(4):  # retransmitted like a UAC would (the machine may be loaded)
        p.send(req)
        r = p.final(cid, 1.0)
        if r is not None:
            return r
    return None


def cmd_replay(a):
    st, p = setup_dialog(a)
    if st is None:
        return fail("no 200 for the record-routed INVITE")
    if ";sl=" not in st["route"]:
        return fail("the 200 carries no signed Record-Route: %r" % st["route"])
    print("dialog: Route %s, target %s" % (st["route"], st["target"]))
    gw = st["target"].split("@", 1)[1]
    bad = 0
    cases = [
        ("premium number at the gateway (toll fraud)",
         dict(method="INVITE", ruri="sip:%s@%s" % (a.premium, gw))),
        ("another Call-ID", dict(callid="other-%s" % rand())),
        ("the callee's side (tags swapped)",
         dict(from_tag=st["to_tag"], to_tag=st["from_tag"])),
        ("our own address, port 5070", dict(ruri="sip:x@%s:5070" % a.router)),
        ("our own address, port 22", dict(ruri="sip:x@%s:22" % a.router)),
        ("the gateway's address, another port", dict(ruri=st["target"] + "1")),
    ]
    base = a.router.rsplit(".", 1)[0]
    for i in range(a.hosts):
        cases.append(("host %d" % i, dict(ruri="sip:x@%s.%d:5060" % (base, 100 + i))))
    refused = 0
    for name, kw in cases:
        r = indialog(p, st, cseq=3 + refused, **kw)
        code = status(r) if r else None
        if code != 403:
            bad += fail("%s: got %s, expected 403" % (name, code))
        else:
            refused += 1
    print("ok: %d replays refused with 403" % refused)
    if a.state:
        with open(a.state, "w") as f:
            json.dump(dict(st, port=p.port), f)
    return 1 if bad else 0


def cmd_bye(a):
    st = json.load(open(a.state))
    p = Peer(a.src, a.router)
    r = indialog(p, st, cseq=50)
    code = str(status(r)) if r else "none"
    print("BYE: %s" % code)
    return 0 if code == a.expect else fail("BYE got %s, expected %s" % (code, a.expect))


def cmd_relay_targets(a):
    bad = 0
    for t in a.targets.split(","):
        p = Peer(a.src, a.router)
        callid = "relay-%s" % rand()
        p.send(request("BYE", t, "SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport" % (p.src, p.port,
                       rand()), rand(), callid, to_tag="x" + rand()))
        got = p.recv_all(callid, 0.5)
        if got:
            bad += fail("%s: answered %s" % (t, got[0][0].split(b"\r\n", 1)[0]))
        else:
            print("ok: %s: nothing" % t)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gateway")
    g.add_argument("--bind", required=True)
    g.add_argument("--port", type=int, default=5060)
    g = sub.add_parser("sniff")
    g.add_argument("--iface", required=True)
    g.add_argument("--mac", required=True)
    for name in ("steer", "forge", "replay", "bye", "relay-targets"):
        g = sub.add_parser(name)
        g.add_argument("--src", required=True)
        g.add_argument("--router", required=True)
        if name == "steer":
            g.add_argument("--user-prefix", default="100")
            g.add_argument("--victim", required=True)
            g.add_argument("--victim-port", type=int, default=9999)
        if name == "forge":
            g.add_argument("--listen-port", type=int, default=5090)
            g.add_argument("--victim", required=True, help="IP:PORT")
        if name == "replay":
            g.add_argument("--premium", default="+900555")
            g.add_argument("--hosts", type=int, default=50)
            g.add_argument("--state")
        if name == "bye":
            g.add_argument("--state", required=True)
            g.add_argument("--expect", required=True)
        if name == "relay-targets":
            g.add_argument("--targets", required=True)
    a = ap.parse_args()
    return {"gateway": cmd_gateway, "sniff": cmd_sniff, "steer": cmd_steer,
            "forge": cmd_forge, "replay": cmd_replay, "bye": cmd_bye,
            "relay-targets": cmd_relay_targets}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
