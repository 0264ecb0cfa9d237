"""The ``dask`` strategy across hosts: worker labels name the host, and what reads them tells hosts apart."""

from __future__ import annotations

import pytest

from threadlab.render.plots.timeline import _row_names
from threadlab.worker.strategies._base import label_parts, on_host


def test_labels_of_workers_on_other_machines_carry_their_host() -> None:
    assert on_host("41:Dask-Default-Threads-41-0", "10.0.0.7") == "41:Dask-Default-Threads-41-0@10.0.0.7"
    assert label_parts("41:Dask-Default-Threads-41-0@10.0.0.7") == (
        "41",
        "Dask-Default-Threads-41-0",
        "10.0.0.7",
    )
    assert label_parts("41:MainThread") == ("41", "MainThread", "")
    assert label_parts("41:slot-2@::1") == ("41", "slot-2", "::1")


@pytest.mark.parametrize(
    ("labels", "rows"),
    [
        (["41:threadlab-0", "41:threadlab-1"], ["0", "1"]),
        (["41:MainThread", "52:MainThread"], ["pid 41", "pid 52"]),
        # The same pid on two machines is two processes.
        (["41:Dask-1@10.0.0.7", "41:Dask-1@10.0.0.8"], ["pid 41@10.0.0.7", "pid 41@10.0.0.8"]),
        (
            ["41:Dask-41-0@10.0.0.7", "52:Dask-52-0@10.0.0.8"],
            ["41:Dask-41-0@10.0.0.7", "52:Dask-52-0@10.0.0.8"],
        ),
        # A host shared by all tells nothing apart: it is left out, as a shared pid is.
        (["41:Dask-41-0@10.0.0.7", "52:Dask-52-0@10.0.0.7"], ["41:Dask-41-0", "52:Dask-52-0"]),
        (["41:Dask-41-0@10.0.0.7", "41:Dask-41-1@10.0.0.7"], ["Dask-41-0", "Dask-41-1"]),
    ],
    ids=[
        "one-process",
        "one-thread-name",
        "same-pid-two-hosts",
        "two-hosts",
        "one-host",
        "one-remote-process",
    ],
)
def test_timeline_rows_tell_workers_apart_across_hosts(labels: list[str], rows: list[str]) -> None:
    assert _row_names(labels) == rows
