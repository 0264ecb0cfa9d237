"""Loading a results file: how long a 200-point file takes to read back, and with what.

What it measures:
    Issue 19 asks for one declaration per field of the results file, and
    for the tool that checks them to be chosen by measurement: msgspec
    (``Struct``s with ``Meta`` ranges, checked in C) against the model's
    own frozen dataclasses, each field annotated once and read by one
    generic checker in Python. This script writes the 200-point file of
    ``bench_saving.py`` (groups of four points, 5 samples of 2 tasks and a
    warm-up each, per-task spans, summaries written beside each point, as
    a run saves them) and times, ``--repeat`` times each, interleaved:

    * ``threadlab.load_result``: the whole reader (size, UTF-8 and nesting checked
      on the bytes, ``json.loads``, every value checked, the dataclasses
      built);
    * ``msgspec.json.decode`` of the same bytes into ``Struct``s declaring
      the same fields, types and ranges (a sketch of the msgspec model:
      what it would cost at best, with no check on the bytes before it and
      nothing converted to the dataclasses the rest of threadlab uses).

    It prints the median CPU time of each (``time.process_time``: the
    machine is shared, and CPU time moves less with its load than wall
    time does) and their ratio.

Target: none; the figure decides the tool (see ``threadlab.model._schema``).

Run: ``.venv/bin/python benchmarks/bench_load.py [--repeat R]``
"""

import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import _common
from bench_saving import SAMPLES, STRATEGIES, TASKS, measurement

import threadlab
from threadlab.analysis import summarise
from threadlab.model import Environment, Result, Spec
from threadlab.orchestrate._store import save_result

POINTS = 200


def write_file(path: Path) -> int:
    """The 200-point file, summaries written beside each point as a run saves them; its size."""
    spec = Spec(("count",), tuple(name for name, _ in STRATEGIES), (1, 2), tasks=TASKS, repeat=SAMPLES)
    environment = Environment("3.13.1", sys.executable, False, True, 2, "Linux", "0", "2025-06-15T12:00:00Z")
    result = Result(spec, environment, tuple(measurement(i) for i in range(POINTS)))
    save_result(result, path, summaries=[s for _, s in summarise(result)])
    return path.stat().st_size


def msgspec_decoder() -> Any:
    """A decoder into ``Struct``s declaring the results file's fields as the model does, or None."""
    try:
        import msgspec
    except ImportError:
        return None
    from msgspec import Meta, Struct

    seconds = Annotated[float, Meta(ge=0, le=1e10)]
    count = Annotated[int, Meta(ge=0, le=2**53)]
    positive = Annotated[int, Meta(ge=1, le=2**53)]
    share = Annotated[float, Meta(ge=0, le=1)]
    param = int | float | str | bool

    class Strict(Struct, frozen=True, forbid_unknown_fields=True):
        pass

    class Spans(Strict):
        start_s: list[seconds]
        end_s: list[seconds]
        cpu_s: list[seconds | None]
        worker: list[count]
        ok: list[bool]
        workers: list[str]
        io_s: list[seconds | None] = msgspec.field(default_factory=list)

    class MSample(Strict):
        wall_s: Annotated[float, Meta(ge=1e-9, le=1e10)]
        cpu_user_s: seconds | None
        cpu_sys_s: seconds | None
        ctx_voluntary: count | None
        ctx_involuntary: count | None
        max_rss_bytes: count | None
        spawn_s: seconds | None
        tasks_ok: count
        tasks_failed: count
        first_error: str | None
        spans: Spans
        gil_contention: share | None
        round: count | None
        started_at: seconds | None

    class MInterpreter(Strict):
        executable: str
        version: str
        implementation: str = "CPython"
        free_threaded: bool = False
        gil_enabled: bool = True

    class MError(Strict):
        kind: Literal["task", "timeout", "crashed", "refused", "worker"]
        message: str
        traceback: str | None = None
        count: positive = 1

    class MEntry(Strict):
        workload: str
        strategy: str
        workers: positive
        tasks: positive
        status: Literal["ok", "errors", "timeout", "crashed", "failed", "interrupted"]
        params: dict[str, param] = msgspec.field(default_factory=dict)
        strategy_params: dict[str, param] = msgspec.field(default_factory=dict)
        python: str = ""
        repeat: positive = 5
        warmup: count = 0
        gil: Literal["on", "off", "default"] = "default"
        interpreter: MInterpreter | None = None
        elapsed_s: seconds | None = None
        shares_one_gil: bool | None = None
        startup_s: seconds | None = None
        native: dict[str, Any] | None = None
        samples: list[MSample] = msgspec.field(default_factory=list)
        warmups: list[MSample] = msgspec.field(default_factory=list)
        errors: list[MError] = msgspec.field(default_factory=list)
        summary: msgspec.Raw = msgspec.Raw()

    class MFile(Strict):
        schema_version: int
        environment: dict[str, Any]
        spec: dict[str, Any]
        points: list[MEntry]
        interrupted: bool = False
        noise: dict[str, Any] | None = None
        rounds: list[dict[str, Any]] = msgspec.field(default_factory=list)
        analysis: msgspec.Raw = msgspec.Raw()

    return msgspec.json.Decoder(MFile)


def timed(action: Any, content: Any) -> float:
    started = time.process_time()
    action(content)
    return time.process_time() - started


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--repeat", type=int, default=15, help="loads of each kind (default 15)")
    args = args_parser.parse_args()
    _common.header(f"loading a {POINTS}-point results file, {args.repeat} times each way")
    decoder = msgspec_decoder()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        path = Path(scratch) / "results.json"
        size = write_file(path)
        content = path.read_bytes()
        assert len(threadlab.load_result(path).measurements) == POINTS
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(args.repeat):
            ours.append(timed(threadlab.load_result, path))
            if decoder is not None:
                theirs.append(timed(decoder.decode, content))
    mine = _common.median(ours)
    print(f"the file: {size / 1e3:.0f} KB, {POINTS} points")
    print(f"threadlab.load_result (bytes checked, json, every field checked): CPU median {mine * 1e3:.1f} ms")
    if decoder is None:
        print("msgspec is not installed: pip install msgspec to compare")
        return 0
    other = _common.median(theirs)
    print(f"msgspec.json.decode into Structs of the same fields:             CPU median {other * 1e3:.1f} ms")
    print(f"ratio: {mine / other:.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
