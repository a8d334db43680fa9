"""The methodology as data: every rule of METHODOLOGY.md is one named, validated setting.

A warehouse records the settings it was initialised with (settings.json); every chart
edition stores the settings it was computed with, so any number can be recomputed later.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import SettingsError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_WHOLE_NUMBER = 2**31 - 1   # the INTEGER columns settings end up compared with
WHOLE_NUMBER = re.compile(r"\s*\+?\d{1,10}\s*")


def _shown(value: Any) -> str:
    """A bad value quoted for an error message, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any]


def _timezone(value: Any) -> str:
    try:
        zoneinfo.ZoneInfo(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"timezone: unknown time zone {value!r} (use an IANA name like 'UTC' or 'America/New_York')")
    return str(value)


def _weekday(value: Any) -> str:
    if str(value).lower() not in WEEKDAYS:
        raise SettingsError(f"week_start: {value!r} is not a weekday name ({', '.join(WEEKDAYS)})")
    return str(value).lower()


def _date(value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise SettingsError(f"expected an ISO date YYYY-MM-DD, got {value!r}")


def _positive_int(value: Any) -> int:
    """A whole number from JSON (10, not 10.5, true or "10") or from the command line ("10")."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not (isinstance(value, int) or isinstance(value, str) and WHOLE_NUMBER.fullmatch(value)):
        raise SettingsError(f"expected a whole number, got {_shown(value)}")
    number = int(value)
    if not 0 < number <= MAX_WHOLE_NUMBER:
        raise SettingsError(f"expected a whole number from 1 to {MAX_WHOLE_NUMBER:,}, got {_shown(value)}")
    return number


def _hours(value: Any) -> int:
    """A whole number of hours from 0 to a year."""
    if value in (0, "0"):
        return 0
    hours = _positive_int(value)
    if hours > 24 * 366:
        raise SettingsError(f"expected a whole number of hours from 0 to {24 * 366:,}, got {_shown(value)}")
    return hours


def _fraction(value: Any) -> float:
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not 0 < number <= 1:   # NaN and infinities fail this too
        raise SettingsError(f"expected a number between 0 and 1, got {_shown(value)}")
    return number


def _language(value: Any) -> str:
    text = str(value).strip().lower()
    if not text.isalpha() or len(text) not in (2, 3):
        raise SettingsError(f"expected an ISO 639 language code like 'en', got {value!r}")
    return text


MOST_POPULAR_RULES = ("views91", "hours28")


def _most_popular_rule(value: Any) -> str:
    if str(value) not in MOST_POPULAR_RULES:
        raise SettingsError(f"expected one of {', '.join(MOST_POPULAR_RULES)}, got {value!r}")
    return str(value)


# A specialty list is a filter on titles and, optionally, the countries whose viewing counts.
# Every field is validated here and later bound as a parameter, never pasted into SQL.
LIST_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
LIST_TEXT = re.compile(r"\w[\w &'-]{0,39}")
DEFAULT_SPECIALTY_LISTS: dict[str, dict[str, Any]] = {"kids": {"kids": True}, "originals": {"originals_only": True}}


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"expected true or false, got {value!r}")
    return value


def _switch(value: Any) -> bool:
    """A boolean from JSON or from the command line (true/false, yes/no, 1/0)."""
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise SettingsError(f"expected true or false, got {value!r}")


def _texts(parse: Callable[[Any], str]) -> Callable[[Any], list[str]]:
    """A validator of a non-empty list whose items each pass `parse`."""
    def validate(value: Any) -> list[str]:
        if not isinstance(value, list) or not value:
            raise SettingsError(f"expected a non-empty list, got {value!r}")
        return sorted({parse(item) for item in value})
    return validate


def _list_text(value: Any) -> str:
    text = str(value).strip().lower()
    if not LIST_TEXT.fullmatch(text):
        raise SettingsError(f"expected a short name of letters, digits, spaces, &, ' or -, got {value!r}")
    return text


def _kind(value: Any) -> str:
    if value not in ("film", "tv"):
        raise SettingsError(f"expected 'film' or 'tv', got {value!r}")
    return str(value)


def _country_code(value: Any) -> str:
    text = str(value).strip().upper()
    if not (len(text) == 2 and text.isascii() and text.isalpha()):
        raise SettingsError(f"expected an ISO 3166-1 alpha-2 country code like 'US', got {value!r}")
    return text


LIST_FIELDS: dict[str, Callable[[Any], Any]] = {
    "description": str,
    "kids": _flag,                      # true: kids titles only; false: no kids titles
    "originals_only": _flag,
    "kinds": _texts(_kind),
    "genres": _texts(_list_text),
    "languages": _texts(_language),
    "countries": _texts(_country_code),  # only these countries' viewing counts
}


def _specialty_lists(value: Any) -> dict[str, dict[str, Any]]:
    """Validate {name: {field: value}} (or its JSON text) field by field against LIST_FIELDS."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise SettingsError(f"expected a JSON object of list definitions ({error})") from None
        except RecursionError:
            raise SettingsError("expected a JSON object of list definitions (JSON nested too deeply)") from None
    if not isinstance(value, dict):
        raise SettingsError(f"expected an object of list definitions, got {value!r}")
    lists: dict[str, dict[str, Any]] = {}
    for name, definition in value.items():
        if not LIST_NAME.fullmatch(str(name)):
            raise SettingsError(f"list name {name!r}: use lower-case letters, digits and '-'")
        if not isinstance(definition, dict):
            raise SettingsError(f"list {name!r}: expected an object of fields, got {definition!r}")
        lists[str(name)] = {}
        for field, item in definition.items():
            if field not in LIST_FIELDS:
                raise SettingsError(f"list {name!r}: unknown field {field!r} (fields: {', '.join(LIST_FIELDS)})")
            try:
                lists[str(name)][field] = LIST_FIELDS[field](item)
            except SettingsError as error:
                raise SettingsError(f"list {name!r} {field}: {error}") from None
    return lists


SETTINGS: tuple[Setting, ...] = (
    Setting("timezone", "UTC", "Time zone in which days and chart weeks begin and end.", _timezone),
    Setting("week_start", "monday", "First day of a chart week; a week is labelled by its last day.", _weekday),
    Setting("rank_by_views_from", "2023-06-19",
            "Weeks starting on or after this date are ranked by views; earlier weeks by hours viewed.", _date),
    Setting("list_size", 10, "Number of ranks on every list.", _positive_int),
    Setting("week_close_grace_hours", 6,
            "Hours after a chart week's last day ends (in the time zone) before `charts` computes it unasked, "
            "so that late deliveries of its last day are in.", _hours),
    Setting("hours_rounding_before_views", 10_000, "Display rounding of weekly hours before the switch to views.", _positive_int),
    Setting("hours_rounding", 100_000, "Display rounding of weekly hours since the switch to views.", _positive_int),
    Setting("views_rounding", 100_000, "Display rounding of weekly views.", _positive_int),
    Setting("english_language", "en", "Original language that puts a title on the English lists.", _language),
    Setting("max_session_seconds", 86_400, "A playback session longer than this is rejected as absurd.", _positive_int),
    Setting("starter_seconds", 120, "Seconds of viewing that make an account a starter of a title.", _positive_int),
    Setting("watcher_fraction", 0.7, "Share of a title's runtime that makes an account a watcher.", _fraction),
    Setting("completer_fraction", 0.9, "Share of a title's runtime that makes an account a completer.", _fraction),
    Setting("most_popular_days", 91, "Days from premiere counted for the most-popular list.", _positive_int),
    Setting("engagement_min_hours", 50_000, "Hours a title needs to appear in the engagement report.", _positive_int),
    Setting("most_popular_rule", "views91",
            "The most-popular rule: views91 (views in the first most_popular_days days, since June 2023) or "
            "hours28 (hours viewed in the first most_popular_hours_days days, the rule before).", _most_popular_rule),
    Setting("most_popular_hours_days", 28, "Days from premiere counted by the hours28 most-popular rule.",
            _positive_int),
    Setting("specialty_lists", DEFAULT_SPECIALTY_LISTS,
            "Named specialty lists, each a filter on titles (kids, originals_only, kinds, genres, languages) and "
            "optionally the countries whose viewing counts, e.g. "
            '{"nordic-kids": {"kids": true, "countries": ["DK", "FI", "NO", "SE"]}}.', _specialty_lists),
    Setting("distinct_sketches", False,
            "Build a distinct-account sketch per day and title in the rollup step, so viewers over any window are "
            "estimated without reading events. It makes the rollup several times slower (about 4 s more per 10 "
            "million events on 2 cores), so it is off unless asked for; when off, viewers are counted exactly from "
            "the events.", _switch),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Methodology:
    """A validated, immutable set of methodology settings."""

    values: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def from_values(cls, values: dict[str, Any] | None = None) -> Methodology:
        """Defaults overlaid with `values`, each validated; unknown names are an error."""
        if values is not None and not isinstance(values, dict):
            raise SettingsError(f"settings must be an object of name: value, got {_shown(values)}")
        merged = {setting.name: setting.default for setting in SETTINGS}
        for name, value in (values or {}).items():
            if name not in SETTINGS_BY_NAME:
                raise SettingsError(f"unknown setting {name!r}; known settings: {', '.join(SETTINGS_BY_NAME)}")
            try:
                merged[name] = SETTINGS_BY_NAME[name].parse(value)
            except SettingsError as error:
                raise SettingsError(f"{name}: {error}") from None
        return cls(merged)

    @classmethod
    def load(cls, path: Path) -> Methodology:
        """The settings a warehouse recorded: a JSON object naming them, nothing less."""
        def refuse_constant(name: str) -> None:
            raise SettingsError(f"{path}: {name} is not a valid setting value (JSON has no {name}); "
                                "write a number instead")
        try:
            values = json.loads(path.read_bytes().decode("utf-8"), parse_constant=refuse_constant)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise SettingsError(f"{path}: not valid JSON ({error})") from None
        except RecursionError:
            raise SettingsError(f"{path}: not valid settings (JSON nested too deeply)") from None
        if not isinstance(values, dict) or not values:
            raise SettingsError(f"{path}: expected a JSON object of the warehouse's settings (as 'viewrank init' "
                                f"writes it), got {_shown(values)}; restore the file or run 'viewrank init' anew")
        try:
            return cls.from_values(values)
        except SettingsError as error:
            raise SettingsError(f"{path}: {error}") from None

    def to_json(self) -> str:
        return json.dumps(self.values, indent=2, sort_keys=True)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def week_end(self, day: dt.date) -> dt.date:
        """The last day (the label) of the chart week that contains `day`."""
        start_index = WEEKDAYS.index(self.week_start)
        days_into_week = (day.weekday() - start_index) % 7
        return day + dt.timedelta(days=6 - days_into_week)

    def week_start_of(self, week: dt.date) -> dt.date:
        return week - dt.timedelta(days=6)

    def last_closed_week(self, now: dt.datetime) -> dt.date:
        """The newest chart week whose last day had ended, grace period included, at `now`."""
        local = (now - dt.timedelta(hours=self.week_close_grace_hours)).astimezone(self.zone)
        return self.week_end(local.date()) - dt.timedelta(days=7)  # the week holding that moment is still open

    def ranks_by_views(self, week: dt.date) -> bool:
        """Whether the week labelled `week` is ranked by views (else by hours viewed)."""
        return self.week_start_of(week) >= dt.date.fromisoformat(self.rank_by_views_from)

    def hours_rounding_for(self, week: dt.date) -> int:
        return int(self.hours_rounding if self.ranks_by_views(week) else self.hours_rounding_before_views)


def parse_assignments(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Turn `name=value` strings from the command line into a dict."""
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SettingsError(f"expected name=value, got {pair!r}")
        values[name.strip()] = value.strip()
    return values
