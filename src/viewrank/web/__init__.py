"""The web site and JSON API over a warehouse (`viewrank serve`) and its static twin (`viewrank publish`).

The app is imported on first use, so modules that need only the site's queries (the shared
JSON shapes of the command line) do not load the web stack.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app
        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
