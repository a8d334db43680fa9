"""A world map of where a title was in the Top 10 in one week, coloured by rank, as inline SVG.

The geometry (geo/world.json) is Natural Earth 1:110m from the world-atlas package, projected
at build time by scripts/build_world_map.py; nothing is fetched at run time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

from markupsafe import Markup, escape

from . import urls

# Rank bands, best first: (highest rank in the band, CSS class, legend text).
BANDS = ((1, "map-r1", "No. 1"), (3, "map-r2", "No. 2–3"), (6, "map-r4", "No. 4–6"), (10, "map-r7", "No. 7–10"))
DOT_RADIUS = 4


@lru_cache(maxsize=1)
def geometry() -> dict[str, Any]:
    """The projected map: width, height, a path per Top 10 country, dots for small ones, a background."""
    text = resources.files("viewrank.web").joinpath("geo/world.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def band(rank: int) -> str:
    for highest, css, _ in BANDS:
        if rank <= highest:
            return css
    return BANDS[-1][1]


@dataclass(frozen=True)
class MapData:
    """What a title's map shows: its best rank per country in a week and the countries with lists."""

    ranks: dict[str, int]
    listed: set[str]
    names: dict[str, str]
    title: str
    week: dt.date


def draw(data: MapData, href: Callable[[str], str]) -> Markup:
    """The map of `data`, countries linking (through `href`, a site path to an href) to their lists."""
    return world_map(data.ranks, data.listed, data.names, title=data.title,
                     week_text=f"week ending {data.week.day} {data.week:%B %Y}",
                     href=lambda code: href(urls.country(code, data.week)))


def world_map(ranks: dict[str, int], listed: set[str], names: dict[str, str], *, title: str, week_text: str,
              href: Callable[[str], str]) -> Markup:
    """The map: countries where the title charted coloured by its best rank there, countries with
    lists that week but without the title in grey, countries without lists paler still."""
    world = geometry()
    body = [f'<path class="map-none" d="{world["background"]}"/>']

    def shape(code: str, element: str) -> str:
        name = names.get(code, code)
        if code in ranks:
            css, label = band(ranks[code]), f"{name}: No. {ranks[code]}"
        elif code in listed:
            css, label = "map-out", f"{name}: not in the Top 10"
        else:
            css, label = "map-none", f"{name}: no lists that week"
        inner = element.replace("/>", f' class="{css}"><title>{escape(label)}</title></{element.split()[0][1:]}>', 1)
        return f'<a href="{escape(href(code))}">{inner}</a>' if code in listed else inner

    for code, path in world["countries"].items():
        body.append(shape(code, f'<path d="{path}"/>'))
    for code, (x, y) in world["dots"].items():
        body.append(shape(code, f'<circle cx="{x}" cy="{y}" r="{DOT_RADIUS}"/>'))
    description = (f"{title}, {week_text}: in the Top 10 of {len(ranks)} of the {len(listed)} countries with lists; "
                   + "; ".join(f"No. {rank} in {names.get(code, code)}" for code, rank in
                               sorted(ranks.items(), key=lambda item: (item[1], names.get(item[0], item[0])))[:5]))
    return Markup(
        f'<svg class="world-map" id="world-map" viewBox="0 0 {world["width"]:g} {world["height"]}" role="img" '
        f'aria-labelledby="world-map-title world-map-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="world-map-title">Where {escape(title)} was in the Top 10</title>'
        f'<desc id="world-map-desc">{escape(description)}</desc>' + "".join(body) + "</svg>")


def legend() -> list[tuple[str, str]]:
    """(CSS class, text) of the map's colours, for the legend under it."""
    return [(css, text) for _, css, text in BANDS] + [("map-out", "Lists, not in the Top 10"),
                                                      ("map-none", "No lists")]
