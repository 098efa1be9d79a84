"""The ``ndr`` command's entry point (the console script's, and ``python -m ndr``'s).

What only a process of its own may do, before anything else is imported: pause the cyclic
collector (start-up makes tens of thousands of objects and no garbage, and the collector would
walk them again and again: 6% of a one-bounce run; ``ndr.cli`` sets them aside with
``gc.freeze`` and resumes it once the command line is understood), and defer the standard
modules that other standard modules import for rare cases (``ndr.lazy.defer_stdlib``), and take
the methods ``dataclasses`` writes from a disk cache instead of compiling them (``ndr.codecache``).
Calling
``ndr.cli.main`` from a program of one's own does neither.
"""
from __future__ import annotations

import gc
import sys
from typing import Sequence


def entry(argv: Sequence[str] | None = None) -> int:
    """Run the ``ndr`` command line as its own process; returns the exit code."""
    gc.disable()
    from .lazy import defer_stdlib

    defer_stdlib()  # before ndr.cli's imports: they import dataclasses, which imports inspect
    from .codecache import install

    install()  # before ndr.cli's imports too: they make the dataclasses
    from .cli import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(entry())
