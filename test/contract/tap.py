#!/usr/bin/env python3
"""tap.py: a recording relay between the FDW and Prism, for the contract tests.

    tap.py serve UPSTREAM --port-file FILE --record FILE
    tap.py log [--ack]        # print the record since the last clear
                              # (psql: \\! python3 test/contract/tap.py log)
    tap.py clear              # start a new view: log prints only what follows

`serve` listens on a free loopback port (written to --port-file as
http://127.0.0.1:PORT) and passes every request, byte for byte (method, raw
path and query, headers, body), to UPSTREAM (Prism) and Prism's answer back.
It changes nothing; it only writes one JSON line per exchange to the record,
before answering, so the record is complete when the FDW's statement ends:

  {"seq", "method", "target", "body", "auth", "status", "problem"}

  auth     "email+key", "bearer", "both" or "none": which credential style the
           FDW sent (never the credentials themselves)
  problem  null, or what Prism said about the exchange: the title and
           validation messages of its own application/problem+json answer
           (401/422, or 500 under --errors), else its sl-violations header
           (the mock's documented 4XX answers carry one).  A problem means
           Prism found a request or a response that breaks Cloudflare's
           OpenAPI document.

Prism's log says only that something failed and on which path; the tap gives
check.py the request and Prism's violation text.  One upstream connection per
request: Prism's keep-alive timeout (5 s) would otherwise race the relay.

`log` prints one line per exchange, for the pg_regress files:
  METHOD target[ body] (auth) -> STATUS[ prism: problem]
With --ack, the problems it prints are acknowledged: a test that shows a
refusal in its expected output (and so asserts it) marks it as deliberate, and
check.py fails on every problem that no test acknowledged.

The record is $CF_CONTRACT_TAP_RECORD (log, clear) or --record (serve).  It
only grows, so that check.py sees every exchange: `clear` writes the last
sequence number to <record>.mark and `log` starts after it; the
acknowledgements go to <record>.ack.
"""

import argparse
import http.client
import http.server
import json
import os
import socket
import sys
import threading
import urllib.parse

HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
       "expect", "content-length"}


def auth_style(headers):
    email = headers.get("X-Auth-Email") is not None or headers.get("X-Auth-Key") is not None
    bearer = (headers.get("Authorization") or "").startswith("Bearer ")
    return "both" if email and bearer else "email+key" if email else "bearer" if bearer else "none"


def summarize(violations, limit=4):
    msgs = ["%s %s: %s" % (x.get("severity", "?"), "/".join(map(str, x.get("location", []))), x.get("message", ""))
            for x in violations]
    more = " (and %d more)" % (len(msgs) - limit) if len(msgs) > limit else ""
    return "; ".join(msgs[:limit]) + more


def prism_problem(headers, ctype, raw):
    """Prism's verdict on an exchange, as one line of text, or None: the
    title and validation messages of its application/problem+json answer,
    else its sl-violations header (which Prism truncates when long)."""
    if ctype.startswith("application/problem+json"):
        try:
            p = json.loads(raw)
            text = p.get("title", "problem")
            if p.get("validation"):
                text += ": " + summarize(p["validation"])
            return text
        except ValueError:
            return raw[:300].decode("utf-8", "replace")
    v = headers.get("sl-violations")
    if v:
        try:
            return summarize(json.loads(v))
        except ValueError:
            return v[:600]
    return None


class Tap(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, upstream, record):
        super().__init__(addr, Handler)
        u = urllib.parse.urlsplit(upstream)
        self.up_host, self.up_port = u.hostname, u.port or 80
        self.up_prefix = u.path.rstrip("/")
        self.record = record
        self.lock = threading.Lock()
        self.seq = 0

    def write(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            with open(self.record, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else None

    def relay(self):
        srv = self.server
        body = self.read_body()
        entry = {"method": self.command, "target": self.path,
                 "body": body.decode("utf-8", "replace") if body is not None else None,
                 "auth": auth_style(self.headers)}
        try:
            c = http.client.HTTPConnection(srv.up_host, srv.up_port, timeout=300)
            c.connect()
            c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c.putrequest(self.command, srv.up_prefix + self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP:
                    c.putheader(k, v)
            if body is not None:
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body)
            r = c.getresponse()
            raw = r.read()
            status, reason, headers = r.status, r.reason, r.getheaders()
            c.close()
        except OSError as e:
            status, reason, raw = 502, "Bad Gateway", ("tap: upstream unreachable: %s" % e).encode()
            headers = [("Content-Type", "text/plain")]
            entry["problem"] = "tap: upstream unreachable: %s" % e
        hmap = {k.lower(): v for k, v in headers}
        entry["status"] = status
        if "problem" not in entry:
            entry["problem"] = prism_problem(hmap, hmap.get("content-type", ""), raw)
        srv.write(entry)

        # One write for the whole answer: headers and body in separate
        # segments would meet the client's delayed ACK (40 ms a request).
        out = ["HTTP/1.1 %d %s" % (status, reason)]
        out += ["%s: %s" % (k, v) for k, v in headers if k.lower() not in HOP]
        no_body = status in (204, 304) or 100 <= status < 200 or self.command == "HEAD"
        if not no_body:
            out.append("Content-Length: %d" % len(raw))
        if self.close_connection:
            out.append("Connection: close")
        self.wfile.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + (b"" if no_body else raw))
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = relay


def serve(args):
    open(args.record, "a").close()
    srv = Tap(("127.0.0.1", 0), args.upstream, args.record)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("http://127.0.0.1:%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def record_path():
    p = os.environ.get("CF_CONTRACT_TAP_RECORD")
    if not p:
        sys.stderr.write("tap.py: CF_CONTRACT_TAP_RECORD is not set\n")
        sys.exit(2)
    return p


def read_record(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def mark(path):
    try:
        with open(path + ".mark") as f:
            return int(f.read().strip() or 0)
    except FileNotFoundError:
        return 0


def log(args):
    path = record_path()
    acks = []
    since = mark(path)
    for e in read_record(path):
        if e["seq"] <= since:
            continue
        line = "%s %s" % (e["method"], e["target"])
        if e["body"] is not None:
            line += " " + e["body"].replace("\r", "\\r").replace("\n", "\\n")
        line += " (%s) -> %d" % (e["auth"], e["status"])
        if e["problem"]:
            line += " prism: " + e["problem"]
            acks.append(e["seq"])
        print(line)
    if args.ack and acks:
        with open(path + ".ack", "a") as f:
            f.write("".join("%d\n" % n for n in acks))
    return 0


def clear(args):
    path = record_path()
    entries = read_record(path)
    with open(path + ".mark", "w") as f:
        f.write("%d\n" % (entries[-1]["seq"] if entries else 0))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(prog="tap.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("upstream")
    s.add_argument("--port-file", required=True)
    s.add_argument("--record", required=True)
    s.set_defaults(fn=serve)
    lg = sub.add_parser("log")
    lg.add_argument("--ack", action="store_true")
    lg.set_defaults(fn=log)
    sub.add_parser("clear").set_defaults(fn=clear)
    args = ap.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
