#!/usr/bin/env python3
"""The runtime micro-benchmarks of bench/runtime_bench.cpp, in asyncio.

Stdlib only. Each operation is calibrated until one run takes at least
--min-time seconds, then timed --repetitions times; the best (lowest) per-op
time is kept, like the minimum over Google Benchmark repetitions that
bench/primitives.sh uses. Prints JSON: {"python": ..., "results": {name: ns}}.
Times are CPU time of the process (--wall: wall-clock time).
"""
import argparse
import asyncio
import json
import platform
import sys
import time

GATHER_TASKS = 1000

# CPU time of the (single-threaded) process by default, like Google Benchmark's
# cpu_time: robust on a machine shared with other jobs. --wall for wall time.
clock = time.process_time


async def trivial():
    return 1


async def create_task_await(n):
    t0 = clock()
    for _ in range(n):
        await asyncio.create_task(trivial())
    return clock() - t0, n


async def gather_1000(n):
    t0 = clock()
    for _ in range(n):
        await asyncio.gather(*[trivial() for _ in range(GATHER_TASKS)])
    return clock() - t0, n


async def lock_uncontended(n):
    lock = asyncio.Lock()
    t0 = clock()
    for _ in range(n):
        async with lock:
            pass
    return clock() - t0, n


async def lock_handoff(n):
    # Two tasks alternately take the lock and yield while holding it: every
    # acquisition is a FIFO hand-off from the other task. Per op = per acquisition.
    lock = asyncio.Lock()
    count = 0
    stop = False

    async def worker():
        nonlocal count, stop
        while True:
            async with lock:
                if stop:
                    return
                count += 1
                if count >= n:
                    stop = True
                    return
                await asyncio.sleep(0)

    t0 = clock()
    await asyncio.gather(worker(), worker())
    return clock() - t0, count


async def semaphore_uncontended(n):
    sem = asyncio.Semaphore(1)
    t0 = clock()
    for _ in range(n):
        async with sem:
            pass
    return clock() - t0, n


async def event_roundtrip(n):
    # main sets `ping`; the waiter wakes, clears it, sets `pong`; main wakes and
    # clears `pong`. Two wake-ups per round trip.
    ping, pong = asyncio.Event(), asyncio.Event()
    stop = False

    async def waiter():
        while True:
            await ping.wait()
            ping.clear()
            if stop:
                return
            pong.set()

    w = asyncio.create_task(waiter())
    await asyncio.sleep(0)  # let the waiter park, as the C++ loop's first turn does
    t0 = clock()
    for _ in range(n):
        ping.set()
        await pong.wait()
        pong.clear()
    elapsed = clock() - t0
    stop = True
    ping.set()
    await w
    return elapsed, n


async def condition_roundtrip(n):
    # main and a waiter pass a turn back and forth under one Condition: each
    # sets the turn to the other, notifies and waits for it to come back. Two
    # notify -> wait wake-ups per round trip.
    cond = asyncio.Condition()
    turn = 0
    stop = False

    async def waiter():
        nonlocal turn
        async with cond:
            while True:
                await cond.wait_for(lambda: turn == 1)
                if stop:
                    return
                turn = 0
                cond.notify()

    w = asyncio.create_task(waiter())
    await asyncio.sleep(0)  # let the waiter take the lock and wait, as the C++ loop's first turn does
    async with cond:
        t0 = clock()
        for _ in range(n):
            turn = 1
            cond.notify()
            await cond.wait_for(lambda: turn == 0)
        elapsed = clock() - t0
        stop = True
        turn = 1
        cond.notify()
    await w
    return elapsed, n


async def barrier_of_2(n):
    # Two tasks pass a Barrier(2) round after round; one op is one round. The
    # partner cannot tell which round is the last: abort() ends it.
    barrier = asyncio.Barrier(2)

    async def partner():
        try:
            while True:
                await barrier.wait()
        except asyncio.BrokenBarrierError:
            pass

    p = asyncio.create_task(partner())
    t0 = clock()
    for _ in range(n):
        await barrier.wait()
    elapsed = clock() - t0
    await barrier.abort()
    await p
    return elapsed, n


async def race_in_order(n, loser_first):
    # A trivial task against one waiting on an Event that is never set: the
    # trivial one wins, the other is cancelled and awaited before the race
    # returns (asyncio's way to write runtime::race: wait FIRST_COMPLETED,
    # cancel the rest, wait for them). asyncio starts every task of a wait,
    # so the order they are created in changes only which runs first.
    never_set = asyncio.Event()

    async def wait_forever():
        await never_set.wait()
        return 2

    first, second = (wait_forever, trivial) if loser_first else (trivial, wait_forever)
    t0 = clock()
    for _ in range(n):
        tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in pending:
            t.cancel()
        await asyncio.wait(pending)
        done.pop().result()
    return clock() - t0, n


async def race_of_2(n):
    return await race_in_order(n, loser_first=False)


async def race_of_2_loser_waiting(n):
    return await race_in_order(n, loser_first=True)


async def as_completed_1000(n):
    t0 = clock()
    for _ in range(n):
        total = 0
        for f in asyncio.as_completed([trivial() for _ in range(GATHER_TASKS)]):
            total += await f
    return clock() - t0, n


async def sleep_zero(n):
    t0 = clock()
    for _ in range(n):
        await asyncio.sleep(0)
    return clock() - t0, n


BENCHMARKS = {
    "create_task_await": create_task_await,
    "gather_1000": gather_1000,
    "lock_uncontended": lock_uncontended,
    "lock_handoff": lock_handoff,
    "semaphore_uncontended": semaphore_uncontended,
    "event_roundtrip": event_roundtrip,
    "sleep_zero": sleep_zero,
    "condition_roundtrip": condition_roundtrip,
    "barrier_of_2": barrier_of_2,
    "race_of_2": race_of_2,
    "race_of_2_loser_waiting": race_of_2_loser_waiting,
    "as_completed_1000": as_completed_1000,
}


async def measure(fn, min_time, repetitions):
    n = 16
    while True:  # calibrate: grow n until one run lasts min_time
        elapsed, ops = await fn(n)
        if elapsed >= min_time:
            break
        n = int(n * min(10.0, max(1.5, 1.4 * min_time / max(elapsed, 1e-9))))
    best = elapsed / ops
    for _ in range(repetitions - 1):
        elapsed, ops = await fn(n)
        best = min(best, elapsed / ops)
    return best * 1e9, n


async def main_async(args):
    results, iterations = {}, {}
    for name, fn in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        results[name], iterations[name] = await measure(fn, args.min_time, args.repetitions)
        print(f"{name}: {results[name]:.1f} ns/op", file=sys.stderr)
    return results, iterations


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--min-time", type=float, default=0.3, help="seconds per timed run (default 0.3)")
    p.add_argument("--repetitions", type=int, default=3, help="timed runs per operation, best kept")
    p.add_argument("--only", nargs="*", help="benchmark names to run")
    p.add_argument("--wall", action="store_true", help="wall-clock time instead of CPU time")
    args = p.parse_args()
    if args.wall:
        global clock
        clock = time.perf_counter
    results, iterations = asyncio.run(main_async(args))
    json.dump({
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "executable": sys.executable,
        "min_time_s": args.min_time,
        "repetitions": args.repetitions,
        "clock": "wall" if args.wall else "cpu",
        "iterations": iterations,
        "per_task_gather_ns": results.get("gather_1000", 0) / GATHER_TASKS,
        "results": results,
    }, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
