"""client.dict(): the MutableMapping behaviour against a plain dict, and what Manager's dict lacks."""
from __future__ import annotations

import os
import pickle
import random
import threading
import time
import unittest
from collections.abc import MutableMapping

from support import baton, client, unique, wait_for


class DictTest(unittest.TestCase):
    def setUp(self) -> None:
        self.c = client()
        self.d = self.c.dict(unique("py-dict"))
        self.addCleanup(self.d.clear)

    def test_behaves_as_a_plain_dict_under_random_operation_sequences(self) -> None:
        self.assertIsInstance(self.d, MutableMapping)
        seed = int(os.environ.get("BATON_TEST_SEED", random.randrange(1 << 30)))
        rnd = random.Random(seed)
        keys = ["a", "b", "c/d", "e f", "ü%", "x" * 50, "1"]
        values = [0, 1, -2.5, "s", "", None, True, [1, "2"], {"k": [None, {}]}]
        d, ref = self.d, {}  # type: ignore[var-annotated]

        def both(fn):  # type: ignore[no-untyped-def]
            outcome = []
            for m in (d, ref):
                try:
                    outcome.append(("ok", fn(m)))
                except KeyError as e:
                    outcome.append(("KeyError", e.args))
            return outcome

        ops = [
            lambda m, k, v: m.__setitem__(k, v),
            lambda m, k, v: m[k],
            lambda m, k, v: m.__delitem__(k),
            lambda m, k, v: k in m,
            lambda m, k, v: len(m),
            lambda m, k, v: sorted(m),
            lambda m, k, v: sorted(m.items(), key=repr),
            lambda m, k, v: sorted(m.values(), key=repr),
            lambda m, k, v: m.get(k),
            lambda m, k, v: m.get(k, "dflt"),
            lambda m, k, v: m.setdefault(k, v),
            lambda m, k, v: m.pop(k),
            lambda m, k, v: m.pop(k, "dflt"),
            lambda m, k, v: m.update({k: v, "a": v}),
            lambda m, k, v: m.update([(k, v)], b=v),
            lambda m, k, v: m.clear() if v == "" else None,  # a clear now and then
            lambda m, k, v: len(m.keys()),
        ]
        for step in range(250):
            i, k, v = rnd.randrange(len(ops)), rnd.choice(keys), rnd.choice(values)
            got, want = both(lambda m: ops[i](m, k, v))
            self.assertEqual(got, want, f"seed {seed}, step {step}: op {i} key {k!r} value {v!r}")
        self.assertEqual(d.copy(), ref, f"seed {seed}")
        self.assertEqual(dict(d), ref)
        self.assertEqual(d, ref)  # Mapping equality: same items

    def test_popitem_takes_every_entry_once(self) -> None:
        self.d.update({"a": 1, "b": 2})
        got = {self.d.popitem(), self.d.popitem()}
        self.assertEqual(got, {("a", 1), ("b", 2)})
        with self.assertRaises(KeyError):
            self.d.popitem()

    def test_incr_is_atomic_and_refuses_a_non_number(self) -> None:
        self.assertEqual(self.d.incr("n"), 1)
        self.assertEqual(self.d.incr("n", by=41), 42)
        self.assertEqual(self.d.incr("f", by=0.5), 0.5)
        self.d["s"] = "text"
        with self.assertRaises(baton.TypeMismatch) as ctx:
            self.d.incr("s")
        e = ctx.exception
        self.assertEqual((e.code, e.status), ("type_mismatch", 409))
        self.assertIn("not a number", e.detail)
        self.assertIsInstance(e, TypeError)
        self.assertEqual(self.d["s"], "text")
        threads = [threading.Thread(target=lambda: [self.d.incr("t") for _ in range(25)]) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(self.d["t"], 200)

    def test_update_key_retries_compare_and_set_until_every_update_lands(self) -> None:
        def worker(i: int) -> None:
            for j in range(10):
                self.d.update_key("list", lambda v, x=(i, j): [*v, list(x)], default=[])

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = self.d["list"]
        self.assertEqual(len(got), 60)
        self.assertEqual(sorted(map(tuple, got)), [(i, j) for i in range(6) for j in range(10)])

    def test_conditional_writes_refuse_and_change_nothing(self) -> None:
        v1 = self.d.set("k", "one")
        e = self.d.entry("k")
        assert e is not None
        self.assertEqual((e.value, e.version), ("one", v1))
        v2 = self.d.set("k", "two", if_version=v1)
        self.assertGreater(v2, v1)
        with self.assertRaises(baton.VersionConflict) as ctx:
            self.d.set("k", "three", if_version=v1)
        self.assertEqual((ctx.exception.status, ctx.exception.problem["expected"], ctx.exception.problem["actual"]), (412, v1, v2))
        with self.assertRaises(baton.VersionConflict):
            self.d.set("k", "four", if_absent=True)
        with self.assertRaises(baton.VersionConflict):
            self.d.delete("k", if_version=v1)
        self.assertEqual(self.d.entry("k"), baton.Entry("k", "two", v2))
        self.assertTrue(self.d.delete("k", if_version=v2))
        self.assertFalse(self.d.delete("k"))
        self.d.set("k", "five", if_absent=True)
        self.assertEqual(self.d["k"], "five")

    def test_ttl_entries_expire(self) -> None:
        self.d.set("short", 1, ttl=0.2)
        self.d.set("long", 2, ttl=60)
        wait_for(lambda: "short" not in self.d, timeout=10, what="the 0.2 s entry to expire")
        self.assertEqual(self.d["long"], 2)

    def test_batch_is_all_or_nothing(self) -> None:
        v = self.d.set("a", 1)
        version = self.d.batch([("set", "b", 2), ("delete", "a"), {"op": "set", "key": "c", "value": 3, "ttl": 60}])
        self.assertEqual(dict(self.d), {"b": 2, "c": 3})
        with self.assertRaises(baton.VersionConflict):
            self.d.batch([("set", "d", 4), {"op": "set", "key": "b", "value": 0, "if_version": v}])
        self.assertEqual(dict(self.d), {"b": 2, "c": 3})
        self.assertEqual((self.d.info()["size"], self.d.info()["version"]), (2, version))
        with self.assertRaises(ValueError):
            self.d.batch([("frob", "x")])

    def test_entries_pages_and_filters_by_prefix(self) -> None:
        self.d.update({f"job-{i}": i for i in range(5)})
        self.d.update({"other": 0})
        got = list(self.d.entries(prefix="job-", page_size=2))
        self.assertEqual([(e.key, e.value) for e in got], [(f"job-{i}", i) for i in range(5)])
        self.assertTrue(all(e.version > 0 for e in got))
        self.assertEqual(len(self.d), 6)

    def test_bad_input_is_a_typed_error_that_changes_nothing(self) -> None:
        self.d["ok"] = 1
        with self.assertRaises(baton.InvalidArgument) as ctx:
            self.d["bad\x00key"] = 2
        self.assertEqual((ctx.exception.code, ctx.exception.status), ("invalid_argument", 400))
        self.assertTrue(ctx.exception.detail)
        with self.assertRaises(baton.InvalidArgument):
            self.c.dict("no spaces allowed")["k"] = 1
        with self.assertRaises(TypeError):
            self.d[1] = 2  # type: ignore[index]
        with self.assertRaises(TypeError):
            self.d["obj"] = object()
        with self.assertRaises(ValueError):
            self.d["nan"] = float("nan")
        self.assertEqual(dict(self.d), {"ok": 1})

    def test_an_unreachable_server_is_a_typed_error(self) -> None:
        from support import free_port

        dead = baton.connect(f"http://127.0.0.1:{free_port()}", timeout=2)
        with self.assertRaises(baton.ServerUnreachable) as ctx:
            dead.dict("x")["k"]
        self.assertEqual(ctx.exception.status, 0)
        self.assertIsInstance(ctx.exception, ConnectionError)


class PickleTest(unittest.TestCase):
    def test_handles_pickle_as_url_token_and_names_only(self) -> None:
        c = baton.connect("http://127.0.0.1:1/", token="s3cret", timeout=7)
        for obj in (c, c.dict("d"), c.lock("l", ttl=5), c.semaphore("s", permits=3), c.rwlock("r"), c.rwlock("r").read()):
            data = pickle.dumps(obj)
            self.assertLess(len(data), 1200, type(obj))
            back = pickle.loads(data)
            self.assertIs(type(back), type(obj))
        d = pickle.loads(pickle.dumps(c.dict("d")))
        self.assertEqual((d.name, d.client.url, d.client.token, d.client.timeout), ("d", "http://127.0.0.1:1", "s3cret", 7))
        s = pickle.loads(pickle.dumps(c.semaphore("s", permits=3)))
        self.assertEqual((s.name, s.permits, s.client.token), ("s", 3, "s3cret"))

    def test_a_token_in_the_url_or_the_environment(self) -> None:
        self.assertEqual(baton.connect("http://:tok@127.0.0.1:1").token, "tok")
        old = os.environ.get("BATON_TOKEN")
        os.environ["BATON_TOKEN"] = "envtok"
        try:
            self.assertEqual(baton.connect("http://127.0.0.1:1").token, "envtok")
        finally:
            if old is None:
                del os.environ["BATON_TOKEN"]
            else:
                os.environ["BATON_TOKEN"] = old

    def test_a_lease_does_not_pickle(self) -> None:
        c = client()
        with c.lock(unique("py-pickle")) as lease:
            with self.assertRaises(TypeError):
                pickle.dumps(lease)

    def test_errors_pickle_with_their_fields(self) -> None:
        e = baton.StaleFence(409, {"code": "stale_fence", "detail": "newer fence 3", "reason": "newer_fence"})
        back = pickle.loads(pickle.dumps(e))
        self.assertIs(type(back), baton.StaleFence)
        self.assertEqual((back.code, back.status, back.detail, back.problem["reason"]), ("stale_fence", 409, "newer fence 3", "newer_fence"))


class ForkTest(unittest.TestCase):
    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_a_client_used_before_fork_works_in_the_child_and_the_parent(self) -> None:
        c = client()
        d = c.dict(unique("py-fork"))
        self.addCleanup(d.clear)
        d.incr("n")  # the parent now holds an idle keep-alive connection
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = 0 if d.incr("n") == 2 else 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual(d.incr("n"), 3)


if __name__ == "__main__":
    unittest.main()
