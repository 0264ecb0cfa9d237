"""Big sweeps: the time and the peak memory of threadlab and all its workers (issue 24).

What it measures:
    Runs one ``threadlab run`` command (by default the 500-point sleep
    sweep of issue 24: ``-w sleep -s sequential,threads,thread-pool,
    processes,asyncio -n 1,2,...,100 -p duration=0.01 --max-time 60``) and,
    every 0.5 s while it runs, sums the resident memory (``VmRSS``) of the
    whole process tree under it: threadlab, its point workers and their pool
    children. It prints the wall time, the peak summed RSS, the most
    processes alive at once, the exit status and the load average before
    and after (the machine is shared: the figures are only as good as the
    load lets them be).

Target (issue 24): the 500-point sweep stays under 4 GB summed RSS and ends
within 90 s (or is refused up front with the estimate); the 96-point sweep
(``--workers-to 20``) took 1.98 GB with 121 processes before the live
workers were bounded.

Run: ``python benchmarks/bench_big_sweep.py [--workers-to 100] [--max-time 60]
[-- extra threadlab options]``. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc/<pid>/stat."""
    found: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as stat:
                text = stat.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields start after the last ")".
        parent = int(text[text.rfind(")") + 2 :].split()[1])
        found.setdefault(parent, []).append(int(name))
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss(root: int) -> tuple[int, int]:
    """(summed RSS in kB, process count) of ``root`` and all its descendants."""
    children = _children()
    todo, seen = [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(children.get(pid, ()))
    return sum(_rss_kb(pid) for pid in seen), len(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workers-to", type=int, default=100, help="sweep -n 1,2,...,N (default 100)")
    parser.add_argument("--max-time", type=float, default=60.0)
    parser.add_argument("extra", nargs="*", help="more threadlab run options, after --")
    args = parser.parse_args()
    workers = ",".join(str(n) for n in range(1, args.workers_to + 1))
    command = [
        sys.executable, "-m", "threadlab", "run", "-w", "sleep",
        "-s", "sequential,threads,thread-pool,processes,asyncio",
        "-n", workers, "-p", "duration=0.01", "--max-time", f"{args.max_time:g}",
        "--out", f"/tmp/bench-big-sweep-{os.getpid()}.json",
        *args.extra,
    ]  # fmt: skip
    print("load average before:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak_kb = most = 0
    while process.poll() is None:
        kb, count = tree_rss(process.pid)
        peak_kb, most = max(peak_kb, kb), max(most, count)
        time.sleep(0.5)
    took = time.perf_counter() - started
    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
    print(output[-3000:])
    print(f"points swept: {5 * args.workers_to}")
    print(f"exit status {process.returncode}; wall {took:.1f} s")
    print(f"peak summed RSS {peak_kb / 1024:,.0f} MB; most processes alive {most}")
    print("load average after:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
