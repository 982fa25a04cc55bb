"""Locks, semaphores and read-write locks: leases with a fence, kept alive in the background.

``with client.lock("nightly", ttl=30) as lease:`` waits by long-poll (each request waits at most
the server's --max-wait-ms, then asks again), extends the lease every ``ttl/3`` on a daemon
thread while the block runs, and releases it on exit. If the lease is lost meanwhile (it expired
because this process was paused, or the store lost it) ``lease.lost`` is set and leaving the
block raises ``LockLost``. Writes guarded by the lease pass ``fence=lease``: the store refuses
them (``StaleFence``) once a newer grant has written, whatever this process believes.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Type

from ._http import path_segment
from .errors import BatonError, LockLost, LockTimeout

if TYPE_CHECKING:
    from .client import Client

_HOST = socket.gethostname()


def _ms(seconds: float) -> int:
    return max(1, int(round(seconds * 1000)))


def grant_start(sent: float, now: float, grant: Dict[str, Any]) -> float:
    """When a lease began, on this process's monotonic clock, as early as it can have begun.

    The server grants at or after the request's send time plus the time it waited (``waitedMs``,
    which it rounds down), so ``sent + waitedMs`` never counts the lease longer than the server
    does; a server without the field gives ``sent``. Never later than ``now`` (the answer's arrival).
    """
    waited = grant.get("waitedMs")
    if isinstance(waited, int) and not isinstance(waited, bool) and waited >= 0:
        return min(sent + waited / 1000.0, now)
    return sent


class Lease:
    """One grant of a lock, semaphore or rwlock: ``fence``, ``token``, ``lost``, ``extend()``, ``release()``.

    A lease is bound to the process that took it: it does not pickle (pass the lock's handle to
    other processes instead, and let each take its own lease).
    """

    def __init__(
        self,
        client: "Client",
        kind: str,
        name: str,
        grant: Dict[str, Any],
        ttl: float,
        keepalive: bool,
        started: Optional[float] = None,
    ) -> None:
        self.client = client
        self.kind = kind  # "locks", "semaphores" or "rwlocks"
        self.name = name
        self.token: str = grant["token"]
        self.fence: int = int(grant["fence"])
        self.ttl = ttl
        self.expires_at: float = grant["expiresAt"] / 1000.0
        self.lost = threading.Event()
        self.released = False
        # Local bound on the lease, the earliest it may end: counted from the grant as the server
        # reports it (grant_start), never from the answer's arrival, which is later than the grant.
        self._deadline = (time.monotonic() if started is None else started) + ttl
        self._mutex = threading.Lock()  # one extend at a time (REST.md: extends of a token in order)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        if keepalive:
            self._thread = threading.Thread(target=self._keepalive, name=f"baton-lease-{name}", daemon=True)
            self._thread.start()

    @property
    def fence_lock(self) -> str:
        """The ``Baton-Fence-Lock`` this lease fences writes with: ``name``, ``semaphore/name`` or ``rwlock/name``."""
        if self.kind == "semaphores":
            return "semaphore/" + self.name
        if self.kind == "rwlocks":
            return "rwlock/" + self.name
        return self.name

    def fence_headers(self) -> Dict[str, str]:
        """The headers that fence a write with this lease (the token too for plain locks)."""
        h = {"Baton-Fence-Lock": self.fence_lock, "Baton-Fence": str(self.fence)}
        if self.kind == "locks":
            h["Baton-Lock-Token"] = self.token
        return h

    def _path(self, action: str) -> str:
        return f"/v1/{self.kind}/{path_segment(self.name)}/{action}"

    def extend(self, ttl: Optional[float] = None) -> None:
        """Extend the lease to ``ttl`` seconds from now (default: its TTL); ``LockLost`` if it was lost."""
        ttl = self.ttl if ttl is None else ttl
        with self._mutex:
            sent = time.monotonic()
            try:
                body = self.client._t.request("POST", self._path("extend"), {"token": self.token, "ttlMs": _ms(ttl)})
            except LockLost:
                self.lost.set()
                raise
            self._deadline = sent + ttl
            self.expires_at = body.body["expiresAt"] / 1000.0

    def _keepalive(self) -> None:
        interval = max(self.ttl / 3.0, 0.05)
        wait = interval
        while not self._stop.wait(wait):
            try:
                self.extend()
                wait = interval
            except LockLost:
                return
            except BatonError:
                # No answer (or 503): retry soon; once the lease may have ended, count it lost.
                if time.monotonic() >= self._deadline:
                    self.lost.set()
                    return
                wait = min(interval, max(0.05, (self._deadline - time.monotonic()) / 3.0))

    def _stop_keepalive(self) -> None:
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout=self.client.timeout)

    def release(self) -> bool:
        """Stop extending and release; False if the lease had already been lost (then ``lost`` is set)."""
        self._stop_keepalive()
        if self.released:
            return not self.lost.is_set()
        self.released = True
        with self._mutex:
            res = self.client._t.request("POST", self._path("release"), {"token": self.token})
        if not res.body.get("released"):
            self.lost.set()
            return False
        return True

    def __enter__(self) -> "Lease":
        return self

    def __exit__(self, et: Optional[Type[BaseException]], ev: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        was_lost = self.lost.is_set()
        try:
            released = self.release()
        except BatonError:
            if et is not None:
                return  # do not hide the block's own exception
            raise
        if et is None and (was_lost or not released):
            raise LockLost(409, {"detail": f"{self.kind[:-1]} {self.name!r} (fence {self.fence}) was lost while the block ran", "lock": self.name})

    def __reduce__(self) -> Any:
        raise TypeError("a baton Lease belongs to the process that took it; pickle the lock handle instead")

    def __repr__(self) -> str:
        state = "lost" if self.lost.is_set() else "released" if self.released else "held"
        return f"<baton.Lease {self.fence_lock} fence={self.fence} {state}>"


class _Acquirable:
    """What locks, semaphores and rwlock modes share: acquire in the shape of threading.Lock.acquire."""

    kind = "locks"

    def __init__(self, client: "Client", name: str, ttl: float = 30.0, timeout: Optional[float] = None, owner: Optional[str] = None, keepalive: bool = True) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be > 0 seconds")
        self.client = client
        self.name = name
        self.ttl = ttl
        self.timeout = timeout
        self.owner = owner
        self.keepalive = keepalive
        self._held: List[Lease] = []
        self._held_lock = threading.Lock()

    def _body(self) -> Dict[str, Any]:
        return {}

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        state["_held"] = []
        del state["_held_lock"]
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._held_lock = threading.Lock()

    def acquire(self, blocking: bool = True, timeout: Optional[float] = -1) -> Optional[Lease]:
        """Take a lease, or None when not granted: at once (``blocking=False``), within ``timeout`` seconds, or ever.

        The lease (truthy) is returned and also remembered, so ``release()`` without arguments
        releases the last one taken, as with ``threading.Lock``.
        """
        if timeout is None or timeout < 0:
            deadline = None if blocking else time.monotonic()
        else:
            deadline = time.monotonic() + (timeout if blocking else 0)
        path = f"/v1/{self.kind}/{path_segment(self.name)}/acquire"
        max_wait = self.client.max_wait
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            wait = max_wait if left is None else min(left, max_wait)
            body = {"ttlMs": _ms(self.ttl), "waitMs": int(wait * 1000), "owner": self.owner or f"{_HOST}:{os.getpid()}"}
            body.update(self._body())
            sent = time.monotonic()
            try:
                res = self.client._t.request("POST", path, body, timeout=wait + self.client.timeout)
            except LockTimeout:
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                continue
            started = grant_start(sent, time.monotonic(), res.body)
            lease = Lease(self.client, self.kind, self.name, res.body, self.ttl, self.keepalive, started)
            with self._held_lock:
                self._held.append(lease)
            return lease

    def release(self, lease: Optional[Lease] = None) -> bool:
        """Release ``lease`` (default: the last one this handle acquired and has not released)."""
        with self._held_lock:
            if lease is None:
                if not self._held:
                    raise RuntimeError(f"release of an unacquired {self.kind[:-1]} {self.name!r}")
                lease = self._held.pop()
            elif lease in self._held:
                self._held.remove(lease)
        return lease.release()

    def __enter__(self) -> Lease:
        lease = self.acquire(timeout=-1 if self.timeout is None else self.timeout)
        if lease is None:
            raise LockTimeout(409, {"detail": f"{self.kind[:-1]} {self.name!r} not granted within {self.timeout} s"})
        return lease

    def __exit__(self, et: Optional[Type[BaseException]], ev: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        with self._held_lock:
            lease = self._held.pop()
        lease.__exit__(et, ev, tb)

    def __repr__(self) -> str:
        return f"<baton.{type(self).__name__} {self.name!r} ttl={self.ttl}>"


class Lock(_Acquirable):
    """A fenced mutual-exclusion lock (``client.lock(name, ttl=30)``)."""

    kind = "locks"

    def info(self) -> Dict[str, Any]:
        """The server's view: ``{"name", "held", "fence", "expiresAt"?, "owner"?}`` (never the token)."""
        return self.client._t.request("GET", f"/v1/locks/{path_segment(self.name)}").body


class Semaphore(_Acquirable):
    """At most ``permits`` holders at once (``client.semaphore(name, permits=4)``); a lease may take ``count`` permits."""

    kind = "semaphores"

    def __init__(self, client: "Client", name: str, permits: Optional[int] = None, count: int = 1, **kw: Any) -> None:
        super().__init__(client, name, **kw)
        self.permits = permits
        self.count = count

    def _body(self) -> Dict[str, Any]:
        body: Dict[str, Any] = {"count": self.count}
        if self.permits is not None:
            body["permits"] = self.permits
        return body

    def info(self) -> Dict[str, Any]:
        """``{"name", "permits", "used", "fence", "holders", "waiting"?}``."""
        return self.client._t.request("GET", f"/v1/semaphores/{path_segment(self.name)}").body


class _RWMode(_Acquirable):
    kind = "rwlocks"

    def __init__(self, client: "Client", name: str, mode: str, **kw: Any) -> None:
        super().__init__(client, name, **kw)
        self.mode = mode

    def _body(self) -> Dict[str, Any]:
        return {"mode": self.mode}


class RWLock:
    """Many readers or one writer (``client.rwlock(name)``): ``with rw.read():`` / ``with rw.write():``."""

    def __init__(self, client: "Client", name: str, **kw: Any) -> None:
        self.client = client
        self.name = name
        self._kw = kw

    def read(self, **kw: Any) -> _RWMode:
        """A handle taking the lock shared (readers)."""
        return _RWMode(self.client, self.name, "read", **{**self._kw, **kw})

    def write(self, **kw: Any) -> _RWMode:
        """A handle taking the lock exclusive (one writer; a waiting writer holds back later readers)."""
        return _RWMode(self.client, self.name, "write", **{**self._kw, **kw})

    def info(self) -> Dict[str, Any]:
        """``{"name", "mode", "readers", "fence", "holders"}``."""
        return self.client._t.request("GET", f"/v1/rwlocks/{path_segment(self.name)}").body

    def __repr__(self) -> str:
        return f"<baton.RWLock {self.name!r}>"
