"""Netflix's published history in every layout and any order: each publication imports and
re-exports byte for byte, the newest publication is current whatever the import order,
older ones stay as earlier revisions, and restated weeks say what changed."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

import pytest
from import_support import COUNTRIES_SLICE, GLOBAL_SLICE, TOP10, fingerprint, new_warehouse, run, run_json

from viewrank import Warehouse
from viewrank.export import global_rows

PUBLICATIONS = TOP10 / "publications"
P2021 = PUBLICATIONS / "all-weeks-global_published-2021-11-17_slice.tsv"    # 7 columns
P2023 = PUBLICATIONS / "all-weeks-global_published-2023-07-26_slice.tsv"    # 11, quoted JSON cells
P2024 = PUBLICATIONS / "all-weeks-global_published-2024-11-20_slice.tsv"    # 12, runtime_override_flag
CURRENT = PUBLICATIONS / "all-weeks-global_slice_2026.tsv"                  # 9, dated by its latest week
ALL = [P2021, P2023, P2024, CURRENT]

CONTENT_SQL = """
SELECT week, category, rank, t.show_title, t.season_title, hours_viewed, runtime_hours, views, cumulative_weeks
FROM current_entries c JOIN titles t USING (title_key) WHERE scope = 'global' ORDER BY week, category, rank
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


def test_every_import_order_ends_with_the_newest_publication_current_and_the_same_ids(tmp_path: Path) -> None:
    """All 24 orders of the four publications' slices: the newest one's content, and one set of title ids."""
    reference = new_warehouse(tmp_path, "reference")
    import_files(reference, CURRENT)
    expected, ids = content(reference), set()
    for number, order in enumerate(itertools.permutations(range(len(ALL)))):
        warehouse_path = new_warehouse(tmp_path, f"order-{number}")
        for index in order:
            import_files(warehouse_path, ALL[index])
        assert content(warehouse_path) == expected, order
        ids.add(tuple(current_ids(warehouse_path)))
    assert len(ids) == 1


