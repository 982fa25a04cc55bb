"""baton: fenced locks, semaphores, read-write locks and a shared dict over a baton server.

    import baton
    client = baton.connect("http://127.0.0.1:7070")
    d = client.dict("stats")
    d.incr("runs")
    with client.lock("nightly", ttl=30) as lease:
        d.set("report", {"rows": 42}, fence=lease)

Standard library only; see clients/python/README.md.
"""
from __future__ import annotations

from .client import DEFAULT_URL, Client, connect
from .dicts import Change, Dict, Entry
from .errors import (
    BackendUnavailable,
    BatonError,
    Forbidden,
    HistoryCompacted,
    InvalidArgument,
    LockLost,
    LockTimeout,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerUnreachable,
    StaleFence,
    TooManyWatches,
    TypeMismatch,
    Unauthorized,
    Unsupported,
    VersionConflict,
    WatchOverflow,
)
from .locks import Lease, Lock, RWLock, Semaphore

__version__ = "0.1.0"
__all__ = [
    "DEFAULT_URL",
    "BackendUnavailable",
    "BatonError",
    "Change",
    "Client",
    "Dict",
    "Entry",
    "Forbidden",
    "HistoryCompacted",
    "InvalidArgument",
    "Lease",
    "Lock",
    "LockLost",
    "LockTimeout",
    "NotFound",
    "PayloadTooLarge",
    "RWLock",
    "RateLimited",
    "Semaphore",
    "ServerUnreachable",
    "StaleFence",
    "TooManyWatches",
    "TypeMismatch",
    "Unauthorized",
    "Unsupported",
    "VersionConflict",
    "WatchOverflow",
    "connect",
]
