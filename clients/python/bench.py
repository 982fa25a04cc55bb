#!/usr/bin/env python3
"""Ops/s of the client's d[k], d[k] = v and d.incr(k) beside the same requests sent with raw http.client.

One thread, one keep-alive connection, sequential requests against a running server:
    python3 clients/python/bench.py http://127.0.0.1:7070 [count]
It deletes the dict it used. The figures are the client's per-call overhead on top of the HTTP
round trip; they say nothing about the server's throughput under many clients.
"""
from __future__ import annotations

import http.client
import json
import os
import sys
import time
from typing import Callable
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))
import baton  # noqa: E402


def rate(fn: Callable[[], object], n: int) -> float:
    fn()  # warm up (connection open)
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


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
            ("d[k]", rate(lambda: d["k"], n), rate(raw_get, n)),
            ("d[k] = v", rate(lambda: d.__setitem__("k", 1), n), rate(raw_put, n)),
            ("d.incr(k)", rate(lambda: d.incr("k"), n), rate(raw_incr, n)),
        ]
    finally:
        d.clear()
        raw.close()
    print(f"{n} sequential requests each, one connection, {url}")
    print(f"{'operation':<12}{'client ops/s':>14}{'raw http.client ops/s':>24}{'client/raw':>12}")
    for op, c, r in rows:
        print(f"{op:<12}{c:>14.0f}{r:>24.0f}{c / r:>12.2f}")


if __name__ == "__main__":
    main()
