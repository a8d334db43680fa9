"""A realistic raw delivery of one week of playback logs, as a streaming service sends it.

Why: viewrank's rollup benchmark measures sorted, pre-keyed parts; real services deliver
hourly (or daily) Parquet files with string ids, duplicates and bad rows. This module writes
such a delivery, deterministic by seed and streamed file by file (memory is bounded by one
hour of events, whatever the total), so the end-to-end benchmark (bench/end_to_end.py) can
run the whole user path on it.

Layout under the output folder:
  titles.csv, episodes.csv          the catalog (viewrank's "Input formats")
  events/day=YYYY-MM-DD/hour=HH/part.parquet   hourly (Hive-style), or
  events/events-YYYY-MM-DDTHH.parquet          hourly with --flat, or
  events/day=YYYY-MM-DD/part.parquet           daily (events/events-YYYY-MM-DD.parquet flat)
  late/day=YYYY-MM-DD/hour=HH/part.parquet     with --late: one more hour of new sessions
                                               for a day inside the week, delivered after it
  delivery.json                     what was generated, written last (marks it complete)

Rows: event_id (UUID-like), account_id (string), title_id (films) or episode_id (episodes),
country (93 ISO codes, skewed), start_time (UTC timestamp inside the file's hour, except a
few late arrivals up to 3 hours older and a few up to 10 minutes past the hour), and
seconds_watched (integer). Popularity is Zipf-like and stronger in a title's home countries.
0.2% of events are re-sent in a later file (same event_id, same content); 0.2% of rows are
bad (half an unknown title_id, half negative seconds).

Run: python bench/delivery.py --sessions 1000000 --out bench/data/d1m [--layout daily] [--flat] [--late]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

WEEK_START = dt.date(2026, 11, 9)  # a Monday; the chart week ends (and is labelled) 2026-11-15
WEEK_END = WEEK_START + dt.timedelta(days=6)
HOURS = 7 * 24
RESEND_FRACTION = 0.002
BAD_FRACTION = 0.002
LATE_ARRIVAL_FRACTION = 0.005  # start_time up to 3 hours before the file's hour
EARLY_FRACTION = 0.0005  # start_time up to 10 minutes after the file's hour (clock skew, straddling)
SESSIONS_PER_ACCOUNT = 25  # 2M accounts at 50M sessions
LATE_DAY, LATE_HOUR = WEEK_START + dt.timedelta(days=1), 12

# Countries (the 93 of the Top 10 lists) with relative membership; same idea as the demo's
# simulator, copied rather than imported so the benchmark never depends on viewrank internals.
_COUNTRIES = """
AR 5.0 AU 6.0 AT 1.2 BS 0.03 BH 0.15 BD 0.5 BE 2.0 BO 0.4 BR 22 BG 0.4 CA 9.0 CL 3.0 CO 4.0
CR 0.5 HR 0.35 CY 0.1 CZ 0.8 DK 1.2 DO 0.6 EC 1.0 EG 1.5 SV 0.3 EE 0.12 FI 0.8 FR 10.5 DE 11
GP 0.04 GR 0.9 GT 0.6 HN 0.3 HK 1.0 HU 0.7 IS 0.06 IN 8.0 ID 3.0 IE 1.0 IL 1.0 IT 5.0 JM 0.15
JP 7.5 JO 0.4 KE 0.4 KW 0.4 LV 0.15 LB 0.3 LT 0.25 LU 0.08 MY 2.0 MV 0.02 MT 0.05 MQ 0.04
MU 0.04 MX 12 MA 0.6 NL 3.5 NC 0.03 NZ 1.0 NI 0.15 NG 0.6 NO 1.1 OM 0.25 PK 0.8 PA 0.4 PY 0.4
PE 2.5 PH 3.0 PL 3.5 PT 1.5 QA 0.3 RO 1.0 RE 0.06 SA 2.5 RS 0.4 SG 1.0 SK 0.4 SI 0.2 ZA 2.0
KR 6.5 ES 6.0 LK 0.3 SE 2.0 CH 1.5 TW 2.5 TH 2.5 TT 0.12 TR 4.0 UA 0.8 AE 1.5 GB 18 US 75
UY 0.5 VE 0.6 VN 1.5
"""
_PAIRS = np.array(_COUNTRIES.split()).reshape(-1, 2)
COUNTRIES: tuple[str, ...] = tuple(str(code) for code in _PAIRS[:, 0])
COUNTRY_WEIGHT: npt.NDArray[np.float64] = _PAIRS[:, 1].astype(float) / _PAIRS[:, 1].astype(float).sum()
# Original language -> (share of titles, home countries where it is much more popular).
LANGUAGES: dict[str, tuple[float, str]] = {
    "en": (60, "US GB CA AU NZ IE"), "ko": (6, "KR"), "ja": (5, "JP"),
    "es": (7, "ES MX AR CO CL PE EC VE BO PY UY CR PA GT HN SV NI DO"),
    "fr": (3, "FR BE CH LU GP MQ RE NC MU"), "de": (2.5, "DE AT CH"), "hi": (3, "IN"),
    "pt": (2.5, "BR PT"), "it": (1.5, "IT"), "tr": (1.5, "TR"), "pl": (1, "PL"),
    "th": (1, "TH"), "id": (1, "ID"), "ar": (1, "EG SA AE KW QA OM BH JO LB"), "zh": (1.4, "TW HK SG"),
}
HOME_BOOST, EN_HOME_BOOST = 15.0, 1.5
EVENT_COLUMNS = ("event_id", "account_id", "title_id", "episode_id", "country", "start_time", "seconds_watched")
SCHEMA = pa.schema([("event_id", pa.string()), ("account_id", pa.string()), ("title_id", pa.string()),
                    ("episode_id", pa.string()), ("country", pa.string()),
                    ("start_time", pa.timestamp("us", tz="UTC")), ("seconds_watched", pa.int32())])
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
US_PER_HOUR = 3_600_000_000


@dataclass(frozen=True)
class Spec:
    """What a delivery is; two equal specs give byte-identical events."""
    sessions: int
    layout: str = "hourly"  # hourly | daily
    flat: bool = False
    late: bool = False
    titles: int = 3000
    seed: int = 13

    def name(self) -> str:
        return (f"s{self.sessions}-{self.layout}{'-flat' if self.flat else ''}{'-late' if self.late else ''}"
                f"-t{self.titles}-seed{self.seed}")


@dataclass
class Catalog:
    """The arrays the event generator draws from (index = title or episode number)."""
    title_ids: pa.Array
    episode_ids: pa.Array
    is_film: npt.NDArray[np.bool_]
    runtime: npt.NDArray[np.int64]  # films: runtime; seasons: unused
    first_episode: npt.NDArray[np.int64]
    episode_count: npt.NDArray[np.int64]
    episode_runtime: npt.NDArray[np.int64]
    cumulative: npt.NDArray[np.float64]  # (countries, titles) popularity CDFs, row c offset by c


def build_catalog(spec: Spec, out: Path) -> Catalog:
    """Write titles.csv and episodes.csv (every episode available before the week) and return the arrays."""
    rng = np.random.default_rng([spec.seed, 1_000_000])
    n = spec.titles
    is_film = rng.random(n) < 0.55
    langs = list(LANGUAGES)
    shares = np.array([LANGUAGES[lang][0] for lang in langs])
    lang = rng.choice(len(langs), size=n, p=shares / shares.sum())
    title_ids = [f"{'f' if film else 's'}{i:06d}" for i, film in enumerate(is_film)]
    runtime = rng.integers(80 * 60, 160 * 60, size=n)
    episode_count = np.where(is_film, 0, rng.integers(6, 13, size=n))
    first_episode = np.concatenate(([0], np.cumsum(episode_count)[:-1]))
    episode_runtime = rng.integers(20 * 60, 65 * 60, size=int(episode_count.sum()))
    release = [WEEK_START - dt.timedelta(days=int(d)) for d in rng.integers(1, 900, size=n)]
    with open(out / "titles.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title_id", "show_title", "season_number", "season_title", "kind", "original_language",
                         "release_date", "is_original", "runtime_seconds", "genre", "is_kids"])
        for i in range(n):
            season = int(rng.integers(1, 5)) if not is_film[i] else None
            show = f"Bench {'Film' if is_film[i] else 'Show'} {i}"
            writer.writerow([title_ids[i], show, season or "", f"{show}: Season {season}" if season else "",
                             "film" if is_film[i] else "tv", langs[lang[i]], release[i].isoformat(),
                             "true" if i % 3 == 0 else "false", int(runtime[i]) if is_film[i] else "",
                             ("drama", "comedy", "thriller", "documentary")[i % 4], "true" if i % 11 == 0 else "false"])
    episode_ids = [f"e{j:07d}" for j in range(len(episode_runtime))]
    with open(out / "episodes.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["episode_id", "title_id", "episode_number", "episode_title", "runtime_seconds", "available_date"])
        for i in np.flatnonzero(~is_film):
            for k in range(int(episode_count[i])):
                j = int(first_episode[i]) + k
                writer.writerow([episode_ids[j], title_ids[i], k + 1, f"Episode {k + 1}", int(episode_runtime[j]),
                                 release[i].isoformat()])
    # Zipf-like global popularity over a random order of titles, boosted at home.
    popularity = 1.0 / (rng.permutation(n) + 1.0) ** 1.05
    weights = np.empty((len(COUNTRIES), n))
    for c, country in enumerate(COUNTRIES):
        boost = np.ones(n)
        for k, code in enumerate(langs):
            if country in LANGUAGES[code][1].split():
                boost[lang == k] = EN_HOME_BOOST if code == "en" else HOME_BOOST
        row = popularity * boost * np.exp(rng.normal(0, 0.5, n))
        weights[c] = np.cumsum(row) / row.sum()
    weights[:, -1] = 1.0
    cumulative = (weights + np.arange(len(COUNTRIES))[:, None]).ravel()
    return Catalog(pa.array(title_ids), pa.array(episode_ids), is_film, runtime, first_episode, episode_count,
                   episode_runtime, cumulative)


def fixed_width_strings(chars: npt.NDArray[np.uint8]) -> pa.Array:
    """A string array from an (n, width) byte matrix, without a Python object per row."""
    rows, width = chars.shape
    offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars).ravel()))


def uuid_strings(rng: np.random.Generator, n: int) -> pa.Array:
    """n random UUID-version-4-like strings (36 characters)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2] = HEX[raw >> 4]
    nibbles[:, 1::2] = HEX[raw & 0x0F]
    chars = np.full((n, 36), ord("-"), dtype=np.uint8)
    for low, high, dest in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        chars[:, dest:dest + high - low] = nibbles[:, low:high]
    return fixed_width_strings(chars)


