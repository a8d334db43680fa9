"""The one atomic file writer: a file is written beside its target under a temporary name and
renamed over it, so a reader (or a crash) never sees half a file."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator


@contextmanager
def replacing(target: Path, mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside `target`; rename it over `target` when the block ends, or
    remove it if the block fails. The temporary name carries the process id, so two writers
    never share one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, mode, **open_args) as handle:
            yield handle
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomically(target: Path, body: bytes | str) -> None:
    """Write the whole of `body` to `target` atomically (text as UTF-8)."""
    with replacing(target, "wb") as handle:
        handle.write(body.encode("utf-8") if isinstance(body, str) else body)
