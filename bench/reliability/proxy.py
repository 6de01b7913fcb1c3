#!/usr/bin/env python3
"""A forward proxy for the mixed soak (stdlib asyncio, loopback only).

Listens on a free 127.0.0.1 port and writes it to the file given as argv[1].
  CONNECT host:port          a tunnel (https), after "200 Connection established"
  GET http://host:port/path  absolute form (http): forwarded in origin form on a
                             connection of its own, the answer relayed with
                             "Connection: close" (one request per client connection)
  GET /stats                 {"connects","http_requests","refused","failed","open"}
Targets outside 127.0.0.0/8 and ::1 are refused with 403.
"""
import asyncio
import ipaddress
import json
import sys
from urllib.parse import urlsplit

counts = {"connects": 0, "http_requests": 0, "refused": 0, "failed": 0, "open": 0}


def loopback(host):
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass


async def answer(writer, status, body=b""):
    writer.write(b"HTTP/1.1 %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (status, len(body), body))
    await writer.drain()


async def tunnel(reader, writer, target):
    host, _, port = target.rpartition(":")
    if not loopback(host):
        counts["refused"] += 1
        await answer(writer, b"403 Forbidden")
        return
    try:
        up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
    except OSError:
        counts["failed"] += 1
        await answer(writer, b"502 Bad Gateway")
        return
    counts["connects"] += 1
    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await writer.drain()
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
    up_writer.close()


async def forward(reader, writer, method, target, version, fields):
    u = urlsplit(target)
    if u.scheme != "http" or not loopback(u.hostname or ""):
        counts["refused"] += 1
        await answer(writer, b"403 Forbidden")
        return
    length = 0
    kept = []
    for name, value in fields:
        low = name.lower()
        if low == "content-length":
            length = int(value)
        if low in ("connection", "proxy-connection", "proxy-authorization", "keep-alive"):
            continue
        kept.append(f"{name}: {value}")
    body = await reader.readexactly(length) if length else b""
    try:
        up_reader, up_writer = await asyncio.open_connection(u.hostname, u.port or 80)
    except OSError:
        counts["failed"] += 1
        await answer(writer, b"502 Bad Gateway")
        return
    counts["http_requests"] += 1
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    head = [f"{method} {path} {version}"] + kept + ["Connection: close", "", ""]
    up_writer.write("\r\n".join(head).encode() + body)
    await up_writer.drain()
    # The answer's head without its own Connection field, then the rest as it comes.
    status_head = await up_reader.readuntil(b"\r\n\r\n")
    lines = [line for line in status_head.split(b"\r\n")[:-2] if not line.lower().startswith(b"connection:")]
    writer.write(b"\r\n".join(lines + [b"Connection: close", b"", b""]))
    await pipe(up_reader, writer)
    up_writer.close()


async def serve(reader, writer):
    counts["open"] += 1
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *field_lines = head.decode("latin-1").split("\r\n")[:-2]
        method, target, version = request_line.split(" ", 2)
        fields = [tuple(part.strip() for part in line.split(":", 1)) for line in field_lines]
        if method == "CONNECT":
            await tunnel(reader, writer, target)
        elif target.startswith("/stats"):
            await answer(writer, b"200 OK", json.dumps(counts).encode())
        else:
            await forward(reader, writer, method, target, version, fields)
    except asyncio.IncompleteReadError as e:
        if e.partial:  # a connection closed before its request ended (an idle one closing is no failure)
            counts["failed"] += 1
    except (ConnectionError, asyncio.LimitOverrunError, ValueError):
        counts["failed"] += 1
    finally:
        counts["open"] -= 1
        writer.close()


async def main(port_file):
    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=1024)
    with open(port_file, "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
