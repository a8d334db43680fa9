"""Shared fixtures: hermetic environment and small hand-built warehouses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


@pytest.fixture(autouse=True)
def _no_viewrank_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's VIEWRANK_* variables."""
    for name in list(os.environ):
        if name.startswith("VIEWRANK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real published data not found at {REALDATA} (it sits beside the repository in CI)")
    return REALDATA
