"""Column layouts and value conventions of the published Top 10 files (METHODOLOGY.md)."""

from __future__ import annotations

import math

GLOBAL_COLUMNS = ("week", "category", "weekly_rank", "show_title", "season_title", "weekly_hours_viewed",
                  "runtime", "weekly_views", "cumulative_weeks_in_top_10", "is_staggered_launch",
                  "episode_launch_details")
# The layout before the staggered-launch columns were added (still what most mirrors carry).
GLOBAL_COLUMNS_CLASSIC = GLOBAL_COLUMNS[:9]
# Every global layout Netflix has published, by name: 2021's (hours only), the classic one
# with runtime and views, 2023-07's with the staggered-launch columns (its JSON cell quoted
# CSV-style), and 2024-11's with runtime_override_flag and the details column renamed.
GLOBAL_LAYOUTS = {
    "2021": ("week", "category", "weekly_rank", "show_title", "season_title", "weekly_hours_viewed",
             "cumulative_weeks_in_top_10"),
    "classic": GLOBAL_COLUMNS_CLASSIC,
    "staggered": GLOBAL_COLUMNS,
    "2024-11": GLOBAL_COLUMNS_CLASSIC + ("is_staggered_launch", "runtime_override_flag", "episode_launch_dtls"),
}
# The layout of Netflix's current file (back to 9 columns since 2025): what export writes by default.
CURRENT_LAYOUT = "classic"
# Netflix's files end without a newline after the last row; exports of the published layouts do too.
FINAL_NEWLINE = False
# Names a column has had, as the name used here.
COLUMN_ALIASES = {"episode_launch_dtls": "episode_launch_details"}
GLOBAL_KNOWN_COLUMNS = tuple(dict.fromkeys(name for layout in GLOBAL_LAYOUTS.values() for name in layout))
COUNTRY_COLUMNS = ("country_name", "country_iso2", "week", "category", "weekly_rank", "show_title",
                   "season_title", "cumulative_weeks_in_top_10")
MOST_POPULAR_COLUMNS = ("category", "rank", "show_title", "season_title", "hours_viewed_first_91_days",
                        "runtime", "views_first_91_days")
NOT_APPLICABLE = "N/A"
# Published figures are whole numbers up to here: a double holds them exactly, BIGINT with room.
LARGEST_WHOLE = 2**53


def round_display(value: float | None, step: int) -> int | None:
    """Round half up to a multiple of `step`: how published figures are shown, never ranked."""
    if value is None:
        return None
    return int(math.floor(value / step + 0.5)) * step


def format_runtime(hours: float | None) -> str:
    """Decimal hours to at most 4 places without trailing zeros: 1.9667, 2, 1.5."""
    if hours is None:
        return ""
    text = f"{hours:.4f}".rstrip("0").rstrip(".")
    return text


def format_number(value: int | None) -> str:
    return "" if value is None else str(value)


def clean_text(value: str | None) -> str:
    """A text field safe for a TSV cell (no tabs or line breaks)."""
    if value is None:
        return NOT_APPLICABLE
    return " ".join(value.replace("\t", " ").splitlines())
