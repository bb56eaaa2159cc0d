#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Captures for test_overload.sh: a flat-out stream of new INVITEs with BYEs
between them, and the check of what the router sent back.

  gen   --out F --router-mac MAC --count N   every tenth frame a BYE (forwarded
        by the test dialplan to the gateway), the others INVITEs (302)
  check --in SENT --out GOT --router-mac MAC   prints one JSON object:
        INVITEs and BYEs sent, BYEs forwarded (each must be), 302s and 503s
        (each 503 to an INVITE, with Retry-After); exit 1 on anything else
"""
import argparse
import json
import sys

import vport_pcap as vp


def frames(router_mac, count):
    out = []
    for i in range(count):
        if i % 10 == 9:
            out.append(vp.frame(vp.request("bye%d" % i, "BYE", "1001%04d" % (i % 10000)).encode(),
                                router_mac))
        else:
            out.append(vp.frame(vp.request("inv%d" % i, "INVITE", "3021%04d" % (i % 10000)).encode(),
                                router_mac))
    return out


def call_id(payload):
    return (vp.header(payload, "Call-ID", "i") or b"").split(b"@")[0].decode(errors="replace")


def check(sent_path, got_path, router_mac):
    sent = {"invite": set(), "bye": set()}
    for fr in vp.read_pcap(sent_path):
        cid = call_id(fr[42:])[3:]  # "vp-NAME"
        sent["invite" if cid.startswith("inv") else "bye"].add(cid)
    res = {"sent_invite": len(sent["invite"]), "sent_bye": len(sent["bye"]),
           "fwd_bye": 0, "r302": 0, "r503": 0}
    problems, seen = [], set()
    for fr in vp.read_pcap(got_path):
        try:
            dst, _, payload = vp.parse_frame(fr, router_mac)
        except ValueError as e:
            problems.append(str(e))
            continue
        cid = call_id(payload)[3:]
        if cid in seen:
            problems.append("%s: answered twice" % cid)
        seen.add(cid)
        line = payload.split(b"\r\n", 1)[0]
        if line.startswith(b"BYE ") and dst == vp.GW_IP and cid in sent["bye"]:
            res["fwd_bye"] += 1
        elif line.startswith(b"SIP/2.0 302 ") and cid in sent["invite"]:
            res["r302"] += 1
        elif line.startswith(b"SIP/2.0 503 ") and cid in sent["invite"]:
            if vp.header(payload, "Retry-After") != b"5":
                problems.append("%s: 503 without Retry-After: 5" % cid)
            res["r503"] += 1
        else:
            problems.append("%s: unexpected %r to %s" % (cid, line, dst))
    res["problems"] = problems[:10]
    print(json.dumps(res))
    return 0 if not problems else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--out", required=True)
    g.add_argument("--router-mac", required=True)
    g.add_argument("--count", type=int, default=20000)
    c = sub.add_parser("check")
    c.add_argument("--sent", required=True)
    c.add_argument("--got", required=True)
    c.add_argument("--router-mac", required=True)
    a = ap.parse_args()
    if a.cmd == "gen":
        vp.write_pcap(a.out, frames(a.router_mac, a.count))
        return 0
    return check(a.sent, a.got, a.router_mac)


if __name__ == "__main__":
    sys.exit(main())
