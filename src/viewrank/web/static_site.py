"""The site as static files: every page, download, feed and widget the server has, with
relative links; an API page says the JSON API needs `viewrank serve`.

The site is built in a temporary sibling directory and then swapped in atomically, so a
static host serving DIR never shows a half-written site and a killed publish leaves the
previous site whole. Ctrl+C or SIGTERM removes the half-built directory before exiting (a
second Ctrl+C cannot stop that); only SIGKILL leaves one, which the next publish removes. A directory is only replaced when it holds a
site written by this command (the marker file), so a mistyped --site cannot delete other files.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import glob
import os
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import Callable, Iterable, Iterator

from ..catalog import ARTWORK_FOLDER
from ..charts.weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES
from ..errors import NotFound, WarehouseError
from ..store.warehouse import Warehouse
from . import api_docs, daily, downloads, feeds, pages, popular, queries, reports, urls, widget
from .http import CONTENT_SECURITY_POLICY, FRAMABLE_CONTENT_SECURITY_POLICY, FRAMABLE_PREFIX
from .params import slug
from .render import Page, render

MARKER_FILE = ".viewrank-site"

# For hosts that read a _headers file (Netlify, Cloudflare Pages): the server's security headers,
# one rule per top-level entry of the site so that the widgets alone may be framed (such hosts
# add up the headers of every rule that matches, and a rule for /* would forbid framing).
HEADERS_RULE = """{path}
  Content-Security-Policy: {policy}
  X-Content-Type-Options: nosniff
  Referrer-Policy: strict-origin-when-cross-origin
"""
DENY_FRAMING = "  X-Frame-Options: DENY\n"


@dataclass
class SiteReport:
    directory: str
    pages: int = 0
    downloads: int = 0
    files: list[str] = field(default_factory=list)


def _front_pages(warehouse: Warehouse) -> list[Page]:
    return [pages.week_page(warehouse, None), pages.downloads_page(warehouse),
            pages.search_page(warehouse, "", 1, static=True), api_docs.static_page(warehouse)]


def _widget_pages(warehouse: Warehouse, iso2: str | None) -> list[Page]:
    """The latest-week widgets of the global lists (iso2 None) or of a country's lists."""
    found = []
    for category in GLOBAL_CATEGORIES if iso2 is None else COUNTRY_CATEGORIES:
        path = widget.global_path(category) if iso2 is None else widget.country_path(iso2, category)
        with contextlib.suppress(NotFound):  # a list this warehouse does not have
            found.append(widget.widget_page(warehouse, path, week=None, category_text=slug(category), iso2_text=iso2))
    return found


def _week_pages(warehouse: Warehouse, week: dt.date) -> list[Page]:
    return [pages.week_page(warehouse, week.isoformat())]


def _country_week_pages(warehouse: Warehouse, week: dt.date, alias: bool) -> list[Page]:
    """The countries overview of a week and every country's page (the latest-week aliases when `alias`)."""
    return [pages.countries_page(warehouse, None if alias else week.isoformat()),
            *pages.country_pages(warehouse, week, alias=alias)]


def page_jobs(warehouse: Warehouse) -> Iterator[Callable[[], Iterable[Page]]]:
    """Every page of the site, latest-week aliases included, as functions that build a few pages each."""
    editions = queries.editions_by_week(warehouse)
    weeks = sorted(editions)
    yield partial(_front_pages, warehouse)
    found = reports.available(warehouse)
    for report in found:
        yield partial(pages.report_pages, warehouse, report.slug)
    rollups = popular.has_rollups(warehouse)
    if all(report.slug != popular.SLUG for report in found) and rollups:
        yield partial(pages.popular_pages, warehouse)
    if rollups:
        for name in [None, *daily.specialty_names(warehouse)]:
            yield partial(daily.static_pages, warehouse, pages.frame(warehouse), name)
    for week in weeks:
        if "global" in editions[week]:
            yield partial(_week_pages, warehouse, week)
    country_weeks = [week for week in weeks if "country" in editions[week]]
    if country_weeks:
        yield partial(_country_week_pages, warehouse, country_weeks[-1], True)
    for week in country_weeks:
        yield partial(_country_week_pages, warehouse, week, False)
    for title_id in queries.charted_title_ids(warehouse):
        yield partial(pages.title_pages, warehouse, title_id)
    if any("global" in scopes for scopes in editions.values()):
        yield partial(_widget_pages, warehouse, None)
    for country in queries.chart_countries(warehouse):
        yield partial(_widget_pages, warehouse, country["iso2"])


def feed_jobs(warehouse: Warehouse) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Every feed as (site path, function writing it): each global list's, each country's."""
    if any("global" in scopes for scopes in queries.editions_by_week(warehouse).values()):
        for category in GLOBAL_CATEGORIES:
            yield feeds.global_path(category), partial(feeds.global_feed, warehouse, slug(category), None)
    for country in queries.chart_countries(warehouse):
        yield feeds.country_path(country["iso2"]), partial(feeds.country_feed, warehouse, country["iso2"], None)


def headers_file(root: Path) -> str:
    """The _headers file for the site written in `root`: framing denied except for the widgets."""
    rules = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        framable = "/" + entry.name + "/" == FRAMABLE_PREFIX
        paths = [f"/{entry.name}/*"] if entry.is_dir() else [f"/{entry.name}"] + (
            ["/" if entry.name == "index.html" else f"/{entry.name.removesuffix('.html')}"]
            if entry.name.endswith(".html") else [])
        for path in paths:
            rules.append(HEADERS_RULE.format(path=path, policy=FRAMABLE_CONTENT_SECURITY_POLICY if framable
                                             else CONTENT_SECURITY_POLICY) + ("" if framable else DENY_FRAMING))
    return "".join(rules)


def download_jobs(warehouse: Warehouse) -> list[tuple[str, dt.date | None]]:
    """Every download as (scope, week): all weeks, then each week that has that scope's edition."""
    editions = queries.editions_by_week(warehouse)
    jobs: list[tuple[str, dt.date | None]] = [(scope, None) for scope in downloads.SCOPES]
    for week in sorted(editions):
        jobs += [(scope, week) for scope, edition_scope in zip(downloads.SCOPES, ("global", "country"))
                 if edition_scope in editions[week]]
    return jobs


