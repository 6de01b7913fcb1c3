#!/usr/bin/env python3
"""A loopback upstream for the overload and soak runs (stdlib only).

Listens on 127.0.0.1, a free port, HTTP/1.1 keep-alive, one thread per
connection, and writes its port to the file given as argv[1].
  /delay?ms=M   "ok" after M ms
  /bytes?n=N    N bytes of 'x'
"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits for
    # the client's delayed ACK (~40 ms on a reused connection).
    disable_nagle_algorithm = True

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path == "/delay":
            time.sleep(int(q.get("ms", ["0"])[0]) / 1000)
            body = b"ok"
        elif u.path == "/bytes":
            body = b"x" * int(q.get("n", ["0"])[0])
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


if __name__ == "__main__":
    srv = Server(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(srv.server_address[1]))
    srv.serve_forever()
