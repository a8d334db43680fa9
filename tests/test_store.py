"""The warehouse's front door: nestable transactions, Arrow tables exposed to SQL, quoting,
the error tree and numbered schema migrations."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from viewrank import Methodology, Warehouse, compute_charts, errors, import_catalog, ingest_file
from viewrank.rollup.daily import rollup
from viewrank.store.integrity import check
from viewrank.store.migrations import migrations, schema_version
from viewrank.store.quoting import quote_identifier, sql_literal
from viewrank.store.rollup_parts import KINDS, view_sql
from viewrank.store.warehouse import _country_rows

from builders import EVENT_FIELDS, TITLE_FIELDS, film, plays, write_csv

FIXTURES = Path(__file__).parent / "fixtures"
SRC = Path(__file__).resolve().parents[1] / "src" / "viewrank"


def test_atomic_nested_blocks_commit_together(tmp_path: Path) -> None:
    warehouse = Warehouse.init(tmp_path / "w")
    warehouse.execute("CREATE TABLE t (x INTEGER)")
    with warehouse.atomic():
        warehouse.execute("INSERT INTO t VALUES (1)")
        with warehouse.atomic():
            warehouse.execute("INSERT INTO t VALUES (2)")
            assert warehouse.in_transaction
        warehouse.execute("INSERT INTO t VALUES (3)")
    assert not warehouse.in_transaction
    assert warehouse.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,), (3,)]


def test_atomic_inner_failure_rolls_back_the_whole_even_when_caught(tmp_path: Path) -> None:
    warehouse = Warehouse.init(tmp_path / "w")
    warehouse.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(errors.WarehouseError, match="an inner transaction failed"):
        with warehouse.atomic():
            warehouse.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(ValueError):
                with warehouse.atomic():
                    warehouse.execute("INSERT INTO t VALUES (2)")
                    raise ValueError("inner")
    assert warehouse.execute("SELECT count(*) FROM t").fetchall() == [(0,)]
    with warehouse.atomic():  # the warehouse is usable afterwards
        warehouse.execute("INSERT INTO t VALUES (4)")
    assert warehouse.execute("SELECT x FROM t").fetchall() == [(4,)]


def test_registered_exposes_an_arrow_table_to_the_tracer_and_removes_it(tmp_path: Path) -> None:
    seen: list[str] = []
    warehouse = Warehouse.init(tmp_path / "w", tracer=lambda sql, _: seen.append(sql))
    with warehouse.registered("numbers", pa.table({"n": [1, 2, 3]})) as name:
        assert warehouse.scalar(f"SELECT sum(n) FROM {name}") == 6
    assert "register an Arrow table of 3 rows as numbers" in seen
    with pytest.raises(duckdb.CatalogException):
        warehouse.execute("SELECT * FROM numbers")


def test_arrow_tables_reach_sql_only_through_registered() -> None:
    """warehouse.con.register behind the tracer's back is how five places did it before."""
    offenders = [f"{path.relative_to(SRC)}:{number}" for path in SRC.rglob("*.py")
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if re.search(r"\.register\(", line) and path.name != "warehouse.py"]
    assert offenders == []


@pytest.mark.parametrize(("text", "literal", "identifier"), [
    ("plain", "'plain'", '"plain"'),
    ("O'Brien", "'O''Brien'", '"O\'Brien"'),
    ('say "hi"', "'say \"hi\"'", '"say ""hi"""'),
])
def test_quoting_round_trips_through_duckdb(text: str, literal: str, identifier: str) -> None:
    assert (sql_literal(text), quote_identifier(text)) == (literal, identifier)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE {quote_identifier(text)} AS SELECT {sql_literal(text)} AS v")
    assert con.execute(f"SELECT v FROM {quote_identifier(text)}").fetchall() == [(text,)]


def test_errors_carry_their_http_status_and_exit_code() -> None:
    expected = {errors.ViewrankError: 500, errors.InvalidInput: 400, errors.BadRequest: 400,
                errors.SettingsError: 400, errors.InputError: 400, errors.StrictModeRejection: 400,
                errors.NotFound: 404, errors.CatalogError: 409, errors.WarehouseError: 503,
                errors.WarehouseBusy: 503, errors.StorageError: 503}
    assert {cls: cls.status for cls in expected} == expected
    assert {cls.exit_code for cls in expected} == {1}
    # The tree drawn in the module's docstring names every class with its status.
    drawn = dict(re.findall(r"(\w+)\s+(\d{3})\s", errors.__doc__ or ""))
    assert {name: int(status) for name, status in drawn.items()} == {cls.__name__: s for cls, s in expected.items()}


def test_invalid_input_is_not_reported_as_not_found(tmp_path: Path) -> None:
    from viewrank.reports.popular import half_year, most_popular
    warehouse = Warehouse.init(tmp_path / "w")
    with pytest.raises(errors.InvalidInput, match="is not a half year"):
        half_year("2026H3")
    with pytest.raises(errors.InvalidInput, match="unknown most-popular rule"):
        most_popular(warehouse, rule="nope")


def test_init_on_a_path_with_a_comma_leaves_nothing_made(tmp_path: Path) -> None:
    with pytest.raises(errors.WarehouseError, match="cannot contain a comma"):
        Warehouse.init(tmp_path / "a,b" / "warehouse")
    assert list(tmp_path.iterdir()) == []


# -- migrations --------------------------------------------------------------------------

