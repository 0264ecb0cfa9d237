"""No observer effect: threadlab's sample wall time against a plain script doing the same work.

What it measures, for four cases, in one run:

1. ``asyncio-sleep``: 100,000 ``asyncio.sleep(1.0)`` (``threadlab.run("sleep",
   "asyncio", 100000, params={"duration": 1.0})``) against a plain
   ``asyncio.run`` of ``asyncio.gather(*(asyncio.sleep(1.0) for _ in
   range(100000)))``.
2. ``threads-sleep``: 1000 threads sleeping 1.0 s (``threadlab.run("sleep",
   "threads", 1000, ...)``) against the classic demo: build, start and join
   1000 ``threading.Thread`` s that each ``time.sleep(1.0)``.
3. ``http-threads``: 1000 GETs of 10 KB from a local server answering after
   1.0 s, one thread each (``threadlab.run("http", "threads", 1000,
   params={"latency": 1.0, "kb": 10})``), against 1000 plain threads each
   making one ``http.client`` request.
4. ``http-asyncio``: the same 1000 GETs on asyncio, against a plain
   ``asyncio.gather`` of 1000 requests over asyncio streams.

Target (issue "No observer effect"): for each case, the median of
threadlab's sample wall times over the median of the plain script's, both
timed in this run, at most 1.05. Recording per-task spans must not change
what is measured.

How: ``--rounds`` rounds (default 5), interleaved. Each round runs, in an
order swapped every round (threadlab then plain, plain then threadlab, …)
so that a slow phase of the machine falls on both:

- threadlab: one ``threadlab.run(..., repeat=1, warmup=1)``, a fresh worker
  process with one warm-up and one timed sample; its ``wall_s``.
- plain: the plain script in a fresh process of this Python, one warm-up
  run and one timed run, timed as threadlab times a sample: after
  ``gc.collect()``, from before the tasks are created to after the last has
  ended, with the garbage collector on, as users run their code.

For the http cases the plain script's server is the server threadlab's
``http`` workload starts (``threadlab.worker.workloads._http_server``), with
the same latency, size and connection limit, started before the plain
process and stopped after it, as the workload's session does around its
samples; the plain clients raise their open-file limit as the worker does,
and take the same steps as the workload's clients (connect, send the GET,
read the head, read Content-Length bytes, check status and length), without
its per-step timeouts.

What the ratio also holds: the orchestrator reads each sample's spans as
they arrive, so it parses the warm-up's (a few tenths of a second of CPU
for 100,000 tasks) while the timed sample runs in the worker; a plain
script has no such neighbour.

Also printed: each round's two wall times as they come, per case both
spreads, and the per-round ratios with their median (paired within a round,
so less moved by a slow phase of the machine than the ratio of medians).
``--quick`` runs small counts (10,000 sleeps, 100 threads, 100 GETs, 0.2 s
each, 2 rounds): a smoke test of the script, not of the target.

This supersedes the plain-script comparisons of ``bench_asyncio_sleeps.py``
and ``bench_thousand_threads.py``, which still check the absolute targets of
issue "Core".

Run: ``.venv/bin/python benchmarks/bench_observer.py [--strict] [--quick] [--rounds N] [--only CASE ...]``
(3–4 minutes; ``--quick`` about 15 s)
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import _common

import threadlab
from threadlab.worker.workloads._http_server import ServerProcess

TARGET_RATIO = 1.05
KB = 10.0  # each http response, as in bench_http.py


@dataclass(frozen=True)
class Case:
    """One comparison: how threadlab runs it, and the plain script that does the same work."""

    name: str
    title: str
    workload: str
    strategy: str
    workers: int
    params: dict[str, float]
    plain: Callable[[int], str]  # the plain script's code, given the http server's port (0: none)
    http: bool = False


# Each plain script runs its work twice, a warm-up and a timed run, and prints "wall SECONDS".
_TIMED = """
for i in range(2):
    gc.collect()
    t0 = time.perf_counter()
    {work}
    wall = time.perf_counter() - t0
    if i:
        print("wall", wall)
"""


def plain_asyncio_sleep(tasks: int, duration: float) -> Callable[[int], str]:
    def code(_port: int) -> str:
        return f"""
import asyncio, gc, time
async def main():
    await asyncio.gather(*(asyncio.sleep({duration}) for _ in range({tasks})))
""" + _TIMED.format(work="asyncio.run(main())")

    return code


def plain_threads_sleep(threads: int, duration: float) -> Callable[[int], str]:
    def code(_port: int) -> str:
        return f"""
