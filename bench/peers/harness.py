"""Runs the service-against-peers scenarios (S1-S4 and scaling here, S5-S8 in
connection_scenarios.py) on loopback and writes the markdown table. Called by
bench/run.sh, which installs and builds what is needed; stdlib only (Debian's
/usr/bin/python3).

Every run: the upstream's counters are reset, the peer runs under a timeout,
then the upstream is asked how many requests it served, how many connections
it accepted and its peak in-flight count, which must not pass C (and, where a
scenario asks, the HTTP version every request came over, one connection per
request, each origin's own peak against a per-host cap). asyncfetch is
restarted for each run, so no idle pool outlives a run, and its CPU time and
peak RSS come from /proc.
"""
import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field

import connection_scenarios
import targets

HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid: int) -> float:
    """utime + stime of a live process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listener's accept queue was full
    (TcpExt ListenOverflows, machine-wide): each costs its client a SYN retry a second later."""
    with open("/proc/net/netstat") as f:
        lines = [l.split() for l in f if l.startswith("TcpExt:")]
    names, values = lines[0], lines[1]
    return int(values[names.index("ListenOverflows")])


def get_json(url: str, timeout: float = 5) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def wait_http(url: str, limit: float = 20, proc=None) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {limit}s")


@dataclass
class Run:
    scenario: str
    peer: str
    n_expected: int
    c: int
    ok: int = 0
    failed: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0
    up_cpu: float = 0.0   # the upstream's CPU over the run
    driver_cpu: float = 0.0  # afpost's, for asyncfetch rows (the client is the service there)
    upstream: dict = field(default_factory=dict)
    note: str = ""
    error: str = ""
    # What the scenario asks of the upstream's counters besides peak <= C:
    proto: str = ""       # "h1" or "h2": every request over that version
    fresh: bool = False   # no connection carried two requests
    origin_cap: int = 0   # no origin (listening port) above this many in flight
    ideal_s: float = 0.0  # the wall time with no overhead, for the efficiency column
    round: int = 0        # which round of the run (0-based)

    @property
    def rate(self) -> float:
        return self.ok / self.wall if self.wall else 0.0

    @property
    def cores_busy(self) -> float:
        """Client (or service), driver and upstream CPU over the wall time: 2.0 is a full 2-core box."""
        return (self.cpu + self.driver_cpu + self.up_cpu) / self.wall if self.wall else 0.0

    @property
    def checks(self) -> list:
        bad = []
        peak = self.upstream.get("peak_in_flight", 0)
        if peak > self.c:
            bad.append(f"peak in-flight {peak} > C={self.c}")
        if self.failed:
            bad.append(f"{self.failed} failed")
        if self.error:
            bad.append(self.error)
        if self.n_expected and self.ok != self.n_expected:
            bad.append(f"{self.ok} ok of {self.n_expected}")
        s = self.upstream
        if self.proto:
            other = {"h1": "h2", "h2": "h1"}[self.proto]
            if s.get(other):
                bad.append(f"{s[other]} requests over {other}, not {self.proto}")
        if self.fresh and s.get("accepted", 0) < s.get("requests", 0):
            bad.append(f"{s['accepted']} connections for {s['requests']} requests (one each expected)")
        if self.origin_cap:
            over = [o for o in s.get("origins", []) if o["peak_in_flight"] > self.origin_cap]
            if over:
                bad.append(f"{len(over)} origins above {self.origin_cap} in flight "
                           f"(up to {max(o['peak_in_flight'] for o in over)})")
        return bad

    @property
    def detail(self) -> str:
        """The upstream's view beyond requests and connections: TLS, versions, origins."""
        s, parts = self.upstream, []
        if s.get("tls_full") or s.get("tls_resumed"):
            parts.append(f"TLS {s['tls_full']} full / {s['tls_resumed']} resumed")
        if self.proto:
            parts.append(f"h1 {s.get('h1', 0)}, h2 {s.get('h2', 0)}")
        if len(s.get("origins", [])) > 1:
            peaks = [o["peak_in_flight"] for o in s["origins"]]
            parts.append(f"{len(peaks)} origins, busiest peak {max(peaks)}")
        if s.get("listen_overflows"):
            parts.append(f"{s['listen_overflows']} connects dropped by a full accept queue (retried 1 s later)")
        return "; ".join(parts)


