"""What a long command tells its caller while it measures.

The orchestrator never prints: it calls these methods, and a front end (the
CLI's progress bar) overrides those it wants. Every method does nothing
here, so a caller that wants nothing passes a plain ``Progress()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from threadlab._units import count, elapsed
from threadlab.model import Point, Sample


@dataclass(frozen=True, slots=True)
class RoundProgress:
    """Where a group's rounds stand, after each round.

    Attributes:
        label: the group's workload label.
        group: the group's index among the run's groups (0 first).
        groups: how many groups the run has.
        rounds: rounds done so far.
        elapsed_s: seconds the rounds have taken so far.
        time_s: seconds the group was given.
        widest: the widest relative half-width among its points (None: none yet).
        precision: the half-width asked for.
    """

    label: str
    group: int
    groups: int
    rounds: int
    elapsed_s: float
    time_s: float
    widest: float | None
    precision: float

    def line(self) -> str:
        """``[2/5] count: round 4, ±3.1% (asked ±5%)``: the round in one line, for every front end."""
        reached = "" if self.widest is None else f", ±{self.widest:.1%} (asked ±{self.precision:.0%})"
        return f"[{self.group + 1}/{self.groups}] {self.label}: round {self.rounds}{reached}"

    @property
    def done(self) -> float:
        """The share of the group's time spent, 0 to 1."""
        return min(1.0, self.elapsed_s / self.time_s) if self.time_s > 0 else 1.0


@dataclass(frozen=True, slots=True)
class RunDone:
    """How a run's rounds ended, once every group has: the progress's last state.

    Attributes:
        groups: the groups measured (all of them, unless Ctrl-C cut the run).
        of: how many groups the run has.
        rounds: the rounds of every group, summed (a group that went on counts its rounds once).
        elapsed_s: seconds from the run's start to its end.
        interrupted: whether Ctrl-C cut the run.
    """

    groups: int
    of: int
    rounds: int
    elapsed_s: float
    interrupted: bool = False

    def line(self) -> str:
        """``done: 8 groups, 61 rounds in 48 s``, or ``interrupted: 3 of 8 groups, …``."""
        rounds = count(self.rounds, "round")
        if self.interrupted:
            return f"interrupted: {self.groups} of {self.of} groups, {rounds} in {elapsed(self.elapsed_s)}"
        return f"done: {count(self.groups, 'group')}, {rounds} in {elapsed(self.elapsed_s)}"


class Progress:
    """Callbacks of a run, each a no-op until a front end overrides it."""

    def note(self, line: str) -> None:
        """Something the user should know that is not an error (a Python left out, a point skipped)."""

    def point_started(self, point: Point) -> None:
        """A point's worker is starting (its warm-ups follow)."""

    def sample(self, point: Point, sample: Sample, warmup: bool) -> None:
        """A sample (or a warm-up) of ``point`` has arrived."""

    def round_done(self, where: RoundProgress) -> None:
        """A round of a group has ended."""

    def run_done(self, where: RunDone) -> None:
        """The run's rounds have ended (every group's, or Ctrl-C's cut): the last call of a run."""
