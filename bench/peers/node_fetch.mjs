// Node peer: N GETs of one URL with the built-in fetch, at most C in flight
// (C workers pulling from a shared counter). Prints one JSON line.
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { url: { type: "string" }, n: { type: "string" }, c: { type: "string" } } });
const url = values.url;
const n = Number(values.n ?? 1000);
const c = Number(values.c ?? 64);
let next = 0, ok = 0, failed = 0, bytes = 0;

async function worker() {
  while (next < n) {
    next++;
    try {
      const res = await fetch(url);
      const buf = await res.arrayBuffer();
      bytes += buf.byteLength;
      if (res.status < 400) ok++; else failed++;
    } catch {
      failed++;
    }
  }
}

const start = performance.now();
await Promise.all(Array.from({ length: Math.min(c, n) }, worker));
const wall = (performance.now() - start) / 1000;
console.log(JSON.stringify({ ok, failed, bytes, wall_s: Number(wall.toFixed(4)) }));
