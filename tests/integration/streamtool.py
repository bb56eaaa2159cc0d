#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""SIP over TCP/TLS clients for test_stream.sh (python3 socket + ssl: a TLS
and digest implementation that is not ours).

  streamtool.py register --src IP --dst IP --port P --transport tcp|tls
        --domain D --user U --password P [--alg A] [--ca F] [--cert F --key F]
        [--servername N] [--expires N] [--reg-id N] [--pause-file F]
      Challenge then credentials on one connection. Prints "status N" per
      answer, "serial HEX" (TLS: the server certificate's serial) and
      "local PORT". With --pause-file: after the 200 it waits for the file,
      then registers again on the same connection (prints again). Exit 0 if
      every REGISTER got 200; 1 if an answer was not 200; 3 if the
      connection or the handshake was refused (no SIP answer at all).

  streamtool.py pipeline --src IP --dst IP --port P --domain D
      A CRLFCRLF ping, then two REGISTERs (no credentials) in one write:
      prints "pong" and "status N cseq N" per answer.

  streamtool.py slowloris --src IP --dst IP --port P --interval S
      Sends a REGISTER one byte every S seconds; prints "closed after T"
      when the server closes the connection (exit 0), exit 1 if it could
      send the whole message.

  streamtool.py flood --src IP --dst IP --port P --count N --hold S
      Opens N connections at once, keeps them S seconds; prints "open K"
      (still open after 1 s: not closed by the server) and exits 0.

  streamtool.py fallback --src IP --dst IP --domain D --user U --password P
        --listen-port L
      A 401 on one connection; the credentials on a second one, closed at
      once: the 200 must come on a new connection the server opens to the
      Via sent-by port L (RFC 3261 §18.2.2). Exit 0 if it does.

  streamtool.py raw --src IP --dst IP --port P --data HEXSTRING
      Sends bytes, prints what comes back until the server closes (or 3 s).
"""
import argparse
import hashlib
import os
import re
import socket
import ssl
import sys
import time

HASH = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def H(alg, s):
    return hashlib.new(HASH[alg], s.encode()).hexdigest()


class Conn:
    def __init__(self, a):
        self.a = a
        # A SYN lost on a loaded host (af_packet under the dataplane's busy
        # polling) is retried by the kernel after 1, 3, 7 s: a fresh socket
        # after 5 s keeps one loss from costing the whole test.
        for attempt in range(3):
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.bind((a.src, 0))
            raw.settimeout(5)
            try:
                raw.connect((a.dst, a.port))
                break
            except socket.timeout:
                raw.close()
                if attempt == 2:
                    raise
                print("connect attempt %d timed out" % (attempt + 1), file=sys.stderr)
        self.local = raw.getsockname()[1]
        self.s = raw
        self.serial = ""
        if getattr(a, "transport", "tcp") == "tls":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.check_hostname = False
            if a.ca:
                ctx.load_verify_locations(a.ca)
                ctx.verify_mode = ssl.CERT_REQUIRED
            else:
                ctx.verify_mode = ssl.CERT_NONE
            if a.cert:
                ctx.load_cert_chain(a.cert, a.key)
            self.s = ctx.wrap_socket(raw, server_hostname=a.servername or None)
            der = self.s.getpeercert(binary_form=True)
            self.serial = peer_serial(der)
        self.buf = b""

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except (ssl.SSLError, ConnectionError, OSError) as e:
            print("send failed: %s" % e)
            return False

    def read_msg(self, timeout=10.0):
        """One framed message (or b"\\r\\n" for a pong); None on EOF/time-out."""
        end = time.time() + timeout
        self.why = ""
        while True:
            if self.buf.startswith(b"\r\n"):
                self.buf = self.buf[2:]
                return b"\r\n"
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                m = re.search(rb"\r\n(?:content-length|l)\s*:\s*(\d+)", self.buf[:i + 2], re.I)
                n = int(m.group(1)) if m else 0
                if len(self.buf) >= i + 4 + n:
                    msg = self.buf[:i + 4 + n]
                    self.buf = self.buf[i + 4 + n:]
                    return msg
            left = end - time.time()
            if left <= 0:
                self.why = "no answer within %.0f s" % timeout
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except (socket.timeout, ssl.SSLError, ConnectionError, OSError) as e:
                self.why = "%s after %.1f s" % (e, timeout - left)
                return None
            if not d:
                self.why = "EOF after %.1f s" % (timeout - left)
                return None
            self.buf += d


def peer_serial(der):
    """The serial of a DER certificate, in upper-case hex (no leading zeros)."""
    # A certificate: SEQ { SEQ (tbs) { [0] version?, INTEGER serial, ... } }
    def tlv(b, i):
        t = b[i]
        ln = b[i + 1]
        i += 2
        if ln & 0x80:
            k = ln & 0x7f
            ln = int.from_bytes(b[i:i + k], "big")
            i += k
        return t, i, ln
    _, i, _ = tlv(der, 0)
    _, i, _ = tlv(der, i)
    t, j, ln = tlv(der, i)
    if t == 0xa0:
        i = j + ln
        t, j, ln = tlv(der, i)
    return ("%X" % int.from_bytes(der[j:j + ln], "big"))


def register_msg(a, c, cseq, auth="", via_port=0):
    tp = a.transport.upper()
    contact = "<sip:%s@%s:%d;transport=%s>" % (a.user, a.src, c.local, a.transport)
    if a.reg_id:
        contact += (';+sip.instance="<urn:uuid:00000000-0000-4000-8000-%012d>";reg-id=%d'
                    % (a.reg_id, a.reg_id))
    return ("REGISTER sip:%s SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%s%d\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s@%s>;tag=f%d\r\n"
            "To: <sip:%s@%s>\r\n"
            "Call-ID: st-%s-%d\r\n"
            "CSeq: %d REGISTER\r\n"
            "Contact: %s\r\n"
            "Supported: path, outbound\r\n"
            "Expires: %d\r\n"
            "%s"
            "Content-Length: 0\r\n\r\n" % (a.domain, tp, a.src, via_port or c.local, a.user, cseq, a.user,
                                           a.domain, c.local, a.user, a.domain, a.user, c.local,
                                           cseq, contact, a.expires, auth)).encode()


def credentials(resp, alg, user, password, ruri):
    for line in resp.split("\r\n"):
        if line.lower().startswith("www-authenticate:") and \
                re.search(r"algorithm=\"?%s\"?(,|$| )" % re.escape(alg), line):
            realm = re.search(r'realm="([^"]*)"', line).group(1)
            nonce = re.search(r'nonce="([^"]*)"', line).group(1)
            ha1 = H(alg, "%s:%s:%s" % (user, realm, password))
            ha2 = H(alg, "REGISTER:%s" % ruri)
            r = H(alg, "%s:%s:%s:%s:auth:%s" % (ha1, nonce, "00000001", "c0ffee", ha2))
            return ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                    'response="%s", algorithm=%s, cnonce="c0ffee", qop=auth, nc=00000001\r\n'
                    % (user, realm, nonce, ruri, r, alg))
    return None


def status(msg):
    m = re.match(rb"SIP/2.0 (\d{3})", msg or b"")
    return int(m.group(1)) if m else 0


def one_register(a, c, cseq):
    if not c.send(register_msg(a, c, cseq)):
        return 3
    r = c.read_msg()
    while r == b"\r\n":
        r = c.read_msg()
    st = status(r)
    print("status %d" % st, flush=True)
    if r is None:
        print("no answer: %s" % c.why)
    if st == 401:
        auth = credentials(r.decode(errors="replace"), a.alg, a.user, a.password,
                           "sip:%s" % a.domain)
        if auth is None:
            print("no %s challenge" % a.alg)
            return 1
        if not c.send(register_msg(a, c, cseq + 1, auth)):
            return 3
        r = c.read_msg()
        st = status(r)
        print("status %d" % st, flush=True)
        if r:
            for line in r.decode(errors="replace").split("\r\n"):
                if line.lower().startswith("contact:"):
                    print(line)
    if r is None:
        return 3 if cseq == 1 else 1
    return 0 if st == 200 else 1


def cmd_register(a):
    try:
        c = Conn(a)
    except (ssl.SSLError, ConnectionError, OSError) as e:
        print("refused: %s" % e)
        return 3
    print("local %d" % c.local)
    if c.serial:
        print("serial %s" % c.serial)
    rc = one_register(a, c, 1)
    if rc != 0 or not a.pause_file:
        return rc
    end = time.time() + 60
    while not os.path.exists(a.pause_file) and time.time() < end:
        time.sleep(0.05)
    return one_register(a, c, 10)


def cmd_fallback(a):
    """The answer to a REGISTER whose connection is gone comes on a new
    connection to the Via sent-by port (RFC 3261 §18.2.2)."""
    a.transport = "tcp"
    a.reg_id = 0
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((a.src, a.listen_port))
    lst.listen(4)
    c = Conn(a)
    c.send(register_msg(a, c, 1, via_port=a.listen_port))
    r = c.read_msg()
    if status(r) != 401:
        print("first answer: %d (%s)" % (status(r), c.why))
        return 1
    auth = credentials(r.decode(errors="replace"), a.alg, a.user, a.password,
                       "sip:%s" % a.domain)
    c.s.close()
    c2 = Conn(a)
    c2.send(register_msg(a, c2, 2, auth, via_port=a.listen_port))
    c2.s.close()  # gone before the answer (it waits for the group commit)
    lst.settimeout(10)
    try:
        s, peer = lst.accept()
    except socket.timeout:
        print("no connection to the sent-by port")
        return 1
    print("connection from %s:%d" % peer)
    n = Conn.__new__(Conn)
    n.s, n.buf, n.why = s, b"", ""
    r = n.read_msg()
    print("status %d on the new connection (%s)" % (status(r), n.why or "ok"))
    return 0 if status(r) == 200 else 1


def cmd_pipeline(a):
    a.transport = "tcp"
    a.user = "pipe"
    a.reg_id = 0
    a.expires = 600
    c = Conn(a)
    c.send(b"\r\n\r\n" + register_msg(a, c, 1) + register_msg(a, c, 2))
    got = 0
    while got < 3:
        r = c.read_msg()
        if r is None:
            break
        got += 1
        if r == b"\r\n":
            print("pong")
        else:
            m = re.search(rb"\r\nCSeq:\s*(\d+)", r)
            print("status %d cseq %s" % (status(r), m.group(1).decode() if m else "?"))
    return 0


def cmd_slowloris(a):
    a.transport = "tcp"
    a.user = "slow"
    a.reg_id = 0
    a.expires = 600
    c = Conn(a)
    msg = register_msg(a, c, 1)
    t0 = time.time()
    for i in range(len(msg)):
        try:
            c.s.send(msg[i:i + 1])
        except OSError:
            print("closed after %.1f" % (time.time() - t0))
            return 0
        # A closed connection shows as EOF on a read.
        c.s.settimeout(a.interval)
        try:
            d = c.s.recv(4096)
            if not d:
                print("closed after %.1f" % (time.time() - t0))
                return 0
        except socket.timeout:
            pass
        except OSError:
            print("closed after %.1f" % (time.time() - t0))
            return 0
    print("sent the whole message in %.1f s without being closed" % (time.time() - t0))
    return 1


def cmd_flood(a):
    socks = []
    for _ in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((a.src, 0))
        s.settimeout(5)
        try:
            s.connect((a.dst, a.port))
            socks.append(s)
        except OSError:
            s.close()
    time.sleep(1)
    alive = 0
    for s in socks:
        s.setblocking(False)
        try:
            d = s.recv(1)
            if d:
                alive += 1  # something sent to us: still open
        except BlockingIOError:
            alive += 1      # nothing to read and no EOF: open
        except OSError:
            pass
    print("open %d" % alive, flush=True)
    time.sleep(max(0.0, a.hold - 1))
    for s in socks:
        s.close()
    return 0


def cmd_raw(a):
    a.transport = "tcp"
    c = Conn(a)
    c.send(bytes.fromhex(a.data))
    end = time.time() + 3
    out = b""
    c.s.settimeout(0.5)
    while time.time() < end:
        try:
            d = c.s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not d:
            out += b"<EOF>"
            break
        out += d
    sys.stdout.write(out.decode(errors="replace"))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("register", "pipeline", "slowloris", "flood", "raw", "fallback"):
        q = sub.add_parser(name)
        q.add_argument("--src", required=True)
        q.add_argument("--dst", required=True)
        q.add_argument("--port", type=int, default=5060)
        q.add_argument("--domain", default="example.com")
    r = sub.choices["register"]
    r.add_argument("--transport", choices=("tcp", "tls"), default="tcp")
    r.add_argument("--user", required=True)
    r.add_argument("--password", required=True)
    r.add_argument("--alg", default="SHA-256", choices=sorted(HASH))
    r.add_argument("--ca")
    r.add_argument("--cert")
    r.add_argument("--key")
    r.add_argument("--servername")
    r.add_argument("--expires", type=int, default=600)
    r.add_argument("--reg-id", type=int, default=0)
    r.add_argument("--pause-file")
    sub.choices["slowloris"].add_argument("--interval", type=float, default=0.5)
    f = sub.choices["fallback"]
    f.add_argument("--user", required=True)
    f.add_argument("--password", required=True)
    f.add_argument("--alg", default="SHA-256", choices=sorted(HASH))
    f.add_argument("--expires", type=int, default=600)
    f.add_argument("--listen-port", type=int, required=True)
    sub.choices["flood"].add_argument("--count", type=int, required=True)
    sub.choices["flood"].add_argument("--hold", type=float, default=5)
    sub.choices["raw"].add_argument("--data", required=True)
    a = p.parse_args()
    return {"register": cmd_register, "pipeline": cmd_pipeline, "slowloris": cmd_slowloris,
            "flood": cmd_flood, "raw": cmd_raw, "fallback": cmd_fallback}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
