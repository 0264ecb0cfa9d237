"""The exceptions threadlab raises, all rooted at ``ThreadlabError``::

    ThreadlabError                 anything threadlab itself refuses or fails at
    ├── SpecError                  bad input, refused before any work starts
    │                              (the CLI prints it as one line, exit code 2)
    ├── ResultsFileError           a results file cannot be read, parsed or written
    └── WorkerProtocolError        a worker answered something the protocol does not allow

What goes wrong *inside* a point — a task that raises, a hung task, a worker
process that dies — is not an exception: it is measured data, recorded in the
point's ``errors`` and ``status`` while the run goes on.
"""

from __future__ import annotations


class ThreadlabError(Exception):
    """Base class of every error threadlab raises."""


class SpecError(ThreadlabError, ValueError):
    """Raised when an experiment is described wrongly: an unknown workload or
    strategy, a bad worker count, a parameter that is not accepted, an
    unsupported pair, an output path that cannot be written. The message
    names the option, the value and what would be accepted."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        self.detail = message
        super().__init__(f"{option}: {message}")

    def renamed(self, option: str) -> SpecError:
        """The same error naming ``option`` instead: the CLI's flag for an API parameter."""
        return SpecError(option, self.detail)


class ResultsFileError(ThreadlabError):
    """Raised when a results file cannot be read (missing, not JSON, a schema
    version this threadlab does not know) or cannot be written."""


class WorkerProtocolError(ThreadlabError):
    """Raised when a worker's output breaks the protocol (not JSON, an unknown
    event); the runner records the point as failed with this message."""