def account_strings(index: npt.NDArray[np.int64]) -> pa.Array:
    """Account numbers as scattered 12-character ids ("ac" and 10 digits)."""
    scattered = (index.astype(np.uint64) * np.uint64(2654435761) + np.uint64(977)) % np.uint64(10**10)
    chars = np.empty((len(index), 12), dtype=np.uint8)
    chars[:, 0], chars[:, 1] = ord("a"), ord("c")
    for k in range(10):
        chars[:, 11 - k] = (scattered % np.uint64(10)).astype(np.uint8) + ord("0")
        scattered //= np.uint64(10)
    return fixed_width_strings(chars)


def sessions_per_hour(sessions: int) -> npt.NDArray[np.int64]:
    """A diurnal curve over the 168 hours of the week, summing exactly to `sessions`."""
    hour = np.arange(HOURS) % 24
    weight = 1.0 + 0.7 * np.sin((hour - 14) / 24 * 2 * np.pi) + np.repeat([0, 0, 0, 0, 0.2, 0.35, 0.3], 24)
    counts = np.floor(weight / weight.sum() * sessions).astype(np.int64)
    counts[: sessions - counts.sum()] += 1
    return counts


def hour_events(catalog: Catalog, spec: Spec, hour: int, n: int, *, stream: int = 0) -> pa.Table:
    """The n sessions first delivered in the file of `hour` (0..167 from the week's start)."""
    rng = np.random.default_rng([spec.seed, stream, hour])
    n_countries, n_titles = len(COUNTRIES), len(catalog.is_film)
    country = np.searchsorted(np.cumsum(COUNTRY_WEIGHT), rng.random(n) * (1 - 1e-12)).astype(np.int64)
    title = np.searchsorted(catalog.cumulative, country + rng.random(n) * (1 - 1e-12)) - country * n_titles
    title = np.minimum(title, n_titles - 1)
    film = catalog.is_film[title]
    episode = catalog.first_episode[title] + np.floor(
        catalog.episode_count[title] * rng.random(n) ** 1.6).astype(np.int64)
    episode = np.where(film, 0, episode)
    runtime = np.where(film, catalog.runtime[title], catalog.episode_runtime[np.minimum(episode, len(catalog.episode_runtime) - 1)])
    fraction = np.where(rng.random(n) < 0.3, rng.random(n) * 0.2, rng.random(n) ** 0.3)
    seconds = np.maximum(1, np.round(runtime * fraction)).astype(np.int32)
    # Accounts belong to one country: each country owns a contiguous range of account numbers.
    accounts = max(spec.sessions // SESSIONS_PER_ACCOUNT, 1000)
    account_start = np.concatenate(([0], np.cumsum(np.ceil(COUNTRY_WEIGHT * accounts).astype(np.int64))))
    span = account_start[country + 1] - account_start[country]
    account = account_start[country] + np.floor(span * rng.random(n) ** 1.3).astype(np.int64)
    start = (dt.datetime.combine(WEEK_START, dt.time(), dt.timezone.utc).timestamp() * 1e6
             + hour * US_PER_HOUR + rng.integers(0, US_PER_HOUR, size=n))
    shift = rng.random(n)
    start = np.where(shift < LATE_ARRIVAL_FRACTION, start - rng.integers(0, 3 * US_PER_HOUR, size=n), start)
    start = np.where(shift > 1 - EARLY_FRACTION, start + US_PER_HOUR + rng.integers(0, 600_000_000, size=n), start)
    bad = rng.random(n)
    unknown = bad < BAD_FRACTION / 2
    negative = (bad >= BAD_FRACTION / 2) & (bad < BAD_FRACTION)
    seconds = np.where(negative, -seconds, seconds)
    title_ids = catalog.title_ids.take(pa.array(title, mask=~film))
    if unknown.any():
        fake = pa.array([f"x{stream}{hour:03d}{k:07d}" for k in range(int(unknown.sum()))], pa.string())
        title_ids = pc.replace_with_mask(title_ids, pa.array(unknown), fake)
    episode_ids = catalog.episode_ids.take(pa.array(episode, mask=film | unknown))
    return pa.table([uuid_strings(rng, n), account_strings(account), title_ids, episode_ids,
                     pa.DictionaryArray.from_arrays(pa.array(country.astype(np.int32)), pa.array(COUNTRIES)).cast(pa.string()),
                     pa.array(start.astype(np.int64), pa.timestamp("us", tz="UTC")), pa.array(seconds)], schema=SCHEMA)


def _file_path(root: Path, spec: Spec, hour: int) -> Path:
    day = WEEK_START + dt.timedelta(days=hour // 24)
    if spec.layout == "daily":
        return root / (f"events-{day}.parquet" if spec.flat else f"day={day}/part.parquet")
    return root / (f"events-{day}T{hour % 24:02d}.parquet" if spec.flat else f"day={day}/hour={hour % 24:02d}/part.parquet")


def _write(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, use_dictionary=["account_id", "title_id", "episode_id", "country"],
                   compression="snappy", row_group_size=1 << 20)


def generate(spec: Spec, out: Path, *, progress: bool = False) -> dict[str, object]:
    """Write the delivery of `spec` under `out` (replacing it) and return its description."""
    started = time.perf_counter()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    catalog = build_catalog(spec, out)
    events_dir = out / "events"
    counts = sessions_per_hour(spec.sessions)
    resend_rng = np.random.default_rng([spec.seed, 2_000_000])
    pending: dict[int, list[pa.Table]] = {}  # file number -> re-sent rows it must carry
    files: list[str] = []
    rows = resent = 0
    writer: pq.ParquetWriter | None = None
    per_file = 24 if spec.layout == "daily" else 1
    for hour in range(HOURS):
        table = hour_events(catalog, spec, hour, int(counts[hour]))
        number = hour // per_file
        # A sample of this file's rows is delivered again 1 to 24 hours later (a later file).
        picked = np.flatnonzero(resend_rng.random(table.num_rows) < RESEND_FRACTION)
        if len(picked):
            target = (hour + resend_rng.integers(1, 25, size=len(picked))) // per_file
            target = np.maximum(target, number + 1)
            for t in np.unique(target):
                if t < HOURS // per_file:
                    pending.setdefault(int(t), []).append(table.take(pa.array(picked[target == t])))
        if hour % per_file == 0:
            extra = pending.pop(number, [])
            resent += sum(t.num_rows for t in extra)
            chunk = pa.concat_tables([table, *extra])
        else:
            chunk = table
        path = _file_path(events_dir, spec, hour)
        if per_file == 1:
            _write(path, chunk)
            files.append(str(path.relative_to(out)))
        else:
            if writer is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(path, SCHEMA, use_dictionary=["account_id", "title_id", "episode_id", "country"],
                                          compression="snappy")
                files.append(str(path.relative_to(out)))
            writer.write_table(chunk, row_group_size=1 << 20)
            if hour % per_file == per_file - 1:
                writer.close()
                writer = None
        rows += chunk.num_rows
        if progress and hour % 24 == 23:
            print(f"  generated day {hour // 24 + 1}/7: {rows:,} rows, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
    late_file = None
    if spec.late:
        hour = (LATE_DAY - WEEK_START).days * 24 + LATE_HOUR
        late = hour_events(catalog, spec, hour, int(counts[hour]), stream=1)
        path = out / "late" / f"day={LATE_DAY}" / f"hour={LATE_HOUR:02d}" / "part.parquet"
        _write(path, late)
        late_file = str(path.relative_to(out))
    info: dict[str, object] = {
        "spec": asdict(spec), "week": WEEK_END.isoformat(), "files": files, "late_file": late_file,
        "rows": rows, "resent_rows": resent, "bytes": sum((out / f).stat().st_size for f in files),
        "countries": len(COUNTRIES), "accounts": max(spec.sessions // SESSIONS_PER_ACCOUNT, 1000),
        "generate_seconds": round(time.perf_counter() - started, 2),
    }
    (out / "delivery.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def ensure(spec: Spec, data_dir: Path, *, progress: bool = False) -> tuple[Path, dict[str, object]]:
    """The delivery of `spec` under data_dir, generated only when no complete copy is there (resumable)."""
    out = data_dir / spec.name()
    marker = out / "delivery.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("spec") == asdict(spec):
            return out, info
    return out, generate(spec, out, progress=progress)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--layout", choices=("hourly", "daily"), default="hourly")
    parser.add_argument("--flat", action="store_true", help="flat file names instead of day=/hour= folders")
    parser.add_argument("--late", action="store_true", help="also write one late hourly file for a day of the week")
    parser.add_argument("--titles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    spec = Spec(args.sessions, args.layout, args.flat, args.late, args.titles, args.seed)
    info = generate(spec, args.out, progress=True)
    print(json.dumps({k: v for k, v in info.items() if k != "files"}, indent=2))


if __name__ == "__main__":
    main()