import gc, threading, time
def task():
    time.sleep({duration})
def main():
    threads = [threading.Thread(target=task) for _ in range({threads})]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
""" + _TIMED.format(work="main()")

    return code


# Both http clients raise their open-file limit, as threadlab's worker does, check each
# answer's status and length, and print how many requests failed.
_HTTP_PRELUDE = """
import gc, resource, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
failed = []
"""


def plain_http_threads(requests: int, size: int, timeout: float) -> Callable[[int], str]:
    def code(port: int) -> str:
        return (
            _HTTP_PRELUDE
            + f"""
import http.client, threading
def get():
    try:
        connection = http.client.HTTPConnection("127.0.0.1", {port}, timeout={timeout})
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200 or len(body) != {size}:
            failed.append((response.status, len(body)))
    except Exception as error:
        failed.append(error)
def main():
    threads = [threading.Thread(target=get) for _ in range({requests})]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
"""
            + _TIMED.format(work="main()")
            + 'print("failed", len(failed))\n'
        )

    return code


def plain_http_asyncio(requests: int, size: int) -> Callable[[int], str]:
    def code(port: int) -> str:
        return (
            _HTTP_PRELUDE
            + f"""
import asyncio
REQUEST = b"GET / HTTP/1.1\\r\\nHost: 127.0.0.1:{port}\\r\\nConnection: close\\r\\n\\r\\n"
async def get():
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", {port})
        try:
            writer.write(REQUEST)
            head = (await reader.readuntil(b"\\r\\n\\r\\n")).decode("latin-1").lower()
            length = int(head.split("content-length:")[1].split("\\r\\n")[0])
            body = await reader.readexactly(length)
        finally:
            writer.close()
        if not head.startswith("http/1.1 200") or len(body) != {size}:
            failed.append(head.split("\\r\\n")[0])
    except Exception as error:
        failed.append(error)
async def many():
    await asyncio.gather(*(get() for _ in range({requests})))
"""
            + _TIMED.format(work="asyncio.run(many())")
            + 'print("failed", len(failed))\n'
        )

    return code


def cases(quick: bool) -> list[Case]:
    sleeps, threads, requests, seconds = (10_000, 100, 100, 0.2) if quick else (100_000, 1000, 1000, 1.0)
    size = int(KB * 1024)
    http_params = {"latency": seconds, "kb": KB, "connections": requests}
    # threadlab's http tasks bound each step by `timeout` (default 60 s) plus the latency.
    http_timeout = 60.0 + seconds
    return [
        Case(
            "asyncio-sleep",
            f"{sleeps:,} asyncio sleeps of {seconds} s (asyncio ×{sleeps:,}) vs asyncio.gather",
            "sleep",
            "asyncio",
            sleeps,
            {"duration": seconds},
            plain_asyncio_sleep(sleeps, seconds),
        ),
        Case(
            "threads-sleep",
            f"{threads} threads sleeping {seconds} s (threads ×{threads}) vs Thread start/join",
            "sleep",
            "threads",
            threads,
            {"duration": seconds},
            plain_threads_sleep(threads, seconds),
        ),
        Case(
            "http-threads",
            f"{requests} GETs of {KB:g} KB, latency {seconds} s (threads ×{requests}) vs http.client",
            "http",
            "threads",
            requests,
            http_params,
            plain_http_threads(requests, size, http_timeout),
            http=True,
        ),
        Case(
            "http-asyncio",
            f"{requests} GETs of {KB:g} KB, latency {seconds} s (asyncio ×{requests}) vs asyncio streams",
            "http",
            "asyncio",
            requests,
            http_params,
            plain_http_asyncio(requests, size),
            http=True,
        ),
    ]


@contextlib.contextmanager
def server_for(case: Case) -> Iterator[int]:
    """The port of the plain script's server, the one threadlab's http workload starts (0: none)."""
    if not case.http:
        yield 0
        return
    server = ServerProcess(
        {
            "port": 0,
            "latency": case.params["latency"],
            "size": int(case.params["kb"] * 1024),
            "bandwidth": 0.0,
            "connections": int(case.params["connections"]),
        }
    )
    try:
        yield server.port
    finally:
        server.stop()


def run_threadlab(case: Case, problems: list[str]) -> float | None:
    """One threadlab point: a warm-up and one sample; the sample's wall time.

    ``max_time`` close to 0 ends the point's rounds after its one round (``repeat``), as
    a plain script runs once: a point alone would otherwise go on until its interval is
    within ±5% or 40 s are spent.
    """
    result = threadlab.run(
        case.workload, case.strategy, case.workers, params=case.params, repeat=1, warmup=1, max_time=0.01
    )
    (measurement,) = result.measurements
    walls = [sample.wall_s for sample in measurement.samples]
    failed = sum(getattr(sample, "tasks_failed", 0) for sample in measurement.samples)
    if len(walls) != 1 or failed:
        problems.append(
            f"threadlab: {len(walls)} samples, {failed} task errors, status "
            f"{getattr(measurement, 'status', '?')}, errors {getattr(measurement, 'errors', '?')}"
        )
        return None
    return walls[0]


def run_plain(case: Case, problems: list[str]) -> float | None:
    """The plain script in a fresh process: a warm-up and one timed run; the timed run's wall time."""
    with server_for(case) as port:
        code, out, err, _ = _common.run_python(case.plain(port))
    walls = _common.floats_after("wall", out)
    failed = _common.floats_after("failed", out)
    if code != 0 or len(walls) != 1 or any(failed):
        problems.append(f"plain: exit {code}, failed {failed}, stderr {err.strip()[-300:]!r}")
        return None
    return walls[0]


