#!/usr/bin/env python3
"""Open-loop mixed load on asyncfetch's POST /fetch (stdlib asyncio, loopback only).

Sends `rate` requests per second for `duration` seconds, each on a new
connection, taking the kinds of --kinds in turn. Each kind (JSON) is
  {"name": ..., "body": {a /fetch body; "{seq}" in it becomes the request's number},
   "expect": {result field: value every result must have}, "max_in_flight": N (summary bound),
   "counts": {label: how many the upstreams see per request}}
Every answer is read whole and checked: 200, one ok result per URL with the
expected fields. Samples the service's RSS from /proc. At the end checks
/stats against what the client saw, and each --check against the counts.
Writes the report as JSON; exits 1 when a check fails:
  - lost: a request sent that got no complete HTTP answer;
  - wrong: a non-200, or a result not ok or without the expected fields;
  - /stats: requests_total, fetches_total, fetches_succeeded, in_flight 0;
  - --check NAME|URL|FIELD|LABEL: FIELD (dotted) of the JSON at URL equals the
    sum of LABEL's counts (LABEL "=N": equals N), within 10 s;
  - --max-rss-growth-mb: end RSS minus RSS after the warm-up.
"""
import argparse
import asyncio
import json
import sys
import time
import urllib.request

from load import pct, post_fetch, rss_kb


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


async def exchange(port, body, timeout):
    """(status, JSON body or None, latency ms, error name)."""
    status, data, ms, error = await post_fetch(port, body, timeout)
    if error:
        return 0, None, ms, error
    try:
        return status, json.loads(data), ms, None
    except ValueError as e:  # not JSON: lost like a short read
        return 0, None, ms, type(e).__name__


def problem(kind, status, answer, urls):
    """Why an answer is wrong, or None."""
    if status != 200:
        return f"status {status}"
    results = answer.get("results", [])
    if len(results) != urls:
        return f"{len(results)} results for {urls} URLs"
    for r in results:
        if r.get("ok") is not True:
            return f"not ok: {json.dumps(r)[:300]}"
        for field, value in kind.get("expect", {}).items():
            if r.get(field) != value:
                return f"{field} {r.get(field)!r}, not {value!r}: {json.dumps(r)[:300]}"
    bound = kind.get("max_in_flight")
    if bound is not None and answer["summary"]["max_in_flight"] > bound:
        return f"max_in_flight {answer['summary']['max_in_flight']} over {bound}"
    return None


# Loopback URLs only: never through a proxy from the environment.
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get_json(url):
    with direct.open(url, timeout=10) as r:
        return json.loads(r.read())


def dotted(doc, path):
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc.get(part)
    return doc


