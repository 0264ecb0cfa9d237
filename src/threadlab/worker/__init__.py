"""The worker side of threadlab: runs one point and reports its measurement.

The orchestrator starts ``python -m threadlab.worker`` for every point, in the
interpreter that point targets, writes the point as JSON on its stdin and
reads the measurement back as JSON lines on its stdout (see ``_protocol``).

Everything under this package imports only the standard library and keeps to
Python 3.9 syntax, so the worker runs in any CPython 3.9+ — including a
free-threaded build where numpy or psutil are not installed — with nothing but
threadlab's source directory on its path.
"""
