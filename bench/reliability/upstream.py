#!/usr/bin/env python3
"""A loopback upstream for the overload and soak runs (stdlib only).

Listens on a free port of a loopback address (argv[2], default 127.0.0.1),
HTTP/1.1 keep-alive, one thread per connection, and writes its port to the
file given as argv[1].
  /delay?ms=M             "ok" after M ms
  /bytes?n=N              N bytes of 'x'
  /gzip?n=N&ms=M          N bytes of text, gzip-encoded (Content-Encoding: gzip), after M ms
  /hang-first?key=K&ms=M  the first request of K: "slow" after M ms, or nothing when the
                          client goes away first (counted as cancelled); later ones "fast" at once
  /stats                  {"requests", "cancelled"} (not counted itself)
"""
import gzip
import ipaddress
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

lock = threading.Lock()
counts = {"requests": 0, "cancelled": 0}
seen_keys = set()
gzip_cache = {}


def gzipped(n):
    with lock:
        if n not in gzip_cache:
            text = b"".join(b"line %d of the soak's gzip body\n" % i for i in range(n // 20 + 1))[:n]
            gzip_cache[n] = gzip.compress(text, 6)
        return gzip_cache[n]


def client_gone(sock, seconds):
    """Waits up to `seconds` for the client to close; true when it did."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        readable, _, _ = select.select([sock], [], [], left)
        if readable:
            try:
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    return True
            except OSError:
                return True
            time.sleep(0.01)  # a pipelined request: not a close
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits for
    # the client's delayed ACK (~40 ms on a reused connection).
    disable_nagle_algorithm = True

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        ms = int(q.get("ms", ["0"])[0])
        fields = {}
        if u.path == "/stats":
            with lock:
                body = ('{"requests":%d,"cancelled":%d}' % (counts["requests"], counts["cancelled"])).encode()
            self.answer(body, {"Content-Type": "application/json"})
            return
        with lock:
            counts["requests"] += 1
        if u.path == "/delay":
            time.sleep(ms / 1000)
            body = b"ok"
        elif u.path == "/bytes":
            body = b"x" * int(q.get("n", ["0"])[0])
        elif u.path == "/gzip":
            time.sleep(ms / 1000)
            body = gzipped(int(q.get("n", ["0"])[0]))
            fields["Content-Encoding"] = "gzip"
        elif u.path == "/hang-first":
            key = q.get("key", [""])[0]
            with lock:
                first = key not in seen_keys
                seen_keys.add(key)
            body = b"fast"
            if first:
                if client_gone(self.connection, ms / 1000):
                    with lock:
                        counts["cancelled"] += 1
                    self.close_connection = True
                    return
                body = b"slow"
        else:
            self.send_error(404)
            return
        self.answer(body, fields)

    def answer(self, body, fields):
        self.send_response(200)
        self.send_header("Content-Type", fields.pop("Content-Type", "text/plain"))
        for name, value in fields.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


if __name__ == "__main__":
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"refusing to listen on {host}: loopback only")
    srv = Server((host, 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(srv.server_address[1]))
    srv.serve_forever()
