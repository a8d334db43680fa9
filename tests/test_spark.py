"""The Spark engine (local mode) gives rollups identical to the default engines."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from builders import EVENT_FIELDS, build_warehouse, film, plays, season, write_csv

from viewrank import compute_charts, ingest_file
from viewrank.rollup.daily import rollup

pytestmark = pytest.mark.spark
pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17 on the PATH", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    from viewrank.rollup.spark import spark_session
    session = spark_session("local[2]", app_name="viewrank-tests")
    yield session
    session.stop()


def test_spark_rollup_equals_the_default_engine(tmp_path: Path, spark) -> None:
    from viewrank.rollup.spark import rollup_with_spark
    titles = [film("A", "Alpha"), film("B", "Beta", language="es"), season("S", "Gamma", 1)]
    episodes = [{"episode_id": "S-1", "title_id": "S", "episode_number": 1, "runtime_seconds": 1800}]
    events = []
    for day in ("2026-11-09", "2026-11-10", "2026-11-12", "2026-11-15"):
        events += plays("A", day=day, count=7, seconds=5000) + plays("B", day=day, count=3, country="MX")
        events += plays("S-1", day=day, count=4, seconds=1700, episode=True, country="GB")
    warehouse = build_warehouse(tmp_path, titles=titles, episodes=episodes, events=events, weeks=["2026-11-15"])
    # A second file for one day: that day has two parts, and a repeated account.
    extra = [plays("A", day="2026-11-10", prefix="late")[0] | {"account_id": "A-2026-11-10-US-acct0"}]
    ingest_file(warehouse, write_csv(tmp_path / "extra.csv", EVENT_FIELDS, extra))
    rollup(warehouse)
    compute_charts(warehouse)
    default = warehouse.execute("SELECT * FROM daily_rollup ORDER BY ALL").fetchall()
    report = rollup_with_spark(warehouse, full=True, session=spark)
    assert report.engine == "spark" and len(report.days) == 4
    assert warehouse.execute("SELECT * FROM daily_rollup ORDER BY ALL").fetchall() == default
    assert warehouse.scalar("SELECT accounts FROM daily_rollup WHERE day = '2026-11-10' AND title_key = 1") == 7
    assert set(warehouse.execute("SELECT engine FROM rollup_days").fetchall()) == {("spark",)}
    assert compute_charts(warehouse).new_editions == []  # the same rollups chart to the same editions


# The raw-to-rollup path on Spark (rollup/spark_raw.py) against local ingest and rollup.

BENCH = Path(__file__).resolve().parent.parent / "bench"
WEEK = dt.date(2026, 11, 15)  # the delivery's chart week
FIRST_HOURS = 30  # a day and a quarter of the hourly delivery: re-sent events cross into the second day


def _delivery_module():
    import importlib.util
    import sys
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("delivery", BENCH / "delivery.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["delivery"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def raw_delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's realistic hourly delivery (string ids, re-sent events, bad rows), cut to its
    first hours, plus a late hourly file and a later CSV and JSON Lines delivery with every kind of
    bad row and events re-sent across files and days."""
    import pyarrow.parquet as pq
    root = tmp_path_factory.mktemp("delivery")
    delivery = _delivery_module()
    info = delivery.generate(delivery.Spec(5_000, "hourly", late=True, titles=200), root / "generated")
    for name in ("titles.csv", "episodes.csv"):
        shutil.copy(root / "generated" / name, root / name)
    for relative in [*info["files"][:FIRST_HOURS], info["late_file"]]:
        target = root / "logs" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / "generated" / relative, target)
    first = pq.read_table(root / "generated" / info["files"][0]).to_pylist()
    good = next(row for row in first if row["title_id"] and row["seconds_watched"] >= 0)
    episode = next(row for row in first if row["episode_id"])
    resent = {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in good.items()}
    fields = ["event_id", "account_id", "title_id", "episode_id", "country", "start_time", "seconds_watched"]
    fresh = resent | {"event_id": "fresh-1", "start_time": "2026-11-10T23:59:59Z", "episode_id": ""}
    rows = [
        resent,                                                   # re-sent a day later: a duplicate
        fresh, fresh | {"seconds_watched": 1},                    # the same id twice in one file: the first wins
        fresh | {"event_id": "bad-country", "country": "XX"},
        fresh | {"event_id": "bad-seconds", "seconds_watched": 999_999},
        fresh | {"event_id": "bad-negative", "seconds_watched": -5},
        fresh | {"event_id": "bad-future", "start_time": "2031-01-01T00:00:00Z"},
        fresh | {"event_id": "bad-time", "start_time": "yesterday"},
        fresh | {"event_id": "bad-title", "title_id": "no-such-title"},
        fresh | {"event_id": "no-account", "account_id": ""},
        fresh | {"event_id": "by-episode", "title_id": "", "episode_id": episode["episode_id"]},
    ]
    (root / "logs" / "later").mkdir()
    write_csv(root / "logs" / "later" / "a-resent.csv", fields, rows)
    with open(root / "logs" / "later" / "a-resent.csv", "a") as handle:
        handle.write('"broken,quote,US\nshort,row\n')
    (root / "logs" / "later" / "b-more.jsonl").write_text(
        '{"event_id": "json-1", "account_id": "a1", "title_id": "%s", "country": "br", '
        '"start_time": "2026-11-10T08:00:00+00:00", "seconds_watched": 120.4}\n'
        'not json\n[1, 2]\n'
        '{"event_id": "%s", "account_id": "a2", "title_id": "%s", "country": "BR", '
        '"start_time": "%s", "seconds_watched": 60}\n'
        '{"event_id": "%s", "account_id": "a3", "title_id": "%s", "country": "BR", '
        '"start_time": "2026-11-10T09:00:00Z", "seconds_watched": 60}\n'
        % (good["title_id"], good["event_id"], good["title_id"], resent["start_time"],
           good["event_id"], good["title_id"]))  # the last: an id stored a day earlier, sent again for another day
    shutil.rmtree(root / "generated")
    return root


