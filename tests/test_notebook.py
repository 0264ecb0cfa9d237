"""``threadlab.advise`` on a function defined in a Jupyter notebook cell, in a real kernel.

A cell's function lives in the kernel's ``__main__``, in a file that does not
exist: no worker can import it. It goes by value (cloudpickle), and the
sweep measures it like any other, processes included. The notebook runs in
an ``ipykernel`` kernel driven by ``nbclient``; where no kernel can start
here, the test is skipped with the reason.

examples/tour.ipynb, the quick tour in a notebook, runs here too: its cell
shows the tour's progress while it runs, in one display updated in place,
then the tour as the report's section (``TourResult._repr_html_``).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (the test extra has it)")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (the test extra has it)")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (the test extra has it)")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

CELLS = [
    "import threadlab",
    "def work():\n    return sum(range(2000))",
    "advice = threadlab.advise(work, tasks=2, repeat=1, warmup=0, budget=10)\n"
    "print(advice.result.measurements[0].point.workload)\n"
    "print(sorted({(m.point.strategy, m.status) for m in advice.result.measurements}))",
]


def execute(notebook: Any, where: Path) -> None:
    """Execute ``notebook`` in a fresh kernel, in ``where``. Skips where no kernel starts."""
    from nbclient.exceptions import CellExecutionError

    client = nbclient.NotebookClient(
        notebook, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(where)}}
    )
    try:
        client.execute()
    except CellExecutionError:
        raise
    except Exception as error:  # a kernel that cannot start is this machine's problem, not threadlab's
        if client.kc is None or "kernel" in str(error).lower():
            pytest.skip(f"no Jupyter kernel could start here: {type(error).__name__}: {error}")
        raise


def run_notebook(cells: list[str], where: Path) -> list[str]:
    """Execute ``cells`` in a fresh kernel; the text each printed. Skips where no kernel starts."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in cells])
    execute(notebook, where)
    return [
        "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("name") == "stdout")
        for cell in notebook.cells
    ]


@pytest.mark.timeout(300)
def test_a_function_defined_in_a_notebook_cell_is_advised_on(tmp_path: Path) -> None:
    printed = run_notebook(CELLS, tmp_path)

    workload, measured = printed[-1].splitlines()
    assert workload.startswith("by-value-") and workload.endswith(":work")
    statuses = dict(ast.literal_eval(measured))
    assert statuses.get("sequential") == "ok"
    assert statuses.get("processes") == "ok"  # a pool child got the function too, by value
    assert set(statuses.values()) == {"ok"}


@pytest.mark.timeout(300)
def test_the_tour_notebook_in_examples_runs_and_shows_the_tour(tmp_path: Path) -> None:
    notebook = nbformat.read(EXAMPLES / "tour.ipynb", as_version=4)
    execute(notebook, tmp_path)

    toured = notebook.cells[1].outputs
    shown = [out["data"]["text/html"] for out in toured if out.get("output_type") == "execute_result"]
    assert len(shown) == 1 and shown[0].startswith('<div class="threadlab-report">')
    # The progress showed in the cell, in one display updated in place: its last state is what
    # ended, the bar full, not the last round's line.
    progress = [out["data"] for out in toured if out.get("output_type") == "display_data"]
    assert len(progress) == 1, progress
    block = '<div class="threadlab-progress"><progress max="1" value="1.000"'
    assert progress[0]["text/html"].startswith(block)
    assert re.search(r"<span>done: \d+ groups, \d+ rounds in [\d.]+ m?s</span>", progress[0]["text/html"])
    assert re.match(r"\[#{20}\] done: \d+ groups, \d+ rounds in [\d.]+ m?s$", progress[0]["text/plain"])
    assert "One 0.2 s sleep" in shown[0]
    printed = "".join(out.get("text", "") for out in notebook.cells[3].outputs)
    assert printed.startswith("One 0.2 s sleep: took ")
    assert (tmp_path / "threadlab-tour.json").exists()


def test_no_progress_is_shown_outside_a_notebook_unless_asked() -> None:
    from threadlab._api import _progress_or_cell
    from threadlab.orchestrate._progress import Progress

    asked = Progress()
    assert _progress_or_cell(asked) is asked
    assert type(_progress_or_cell(None)) is Progress  # pytest's process: no IPython shell at all

    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    try:  # a terminal IPython: a shell is found, but it has no kernel and no cell to show progress in
        assert sys.modules["IPython"].get_ipython() is shell
        assert type(_progress_or_cell(None)) is Progress
    finally:
        interactiveshell.InteractiveShell.clear_instance()


def test_a_cells_progress_ends_on_what_ended_with_its_bar_full(monkeypatch: pytest.MonkeyPatch) -> None:
    from IPython import display as ipython_display

    from threadlab._api import _CellProgress
    from threadlab.orchestrate._progress import RoundProgress, RunDone

    shown: list[dict[str, str]] = []

    class Handle:
        def update(self, bundle: dict[str, str], raw: bool) -> None:
            shown.append(bundle)

    def display(bundle: dict[str, str], raw: bool, display_id: bool) -> Handle:
        shown.append(bundle)
        return Handle()

    monkeypatch.setattr(ipython_display, "display", display)
    cell = _CellProgress()
    cell.round_done(RoundProgress("sleep", 0, 2, 3, 1.0, 4.0, 0.02, 0.05))
    assert shown[-1]["text/plain"] == "[#####---------------] [1/2] sleep: round 3, ±2.0% (asked ±5%)"

    cell.run_done(RunDone(2, 2, 9, 5.0))
    assert shown[-1]["text/plain"] == "[####################] done: 2 groups, 9 rounds in 5.0 s"
    assert '<progress max="1" value="1.000"' in shown[-1]["text/html"]
    assert "<span>done: 2 groups, 9 rounds in 5.0 s</span>" in shown[-1]["text/html"]
