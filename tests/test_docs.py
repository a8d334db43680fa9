"""The README keeps up with the code: every command and every setting is documented."""

from __future__ import annotations

import inspect
from pathlib import Path

import click
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


ROOT = Path(__file__).parents[1]
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text()
PACKAGE = ROOT / "src" / "viewrank"


def leaf_commands(group: click.Group, prefix: str = "viewrank") -> dict[str, click.Command]:
    """Every runnable command by its full name, sub-commands of groups included."""
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= leaf_commands(command, f"{prefix} {name}")
        else:
            found[f"{prefix} {name}"] = command
    return found


@pytest.mark.parametrize("name", sorted(leaf_commands(cli)))
def test_every_command_and_sub_command_is_in_the_readme_with_an_example(name: str) -> None:
    assert name in README
    help_text = inspect.cleandoc(leaf_commands(cli)[name].help or "")
    assert "\nExample:\n" in help_text and name in help_text.split("\nExample:\n")[-1], name


@pytest.mark.parametrize("part", sorted(
    [f"{path.name}/" for path in PACKAGE.iterdir() if (path / "__init__.py").exists()]
    + [path.name for path in PACKAGE.glob("*.py") if path.name not in ("__init__.py", "__main__.py")]))
def test_every_package_and_module_is_described_in_the_architecture(part: str) -> None:
    assert f"| `{part}` |" in ARCHITECTURE


def test_the_readme_links_the_architecture() -> None:
    assert "(ARCHITECTURE.md)" in README
