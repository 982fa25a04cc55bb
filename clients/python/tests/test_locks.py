"""Locks, semaphores and rwlocks: long-poll waits, background extension, loss, fenced writes."""
from __future__ import annotations

import threading
import time
import unittest

from support import baton, client, unique


class LockTest(unittest.TestCase):
    def setUp(self) -> None:
        self.c = client()
        self.name = unique("py-lock")

    def test_with_block_holds_the_lock_and_fences_grow(self) -> None:
        lock = self.c.lock(self.name, ttl=10)
        with lock as first:
            self.assertIsInstance(first, baton.Lease)
            self.assertTrue(lock.info()["held"])
            self.assertIsNone(self.c.lock(self.name).acquire(blocking=False))
        self.assertTrue(first.released)
        self.assertFalse(lock.info()["held"])
        with lock as second:
            self.assertGreater(second.fence, first.fence)

    def test_acquire_has_the_shape_of_threading_lock_acquire(self) -> None:
        a, b = self.c.lock(self.name, ttl=10), self.c.lock(self.name, ttl=10)
        lease = a.acquire()
        self.assertTrue(lease)
        self.assertIsNone(b.acquire(blocking=False))
        started = time.monotonic()
        self.assertIsNone(b.acquire(timeout=0.3))
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        with self.assertRaises(baton.LockTimeout) as ctx:
            with self.c.lock(self.name, timeout=0.1):
                pass
        self.assertIsInstance(ctx.exception, TimeoutError)
        self.assertTrue(a.release())
        with self.assertRaises(RuntimeError):
            a.release()
        self.assertTrue(b.acquire(blocking=False))
        b.release()

    def test_a_waiter_is_woken_by_the_release(self) -> None:
        holder = self.c.lock(self.name, ttl=10).acquire()
        assert holder is not None
        got = []
        t = threading.Thread(target=lambda: got.append(self.c.lock(self.name, ttl=10).acquire(timeout=20)))
        t.start()
        time.sleep(0.2)
        self.assertEqual(got, [])
        released_at = time.monotonic()
        holder.release()
        t.join(20)
        self.assertTrue(got and got[0], "the waiter got the lock")
        self.assertLess(time.monotonic() - released_at, 10)
        self.assertGreater(got[0].fence, holder.fence)
        # The waiter's lease counts from its grant (send time + the server's waitedMs), so it is
        # not lost at once after a long wait, and never from the answer's arrival (later than the grant).
        self.assertGreater(got[0]._deadline, released_at + 10 - 2)
        self.assertLessEqual(got[0]._deadline, time.monotonic() + 10)
        got[0].release()

    def test_grant_start_counts_from_send_plus_the_servers_wait(self) -> None:
        from baton.locks import grant_start

        self.assertEqual(grant_start(100.0, 103.0, {"waitedMs": 2500}), 102.5)
        self.assertEqual(grant_start(100.0, 101.0, {"waitedMs": 5000}), 101.0)  # never after the answer
        for bad in ({}, {"waitedMs": -1}, {"waitedMs": True}, {"waitedMs": "9"}, {"waitedMs": 1.5}):
            self.assertEqual(grant_start(100.0, 103.0, bad), 100.0)  # an older server: the send time

    def test_the_lease_is_extended_in_the_background_while_the_block_runs(self) -> None:
        with self.c.lock(self.name, ttl=1.5) as lease:
            time.sleep(3.2)  # over 2 TTLs; an extend every 0.5 s leaves a 1 s margin for a loaded machine
            self.assertFalse(lease.lost.is_set())
            self.assertIsNone(self.c.lock(self.name).acquire(blocking=False))
        self.assertFalse(lease.lost.is_set())

    def test_loss_inside_the_block_sets_lost_and_raises_on_exit(self) -> None:
        with self.assertRaises(baton.LockLost):
            with self.c.lock(self.name, ttl=0.6) as lease:
                # Someone else frees it with the token (as an expiry would): the next extend is refused.
                self.c._t.request("POST", f"/v1/locks/{self.name}/release", {"token": lease.token})
                self.assertTrue(lease.lost.wait(10), "the keep-alive saw the loss")
        with self.assertRaises(baton.LockLost):
            lease.extend()

    def test_an_exception_in_the_block_still_releases(self) -> None:
        with self.assertRaises(ZeroDivisionError):
            with self.c.lock(self.name, ttl=10):
                1 / 0  # noqa: B018
        self.assertFalse(self.c.lock(self.name).info()["held"])

    def test_fenced_writes_with_a_lease(self) -> None:
        d = self.c.dict(unique("py-fenced"))
        self.addCleanup(d.clear)
        with self.c.lock(self.name, ttl=10) as old:
            d.set("v", "old", fence=old)
        with self.c.lock(self.name, ttl=10) as new:
            d.set("v", "new", fence=new)
            with self.assertRaises(baton.StaleFence) as ctx:
                d.set("v", "stale", fence=old)
            self.assertEqual(ctx.exception.status, 409)
            with self.assertRaises(baton.StaleFence):
                d.update_key("v", lambda v: "stale", fence=old)
            d.update_key("v", lambda v: v + "!", fence=new)
        self.assertEqual(d["v"], "new!")


class SemaphoreTest(unittest.TestCase):
    def test_permits_bound_the_holders(self) -> None:
        c = client()
        name = unique("py-sem")
        sem = c.semaphore(name, permits=2, ttl=10)
        a, b = sem.acquire(), sem.acquire()
        self.assertTrue(a and b)
        self.assertIsNone(sem.acquire(blocking=False))
        info = sem.info()
        self.assertEqual((info["permits"], info["used"]), (2, 2))
        with self.assertRaises(baton.InvalidArgument):
            c.semaphore(name, permits=2, count=3).acquire(blocking=False)
        sem.release(a)
        with c.semaphore(name, ttl=10) as third:  # permits may be left out while in use
            self.assertEqual(third.fence_lock, "semaphore/" + name)
            d = c.dict(unique("py-sem-dict"))
            self.addCleanup(d.clear)
            d.set("k", 1, fence=third)
        sem.release()
        self.assertEqual(sem.info()["used"], 0)


class RWLockTest(unittest.TestCase):
    def test_readers_share_and_a_writer_excludes(self) -> None:
        c = client()
        rw = c.rwlock(unique("py-rw"), ttl=10)
        with rw.read() as r1, rw.read() as r2:
            self.assertNotEqual(r1.fence, r2.fence)
            self.assertEqual(rw.info()["readers"], 2)
            self.assertIsNone(rw.write().acquire(blocking=False))
        with rw.write() as w:
            self.assertEqual(w.fence_lock, "rwlock/" + rw.name)
            self.assertGreater(w.fence, max(r1.fence, r2.fence))
            self.assertIsNone(rw.read().acquire(blocking=False))
        self.assertEqual(rw.info()["mode"], "free")


if __name__ == "__main__":
    unittest.main()
