"""``http``: each task downloads one response from a local HTTP server started for the point.

The "downloading files" of the classic lesson, done for real over sockets
instead of simulated with ``sleep``. The workload's session runs the server
(``_http_server``) for the point; with ``bandwidth`` set it paces all
responses together, so that threads can be seen still sharing one link.

Clients, standard library only unless asked: ``http.client`` on the
blocking strategies (threads, thread pool, processes, sequential), and a
minimal HTTP/1.1 GET over asyncio streams on ``asyncio``;
``client=aiohttp`` uses aiohttp instead on ``asyncio``, where the target
Python has it. Each task makes exactly one request, every step of it
bounded by ``timeout`` (plus ``latency`` for the answer), checks the status
and the length of the body, and reports the whole request as its I/O wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import importlib.util
import time
from typing import Dict, Iterator, Optional, Tuple

from threadlab.worker._params import DAY_S, Param, ParamValue
from threadlab.worker.workloads._base import AsyncTask, Call, IOWait, PointRefused, Task, Workload
from threadlab.worker.workloads._http_server import (
    HOST,
    ServerFailed,
    ServerProcess,
    connection_limit,
    raise_open_file_limit,
)

_KB = 1024
_READ = 65536  # bytes asked for at a time by the asyncio client


class ResponseError(Exception):
    """The server's answer was not the one asked for (status or length)."""


def _checked(start: float, status: int, received: int, size: int) -> IOWait:
    """The request's wait since ``start``, once its answer is the one asked for."""
    waited = time.perf_counter() - start
    if status != 200:
        raise ResponseError("the server answered {} instead of 200".format(status))
    if received != size:
        raise ResponseError("received {} bytes of a {}-byte response".format(received, size))
    return IOWait(waited)