def release_5246d10_warehouse(root: Path) -> Path:
    """A warehouse as the first release (commit 5246d10) made it: its schema file verbatim,
    the rows views it created first, its countries, and no schema_version table."""
    root.mkdir()
    (root / "events").mkdir()
    (root / "settings.json").write_text(Methodology.from_values(None).to_json() + "\n")
    con = duckdb.connect(str(root / "viewrank.duckdb"))
    for kind in KINDS:
        con.execute(view_sql(kind, []))
    con.execute((FIXTURES / "schema-5246d10.sql").read_text())
    codes, names, flags = zip(*_country_rows())
    con.execute("INSERT INTO countries SELECT unnest(?), unnest(?), unnest(?), unnest(?)",
                [codes, names, flags, list(range(len(codes)))])
    con.execute("INSERT INTO titles (title_id, show_title, kind) VALUES ('old', 'Old Film', 'film')")
    con.close()
    return root


def schema_of(warehouse: Warehouse) -> list[Any]:
    return warehouse.execute("""SELECT table_name, column_name, data_type FROM information_schema.columns
                                WHERE table_schema = 'main' ORDER BY ALL""").fetchall()


def test_migrate_a_warehouse_made_by_the_previous_release(tmp_path: Path) -> None:
    old = release_5246d10_warehouse(tmp_path / "old")
    warehouse = Warehouse(old)
    assert schema_version(warehouse.con) == len(migrations())
    assert schema_of(warehouse) == schema_of(Warehouse.init(tmp_path / "fresh"))
    assert warehouse.execute("SELECT title_id, title_key FROM titles").fetchall() == [("old", 1)]
    # The migrated warehouse runs the whole pipeline, and its sequences continue where they were.
    import_catalog(warehouse, write_csv(tmp_path / "titles.csv", TITLE_FIELDS, [film("A", "Alpha")]))
    ingest_file(warehouse, write_csv(tmp_path / "events.csv", EVENT_FIELDS, plays("A", day="2026-11-10", count=3)))
    rollup(warehouse)
    compute_charts(warehouse, weeks=[dt.date(2026, 11, 15)])
    assert warehouse.execute("SELECT title_key FROM titles WHERE title_id = 'A'").fetchall() == [(2,)]
    assert warehouse.execute("SELECT sum(sessions) FROM weekly_rollup").fetchall() == [(3,)]
    assert check(warehouse, deep=True) == []
    warehouse.close()
    assert Warehouse(old).execute("SELECT version, name FROM schema_version ORDER BY version").fetchall() == [
        (m.version, m.name) for m in migrations()]


def test_reading_commands_never_write_an_older_warehouse_and_migrate_upgrades_it(tmp_path: Path) -> None:
    """Read-only commands refuse a warehouse of an older schema in one line naming the command
    that upgrades it, leaving its file byte for byte as it was; the server and publish read it
    from a migrated snapshot; `viewrank migrate` (or any writer) upgrades it."""
    import hashlib
    import warnings

    from click.testing import CliRunner
    from starlette.exceptions import StarletteDeprecationWarning

    from viewrank.cli import cli
    from viewrank.web import create_app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    old = release_5246d10_warehouse(tmp_path / "old")
    database = old / "viewrank.duckdb"
    digest = lambda: hashlib.sha256(database.read_bytes()).hexdigest()  # noqa: E731
    before = digest()
    invoke = lambda *args: CliRunner().invoke(cli, [*args, "--warehouse", str(old)])  # noqa: E731
    for args in (["titles"], ["facts", "Old Film"], ["check"], ["quarantine"], ["export", "--out", str(tmp_path / "x")]):
        result = invoke(*args)
        lines = result.output.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1, (args, result.output)
        assert lines[0] == (f"Error: {old} was made by an older viewrank (schema version 0, this one reads "
                            f"{len(migrations())}); run 'viewrank migrate --warehouse {old}' to upgrade it (any "
                            "command that writes, such as ingest, upgrades it too)"), args
    assert invoke("publish", "--site", str(tmp_path / "site")).exit_code == 0   # from a migrated snapshot
    app = create_app(old, cache_entries=0)
    response = TestClient(app).get("/api/titles")
    assert response.status_code == 200 and "Old Film" in response.text
    app.state.reader.close()
    assert digest() == before and not database.with_name("viewrank.duckdb.wal").exists()
    migrated = invoke("migrate")
    assert migrated.output == f"Migrated {old} from schema version 0 to {len(migrations())}\n", migrated.output
    assert "Old Film" in invoke("titles").output
    assert invoke("migrate", "--json").output.replace(" ", "").replace("\n", "") == \
        f'{{"from":{len(migrations())},"to":{len(migrations())},"applied":[]}}'


def test_migrations_are_numbered_and_the_first_is_the_release_schema() -> None:
    found = migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "initial"
    statements = lambda sql: [line for line in sql.splitlines() if line and not line.startswith("--")]  # noqa: E731
    assert statements(found[0].sql) == statements((FIXTURES / "schema-5246d10.sql").read_text())


def test_a_warehouse_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    Warehouse.init(tmp_path / "w").close()
    con = duckdb.connect(str(tmp_path / "w" / "viewrank.duckdb"))
    con.execute("INSERT INTO schema_version (version, name) VALUES (999, 'future')")
    con.close()
    for read_only in (False, True):
        with pytest.raises(errors.WarehouseError, match="schema version 999, newer than this viewrank knows"):
            Warehouse(tmp_path / "w", read_only=read_only)

