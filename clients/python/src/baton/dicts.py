"""``client.dict(name)``: a MutableMapping of JSON values stored in the baton server.

It behaves as a plain ``dict`` (and as ``multiprocessing.Manager().dict()``), and adds what
Manager's dict lacks: atomic ``incr``, compare-and-set ``update_key``, conditional and fenced
``set``, all-or-nothing ``batch``, ``entries(prefix=…)`` and a resumable ``watch``. Every call is
one request (or one page of a listing): ``d[k] += 1`` is still a read then a write, so use
``incr`` or ``update_key`` for read-modify-writes shared between processes.
"""
from __future__ import annotations

import http.client
import json
import time
from collections.abc import ItemsView, MutableMapping, ValuesView
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from ._http import path_segment
from .errors import ServerUnreachable, VersionConflict, WatchOverflow, error_from_problem

if TYPE_CHECKING:
    from .client import Client
    from .locks import Lease

_MISSING: Any = object()
BATCH_MAX = 100  # the server's limit of ops per batch


class Entry(NamedTuple):
    """One stored entry: its key, value and version (the dict's version when it was last written)."""

    key: str
    value: Any
    version: int


class Change(NamedTuple):
    """One change seen by ``watch``: ``type`` is "set", "delete" or "expire"; ``value`` is None unless set."""

    type: str
    key: str
    value: Any
    version: int
    id: str


def _ttl_ms(ttl: Optional[float]) -> Optional[int]:
    return None if ttl is None else max(1, int(round(ttl * 1000)))


class _Items(ItemsView):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[Tuple[str, Any]]:
        for e in self._mapping.entries():
            yield e.key, e.value


class _Values(ValuesView):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[Any]:
        for e in self._mapping.entries():
            yield e.value


