#!/usr/bin/env python3
"""The mean of a large range, computed in chunks by a multiprocessing.Pool, sharing progress and
partial results through a baton dict (standard library only: statistics.mean, no numpy).

The parent splits range(ITEMS) into chunks; each worker takes a chunk, computes
statistics.mean over it, stores {"mean", "count", "worker"} under "partial:<i>" and counts its
progress with the atomic incr of "done". The parent watches the dict to print progress on stderr,
then combines the partial means (weighted by their counts) and checks the result against
statistics.mean(range(ITEMS)) computed in one process. With the dict on a baton server the
workers could as well run on other machines, and a crashed run leaves its partial results to
resume from; this one deletes its dict at the end.

Run a server (`npm start`), then:
    python3 examples/python/chunked_average.py
    ITEMS=5000000 CHUNK=250000 WORKERS=8 BATON_URL=http://host:7070 python3 examples/python/chunked_average.py
It prints one JSON line and exits 0 when the combined mean is exact.
"""
import json
import os
import statistics
import sys
import threading
from multiprocessing import Pool

try:
    import baton
except ImportError:  # run from a checkout without installing the client
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python", "src"))
    import baton


def average_chunk(args):
    """One chunk in one worker: its mean and count go to the dict, then the progress counter."""
    d, i, lo, hi = args
    d[f"partial:{i}"] = {"mean": statistics.mean(range(lo, hi)), "count": hi - lo, "worker": os.getpid()}
    return d.incr("done")


def show_progress(d, chunks, start_version, seen):
    """Print each progress step as the watch sees the "done" counter move."""
    for change in d.watch(from_version=start_version, prefix="done"):
        seen.append(change.value)
        print(f"progress: {change.value}/{chunks} chunks", file=sys.stderr)
        if change.value >= chunks:
            return


def main():
    items = int(os.environ.get("ITEMS", "1000000"))
    size = int(os.environ.get("CHUNK", "50000"))
    workers = int(os.environ.get("WORKERS", "4"))
    client = baton.connect()
    d = client.dict(os.environ.get("BATON_DICT", f"py-average-{os.getpid()}"))
    bounds = [(lo, min(lo + size, items)) for lo in range(0, items, size)]
    chunks = len(bounds)
    try:
        seen = []
        watcher = threading.Thread(target=show_progress, args=(d, chunks, d.info()["version"], seen), daemon=True)
        watcher.start()
        with Pool(workers) as pool:
            pool.map(average_chunk, [(d, i, lo, hi) for i, (lo, hi) in enumerate(bounds)])
        watcher.join(timeout=30)
        partials = {e.key: e.value for e in d.entries(prefix="partial:")}
        total = sum(p["mean"] * p["count"] for p in partials.values())
        mean = total / sum(p["count"] for p in partials.values())
        result = {
            "items": items,
            "chunks": chunks,
            "workers": workers,
            "mean": mean,
            "expected": statistics.mean(range(items)),
            "done": d["done"],
            "progressSeen": len(seen),
            "workersUsed": len({p["worker"] for p in partials.values()}),
        }
    finally:
        d.clear()  # leave nothing behind on the server
    print(json.dumps(result))
    sys.exit(0 if result["mean"] == result["expected"] and result["done"] == chunks else 1)


if __name__ == "__main__":
    main()