def http_get(port: int, size: int, timeout: float) -> IOWait:
    """GET / from the local server with ``http.client``; check it is ``size`` bytes."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return _checked(start, response.status, len(body), size)


class _Deadline:
    """Bounds each step of an async request by ``timeout`` seconds, without a task of its own.

    ``asyncio.wait_for`` would wrap every step in a new task; with ten
    thousand requests at once that is tens of thousands of tasks. Instead
    one timer per request cancels the request's own task when it fires, and
    ``expired()`` tells that cancellation apart from any other. A renewal
    only moves the deadline later; the timer, set once, catches up with it
    when it comes due. Replacing the timer at each step instead (a new
    handle on the loop's heap, the old one cancelled) cost each of 10,000
    requests at once about 35 µs of the loop's time here, against about
    10 µs for one timer per request.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()
        self.handle: Optional[asyncio.TimerHandle] = None
        self.due = 0.0
        self.fired = False

    def renew(self) -> None:
        self.due = self.loop.time() + self.timeout
        if self.handle is None:
            self.handle = self.loop.call_at(self.due, self._fire)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None

    def _fire(self) -> None:
        assert self.handle is not None
        if self.due > self.handle.when():  # renewed since the timer was set: wait on
            self.handle = self.loop.call_at(self.due, self._fire)
            return
        self.handle = None
        self.fired = True
        if self.task is not None:
            self.task.cancel()

    def expired(self) -> bool:
        """Whether the cancellation being handled came from this deadline (and is now spent)."""
        if self.fired and self.task is not None and hasattr(self.task, "uncancel"):
            self.task.uncancel()  # Python 3.11+: the task is not being cancelled after all
        return self.fired


async def http_get_async(port: int, size: int, timeout: float) -> IOWait:
    """GET / over asyncio streams: a minimal HTTP/1.1 client, each step bounded by ``timeout``."""
    start = time.perf_counter()
    deadline = _Deadline(timeout)
    deadline.renew()
    writer: Optional[asyncio.StreamWriter] = None
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(
            "GET / HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\n\r\n".format(HOST, port).encode("ascii")
        )
        deadline.renew()
        status, length = _parse_head(await reader.readuntil(b"\r\n\r\n"))
        received = 0
        while received < length:
            deadline.renew()
            chunk = await reader.read(min(_READ, length - received))
            if not chunk:
                break
            received += len(chunk)
    except asyncio.CancelledError:
        if deadline.expired():
            raise ResponseError("no answer from the server within {:g} s".format(timeout)) from None
        raise
    finally:
        deadline.stop()
        if writer is not None:
            writer.close()
    return _checked(start, status, received, size)


def _parse_head(head: bytes) -> Tuple[int, int]:
    """The status code and Content-Length of a response head."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ResponseError("not an HTTP response: {!r}".format(lines[0][:80]))
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            return int(parts[1]), int(value.strip())
    raise ResponseError("the response has no Content-Length")


async def http_get_aiohttp(port: int, size: int, timeout: float) -> IOWait:
    """GET / with aiohttp (where installed), one session and connection per task."""
    import aiohttp  # type: ignore[import-not-found,unused-ignore]  # optional; checked by the session

    start = time.perf_counter()
    limits = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    url = "http://{}:{}/".format(HOST, port)
    # Nested: one parenthesised `async with` would need Python 3.10, and the worker side runs on 3.9.
    async with aiohttp.ClientSession(timeout=limits, connector=connector) as session:  # noqa: SIM117
        async with session.get(url) as response:
            body = await response.read()
            status = response.status
    return _checked(start, status, len(body), size)


def _size(params: Dict[str, ParamValue]) -> int:
    return max(1, int(float(params["kb"]) * _KB))


def _get_args(params: Dict[str, ParamValue]) -> Tuple[int, int, float]:
    # The first read waits for the server's latency on top of the usual bound.
    timeout = float(params["timeout"]) + float(params["latency"])
    return int(params.get("_port", 0)), _size(params), timeout


class Http(Workload):
    name = "http"
    summary = "download `kb` KB from a local HTTP server answering after `latency` s; real sockets"
    kind = "io"
    params = (
        Param("latency", "float", 0.1, "seconds the server waits before it answers", minimum=0, maximum=3600),
        Param("kb", "float", 64.0, "kilobytes in each response", positive=True, maximum=1024 * 1024),
        Param(
            "bandwidth",
            "float",
            0.0,
            "KB/s the server sends in all, shared by every connection; 0 for no cap",
            minimum=0,
            maximum=10**9,  # 1 TB/s: past any loopback, the same as no cap
        ),
        Param(
            "connections",
            "int",
            min(10_000, connection_limit()),
            "connections the server serves at once; the others wait their turn",
            minimum=1,
            maximum=connection_limit(),
        ),
        Param(
            "port",
            "int",
            0,
            "server port on 127.0.0.1; 0 for a free one the OS picks",
            minimum=0,
            maximum=65535,
        ),
        Param(
            "timeout",
            "float",
            60.0,
            "seconds each step of a request may wait; the answer may take `latency` more",
            positive=True,
            maximum=DAY_S,
        ),
        Param(
            "client",
            "choice",
            "stdlib",
            "asyncio's client: stdlib (asyncio streams) or aiohttp; blocking strategies use http.client",
            choices=("stdlib", "aiohttp"),
        ),
    )

    @contextlib.contextmanager
    def session(self, params: Dict[str, ParamValue]) -> Iterator[Dict[str, ParamValue]]:
        """Start the server before the warm-ups; stop and reap it after the last sample."""
        if params["client"] == "aiohttp" and importlib.util.find_spec("aiohttp") is None:
            raise PointRefused(
                "client=aiohttp needs the aiohttp package, which this Python does not have; "
                "install it there or use client=stdlib"
            )
        raise_open_file_limit()  # each connection is a file here too
        config = {
            "port": int(params["port"]),
            "latency": float(params["latency"]),
            "size": _size(params),
            "bandwidth": float(params["bandwidth"]) * _KB,
            "connections": int(params["connections"]),
        }
        try:
            server = ServerProcess(config)
        except ServerFailed as error:
            raise PointRefused(str(error)) from None
        try:
            yield dict(params, _port=server.port)
        finally:
            server.stop()

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        if params["client"] != "stdlib":
            return None
        return Call(http_get, _get_args(params))

    def async_task(self, params: Dict[str, ParamValue]) -> Optional[AsyncTask]:
        get = http_get_aiohttp if params["client"] == "aiohttp" else http_get_async
        return Call(get, _get_args(params))


WORKLOAD = Http()
