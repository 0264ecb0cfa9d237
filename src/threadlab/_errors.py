"""The exceptions threadlab raises, all rooted at ``ThreadlabError``::

    ThreadlabError                 anything threadlab itself refuses or fails at
    ├── SpecError                  bad input, refused before any work starts
    │                              (the CLI prints it as one line, exit code 2)
    ├── ResultsFileError           a results file cannot be read, parsed or written
    ├── NothingInCommon            two results compared share no point (the CLI: exit code 2)
    └── WorkerProtocolError        a worker answered something the protocol does not allow

What goes wrong *inside* a point — a task that raises, a hung task, a worker
process that dies — is not an exception: it is measured data, recorded in the
point's ``errors`` and ``status`` while the run goes on.
"""

from __future__ import annotations

from collections.abc import Mapping


class ThreadlabError(Exception):
    """Base class of every error threadlab raises."""


class SpecError(ThreadlabError, ValueError):
    """Raised when an experiment is described wrongly: an unknown workload or
    strategy, a bad worker count, a parameter that is not accepted, an
    unsupported pair, an output path that cannot be written. The message
    names the option, the value and what would be accepted."""

    def __init__(self, option: str, message: str, mentions: Mapping[str, object] | None = None) -> None:
        """Args:
        option: the API parameter (or, from a CLI parser, the flag) whose value is refused.
        message: what is wrong and what is accepted. Where it names what
            to set instead, it holds ``{name}`` for each entry of ``mentions``:
            worded ``name=value`` here, and as the CLI's flag by ``renamed``.
        mentions: the other parameters the message names, with their values.
        """
        self.option = option
        self.mentions = dict(mentions or {})
        self.detail = message
        super().__init__(f"{option}: {self._worded({})}")

    def _worded(self, flags: Mapping[str, str]) -> str:
        if not self.mentions:
            return self.detail
        return self.detail.format(
            **{
                name: f"{flags[name]} {value}" if name in flags else f"{name}={value!r}"
                for name, value in self.mentions.items()
            }
        )

    def renamed(self, option: str, flags: Mapping[str, str] | None = None) -> SpecError:
        """The same error naming ``option`` instead, and the parameters it mentions by ``flags``: how
        the CLI words an API error, its flag for each API parameter."""
        return SpecError(option, self._worded(flags or {}))


class ResultsFileError(ThreadlabError):
    """Raised when a results file cannot be read (missing, not JSON, a schema
    version this threadlab does not know) or cannot be written."""


class WorkerProtocolError(ThreadlabError):
    """Raised when a worker's output breaks the protocol (not JSON, an unknown
    event); the runner records the point as failed with this message."""


class NothingInCommon(ThreadlabError, ValueError):
    """Raised by ``compare`` when no point of one result matches a point of the
    other (another workload, other strategies, or no points at all): there is
    nothing to compare, which is a mistake in what was given, not a finding."""
