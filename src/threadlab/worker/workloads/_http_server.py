"""The local HTTP server of the ``http`` workload: one process per point, loopback only.

::

    worker (http workload's session)               server (this module, own process)
    ────────────────────────────────               ─────────────────────────────────
    Popen(python -m …_http_server CONFIG) ───────► raise the open-file limit
                                                   bind 127.0.0.1:port, listen(backlog)
    read one line, at most _READY_S   ◄── stdout ── "listening PORT"  or  "error MESSAGE"
    tasks: GET / (any number, at once)  ─────────► at most `connections` served at once
                                                   (the rest wait, unread): read the
                                                   request, wait `latency`, send `kb`
                                                   kilobytes (paced by the shared
                                                   `bandwidth` cap), close
    close its stdin                     ── EOF ──► stop, exit
    wait, then kill if still there

The server is one thread running a small event loop of its own over
``selectors`` (epoll on Linux): non-blocking sockets, a heap of timers, and
per connection one small object — no coroutine, no task, no transport.
An asyncio server measured 0.23–0.39 ms of CPU per request here against
0.11 ms for this one, and on a 2-core machine the server's CPU time is
taken from the clients being measured.

It stops when its stdin reaches end of file, which happens when the worker
closes it *or dies*; and it stays in the worker's process group, which the
orchestrator kills on a timeout or Ctrl-C. Either way it never outlives its
point.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import heapq
import itertools
import json
import selectors
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

try:
    import resource
except ImportError:  # Windows: no open-file limit to raise
    resource = None  # type: ignore[assignment]  # checked before every use

from threadlab.worker._containment import end_child

HOST = "127.0.0.1"  # loopback only: nothing here is ever reachable from outside
_READY_S = 10.0  # how long the worker waits for "listening"; a cold start takes ~0.1 s
_STOP_S = 5.0  # how long a stopped server may take to exit before it is killed
_REQUEST_S = 30.0  # a request must arrive whole within this
_REQUEST_LIMIT = 16384  # bytes of request head accepted; more is dropped
_CHUNK = 16384  # bytes sent at a time under a bandwidth cap
_ACCEPT_RETRY_S = 0.05  # out of file descriptors: accept again after this
# Kept for the process's own files (interpreter, pipes, the listening socket)
# when the open-file limit bounds how many connections can be open at once.
FD_MARGIN = 64
_NO_LIMIT = 1 << 20  # what "unlimited" is taken to mean


class ServerFailed(Exception):
    """The server could not start: its one-line reason."""


def raise_open_file_limit() -> None:
    """Raise this process's soft limit of open files to its hard limit.

    Each connection is a file descriptor on each side; the soft limit is
    often 1024 while the hard limit allows far more.
    """
    if resource is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, _NO_LIMIT)
    if soft != resource.RLIM_INFINITY and soft < want:
        with contextlib.suppress(ValueError, OSError):  # macOS caps it below the hard one: keep the soft
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def connection_limit() -> int:
    """The most connections a server may hold open: the hard open-file limit, less a margin."""
    if resource is None:
        return 512 - FD_MARGIN  # select()'s limit on Windows, the tightest there
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return (hard if hard != resource.RLIM_INFINITY else _NO_LIMIT) - FD_MARGIN


class _Pace:
    """One bandwidth cap shared by every connection: a timeline of byte slots.

    Each chunk reserves the next ``size / rate`` seconds of the timeline and
    is sent when its slot ends, so however many connections send at once,
    together they send ``rate`` bytes a second — and a slot left unused is
    lost, never saved up for a burst.
    """

    def __init__(self, bytes_per_s: float) -> None:
        self.rate = bytes_per_s
        self.free_at = 0.0

    def reserve(self, size: int, now: float) -> float:
        """The time at which a chunk of ``size`` bytes may be sent."""
        self.free_at = max(self.free_at, now) + size / self.rate
        return self.free_at


class _Connection:
    """One client's socket, its request so far, and how much of the answer is sent."""

    __slots__ = ("end", "got", "offset", "sock", "token", "wants")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.got = b""  # the request so far
        self.offset = 0  # bytes of the response sent
        self.end = 0  # where the piece being sent ends (the whole response, or one paced chunk)
        self.token = 0  # bumped to cancel the connection's pending timer
        self.wants = 0  # the selector events it is registered for


