"""Issue 20's targets, as ratios inside one round, and their median over the
rounds. Pure functions over harness.Run records: `of_round` measures one
round, `summary` combines the rounds into the lines printed under the table.
"""
import statistics
from dataclasses import dataclass

ORIGIN_CAP = 4  # S8's per_host_concurrency (connection_scenarios.PER_HOST)


@dataclass
class Measure:
    name: str
    value: float
    goal: float = 0.0
    kind: str = "info"  # ">=" or "<=" (a target), or "info" (reported only)
    unit: str = ""

    def met(self, value: float) -> bool:
        return value >= self.goal if self.kind == ">=" else value <= self.goal


def _find(runs, scenario, prefix):
    return [r for r in runs if r.scenario == scenario and r.peer.startswith(prefix)]


def wrk_mean(runs, scenario):
    """wrk's req/s in a scenario: the mean of its runs before and after the others."""
    rates = [r.rate for r in _find(runs, scenario, "wrk -t2")]
    return sum(rates) / len(rates) if rates else 0.0


def _ratio(out, name, r, other, goal):
    if other and other.rate:
        out.append(Measure(name, r.rate / other.rate, goal, ">=", "x"))


def _against_wrk_and_go(out, runs, scenario, wrk_goal, go_goal):
    """Each asyncfetch row of `scenario` against wrk's mean and Go's run, into `out`; returns the
    (row, Go's run or None) pairs for what else a scenario measures."""
    wrk, go = wrk_mean(runs, scenario), _find(runs, scenario, "Go")
    pairs = []
    for r in _find(runs, scenario, "asyncfetch"):
        if wrk:
            out.append(Measure(f"{scenario} {r.peer}: × wrk", r.rate / wrk, wrk_goal, ">=", "x"))
        if go:
            _ratio(out, f"{scenario} {r.peer}: × Go", r, go[0], go_goal)
        pairs.append((r, go[0] if go else None))
    return pairs


def of_round(runs) -> list:
    """Every target of the scenarios that ran, measured inside one round."""
    out = []
    for r, go in _against_wrk_and_go(out, runs, "S1", 0.9, 1.5):
        if go and r.ok and go.ok and go.cpu:
            out.append(Measure(f"S1 {r.peer}: CPU per fetch ÷ Go's", (r.cpu / r.ok) / (go.cpu / go.ok), 1.0, "<=", "x"))
    s1 = [r for r in _find(runs, "S1", "") if not r.peer.startswith("wrk")]
    if s1:
        out.append(Measure("S1 keep-alive: the most upstream connections any peer made (≤ 2×C)",
                           max(r.upstream.get("accepted", 0) for r in s1), 2 * s1[0].c, "<="))
    wrk = _find(runs, "S2", "wrk")
    for r in _find(runs, "S2", "asyncfetch"):
        if wrk and wrk[0].rate and r.wall:
            own = wrk[0].rate * 0.02 / wrk[0].c  # wrk's efficiency: its req/s against the ideal C / 20 ms
            out.append(Measure(f"S2 {r.peer}: efficiency ÷ wrk's", (0.4 / r.wall) / own, 0.98, ">=", "x"))
    for r in _find(runs, "S3", "asyncfetch"):
        out.append(Measure(f"S3 {r.peer}: wall", r.wall, 1.5, "<=", " s"))
        out.append(Measure(f"S3 {r.peer}: service peak RSS", r.rss_mb, 64, "<=", " MB"))
    direct, via = _find(runs, "S4", "wrk -c64 direct"), _find(runs, "S4", "wrk -c64 POST")
    if direct and via:
        _ratio(out, "S4: through the service ÷ direct", via[0], direct[0], 0.5)
    sc = _find(runs, "scaling", "asyncfetch")
    if len(sc) == 2 and sc[0].rate:
        out.append(Measure("scaling (upstream pinned to CPU 0): threads=2 ÷ threads=1", sc[1].rate / sc[0].rate, unit="x"))
    _against_wrk_and_go(out, runs, "S5", 0.85, 1.3)
    rivals = _find(runs, "S6", "Go") + _find(runs, "S6", "curl")
    best = max(rivals, key=lambda r: r.rate) if rivals else None
    for r in _find(runs, "S6", ""):
        if r.peer.startswith("asyncfetch") and best:
            _ratio(out, f"S6 {r.peer}: × the better of Go and curl", r, best, 1.2)
        out.append(Measure(f"S6 {r.peer}: resumed handshakes of {r.upstream.get('requests', 0)} at the upstream",
                           r.upstream.get("tls_resumed", 0)))
    go = _find(runs, "S7", "Go")
    for r in _find(runs, "S7", "asyncfetch"):
        if go:
            _ratio(out, f"S7 {r.peer}: × Go", r, go[0], 1.3)
        out.append(Measure(f"S7 {r.peer}: upstream connections", r.upstream.get("accepted", 0), 2, "<="))
    go = _find(runs, "S8", "Go")
    for r in _find(runs, "S8", "asyncfetch"):
        if go:
            _ratio(out, f"S8 {r.peer}: × Go", r, go[0], 1.3)
        peaks = [o["peak_in_flight"] for o in r.upstream.get("origins", [])] or [0]
        out.append(Measure(f"S8 {r.peer}: busiest origin in flight", max(peaks), ORIGIN_CAP, "<="))
    return out


def _fmt(v: float, unit: str) -> str:
    if unit == "x":
        return f"{v:.3f}x"  # a ratio to 0.001: 0.975 is not mistaken for a met 0.98
    return f"{v:.0f}{unit}" if abs(v) >= 10 or float(v).is_integer() else f"{v:.2f}{unit}"


def summary(rounds) -> list:
    """One line per target: the median over the rounds, each round's value, met or missed."""
    seen, order = {}, []
    for runs in rounds:
        for m in of_round(runs):
            if m.name not in seen:
                order.append(m.name)
            seen.setdefault(m.name, []).append(m)
    lines = []
    for name in order:
        ms = seen[name]
        med = statistics.median(m.value for m in ms)
        each = " / ".join(_fmt(m.value, m.unit if m.unit == "x" else "") for m in ms)
        line = f"- {name}: {_fmt(med, ms[0].unit)}"
        if len(ms) > 1:
            line += f" (median of {each})"
        if ms[0].kind != "info":
            line += f"; target {ms[0].kind} {_fmt(ms[0].goal, ms[0].unit)}: {'met' if ms[0].met(med) else 'missed'}"
        lines.append(line)
    return lines
