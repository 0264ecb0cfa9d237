"""``python -m threadlab`` and the ``threadlab`` command: one entry, as ``python -m pytest`` is ``pytest``.

It holds Ctrl-C, SIGTERM and SIGHUP while the command line's modules are
imported (click, rich, a few hundred milliseconds): a signal then ends the
command quietly with the code of an interrupt (130), before anything has
started that would need ending or saving. ``cli.main`` takes them over from
there (SIGINT raises ``KeyboardInterrupt``, which ends a run as documented).
"""

import os
import signal
import sys

EXIT_INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C (128 + SIGINT)


def _quiet(signum: int, frame: object) -> None:
    os._exit(EXIT_INTERRUPTED)


def main() -> None:
    """Entry point of the ``threadlab`` command and of ``python -m threadlab``."""
    held = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    for number in held:
        signal.signal(number, _quiet)
    from threadlab.cli import main as cli_main

    signal.signal(signal.SIGINT, signal.default_int_handler)
    cli_main(sys.argv[1:])


if __name__ == "__main__":
    main()
