"""The web site and JSON API over a warehouse (`viewrank serve`) and its static twin (`viewrank publish`)."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
