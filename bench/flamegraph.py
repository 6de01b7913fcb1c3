"""perf script output -> folded stacks -> a flame graph SVG, stdlib only.

    perf script -F comm,tid,ip,sym,dso -i perf.data | python3 flamegraph.py --binary BIN --svg out.svg [--folded out.txt] [--top 30]

Debian 12's perf cannot read our binary's symbols here ("cannot get elf
header"), so frames it leaves as [unknown] in BIN are named from `nm -C`
(the printed offsets are file offsets; for our PIE, text vaddr == offset).
--top prints the functions with the most self samples.
"""
import argparse
import bisect
import collections
import html
import re
import subprocess
import sys

FRAME = re.compile(r"^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)$")


def symbol_table(binary: str):
    out = subprocess.run(["nm", "-C", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    table = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            table.append((int(parts[0], 16), parts[2]))
    table.sort()
    return [a for a, _ in table], [n for _, n in table]


def short(name: str) -> str:
    """Drops template arguments and parameter lists: frames stay readable."""
    out, depth = [], 0
    for ch in name:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out).replace("[clone .actor]", "").strip() or name[:80]


def fold(lines, binary: str) -> collections.Counter:
    addrs, names = symbol_table(binary) if binary else ([], [])
    stacks = collections.Counter()
    frames = []
    comm = ""

    def flush():
        if frames:
            stacks[";".join([comm] + list(reversed(frames)))] += 1
        frames.clear()

    for line in lines:
        if not line.strip():
            flush()
            continue
        if not line.startswith((" ", "\t")):
            flush()
            comm = line.split()[0]
            continue
        m = FRAME.match(line)
        if not m:
            continue
        ip, sym, dso = m.groups()
        if sym.startswith("[unknown]") and binary and dso.endswith(binary.rsplit("/", 1)[-1]):
            i = bisect.bisect_right(addrs, int(ip, 16)) - 1
            sym = names[i] if i >= 0 else sym
        if sym.startswith("[unknown]") and dso == "[unknown]":
            continue
        frames.append(short(sym.split("+0x")[0]))
    flush()
    return stacks


def svg(stacks: collections.Counter, title: str) -> str:
    tree = {}
    for stack, n in stacks.items():
        node = tree
        for f in stack.split(";"):
            node = node.setdefault(f, {"n": 0, "c": {}})
            node["n"] += n
            node = node["c"]
    total = sum(stacks.values())
    width, row = 1200, 16
    rects = []

    def walk(children, x, depth):
        for name, node in sorted(children.items()):
            w = node["n"] / total * width
            if w >= 0.3:
                rects.append((x, depth, w, name, node["n"]))
                walk(node["c"], x, depth + 1)
            x += w

    walk(tree, 0.0, 0)
    height = (max(d for _, d, _, _, _ in rects) + 3) * row if rects else 100
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" '
           f'font-size="11"><rect width="100%" height="100%" fill="#fff"/>'
           f'<text x="4" y="13">{html.escape(title)} ({total} samples)</text>']
    for x, d, w, name, n in rects:
        y = height - (d + 1) * row
        hue = 20 + (hash(name) % 40)
        label = html.escape(name)
        chars = int(w / 7)
        text = label[:chars] if chars > 2 else ""
        out.append(f'<g><title>{label} ({n} samples, {n / total:.1%})</title>'
                   f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" fill="hsl({hue},90%,60%)"/>'
                   f'<text x="{x + 2:.1f}" y="{y + 11}">{text}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--binary", default="")
    p.add_argument("--svg", required=True)
    p.add_argument("--folded", default="")
    p.add_argument("--title", default="asyncfetch S1, perf cpu-clock")
    p.add_argument("--top", type=int, default=0)
    a = p.parse_args()
    stacks = fold(sys.stdin, a.binary)
    if a.folded:
        with open(a.folded, "w") as f:
            for s, n in stacks.most_common():
                f.write(f"{s} {n}\n")
    with open(a.svg, "w") as f:
        f.write(svg(stacks, a.title))
    if a.top:
        total = sum(stacks.values())
        self_n, incl_n = collections.Counter(), collections.Counter()
        for s, n in stacks.items():
            frames = s.split(";")[1:]
            self_n[frames[-1] if frames else "?"] += n
            for f in set(frames):
                incl_n[f] += n
        print(f"{'self %':>7} {'incl %':>7}  function")
        for name, n in self_n.most_common(a.top):
            print(f"{n / total:7.1%} {incl_n[name] / total:7.1%}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
