"""The tour's HTML report: its size against the 300 KB target, and what makes it up.

What it measures:
    The bytes of the tour's self-contained HTML report made from a recorded
    tour (``tests/data/tour-waits.json``, a real ``threadlab tour --quick``:
    29 points, where the time went measured, 10 lessons), its lessons beside their
    plots as ``threadlab.tour()`` writes it; then each kind of plot's share
    of the page, and the seconds the page took to make.

Target (issue 21 part 3): the tour's report is self-contained and under 300 KB.

How: the recorded file is analysed and its findings told as the tour does,
and the page made by ``threadlab.render._html.html_report`` (the tour's own
call); ``--results FILE`` reports another tour's results file instead,
``--out FILE`` keeps the page.

Run: ``.venv/bin/python benchmarks/bench_report.py [--strict] [--results FILE] [--out FILE]``
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import _common

import threadlab
from threadlab.analysis import analyse
from threadlab.lessons import findings
from threadlab.render._html import Lesson, html_report

TARGET_BYTES = 300_000
RECORDED = _common.REPO / "tests" / "data" / "tour-waits.json"


def shares(page: str) -> dict[str, tuple[int, int]]:
    """Each kind of plot's count and bytes in ``page``."""
    found: dict[str, tuple[int, int]] = {}
    for figure in re.finditer(r'<figure class="plot" data-plot="([^"]+)">.*?</figure>', page, re.DOTALL):
        count, size = found.get(figure.group(1), (0, 0))
        found[figure.group(1)] = (count + 1, size + len(figure.group(0).encode("utf-8")))
    return found


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--results", type=Path, default=RECORDED, help="a tour's results file")
    args_parser.add_argument("--out", type=Path, default=None, help="also write the page here")
    args = args_parser.parse_args()
    _common.header("the tour's HTML report: size")

    started = time.perf_counter()
    result = threadlab.load_result(args.results)
    analysis = analyse(result)
    lessons = [Lesson(f.title, f.text, f.points) for f in findings(result)]
    page = html_report([(str(args.results), result)], lessons=lessons, analyses=[analysis])
    seconds = time.perf_counter() - started
    size = len(page.encode("utf-8"))
    print(f"results file: {args.results} ({len(result.measurements)} points, {len(lessons)} lessons)")
    print(f"page: {size:,} bytes, made in {seconds:.1f} s")
    plotted = shares(page)
    for kind, (count, kind_bytes) in sorted(plotted.items(), key=lambda item: -item[1][1]):
        print(f"   {kind:9} {count:3} plot(s) {kind_bytes:9,} bytes ({kind_bytes / size:.0%})")
    rest = size - sum(kind_bytes for _, kind_bytes in plotted.values())
    print(f"   {'the rest':9}             {rest:9,} bytes ({rest / size:.0%}): text, tables, style")
    if args.out is not None:
        args.out.write_text(page, encoding="utf-8")
        print(f"written to {args.out}")
    verdict = _common.Verdict(
        "tour report size", f"{size / 1000:.0f} KB", f"< {TARGET_BYTES // 1000} KB", size < TARGET_BYTES
    )
    return _common.finish([verdict], args.strict)


if __name__ == "__main__":
    sys.exit(main())
