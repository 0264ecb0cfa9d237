"""A real headless Chromium, driven over the DevTools protocol on a pipe, for testing the HTML report.

No dependency beyond the standard library and Debian's ``chromium``: Chromium
started with ``--remote-debugging-pipe`` reads protocol commands on its file
descriptor 3 and writes answers and events on 4, each message JSON ended by
a NUL byte.

::

    test ──command {id, method, params, sessionId}──► fd 3 ─► chromium
         ◄─answer {id, result} / event {method, params}── fd 4 ◄─┘
                      (a reader thread queues every message)

``Chromium.open(path)`` loads a page and records, while it loads, console
errors, uncaught exceptions, log entries of level error, and every request
the page makes; ``evaluate`` runs JavaScript in it; ``screenshot`` takes a
PNG of the whole page or of a clip; ``resize`` sets the window's width.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def missing_reason() -> str | None:
    """Why no headless Chromium can run here, or None when it can."""
    if not Path(CHROMIUM).exists():
        return (
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(scripts/test.sh does: apt-get install -y chromium)"
        )
    return None


class ChromiumError(RuntimeError):
    """Raised when Chromium answers a command with an error, or does not answer in time."""


@dataclass
class PageLog:
    """What a page did while it loaded."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def _high_fd(fd: int) -> int:
    """A duplicate of ``fd`` numbered 10 or more (so that placing it at 3 or 4 clobbers nothing)."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Chromium:
    """One headless Chromium with a fresh profile; use as a context manager."""

    def __init__(self, timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s
        self.profile = tempfile.mkdtemp(prefix="threadlab-chromium-")
        command_read, self._command_write = (_high_fd(fd) for fd in os.pipe())
        self._answer_read, answer_write = (_high_fd(fd) for fd in os.pipe())

        def place_pipes() -> None:  # in the child, before exec: fd 3 reads commands, fd 4 answers
            os.dup2(command_read, 3)
            os.dup2(answer_write, 4)

        # Chromium's own chatter (no D-Bus here, and so on) goes to a file, never to a pipe that could fill.
        self._stderr = open(Path(self.profile) / "stderr.log", "wb")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            pass_fds=(3, 4),
            preexec_fn=place_pipes,  # dup2 only: safe even with the reader threads of other tests
        )
        os.close(command_read)
        os.close(answer_write)
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._events: list[dict[str, Any]] = []
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session: str | None = None

    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._answer_read, "rb", buffering=0) as answers:
            while True:
                chunk = answers.read(65536)
                if not chunk:
                    self._messages.put(None)
                    return
                buffer += chunk
                while b"\0" in buffer:
                    message, buffer = buffer.split(b"\0", 1)
                    self._messages.put(json.loads(message))

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True) -> Any:
        """Send one command and wait for its answer; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session is not None:
            message["sessionId"] = self.session
        os.write(self._command_write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            answer = self._next(deadline, f"an answer to {method}")
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise ChromiumError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self._events.append(answer)

    def _next(self, deadline: float, what: str) -> dict[str, Any]:
        try:
            message = self._messages.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise ChromiumError(f"chromium sent no {what} within {self.timeout_s:g} s") from None
        if message is None:
            raise ChromiumError(f"chromium closed its pipe while waiting for {what}")
        return message

    def wait_for(self, method: str) -> dict[str, Any]:
        """Wait for an event (kept ones first)."""
        for index, event in enumerate(self._events):
            if event.get("method") == method:
                return self._events.pop(index)
        deadline = time.monotonic() + self.timeout_s
        while True:
            message = self._next(deadline, f"event {method}")
            if message.get("method") == method:
                return message
            self._events.append(message)

    def __enter__(self) -> Chromium:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, session=False
        )
        self.session = attached["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable")
        self.resize(1200)
        return self

    def resize(self, width: int, height: int = 900) -> None:
        """Make the window ``width`` × ``height`` CSS pixels; the page lays itself out again."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(ChromiumError):  # it may close its pipe before answering
            self.send("Browser.close", session=False)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._command_write)
        self._stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def open(self, path: Path) -> PageLog:
        """Load a local file and wait for its load event; return what it logged and requested."""
        self._events.clear()
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_for("Page.loadEventFired")
        self.evaluate("1")  # a round trip, so that events sent during the load have arrived
        log = PageLog()
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                log.console_errors.append(" ".join(str(a.get("value", a)) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                log.console_errors.append(str(params.get("exceptionDetails", {}).get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                log.console_errors.append(str(params["entry"].get("text")))
            elif method == "Network.requestWillBeSent":
                log.requests.append(str(params.get("request", {}).get("url")))
        return log

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable values only)."""
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in answer:
            raise ChromiumError(f"{expression!r} raised: {answer['exceptionDetails'].get('text')}")
        return answer["result"].get("value")

    def screenshot(self, clip: dict[str, float] | None = None) -> bytes:
        """A PNG of the whole page, or of ``clip`` (x, y, width, height in page coordinates)."""
        if clip is None:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}
        answer = self.send(
            "Page.captureScreenshot",
            {"format": "png", "clip": {**clip, "scale": 1}, "captureBeyondViewport": True},
        )
        return base64.b64decode(answer["data"])
