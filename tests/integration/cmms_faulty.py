#!/usr/bin/env python3
"""A CMMS stand-in that misbehaves on purpose, for twin-ticket's tests.

  cmms_faulty.py serve PORTFILE [--no-idem] [--faults F1,F2,...]
                               [--tls CERT KEY]
      Serve a json-server-like work order API on 127.0.0.1 on a free port
      (written to PORTFILE): POST /workorders, PATCH /workorders/ID,
      GET /workorders?id=ID.  With idempotency (the default) a repeated
      Idempotency-Key gets the first reply again and creates nothing;
      with --no-idem every POST creates a record, as a CMMS without
      idempotency support would.  --tls serves HTTPS with CERT and KEY.  Each write request (POST or PATCH) takes
      the next fault from the list, if any:
        503       refuse with 503 and Retry-After: 1 (nothing stored)
        429       refuse with 429, no Retry-After (nothing stored)
        500       store, then answer 500
        timeout   store, then answer after 3 s
        reset     store, then reset the connection without an answer
        big       store, then answer 201 with a 10 MB body
        drip      store, then answer 201 one byte every 0.3 s
        redirect  answer 307 to the same path on 127.0.0.2 (another host)
        hang      store, touch PORTFILE.hang, answer after 60 s
      GET /_state gives {"workorders": [...], "writes": N, "faults": [...],
      "auth": [the Authorization headers seen]};
      POST /_faults with a JSON list replaces the faults to come.
  cmms_faulty.py gen [--asset A] [--start EPOCH] [--step S] PATTERN
      Print score records; PATTERN is a comma list of SCORE[:SEV]xCOUNT.
  cmms_faulty.py
      Self-test: serve, send the same POST twice, expect one work order.
"""
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Store:
    def __init__(self, idem, faults):
        self.lock = threading.Lock()
        self.idem = idem
        self.faults = list(faults)
        self.workorders = []
        self.replies = {}
        self.writes = 0
        self.auth = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store = None
    portfile = None

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj=None, headers=None, raw=None):
        body = raw if raw is not None else (
            b"" if obj is None else json.dumps(obj).encode())
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n else b""
        return json.loads(data) if data else {}

    def do_GET(self):
        u = urlsplit(self.path)
        s = self.store
        with s.lock:
            if u.path == "/_state":
                self.reply(200, {"workorders": s.workorders,
                                 "writes": s.writes, "faults": s.faults,
                                 "auth": s.auth})
                return
            if u.path == "/workorders":
                q = parse_qs(u.query)
                ids = q.get("id", [])
                self.reply(200, [w for w in s.workorders
                                 if not ids or w.get("id") in ids])
                return
        self.reply(404, {"message": "no such resource"})

    def fault(self):
        s = self.store
        with s.lock:
            s.writes += 1
            a = self.headers.get("Authorization")
            if a and a not in s.auth:
                s.auth.append(a)
            return s.faults.pop(0) if s.faults else None

    def misbehave(self, f, code, obj):
        """Answer per the fault f; the work is already done."""
        if f == "500":
            self.reply(500, {"message": "internal error"})
        elif f == "timeout":
            time.sleep(3)
            self.reply(code, obj)
        elif f == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif f == "big":
            self.reply(code, raw=b"[" + b" " * (10 * 1024 * 1024) + b"]")
        elif f == "drip":
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass
            self.close_connection = True
        elif f == "hang":
            with open(self.portfile + ".hang", "w") as fh:
                fh.write("posted\n")
            time.sleep(60)
            try:
                self.reply(code, obj)
            except OSError:
                pass
        else:
            self.reply(code, obj)

    def refused(self, f):
        if f == "503":
            self.reply(503, {"message": "maintenance"},
                       {"Retry-After": "1"})
        elif f == "429":
            self.reply(429, {"message": "slow down"})
        elif f == "redirect":
            port = self.server.server_address[1]
            self.reply(307, {"message": "moved"}, {
                "Location": "http://127.0.0.2:%d%s" % (port, self.path)})
        else:
            return False
        return True

    def do_POST(self):
        s = self.store
        if urlsplit(self.path).path == "/_faults":
            faults = self.body()
            with s.lock:
                s.faults = list(faults)
            self.reply(200, {"faults": faults})
            return
        if urlsplit(self.path).path != "/workorders":
            self.reply(404, {"message": "no such resource"})
            return
        f = self.fault()
        body = self.body()
        if self.refused(f):
            return
        key = self.headers.get("Idempotency-Key")
        with s.lock:
            if s.idem and key and key in s.replies:
                code, obj = 201, s.replies[key]
            elif not isinstance(body, dict) or "asset" not in body:
                code, obj = 422, {"message": "asset is required"}
            else:
                wo = dict(body)
                wo.setdefault("id", "wo-%d" % (len(s.workorders) + 1))
                wo["events"] = [wo.get("last_event", "open")]
                s.workorders.append(wo)
                code, obj = 201, wo
                if key:
                    s.replies[key] = wo
        self.misbehave(f, code, obj)

    def do_PATCH(self):
        s = self.store
        u = urlsplit(self.path)
        parts = u.path.split("/")
        f = self.fault()
        body = self.body()
        if self.refused(f):
            return
        if len(parts) != 3 or parts[1] != "workorders":
            self.reply(404, {"message": "no such resource"})
            return
        key = self.headers.get("Idempotency-Key")
        with s.lock:
            found = [w for w in s.workorders if w.get("id") == parts[2]]
            if not found:
                code, obj = 404, {"message": "no work order %s" % parts[2]}
            elif s.idem and key and key in s.replies:
                code, obj = 200, s.replies[key]
            else:
                for w in found:
                    w.update(body)
                    w["events"].append(body.get("last_event", "update"))
                code, obj = 200, found[0]
                if key:
                    s.replies[key] = found[0]
        self.misbehave(f, code, obj)