def publish_site(warehouse: Warehouse, site_dir: str | os.PathLike[str], *,
                 progress: Callable[[int], None] | None = None) -> SiteReport:
    """Write the whole site into `site_dir` (replacing an earlier published site there)."""
    target = Path(site_dir)
    if target.exists() and any(target.iterdir()) and not (target / MARKER_FILE).exists():
        raise WarehouseError(f"{target} is not empty and holds no published viewrank site; "
                             "choose an empty or new directory for --site")
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    building: Path | None = None
    with _terminate_as_interrupt():
        try:
            building = Path(tempfile.mkdtemp(prefix=f".{target.name}-{os.getpid()}-", dir=target.parent))
            (building / MARKER_FILE).write_text("written by viewrank publish\n")
            report = _write(warehouse, building, progress)
            _swap(building, target)
        except BaseException as error:
            if building is not None:
                with _signals_held():  # a second Ctrl+C must not stop the cleanup half way
                    shutil.rmtree(building, ignore_errors=True)
            if isinstance(error, KeyboardInterrupt):  # stopping already: a second Ctrl+C changes nothing
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            raise
    report.directory = str(target)
    return report


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """Stop once: later stop signals are ignored from this moment, so a second Ctrl+C can land
    nowhere between the first one and the end of the cleanup."""
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    raise KeyboardInterrupt(f"stopped by signal {signum}")


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Ctrl+C and SIGTERM (a service manager, `timeout`, kill) stop a publish once, so its
    half-built site is removed rather than left behind (only the main thread can do this)."""
    if not _in_main_thread():
        yield
        return
    previous = {number: signal.signal(number, _interrupt) for number in STOP_SIGNALS}
    stopping = False
    try:
        yield
    except KeyboardInterrupt:
        stopping = True  # the process is stopping: later stop signals stay ignored
        raise
    finally:
        for number, handler in previous.items():
            if handler is not None and not stopping:  # None: not set from Python, cannot be restored
                signal.signal(number, handler)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ignore Ctrl+C and SIGTERM for the length of the block (a cleanup that must finish)."""
    if not _in_main_thread():
        yield
        return
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            if handler is not None:
                signal.signal(number, handler)


def _remove_leftovers(target: Path) -> None:
    """Remove sites half-built or replaced by a publish that was killed: siblings named
    .NAME-PID-*, holding the marker, whose process is gone."""
    for sibling in target.parent.glob(f".{glob.escape(target.name)}-*-*"):
        pid = sibling.name[len(target.name) + 2:].split("-", 1)[0]
        if pid.isdigit() and (sibling / MARKER_FILE).exists() and not _running(int(pid)):
            shutil.rmtree(sibling, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write(warehouse: Warehouse, root: Path, progress: Callable[[int], None] | None) -> SiteReport:
    report = SiteReport(str(root))
    shutil.copytree(str(resources.files("viewrank.web").joinpath("static")), root / "static")
    if (warehouse.path / ARTWORK_FOLDER).is_dir():  # the catalog's image files, under the names pages use
        shutil.copytree(warehouse.path / ARTWORK_FOLDER, root / ARTWORK_FOLDER, ignore=shutil.ignore_patterns(".*"))
    for job in page_jobs(warehouse):
        for page in job():
            _write_file(root, urls.static_file(page.path), render(page, static=True).encode("utf-8"), report)
            report.pages += 1
        if progress:
            progress(1)
    missing = Page("error.html", "/404", "Not found", {
        "heading": "Not found", "message": "There is no page at this address.", "latest_week": None, "reports": []})
    _write_file(root, "404.html", render(missing, static=True).encode("utf-8"), report)
    for scope, week in download_jobs(warehouse):
        for format in urls.DOWNLOAD_FORMATS:
            body = downloads.download(warehouse, scope, format, week)
            _write_file(root, urls.static_file(urls.download(scope, format, week)), body, report)
            report.downloads += 1
    for path, make in feed_jobs(warehouse):
        _write_file(root, urls.static_file(path), make(), report)
    (root / "_headers").write_text(headers_file(root))
    return report


def _write_file(root: Path, relative: str, body: bytes, report: SiteReport) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    report.files.append(relative)


def _swap(building: Path, target: Path) -> None:
    """Put the new site in place of the old in one atomic exchange where the system has one
    (Linux), so that a crash at any moment leaves one whole site or the other; elsewhere
    two renames, with the old site kept aside until the new one is in place."""
    building.chmod(0o755)
    if not target.exists():
        os.replace(building, target)
    elif _exchange(building, target):
        shutil.rmtree(building)  # now the old site
    else:
        old = building.with_name(building.name + "-old")
        os.replace(target, old)
        os.replace(building, target)
        shutil.rmtree(old, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two directories atomically (renameat2 with RENAME_EXCHANGE); False where unsupported."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_current_directory, rename_exchange = -100, 2
    if renameat2(at_current_directory, os.fsencode(first), at_current_directory, os.fsencode(second),
                 rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), str(second))


def count_jobs(warehouse: Warehouse) -> int:
    """How many steps publish_site will take (for a progress bar)."""
    return sum(1 for _ in page_jobs(warehouse))
