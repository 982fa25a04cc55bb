#!/usr/bin/env python3
"""A shared counter over baton's REST API, from a multiprocessing.Pool — standard library only.

This is the job people usually write with multiprocessing.Manager().dict(), which loses updates
(`d["n"] += 1` is a read and a write, not one step). Here the state lives in a baton server, so
the workers may be on other machines too, and nothing is lost:

  phase 1: each worker takes the lock, reads the counter, and writes counter + 1 with the lease's
           fence (Baton-Fence-Lock / Baton-Fence / Baton-Lock-Token): the server refuses the write
           if the lease was lost meanwhile, so a paused worker cannot overwrite a newer value.
  phase 2: each worker calls the atomic incr endpoint.

Run a server (`npm start`, or `baton serve`), then:
    python3 examples/python/counter.py            # 8 workers x 50 increments per phase
    WORKERS=4 EACH=100 BATON_URL=http://host:7070 BATON_TOKEN=... python3 examples/python/counter.py
It prints {"expected": N, "locked": N, "incr": N} and exits 0 when both totals are exact.
"""
import json
import os
import sys
import urllib.error
import urllib.request
from multiprocessing import Pool

BASE = os.environ.get("BATON_URL", "http://127.0.0.1:7070").rstrip("/")
TOKEN = os.environ.get("BATON_TOKEN")
# No proxies: the server is addressed directly, even when http_proxy is set.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BatonError(Exception):
    """A problem+json answer from the server: .status, .code and .detail."""

    def __init__(self, status, problem):
        problem = problem if isinstance(problem, dict) else {}
        self.status = status
        self.code = problem.get("code", "unknown")
        self.detail = problem.get("detail", "")
        super().__init__(f"HTTP {status} {self.code}: {self.detail}")


def call(method, path, body=None, headers=None):
    """Send one request; return (status, headers, parsed JSON body or None). Never raises on 4xx/5xx."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if TOKEN:
        req.add_header("Authorization", "Bearer " + TOKEN)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with OPENER.open(req, timeout=60) as res:
            text = res.read()
            return res.status, res.headers, json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        text = err.read()
        return err.code, err.headers, json.loads(text) if text else None


def acquire(lock, ttl_ms=10_000):
    """Take `lock`, long-polling: the server waits up to 30 s per request, so loop on lock_timeout."""
    while True:
        status, _, body = call(
            "POST", f"/v1/locks/{lock}/acquire", {"ttlMs": ttl_ms, "waitMs": 30_000, "owner": f"py-{os.getpid()}"}
        )
        if status == 200:
            return body  # {"name", "token", "fence", "expiresAt", "ttlMs"}
        if status == 409 and body and body.get("code") == "lock_timeout":
            continue
        raise BatonError(status, body)


def release(lock, token):
    call("POST", f"/v1/locks/{lock}/release", {"token": token})


def locked_increments(args):
    """Phase 1 in one worker: `n` lock-guarded, fenced read-modify-writes."""
    dict_name, lock, n = args
    key = f"/v1/dicts/{dict_name}/keys/locked"
    for _ in range(n):
        lease = acquire(lock)
        try:
            status, _, value = call("GET", key)
            current = 0 if status == 404 else value
            fence = {
                "Baton-Fence-Lock": lock,
                "Baton-Fence": str(lease["fence"]),
                "Baton-Lock-Token": lease["token"],
            }
            status, _, body = call("PUT", key, current + 1, fence)
            if status not in (200, 201):
                raise BatonError(status, body)  # 409 stale_fence: our lease was lost; nothing written
        finally:
            release(lock, lease["token"])
    return n


def atomic_increments(args):
    """Phase 2 in one worker: `n` atomic increments."""
    dict_name, _, n = args
    for _ in range(n):
        status, _, body = call("POST", f"/v1/dicts/{dict_name}/keys/incr/incr", {"by": 1})
        if status != 200:
            raise BatonError(status, body)
    return n


def main():
    workers = int(os.environ.get("WORKERS", "8"))
    each = int(os.environ.get("EACH", "50"))
    dict_name = os.environ.get("BATON_DICT", f"py-counter-{os.getpid()}")
    lock = f"{dict_name}-lock"
    jobs = [(dict_name, lock, each)] * workers
    with Pool(workers) as pool:
        pool.map(locked_increments, jobs)
        pool.map(atomic_increments, jobs)
    totals = {}
    for key in ("locked", "incr"):
        status, _, value = call("GET", f"/v1/dicts/{dict_name}/keys/{key}")
        if status != 200:
            raise BatonError(status, value)
        totals[key] = value
    expected = workers * each
    print(json.dumps({"expected": expected, **totals}))
    sys.exit(0 if totals["locked"] == expected and totals["incr"] == expected else 1)


if __name__ == "__main__":
    main()