class Dict(MutableMapping):  # type: ignore[type-arg]
    """A shared dict of JSON values; pickles as (client URL and token, name)."""

    def __init__(self, client: "Client", name: str) -> None:
        self.client = client
        self.name = name
        self._base = f"/v1/dicts/{path_segment(name)}"

    def __reduce__(self) -> Any:
        return (Dict, (self.client, self.name))

    def __repr__(self) -> str:
        return f"<baton.Dict {self.name!r} at {self.client.url}>"

    def _key(self, key: str) -> str:
        if not isinstance(key, str):
            raise TypeError(f"baton dict keys are strings, not {type(key).__name__}")
        return f"{self._base}/keys/{path_segment(key)}"

    @staticmethod
    def _write_headers(if_version: Optional[int] = None, if_absent: bool = False, fence: "Optional[Lease]" = None) -> Dict[str, str]:
        h: Dict[str, str] = {}
        if if_version is not None:
            h["If-Match"] = f'"{int(if_version)}"'
        if if_absent:
            h["If-None-Match"] = "*"
        if fence is not None:
            h.update(fence.fence_headers())
        return h

    # -- the Mapping protocol ------------------------------------------------------------------

    def entry(self, key: str) -> Optional[Entry]:
        """The entry (value and version) at ``key``, or None when absent."""
        res = self.client._t.request("GET", self._key(key), ok=(404,))
        if res.status == 404:
            return None
        return Entry(key, res.body, int(res.headers.get("etag", '"0"').strip('W/"')))

    def __getitem__(self, key: str) -> Any:
        e = self.entry(key)
        if e is None:
            raise KeyError(key)
        return e.value

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def __delitem__(self, key: str) -> None:
        if not self.delete(key):
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.entry(key) is not None

    def __len__(self) -> int:
        return int(self.info()["size"])

    def __iter__(self) -> Iterator[str]:
        for e in self.entries():
            yield e.key

    def items(self) -> ItemsView:  # type: ignore[type-arg]
        """A view whose iteration reads whole pages (not one request per key)."""
        return _Items(self)

    def values(self) -> ValuesView:  # type: ignore[type-arg]
        return _Values(self)

    def setdefault(self, key: str, default: Any = None, *, ttl: Optional[float] = None) -> Any:
        """Store ``default`` only if ``key`` is absent (atomically); return the value now stored."""
        body: Dict[str, Any] = {"value": default}
        if ttl is not None:
            body["ttlMs"] = _ttl_ms(ttl)
        return self.client._t.request("POST", self._key(key) + "/set-if-absent", body).body["value"]

    def pop(self, key: str, default: Any = _MISSING, *, fence: "Optional[Lease]" = None) -> Any:
        """Remove ``key`` atomically and return its value (``default``, or KeyError, when absent)."""
        res = self.client._t.request("POST", self._key(key) + "/pop", headers=self._write_headers(fence=fence), ok=(404,))
        if res.status == 404:
            if default is _MISSING:
                raise KeyError(key)
            return default
        return res.body["value"]

    def popitem(self) -> Tuple[str, Any]:
        """Remove and return some (key, value); KeyError when empty."""
        while True:
            page = self._page(limit=1)
            if not page["entries"]:
                raise KeyError("popitem(): dictionary is empty")
            key = page["entries"][0]["key"]
            value = self.pop(key, _Absent)  # another process may have taken it: then try the next
            if value is not _Absent:
                return key, value

    def clear(self) -> None:
        """Remove every entry (one request)."""
        self.client._t.request("DELETE", self._base)

    def update(self, other: Any = (), /, **kw: Any) -> None:  # type: ignore[override]
        """Set many keys, sent as batches of up to 100 (each batch all-or-nothing)."""
        pairs: List[Tuple[str, Any]] = []
        if isinstance(other, Mapping):
            pairs.extend(other.items())
        elif hasattr(other, "keys"):
            pairs.extend((k, other[k]) for k in other.keys())
        else:
            pairs.extend(other)
        pairs.extend(kw.items())
        pairs = list(dict(pairs).items())  # a key given twice: the last value wins, as in dict.update
        for i in range(0, len(pairs), BATCH_MAX):
            self.batch([("set", k, v) for k, v in pairs[i : i + BATCH_MAX]])

    def copy(self) -> Dict[str, Any]:  # type: ignore[valid-type]
        """A plain ``dict`` snapshot (as ``Manager().dict().copy()``)."""
        return {e.key: e.value for e in self.entries()}

    # -- beyond Manager().dict() ----------------------------------------------------------------

    def set(self, key: str, value: Any, *, if_version: Optional[int] = None, if_absent: bool = False, ttl: Optional[float] = None, fence: "Optional[Lease]" = None) -> int:
        """Store ``value`` at ``key``; return the new version.

        ``if_version``: only if the entry is at that version (else ``VersionConflict``);
        ``if_absent``: only if absent; ``ttl``: seconds until it expires; ``fence=lease``: refused
        with ``StaleFence`` once a newer grant of the lease's lock has written (and, for locks,
        unless the lease still holds it where the backend can check).
        """
        res = self.client._t.request(
            "PUT",
            self._key(key),
            value,
            has_body=True,
            query={"ttlMs": _ttl_ms(ttl)},
            headers=self._write_headers(if_version, if_absent, fence),
        )
        return int(res.body["version"])

    def delete(self, key: str, *, if_version: Optional[int] = None, fence: "Optional[Lease]" = None) -> bool:
        """Delete ``key``; False if it was absent. ``if_version`` and ``fence`` as for ``set``."""
        res = self.client._t.request("DELETE", self._key(key), headers=self._write_headers(if_version, False, fence), ok=(404,))
        if res.status == 404 and isinstance(res.body, dict) and res.body.get("code") not in (None, "not_found"):
            raise error_from_problem(404, res.body)
        return res.status != 404

    def incr(self, key: str, by: Union[int, float] = 1) -> Union[int, float]:
        """Add ``by`` to the number at ``key`` (absent counts as 0) atomically; return the new value."""
        return self.client._t.request("POST", self._key(key) + "/incr", {"by": by}).body["value"]

    def update_key(self, key: str, fn: Callable[[Any], Any], default: Any = None, *, retries: int = 100, fence: "Optional[Lease]" = None) -> Any:
        """Replace the value at ``key`` with ``fn(value)`` (``fn(default)`` when absent) by compare-and-set.

        Retries when another writer got in between (at most ``retries`` times, then
        ``VersionConflict``); ``fn`` may therefore run more than once. Returns the value stored.
        """
        for attempt in range(retries + 1):
            e = self.entry(key)
            new = fn(default if e is None else e.value)
            try:
                if e is None:
                    self.set(key, new, if_absent=True, fence=fence)
                else:
                    self.set(key, new, if_version=e.version, fence=fence)
                return new
            except VersionConflict:
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")

    def batch(self, ops: Sequence[Union[Mapping[str, Any], Sequence[Any]]], *, fence: "Optional[Lease]" = None) -> int:
        """Apply up to 100 writes all or nothing; return the dict's new version.

        Each op is ``("set", key, value)``, ``("delete", key)``, or a mapping
        ``{"op": "set", "key", "value", "if_version"?, "ttl"?}`` / ``{"op": "delete", "key", "if_version"?}``.
        """
        wire: List[Dict[str, Any]] = []
        for op in ops:
            if isinstance(op, Mapping):
                o: Dict[str, Any] = {"op": op["op"], "key": op["key"]}
                if op["op"] == "set":
                    o["value"] = op.get("value")
                    if op.get("ttl") is not None:
                        o["ttlMs"] = _ttl_ms(op["ttl"])
                if op.get("if_version") is not None:
                    o["ifVersion"] = int(op["if_version"])
            else:
                if op[0] == "set":
                    o = {"op": "set", "key": op[1], "value": op[2]}
                elif op[0] == "delete" and len(op) == 2:
                    o = {"op": "delete", "key": op[1]}
                else:
                    raise ValueError(f"batch op must be ('set', key, value) or ('delete', key), not {op!r}")
            wire.append(o)
        res = self.client._t.request("POST", self._base + "/batch", {"ops": wire}, headers=self._write_headers(fence=fence))
        return int(res.body["version"])

    def info(self) -> Dict[str, Any]:
        """``{"size", "version"}`` of the dict."""
        return self.client._t.request("GET", self._base + "/info").body

    def _page(self, prefix: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> Dict[str, Any]:
        return self.client._t.request("GET", self._base, query={"prefix": prefix, "limit": limit, "cursor": cursor}).body

    def entries(self, prefix: Optional[str] = None, page_size: int = 1000) -> Iterator[Entry]:
        """Every entry (optionally only keys starting with ``prefix``), in key order, page by page."""
        cursor: Optional[str] = None
        while True:
            page = self._page(prefix, page_size, cursor)
            for e in page["entries"]:
                yield Entry(e["key"], e.get("value"), int(e["version"]))
            cursor = page.get("cursor")
            if not cursor:
                return

    def watch(self, from_version: Optional[int] = None, prefix: Optional[str] = None, *, reconnect_for: float = 30.0, read_timeout: Optional[float] = None) -> Iterator[Change]:
        """Yield every change after ``from_version`` (default: the dict's version now), forever.

        A dropped connection, a server restart or a ``watch_overflow`` is resumed with
        ``Last-Event-ID`` so no change is missed or repeated; after ``reconnect_for`` seconds
        without reaching the server it raises ``ServerUnreachable``. When the server no longer
        has that history (a restarted memory server, a wiped store) it raises
        ``HistoryCompacted``: list the dict again and watch from its version. Close the
        generator (or break out of the loop) to stop.
        """
        last_id: Optional[str] = None
        if from_version is None:  # now, not at the first next(): no change after this call is missed
            page = self._page(prefix, 1)
            last_id = f"{page['history']}:{page['version']}" if page.get("history") else str(page["version"])
        return self._watch(from_version, last_id, prefix, reconnect_for, read_timeout)

    def _watch(self, from_version: Optional[int], last_id: Optional[str], prefix: Optional[str], reconnect_for: float, read_timeout: Optional[float]) -> Iterator[Change]:
        t = self.client._t
        read_timeout = read_timeout if read_timeout is not None else max(60.0, self.client.timeout)
        down_since: Optional[float] = None
        backoff = 0.05
        while True:
            headers = t.headers({"Accept": "text/event-stream"})
            query: Dict[str, Any] = {"prefix": prefix}
            if last_id is not None:
                headers["Last-Event-ID"] = last_id
            else:
                query["fromVersion"] = from_version
            conn = t.new_connection(read_timeout)
            try:
                try:
                    conn.request("GET", t.url_of(self._base + "/watch", query), headers=headers)
                    res = conn.getresponse()
                except (http.client.HTTPException, OSError) as err:
                    if down_since is None:
                        down_since = time.monotonic()
                    if time.monotonic() - down_since > reconnect_for:
                        raise ServerUnreachable(0, None, f"watch of {self.name!r}: {err}") from err
                    time.sleep(backoff)
                    backoff = min(backoff * 2, 1.0)
                    continue
                if res.status != 200:
                    raw = res.read()
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        body = raw.decode("utf-8", "replace")
                    err2 = error_from_problem(res.status, body)
                    if res.status == 503 or isinstance(err2, WatchOverflow):
                        if down_since is None:
                            down_since = time.monotonic()
                        if time.monotonic() - down_since > reconnect_for:
                            raise err2
                        time.sleep(backoff)
                        backoff = min(backoff * 2, 1.0)
                        continue
                    raise err2
                down_since = None
                for ev_id, ev_type, data in _sse_events(res):
                    if ev_type in ("set", "delete", "expire"):
                        d = json.loads(data)
                        backoff = 0.05
                        yield Change(ev_type, d["key"], d.get("value"), int(d["version"]), ev_id or "")
                        if ev_id:
                            last_id = ev_id
                    elif ev_type == "reset":
                        raise error_from_problem(410, json.loads(data))
                    elif ev_type == "problem":
                        problem = json.loads(data)
                        if problem.get("code") not in ("watch_overflow", "backend_unavailable"):
                            raise error_from_problem(int(problem.get("status", 500)), problem)
                        break  # retryable: resume from the last id
            except (http.client.HTTPException, OSError):
                pass  # the stream dropped (server restart, network): resume from the last id
            finally:
                conn.close()
            # A stream that ended without a change (a server shutting down, a proxy cutting idle
            # streams) is retried after a growing pause, so no loop of reconnects spins.
            time.sleep(backoff)
            backoff = min(backoff * 2, 1.0)


def _sse_events(res: http.client.HTTPResponse) -> Iterator[Tuple[Optional[str], str, str]]:
    """(id, event, data) of each Server-Sent Event until the stream ends."""
    ev_id: Optional[str] = None
    ev_type = "message"
    data: List[str] = []
    while True:
        line = res.readline()
        if not line:
            return
        text = line.decode("utf-8").rstrip("\r\n")
        if not text:
            if data:
                yield ev_id, ev_type, "\n".join(data)
            ev_id, ev_type, data = None, "message", []
            continue
        if text.startswith(":"):
            continue
        field, _, value = text.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "id":
            ev_id = value
        elif field == "event":
            ev_type = value
        elif field == "data":
            data.append(value)


class _AbsentType:
    pass


_Absent: Any = _AbsentType()
