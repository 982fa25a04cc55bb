"""Pool workers on one shared dict: Manager().dict() loses updates, client.dict() does not; a
worker paused past its lease's TTL has its fenced write refused by the store."""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import unittest
from typing import Any, Tuple

from support import baton, client, unique, wait_for

WORKERS = 8
EACH = int(os.environ.get("BATON_TEST_EACH", "30"))


def plus_one(args: Tuple[Any, int]) -> int:
    """`d["n"] += 1`, `n` times: a read then a write, on whatever dict it is given."""
    d, n = args
    for _ in range(n):
        d["n"] += 1
    return n


def incr(args: Tuple["baton.Dict", int]) -> int:
    d, n = args
    for _ in range(n):
        d.incr("n")
    return n


def locked_plus_one(args: Tuple["baton.Dict", "baton.Lock", int]) -> int:
    """The same read-modify-write, under the lock, written with the lease's fence."""
    d, lock, n = args
    for _ in range(n):
        with lock as lease:
            d.set("n", d["n"] + 1, fence=lease)
    return n


class LostUpdateTest(unittest.TestCase):
    def test_manager_dict_loses_updates_where_client_dict_counts_exactly(self) -> None:
        expected = WORKERS * EACH
        c = client()
        with multiprocessing.Manager() as manager, multiprocessing.Pool(WORKERS) as pool:
            md = manager.dict()
            md["n"] = 0
            pool.map(plus_one, [(md, EACH)] * WORKERS)
            manager_total = md["n"]

            bd = c.dict(unique("py-fleet"))
            self.addCleanup(bd.clear)
            bd["n"] = 0
            pool.map(incr, [(bd, EACH)] * WORKERS)
            incr_total = bd["n"]

            bd["n"] = 0
            pool.map(locked_plus_one, [(bd, c.lock(unique("py-fleet-lock"), ttl=10), EACH)] * WORKERS)
            locked_total = bd["n"]
        print(
            f"\n  Pool({WORKERS}) x {EACH} increments each, expected {expected}:"
            f" Manager().dict() d[k] += 1 -> {manager_total};"
            f" client.dict().incr -> {incr_total};"
            f" lock + fenced set -> {locked_total}",
            file=sys.stderr,
        )
        self.assertLessEqual(manager_total, expected)
        self.assertEqual(incr_total, expected)
        self.assertEqual(locked_total, expected)


def paused_worker(d: "baton.Dict", lock: "baton.Lock", q: "multiprocessing.Queue[Any]", go: Any) -> None:
    try:
        with lock as lease:
            d.set("report", "from the first holder", fence=lease)
            q.put(("holding", lease.fence))
            go.get()  # the parent stops this process here, past the lease's TTL
            try:
                d.set("report", "stale write after the pause", fence=lease)
                q.put(("written", None))
            except baton.StaleFence as e:
                q.put(("refused", (e.code, e.status)))
            except baton.BatonError as e:
                q.put(("error", repr(e)))
            q.put(("lost", lease.lost.wait(10)))
    except baton.LockLost as e:
        q.put(("exit raised", e.code))


@unittest.skipUnless(hasattr(signal, "SIGSTOP"), "needs SIGSTOP")
class PausedWorkerTest(unittest.TestCase):
    def test_a_worker_paused_past_its_ttl_has_its_fenced_write_refused(self) -> None:
        c = client()
        d = c.dict(unique("py-paused"))
        self.addCleanup(d.clear)
        lock = c.lock(unique("py-paused-lock"), ttl=1.0)
        ctx = multiprocessing.get_context()
        q, go = ctx.Queue(), ctx.Queue()  # a queue, not an Event: Event.set waits for a stopped waiter
        p = ctx.Process(target=paused_worker, args=(d, lock, q, go))
        p.start()
        self.addCleanup(lambda: (p.is_alive() and (os.kill(p.pid, signal.SIGCONT), p.kill()), p.join(5)))  # type: ignore[func-returns-value]
        kind, first_fence = q.get(timeout=30)
        self.assertEqual(kind, "holding")
        os.kill(p.pid, signal.SIGSTOP)  # paused: no keep-alive, so the 1 s lease runs out
        started = time.monotonic()
        with c.lock(lock.name, ttl=10, timeout=20) as lease:
            took = time.monotonic() - started
            self.assertGreater(lease.fence, first_fence)
            version = d.set("report", "from the second holder", fence=lease)
            go.put("go")  # queued while the worker is still stopped
            os.kill(p.pid, signal.SIGCONT)
            kind, detail = q.get(timeout=30)
            self.assertEqual((kind, detail), ("refused", ("stale_fence", 409)))
            self.assertEqual(d.entry("report"), baton.Entry("report", "from the second holder", version))
        self.assertEqual(q.get(timeout=30), ("lost", True))
        self.assertEqual(q.get(timeout=30), ("exit raised", "lock_lost"))
        p.join(30)
        self.assertEqual(p.exitcode, 0)
        print(f"\n  paused worker: lock taken over after {took:.2f} s (ttl 1 s); its fenced write was refused", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