def _fresh_warehouse(root: Path, delivery: Path):
    from viewrank.catalog import import_catalog
    from viewrank.store.warehouse import Warehouse
    warehouse = Warehouse.init(root)
    for name in ("titles.csv", "episodes.csv"):
        import_catalog(warehouse, delivery / name)
    return warehouse


COMPARED_SQL = {
    "daily rollups": "SELECT * FROM daily_rollup ORDER BY ALL",
    "week totals": "SELECT * FROM weekly_rollup ORDER BY ALL",
    "quarantine": "SELECT regexp_extract(path, 'logs/.*$'), row_number, reason, raw FROM quarantine ORDER BY ALL",
    "manifest": "SELECT regexp_extract(path, 'logs/.*$'), sha256, size_bytes, format, rows_read, rows_loaded, "
                "rows_quarantined, rows_duplicate FROM ingested_files ORDER BY ALL",
    "charts": "SELECT week, scope, country, category, rank, title_key, hours_viewed, views, cumulative_weeks "
              "FROM current_entries ORDER BY ALL",
}


def test_spark_raw_to_rollup_equals_local_ingest_and_rollup(tmp_path: Path, spark, raw_delivery: Path) -> None:
    from click.testing import CliRunner

    from viewrank.cli.main import cli
    from viewrank.rollup.spark_raw import ingest_and_rollup_with_spark
    from viewrank.store.integrity import check

    logs = raw_delivery / "logs"
    files = sorted((str(path) for path in logs.rglob("*") if path.is_file()))
    local = _fresh_warehouse(tmp_path / "local", raw_delivery)
    for path in files:
        ingest_file(local, path)
    rollup(local)
    compute_charts(local, weeks=[WEEK])

    on_spark = _fresh_warehouse(tmp_path / "spark", raw_delivery)
    report = ingest_and_rollup_with_spark(on_spark, [str(logs / "events"), (logs / "late").as_uri(), str(logs / "later")],
                                          session=spark)
    compute_charts(on_spark, weeks=[WEEK])
    assert len(report.files) == FIRST_HOURS + 3 and report.engine == "spark-raw"
    for name, sql in COMPARED_SQL.items():
        assert on_spark.execute(sql).fetchall() == local.execute(sql).fetchall(), name
    assert on_spark.scalar("SELECT count(*) FROM current_entries") > 0
    reasons = {reason.split(" ")[0] for (reason,) in on_spark.execute("SELECT reason FROM quarantine").fetchall()}
    assert {"unknown", "seconds_watched", "negative", "start_time", "missing", "broken", "expected",
            "not"} <= reasons
    later = {Path(item.path).name: item for item in report.files}
    assert (later["a-resent.csv"].rows_duplicate, later["a-resent.csv"].rows_loaded) == (2, 2)
    assert (later["b-more.jsonl"].rows_duplicate, later["b-more.jsonl"].rows_quarantined) == (2, 2)
    assert on_spark.scalar("SELECT seconds FROM daily_rollup WHERE day = '2026-11-10' AND title_key = "
                           "(SELECT title_key FROM titles WHERE title_id = 'no-such-title')") is None
    assert check(on_spark) == [] and check(on_spark, deep=True) == []

    # Again through the command line: the run replaces its own manifest and rollups, so nothing changes.
    before = {name: on_spark.execute(sql).fetchall() for name, sql in COMPARED_SQL.items()}
    on_spark.close()
    result = CliRunner().invoke(cli, ["spark-ingest", "--warehouse", str(tmp_path / "spark"), "--json",
                                      str(logs / "events"), str(logs / "late"), str(logs / "later")])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["engine"] == "spark-raw" and len(answer["days"]) == len(report.days)
    assert sum(item["rows_duplicate"] for item in answer["files"]) == sum(item.rows_duplicate for item in report.files)

    # A day rolled up on Spark takes no locally ingested events: refused, and nothing stored.
    from viewrank.errors import WarehouseError
    from viewrank.store.warehouse import Warehouse
    with Warehouse(tmp_path / "spark") as again:
        before = {name: again.execute(sql).fetchall() for name, sql in COMPARED_SQL.items()}
        late = write_csv(tmp_path / "late-local.csv", EVENT_FIELDS, [{
            "event_id": "local-1", "account_id": "a1", "title_id": again.scalar("SELECT min(title_id) FROM titles"),
            "episode_id": "",
            "country": "US", "start_time": "2026-11-10T12:00:00Z", "seconds_watched": "60"}])
        with pytest.raises(WarehouseError, match="2026-11-10 was rolled up on Spark from its raw files"):
            ingest_file(again, late)
        assert {name: again.execute(sql).fetchall() for name, sql in COMPARED_SQL.items()} == before
        assert again.scalar("SELECT count(*) FROM ingested_files WHERE path = ?", [str(late)]) == 0
        # rollup --full recomputes the days of local events only: Spark's days have none and stay.
        rollup(again, full=True)
        assert {name: again.execute(sql).fetchall() for name, sql in COMPARED_SQL.items()} == before
    from viewrank.store.warehouse import Warehouse
    with Warehouse(tmp_path / "spark") as again:
        assert {name: again.execute(sql).fetchall() for name, sql in COMPARED_SQL.items()} == before
        assert check(again) == []


