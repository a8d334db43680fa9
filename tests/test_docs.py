"""The README keeps up with the code: every command and every setting is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewrank.cli.main import cli
from viewrank.settings import SETTINGS

README = (Path(__file__).parents[1] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_in_the_readme_and_has_help(name: str) -> None:
    assert f"viewrank {name}" in README
    assert (cli.commands[name].help or "").strip()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda setting: setting.name)
def test_every_setting_is_in_the_readme_with_its_default(setting) -> None:  # type: ignore[no-untyped-def]
    assert f"| `{setting.name}` | {setting.default} |" in README


def test_the_readme_starts_with_the_two_commands() -> None:
    block = README.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block == ["python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/viewrank demo --warehouse demo-warehouse",
                     "bash scripts/test"]