def D(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# -- identity whatever the order -----------------------------------------------------------------

IDS_SQL = """
SELECT week, scope, coalesce(country, '') AS country, category, rank, t.title_id
FROM current_entries c JOIN titles t USING (title_key) ORDER BY ALL
"""


def current_ids(warehouse_path: Path) -> list[tuple]:
    with Warehouse(warehouse_path, read_only=True) as warehouse:
        return warehouse.execute(IDS_SQL).fetchall()


def test_a_case_only_rename_keeps_one_id_and_records_both_names(tmp_path: Path) -> None:
    ids = []
    for name, order in (("old-first", [P2021, CURRENT]), ("new-first", [CURRENT, P2021])):
        warehouse_path = new_warehouse(tmp_path, name)
        for file in order:
            import_files(warehouse_path, file)
        with Warehouse(warehouse_path, read_only=True) as warehouse:
            titles = warehouse.execute(
                "SELECT title_id, show_title, title_key FROM titles WHERE lower(show_title) = 'this little love of mine'"
            ).fetchall()
            assert len(titles) == 1 and titles[0][1] == "This Little Love of Mine"   # the newest spelling
            assert warehouse.execute("SELECT show_title, published FROM title_aliases WHERE title_key = ? ORDER BY 2",
                                     [titles[0][2]]).fetchall() == [
                ("This Little Love Of Mine", D("2021-11-17")), ("This Little Love of Mine", D("2026-07-19"))]
            # Both publications' rows of 2021-07-11 are the one title.
            assert warehouse.scalar(
                """SELECT count(DISTINCT title_key) FROM chart_entries c JOIN editions e USING (edition_id)
                   WHERE e.week = '2021-07-11' AND c.category = 'Films (English)' AND c.rank = 6""") == 1
        ids.append(current_ids(warehouse_path))
    assert ids[0] == ids[1]


def test_country_lists_before_the_global_list_give_the_same_ids(tmp_path: Path) -> None:
    global_first = new_warehouse(tmp_path, "global-first")
    import_files(global_first, GLOBAL_SLICE)
    import_files(global_first, COUNTRIES_SLICE)
    countries_first = new_warehouse(tmp_path, "countries-first")
    import_files(countries_first, COUNTRIES_SLICE)
    import_files(countries_first, GLOBAL_SLICE)
    assert current_ids(countries_first) == current_ids(global_first)
    with Warehouse(countries_first, read_only=True) as warehouse:
        assert warehouse.scalar("SELECT count(DISTINCT title_key) FROM current_entries c JOIN titles t USING (title_key) "
                                "WHERE t.season_title = 'The Diplomat: Season 1'") == 1


LIB_GLOBAL = PUBLICATIONS / "all-weeks-global_published-2026-07-19_love-is-blind-s4.tsv"  # "S4: Seattle"
LIB_2023 = PUBLICATIONS / "all-weeks-global_published-2023-07-26_love-is-blind-s4.tsv"  # "Season 4"
LIB_COUNTRIES = TOP10 / "all-weeks-countries_2023-04-23_love-is-blind.csv"              # "Season 4", 47 rows


def test_a_season_renamed_between_publications_is_one_title_with_its_country_rows_in_any_order(
        tmp_path: Path) -> None:
    """Netflix renamed "Love Is Blind: Season 4" to "Love Is Blind: S4: Seattle"; the country
    lists of 2023-04-23 use the old name. Every order of the three files ends with one title
    (the season number and the weeks tie them), shown by the newest publication's name."""
    ends = set()
    for number, order in enumerate(itertools.permutations([LIB_GLOBAL, LIB_2023, LIB_COUNTRIES])):
        warehouse_path = new_warehouse(tmp_path, f"order-{number}")
        for file in order:
            import_files(warehouse_path, file)
        with Warehouse(warehouse_path, read_only=True) as warehouse:
            titles = warehouse.execute(
                """SELECT t.title_id, t.show_title, t.season_title, t.season_number, t.original_language,
                          count(*) FILTER (WHERE c.scope = 'global'), count(*) FILTER (WHERE c.scope = 'country')
                   FROM titles t JOIN current_entries c USING (title_key) GROUP BY ALL""").fetchall()
            aliases = warehouse.execute("SELECT season_title, published FROM title_aliases ORDER BY published").fetchall()
        assert [title[1:] for title in titles] == [("Love Is Blind", "Love Is Blind: S4: Seattle", 4, "en", 6, 47)], order
        assert aliases == [("Love Is Blind: Season 4", D("2023-07-26")), ("Love Is Blind: S4: Seattle", D("2026-07-19"))]
        ends.add((titles[0][0], tuple(current_ids(warehouse_path)), tuple(content(warehouse_path))))
    assert len(ends) == 1


# What an import's outcome depends on and what a user sees: titles, their spellings, every
# revision of every list (the current one is the highest), all by title id (keys are internal).
STATE_SQL = (
    """SELECT title_id, show_title, season_number, season_title, kind, original_language, release_date, source
       FROM titles ORDER BY ALL""",
    """SELECT t.title_id, a.show_title, a.season_title, a.published, a.merged_from
       FROM title_aliases a JOIN titles t USING (title_key) ORDER BY ALL""",
    """SELECT e.week, e.scope, e.revision, e.published, e.origin, c.country, c.category, c.rank, t.title_id,
              c.hours_viewed, c.runtime_hours, c.views, c.cumulative_weeks, c.is_staggered_launch,
              c.episode_launch_details, c.runtime_override_flag
       FROM editions e JOIN chart_entries c USING (edition_id) JOIN titles t USING (title_key) ORDER BY ALL""")


def state(warehouse_path: Path) -> list[list[tuple]]:
    with Warehouse(warehouse_path, read_only=True) as warehouse:
        return [warehouse.execute(sql).fetchall() for sql in STATE_SQL]


@pytest.mark.realdata
def test_every_order_of_the_real_publications_ends_the_same(realdata: Path, tmp_path: Path) -> None:
    """All 120 orders of the five real files (three earlier global publications, the current
    global file, the countries extract) end in one state, checked by induction rather than by
    120 runs. For every subset S of the files, state(S) is built by importing S's files in one
    canonical order; then for every file f in S, importing f onto state(S - {f}) must give
    exactly state(S). Any order f1..fk of S is then a chain of such steps: by induction its
    first k-1 imports end in state(S - {fk}) and importing fk gives state(S). That is 80 single
    imports instead of 600. The end is the current file's content and its cumulative weeks."""
    top10 = realdata / "netflix-top10"
    files = sorted((top10 / "publications").glob("*.tsv")) + [top10 / "all-weeks-global.tsv",
                                                               top10 / "all-weeks-countries_2023-04-23_extract.csv"]
    empty = new_warehouse(tmp_path, "empty")
    built: dict[frozenset[int], Path] = {frozenset(): empty}
    states: dict[frozenset[int], list[list[tuple]]] = {frozenset(): state(empty)}

    def import_onto(before: frozenset[int], index: int, name: str) -> Path:
        warehouse_path = tmp_path / name
        shutil.copytree(built[before], warehouse_path)
        import_files(warehouse_path, files[index])
        return warehouse_path

    for size in range(1, len(files) + 1):
        for chosen in itertools.combinations(range(len(files)), size):
            subset, last = frozenset(chosen), max(chosen)
            built[subset] = import_onto(subset - {last}, last, "s" + "".join(map(str, chosen)))
            states[subset] = state(built[subset])
            for index in chosen[:-1]:   # the other ways to reach this subset, one import each
                other = import_onto(subset - {index}, index, "check")
                assert state(other) == states[subset], (sorted(subset - {index}), files[index].name)
                shutil.rmtree(other)
        if size == 1:
            current = content(built[frozenset({3})])   # the current global file alone
        for smaller in [subset for subset in built if len(subset) == size - 1]:   # no longer needed
            shutil.rmtree(built.pop(smaller))
            del states[smaller]
    everything = built[frozenset(range(len(files)))]
    with Warehouse(everything, read_only=True) as warehouse:
        # The current file's cumulative weeks are reproduced by the stored history.
        assert warehouse.execute(
            """SELECT count(*) FROM (SELECT cumulative_weeks, count(*) OVER (PARTITION BY title_key, category
                                                                         ORDER BY week) AS counted
                                     FROM current_entries WHERE scope = 'global') WHERE cumulative_weeks <> counted"""
        ).fetchone() == (0,)
    # What is current is the newest publication: the current file's rows, exactly.
    weeks = {row[0] for row in current}
    assert [row for row in content(everything) if row[0] in weeks] == current


# -- export conventions --------------------------------------------------------------------------

def test_a_computed_tv_title_without_a_season_title_is_exported_as_n_a(tmp_path: Path) -> None:
    from builders import build_warehouse, plays, season

    special = season("special", "The Special", 1) | {"season_number": "", "runtime_seconds": 3600}
    warehouse = build_warehouse(tmp_path, titles=[special, season("gamma-1", "Gamma", 1) | {"runtime_seconds": 3600}],
                                events=plays("special", day="2026-11-12", count=3) + plays("gamma-1", day="2026-11-12"),
                                weeks=["2026-11-15"])
    with warehouse:
        assert warehouse.scalar("SELECT season_title FROM titles WHERE title_id = 'special'") == "The Special"
        rows = [row[3:5] for row in global_rows(warehouse)]
    assert rows == [("The Special", "N/A"), ("Gamma", "Gamma: Season 1")]


def test_export_writes_netflix_s_current_layout_byte_for_byte_by_default(tmp_path: Path) -> None:
    """The export's default is the current file's layout, ending as Netflix's files end (no
    final newline); --layout picks any published layout and --final-newline adds one."""
    warehouse_path = new_warehouse(tmp_path)
    import_files(warehouse_path, CURRENT)
    run("export", "--out", tmp_path / "out", "--warehouse", warehouse_path)
    assert (tmp_path / "out" / "all-weeks-global.tsv").read_bytes() == CURRENT.read_bytes()
    for layout, columns in (("2021", 7), ("classic", 9), ("staggered", 11), ("2024-11", 12)):
        result = run_json("export", "--layout", layout, "--final-newline", "--out", tmp_path / layout,
                          "--warehouse", warehouse_path)
        assert (result["layout"], result["files"]["all-weeks-global.tsv"]) == (layout, 240)
        text = (tmp_path / layout / "all-weeks-global.tsv").read_text()
        assert text.endswith("\n") and {line.count("\t") + 1 for line in text.splitlines()} == {columns}
    refused = run("export", "--layout", "2019", "--out", tmp_path / "x", "--warehouse", warehouse_path, ok=False)
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: ") and "'2021', 'classic'" in refused.stderr


# -- corrections and out-of-order publications ---------------------------------------------------

def title_id_of(warehouse_path: Path, name: str) -> str:
    return run_json("titles", "--search", name, "--warehouse", warehouse_path)["items"][0]["title_id"]


def test_corrections_survive_older_publications_imported_after_them(tmp_path: Path) -> None:
    """A merge and a split made on the newest publication stay what is current when older
    publications of the same weeks are imported afterwards: no crash, no merged-away id back."""
    warehouse_path = new_warehouse(tmp_path)
    import_files(warehouse_path, CURRENT)
    out_laws, fear_street = title_id_of(warehouse_path, "The Out-Laws"), title_id_of(warehouse_path, "Fear Street Part 2")
    witcher = title_id_of(warehouse_path, "The Witcher: Season 3")
    run("import", "titles-merge", out_laws, fear_street, "--warehouse", warehouse_path)
    namesake = run_json("import", "titles-split", witcher, "--from-week", "2023-07-23",
                        "--warehouse", warehouse_path)["new_title_id"]
    corrected = current_ids(warehouse_path)
    import_files(warehouse_path, P2023)
    import_files(warehouse_path, P2021)
    import_files(warehouse_path, P2024)
    assert current_ids(warehouse_path) == corrected
    with Warehouse(warehouse_path, read_only=True) as warehouse:
        ids = {title_id for (title_id,) in warehouse.execute("SELECT title_id FROM titles").fetchall()}
        assert out_laws not in ids and {fear_street, witcher, namesake} <= ids
        # The older publications' rows of the merged title are that title too.
        assert warehouse.scalar(
            """SELECT count(DISTINCT t.title_id) FROM chart_entries c JOIN editions e USING (edition_id)
               JOIN titles t USING (title_key) WHERE e.week = '2023-07-16' AND c.category = 'Films (English)'
               AND t.title_id IN (?, ?)""", [out_laws, fear_street]) == 1


def test_a_merged_title_shows_the_target_s_own_name_after_later_imports(tmp_path: Path) -> None:
    """The Out-Laws merged into Fear Street Part 2 (both named by the 2026 publication): later
    imports, of older publications and of the same content again, leave the title showing its
    own name; the merged name stays an alias marked with the id merged away."""
    warehouse_path = new_warehouse(tmp_path)
    import_files(warehouse_path, CURRENT)
    out_laws, fear_street = title_id_of(warehouse_path, "The Out-Laws"), title_id_of(warehouse_path, "Fear Street Part 2")
    run("import", "titles-merge", out_laws, fear_street, "--warehouse", warehouse_path)
    again = tmp_path / "all-weeks-global.tsv"
    again.write_bytes(CURRENT.read_bytes().replace(b"\n", b"\r\n"))
    for file in (again, P2023, P2021, P2024):
        import_files(warehouse_path, file)
        with Warehouse(warehouse_path, read_only=True) as warehouse:
            assert warehouse.execute("SELECT show_title, season_title FROM titles WHERE title_id = ?",
                                     [fear_street]).fetchall() == [("Fear Street Part 2: 1978", None)], file
    with Warehouse(warehouse_path, read_only=True) as warehouse:
        assert warehouse.execute(
            """SELECT a.show_title, a.published, a.merged_from FROM title_aliases a JOIN titles t USING (title_key)
               WHERE t.title_id = ? ORDER BY 1""", [fear_street]).fetchall() == [
            ("Fear Street Part 2: 1978", D("2026-07-19"), None), ("The Out-Laws", D("2026-07-19"), out_laws)]


def test_country_rows_follow_a_namesake_split_whatever_came_first(tmp_path: Path) -> None:
    """Country rows imported before a split stay with the title of their week; country rows of a
    week after the split, imported later, go to the namesake that has that week."""
    warehouse_path = new_warehouse(tmp_path)
    import_files(warehouse_path, COUNTRIES_SLICE)
    import_files(warehouse_path, GLOBAL_SLICE)
    diplomat = "the-diplomat-season-1-0339b047"
    namesake = run_json("import", "titles-split", diplomat, "--from-week", "2025-10-26",
                        "--warehouse", warehouse_path)["new_title_id"]
    later = tmp_path / "all-weeks-countries.csv"
    header = COUNTRIES_SLICE.read_text(encoding="utf-8").split("\n")[0]
    later.write_text("\n".join([header, "Argentina,AR,2025-10-26,TV,2,The Diplomat,The Diplomat: Season 1,1",
                                "Australia,AU,2025-10-26,TV,4,The Diplomat,The Diplomat: Season 1,1"]))
    import_files(warehouse_path, later)
    with Warehouse(warehouse_path, read_only=True) as warehouse:
        assert warehouse.execute(
            """SELECT week, t.title_id, count(*) FROM current_entries c JOIN titles t USING (title_key)
               WHERE c.scope = 'country' AND t.title_id IN (?, ?) GROUP BY ALL ORDER BY week""",
            [diplomat, namesake]).fetchall() == [(D("2023-04-23"), diplomat, 86), (D("2025-10-26"), namesake, 2)]
