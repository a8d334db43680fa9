"""Hostile and broken input: every reader answers a clear InputError or a per-row quarantine,
never a crash, and a refused file leaves the warehouse exactly as it was."""

from __future__ import annotations

import io
import subprocess
import sys
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import EVENT_FIELDS, TITLE_FIELDS, film, plays, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewrank import InputError, Warehouse, import_catalog, ingest_file
from viewrank.rollup.daily import rollup
from viewrank.store.integrity import check

GOOD_ROWS = plays("F1", day="2026-11-10", count=6)
HOSTILE_VALUES = ["", " ", "NaN", "nan", "inf", "-inf", "1e308", "-1", "-0", "99999999999999999999",
                  "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(1)", "<script>alert(1)</script>",
                  "'; DROP TABLE titles; --", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01",
                  "2026-02-30T10:00:00Z", "\u202eUS", "ÜS", "us ", "\x00", "null", "None", "true", "[1,2]", "{\"a\":1}"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    warehouse = Warehouse.init(root / "warehouse")
    import_catalog(warehouse, write_csv(root / "titles.csv", TITLE_FIELDS, [film("F1", "Alpha")]))
    ingest_file(warehouse, write_csv(root / "good.csv", EVENT_FIELDS, GOOD_ROWS))
    rollup(warehouse)
    warehouse.close()
    return root / "warehouse"


def snapshot(warehouse: Warehouse) -> tuple:
    return tuple(warehouse.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
                 for table in ("ingested_files", "event_files", "quarantine", "titles", "episodes", "accounts"))


def ingest_and_check(warehouse: Warehouse, path: Path) -> None:
    """The contract: a report whose counts add up, or an InputError that changed nothing."""
    before = snapshot(warehouse)
    try:
        report = ingest_file(warehouse, path)
    except InputError as error:
        assert str(path) in str(error)
        assert snapshot(warehouse) == before
        return
    if report.already_ingested_as is None:
        assert report.rows_read == report.rows_loaded + report.rows_quarantined + report.rows_duplicate
        assert all(isinstance(row, int) and reason for row, reason in report.first_problems)
    rollup(warehouse)
    assert check(warehouse) == []


@pytest.fixture
def warehouse(base: Path, tmp_path: Path):
    import shutil
    shutil.copytree(base, tmp_path / "warehouse")
    with Warehouse(tmp_path / "warehouse") as opened:
        yield opened


def csv_bytes(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    write = buffer.write
    write(",".join(EVENT_FIELDS) + "\n")
    for row in rows:
        write(",".join(str(row.get(field, "")) for field in EVENT_FIELDS) + "\n")
    return buffer.getvalue().encode()


fuzz = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(field=st.sampled_from(EVENT_FIELDS), value=st.sampled_from(HOSTILE_VALUES) | st.text(max_size=40),
       suffix=st.sampled_from(["csv", "jsonl", "parquet"]), serial=st.integers(0, 10**9))
def test_a_hostile_value_in_any_field(warehouse: Warehouse, tmp_path: Path, field: str, value: str,
                                      suffix: str, serial: int) -> None:
    rows = [dict(row, event_id=f"h{serial}-{i}") for i, row in enumerate(GOOD_ROWS[:3])]
    rows[1][field] = value
    path = tmp_path / f"hostile-{serial}.{suffix}"
    if suffix == "csv":
        path.write_bytes(csv_bytes(rows))
    elif suffix == "jsonl":
        path.write_text("\n".join(json.dumps(row) for row in rows))
    else:
        pq.write_table(pa.Table.from_pylist([{k: str(v) for k, v in row.items()} for row in rows]), path)
    ingest_and_check(warehouse, path)


@fuzz
@given(data=st.data(), suffix=st.sampled_from(["csv", "jsonl", "parquet", "tsv"]))
def test_truncated_and_corrupted_files(warehouse: Warehouse, tmp_path: Path, data: st.DataObject, suffix: str) -> None:
    rows = [dict(row, event_id=f"t-{i}") for i, row in enumerate(GOOD_ROWS)]
    if suffix == "parquet":
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), buffer)
        content = buffer.getvalue()
    elif suffix == "jsonl":
        content = "\n".join(json.dumps(row) for row in rows).encode()
    else:
        content = csv_bytes(rows).replace(b",", b"\t") if suffix == "tsv" else csv_bytes(rows)
    cut = data.draw(st.integers(0, len(content)))
    flips = data.draw(st.lists(st.tuples(st.integers(0, max(len(content) - 1, 0)), st.integers(0, 255)), max_size=4))
    damaged = bytearray(content[:cut])
    for position, byte in flips:
        if position < len(damaged):
            damaged[position] = byte
    path = tmp_path / f"damaged-{cut}-{len(flips)}.{suffix}"
    path.write_bytes(bytes(damaged))
    ingest_and_check(warehouse, path)


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty (expected a header row)"),
    (b"\xff\xfe" + "event_id".encode("utf-16-le"), "cannot read the header"),
    (b"a,b,a\n1,2,3\n", "duplicate column names in the header"),
    (b"event_id,account_id,title_id,country,start_time\n", "missing column 'seconds_watched'"),
])
def test_files_refused_whole_name_the_file_and_reason(warehouse: Warehouse, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    before = snapshot(warehouse)
    with pytest.raises(InputError, match=re.escape(message)) as raised:
        ingest_file(warehouse, path)
    assert str(raised.value).startswith(str(path))
    assert snapshot(warehouse) == before


def test_not_parquet_at_all(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        ingest_file(warehouse, path)


@fuzz
@given(value=st.sampled_from(HOSTILE_VALUES), column=st.sampled_from(["kind", "release_date", "runtime_seconds",
                                                                       "season_number", "is_original", "title_id"]))
def test_catalog_rejects_hostile_values_with_row_and_column(warehouse: Warehouse, tmp_path: Path, value: str, column: str) -> None:
    row = film("F9", "Hostile") | {column: value}
    path = write_csv(tmp_path / "titles.csv", TITLE_FIELDS, [film("F8", "Fine"), row])
    before = snapshot(warehouse)
    try:
        import_catalog(warehouse, path)
    except InputError as error:
        assert str(error).startswith(f"{path} row 3 column {column!r}") or str(error).startswith(f"{path} row")
        assert snapshot(warehouse) == before


@pytest.mark.parametrize("title_id", ["AC/DC", "..", "tab\there"])
def test_catalog_refuses_title_ids_that_cannot_name_a_page(warehouse: Warehouse, tmp_path: Path, title_id: str) -> None:
    path = write_csv(tmp_path / "titles.csv", TITLE_FIELDS, [film("F8", "Fine"), film(title_id, "Hostile")])
    before = snapshot(warehouse)
    with pytest.raises(InputError, match=re.escape(f"{path} row 3 column 'title_id'") + ".*cannot contain '/'"):
        import_catalog(warehouse, path)
    assert snapshot(warehouse) == before


def lying_parquet(path: Path, rows: int = 12_345, claimed: int = 10**10) -> Path:
    """A small Parquet file of `rows` good rows whose footer claims `claimed` rows (every
    num_rows and num_values field patched), as a damaged or hostile writer could leave it."""
    def varint(number: int) -> bytes:  # Thrift compact: zigzag, then 7 bits a byte
        zigzag, out = number << 1, bytearray()
        while zigzag > 0x7F:
            out.append(zigzag & 0x7F | 0x80)
            zigzag >>= 7
        return bytes(out + bytes([zigzag]))

    row = plays("F1", day="2026-11-10")[0]
    pq.write_table(pa.table({name: [str(row[name])] * rows for name in EVENT_FIELDS}), path, compression="zstd")
    data = path.read_bytes()
    length = int.from_bytes(data[-8:-4], "little")
    footer = data[-8 - length:-8].replace(varint(rows), varint(claimed))
    path.write_bytes(data[:-8 - length] + footer + len(footer).to_bytes(4, "little") + b"PAR1")
    assert pq.ParquetFile(path).metadata.num_rows == claimed
    return path


def test_parquet_metadata_claiming_huge_row_count_stays_under_1gb(warehouse: Warehouse, tmp_path: Path) -> None:
    path = lying_parquet(tmp_path / "liar.parquet")
    assert path.stat().st_size < 4000
    script = ("import resource, sys\nfrom viewrank import InputError, Warehouse, ingest_file\n"
              "try:\n    ingest_file(Warehouse(sys.argv[1]), sys.argv[2])\nexcept InputError as error:\n    print(error)\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    warehouse.close()
    before_path = warehouse.path
    result = subprocess.run([sys.executable, "-c", script, str(before_path), str(path)],
                            capture_output=True, text=True, check=True, timeout=300)
    message, peak_mb = result.stdout.strip().splitlines()
    assert message == f"{path}: a damaged Parquet file: its metadata claims 10,000,000,000 rows but it holds 12,345"
    assert int(peak_mb) < 1024
    with Warehouse(before_path, read_only=True) as reopened:
        assert reopened.scalar("SELECT count(*) FROM ingested_files WHERE path = ?", [str(path)]) == 0


# -- settings.json (issue 16 findings 11 and 12) ----------------------------------------------

@pytest.mark.parametrize(("content", "message"), [
    ("null", "expected a JSON object of the warehouse's settings"),
    ("[]", "expected a JSON object of the warehouse's settings"),
    ("{}", "expected a JSON object of the warehouse's settings"),
    ("true", "expected a JSON object of the warehouse's settings"),
    ('{"list_size": Infinity}', "Infinity is not a valid setting value"),
    ('{"list_size": NaN}', "NaN is not a valid setting value"),
    ('{"list_size": [1]}', "list_size: expected a whole number, got [1]"),
    ('{"list_size": "x"}', "list_size: expected a whole number, got 'x'"),
    ('{"list_size": true}', "list_size: expected a whole number, got True"),
    ('{"list_size": 2.5}', "list_size: expected a whole number, got 2.5"),
    ('{"list_size": 1e300}', "list_size: expected a whole number from 1 to 2,147,483,647"),
    ('{"watcher_fraction": "Infinity"}', "watcher_fraction: expected a number between 0 and 1, got 'Infinity'"),
    ('{"watcher_fraction": [1]}', "watcher_fraction: expected a number between 0 and 1, got [1]"),
    ('{"watcher_fraction": true}', "watcher_fraction: expected a number between 0 and 1, got True"),
    ("[" * 2000 + "]" * 2000, "not valid settings (JSON nested too deeply)"),
    ('{"list_size": 10', "not valid JSON"),
    (b"\xff\xfe{}", "not valid JSON"),
])
def test_bad_settings_file_is_one_error_line(tmp_path: Path, content: str | bytes, message: str) -> None:
    from click.testing import CliRunner

    from viewrank.cli import cli
    Warehouse.init(tmp_path / "w").close()
    settings_file = tmp_path / "w" / "settings.json"
    settings_file.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = CliRunner().invoke(cli, ["check", "--warehouse", str(tmp_path / "w")])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {settings_file}: ") and message in lines[0], lines


def test_good_settings_values_still_load(tmp_path: Path) -> None:
    from viewrank import Methodology
    assert Methodology.from_values({"list_size": "20", "watcher_fraction": "0.5"}).list_size == 20
    assert Methodology.from_values({"list_size": 20.0}).list_size == 20


# -- JSON nested 2,000 deep, wherever JSON is read from input (issue 16, finding 11) ------------

DEEP_JSON = {"arrays": "[" * 2000 + "]" * 2000, "objects": '{"a":' * 1500 + "1" + "}" * 1500}


def one_error_line(*args: object) -> str:
    """Run the command line; it must fail with exit 1 and one `Error:` line, which is returned."""
    from click.testing import CliRunner

    from viewrank.cli import cli
    result = CliRunner().invoke(cli, [str(arg) for arg in args])
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit)), \
        (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    return lines[0]


@pytest.mark.parametrize("nesting", DEEP_JSON)
def test_json_nested_2000_deep_in_a_top10_cell_is_one_error_line(tmp_path: Path, nesting: str) -> None:
    from import_support import GLOBAL_SLICE, fingerprint
    rows = GLOBAL_SLICE.read_text(encoding="utf-8").splitlines()
    rows = [rows[0] + "\tis_staggered_launch\tepisode_launch_details"] + [
        row + ("\tfalse\t" + DEEP_JSON[nesting] if number == 3 else "\tfalse\t[]") for number, row in enumerate(rows[1:], 2)]
    path = tmp_path / "all-weeks-global.tsv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    Warehouse.init(tmp_path / "w").close()
    before = fingerprint(tmp_path / "w")
    line = one_error_line("import", "netflix-top10", path, "--warehouse", tmp_path / "w")
    assert line.startswith(f"Error: {path}") and " row 3" in line, line
    assert "episode_launch_details is not valid JSON (nested too deeply)" in line, line
    assert fingerprint(tmp_path / "w") == before


@pytest.mark.parametrize("nesting", DEEP_JSON)
def test_json_nested_2000_deep_in_a_catalog_line_is_one_error_line(tmp_path: Path, nesting: str) -> None:
    from import_support import fingerprint
    path = tmp_path / "titles.jsonl"
    path.write_text(json.dumps(film("F1", "Alpha")) + "\n" + DEEP_JSON[nesting] + "\n", encoding="utf-8")
    Warehouse.init(tmp_path / "w").close()
    before = fingerprint(tmp_path / "w")
    line = one_error_line("catalog", path, "--warehouse", tmp_path / "w")
    assert line.startswith(f"Error: {path} row 2") and "not valid JSON (nested too deeply)" in line, line
    assert fingerprint(tmp_path / "w") == before


@pytest.mark.parametrize("nesting", DEEP_JSON)
def test_json_nested_2000_deep_in_an_event_line_is_quarantined(warehouse: Warehouse, tmp_path: Path,
                                                              nesting: str) -> None:
    """A bad line of a log is quarantined with its reason (the rest of the file loads), its
    stored text cut to the quarantine's limit; a value nested deeply inside a good line is text."""
    rows = [dict(row, event_id=f"deep-{i}") for i, row in enumerate(GOOD_ROWS[:3])]
    lines = [json.dumps(rows[0]), DEEP_JSON[nesting], json.dumps(rows[1]),
             json.dumps(rows[2])[:-1] + ', "extra": ' + "[" * 500 + "]" * 500 + "}"]
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (4, 3, 1)
    assert report.first_problems == [(2, "not valid JSON (nested too deeply)")]
    raw = warehouse.scalar("SELECT raw FROM quarantine WHERE path = ?", [str(path)])
    assert raw.endswith("… (cut at 4,096 characters)") if len(DEEP_JSON[nesting]) > 4096 else raw == DEEP_JSON[nesting]


@pytest.mark.parametrize("nesting", DEEP_JSON)
def test_json_nested_2000_deep_in_a_settings_value_is_one_error_line(tmp_path: Path, nesting: str) -> None:
    Warehouse.init(tmp_path / "w").close()
    settings_file = tmp_path / "w" / "settings.json"
    settings_file.write_text(json.dumps({"specialty_lists": DEEP_JSON[nesting]}))
    line = one_error_line("check", "--warehouse", tmp_path / "w")
    assert line.startswith(f"Error: {settings_file}: specialty_lists") and "nested too deeply" in line, line
