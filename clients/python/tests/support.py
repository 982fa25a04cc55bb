"""Real servers for the client's tests: `node dist/cli/main.js serve` (memory or Redis) and redis-server.

The tests run from a plain checkout: this puts ../src first on sys.path, so they test the code
beside them, installed or not. The repository's dist/ must be built (`npm run build`; `npm test`
builds it first). Every server listens on a free loopback port and is stopped when the tests end.
BATON_TEST_URL, when set, names a running memory-backed server to use instead of starting one.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from typing import IO, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CLI = os.environ.get("BATON_CLI", os.path.join(ROOT, "dist", "cli", "main.js"))
if SRC not in sys.path:
    sys.path.insert(0, SRC)

import baton  # noqa: E402  (after the path is set)

_started: List["Proc"] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unique(prefix: str) -> str:
    """A fresh name, so tests never see each other's locks and dicts."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for(pred, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll ``pred`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Proc:
    def __init__(self, popen: "subprocess.Popen[bytes]") -> None:
        self.popen = popen
        _started.append(self)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        if self in _started:
            _started.remove(self)


class Server(Proc):
    """A `baton serve` process; ``url`` is where it listens."""

    def __init__(self, backend: str = "memory://", port: int = 0, extra: Optional[List[str]] = None) -> None:
        if not os.path.exists(CLI):
            raise RuntimeError(f"{CLI} is missing: build the server first (npm run build)")
        args = ["node", CLI, "serve", "--backend", backend, "--port", str(port), "--log-level", "info", *(extra or [])]
        super().__init__(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        self.backend = backend
        self.output: List[str] = []
        self.url = self._read_url(self.popen.stdout)  # type: ignore[arg-type]
        self.port = int(self.url.rsplit(":", 1)[1])
        threading.Thread(target=self._drain, daemon=True).start()

    def _read_url(self, out: IO[bytes]) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = out.readline()
            if not line:
                break
            text = line.decode("utf-8", "replace")
            self.output.append(text)
            try:
                record = json.loads(text)
            except ValueError:
                continue
            if record.get("msg") == "baton listening":
                return str(record["url"])
        self.stop()
        raise RuntimeError("baton serve did not start:\n" + "".join(self.output))

    def _drain(self) -> None:
        for line in self.popen.stdout:  # type: ignore[union-attr]
            if len(self.output) < 1000:
                self.output.append(line.decode("utf-8", "replace"))


class Redis(Proc):
    """A throw-away redis-server (no persistence) on a free port."""

    def __init__(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed")
        self.dir = tempfile.mkdtemp(prefix="baton-py-redis-")
        for _ in range(5):
            self.port = free_port()
            popen = subprocess.Popen(
                [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir, "--logfile", ""],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            if self._ready(popen):
                super().__init__(popen)
                threading.Thread(target=lambda: popen.stdout.read(), daemon=True).start()  # type: ignore[union-attr]
                self.url = f"redis://127.0.0.1:{self.port}"
                return
            popen.kill()
            popen.wait()
        raise RuntimeError("redis-server did not start on a free port")

    def _ready(self, popen: "subprocess.Popen[bytes]") -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and popen.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        super().stop(sig, timeout)
        shutil.rmtree(self.dir, ignore_errors=True)


_memory: Optional[str] = None
_memory_lock = threading.Lock()


def memory_url() -> str:
    """The URL of the memory-backed server the tests share (started on first use)."""
    global _memory
    with _memory_lock:
        if _memory is None:
            _memory = os.environ.get("BATON_TEST_URL") or Server().url
        return _memory


def client(**kw) -> "baton.Client":  # type: ignore[no-untyped-def]
    return baton.connect(memory_url(), **kw)


@atexit.register
def _stop_all() -> None:
    for p in list(reversed(_started)):
        p.stop()
