#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A SIP gateway over TLS (or TCP) for the integration tests: answers every
request but ACK with a final response (200 by default), statelessly, on the
connection it came on (RFC 3261 §18.2.2), and logs one JSON line per
request (method, Request-URI, Vias, Record-Routes, Max-Forwards, the
client's SNI) to --log.

  tlsgw.py --bind IP --port N [--cert F --key F] [--status 200] --log FILE
"""

import argparse
import json
import re
import socket
import ssl
import sys
import threading


def read_msg(conn, buf):
    """One SIP message framed by Content-Length (leading CRLFs skipped); (msg, rest) or (None, b'')."""
    while True:
        buf = buf.lstrip(b"\r\n")
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].decode("latin1")
            m = re.search(r"(?im)^(content-length|l)[ \t]*:[ \t]*(\d+)", head)
            blen = int(m.group(2)) if m else 0
            if len(buf) >= end + 4 + blen:
                return buf[:end + 4 + blen], buf[end + 4 + blen:]
        try:
            data = conn.recv(65536)
        except (OSError, ssl.SSLError):
            return None, b""
        if not data:
            return None, b""
        buf += data


def answer(msg, status):
    head = msg.split(b"\r\n\r\n", 1)[0].decode("latin1").split("\r\n")
    keep = []
    for line in head[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if name in ("via", "v", "from", "f", "call-id", "i", "cseq"):
            keep.append(line)
        elif name in ("to", "t"):
            keep.append(line if ";tag=" in line else line + ";tag=tlsgw1")
        elif name in ("record-route",):
            keep.append(line)
    reason = {200: "OK", 486: "Busy Here"}.get(status, "Answer")
    return ("SIP/2.0 %d %s\r\n%s\r\nContent-Length: 0\r\n\r\n" % (status, reason, "\r\n".join(keep))).encode()


def serve(conn, addr, a, lock, sni):
    buf = b""
    while True:
        msg, buf = read_msg(conn, buf)
        if msg is None:
            break
        first = msg.split(b"\r\n", 1)[0].decode("latin1")
        if first.startswith("SIP/2.0"):
            continue
        head = msg.split(b"\r\n\r\n", 1)[0].decode("latin1")
        rec = {"request": first, "peer": "%s:%d" % addr[:2], "sni": sni.get(id(conn)),
               "vias": len(re.findall(r"(?im)^(via|v)[ \t]*:", head)),
               "record_route": re.findall(r"(?im)^record-route[ \t]*:[ \t]*(.*)$", head),
               "max_forwards": (re.findall(r"(?im)^max-forwards[ \t]*:[ \t]*(\d+)", head) or [None])[0]}
        with lock:
            with open(a.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if first.startswith("ACK "):
            continue
        try:
            conn.sendall(answer(msg, a.status))
        except OSError:
            break
    conn.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--status", type=int, default=200)
    p.add_argument("--log", required=True)
    a = p.parse_args()
    ctx = None
    sni = {}
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(a.cert, a.key)
        ctx.sni_callback = lambda s, name, c: sni.__setitem__(id(s), name)
    ls = socket.socket(socket.AF_INET6 if ":" in a.bind else socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(64)
    print("listening", flush=True)
    lock = threading.Lock()
    while True:
        conn, addr = ls.accept()
        if ctx is not None:
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as e:
                print("handshake failed from %s: %s" % (addr[0], e), file=sys.stderr, flush=True)
                continue
        threading.Thread(target=serve, args=(conn, addr, a, lock, sni), daemon=True).start()


if __name__ == "__main__":
    main()
