"""``file-io``: each task writes ``mb`` megabytes to a file of its own, reads them back, checks them.

The files live in a temporary directory made for the point by the
workload's session and removed after its last sample, also when a sample
fails. Under threadlab's runner that directory is itself inside the
point's private temporary directory (``TMPDIR``), which the runner removes
after killing the worker, so not even a killed point leaves files behind.
To measure another disk, point ``TMPDIR`` at it when starting threadlab.

Without ``fsync`` the data usually goes no further than the page cache, and
the read-back comes from memory: that is what most programs' writes cost.
With ``fsync=true`` each task waits until its data is on the device. Each
task removes its file once checked, so the disk holds at most one file per
running task. The write, fsync and read are reported as the task's I/O
wait.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from typing import Dict, Iterator, Optional

from threadlab.worker._params import Param, ParamValue
from threadlab.worker.workloads._base import IOWait, NumberedCall, Task, Workload
from threadlab.worker.workloads.hash import data_of


def file_task(directory: str, mb: float, fsync: bool, number: int) -> IOWait:
    """Write, optionally fsync, read back and check ``mb`` megabytes in ``task-NUMBER.bin``.

    Raises:
        OSError: the file could not be written or read (a full disk, say).
        ValueError: what was read back is not what was written.
    """
    data = data_of(mb)
    path = os.path.join(directory, "task-{}.bin".format(number))
    start = time.perf_counter()
    with open(path, "wb") as out:
        out.write(data)
        if fsync:
            out.flush()
            os.fsync(out.fileno())
    with open(path, "rb") as back:
        read = back.read()
    waited = time.perf_counter() - start
    os.remove(path)
    if read != data:
        raise ValueError(
            "{} read back {} bytes that differ from the {} written".format(path, len(read), len(data))
        )
    return IOWait(waited)


class FileIO(Workload):
    name = "file-io"
    summary = "write `mb` MB to a file of its own, optionally fsync, read back and check"
    kind = "io"
    params = (
        Param(
            "mb",
            "float",
            16.0,
            "megabytes each task writes and reads",
            positive=True,
            maximum=4096,
            held_mb=True,
        ),
        Param("fsync", "bool", False, "whether each task waits for its data to reach the device"),
    )

    def prepare(self, params: Dict[str, ParamValue]) -> None:
        data_of(float(params["mb"]))

    @contextlib.contextmanager
    def session(self, params: Dict[str, ParamValue]) -> Iterator[Dict[str, ParamValue]]:
        """Make the point's directory before the warm-ups; remove it after the last sample."""
        directory = tempfile.mkdtemp(prefix="threadlab-file-io-")
        try:
            yield dict(params, _dir=directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        return NumberedCall(
            file_task, (str(params.get("_dir", "")), float(params["mb"]), bool(params["fsync"]))
        )


WORKLOAD = FileIO()
