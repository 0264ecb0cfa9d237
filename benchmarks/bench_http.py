"""Real downloads from the local HTTP server: 1000 and 10,000 at once, and a shared bandwidth cap.

What it measures, each with ``threadlab.run("http", ...)`` (one worker
process per point, which starts the server on 127.0.0.1 for the point):

1. 1000 concurrent downloads of ``--kb`` KB (default 10) from a server that
   answers after 1.0 s, on ``threads`` (1000 threads, ``http.client``) and on
   ``asyncio`` (1000 coroutines, asyncio streams): wall median of 5 samples
   (1 warm-up), its min–max, task latency p50/p99, and for threads the time
   spent starting them (``spawn_s``).
2. 10,000 concurrent downloads on ``asyncio`` (3 samples, 1 warm-up): whether
   every one completed (no task errors, every length checked), and the time.
3. A bandwidth cap: 100 downloads of 64 KB with ``bandwidth=3200`` KB/s
   shared by all connections, latency 0, on ``threads`` ×100 and
   ``asyncio`` ×100: the expected total is 100 × 64 / 3200 = 2.0 s however
   many share the link. ``sequential`` is shown beside them, not held to
   the target: one download at a time leaves the link idle between them.

4. The observer effect of the command line (``--observer``, issue "The
   first minute", part 5): 1000 GETs on asyncio through ``python -m
   threadlab run -w http -s asyncio -n 1000 --repeat 1 --warmup 1`` (its
   sample's wall, read back from its results file), once with stderr a
   terminal (the progress bar drawn, as a user sees it) and once ``-q``,
   and through ``threadlab.run``, interleaved round by round with the
   plain asyncio script of ``bench_observer.py`` (same server, same
   steps); each one's per-round ratio to the plain script, and the median.
5. The observer effect's suspects (``--suspects``, informative, no target):
   ``threadlab.run`` with and without the waits sidecar (``waits=False``), at
   10 KB (this benchmark's size) and 64 KB (the workload's default, what a
   user gets), each against the plain script of its size, interleaved and
   rotated round by round. The progress display is the ``--observer`` pair
   "terminal" against ``-q``.

Targets (issue "Real I/O workloads"): threads wall median at most 1.3 s and
asyncio at most 1.2 s for 1000 downloads; 10,000 on asyncio complete with
no errors; the capped concurrent runs within 10% of the expected time.
With ``--observer``: every path's median ratio to the plain script at most 1.05.

The figures depend on how busy the machine is: the load average at the
start is printed, and on a 2-core machine every other running program
takes its share from the client and the server.

Run: ``.venv/bin/python benchmarks/bench_http.py [--strict] [--kb 10] [--skip-10k]``
``[--observer] [--only-observer] [--suspects] [--rounds 5]``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import _common
import bench_observer

import threadlab
from threadlab.analysis._summary import summarise
from threadlab.model import Measurement, Summary
from threadlab.orchestrate._store import load_result

LATENCY_S = 1.0
TARGETS_S = {"threads": 1.3, "asyncio": 1.2}
MANY = 10_000
CAPPED_TASKS = 100
CAPPED_KB = 64.0
BANDWIDTH_KBS = 3200.0


def one(
    strategy: str, workers: int, params: dict[str, float], repeat: int, tasks: int | None = None
) -> tuple[Measurement, Summary | None]:
    result = threadlab.run(
        "http", strategy, workers, tasks=tasks, params=params, repeat=repeat, warmup=1, max_workers=MANY
    )
    ((measurement, summary),) = summarise(result)
    return measurement, summary


def describe(label: str, measurement: Measurement, summary: Summary | None) -> None:
    if summary is None:
        errors = [e.message for e in measurement.errors]
        print(f"{label}: no sample; status {measurement.status}, errors {errors}")
        return
    walls = [s.wall_s for s in measurement.samples]
    failed = sum(s.tasks_failed for s in (*measurement.samples, *measurement.warmups))
    print(f"{label}: wall {_common.spread(walls)}; status {measurement.status}, {failed} task errors")
    line = (
        f"   task latency p50 {summary.latency_p50_s:.3f} s, p99 {summary.latency_p99_s:.3f} s"
        if summary.latency_p50_s is not None and summary.latency_p99_s is not None
        else "   task latency: -"
    )
    if summary.spawn_median_s is not None:
        line += f"; starting the threads took {summary.spawn_median_s:.3f} s (median)"
    last = [max(s.spans.start_s) for s in measurement.samples]
    line += f"; last task started at {_common.median(last):.3f} s (median)"
    print(line)
    for error in measurement.errors:
        print(f"   {error.kind}: {error.message}")


OBSERVER_TARGET = 1.05
OBSERVED = 1000


def _drain(fd: int) -> None:
    """Read a pseudo-terminal until its other end closes, so that the writer never blocks."""
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


def cli_wall(kb: float, terminal: bool) -> float | None:
    """One ``threadlab run`` of 1000 GETs on asyncio: a warm-up and one sample; the sample's wall."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        command = [
            sys.executable, "-m", "threadlab", "run", "-w", "http", "-s", "asyncio", "-n", str(OBSERVED),
            "-p", f"latency={LATENCY_S:g}", "-p", f"kb={kb:g}", "-p", f"connections={OBSERVED}",
            "--repeat", "1", "--warmup", "1", "--max-time", "0.01", "-o", str(out),
        ]  # fmt: skip
        if terminal:
            main_end, other_end = os.openpty()
            reader = threading.Thread(target=_drain, args=(main_end,), daemon=True)
            done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=other_end, check=False)
            os.close(other_end)
            reader.start()
            reader.join(5)
        else:
            done = subprocess.run(
                [*command, "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
            )
        if done.returncode != 0 or not out.exists():
            print(f"   threadlab run failed ({done.returncode})")
            return None
        (measurement,) = load_result(out).measurements
        failed = sum(s.tasks_failed for s in measurement.samples)
        return measurement.samples[0].wall_s if len(measurement.samples) == 1 and not failed else None


def http_case(kb: float) -> bench_observer.Case:
    """bench_observer's 1000 GETs on asyncio, with responses of ``kb`` KB on both sides."""
    case = next(c for c in bench_observer.cases(quick=False) if c.name == "http-asyncio")
    return bench_observer.Case(
        case.name, case.title, case.workload, case.strategy, OBSERVED,
        {**case.params, "kb": kb}, bench_observer.plain_http_asyncio(OBSERVED, int(kb * 1024)), http=True,
    )  # fmt: skip


def api_wall(case: bench_observer.Case, waits: bool, problems: list[str]) -> float | None:
    """One ``threadlab.run`` of the case (a warm-up and one sample), with or without the waits sidecar."""
    result = threadlab.run(
        case.workload, case.strategy, case.workers, params=case.params, repeat=1, warmup=1, max_time=0.01,
        waits=waits,
    )  # fmt: skip
    (measurement,) = result.measurements
    if len(measurement.samples) != 1 or measurement.samples[0].tasks_failed:
        problems.append(
            f"threadlab.run waits={waits}: status {measurement.status}, errors {measurement.errors}"
        )
        return None
    return measurement.samples[0].wall_s


def suspects(rounds: int) -> None:
    """The observer effect's suspects side by side, interleaved round by round, rotated: the
    response size (the workload's default 64 KB against the benchmark's 10 KB) and the waits
    sidecar (``waits=False``, ``--no-waits``), each path against the plain script of its size."""
    problems: list[str] = []
    cases = {kb: http_case(kb) for kb in (10.0, 64.0)}
    paths: dict[str, Callable[[], float | None]] = {}
    for kb, case in cases.items():
        paths[f"plain {kb:g} KB"] = lambda case=case: bench_observer.run_plain(case, problems)
        paths[f"threadlab.run {kb:g} KB"] = lambda case=case: api_wall(case, True, problems)
        paths[f"threadlab.run {kb:g} KB no waits"] = lambda case=case: api_wall(case, False, problems)
    ratios: dict[str, list[float]] = {name: [] for name in paths if not name.startswith("plain")}
    names = list(paths)
    for number in range(rounds):
        order = names[number % len(names) :] + names[: number % len(names)]
        walls = {name: paths[name]() for name in order}
        shown = ", ".join(f"{n} {'-' if walls[n] is None else f'{walls[n]:.3f}'}" for n in order)
        print(f"   suspects round {number + 1}/{rounds} (load {os.getloadavg()[0]:.2f}): {shown}", flush=True)
        for name in ratios:
            plain = walls[f"plain {name.split()[1]} KB"]
            wall = walls[name]
            if wall is not None and plain is not None:
                ratios[name].append(wall / plain)
    for problem in problems:
        print(f"   {problem}")
    for name, found in ratios.items():
        middle = _common.median(found) if found else float("inf")
        print(f"   {name} / plain: median {middle:.3f} (rounds {', '.join(f'{r:.3f}' for r in found)})")


def observer(kb: float, rounds: int) -> list[_common.Verdict]:
    """The command line's and the API's sample walls against the plain script, interleaved."""
    case = http_case(kb)
    problems: list[str] = []
    paths: dict[str, Callable[[], float | None]] = {
        "plain": lambda: bench_observer.run_plain(case, problems),
        "threadlab run (terminal)": lambda: cli_wall(kb, terminal=True),
        "threadlab run -q": lambda: cli_wall(kb, terminal=False),
        "threadlab.run": lambda: bench_observer.run_threadlab(case, problems),
    }
    ratios: dict[str, list[float]] = {name: [] for name in paths if name != "plain"}
    names = list(paths)
    for number in range(rounds):
        # Rotated every round, so that a slow phase of the machine falls on every path alike.
        order = names[number % len(names) :] + names[: number % len(names)]
        walls = {name: paths[name]() for name in order}
        plain = walls["plain"]
        shown = ", ".join(f"{n} {'-' if walls[n] is None else f'{walls[n]:.3f}'}" for n in order)
        print(f"   observer round {number + 1}/{rounds} (load {os.getloadavg()[0]:.2f}): {shown}", flush=True)
        for name, wall in walls.items():
            if name != "plain" and wall is not None and plain is not None:
                ratios[name].append(wall / plain)
    for problem in problems:
        print(f"   {problem}")
    verdicts = []
    for name, found in ratios.items():
        middle = _common.median(found) if found else float("inf")
        spread = f" (rounds {', '.join(f'{r:.3f}' for r in found)})" if found else ""
        print(f"   {name} / plain: median {middle:.3f}{spread}")
        verdicts.append(
            _common.Verdict(
                f"http-asyncio observer {name} / plain",
                f"{middle:.3f}",
                f"<= {OBSERVER_TARGET}",
                middle <= OBSERVER_TARGET,
            )
        )
    return verdicts


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--kb", type=float, default=10.0, help="response size of the 1000/10,000 runs")
    args_parser.add_argument("--skip-10k", action="store_true", help="skip the 10,000-download run")
    args_parser.add_argument(
        "--observer", action="store_true", help="also compare the paths to a plain script"
    )
    args_parser.add_argument("--only-observer", action="store_true", help="only that comparison")
    args_parser.add_argument("--rounds", type=int, default=5, help="rounds of the observer comparison")
    args_parser.add_argument(
        "--suspects", action="store_true", help="only the observer effect's suspects, side by side"
    )
    args = args_parser.parse_args()
    _common.header(
        f"http: downloads from a local server answering after {LATENCY_S:g} s ({args.kb:g} KB each)"
    )
    verdicts: list[_common.Verdict] = []
    if args.suspects:
        suspects(args.rounds)
        return 0
    if args.observer or args.only_observer:
        verdicts.extend(observer(args.kb, args.rounds))
    if args.only_observer:
        return _common.finish(verdicts, args.strict)

    for strategy in ("threads", "asyncio"):
        measurement, summary = one(strategy, 1000, {"latency": LATENCY_S, "kb": args.kb}, repeat=5)
        describe(f"1000 downloads on {strategy}", measurement, summary)
        target = TARGETS_S[strategy]
        ok = summary is not None and measurement.status == "ok" and summary.wall_median_s <= target
        figure = "no sample" if summary is None else f"{summary.wall_median_s:.3f} s ({measurement.status})"
        verdicts.append(
            _common.Verdict(f"http-1000 {strategy} wall median", figure, f"<= {target:.1f} s", ok)
        )

    if not args.skip_10k:
        measurement, summary = one("asyncio", MANY, {"latency": LATENCY_S, "kb": args.kb}, repeat=3)
        describe(f"{MANY:,} downloads on asyncio", measurement, summary)
        failed = sum(s.tasks_failed for s in (*measurement.samples, *measurement.warmups))
        done = sum(s.tasks_ok for s in measurement.samples)
        figure = (
            f"{done:,} of {MANY * len(measurement.samples):,} downloads ok, {failed} errors, "
            f"wall median {summary.wall_median_s:.3f} s"
            if summary is not None
            else f"no sample ({measurement.status})"
        )
        verdicts.append(
            _common.Verdict(
                "http-10k asyncio complete",
                figure,
                "no errors",
                summary is not None and measurement.status == "ok" and failed == 0,
            )
        )

    # The link is shared: however many threads download at once, together they get the cap.
    expected = CAPPED_TASKS * CAPPED_KB / BANDWIDTH_KBS
    capped = {"latency": 0.0, "kb": CAPPED_KB, "bandwidth": BANDWIDTH_KBS}
    for strategy, workers in (("threads", CAPPED_TASKS), ("asyncio", CAPPED_TASKS), ("sequential", 1)):
        measurement, summary = one(strategy, workers, capped, repeat=3, tasks=CAPPED_TASKS)
        describe(
            f"{CAPPED_TASKS} × {CAPPED_KB:g} KB at {BANDWIDTH_KBS:g} KB/s on {strategy} ×{workers}",
            measurement,
            summary,
        )
        if strategy == "sequential":
            # One download at a time leaves the link idle while each connection is set up and
            # while each first chunk waits for its slot: shown, not held to the target.
            if summary is not None:
                print(f"   sequential: {summary.wall_median_s / expected - 1:+.1%} against {expected:.1f} s")
            continue
        if summary is None:
            verdicts.append(_common.Verdict(f"http-bandwidth {strategy}", "no sample", "within ±10%", False))
            continue
        off = summary.wall_median_s / expected - 1
        verdicts.append(
            _common.Verdict(
                f"http-bandwidth {strategy} ×{workers} wall vs {expected:.1f} s expected",
                f"{summary.wall_median_s:.3f} s ({off:+.1%})",
                "within ±10%",
                abs(off) <= 0.10 and measurement.status == "ok",
            )
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return _common.finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
