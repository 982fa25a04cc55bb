"""watch(): every change in order, resumed across a restart of a Redis-backed server without gaps."""
from __future__ import annotations

import queue
import threading
import unittest
from typing import Any, List

from support import Redis, Server, baton, client, unique


def collect(d: "baton.Dict", count: int, **kw: Any) -> "queue.Queue[Any]":
    """Watch ``d`` on a thread and put the first ``count`` changes (or the error) on a queue."""
    q: "queue.Queue[Any]" = queue.Queue()
    changes = d.watch(**kw)

    def run() -> None:
        try:
            for n, ch in enumerate(changes, 1):
                q.put(ch)
                if n == count:
                    break
        except Exception as e:  # noqa: BLE001 - handed to the test
            q.put(e)

    threading.Thread(target=run, daemon=True).start()
    return q


def take(q: "queue.Queue[Any]", n: int, timeout: float = 30) -> List[Any]:
    got = [q.get(timeout=timeout) for _ in range(n)]
    for g in got:
        if isinstance(g, Exception):
            raise g
    return got


class WatchTest(unittest.TestCase):
    def test_changes_from_a_version_in_order(self) -> None:
        d = client().dict(unique("py-watch"))
        self.addCleanup(d.clear)
        v1 = d.set("a", 1)
        d.set("b", {"x": 2})
        del d["a"]
        q = collect(d, 4, from_version=v1 - 1)
        got = take(q, 3)
        self.assertEqual([(c.type, c.key, c.value) for c in got], [("set", "a", 1), ("set", "b", {"x": 2}), ("delete", "a", None)])
        self.assertEqual([c.version for c in got], [v1, v1 + 1, v1 + 2])
        d.batch([("set", "c", 3)])
        (last,) = take(q, 1)
        self.assertEqual((last.type, last.key, last.value, last.version), ("set", "c", 3, v1 + 3))

    def test_by_default_from_the_version_at_the_call(self) -> None:
        d = client().dict(unique("py-watch"))
        self.addCleanup(d.clear)
        d["old"] = 1
        q = collect(d, 1)
        d["new"] = 2
        (ch,) = take(q, 1)
        self.assertEqual((ch.key, ch.value), ("new", 2))

    def test_a_version_the_dict_has_not_reached_is_history_compacted(self) -> None:
        # What a watcher resuming on a restarted memory server (a new history) meets too.
        d = client().dict(unique("py-watch"))
        self.addCleanup(d.clear)
        d["a"] = 1
        q = collect(d, 1, from_version=1000)
        with self.assertRaises(baton.HistoryCompacted) as ctx:
            take(q, 1)
        self.assertEqual((ctx.exception.status, ctx.exception.code), (410, "history_compacted"))


class RestartTest(unittest.TestCase):
    def test_resumes_across_a_restart_of_a_redis_backed_server_without_gaps(self) -> None:
        redis = Redis()
        self.addCleanup(redis.stop)
        backend = f"{redis.url}?prefix=py-watch:"
        first = Server(backend)
        self.addCleanup(first.stop)
        c = baton.connect(first.url)
        d = c.dict("restart")
        q = collect(d, 6, from_version=0)
        for i in range(3):
            d[f"k{i}"] = i
        before = take(q, 3)
        first.stop()  # SIGTERM: the open stream ends; the watcher retries while no one listens
        second = Server(backend, port=first.port)
        self.addCleanup(second.stop)
        for i in range(3, 6):
            d[f"k{i}"] = i
        after = take(q, 3)
        got = before + after
        self.assertEqual([(c.key, c.value, c.version) for c in got], [(f"k{i}", i, i + 1) for i in range(6)])
        self.assertEqual(len({c.id.rsplit(":", 1)[0] for c in got}), 1, "one history across the restart")
        d.clear()



if __name__ == "__main__":
    unittest.main()
