"""Type aliases shared across packages."""

from __future__ import annotations

import contextlib
from typing import Callable, ContextManager

# What library functions take to report progress: (label, steps) -> a context manager that
# yields the function advancing the bar. The CLI passes `cli.output.progress`; callers without
# a terminal pass `no_progress`.
ProgressFactory = Callable[[str, int], ContextManager[Callable[[int], None]]]


def no_progress(label: str, length: int) -> ContextManager[Callable[[int], None]]:
    """A progress factory that shows nothing."""
    return contextlib.nullcontext(lambda steps: None)
