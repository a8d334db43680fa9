"""Synthetic streaming service: a catalog plus day-partitioned playback logs.

Used by `viewrank demo` and the benchmarks, so that the engine can be exercised on
realistic, reproducible data without access to a real service's logs. Layout under out_dir:
titles.csv, episodes.csv and events/day=YYYY-MM-DD/events.parquet (one file per UTC day).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# --- Countries: code, relative membership, fixed UTC offset (minutes), region --------
_COUNTRY_TABLE = """
AR 5.0 -180 latam  AU 6.0 660 oce    AT 1.2 60 eu     BS 0.03 -300 latam BH 0.15 180 mena
BD 0.5 360 asia    BE 2.0 60 eu      BO 0.4 -240 latam BR 22 -180 latam  BG 0.4 120 eu
CA 9.0 -300 na     CL 3.0 -180 latam CO 4.0 -300 latam CR 0.5 -360 latam HR 0.35 60 eu
CY 0.1 120 eu      CZ 0.8 60 eu      DK 1.2 60 eu     DO 0.6 -240 latam EC 1.0 -300 latam
EG 1.5 120 mena    SV 0.3 -360 latam EE 0.12 120 eu   FI 0.8 120 eu     FR 10.5 60 eu
DE 11 60 eu        GP 0.04 -240 latam GR 0.9 120 eu   GT 0.6 -360 latam HN 0.3 -360 latam
HK 1.0 480 asia    HU 0.7 60 eu      IS 0.06 0 eu     IN 8.0 330 asia   ID 3.0 420 asia
IE 1.0 0 eu        IL 1.0 120 mena   IT 5.0 60 eu     JM 0.15 -300 latam JP 7.5 540 asia
JO 0.4 180 mena    KE 0.4 180 afr    KW 0.4 180 mena  LV 0.15 120 eu    LB 0.3 120 mena
LT 0.25 120 eu     LU 0.08 60 eu     MY 2.0 480 asia  MV 0.02 300 asia  MT 0.05 60 eu
MQ 0.04 -240 latam MU 0.04 240 afr   MX 12 -360 latam MA 0.6 60 mena    NL 3.5 60 eu
NC 0.03 660 oce    NZ 1.0 780 oce    NI 0.15 -360 latam NG 0.6 60 afr   NO 1.1 60 eu
OM 0.25 240 mena   PK 0.8 300 asia   PA 0.4 -300 latam PY 0.4 -180 latam PE 2.5 -300 latam
PH 3.0 480 asia    PL 3.5 60 eu      PT 1.5 0 eu      QA 0.3 180 mena   RO 1.0 120 eu
RE 0.06 240 afr    SA 2.5 180 mena   RS 0.4 60 eu     SG 1.0 480 asia   SK 0.4 60 eu
SI 0.2 60 eu       ZA 2.0 120 afr    KR 6.5 540 asia  ES 6.0 60 eu      LK 0.3 330 asia
SE 2.0 60 eu       CH 1.5 60 eu      TW 2.5 480 asia  TH 2.5 420 asia   TT 0.12 -240 latam
TR 4.0 180 eu      UA 0.8 120 eu     AE 1.5 240 mena  GB 18 0 eu        US 75 -330 na
UY 0.5 -180 latam  VE 0.6 -240 latam VN 1.5 420 asia
"""
_ROWS = np.array(_COUNTRY_TABLE.split()).reshape(-1, 4)
COUNTRIES: tuple[str, ...] = tuple(_ROWS[:, 0])
COUNTRY_WEIGHT = _ROWS[:, 1].astype(float) / _ROWS[:, 1].astype(float).sum()
COUNTRY_UTC_OFFSET_MIN = _ROWS[:, 2].astype(np.int64)
COUNTRY_REGION = np.unique(_ROWS[:, 3], return_inverse=True)[1]

# Language -> (share of titles, countries where it is a home language).
LANGUAGES: dict[str, tuple[float, str]] = {
    "en": (60, "US GB CA AU NZ IE"), "ko": (6, "KR"), "ja": (5, "JP"),
    "es": (7, "ES MX AR CO CL PE EC VE BO PY UY CR PA GT HN SV NI DO"),
    "fr": (3, "FR BE CH LU GP MQ RE NC MU"), "de": (2.5, "DE AT CH"), "hi": (3, "IN"),
    "pt": (2.5, "BR PT"), "it": (1.5, "IT"), "tr": (1.5, "TR"), "pl": (1, "PL"),
    "da": (0.8, "DK"), "sv": (0.8, "SE"), "th": (1, "TH"), "id": (1, "ID"),
    "ar": (1, "EG SA AE KW QA OM BH JO LB"), "zh": (1.4, "TW HK SG"),
}
HOME_BOOST = 15.0  # a non-English title is this much more popular at home
EN_HOME_BOOST = 1.5  # English titles are popular everywhere, a bit more at home
ABROAD_FACTOR = 0.5  # non-English titles outside their home countries
REGION_SIGMA, COUNTRY_SIGMA = 0.5, 0.35  # lognormal per-title regional taste noise

# Genre -> (film weight, tv weight); kids titles are genre kids or (half of) animation.
GENRES: dict[str, tuple[float, float]] = {
    "drama": (20, 22), "comedy": (17, 14), "crime": (10, 14), "documentary": (8, 9),
    "animation": (7, 6), "thriller": (12, 8), "romance": (9, 7), "action": (12, 6),
    "reality": (0, 9), "kids": (5, 5),
}
ANIMATION_KIDS_P = 0.5

TV_SHARE = 0.45  # share of titles that are seasons
SEASONS_PER_SHOW = (1, 2, 3, 4)
SEASONS_PER_SHOW_P = (0.55, 0.2, 0.15, 0.1)
SEASON_GAP_DAYS = (280, 560)  # days between consecutive seasons
LIMITED_SERIES_P = 0.12  # of single-season shows
FINAL_SEASON_P = 0.15  # of multi-season shows: last season titled "The Final Season"
ORIGINAL_P = 0.4
# Release timing categories: years back, a few weeks before, inside, after the window.
RELEASE_CATEGORY_P = (0.30, 0.07, 0.60, 0.03)  # older seasons add to the first
RELEASE_WEEKDAY_P = (0.06, 0.07, 0.15, 0.27, 0.37, 0.05, 0.03)  # Mon..Sun
WEEKLY_RELEASE_P = 0.15  # of seasons premiering in/after the window
SPLIT_SEASON_P = 0.12  # of binge seasons in the window: part 2 four or five weeks later
FILM_RUNTIME_MIN = (75, 170)
EPISODES = (6, 10)
LIMITED_EPISODES = (4, 6)
EPISODE_RUNTIME_MIN = (20, 70)

# Popularity: pop * (BASE + sum of spikes), spike = amp * ramp(age) * 0.5**(age/half_life).
POP_SIGMA = 1.1
TV_SESSION_FACTOR = 4.0  # a season viewer plays several episodes: more sessions per viewer
ORIGINAL_POP_BOOST, ORIGINAL_SPIKE_BOOST = 1.5, 1.6
SPIKE_AMP, SPIKE_SIGMA = 15.0, 0.5
HALF_LIFE_DAYS, HALF_LIFE_SIGMA, HALF_LIFE_RANGE = 7.0, 0.35, (3.0, 16.0)
RAMP_DAYS = 1.0
WEEKLY_DROP_AMP, PART_TWO_AMP = 0.25, 0.7
SIBLING_AMP = 0.15  # older seasons (and a remake's original) ride a premiere's spike
SEASON_POP_DECAY = 0.8  # each older season is this much less popular
SPECIAL_POP_QUANTILE = 0.95  # the special-name titles are given a high popularity
DAILY_TITLE_SIGMA = 0.12

# Volume and time of day.
WEEKDAY_FACTOR = (0.93, 0.90, 0.92, 0.95, 1.08, 1.27, 1.22)  # Mon..Sun: weekends ~30% more
DAY_SIGMA = 0.03
LOCAL_HOUR_CURVE = (1.2, 0.7, 0.4, 0.25, 0.2, 0.25, 0.5, 0.9, 1.2, 1.4, 1.6, 1.8,
                    2.1, 2.3, 2.4, 2.5, 2.7, 3.2, 4.2, 5.6, 6.8, 7.2, 6.0, 3.4)
ACCOUNTS_PER_SESSION = 0.3  # 5M sessions -> 1.5M accounts
ACCOUNT_SKEW = 1.7  # account rank = size * u**SKEW: heavy-tailed activity
ACCOUNT_HASH = 2_654_435_761  # prime; scatters heavy accounts over the id space
# Episode choice: index = n_available * u**alpha, alpha decays from EARLY to LATE.
EPISODE_ALPHA_EARLY, EPISODE_ALPHA_LATE, EPISODE_ALPHA_DAYS = 3.0, 1.2, 7.0
# Watched fraction: tiny samplings, full watches, beta-distributed partial watches.
SAMPLING_P, FULL_P = 0.04, 0.38
SAMPLING_SECONDS = (5, 60)
PARTIAL_BETA = (1.1, 1.8)

MIN_TITLES = 50
SCRIPT_TITLE = '<Script> & "Quotes", Inc.'
SPECIAL_NAMES = (("Amor en Sevilla: Señales", "es"), ("Kärlek på distans", "sv"),
                 ("Coração Selvagem", "pt"), ("Le Café des Étoiles", "fr"),
                 ("서울의 밤", "ko"), ("東京の雨", "ja"), ("İstanbul'da Bir Gece", "tr"))
_ADJ = ("Silent Hidden Broken Golden Crimson Last Lost Wild Dark Bright Frozen Burning "
        "Quiet Savage Secret Hollow Endless Northern Fallen Restless Velvet Iron Electric "
        "Midnight Scarlet Perfect Twisted Little Lonely Distant Bitter Sweet Final "
        "Invisible Eternal Shattered Stolen Royal Wicked Gentle").split()
_NOUN = ("Harbor Protocol Kingdom Garden Signal River Empire Promise Mirror Orchard "
         "Frontier Verdict Witness Horizon Island Summer Winter Station Archive Circle "
         "Shadow Heart Code Crown Storm Lighthouse Highway Academy Estate Canyon Border "
         "Tide Ember Compass Harvest Legacy Paradox Cipher Sanctuary Inheritance "
         "Deception Ritual Affair Chase Game Hotel Kitchen Diaries Files").split()
_IN = ("Midnight Summer Winter Murder Love Chaos Trouble Strangers Secrets Lost Alone Sunset "
       "Dawn Autumn Death Scandal Silence Rain Blood Fire").split()
_PLACE = ("Paris Havana Brooklyn Seoul Lagos Oslo Kyoto Marrakesh Berlin Lisbon Cairo "
          "Sicily Bombay Texas Alaska Manila Istanbul Montana Nairobi Sydney Dublin Naples "
          "Vienna Tangier Patagonia Memphis Glasgow Tulum Bangkok Bali").split()

TITLE_COLUMNS = ("title_id", "show_title", "season_number", "season_title", "kind",
                 "original_language", "release_date", "is_original", "runtime_seconds",
                 "genre", "is_kids")
EPISODE_COLUMNS = ("episode_id", "title_id", "episode_number", "episode_title",
                   "runtime_seconds", "available_date")
EVENT_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("account_id", pa.string()), ("title_id", pa.string()),
    ("episode_id", pa.string()), ("country", pa.string()),
    ("start_time", pa.timestamp("us", tz="UTC")), ("seconds_watched", pa.int32()),
])
DICTIONARY_COLUMNS = ["title_id", "episode_id", "country"]  # ids are unique: plain is smaller
_DAY_US = 86_400 * 1_000_000
_HOUR_US = 3_600 * 1_000_000
_EPOCH = date(1970, 1, 1)
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SimulatedService:
    """Where a generated service was written and which days it covers."""

    titles_path: Path
    episodes_path: Path
    events_paths: list[Path]
    first_day: date
    last_day: date
    sessions: int


@dataclass
class _Title:
    """One catalog row (a film or a season) while the catalog is being built."""

    name: str
    kind: str
    lang: str
    genre: str
    original: bool
    pop: float
    release: int  # day offset from the window's first day
    season: int = 0
    season_title: str = ""
    runtime: int = 0
    show: int = -1
    kids: bool = False
    episodes: list[tuple[int, int]] = field(default_factory=list)  # (runtime, available)
    spikes: list[tuple[int, float]] = field(default_factory=list)  # (day, relative amp)
    id: str = ""


@dataclass
class _Catalog:
    """Numpy view of the catalog used by the per-day event generator."""

    title_ids: pa.Array
    episode_ids: pa.Array
    is_tv: Bools
    release: Ints
    pop: Floats
    runtime: Ints  # films: runtime; seasons: 0
    ep_start: Ints  # index of each title's first episode
    ep_title: Ints
    ep_runtime: Ints
    ep_avail: Ints
    spike_title: Ints
    spike_day: Ints
    spike_amp: Floats
    spike_half_life: Floats
    affinity: Floats  # titles x countries


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> list[str]:
    """Draw n keys of `weights` with probability proportional to their values."""
    keys, w = list(weights), np.array(list(weights.values()), dtype=float)
    return [keys[i] for i in rng.choice(len(keys), size=n, p=w / w.sum())]


def _names(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct plausible show/film names from word-list patterns, short patterns first."""
    short = [f"The {a} {b}" for a in _ADJ for b in _NOUN] + [f"{a} {b}" for a in _ADJ for b in _NOUN]
    short += [f"{b} of {p}" for b in _NOUN for p in _PLACE] + [f"{w} in {p}" for w in _IN for p in _PLACE]
    long = [f"{a} {b} of {p}" for a in _ADJ for b in _NOUN for p in _PLACE]
    if n > len(short) + len(long):
        raise ValueError(f"at most {len(short) + len(long)} distinct names available, {n} needed")
    picked = [short[i] for i in rng.permutation(len(short))[:n]]
    picked += [long[i] for i in rng.choice(len(long), size=n - len(picked), replace=False)]
    return [picked[i] for i in rng.permutation(n)]


