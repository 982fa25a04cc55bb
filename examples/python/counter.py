#!/usr/bin/env python3
"""A shared counter from a multiprocessing.Pool, with the baton Python client (standard library only).

This is the job people usually write with multiprocessing.Manager().dict(), which loses updates
(`d["n"] += 1` is a read and a write, not one step). Here the state lives in a baton server, so
the workers may be on other machines too, and nothing is lost:

  phase 1: each worker takes the lock, reads the counter, and writes counter + 1 fenced with the
           lease: the server refuses the write (StaleFence) if a newer holder has written since,
           so a worker paused past its lease cannot overwrite a newer value.
  phase 2: each worker calls the atomic incr.

Run a server (`npm start`, or `baton serve`), install the client (`pip install ./clients/python`,
or run from the checkout), then:
    python3 examples/python/counter.py            # 8 workers x 50 increments per phase
    WORKERS=4 EACH=100 BATON_URL=http://host:7070 BATON_TOKEN=... python3 examples/python/counter.py
It prints {"expected": N, "locked": N, "incr": N}, deletes its dict, and exits 0 when both totals
are exact.
"""
import json
import os
import sys
from multiprocessing import Pool

try:
    import baton
except ImportError:  # run from a checkout without installing the client
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python", "src"))
    import baton


def locked_increments(args):
    """Phase 1 in one worker: `n` lock-guarded, fenced read-modify-writes."""
    d, lock, n = args
    for _ in range(n):
        with lock as lease:
            d.set("locked", d.get("locked", 0) + 1, fence=lease)
    return n


def atomic_increments(args):
    """Phase 2 in one worker: `n` atomic increments."""
    d, _, n = args
    for _ in range(n):
        d.incr("incr")
    return n


def main():
    workers = int(os.environ.get("WORKERS", "8"))
    each = int(os.environ.get("EACH", "50"))
    client = baton.connect()  # BATON_URL / BATON_TOKEN, else http://127.0.0.1:7070
    d = client.dict(os.environ.get("BATON_DICT", f"py-counter-{os.getpid()}"))
    jobs = [(d, client.lock(d.name + "-lock", ttl=10), each)] * workers  # handles pickle to the workers
    try:
        with Pool(workers) as pool:
            pool.map(locked_increments, jobs)
            pool.map(atomic_increments, jobs)
        totals = {"locked": d["locked"], "incr": d["incr"]}
    finally:
        d.clear()  # leave nothing behind on the server
    expected = workers * each
    print(json.dumps({"expected": expected, **totals}))
    sys.exit(0 if totals["locked"] == expected and totals["incr"] == expected else 1)


if __name__ == "__main__":
    main()