def measure(case: Case, rounds: int) -> tuple[list[float], list[float], list[float], list[str]]:
    """Interleaved rounds of threadlab and the plain script.

    Returns:
        threadlab's walls, the plain script's walls, the ratio of each round
        where both sides measured, and the problems seen.
    """
    ours: list[float] = []
    plain: list[float] = []
    paired: list[float] = []
    problems: list[str] = []
    for number in range(rounds):
        # Swapped every round, so that neither side always runs first after the other's process.
        order = ("threadlab", "plain") if number % 2 == 0 else ("plain", "threadlab")
        walls = {
            side: (run_threadlab if side == "threadlab" else run_plain)(case, problems) for side in order
        }
        ours_wall, plain_wall = walls["threadlab"], walls["plain"]
        if ours_wall is not None:
            ours.append(ours_wall)
        if plain_wall is not None:
            plain.append(plain_wall)
        if ours_wall is not None and plain_wall is not None:
            paired.append(ours_wall / plain_wall)
        shown = ", ".join(
            f"{side} {'-' if walls[side] is None else f'{walls[side]:.3f} s'}" for side in order
        )
        print(f"   {case.name} round {number + 1}/{rounds}: {shown}", flush=True)
    return ours, plain, paired, problems


def report(
    case: Case, ours: list[float], plain: list[float], paired: list[float], problems: list[str]
) -> _common.Verdict:
    """Print one case's figures; its verdict."""
    name = f"observer {case.name} wall ratio (threadlab/plain medians)"
    print(f"{case.name}: {case.title}")
    for problem in problems:
        print(f"   PROBLEM {problem}")
    if not ours or not plain:
        return _common.Verdict(name, "no samples", f"<= {TARGET_RATIO}", False)
    ratio = _common.median(ours) / _common.median(plain)
    met = ratio <= TARGET_RATIO and not problems
    print(f"   threadlab sample wall: {_common.spread(ours)}")
    print(f"   plain script wall:     {_common.spread(plain)}")
    print(
        f"   ratio of medians {ratio:.3f}: {'PASS' if met else 'MISS'} (target <= {TARGET_RATIO}); "
        f"per-round ratios {' '.join(f'{r:.3f}' for r in paired)}, "
        f"their median {_common.median(paired) if paired else float('nan'):.3f}"
    )
    return _common.Verdict(
        name,
        f"{ratio:.3f} ({_common.median(ours):.3f} s / {_common.median(plain):.3f} s)",
        f"<= {TARGET_RATIO}",
        met,
    )


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--quick", action="store_true", help="small counts and 2 rounds: a smoke test")
    args_parser.add_argument("--rounds", type=int, default=None, help="rounds per case (default 5; 2 quick)")
    names = [case.name for case in cases(False)]
    args_parser.add_argument("--only", nargs="*", default=[], choices=names, help="run only these cases")
    args = args_parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    chosen = [case for case in cases(args.quick) if not args.only or case.name in args.only]
    _common.header(
        f"no observer effect: threadlab vs plain scripts, {rounds} interleaved rounds per case"
        + (" (--quick: small counts, not the target)" if args.quick else "")
    )
    measured = [(case, *measure(case, rounds)) for case in chosen]
    verdicts = [report(*found) for found in measured]
    return _common.finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
