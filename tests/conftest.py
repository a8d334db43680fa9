"""Shared fixtures: hermetic environment and small hand-built warehouses."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Iterator

import pytest
from web_support import build_warehouse

from viewrank.web import create_app

with warnings.catch_warnings():
    # Starlette 1.10 asks for the httpx2 package for its TestClient; httpx (pinned) still works.
    from starlette.exceptions import StarletteDeprecationWarning
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

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


@pytest.fixture(scope="module")
def computed_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small warehouse that web_support.build_warehouse computes from synthetic logs, one a test module."""
    return build_warehouse(tmp_path_factory.mktemp("computed") / "warehouse")


@pytest.fixture(scope="module")
def computed(computed_path: Path) -> Iterator[TestClient]:
    """The web app over `computed_path`, in-process."""
    with TestClient(create_app(computed_path)) as client:
        yield client