_Timer = Tuple[float, int, int, _Connection, Callable[[_Connection], None]]


class _Server:
    """The event loop: accept, read requests, answer after ``latency``, pace, close."""

    def __init__(self, config: Dict[str, Any], listener: socket.socket, wake: socket.socket) -> None:
        self.latency = float(config["latency"])
        size = int(config["size"])
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            "Content-Length: {}\r\nConnection: close\r\n\r\n".format(size).encode("ascii")
        )
        self.head_size = len(head)
        self.response = memoryview(head + bytes(range(256)) * (size // 256) + bytes(range(size % 256)))
        bandwidth = float(config["bandwidth"])
        self.pace: Optional[_Pace] = _Pace(bandwidth) if bandwidth > 0 else None
        self.capacity = int(config["connections"])
        self.listener = listener
        self.wake = wake
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, None)
        self.selector.register(wake, selectors.EVENT_READ, None)
        self.served = 0
        self.waiting: Deque[_Connection] = collections.deque()
        self.timers: List[_Timer] = []
        self.order = itertools.count()  # breaks ties in the timer heap
        self.stopped = False

    def run(self) -> None:
        """Serve until the wake socket is readable (stdin has closed)."""
        while not self.stopped:
            timeout = max(0.0, self.timers[0][0] - time.monotonic()) if self.timers else None
            for key, events in self.selector.select(timeout):
                if key.fileobj is self.listener:
                    self._accept()
                elif key.fileobj is self.wake:
                    self.stopped = True
                elif events & selectors.EVENT_READ:
                    self._read(key.data)
                else:
                    self._send(key.data)
            now = time.monotonic()
            while self.timers and self.timers[0][0] <= now:
                _, _, token, connection, action = heapq.heappop(self.timers)
                if token == connection.token:
                    action(connection)

    def shut(self) -> None:
        """Close every socket: the connections, then the listener."""
        for key in list(self.selector.get_map().values()):
            if isinstance(key.data, _Connection):
                key.data.sock.close()
        for connection in self.waiting:
            connection.sock.close()
        self.selector.close()
        self.listener.close()

    def _later(self, when: float, connection: _Connection, action: Callable[[_Connection], None]) -> None:
        """Run ``action(connection)`` at ``when``, replacing the connection's pending timer."""
        connection.token += 1
        heapq.heappush(self.timers, (when, next(self.order), connection.token, connection, action))

    def _watch(self, connection: _Connection, events: int) -> None:
        if events == connection.wants:
            return
        if connection.wants and events:
            self.selector.modify(connection.sock, events, connection)
        elif events:
            self.selector.register(connection.sock, events, connection)
        else:
            self.selector.unregister(connection.sock)
        connection.wants = events

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except BlockingIOError:
                return
            except OSError as error:
                if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of file descriptors: stop accepting a moment; the backlog holds the rest.
                    self.selector.unregister(self.listener)
                    self._later(
                        time.monotonic() + _ACCEPT_RETRY_S, _Connection(self.listener), self._relisten
                    )
                return  # or a connection reset before it was accepted: nothing to do
            sock.setblocking(False)
            connection = _Connection(sock)
            if self.served < self.capacity:
                self._serve(connection)
            else:
                self.waiting.append(connection)  # its request waits, unread, in the kernel

    def _relisten(self, _: _Connection) -> None:
        self.selector.register(self.listener, selectors.EVENT_READ, None)

    def _serve(self, connection: _Connection) -> None:
        self.served += 1
        self._watch(connection, selectors.EVENT_READ)
        self._later(time.monotonic() + _REQUEST_S, connection, self._close)

    def _read(self, connection: _Connection) -> None:
        try:
            chunk = connection.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:  # reset by the client: it has gone
            chunk = b""
        if not chunk or len(connection.got) + len(chunk) > _REQUEST_LIMIT:
            self._close(connection)
            return
        connection.got += chunk
        if b"\r\n\r\n" not in connection.got:
            return
        connection.token += 1  # the request is whole: its deadline no longer applies
        self._watch(connection, 0)
        connection.end = self.head_size if self.pace is not None else len(self.response)
        if self.latency > 0:
            self._later(time.monotonic() + self.latency, connection, self._send)
        else:
            self._send(connection)

    def _send(self, connection: _Connection) -> None:
        """Send what the socket takes of the current piece; then pace the next one, or close."""
        try:
            connection.offset += connection.sock.send(self.response[connection.offset : connection.end])
        except BlockingIOError:
            pass
        except OSError:  # reset by the client, or a broken pipe: it has gone
            self._close(connection)
            return
        if connection.offset < connection.end:
            self._watch(connection, selectors.EVENT_WRITE)
            return
        self._watch(connection, 0)
        if connection.offset >= len(self.response) or self.pace is None:
            self._close(connection)
            return
        connection.end = min(connection.offset + _CHUNK, len(self.response))
        when = self.pace.reserve(connection.end - connection.offset, time.monotonic())
        self._later(when, connection, self._send)

    def _close(self, connection: _Connection) -> None:
        connection.token += 1  # cancels its pending timer
        self._watch(connection, 0)
        connection.sock.close()
        self.served -= 1
        while self.waiting and self.served < self.capacity:
            self._serve(self.waiting.popleft())


def _watch_stdin(waker: socket.socket) -> None:
    """Wake the loop once stdin reaches end of file: the worker closed it, or died."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        with contextlib.suppress(OSError):
            waker.send(b"x")


def main(argv: List[str]) -> int:
    """Serve until stdin closes; the first line on stdout says the port or the error."""
    config = json.loads(argv[0])
    raise_open_file_limit()
    port = int(config["port"])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":  # on Windows SO_REUSEADDR would let two servers share a port
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        # A backlog of at least ``connections`` (the kernel caps it at somaxconn).
        listener.listen(max(int(config["connections"]), 1024))
    except OSError as error:
        listener.close()
        print("error cannot listen on {}:{}: {}".format(HOST, port, error.strerror or error), flush=True)
        return 1
    listener.setblocking(False)
    wake, waker = socket.socketpair()
    wake.setblocking(False)
    server = _Server(config, listener, wake)
    threading.Thread(target=_watch_stdin, args=(waker,), name="stdin-watch", daemon=True).start()
    print("listening {}".format(listener.getsockname()[1]), flush=True)
    try:
        server.run()
    finally:
        server.shut()
    return 0


class ServerProcess:
    """A running server: its port, and how to stop it; ``ServerFailed`` (why, in one line) if it cannot start.

    ``config``: ``port`` (0: a free one the OS picks), ``latency`` (s), ``size`` (bytes),
    ``bandwidth`` (bytes/s, 0: none), ``connections`` (served at once).
    """

    def __init__(self, config: Dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        try:
            self.port = self._await_ready()
        except BaseException:
            self.stop()
            raise

    def _await_ready(self) -> int:
        stdout = self.process.stdout
        assert stdout is not None
        lines: List[bytes] = []
        # A thread, so that a server that never answers costs _READY_S, not the point's timeout.
        reader = threading.Thread(
            target=lambda: lines.append(stdout.readline()), name="http-server-ready", daemon=True
        )
        reader.start()
        reader.join(_READY_S)
        if not lines:
            raise ServerFailed("the http server did not say it was ready within {:g} s".format(_READY_S))
        line = lines[0].decode("utf-8", "replace").strip()
        kind, _, detail = line.partition(" ")
        if kind == "listening" and detail.isdigit():
            return int(detail)
        if kind == "error":
            raise ServerFailed("the http server could not start: " + detail)
        code = self.process.wait(_STOP_S)
        raise ServerFailed("the http server exited (code {}) before it was ready".format(code))

    def stop(self) -> None:
        end_child(self.process, _STOP_S)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
