"""Netflix's published history in every layout and any order: each publication imports and
re-exports byte for byte, the newest publication is current whatever the import order,
older ones stay as earlier revisions, and restated weeks say what changed."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from import_support import TOP10, fingerprint, new_warehouse, run, run_json

from viewrank import Warehouse

PUBLICATIONS = TOP10 / "publications"
P2021 = PUBLICATIONS / "all-weeks-global_published-2021-11-17_slice.tsv"    # 7 columns
P2023 = PUBLICATIONS / "all-weeks-global_published-2023-07-26_slice.tsv"    # 11, quoted JSON cells
P2024 = PUBLICATIONS / "all-weeks-global_published-2024-11-20_slice.tsv"    # 12, runtime_override_flag
CURRENT = PUBLICATIONS / "all-weeks-global_slice_2026.tsv"                  # 9, dated by its latest week
ALL = [P2021, P2023, P2024, CURRENT]

CONTENT_SQL = """
SELECT week, category, rank, t.show_title, t.season_title, hours_viewed, runtime_hours, views, cumulative_weeks
FROM current_entries c JOIN titles t USING (title_key) ORDER BY week, category, rank
"""


def import_files(warehouse_path: Path, *files: Path, published: str | None = None) -> list[dict]:
    extra = ["--published", published] if published else []
    return run_json("import", "netflix-top10", *files, *extra, "--warehouse", warehouse_path)


def content(warehouse_path: Path) -> list[tuple]:
    with Warehouse(warehouse_path, read_only=True) as warehouse:
        return warehouse.execute(CONTENT_SQL).fetchall()


def test_every_published_layout_imports_and_reexports_byte_for_byte(tmp_path: Path) -> None:
    warehouse_path = new_warehouse(tmp_path)
    reports = import_files(warehouse_path, *ALL)
    assert [len(report["layout"]) for report in reports] == [7, 11, 12, 9]
    assert [report["published"] for report in reports] == ["2021-11-17", "2023-07-26", "2024-11-20", "2026-07-19"]
    assert [report["published_from"] for report in reports] == ["file name"] * 3 + ["latest week"]
    with Warehouse(warehouse_path, read_only=True) as warehouse:
        # The 2023 file's JSON cell is quoted CSV-style; it is stored as the JSON it holds.
        details = warehouse.scalar(
            """SELECT c.episode_launch_details FROM chart_entries c JOIN editions e USING (edition_id)
               JOIN titles t USING (title_key) WHERE e.week = '2023-07-23' AND e.published = '2023-07-26'
               AND t.show_title = 'Suits'""")
        assert details.startswith('[{"episodesLaunched":12,"countryList":["BL","BM",')
        assert details.endswith('{"episodesLaunched":14,"countryList":["LU","CH"]}]')
        flag = warehouse.scalar(
            """SELECT c.runtime_override_flag FROM chart_entries c JOIN editions e USING (edition_id)
               JOIN titles t USING (title_key) WHERE e.week = '2024-11-17' AND e.published = '2024-11-20'
               AND t.show_title = 'Hot Frosty'""")
        assert flag == "[{is_staggered_launch=0, is_live_title=0}]"
    results = run_json("import", "reexport", "--out", tmp_path / "out", "--warehouse", warehouse_path)
    assert [result["identical"] for result in results] == [True] * 4
    for original in ALL:
        assert (tmp_path / "out" / original.name).read_bytes() == original.read_bytes()


def test_an_unknown_column_is_refused_by_name_and_nothing_is_written(tmp_path: Path) -> None:
    warehouse_path = new_warehouse(tmp_path)
    lines = CURRENT.read_text().split("\n")
    strange = tmp_path / "all-weeks-global.tsv"
    strange.write_text("\n".join([lines[0] + "\tis_live_title"] + [line + "\tfalse" for line in lines[1:]]))
    before = fingerprint(warehouse_path)
    result = run("import", "netflix-top10", strange, "--warehouse", warehouse_path, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {strange} row 1 column 'is_live_title': unknown column 'is_live_title'")
    assert fingerprint(warehouse_path) == before


def test_a_file_whose_content_is_stored_makes_no_revision(tmp_path: Path) -> None:
    warehouse_path = new_warehouse(tmp_path)
    import_files(warehouse_path, P2024)
    before = fingerprint(warehouse_path)
    # Other bytes, same content: CRLF line endings and a final newline.
    copy = tmp_path / "all-weeks-global_published-2024-11-20_copy.tsv"
    copy.write_bytes(P2024.read_bytes().replace(b"\n", b"\r\n") + b"\r\n")
    report = import_files(warehouse_path, copy)[0]
    assert (report["weeks"], report["editions_new"], report["editions_unchanged"]) == (5, 0, 5)
    after = fingerprint(warehouse_path)
    assert (after["editions"], after["chart_entries"]) == (before["editions"], before["chart_entries"])


def test_an_older_publication_imported_last_changes_nothing_current(tmp_path: Path) -> None:
    newest_first = new_warehouse(tmp_path, "newest-first")
    import_files(newest_first, CURRENT)
    current = content(newest_first)
    report = import_files(newest_first, P2021)[0]
    assert (report["weeks"], report["editions_new"], report["editions_superseded"]) == (2, 2, 2)
    assert content(newest_first) == current
    text = run("import", "netflix-top10", P2023, "--warehouse", newest_first).output
    assert "4 weeks kept as earlier revisions: a newer publication of them is current" in text
    assert content(newest_first) == current
    with Warehouse(newest_first, read_only=True) as warehouse:
        # 2021-07-11 has three revisions in publication order; the 2026 file's is current.
        assert warehouse.execute(
            """SELECT revision, published, t.show_title, hours_viewed FROM editions e
               JOIN chart_entries c USING (edition_id) JOIN titles t USING (title_key)
               WHERE e.week = '2021-07-11' AND c.category = 'Films (English)' AND c.rank = 8
               ORDER BY revision""").fetchall() == [
            (1, D("2021-11-17"), "Kung Fu Panda 3", 8_860_000),
            (2, D("2023-07-26"), "How to Train Your Dragon: The Hidden World", 9_030_000),
            (3, D("2026-07-19"), "How to Train Your Dragon: The Hidden World", 9_030_000)]


def test_restated_weeks_list_what_changed(tmp_path: Path) -> None:
    warehouse_path = new_warehouse(tmp_path)
    import_files(warehouse_path, P2021)
    report = import_files(warehouse_path, P2023)[0]
    restated = {week["week"]: week["changes"] for week in report["restated"]}
    assert sorted(restated) == ["2021-07-11", "2021-07-18"]
    eighth = [change for change in restated["2021-07-11"]
              if change["category"] == "Films (English)" and change["rank"] == 8]
    assert [(change["column"], change["after"]) for change in eighth] == [
        ("title_id", eighth[0]["after"]), ("hours_viewed", 9_030_000), ("cumulative_weeks", 1)]
    assert eighth[0]["before"].startswith("kung-fu-panda-3-") and eighth[1]["before"] == 8_860_000
    # Columns the older layout did not have (staggered launch) are no restatement.
    assert not any(change["column"] == "is_staggered_launch" for week in restated.values() for change in week)
    text = run("import", "netflix-top10", CURRENT, "--warehouse", warehouse_path).output
    assert "published 2026-07-19 (from the latest week)" in text


def test_the_user_dates_a_publication(tmp_path: Path) -> None:
    warehouse_path = new_warehouse(tmp_path)
    import_files(warehouse_path, P2023)
    undated = tmp_path / "all-weeks-global.tsv"
    shutil.copy(P2021, undated)
    report = import_files(warehouse_path, undated, published="2021-11-17")[0]
    assert (report["published"], report["published_from"], report["editions_superseded"]) == ("2021-11-17", "user", 2)


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 3, 1)])
def test_any_import_order_ends_with_the_newest_publication_current(tmp_path: Path, order: tuple[int, ...]) -> None:
    reference = new_warehouse(tmp_path, "reference")
    import_files(reference, CURRENT)
    warehouse_path = new_warehouse(tmp_path)
    for index in order:
        import_files(warehouse_path, ALL[index])
    assert content(warehouse_path) == content(reference)


def D(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
