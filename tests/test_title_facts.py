"""A title's facts from global lists, country lists and engagement reports together, and the
newsroom sentences the fact sheet opens with, checked against Netflix's published figures
(slices in tests/fixtures, the whole files in ../shared/realdata)."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_support import COUNTRIES_SLICE, ENGAGEMENT_2023H1, GLOBAL_SLICE, new_warehouse, run, run_json

DIPLOMAT = "the-diplomat-season-1-0339b047"
FIRST_SENTENCE = ("Within its first weekend (20-23 April 2023), The Diplomat: Season 1 had 57.48 million hours "
                  "viewed, ranked No. 1 on the weekly global Top 10 list for English-language TV and appeared in "
                  "the Top 10 in 86 countries.")


def imported(tmp_path: Path, *files: Path, engagement: Path | None = None) -> Path:
    warehouse_path = new_warehouse(tmp_path)
    run("import", "netflix-top10", *files, "--warehouse", warehouse_path)
    if engagement:
        run("import", "engagement", engagement, "--warehouse", warehouse_path)
    return warehouse_path


@pytest.fixture(scope="module")
def diplomat(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return imported(tmp_path_factory.mktemp("facts"), GLOBAL_SLICE, COUNTRIES_SLICE, engagement=ENGAGEMENT_2023H1)


def check_the_diplomat(warehouse_path: Path) -> None:
    """The Diplomat's first weekend as Netflix published it: 57.48M hours, No. 1 English TV, 86 countries."""
    facts = run_json("facts", DIPLOMAT, "--warehouse", warehouse_path)["facts"]
    assert facts["release_date"] == "2023-04-20"   # from the engagement report; the lists carry none
    assert facts["release_date_source"]["kind"] == "engagement"
    assert facts["first_week"] | {"source": None} == {
        "start": "2023-04-20", "end": "2023-04-23", "days": 4, "week": "2023-04-23", "hours_viewed": 57_480_000,
        "views": None, "source": None}
    assert (facts["countries"]["week"], facts["countries"]["count"], facts["countries"]["of"]) == ("2023-04-23", 86, 93)
    assert (facts["number_one"]["count"], facts["number_one"]["weeks"]) == (15, 1)
    assert facts["countries_peak"] | {"edition_id": None} == {"week": "2023-04-23", "count": 86, "of": 93, "weeks": 1,
                                                               "edition_id": None}
    half = facts["engagement"][0]
    assert (half["period_start"], half["hours_viewed"], half["views"], half["source"]["sheet"]) == \
        ("2023-01-01", 214_100_000, None, "Engagement")

    sheet = run_json("factsheet", DIPLOMAT, "--warehouse", warehouse_path)
    assert sheet["lede"][0]["text"] == FIRST_SENTENCE
    linked = [(part["text"], part["source"]["kind"], part["source"].get("scope")) for part in sheet["lede"][0]["parts"]
              if "source" in part]
    assert linked == [("57.48 million hours viewed", "edition", "global"),
                      ("No. 1 on the weekly global Top 10 list for English-language TV", "edition", "global"),
                      ("86 countries", "edition", "country")]
    assert sheet["first_weekend"]["label"] == "first weekend"
    text = run("factsheet", DIPLOMAT, "--warehouse", warehouse_path).output
    assert "had [57.48 million hours viewed][1], ranked [No. 1 on the weekly global Top 10 list for " \
           "English-language TV][1] and appeared in the Top 10 in [86 countries][2]." in text
    assert '[1]: /weeks/2023-04-23 "global edition' in text and '[2]: /weeks/2023-04-23/countries "country' in text
    # Published figures print as Netflix publishes them, not rounded like measured ones.
    assert "| First weekend (2023-04-20 to 2023-04-23, 4 days) | 57,480,000 hours viewed |" in text
    assert "released 2023-04-20" in text and "release date unknown" not in text
    facts_text = run("facts", DIPLOMAT, "--warehouse", warehouse_path).output
    assert "First weekend:   2023-04-20 to 2023-04-23 (4 days): 57,480,000 hours viewed" in facts_text
    assert "Half year:       2023-01-01 to 2023-06-30: 214,100,000 hours viewed" in facts_text


def test_the_diplomat_from_lists_and_an_engagement_report(diplomat: Path) -> None:
    check_the_diplomat(diplomat)


def test_without_a_release_date_the_first_week_is_a_week_not_a_weekend(tmp_path: Path) -> None:
    warehouse_path = imported(tmp_path, GLOBAL_SLICE, COUNTRIES_SLICE)
    sheet = run_json("factsheet", DIPLOMAT, "--warehouse", warehouse_path)
    assert (sheet["first_weekend"]["days"], sheet["first_weekend"]["label"]) == (7, "first week")
    assert sheet["lede"][0]["text"].startswith("Within its first week (17-23 April 2023), The Diplomat: Season 1 had "
                                               "57.48 million hours viewed")
    text = run("factsheet", DIPLOMAT, "--warehouse", warehouse_path).output
    assert "| First week (2023-04-17 to 2023-04-23, 7 days) | 57,480,000 hours viewed |" in text
    assert "First weekend" not in text and "first weekend" not in text


