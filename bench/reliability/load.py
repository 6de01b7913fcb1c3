#!/usr/bin/env python3
"""Open-loop load on asyncfetch's POST /fetch (stdlib asyncio, loopback only).

Sends `rate` requests per second for `duration` seconds, each on a new
connection, whatever the answers (open loop: a slow service does not slow
the offered load). Samples the service's RSS from /proc. Prints a report and
writes it as JSON; exits 1 when a check fails:
  - lost: a request sent that got no complete HTTP answer (never allowed);
  - --max-rss-growth-mb: end RSS minus RSS after the warm-up;
  - --max-429-p99-ms: the 99th percentile latency of the 429 answers;
  - --no-429: any 429 (steady load below capacity must all be admitted).
"""
import argparse
import asyncio
import json
import sys
import time


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(sorted_values, p):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))
    return round(sorted_values[k], 2)


async def post_fetch(port, body, timeout):
    """(status, answer body, latency ms, error name) of one POST /fetch on a new
    connection; status 0 and the error's name when no whole answer came."""
    t0 = time.monotonic()
    writer = None
    try:
        async def exchange():
            nonlocal writer
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /fetch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            return status, await reader.readexactly(length)  # the whole answer, or it is lost

        status, data = await asyncio.wait_for(exchange(), timeout)
        return status, data, (time.monotonic() - t0) * 1000, None
    except Exception as e:  # connection refused/reset, timeout, short read
        return 0, None, (time.monotonic() - t0) * 1000, type(e).__name__
    finally:
        if writer is not None:
            writer.close()


async def one(port, body, timeout):
    """Status and latency (ms) of one POST /fetch; status 0 when no answer came."""
    status, _, ms, error = await post_fetch(port, body, timeout)
    return status, ms, error


async def get_json(port, path):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


async def main(a):
    body = json.dumps({"urls": json.loads(a.urls), "concurrency": a.concurrency,
                       "timeout_ms": a.timeout_ms}).encode()
    results = []  # (sent_at_s, status, latency_ms, error)
    rss = []      # (t_s, kb)
    t0 = time.monotonic()
    stop_sampling = asyncio.Event()

    async def sample():
        while not stop_sampling.is_set():
            rss.append((round(time.monotonic() - t0, 1), rss_kb(a.pid)))
            try:
                await asyncio.wait_for(stop_sampling.wait(), a.rss_every)
            except asyncio.TimeoutError:
                pass
        rss.append((round(time.monotonic() - t0, 1), rss_kb(a.pid)))

    async def tracked(sent_at):
        status, ms, err = await one(a.port, body, a.client_timeout)
        results.append((sent_at, status, ms, err))

    sampler = asyncio.create_task(sample())
    tasks = set()
    total = int(a.rate * a.duration)
    for i in range(total):
        at = t0 + i / a.rate
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        t = asyncio.create_task(tracked(at - t0))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
        if a.progress and i and i % int(a.rate * a.progress) == 0:
            done = len(results)
            print(f"  t={time.monotonic() - t0:6.0f}s sent={i} answered={done} rss={rss_kb(a.pid)} kB",
                  file=sys.stderr, flush=True)
    send_end = time.monotonic() - t0
    if tasks:
        await asyncio.wait(set(tasks))
    await asyncio.sleep(a.settle)  # let the service finish its books
    stop_sampling.set()
    await sampler
    stats = await get_json(a.port, "/stats")

    by_status = {}
    for _, status, ms, err in results:
        by_status.setdefault(status, []).append(ms)
    lat = {str(s): {"count": len(v), "p50_ms": pct(sorted(v), 50), "p99_ms": pct(sorted(v), 99),
                    "max_ms": round(max(v), 2)} for s, v in sorted(by_status.items())}
    errors = {}
    for _, status, _, err in results:
        if err:
            errors[err] = errors.get(err, 0) + 1
    warm = [kb for t, kb in rss if t >= a.warmup] or [rss[-1][1]]
    report = {
        "offered_rate_per_s": a.rate, "duration_s": a.duration, "send_time_s": round(send_end, 1),
        "sent": total, "answered": sum(1 for r in results if r[1]), "lost": sum(1 for r in results if not r[1]),
        "lost_errors": errors, "by_status": lat,
        "rss_kb": {"start": rss[0][1], "after_warmup": warm[0], "max": max(kb for _, kb in rss), "end": rss[-1][1]},
        "rss_samples": rss, "service_stats": stats,
    }
    failures = []
    if report["lost"]:
        failures.append(f"{report['lost']} requests got no answer: {errors}")
    if stats.get("in_flight") != 0:
        failures.append(f"in_flight is {stats.get('in_flight')} after the run")
    if stats.get("requests_total") != len(by_status.get(200, [])):
        failures.append(f"service counted {stats.get('requests_total')} accepted requests, "
                        f"client got {len(by_status.get(200, []))} 200s")
    if a.max_rss_growth_mb is not None:
        growth = (report["rss_kb"]["end"] - report["rss_kb"]["after_warmup"]) / 1024
        if growth > a.max_rss_growth_mb:
            failures.append(f"RSS grew {growth:.1f} MiB after warm-up (limit {a.max_rss_growth_mb})")
    if a.max_429_p99_ms is not None:
        p99 = lat.get("429", {}).get("p99_ms")
        if p99 is None:
            failures.append("no 429 at all: the load did not exceed capacity")
        elif p99 > a.max_429_p99_ms:
            failures.append(f"429 p99 {p99} ms over {a.max_429_p99_ms} ms")
    if a.no_429 and "429" in lat:
        failures.append(f"{lat['429']['count']} requests refused with 429 under steady load")
    report["failures"] = failures
    with open(a.report, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k != "rss_samples"}, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True, help="the service's pid, for RSS")
    p.add_argument("--urls", required=True, help="JSON list of URLs per request")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--timeout-ms", type=int, default=10000, help="the fetches' timeout_ms")
    p.add_argument("--rate", type=float, required=True, help="requests per second, open loop")
    p.add_argument("--duration", type=float, required=True, help="seconds of sending")
    p.add_argument("--client-timeout", type=float, default=60, help="seconds before a request counts as lost")
    p.add_argument("--rss-every", type=float, default=1.0)
    p.add_argument("--warmup", type=float, default=10, help="seconds before the RSS baseline")
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--progress", type=float, default=0, help="print progress every N seconds")
    p.add_argument("--max-rss-growth-mb", type=float)
    p.add_argument("--max-429-p99-ms", type=float)
    p.add_argument("--no-429", action="store_true")
    p.add_argument("--report", required=True)
    sys.exit(asyncio.run(main(p.parse_args())))
