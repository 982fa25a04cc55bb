"""The HTTP transport: a small thread-safe pool of keep-alive connections that a forked child drops.

Standard library only (http.client). One request borrows an idle connection (or opens one), and
gives it back when the answer was read in full. The pool is bounded (``max_idle``); connections
idle longer than ``idle_timeout`` are closed instead of reused, so a request never rides a
connection the server (keep-alive timeout 10 s by default) is about to drop.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
import weakref
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote, unquote, urlencode, urlsplit

from .errors import ServerUnreachable, error_from_problem

_IDEMPOTENT = frozenset(("GET", "HEAD", "PUT", "DELETE"))
_transports: "weakref.WeakSet[Transport]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for t in list(_transports):
        t._forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def parse_url(url: str, token: Optional[str]) -> Tuple[str, str, int, str, Optional[str]]:
    """(scheme, host, port, base path, token) of a server URL; a token may ride as ``http://:TOKEN@host``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"baton server URL must be http://host[:port] or https://…, not {url!r}")
    if token is None and parts.password:
        token = unquote(parts.password)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/"), token


def path_segment(text: str) -> str:
    """A name or key percent-encoded as one path segment (``a/b`` → ``a%2Fb``)."""
    return quote(text, safe="")


class Response:
    """A whole answer: status, headers (lower-case names) and the parsed JSON body (or None)."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: Dict[str, str], body: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class Transport:
    """Keep-alive connections to one server; thread-safe; after ``fork`` the child opens its own."""

    def __init__(self, url: str, token: Optional[str], timeout: float, max_idle: int = 16, idle_timeout: float = 4.0) -> None:
        self.scheme, self.host, self.port, self.base, self.token = parse_url(url, token)
        self.timeout = timeout
        self.max_idle = max_idle
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._idle: List[Tuple[http.client.HTTPConnection, float]] = []
        self._pid = os.getpid()
        _transports.add(self)

    def _forget(self) -> None:
        # In a forked child: the parent's sockets are shared with it, so never use them. Closing
        # the child's copies of their descriptors sends nothing (the parent still holds them).
        self._lock = threading.Lock()
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()
        self._pid = os.getpid()

    def new_connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=timeout)

    def _borrow(self) -> Tuple[http.client.HTTPConnection, bool]:
        if self._pid != os.getpid():
            self._forget()
        now = time.monotonic()
        with self._lock:
            while self._idle:
                conn, since = self._idle.pop()
                if now - since < self.idle_timeout:
                    return conn, True
                conn.close()
        return self.new_connection(self.timeout), False

    def _give_back(self, conn: http.client.HTTPConnection) -> None:
        if self._pid != os.getpid():
            return
        with self._lock:
            if len(self._idle) < self.max_idle:
                self._idle.append((conn, time.monotonic()))
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()

    def __del__(self) -> None:
        # A dropped client closes its idle sockets (only its own: never a parent's after fork).
        try:
            if self._pid == os.getpid():
                for conn, _ in self._idle:
                    conn.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def headers(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if extra:
            h.update(extra)
        return h

    def url_of(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        q = {k: v for k, v in (query or {}).items() if v is not None}
        return self.base + path + ("?" + urlencode(q) if q else "")

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        ok: Tuple[int, ...] = (),
        has_body: Optional[bool] = None,
    ) -> Response:
        """Send one request; return the answer if 2xx or in ``ok``, else raise the typed error.

        ``body`` is sent as JSON when given (``has_body=True`` sends a JSON ``null``). A request
        that fails on a reused keep-alive connection is sent once more on a new one when it is
        idempotent (GET, PUT, DELETE); a POST is not repeated (it may have been applied).
        """
        send_body = has_body if has_body is not None else body is not None
        data = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8") if send_body else None
        h = self.headers(headers)
        if data is not None:
            h["Content-Type"] = "application/json"
        target = self.url_of(path, query)
        for attempt in (0, 1):
            conn, reused = self._borrow()
            try:
                if timeout is not None:
                    conn.timeout = timeout
                    if conn.sock is not None:
                        conn.sock.settimeout(timeout)
                conn.request(method, target, body=data, headers=h)
                res = conn.getresponse()
                raw = res.read()
            except (http.client.HTTPException, OSError) as err:
                conn.close()
                if reused and attempt == 0 and method in _IDEMPOTENT and not isinstance(err, socket.timeout):
                    continue
                raise ServerUnreachable(0, None, f"{method} {target}: {type(err).__name__}: {err}") from err
            if timeout is not None:
                conn.timeout = self.timeout
                if conn.sock is not None:
                    conn.sock.settimeout(self.timeout)
            if res.will_close:
                conn.close()
            else:
                self._give_back(conn)
            hdrs = {k.lower(): v for k, v in res.getheaders()}
            parsed: Any = None
            if raw:
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = raw.decode("utf-8", "replace")
            if 200 <= res.status < 300 or res.status in ok:
                return Response(res.status, hdrs, parsed)
            raise error_from_problem(res.status, parsed)
        raise AssertionError("unreachable")