async def main(a):
    kinds = json.load(open(a.kinds))
    templates = [json.dumps(k["body"]) for k in kinds]
    per_kind = {k["name"]: {"sent": 0, "answered": 0, "lost": 0, "wrong": 0, "lat": []} for k in kinds}
    wrong_samples = []
    counted = {}
    rss = []  # (t_s, kB)
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

    async def tracked(seq, kind, body):
        k = per_kind[kind["name"]]
        status, answer, ms, err = await exchange(a.port, body, a.client_timeout)
        if err:
            k["lost"] += 1
            wrong_samples.append(f"{kind['name']} #{seq}: no answer ({err})")
            return
        k["answered"] += 1
        k["lat"].append(ms)
        why = problem(kind, status, answer, len(kind["body"]["urls"]))
        if why:
            k["wrong"] += 1
            if len(wrong_samples) < 20:
                wrong_samples.append(f"{kind['name']} #{seq}: {why}")
            return
        for label, n in kind.get("counts", {}).items():
            counted[label] = counted.get(label, 0) + n

    sampler = asyncio.create_task(sample())
    tasks = set()
    total = int(a.rate * a.duration)
    for i in range(total):
        at = t0 + i / a.rate
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        kind = kinds[i % len(kinds)]
        per_kind[kind["name"]]["sent"] += 1
        body = templates[i % len(kinds)].replace("{seq}", str(i)).encode()
        t = asyncio.create_task(tracked(i, kind, body))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
        if a.progress and i and i % int(a.rate * a.progress) == 0:
            answered = sum(k["answered"] for k in per_kind.values())
            bad = sum(k["lost"] + k["wrong"] for k in per_kind.values())
            print(f"  t={time.monotonic() - t0:6.0f}s sent={i} answered={answered} bad={bad} "
                  f"rss={rss_kb(a.pid)} kB", file=sys.stderr, flush=True)
    send_end = time.monotonic() - t0
    if tasks:
        await asyncio.wait(set(tasks))
    await asyncio.sleep(a.settle)  # let the service finish its books
    stop_sampling.set()
    await sampler
    stats = get_json(f"http://127.0.0.1:{a.port}/stats")

    sent = sum(k["sent"] for k in per_kind.values())
    fetches = sum(k["sent"] * len(kind["body"]["urls"]) for kind, k in zip(kinds, per_kind.values()))
    kinds_report = {}
    for name, k in per_kind.items():
        lat = sorted(k["lat"])
        kinds_report[name] = {"sent": k["sent"], "answered": k["answered"], "lost": k["lost"], "wrong": k["wrong"],
                              "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
                              "max_ms": round(lat[-1], 2) if lat else None}
    warm = [kb for t, kb in rss if t >= a.warmup] or [rss[-1][1]]
    report = {
        "offered_rate_per_s": a.rate, "duration_s": a.duration, "send_time_s": round(send_end, 1),
        "sent": sent, "answered": sum(k["answered"] for k in per_kind.values()),
        "lost": sum(k["lost"] for k in per_kind.values()), "wrong": sum(k["wrong"] for k in per_kind.values()),
        "fetches": fetches, "kinds": kinds_report, "wrong_samples": wrong_samples,
        "rss_kb": {"start": rss[0][1], "after_warmup": warm[0], "max_sampled": max(kb for _, kb in rss),
                   "end": rss[-1][1], "peak_vmhwm": peak_rss_kb(a.pid)},
        "rss_samples": rss, "service_stats": stats, "counted": counted, "checks": {},
    }
    failures = []
    if report["lost"]:
        failures.append(f"{report['lost']} requests got no answer")
    if report["wrong"]:
        failures.append(f"{report['wrong']} answers were wrong")
    if stats.get("in_flight") != 0:
        failures.append(f"in_flight is {stats.get('in_flight')} after the run")
    for field, want in (("requests_total", sent), ("fetches_total", fetches), ("fetches_succeeded", fetches)):
        if stats.get(field) != want:
            failures.append(f"service /stats {field} {stats.get(field)}, client sent {want}")
    for check in a.check:
        name, url, field, label = check.split("|")
        want = int(label[1:]) if label.startswith("=") else counted.get(label, 0)
        deadline = time.monotonic() + 10
        while True:  # a loser's close may reach its upstream a moment after the answer
            got = dotted(get_json(url), field)
            if got == want or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        report["checks"][name] = {"got": got, "want": want}
        if got != want:
            failures.append(f"{name}: {field} at {url} is {got}, expected {want}")
    if a.max_rss_growth_mb is not None:
        growth = (report["rss_kb"]["end"] - report["rss_kb"]["after_warmup"]) / 1024
        if growth > a.max_rss_growth_mb:
            failures.append(f"RSS grew {growth:.1f} MiB after warm-up (limit {a.max_rss_growth_mb})")
    report["failures"] = failures
    with open(a.report, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k != "rss_samples"}, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True, help="the service's pid, for RSS")
    p.add_argument("--kinds", required=True, help="JSON file: the list of request kinds")
    p.add_argument("--rate", type=float, required=True, help="requests per second, open loop")
    p.add_argument("--duration", type=float, required=True, help="seconds of sending")
    p.add_argument("--client-timeout", type=float, default=60, help="seconds before a request counts as lost")
    p.add_argument("--rss-every", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=60, help="seconds before the RSS baseline")
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--progress", type=float, default=0, help="print progress every N seconds")
    p.add_argument("--check", action="append", default=[], help="NAME|URL|FIELD|LABEL (see above)")
    p.add_argument("--max-rss-growth-mb", type=float)
    p.add_argument("--report", required=True)
    sys.exit(asyncio.run(main(p.parse_args())))
