"""The `viewrank` command line: one click group, the options every command shares, the text
renderers, and thin commands by area (pipeline, reports, imports, web)."""

from __future__ import annotations

from .main import cli

__all__ = ["cli"]
