"""aiohttp peer: N GETs of one URL, at most C in flight (asyncio.Semaphore),
a keep-alive connector sized to C. Prints one JSON line. Run with Debian's
/usr/bin/python3 (python3-aiohttp)."""
import argparse
import asyncio
import json
import time

import aiohttp


async def main(url: str, n: int, c: int) -> dict:
    sem = asyncio.Semaphore(c)
    counts = {"ok": 0, "failed": 0, "bytes": 0}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c), timeout=timeout) as session:

        async def one() -> None:
            async with sem:
                try:
                    async with session.get(url) as resp:
                        body = await resp.read()
                        counts["bytes"] += len(body)
                        counts["ok" if resp.status < 400 else "failed"] += 1
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    counts["failed"] += 1

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        counts["wall_s"] = round(time.perf_counter() - start, 4)
    return counts


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--c", type=int, default=64)
    a = p.parse_args()
    print(json.dumps(asyncio.run(main(a.url, a.n, a.c))))
