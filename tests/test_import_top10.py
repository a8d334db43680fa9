"""Importing Netflix's published Top 10 files: editions, stable ids, namesakes, layouts,
re-imports, facts and exports over imported data, and byte-identical round trips."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from import_support import COUNTRIES_SLICE, GLOBAL_SLICE, MOST_POPULAR, fingerprint, run, run_json

from viewrank import Warehouse
from viewrank.imports.netflix_top10 import import_top10_files, weeks_count_mismatches

D = dt.date


def tsv_rows(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]


def imported(tmp_path: Path, *files: Path) -> Path:
    with Warehouse.init(tmp_path / "wh") as warehouse:
        import_top10_files(warehouse, list(files))
    return tmp_path / "wh"


def title_ids(warehouse_path: Path, show: str) -> list[str]:
    with Warehouse(warehouse_path) as warehouse:
        return [row[0] for row in warehouse.execute(
            "SELECT title_id FROM titles WHERE show_title = ? ORDER BY title_id", [show]).fetchall()]


def write_variant(source: Path, target: Path, columns: list[str], extra: dict[str, str] | None = None) -> Path:
    """The slice in another column layout (columns taken by name, missing ones from `extra`)."""
    rows = tsv_rows(source)
    header = rows[0]
    lines = ["\t".join(columns)]
    for row in rows[1:]:
        record = dict(zip(header, row)) | (extra or {})
        lines.append("\t".join(record[column] for column in columns))
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


# -- identity ---------------------------------------------------------------------------------

def test_namesakes_get_their_own_ids_and_every_tracked_count_is_reproduced(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE)
    # Aftermath (Films (English)) starts again at week 1 in 2025-02-16; Dragon (Non-English) in 2025-03-23.
    assert len(title_ids(warehouse_path, "Aftermath")) == 2
    assert len(title_ids(warehouse_path, "Dragon")) == 2
    # The Diplomat: three seasons (only season 1 in the slice) and the 2025 Indian film are different titles.
    with Warehouse(warehouse_path) as warehouse:
        kinds = warehouse.rows("SELECT season_title, kind, original_language FROM titles WHERE show_title = 'The Diplomat' "
                               "ORDER BY kind")
        assert kinds == [{"season_title": None, "kind": "film", "original_language": None},
                         {"season_title": "The Diplomat: Season 1", "kind": "tv", "original_language": "en"}]
        # The slice holds the whole history of these titles, so the weeks counted from the
        # stored ranks equal every published cumulative_weeks_in_top_10.
        tracked = warehouse.rows(
            """SELECT week, cumulative_weeks, count(*) OVER (PARTITION BY title_key, category ORDER BY week) AS counted
               FROM current_entries c JOIN titles t USING (title_key)
               WHERE scope = 'global' AND (t.show_title IN ('Aftermath', 'Dragon') OR t.season_title = 'The Diplomat: Season 1')""")
        assert len(tracked) == 14   # Diplomat 6 + Aftermath 2 + 1 + Dragon 2 + 3
        assert all(row["cumulative_weeks"] == row["counted"] for row in tracked)
        aftermath = warehouse.rows(
            """SELECT title_id, list(cumulative_weeks ORDER BY week) AS counts FROM current_entries
               JOIN titles USING (title_key) WHERE show_title = 'Aftermath' GROUP BY title_id ORDER BY min(week)""")
        assert [row["counts"] for row in aftermath] == [[1, 2], [1]]


def test_ids_are_deterministic(tmp_path: Path) -> None:
    first = imported(tmp_path / "a", GLOBAL_SLICE, COUNTRIES_SLICE)
    run("init", tmp_path / "b")
    output = run("import", "netflix-top10", COUNTRIES_SLICE, GLOBAL_SLICE, "--warehouse", tmp_path / "b").output
    assert "172 rows, 16 weeks: 16 new editions, 0 unchanged; 137 new titles (2 namesakes told apart)" in output
    second = tmp_path / "b"   # the order on the command line does not matter: global lists go first
    with Warehouse(first) as a, Warehouse(second) as b:
        query = "SELECT title_id, show_title, season_title, kind, original_language, source FROM titles ORDER BY 1"
        assert a.rows(query) == b.rows(query)
        assert a.scalar("SELECT count(*) FROM titles") == 139


def test_titles_are_catalog_entries_from_the_file(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE)
    with Warehouse(warehouse_path) as warehouse:
        row = warehouse.rows("SELECT * FROM titles WHERE season_title = 'The Diplomat: Season 1'")[0]
    assert row["title_id"].startswith("the-diplomat-season-1-")
    assert (row["show_title"], row["season_number"], row["kind"], row["original_language"], row["release_date"],
            row["source"]) == ("The Diplomat", 1, "tv", "en", None, "netflix-top10")


def test_country_rows_map_to_the_global_titles(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, COUNTRIES_SLICE, GLOBAL_SLICE)
    with Warehouse(warehouse_path) as warehouse:
        diplomat = warehouse.rows(
            """SELECT DISTINCT t.title_id, c.scope FROM current_entries c JOIN titles t USING (title_key)
               WHERE t.show_title = 'The Diplomat' AND c.week = '2023-04-23'""")
    assert {row["scope"] for row in diplomat} == {"global", "country"}
    assert len({row["title_id"] for row in diplomat}) == 1


# -- facts and lists over imported editions ---------------------------------------------------

def test_facts_of_the_diplomat_from_imported_lists(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE, COUNTRIES_SLICE)
    facts = run_json("facts", "The Diplomat: Season 1", "--warehouse", warehouse_path)["facts"]
    assert facts["debut"]["week"] == "2023-04-23"
    assert facts["debut"]["rank"] == 1
    assert facts["debut"]["category"] == "TV (English)"
    assert facts["debut"]["hours_viewed"] == 57_480_000
    assert facts["debut"]["origin"] == "imported"
    assert facts["countries"]["count"] == 86 and facts["countries"]["of"] == 93
    assert len(facts["countries"]["number_one"]) == 15
    assert facts["countries"]["ranks"]["United States"] == 2
    assert facts["weeks_in_top_10"] == 6 and facts["peak_rank"] == 1

    text = run("facts", "The Diplomat: Season 1", "--warehouse", warehouse_path).output
    assert "First week:      week ending 2023-04-23 (release date unknown): 57,480,000 hours viewed" in text
    assert "Debut:           No. 1 in TV (English), week ending 2023-04-23" in text
    assert "Top 10 in 86 of 93 countries in the week ending 2023-04-23; No. 1 in 15: Bahamas, Finland" in text


def test_lists_show_imported_editions(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE, COUNTRIES_SLICE)
    body = run_json("lists", "--week", "2023-04-23", "--warehouse", warehouse_path)
    lists = {item["category"]: item["entries"] for item in body["lists"]}
    top = lists["TV (English)"][0]
    assert (top["season_title"], top["season_number"], top["hours_viewed"], top["cumulative_weeks_in_top_10"]) == \
        ("The Diplomat: Season 1", 1, 57_480_000, 1)
    assert (body["edition"]["origin"], body["edition"]["revision"]) == ("imported", 1)
    argentina = run_json("lists", "--week", "2023-04-23", "--country", "AR", "--warehouse", warehouse_path)["lists"]
    assert [[row["rank"] for row in item["entries"]] for item in argentina] == [list(range(1, 11))] * 2


# -- exports and round trips ------------------------------------------------------------------

def test_reexport_gives_back_the_same_bytes(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE, COUNTRIES_SLICE, MOST_POPULAR)
    results = run_json("import", "reexport", "--out", tmp_path / "out", "--warehouse", warehouse_path)
    assert [result["identical"] for result in results] == [True, True, True]
    for original in (GLOBAL_SLICE, COUNTRIES_SLICE, MOST_POPULAR):
        assert (tmp_path / "out" / original.name).read_bytes() == original.read_bytes()


def test_export_writes_imported_values_as_published(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE, COUNTRIES_SLICE)
    run("export", "--classic", "--out", tmp_path / "out", "--warehouse", warehouse_path)
    # Same rows and values, including 2023-06-18: ranked by hours but published with views.
    assert tsv_rows(tmp_path / "out" / "all-weeks-global.tsv") == tsv_rows(GLOBAL_SLICE)
    with open(COUNTRIES_SLICE, encoding="utf-8", newline="") as handle:
        assert tsv_rows(tmp_path / "out" / "all-weeks-countries.tsv") == list(csv.reader(handle))
    run("export", "--layout", "staggered", "--out", tmp_path / "full", "--warehouse", warehouse_path)
    full = tsv_rows(tmp_path / "full" / "all-weeks-global.tsv")
    assert full[0][-2:] == ["is_staggered_launch", "episode_launch_details"]
    assert [row[:9] for row in full] == tsv_rows(GLOBAL_SLICE)


# -- layouts ----------------------------------------------------------------------------------

CLASSIC = tsv_rows(GLOBAL_SLICE)[0]
OLDEST = ["week", "category", "weekly_rank", "show_title", "season_title", "weekly_hours_viewed",
          "cumulative_weeks_in_top_10"]
NEWEST = CLASSIC + ["is_staggered_launch", "episode_launch_details"]


@pytest.mark.parametrize("columns, extra", [
    (OLDEST, None),
    (NEWEST, {"is_staggered_launch": "False", "episode_launch_details": ""}),
    (NEWEST, {"is_staggered_launch": "True",
              "episode_launch_details": '[{"episodesLaunched":16,"countryList":["AT","FR"]}]'}),
])
def test_every_global_layout_imports_and_round_trips(tmp_path: Path, columns: list[str],
                                                     extra: dict[str, str] | None) -> None:
    variant = write_variant(GLOBAL_SLICE, tmp_path / "all-weeks-global.tsv", columns, extra)
    warehouse_path = imported(tmp_path, variant)
    with Warehouse(warehouse_path) as warehouse:
        row = warehouse.rows(
            """SELECT hours_viewed, runtime_hours, views, is_staggered_launch, episode_launch_details
               FROM current_entries WHERE week = '2023-06-18' AND category = 'Films (English)' AND rank = 1""")[0]
    assert row["hours_viewed"] == 88_400_000   # Extraction 2
    assert (row["runtime_hours"], row["views"]) == ((None, None) if columns == OLDEST else (2.0667, 42_800_000))
    assert row["is_staggered_launch"] == (None if extra is None else extra["is_staggered_launch"] == "True")
    assert row["episode_launch_details"] == ((extra or {}).get("episode_launch_details") or None)
    run("import", "reexport", "--out", tmp_path / "out", "--warehouse", warehouse_path)
    assert (tmp_path / "out" / variant.name).read_bytes() == variant.read_bytes()


def test_xlsx_twin_imports_like_the_tsv(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for number, row in enumerate(tsv_rows(GLOBAL_SLICE)):
        sheet.append(row if number == 0 else [dt.date.fromisoformat(row[0]), row[1], int(row[2]), row[3], row[4],
                                              int(row[5]), float(row[6]) if row[6] else None,
                                              int(row[7]) if row[7] else None, int(row[8])])
    workbook.save(tmp_path / "all-weeks-global.xlsx")
    from_tsv, from_xlsx = imported(tmp_path / "tsv", GLOBAL_SLICE), imported(tmp_path / "xlsx", tmp_path / "all-weeks-global.xlsx")
    query = """SELECT week, category, rank, title_id, hours_viewed, runtime_hours, views, cumulative_weeks
               FROM current_entries JOIN titles USING (title_key) ORDER BY ALL"""
    with Warehouse(from_tsv) as a, Warehouse(from_xlsx) as b:
        assert a.rows(query) == b.rows(query)
    run("import", "reexport", "--out", tmp_path / "out", "--warehouse", from_xlsx)
    assert (tmp_path / "out" / "all-weeks-global.tsv").read_text().splitlines() == GLOBAL_SLICE.read_text().splitlines()


def test_most_popular_in_the_28_day_layout(tmp_path: Path) -> None:
    old = tmp_path / "most-popular.tsv"
    rows = tsv_rows(MOST_POPULAR)
    old.write_text("\n".join("\t".join(row[:4] + ["hours_viewed_first_28_days" if n == 0 else row[4]])
                             for n, row in enumerate(rows)) + "\n")
    warehouse_path = imported(tmp_path, old)
    with Warehouse(warehouse_path) as warehouse:
        assert warehouse.rows("SELECT basis, hours_viewed, runtime_hours, views FROM current_most_popular "
                              "WHERE category = 'TV (English)' AND rank = 1") == \
            [{"basis": "first_28_days", "hours_viewed": 1_718_800_000, "runtime_hours": None, "views": None}]
    run("import", "reexport", "--out", tmp_path / "out", "--warehouse", warehouse_path)
    assert (tmp_path / "out" / "most-popular.tsv").read_bytes() == old.read_bytes()


# -- re-imports and revisions -----------------------------------------------------------------

def test_reimporting_the_same_content_changes_nothing(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE)
    before = fingerprint(warehouse_path)
    copy = tmp_path / "renamed.tsv"
    shutil.copy(GLOBAL_SLICE, copy)
    reports = run_json("import", "netflix-top10", GLOBAL_SLICE, copy, "--warehouse", warehouse_path)
    assert all(report["already_imported_as"].startswith(str(GLOBAL_SLICE)) for report in reports)
    assert fingerprint(warehouse_path) == before


def test_the_same_content_twice_in_one_command_is_imported_once(tmp_path: Path) -> None:
    copy = tmp_path / "renamed.tsv"
    shutil.copy(MOST_POPULAR, copy)
    with Warehouse.init(tmp_path / "wh") as warehouse:
        first, second = import_top10_files(warehouse, [MOST_POPULAR, copy])
        assert first.rows_read == 40 and second.already_imported_as == f"{MOST_POPULAR} (the same content, earlier in this command)"
        assert warehouse.scalar("SELECT count(*) FROM most_popular") == 40


def test_a_corrected_week_becomes_a_new_revision(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE)
    corrected = tmp_path / "all-weeks-global.tsv"
    corrected.write_text(GLOBAL_SLICE.read_text().replace("57480000", "57490000"))
    report = run_json("import", "netflix-top10", corrected, "--warehouse", warehouse_path)[0]
    assert (report["editions_new"], report["editions_unchanged"], report["titles_new"]) == (1, 15, 0)
    with Warehouse(warehouse_path) as warehouse:
        assert warehouse.rows("SELECT week, revision, source FROM current_editions WHERE revision > 1") == \
            [{"week": D(2023, 4, 23), "revision": 2, "source": f"{corrected} sha256:{report_sha(warehouse, corrected)}"}]
        assert warehouse.scalar("SELECT hours_viewed FROM current_entries WHERE week = '2023-04-23' "
                                "AND category = 'TV (English)' AND rank = 1") == 57_490_000
    facts = run_json("facts", "The Diplomat: Season 1", "--warehouse", warehouse_path)["facts"]
    assert facts["debut"]["revision"] == 2


def report_sha(warehouse: Warehouse, path: Path) -> str:
    return warehouse.scalar("SELECT sha256 FROM import_sources WHERE path = ?", [str(path)])


# -- identity corrections ---------------------------------------------------------------------

def test_merge_and_split_revise_editions_and_survive_a_reimport(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE)
    with Warehouse(warehouse_path) as warehouse:   # the 2021 film (2 weeks), then the 2025 one (1 week)
        first, second = [row[0] for row in warehouse.execute(
            "SELECT title_id FROM current_entries JOIN titles USING (title_key) WHERE show_title = 'Aftermath' "
            "GROUP BY title_id ORDER BY min(week)").fetchall()]
    result = run_json("import", "titles-merge", second, first, "--warehouse", warehouse_path)
    assert result["new_editions"] == 1
    assert title_ids(warehouse_path, "Aftermath") == [first]
    with Warehouse(warehouse_path) as warehouse:
        assert len(weeks_count_mismatches(warehouse)) > 0   # one title now restarts its count: the merge was wrong
    result = run_json("import", "titles-split", first, "--from-week", "2025-02-16", "--warehouse", warehouse_path)
    namesake = result["new_title_id"]
    with Warehouse(warehouse_path) as warehouse:
        aftermath = {row["title_id"] for row in warehouse.rows(
            "SELECT DISTINCT title_id FROM current_entries JOIN titles USING (title_key) WHERE show_title = 'Aftermath'")}
        assert aftermath == {first, namesake}
        corrections = warehouse.rows("SELECT action FROM title_corrections ORDER BY corrected_at")
        assert [row["action"] for row in corrections] == ["merge", "split"]
    # A corrected file for those weeks keeps the hand-made ids.
    corrected = tmp_path / "all-weeks-global.tsv"
    corrected.write_text(GLOBAL_SLICE.read_text().replace("57480000", "57490000"))
    run("import", "netflix-top10", corrected, "--warehouse", warehouse_path)
    assert sorted(title_ids(warehouse_path, "Aftermath")) == sorted([first, namesake])


def test_merging_titles_on_the_same_list_is_refused(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE)
    with Warehouse(warehouse_path) as warehouse:
        one, two = [row[0] for row in warehouse.execute(
            "SELECT title_id FROM current_entries JOIN titles USING (title_key) WHERE week = '2023-04-23' "
            "AND category = 'TV (English)' AND rank <= 2 ORDER BY rank").fetchall()]
    before = fingerprint(warehouse_path)
    result = run("import", "titles-merge", one, two, "--warehouse", warehouse_path, ok=False)
    assert result.exit_code == 1 and "are both on the TV (English) list of 2023-04-23" in result.output
    assert fingerprint(warehouse_path) == before


# -- the real files -----------------------------------------------------------------------------

@pytest.mark.realdata
def test_real_history_reproduces_every_published_weeks_count(realdata: Path, tmp_path: Path) -> None:
    top10 = realdata / "netflix-top10"
    warehouse = Warehouse.init(tmp_path / "wh")
    reports = import_top10_files(warehouse, [top10 / "all-weeks-global.tsv",
                                             top10 / "all-weeks-countries_2023-04-23_extract.csv",
                                             top10 / "most-popular.tsv"])
    glob = reports[0]
    # SOURCES.md says 10,559 data rows; the file holds 264 weeks x 40 rows = 10,560. Names are
    # compared regardless of case, so the 2022 "A Woman With No Filter" and the 2025 "A Woman
    # with No Filter" are namesakes told apart by their counts (6), still two titles.
    assert (glob.rows_read, glob.weeks, glob.namesakes, glob.titles_new) == (10_560, 264, 6, 3_841)
    counted = warehouse.rows(
        """SELECT c.cumulative_weeks AS published,
                  count(*) OVER (PARTITION BY title_key, category ORDER BY week) AS counted
           FROM current_entries c WHERE scope = 'global'""")
    assert len(counted) == 10_560
    assert [row for row in counted if row["published"] != row["counted"]] == []
    assert weeks_count_mismatches(warehouse) == []
    namesakes = warehouse.rows("SELECT show_title, count(*) AS ids FROM titles WHERE source = 'netflix-top10' "
                               "AND show_title IN ('Aftermath', 'Dhamaka', 'Noise', 'Kingdom', 'Dragon', 'The Diplomat') "
                               "GROUP BY 1 ORDER BY 1")
    assert {row["show_title"]: row["ids"] for row in namesakes} == \
        {"Aftermath": 2, "Dhamaka": 2, "Dragon": 2, "Kingdom": 2, "Noise": 2, "The Diplomat": 4}
    assert reports[1].rows_read == 1_860 and reports[2].rows_read == 40
    warehouse.close()


@pytest.mark.realdata
def test_real_facts_exports_and_round_trips(realdata: Path, tmp_path: Path) -> None:
    top10 = realdata / "netflix-top10"
    files = [top10 / "all-weeks-global.tsv", top10 / "all-weeks-countries_2023-04-23_extract.csv", top10 / "most-popular.tsv"]
    warehouse_path = imported(tmp_path, *files)
    facts = run_json("facts", "The Diplomat: Season 1", "--warehouse", warehouse_path)["facts"]
    assert (facts["debut"]["week"], facts["debut"]["rank"], facts["debut"]["category"], facts["debut"]["hours_viewed"]) == \
        ("2023-04-23", 1, "TV (English)", 57_480_000)
    assert (facts["countries"]["count"], facts["countries"]["of"], len(facts["countries"]["number_one"])) == (86, 93, 15)
    assert [h["week"] for h in facts["history"]] == ["2023-04-23", "2023-04-30", "2023-05-07", "2023-05-14",
                                                     "2024-11-10", "2025-10-26"]
    text = run("facts", "The Diplomat: Season 1", "--warehouse", warehouse_path).output
    assert "No. 1 in TV (English), week ending 2023-04-23" in text and "57,480,000 hours viewed" in text
    assert "Top 10 in 86 of 93 countries" in text and "No. 1 in 15:" in text

    results = run_json("import", "reexport", "--out", tmp_path / "re", "--warehouse", warehouse_path)
    assert [result["identical"] for result in results] == [True, True, True]
    for original in files:
        assert (tmp_path / "re" / original.name).read_bytes() == original.read_bytes()

    run("export", "--classic", "--out", tmp_path / "out", "--warehouse", warehouse_path)
    assert tsv_rows(tmp_path / "out" / "all-weeks-global.tsv") == tsv_rows(files[0])
    with open(files[1], encoding="utf-8", newline="") as handle:
        assert tsv_rows(tmp_path / "out" / "all-weeks-countries.tsv") == list(csv.reader(handle))
