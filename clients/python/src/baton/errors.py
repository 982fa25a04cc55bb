"""Typed exceptions mirroring the baton server's problem codes (application/problem+json).

Every exception carries ``.code`` (the server's ``code``), ``.status`` (the HTTP status, 0 when
no answer came), ``.detail`` and ``.problem`` (the whole problem body). They pickle, so an error
raised in a ``multiprocessing.Pool`` worker reaches the parent intact.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Type


class BatonError(Exception):
    """An error answered by the baton server (or a failure to reach it)."""

    code: str = "unknown"

    def __init__(self, status: int, problem: Optional[Mapping[str, Any]] = None, detail: Optional[str] = None) -> None:
        body: Dict[str, Any] = dict(problem) if isinstance(problem, Mapping) else {}
        if detail is not None:
            body.setdefault("detail", detail)
        body.setdefault("code", self.code)
        self.status = status
        self.problem = body
        self.code = str(body.get("code", self.code))
        self.detail = str(body.get("detail", ""))
        self.request_id: Optional[str] = body.get("requestId")
        super().__init__(f"{self.code} ({status}): {self.detail}" if status else f"{self.code}: {self.detail}")

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.status, self.problem))


def _rebuild(cls: Type[BatonError], status: int, problem: Dict[str, Any]) -> BatonError:
    return cls(status, problem)


class InvalidArgument(BatonError, ValueError):
    """400 invalid_argument: bad name, key, TTL, header or body; nothing was changed."""

    code = "invalid_argument"


class Unauthorized(BatonError):
    """401: no token, or an unknown one."""

    code = "unauthorized"


class Forbidden(BatonError):
    """403: the token lacks the right for this name."""

    code = "forbidden"


class NotFound(BatonError, LookupError):
    """404 not_found (the dict methods turn an absent key into KeyError instead)."""

    code = "not_found"


class LockTimeout(BatonError, TimeoutError):
    """409 lock_timeout: the lock, semaphore or rwlock was not granted in time."""

    code = "lock_timeout"


class LockLost(BatonError):
    """409 lock_lost: the lease expired or was taken over; its fence no longer guards writes."""

    code = "lock_lost"


class StaleFence(BatonError):
    """409 stale_fence: the store already accepted a write fenced by a newer grant; nothing written."""

    code = "stale_fence"


class TypeMismatch(BatonError, TypeError):
    """409 type_mismatch: incr on a value that is not a number."""

    code = "type_mismatch"


class HistoryCompacted(BatonError):
    """410 history_compacted (or a watch ``reset``): list the dict again and watch from its version."""

    code = "history_compacted"


class VersionConflict(BatonError):
    """412 version_conflict: the entry's version was not the one asked for (``if_version``/``if_absent``)."""

    code = "version_conflict"


class PayloadTooLarge(BatonError):
    """413: the body or value is above the server's --max-body-bytes."""

    code = "payload_too_large"


class RateLimited(BatonError):
    """429 rate_limited."""

    code = "rate_limited"


class TooManyWatches(BatonError):
    """429 too_many_watches."""

    code = "too_many_watches"


class Unsupported(BatonError, NotImplementedError):
    """501 unsupported: the server's backend cannot do this (e.g. semaphores on Redlock)."""

    code = "unsupported"


class BackendUnavailable(BatonError):
    """503 backend_unavailable: the server cannot reach its store; may be retried."""

    code = "backend_unavailable"


class WatchOverflow(BatonError):
    """watch_overflow: the server dropped a watch that fell behind (the watch generator resumes)."""

    code = "watch_overflow"


class ServerUnreachable(BackendUnavailable, ConnectionError):
    """No answer from the baton server (refused, reset, timed out); ``status`` is 0."""

    code = "server_unreachable"


_BY_CODE: Dict[str, Type[BatonError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        Unauthorized,
        Forbidden,
        NotFound,
        LockTimeout,
        LockLost,
        StaleFence,
        TypeMismatch,
        HistoryCompacted,
        VersionConflict,
        PayloadTooLarge,
        RateLimited,
        TooManyWatches,
        Unsupported,
        BackendUnavailable,
        WatchOverflow,
        ServerUnreachable,
    )
}


def error_from_problem(status: int, problem: Any) -> BatonError:
    """The exception for a problem+json body (``BatonError`` for a code this client does not know)."""
    code = problem.get("code") if isinstance(problem, Mapping) else None
    cls = _BY_CODE.get(str(code), BatonError)
    if code is None:
        problem = {"code": f"http_{status}", "detail": str(problem or "")[:500]}
    return cls(status, problem)
