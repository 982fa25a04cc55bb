"""``baton.connect()``: a client of one baton server, shareable between threads and processes."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from ._http import Transport
from .dicts import Dict as BatonDict
from .locks import Lock, RWLock, Semaphore

DEFAULT_URL = "http://127.0.0.1:7070"


class Client:
    """A connection to a baton server (``baton serve``): locks, semaphores, rwlocks and dicts.

    Thread-safe (a bounded pool of keep-alive connections). Usable after ``fork``: a child opens
    its own connections on first use. Pickles as its URL, token and timeout only, so it (and the
    dict, lock, semaphore and rwlock handles it makes) can be passed to ``Pool`` workers.
    """

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None, timeout: float = 30.0, max_wait: float = 25.0, max_idle: int = 16) -> None:
        self.url = (url or os.environ.get("BATON_URL") or DEFAULT_URL).rstrip("/")
        token = token if token is not None else os.environ.get("BATON_TOKEN") or None
        self.timeout = timeout
        self.max_wait = max_wait  # seconds one acquire request long-polls before asking again
        self.max_idle = max_idle
        self._t = Transport(self.url, token, timeout, max_idle=max_idle)
        self.token = self._t.token

    def __reduce__(self) -> Any:
        return (Client, (self.url, self.token, self.timeout, self.max_wait, self.max_idle))

    def __repr__(self) -> str:
        return f"<baton.Client {self._t.scheme}://{self._t.host}:{self._t.port}{self._t.base}>"

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the idle connections (the client still works; it opens new ones when needed)."""
        self._t.close()

    def lock(self, name: str, ttl: float = 30.0, *, timeout: Optional[float] = None, owner: Optional[str] = None, keepalive: bool = True) -> Lock:
        """A fenced lock handle: ``with client.lock(name, ttl=30) as lease:`` or ``lock.acquire(...)``.

        ``ttl`` (seconds) is the lease's time to live, renewed every ttl/3 in the background
        while held (``keepalive=False`` turns that off); ``timeout`` bounds the wait of ``with``
        (``LockTimeout``); ``owner`` is the label inspect shows (default ``host:pid``).
        """
        return Lock(self, name, ttl=ttl, timeout=timeout, owner=owner, keepalive=keepalive)

    def semaphore(self, name: str, permits: Optional[int] = None, *, count: int = 1, ttl: float = 30.0, timeout: Optional[float] = None, owner: Optional[str] = None, keepalive: bool = True) -> Semaphore:
        """A semaphore of ``permits`` (its size, fixed by the first acquire of an unused one); a lease takes ``count``."""
        return Semaphore(self, name, permits=permits, count=count, ttl=ttl, timeout=timeout, owner=owner, keepalive=keepalive)

    def rwlock(self, name: str, *, ttl: float = 30.0, timeout: Optional[float] = None, owner: Optional[str] = None, keepalive: bool = True) -> RWLock:
        """A read-write lock: ``with client.rwlock(name).read():`` / ``.write():``."""
        return RWLock(self, name, ttl=ttl, timeout=timeout, owner=owner, keepalive=keepalive)

    def dict(self, name: str) -> BatonDict:
        """The shared dict ``name`` (a MutableMapping of JSON values)."""
        return BatonDict(self, name)

    def dicts(self) -> Dict[str, int]:
        """The dicts that have entries, with their sizes."""
        body = self._t.request("GET", "/v1/dicts").body
        return {d["name"]: int(d.get("size", 0)) for d in body.get("dicts", [])}

    def capabilities(self) -> Dict[str, Any]:
        """What the server's backend guarantees and the server's limits (``GET /v1/capabilities``)."""
        return self._t.request("GET", "/v1/capabilities").body

    def ping(self) -> bool:
        """True when the server answers ``/readyz`` (its backend reachable), else the error."""
        self._t.request("GET", "/readyz")
        return True


def connect(url: Optional[str] = None, token: Optional[str] = None, timeout: float = 30.0, **kw: Any) -> Client:
    """A client of the baton server at ``url`` (default ``$BATON_URL``, else http://127.0.0.1:7070).

    ``token`` defaults to ``$BATON_TOKEN`` (or ``http://:TOKEN@host:port``); ``timeout`` is the
    socket timeout of one request in seconds (an acquire long-poll adds its wait to it).
    """
    return Client(url, token, timeout, **kw)