def test_spark_raw_refuses_unreadable_files_and_days_ingested_locally(tmp_path: Path, spark,
                                                                      raw_delivery: Path) -> None:
    from viewrank.errors import InputError, WarehouseError
    from viewrank.rollup.spark_raw import ingest_and_rollup_with_spark

    warehouse = _fresh_warehouse(tmp_path / "w", raw_delivery)
    (tmp_path / "in").mkdir()
    broken = write_csv(tmp_path / "in" / "broken.csv", ["event_id", "account_id", "title_id", "country"], [
        {"event_id": "e", "account_id": "a", "title_id": "t", "country": "US"}])
    with pytest.raises(InputError, match=r"broken\.csv: missing column 'start_time'"):
        ingest_and_rollup_with_spark(warehouse, [str(broken.parent)], session=spark)
    later = raw_delivery / "logs" / "later" / "a-resent.csv"
    ingest_file(warehouse, later)
    copy = tmp_path / "in2" / "copy.csv"
    copy.parent.mkdir()
    copy.write_text(later.read_text().replace("fresh-1", "fresh-2"))
    with pytest.raises(WarehouseError, match="2026-11-09 already has events ingested locally"):
        ingest_and_rollup_with_spark(warehouse, [str(copy)], session=spark)
    assert warehouse.scalar("SELECT count(*) FROM spark_batches") == 0
    assert warehouse.scalar("SELECT count(*) FROM ingested_files") == 1