def test_a_country_only_title_has_country_facts(diplomat: Path) -> None:
    # "Pasión de Gavilanes: Season 1" is No. 8 in Argentina on 2023-04-23 and on no global list of the slice.
    facts = run_json("facts", "Pasión de Gavilanes: Season 1", "--warehouse", diplomat)["facts"]
    assert (facts["debut"], facts["weeks_in_top_10"]) == (None, 0)
    assert facts["first_listed"] == {"week": "2023-04-23", "list": "country"}
    assert (facts["countries"]["count"], facts["countries"]["of"], facts["countries"]["ranks"]) == \
        (1, 93, {"Argentina": 8})
    assert facts["country_weeks"] == [{"iso2": "AR", "name": "Argentina", "weeks": 1, "best_rank": 8,
                                       "weeks_at_number_one": 0, "first_week": "2023-04-23",
                                       "last_week": "2023-04-23"}]
    assert facts["countries_peak"]["count"] == 1 and facts["number_one"] is None
    sheet = run_json("factsheet", "Pasión de Gavilanes: Season 1", "--warehouse", diplomat)
    assert [sentence["text"] for sentence in sheet["lede"]] == [
        "Within its first week (17-23 April 2023), Pasión de Gavilanes: Season 1 appeared in the Top 10 in 1 country.",
        "It never reached the global Top 10 but was in the Top 10 in 1 country (week ending 23 April 2023), "
        "longest in Argentina (1 week)."]


def test_the_first_week_is_the_first_on_any_list(tmp_path: Path) -> None:
    """Four countries list The Diplomat a week before its first global week: that week is its first."""
    earlier = tmp_path / "all-weeks-countries.csv"
    header = COUNTRIES_SLICE.read_text(encoding="utf-8").split("\n")[0]
    earlier.write_text("\n".join([header] + [f"{name},{iso2},2023-04-16,TV,{rank},The Diplomat,The Diplomat: Season 1,1"
                                             for name, iso2, rank in (("Argentina", "AR", 4), ("Australia", "AU", 2),
                                                                      ("Austria", "AT", 6), ("Bahamas", "BS", 1))]))
    warehouse_path = imported(tmp_path, GLOBAL_SLICE, earlier)
    facts = run_json("facts", DIPLOMAT, "--warehouse", warehouse_path)["facts"]
    assert facts["debut"]["week"] == "2023-04-23"
    assert facts["first_listed"] == {"week": "2023-04-16", "list": "country"}
    assert (facts["first_week"]["week"], facts["first_week"]["hours_viewed"]) == ("2023-04-16", None)
    assert (facts["countries"]["week"], facts["countries"]["count"], facts["countries"]["number_one"]) == \
        ("2023-04-16", 4, ["Bahamas"])


@pytest.mark.realdata
def test_the_diplomat_from_the_real_files(realdata: Path, tmp_path: Path) -> None:
    top10 = realdata / "netflix-top10"
    warehouse_path = imported(
        tmp_path, top10 / "all-weeks-global.tsv", top10 / "all-weeks-countries_2023-04-23_extract.csv",
        engagement=realdata / "engagement" / "What_We_Watched_A_Netflix_Engagement_Report_2023Jan-Jun.xlsx")
    check_the_diplomat(warehouse_path)


def test_the_site_fact_sheet_opens_with_the_same_sentences_linked(diplomat: Path) -> None:
    import re
    import warnings

    from starlette.exceptions import StarletteDeprecationWarning

    from viewrank.web import create_app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient

    with TestClient(create_app(diplomat)) as client:
        html = client.get(f"/titles/{DIPLOMAT}/factsheet").text
        engagement = client.get("/engagement/2023H1-tv?q=The%20Diplomat%3A%20Season%201")
    lede = re.search(r'<section class="factsheet-lede"[^>]*>\s*<p>(.*?)</p>', html, re.S)
    assert lede is not None
    assert re.sub(r"<[^>]+>", "", lede[1]).startswith(FIRST_SENTENCE)
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', lede[1])
    assert links[:3] == [("/weeks/2023-04-23", "57.48 million hours viewed"),
                         ("/weeks/2023-04-23", "No. 1 on the weekly global Top 10 list for English-language TV"),
                         ("/weeks/2023-04-23/countries", "86 countries")]
    # The half-year figure links to the report's half year, filtered to the title, which shows it.
    assert ("/engagement/2023H1-tv?q=The%20Diplomat%3A%20Season%201",
            "214.1 million hours viewed in January-June 2023") in links
    assert engagement.status_code == 200 and "214,100,000" in engagement.text
    assert "First weekend (20 April 2023 to 23 April 2023)" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