def serve(portfile, idem, faults, tls=None):
    Handler.store = Store(idem, faults)
    Handler.portfile = portfile
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % srv.server_address[1])
    os.rename(tmp, portfile)
    return srv


def rfc3339(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


def gen(args):
    asset, start, step, cls = "P-103", 1798000000, 600, "centrifugal_pump"
    mode, pattern = "bearing_outer_race", None
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--asset", "--start", "--step", "--mode", "--class"):
            v = args[i + 1]
            if a == "--asset":
                asset = v
            elif a == "--start":
                start = int(v)
            elif a == "--step":
                step = int(v)
            elif a == "--mode":
                mode = v
            else:
                cls = v
            i += 2
        else:
            pattern = a
            i += 1
    t = start
    for part in pattern.split(","):
        spec, count = part.split("x")
        sc, _, sev = spec.partition(":")
        sc = float(sc)
        sev = sev or ("alarm" if sc >= 0.95 else "warning" if sc >= 0.8
                      else "watch" if sc >= 0.6 else "normal")
        for _ in range(int(count)):
            ts = rfc3339(t)
            p = 0.8 if sc >= 0.6 else 0.2
            rec = {
                "kind": "score", "ts": ts, "tenant": "acme",
                "site": "plant1", "asset": asset, "class": cls,
                "score": sc, "band": [round(max(0.0, sc - 0.04), 3),
                                      round(min(1.0, sc + 0.04), 3)],
                "severity": sev,
                "modes": [{"mode": mode, "p": p, "evidence": [
                    {"feature": "vibration.de.x:env_bpfo",
                     "value": round(1 + 6 * sc, 3), "baseline": 1.0,
                     "z": round(8 * sc, 3)}]}],
                "contrib": [
                    {"feature": "vibration.de.x:env_bpfo",
                     "value": round(1 + 6 * sc, 3), "baseline": 1.0,
                     "z": round(8 * sc, 3), "share": 0.6},
                    {"feature": "vibration.de.x:kurtosis",
                     "value": round(3 + 4 * sc, 3), "baseline": 3.0,
                     "z": round(4 * sc, 3), "share": 0.25}],
                "dq": {"flags": []},
                "prov": {"src": ["sim:plant1"], "from": rfc3339(t - step),
                         "to": ts, "model_sha256": "a" * 64,
                         "spec_sha256": "b" * 64, "twin_score": "0.1.0"}}
            print(json.dumps(rec, separators=(",", ":")))
            t += step


def selftest():
    d = "/tmp/cmms_faulty.%d" % os.getpid()
    srv = serve(d, True, [])
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % srv.server_address[1]
    try:
        for _ in range(2):
            req = urllib.request.Request(
                url + "/workorders", method="POST",
                data=json.dumps({"id": "k1", "asset": "P-1"}).encode(),
                headers={"Idempotency-Key": "k1",
                         "Content-Type": "application/json"})
            urllib.request.urlopen(req).read()
        st = json.load(urllib.request.urlopen(url + "/_state"))
        n = len(st["workorders"])
        if n == 1:
            print("ok - cmms_faulty: a repeated Idempotency-Key creates "
                  "one work order")
        else:
            print("not ok - cmms_faulty: %d work orders for one key" % n)
    finally:
        srv.shutdown()
        os.unlink(d)


def main():
    if len(sys.argv) < 2:
        selftest()
        return
    if sys.argv[1] == "gen":
        gen(sys.argv[2:])
        return
    if sys.argv[1] != "serve" or len(sys.argv) < 3:
        sys.exit(__doc__)
    idem, faults, tls = True, [], None
    rest = sys.argv[3:]
    while rest:
        if rest[0] == "--no-idem":
            idem = False
            rest = rest[1:]
        elif rest[0] == "--tls" and len(rest) > 2:
            tls = (rest[1], rest[2])
            rest = rest[3:]
        elif rest[0] == "--faults" and len(rest) > 1:
            faults = [f for f in rest[1].split(",") if f]
            rest = rest[2:]
        else:
            sys.exit(__doc__)
    srv = serve(sys.argv[2], idem, faults, tls)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