def _release_offsets(rng: np.random.Generator, n: int, weeks: int) -> Ints:
    """Release days relative to the window start: years back, recent, inside, or after it."""
    cat = rng.choice(4, size=n, p=RELEASE_CATEGORY_P)
    weekday = rng.choice(7, size=n, p=RELEASE_WEEKDAY_P)
    return np.select(
        [cat == 0, cat == 1, cat == 2],
        [-rng.integers(180, 3650, n), weekday - 7 * rng.integers(1, 9, n),
         weekday + 7 * rng.integers(0, weeks, n)],
        weekday + 7 * (weeks + rng.integers(0, 8, n)))


def _build_titles(rng: np.random.Generator, n_titles: int, weeks: int) -> list[_Title]:
    """The catalog as _Title rows: films, then seasons grouped by show, ids assigned."""
    n_seasons = round(n_titles * TV_SHARE)
    sizes: list[int] = []
    while sum(sizes) < n_seasons:
        sizes.append(int(rng.choice(SEASONS_PER_SHOW, p=SEASONS_PER_SHOW_P)))
    sizes[-1] -= sum(sizes) - n_seasons
    n_films, n_shows = n_titles - n_seasons, len(sizes)
    names = _names(rng, n_films + n_shows)
    langs = _pick(rng, {k: v[0] for k, v in LANGUAGES.items()}, n_films + n_shows)
    film_genres = _pick(rng, {k: v[0] for k, v in GENRES.items()}, n_films)
    tv_genres = _pick(rng, {k: v[1] for k, v in GENRES.items()}, n_shows)
    original = rng.random(n_films + n_shows) < ORIGINAL_P
    pop = rng.lognormal(0.0, POP_SIGMA, n_films + n_shows) * np.where(original, ORIGINAL_POP_BOOST, 1)
    release = _release_offsets(rng, n_films + n_shows, weeks)
    special_pop = float(np.quantile(pop, SPECIAL_POP_QUANTILE))

    films = [_Title(names[i], "film", langs[i], film_genres[i], bool(original[i]), float(pop[i]),
                    int(release[i]), runtime=60 * int(rng.integers(*FILM_RUNTIME_MIN, endpoint=True)))
             for i in range(n_films)]
    # Specials: an escaping torture test, two remake pairs, some non-ASCII names.
    films[0].name, films[0].genre, films[0].lang = SCRIPT_TITLE, "comedy", "en"
    films[0].release, films[0].pop = 3, special_pop
    films[2].name, films[4].name = films[1].name, films[3].name
    films[1].release, films[2].release = -int(rng.integers(2500, 7000)), 7 * min(1, weeks - 1) + 4
    films[3].release, films[4].release = -int(rng.integers(4000, 9000)), -int(rng.integers(300, 1500))
    films[1].spikes.append((films[2].release, SIBLING_AMP))
    show_names, show_langs, show_pop = names[n_films:], langs[n_films:], pop[n_films:].copy()
    for i, (name, lang) in enumerate(SPECIAL_NAMES):
        if i % 2 == 0:
            show_names[i // 2], show_langs[i // 2], show_pop[i // 2] = name, lang, special_pop
        else:
            films[5 + i // 2].name, films[5 + i // 2].lang, films[5 + i // 2].pop = name, lang, special_pop

    seasons: list[_Title] = []
    for s, size in enumerate(sizes):
        limited = size == 1 and rng.random() < LIMITED_SERIES_P
        final = size > 1 and rng.random() < FINAL_SEASON_P
        gaps = rng.integers(*SEASON_GAP_DAYS, size=size)
        gaps[-1] = 0  # the newest season keeps the drawn release; older ones go back in time
        rels = int(release[n_films + s]) - np.cumsum(gaps[::-1])[::-1]
        show = [_Title(show_names[s], "tv", show_langs[s], tv_genres[s], bool(original[n_films + s]),
                       float(show_pop[s] * SEASON_POP_DECAY ** (size - k) * rng.lognormal(0, 0.2)),
                       int(rels[k - 1]),
                       season=k, show=s, season_title=f"{show_names[s]}: Season {k}")
                for k in range(1, size + 1)]
        if limited:
            show[0].season_title = f"{show_names[s]}: Limited Series"
        if final:
            show[-1].season_title = f"{show_names[s]}: The Final Season"
        for k, t in enumerate(show):
            lo, hi = LIMITED_EPISODES if limited else EPISODES
            n_eps = int(rng.integers(lo, hi, endpoint=True))
            avail = np.full(n_eps, t.release)
            if t.release >= 0 and rng.random() < WEEKLY_RELEASE_P:
                first = int(rng.integers(2, 3, endpoint=True))
                avail[first:] += 7 * np.arange(1, n_eps - first + 1)
                t.spikes += [(int(a), WEEKLY_DROP_AMP) for a in avail[first:]]
            elif 0 <= t.release < 7 * weeks and rng.random() < SPLIT_SEASON_P:
                avail[(n_eps + 1) // 2:] += 7 * int(rng.integers(4, 5, endpoint=True))
                t.spikes.append((int(avail[-1]), PART_TWO_AMP))
            base = rng.uniform(22, 60)
            rt = np.clip(base * rng.uniform(0.85, 1.15, n_eps), *EPISODE_RUNTIME_MIN) * 60
            t.episodes = [(int(r), int(a)) for r, a in zip(rt.round(), avail)]
            t.spikes += [(later.release, SIBLING_AMP) for later in show[k + 1:]]
        seasons += show

    for t in films + seasons:
        t.kids = t.genre == "kids" or (t.genre == "animation" and rng.random() < ANIMATION_KIDS_P)
    for n, t in enumerate(sorted(films, key=lambda t: t.release), start=1):
        t.id = f"F{n:06d}"
    show_first = {t.show: t.release for t in reversed(seasons)}  # season 1's release
    show_no = {s: n for n, s in enumerate(sorted(show_first, key=lambda s: (show_first[s], s)), 1)}
    for t in seasons:
        t.id = f"S{show_no[t.show]:06d}-{t.season}"
    return sorted(films, key=lambda t: t.id) + sorted(seasons, key=lambda t: (t.id[:7], t.season))


def _catalog_arrays(rng: np.random.Generator, titles: list[_Title]) -> _Catalog:
    """Turn the title rows into the arrays the event generator samples from."""
    n = len(titles)
    is_tv = np.array([t.kind == "tv" for t in titles])
    release = np.array([t.release for t in titles])
    original = np.array([t.original for t in titles])
    n_eps = np.array([len(t.episodes) for t in titles])
    eps = [e for t in titles for e in t.episodes]
    ep_ids = [f"{t.id}E{k:02d}" for t in titles for k in range(1, len(t.episodes) + 1)]
    half_life = np.clip(rng.lognormal(np.log(HALF_LIFE_DAYS), HALF_LIFE_SIGMA, n), *HALF_LIFE_RANGE)
    amp = SPIKE_AMP * rng.lognormal(0, SPIKE_SIGMA, n) * np.where(original, ORIGINAL_SPIKE_BOOST, 1)
    spikes = [(i, t.release, 1.0) for i, t in enumerate(titles)]
    spikes += [(i, day, a) for i, t in enumerate(titles) for day, a in t.spikes]
    s_title, s_day, s_rel = (np.array(col) for col in zip(*spikes))

    lang_homes = {k: {COUNTRIES.index(c) for c in v[1].split()} for k, v in LANGUAGES.items()}
    home = np.array([[c in lang_homes[t.lang] for c in range(len(COUNTRIES))] for t in titles])
    is_en = np.array([t.lang == "en" for t in titles])[:, None]
    affinity = np.where(home, np.where(is_en, EN_HOME_BOOST, HOME_BOOST), np.where(is_en, 1.0, ABROAD_FACTOR))
    region_noise = rng.normal(0, REGION_SIGMA, (n, COUNTRY_REGION.max() + 1))[:, COUNTRY_REGION]
    affinity *= np.exp(region_noise + rng.normal(0, COUNTRY_SIGMA, (n, len(COUNTRIES))))
    return _Catalog(
        title_ids=pa.array([t.id for t in titles]), episode_ids=pa.array(ep_ids),
        is_tv=is_tv, release=release, pop=np.array([t.pop for t in titles]),
        runtime=np.array([t.runtime for t in titles]),
        ep_start=np.concatenate([[0], np.cumsum(n_eps)[:-1]]),
        ep_title=np.repeat(np.arange(n), n_eps), ep_runtime=np.array([e[0] for e in eps]),
        ep_avail=np.array([e[1] for e in eps]), spike_title=s_title, spike_day=s_day,
        spike_amp=s_rel * amp[s_title], spike_half_life=half_life[s_title], affinity=affinity)


def _write_catalog(titles: list[_Title], first_day: date, titles_path: Path, episodes_path: Path) -> None:
    """Write titles.csv and episodes.csv (UTF-8, header row, empty field for null)."""
    def iso(offset: int) -> str:
        return (first_day + timedelta(days=offset)).isoformat()

    with titles_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(TITLE_COLUMNS)
        for t in titles:
            tv = t.kind == "tv"
            w.writerow([t.id, t.name, t.season if tv else "", t.season_title, t.kind, t.lang,
                        iso(t.release), str(t.original).lower(), "" if tv else t.runtime,
                        t.genre, str(t.kids).lower()])
    with episodes_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(EPISODE_COLUMNS)
        for t in titles:
            for k, (runtime, avail) in enumerate(t.episodes, start=1):
                w.writerow([f"{t.id}E{k:02d}", t.id, k, f"Episode {k}", runtime, iso(avail)])


def _sample(rng: np.random.Generator, weights: Floats, n: int) -> Ints:
    """n indices (in ascending order) drawn with probability proportional to the weights."""
    cdf = np.cumsum(weights)
    idx = np.searchsorted(cdf, np.sort(rng.random(n)) * cdf[-1], side="right")  # sorted: cache-friendly
    picked: Ints = np.minimum(idx, np.flatnonzero(weights)[-1])
    return picked


def _day_events(cat: _Catalog, rng: np.random.Generator, day: int, n: int, day_us: int,
                first_event: int, n_accounts: int, id_width: int) -> pa.Table:
    """One UTC day of playback sessions, sorted by start time."""
    age = np.maximum(day - cat.spike_day, 0)
    spike = np.where(cat.spike_day <= day, cat.spike_amp * (1 - np.exp(-(age + 1) / RAMP_DAYS))
                     * 0.5 ** (age / cat.spike_half_life), 0.0)
    n_avail = np.bincount(cat.ep_title[cat.ep_avail <= day], minlength=len(cat.pop))
    released = (cat.release <= day) & (~cat.is_tv | (n_avail > 0))
    weight = released * cat.pop * (1 + np.bincount(cat.spike_title, spike, len(cat.pop)))
    weight *= np.where(cat.is_tv, TV_SESSION_FACTOR, 1.0) * rng.lognormal(0, DAILY_TITLE_SIGMA, len(weight))
    per_country = weight[:, None] * cat.affinity  # P(title | country) * P(country)
    per_country *= COUNTRY_WEIGHT / per_country.sum(axis=0)
    cell = _sample(rng, per_country.ravel(), n)
    title, country = np.divmod(cell, len(COUNTRIES))

    tv = cat.is_tv[title]
    alpha = EPISODE_ALPHA_LATE + (EPISODE_ALPHA_EARLY - EPISODE_ALPHA_LATE) * np.exp(
        -(day - cat.release[title]) / EPISODE_ALPHA_DAYS)
    k = np.minimum((n_avail[title] * rng.random(n) ** alpha).astype(np.int64), n_avail[title] - 1)
    episode = np.where(tv, cat.ep_start[title] + np.maximum(k, 0), 0)
    runtime = np.where(tv, cat.ep_runtime[episode], cat.runtime[title])
    u = rng.random(n)
    full = np.minimum(1.0, rng.uniform(0.9, 1.1, n))  # half of full watches skip no credits
    fraction = np.where(u < SAMPLING_P + FULL_P, full, rng.beta(*PARTIAL_BETA, n))
    seconds = np.clip(np.rint(fraction * runtime), 1, runtime)
    sampled = np.minimum(rng.integers(*SAMPLING_SECONDS, n, endpoint=True), runtime)
    seconds = np.where(u < SAMPLING_P, sampled, seconds).astype(np.int32)

    hour = _sample(rng, np.asarray(LOCAL_HOUR_CURVE), n)
    local_us = hour * _HOUR_US + rng.integers(0, _HOUR_US, n)
    start = day_us + (local_us - COUNTRY_UTC_OFFSET_MIN[country] * 60_000_000) % _DAY_US

    sizes = np.maximum(1, np.rint(n_accounts * COUNTRY_WEIGHT)).astype(np.int64)
    rank = (sizes[country] * rng.random(n) ** ACCOUNT_SKEW).astype(np.int64)
    account = np.cumsum(sizes)[country] - sizes[country] + (rank * ACCOUNT_HASH) % sizes[country] + 1

    order = np.argsort(start, kind="stable")
    event_no = pc.cast(pa.array(np.arange(first_event, first_event + n)), pa.string())
    return pa.Table.from_arrays([
        pc.binary_join_element_wise("e", pc.utf8_lpad(event_no, width=id_width, padding="0"), ""),
        pc.binary_join_element_wise("a", pc.cast(pa.array(account[order]), pa.string()), ""),
        pc.take(cat.title_ids, pa.array(title[order], mask=tv[order])),
        pc.take(cat.episode_ids, pa.array(episode[order], mask=~tv[order])),
        pc.take(pa.array(COUNTRIES), pa.array(country[order])),
        pa.array(start[order], type=pa.timestamp("us", tz="UTC")),
        pa.array(seconds[order], type=pa.int32()),
    ], schema=EVENT_SCHEMA)


def _sessions_per_day(rng: np.random.Generator, first_day: date, n_days: int, sessions: int) -> Ints:
    """Split `sessions` over the days by weekday weight; the last day takes the rounding."""
    w = np.array([WEEKDAY_FACTOR[(first_day + timedelta(days=d)).weekday()] for d in range(n_days)])
    w *= rng.lognormal(0, DAY_SIGMA, n_days)
    counts: Ints = np.floor(sessions * w / w.sum()).astype(np.int64)
    counts[-1] += sessions - counts.sum()
    return counts


def generate(out_dir: Path, *, titles: int = 2000, weeks: int = 12, sessions: int = 5_000_000,
             end_date: date = date(2026, 11, 15), seed: int = 7,
             progress: Callable[[int], None] | None = None) -> SimulatedService:
    """Write a synthetic catalog and `weeks` Monday-Sunday weeks of playback logs ending on
    `end_date` (a Sunday) into out_dir; `progress(1)` is called after each day file is written.
    """
    if end_date.weekday() != 6:
        raise ValueError(f"end_date must be a Sunday, got {end_date:%A} {end_date}")
    if titles < MIN_TITLES or weeks < 1 or sessions < 0:
        raise ValueError(f"need titles >= {MIN_TITLES}, weeks >= 1 and sessions >= 0")
    n_days = 7 * weeks
    first_day = end_date - timedelta(days=n_days - 1)
    out_dir = Path(out_dir)
    events_root = out_dir / "events"
    days = [first_day + timedelta(days=d) for d in range(n_days)]
    paths = [events_root / f"day={d.isoformat()}" / "events.parquet" for d in days]
    events_root.mkdir(parents=True, exist_ok=True)
    for stale in set(events_root.glob("day=*/events.parquet")) - set(paths):  # an older run's days
        stale.unlink()
        if not any(stale.parent.iterdir()):
            stale.parent.rmdir()

    catalog_rng, day_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    title_rows = _build_titles(catalog_rng, titles, weeks)
    catalog = _catalog_arrays(catalog_rng, title_rows)
    service = SimulatedService(out_dir / "titles.csv", out_dir / "episodes.csv", paths,
                               first_day, end_date, sessions)
    _write_catalog(title_rows, first_day, service.titles_path, service.episodes_path)

    counts = _sessions_per_day(day_rng, first_day, n_days, sessions)
    n_accounts = max(1000, round(sessions * ACCOUNTS_PER_SESSION))
    id_width = max(9, len(str(sessions)))
    first_event = 0
    for d, (day, path, n) in enumerate(zip(days, paths, counts)):
        rng = np.random.default_rng(np.random.SeedSequence([seed, d + 1]))  # one stream per day
        day_us = (day - _EPOCH).days * _DAY_US
        table = _day_events(catalog, rng, d, int(n), day_us, first_event, n_accounts, id_width)
        path.parent.mkdir(exist_ok=True)
        pq.write_table(table, path, compression="zstd", use_dictionary=DICTIONARY_COLUMNS)
        first_event += int(n)
        if progress is not None:
            progress(1)  # an increment, like click's ProgressBar.update
    return service