def take_result_line(r: "Run", out: str, wall: float) -> None:
    """Reads a peer's last stdout line, {"ok","failed","wall_s"[,"errors"]}, into `r`."""
    try:
        res = json.loads(out.strip().splitlines()[-1])
        r.ok, r.failed, r.wall = res["ok"], res["failed"], res["wall_s"]
        if res.get("errors"):
            r.note = json.dumps(res["errors"])
    except (ValueError, IndexError, KeyError):
        r.error = r.error or "no result line"
        r.wall = wall


class Upstream:
    """The Go upstream; `extra` are its flags for origins, TLS, h2 and Connection: close."""

    def __init__(self, binary: str, pin: str = "", extra: list = ()):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [binary, "-listen", f"127.0.0.1:{self.port}", *extra]
        if pin:
            cmd = ["taskset", "-c", pin] + cmd
        self.proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        wait_http(self.base + "/stats")
        self.scheme = "https" if "-cert" in extra else "http"
        self.origins = [o["port"] for o in get_json(self.base + "/stats")["origins"]]

    def origin_url(self, i: int, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.origins[i]}{path}"

    def reset(self) -> None:
        # Connections a previous peer left open must be gone first.
        end = time.monotonic() + 10
        while get_json(self.base + "/stats")["open"] > 1 and time.monotonic() < end:
            time.sleep(0.1)
        get_json(self.base + "/reset")
        self.cpu0 = self.cpu()
        self.overflows0 = listen_overflows()

    def cpu(self) -> float:
        """utime + stime of the upstream process (the one taskset execs into, when pinned)."""
        return proc_cpu(self.proc.pid)

    def stats(self) -> dict:
        s = get_json(self.base + "/stats")
        s["accepted"] -= 1  # the connection of this very /stats request
        return s

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def run_client(cmd: list, limit: float) -> tuple:
    """Runs a peer under a time limit; returns (stdout, wall s, CPU s, peak RSS MB, error or "").
    CPU and RSS are the child's own (wait4), not the max over every child so far."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = threading.Event()
    timer = threading.Timer(limit, lambda: (killed.set(), p.kill()))
    timer.start()
    got = {}
    readers = [threading.Thread(target=lambda k=k, f=f: got.__setitem__(k, f.read())) for k, f in
               (("out", p.stdout), ("err", p.stderr))]
    for t in readers:
        t.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    timer.cancel()
    for t in readers:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    cpu, rss = ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024
    if killed.is_set():
        return got["out"], wall, cpu, rss, f"timed out after {limit:.0f}s"
    err = "" if p.returncode == 0 else f"exit {p.returncode}: {got['err'].strip()[-200:]}"
    return got["out"], wall, cpu, rss, err


class Service:
    """asyncfetch started for one run, with loopback opened by allow_cidrs."""

    def __init__(self, binary: str, threads: int, c: int, n: int, extra: list = (), pin: str = ""):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [binary, "--config=", f"--port={self.port}", f"--threads={threads}",
               "--allow_cidrs=127.0.0.0/8", "--log_level=warn",
               f"--global_concurrency={c}", f"--max_concurrency_per_request={c}",
               f"--max_urls_per_request={max(n, 1000)}", "--max_request_bytes=67108864",
               f"--max_queue={max(n, 10000)}", "--timeout_ms=60000", *extra]
        if pin:
            cmd = ["taskset", "-c", pin] + cmd
        self.log = tempfile.TemporaryFile()
        # The service reads ASYNCFETCH_* variables as configuration: none from our environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCFETCH_")}
        self.proc = subprocess.Popen(cmd, stderr=self.log, stdout=subprocess.DEVNULL, env=env)
        try:
            wait_http(self.base + "/readyz", proc=self.proc)
        except RuntimeError:
            self.proc.kill()
            self.proc.wait()
            self.log.seek(0)
            sys.stderr.write(self.log.read().decode(errors="replace")[-2000:])
            raise

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def tls_handshakes(self) -> tuple:
        """(full, resumed) from /metrics: the service's own count, beside the upstream's."""
        with urllib.request.urlopen(self.base + "/metrics", timeout=5) as r:
            text = r.read().decode()
        got = dict(re.findall(r'^asyncfetch_tls_handshakes_total\{resumed="(true|false)"\} (\d+)', text, re.M))
        return int(got.get("false", 0)), int(got.get("true", 0))

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Bench:
    def __init__(self, a):
        self.a = a
        self.runs = []
        self.rounds = [[]]  # the runs of each round; runs holds them all, in order
        # Service io threads to run (S1 and S3 run each; S2 and S4 the first).
        self.threads = [int(t) for t in a.threads.split(",")]
        self.up = Upstream(a.upstream)

    @contextlib.contextmanager
    def upstream(self, extra: list = (), pin: str = ""):
        """A scenario's own upstream (origins, TLS, pinned to a CPU, ...) in place of the shared one."""
        shared, self.up = self.up, Upstream(self.a.upstream, pin=pin, extra=extra)
        try:
            yield self.up
        finally:
            self.up.stop()
            self.up = shared

    def url(self, scenario: str) -> str:
        return self.up.base + {"S1": "/bytes?n=1024", "S2": "/delay?ms=20&n=1024",
                               "S3": "/delay?ms=1000&n=1024", "scaling": "/bytes?n=1024"}[scenario]

    def record(self, r: Run) -> None:
        r.up_cpu = self.up.cpu() - self.up.cpu0
        r.upstream = self.up.stats()
        r.upstream["listen_overflows"] = listen_overflows() - self.up.overflows0
        r.round = len(self.rounds) - 1
        self.runs.append(r)
        self.rounds[-1].append(r)
        bad = r.checks
        print(f"  {r.scenario} {r.peer:<28} {r.rate:>9.0f} fetches/s  wall {r.wall:6.2f}s  "
              f"cpu {r.cpu:5.2f}s  upstream cpu {r.up_cpu:5.2f}s  rss {r.rss_mb:6.1f}MB  accepted {r.upstream.get('accepted')}  "
              f"peak {r.upstream.get('peak_in_flight')}  {r.detail + '  ' if r.detail else ''}"
              f"{'OK' if not bad else 'CHECK FAILED: ' + '; '.join(bad)}", flush=True)

    # --- peers -----------------------------------------------------------
    def client(self, scenario: str, peer: str, cmd: list, n: int, c: int, limit: float, **want) -> None:
        self.up.reset()
        r = Run(scenario, peer, n, c, **want)
        out, wall, r.cpu, r.rss_mb, r.error = run_client(cmd, limit)
        take_result_line(r, out, wall)
        self.record(r)

    def curl(self, scenario: str, n: int, c: int, limit: float, url: str = "", args: list = (), **want) -> None:
        if not shutil.which("curl"):
            print(f"  {scenario} curl: skipped (not installed)")
            return
        if c > 300:
            print(f"  {scenario} curl: skipped (--parallel-max is at most 300, C={c})")
            return
        self.up.reset()
        r = Run(scenario, "curl --parallel", n, c, **want)
        with tempfile.NamedTemporaryFile("w", suffix=".curl") as cfg:
            cfg.write(f'url = "{url or self.url(scenario)}"\noutput = "/dev/null"\n' * n)
            cfg.flush()
            cmd = ["curl", "-s", "--parallel", "--parallel-max", str(c), *args, "-w", "%{http_code}\\n",
                   "-K", cfg.name]
            out, wall, cpu, rss, err = run_client(cmd, limit)
        codes = out.split()
        r.ok = sum(1 for x in codes if x == "200")
        r.failed = n - r.ok
        r.wall, r.cpu, r.rss_mb, r.error = wall, cpu, rss, err
        self.record(r)

    def wrk(self, scenario: str, peer: str, url: str, c: int, seconds: float, script: str = "",
            service: "Service" = None, **want) -> "Run":
        self.up.reset()
        threads = min(2, c)
        cmd = ["wrk", f"-t{threads}", f"-c{c}", f"-d{int(seconds)}s", "--timeout", "10s"]
        if script:
            cmd += ["-s", script]
        cmd.append(url)
        r = Run(scenario, peer, 0, c, **want)
        cpu0 = service.cpu() if service else 0.0
        out, wall, cpu, rss, err = run_client(cmd, seconds + 30)
        r.error = err
        if service:
            r.driver_cpu = cpu
        m = re.search(r"Requests/sec:\s*([\d.]+)", out)
        served = get_json(self.up.base + "/stats")["requests"]
        r.ok = served
        r.wall = served / float(m.group(1)) if m and float(m.group(1)) else wall
        bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
        r.failed = int(bad.group(1)) if bad else 0
        errs = re.search(r"Socket errors:.*", out)
        if errs:
            r.note = errs.group(0)
        if service:
            r.cpu, r.rss_mb = service.cpu() - cpu0, service.peak_rss_mb()
            r.note = (r.note + " service CPU/RSS").strip()
        else:
            r.cpu, r.rss_mb = cpu, rss
        self.record(r)
        return r

    def asyncfetch(self, scenario: str, peer: str, n: int, c: int, clients: int, batch: int,
                   concurrency: int, threads: int, limit: float, pin: str = "", urls: list = (),
                   extra: list = (), post: list = (), **want) -> None:
        """`urls` (default: the scenario's one URL) are taken in turn; `extra` are service
        flags, `post` more afpost flags."""
        svc = Service(self.a.asyncfetch, threads, c, n, extra=extra, pin=pin)
        try:
            self.up.reset()
            cpu0 = svc.cpu()
            with tempfile.NamedTemporaryFile("w", suffix=".urls") as f:
                f.write("\n".join(urls or [self.url(scenario)]) + "\n")
                f.flush()
                cmd = [self.a.afpost, "-service", svc.base + "/fetch", "-urls", f.name, "-n", str(n),
                       "-clients", str(clients), "-batch", str(batch), "-concurrency", str(concurrency), *post]
                out, wall, driver_cpu, _, err = run_client(cmd, limit)
            r = Run(scenario, peer, n, c, error=err, driver_cpu=driver_cpu, **want)
            r.cpu, r.rss_mb = svc.cpu() - cpu0, svc.peak_rss_mb()
            take_result_line(r, out, wall)
            full, resumed = svc.tls_handshakes()
            if full or resumed:
                r.note = (r.note + f" service: TLS {full} full / {resumed} resumed").strip()
            self.record(r)
        finally:
            svc.stop()

    # --- scenarios -------------------------------------------------------
    def peers(self, scenario: str, n: int, c: int, limit: float) -> None:
        url = self.url(scenario)
        if self.a.smoke:
            return
        self.client(scenario, "Go net/http", [self.a.gofetch, "-url", url, "-n", str(n), "-c", str(c)], n, c, limit)
        self.curl(scenario, n, c, limit)
        if self.a.python:
            self.client(scenario, "Python aiohttp", [self.a.python, os.path.join(HERE, "aiohttp_fetch.py"),
                                                     "--url", url, "--n", str(n), "--c", str(c)], n, c, limit)
        else:
            print(f"  {scenario} aiohttp: skipped (python3-aiohttp not importable by /usr/bin/python3)")
        if shutil.which("node"):
            self.client(scenario, "Node fetch", ["node", os.path.join(HERE, "node_fetch.mjs"), "--url", url,
                                                 "--n", str(n), "--c", str(c)], n, c, limit)
        else:
            print(f"  {scenario} node: skipped (not installed)")

    def s1(self, n: int) -> None:
        c = 64
        print(f"S1 throughput: N={n} x 1 KiB, C={c}")
        # The ceiling is measured before and after the others and averaged: on a
        # shared machine the load moves within a run.
        self.wrk("S1", f"wrk -t2 -c{c} (ceiling, before)", self.url("S1"), c, self.a.wrk_seconds)
        for t in self.threads:
            self.asyncfetch("S1", f"asyncfetch t={t}, 1 POST of N", n, c, 1, n, c, t, 120)
            self.asyncfetch("S1", f"asyncfetch t={t}, 64 clients x 100", n, c, 64, 100, 1, t, 120)
        self.peers("S1", n, c, 180)
        self.wrk("S1", f"wrk -t2 -c{c} (ceiling, after)", self.url("S1"), c, self.a.wrk_seconds)

    def s2(self) -> None:
        n, c = 2000, 100
        print(f"S2 latency-bound: N={n} x 20 ms, C={c} (ideal {n / c * 0.02:.2f}s)")
        self.wrk("S2", f"wrk -t2 -c{c} (ceiling)", self.url("S2"), c, 2)
        self.asyncfetch("S2", f"asyncfetch t={self.threads[0]}, 1 POST of N", n, c, 1, n, c, self.threads[0], 60)
        self.peers("S2", n, c, 60)

    def s3(self) -> None:
        n, c = 10000, 10000
        print(f"S3 many slow: N={n} x 1 s, C={c} (ideal 1s)")
        for t in self.threads:
            self.asyncfetch("S3", f"asyncfetch t={t}, 1 POST of N", n, c, 1, n, c, t, 60)
        self.peers("S3", n, c, 60)

    def s4(self) -> None:
        c = 64
        print(f"S4 request overhead: wrk -c{c} POSTing a 1-URL /fetch vs wrk on the upstream")
        direct = self.wrk("S4", f"wrk -c{c} direct to upstream", self.url("S1"), c, self.a.wrk_seconds)
        svc = Service(self.a.asyncfetch, self.threads[0], c, 1000)
        try:
            env_url = self.url("S1")
            script = os.path.join(HERE, "post_fetch.lua")
            os.environ["FETCH_URL"] = env_url
            via = self.wrk("S4", f"wrk -c{c} POST 1-URL /fetch (asyncfetch t={self.threads[0]})", svc.base + "/fetch", c, self.a.wrk_seconds,
                           script=script, service=svc)
        finally:
            svc.stop()
        print(f"  S4 ratio (via service / direct) = {via.rate / direct.rate if direct.rate else 0:.2f}")

    def scaling(self, n: int) -> None:
        print(f"Scaling: S1 N={n} through asyncfetch, threads=1 vs 2, upstream pinned to CPU 0")
        with self.upstream(pin="0"):
            for t in (1, 2):
                self.asyncfetch("scaling", f"asyncfetch threads={t}", n, 64, 1, n, 64, t, 120)

    # --- table -----------------------------------------------------------
    def table(self) -> str:
        """One row per scenario and peer: the round with the median fetches/s (so every column comes
        from one real run), each round's fetches/s beside it, and any round's failed check."""
        lines = ["| scenario | peer | fetches/s | rounds | × wrk | wall s | efficiency | CPU s /1000 fetches "
                 "| upstream CPU s /1000 | cores busy | peak RSS MB | upstream conns accepted "
                 "| peak in-flight ≤ C | upstream detail | checks |",
                 "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
        groups = {}
        for r in self.runs:
            groups.setdefault((r.scenario, r.peer), []).append(r)
        ideal = {"S2": 2000 / 100 * 0.02, "S3": 1.0}
        for (scenario, peer), rs in groups.items():
            r = sorted(rs, key=lambda x: x.rate)[(len(rs) - 1) // 2]
            ceiling = targets.wrk_mean(self.rounds[r.round], scenario)
            ratio = f"{r.rate / ceiling:.2f}" if ceiling else ""
            eff = ""
            if r.ideal_s and r.wall:
                eff = f"{r.ideal_s / r.wall:.2f}"
            elif scenario in ideal and r.wall:
                eff = f"{ideal[scenario] / r.wall:.2f}" if not peer.startswith("wrk") else \
                    f"{r.rate * (0.02 if scenario == 'S2' else 1.0) / r.c:.2f}"
            per_k = r.cpu / r.ok * 1000 if r.ok else 0.0
            up_k = r.up_cpu / r.ok * 1000 if r.ok else 0.0
            bad = [f"round {x.round + 1}: " + "; ".join(x.checks) for x in rs if x.checks]
            each = " / ".join(f"{x.rate:,.0f}" for x in rs) if len(rs) > 1 else ""
            lines.append(f"| {scenario} | {peer} | {r.rate:,.0f} | {each} | {ratio} | {r.wall:.2f} | {eff} "
                         f"| {per_k:.3f} | {up_k:.3f} | {r.cores_busy:.2f} | {r.rss_mb:.0f} "
                         f"| {r.upstream.get('accepted', '')} | {r.upstream.get('peak_in_flight', '')} ≤ {r.c} "
                         f"| {r.detail} | {'ok' if not bad else '**' + '; '.join(bad) + '**'}"
                         f"{' ' + r.note if r.note else ''} |")
        return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--asyncfetch", required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--gofetch", required=True)
    p.add_argument("--afpost", required=True)
    p.add_argument("--python", default="")
    p.add_argument("--threads", default="1,2", help="service io threads, a list (0: one per core)")
    p.add_argument("--n", type=int, default=20000)
    p.add_argument("--wrk-seconds", type=int, default=3)
    p.add_argument("--scenarios", default="S1,S2,S3,S4,scaling,S5,S6,S7,S8")
    p.add_argument("--tls-dir", default="", help="ca.pem, server.pem, server.key for S5-S7 (bench/tls_certs.sh)")
    p.add_argument("--rounds", type=int, default=1, help="run the scenarios this many times; the table "
                   "shows each row's median round, the targets their median ratio")
    p.add_argument("--smoke", action="store_true", help="asyncfetch and wrk only")
    p.add_argument("--out", default="")
    p.add_argument("--platform", default="", help="the system and its library versions (bench/platform.sh)")
    a = p.parse_args()
    # Children inherit the raised limit (S3 opens 10000 sockets at once).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    b = Bench(a)
    load0 = open("/proc/loadavg").read().split()[:3]
    try:
        for i in range(a.rounds):
            if i:
                b.rounds.append([])
            if a.rounds > 1:
                print(f"--- round {i + 1} of {a.rounds}")
            for s in a.scenarios.split(","):
                more = connection_scenarios.SCENARIOS
                if s in more:
                    more[s](b, a.n)
                else:
                    {"S1": lambda: b.s1(a.n), "S2": b.s2, "S3": b.s3, "S4": b.s4,
                     "scaling": lambda: b.scaling(a.n)}[s]()
    finally:
        b.up.stop()
    table = b.table()
    load = open("/proc/loadavg").read().split()[:3]
    header = (f"Machine: {os.cpu_count()} CPUs, {platform_cpu()}; {a.platform or 'system not given'}; load average {' '.join(load0)} before the run, "
              f"{' '.join(load)} after; service io threads (t=) {a.threads}; N={a.n} in S1, S5, S7 and S8; "
              f"{a.rounds} round{'s' if a.rounds > 1 else ''}"
              f"{', each row the round with its median fetches/s' if a.rounds > 1 else ''}.")
    text = header + "\n\n" + table + "\n"
    text += "\nTargets (issue 20), ratios inside each round" + (", the median over the rounds" if a.rounds > 1 else "") + \
        ":\n\n" + "\n".join(targets.summary(b.rounds)) + "\n"
    print()
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    failed = [r for r in b.runs if r.checks]
    return 1 if failed else 0


def platform_cpu() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
