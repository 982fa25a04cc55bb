#!/usr/bin/env python3
"""Ops/s of the client's d[k], d[k] = v and d.incr(k) beside the same requests sent with raw http.client.

One thread, one keep-alive connection, sequential requests against a running server:
    python3 clients/python/bench.py http://127.0.0.1:7070 [count]
It deletes the dict it used. The client's cost beside raw http.client is best read in the CPU
columns (this process's CPU time per call), which a busy machine disturbs less than ops/s; the
figures say nothing about the server's throughput under many clients.
"""
from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import time
from typing import Callable, Tuple
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))
import baton  # noqa: E402


def measure(fn: Callable[[], object], n: int) -> Tuple[float, float]:
    """(ops/s, this process's CPU microseconds per op) of ``n`` sequential calls."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return n / wall, cpu / n * 1e6


def compare(client_fn: Callable[[], object], raw_fn: Callable[[], object], n: int, rounds: int = 5) -> Tuple[float, float, float, float]:
    """Best ops/s and median CPU µs/op of each, over ``rounds`` alternating rounds of n/rounds calls.

    Alternating and taking the best round keeps a busy machine from favouring whichever ran first.
    """
    client_fn()
    raw_fn()  # warm up: open the connections
    c_runs, r_runs = [], []
    for _ in range(rounds):
        c_runs.append(measure(client_fn, n // rounds))
        r_runs.append(measure(raw_fn, n // rounds))
    return (
        max(r[0] for r in c_runs),
        statistics.median(r[1] for r in c_runs),
        max(r[0] for r in r_runs),
        statistics.median(r[1] for r in r_runs),
    )


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BATON_URL", baton.DEFAULT_URL)
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    name = f"py-bench-{os.getpid()}"
    d = baton.connect(url).dict(name)
    parts = urlsplit(url)
    raw = http.client.HTTPConnection(parts.hostname, parts.port or 80)
    key = f"/v1/dicts/{name}/keys/k"
    hdrs = {"Accept": "application/json", "Content-Type": "application/json"}

    def raw_get() -> object:
        raw.request("GET", key, headers={"Accept": "application/json"})
        return json.loads(raw.getresponse().read())

    def raw_put() -> object:
        raw.request("PUT", key, body=b"1", headers=hdrs)
        return json.loads(raw.getresponse().read())

    def raw_incr() -> object:
        raw.request("POST", key + "/incr", body=b'{"by":1}', headers=hdrs)
        return json.loads(raw.getresponse().read())

    try:
        d["k"] = 1
        rows = [
            ("d[k]",) + compare(lambda: d["k"], raw_get, n),
            ("d[k] = v",) + compare(lambda: d.__setitem__("k", 1), raw_put, n),
            ("d.incr(k)",) + compare(lambda: d.incr("k"), raw_incr, n),
        ]
    finally:
        d.clear()
        raw.close()
    print(f"{n} sequential requests per operation and side, one connection each, {url}")
    print("ops/s: best of 5 alternating rounds; CPU: this process's CPU time per call (median round)")
    print(f"{'operation':<11}{'client ops/s':>13}{'raw ops/s':>11}{'client CPU µs':>15}{'raw CPU µs':>12}")
    for op, c, c_cpu, r, r_cpu in rows:
        print(f"{op:<11}{c:>13.0f}{r:>11.0f}{c_cpu:>15.0f}{r_cpu:>12.0f}")

if __name__ == "__main__":
    main()
