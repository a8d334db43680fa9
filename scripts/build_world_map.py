"""Build src/viewrank/web/geo/world.json, the world map's SVG paths, from world-atlas's TopoJSON.

The geometry is Natural Earth's 1:110m countries as the world-atlas npm package ships them
(ISC licence, copied beside the output). Run once when the geometry should change:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/build_world_map.py package/countries-110m.json

Countries are projected with the Equal Earth projection into a 960-wide view box; each Top 10
country becomes one path named by its ISO 3166-1 alpha-2 code, every other country one shared
background path, and countries too small for 1:110m (Singapore, Malta, ...) a dot.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "viewrank" / "web" / "geo"
WIDTH = 960.0
# ISO 3166-1 numeric -> alpha-2, for the countries that have Netflix Top 10 lists.
NUMERIC = {
    "784": "AE", "032": "AR", "040": "AT", "036": "AU", "050": "BD", "056": "BE", "100": "BG", "048": "BH",
    "068": "BO", "076": "BR", "044": "BS", "124": "CA", "756": "CH", "152": "CL", "170": "CO", "188": "CR",
    "196": "CY", "203": "CZ", "276": "DE", "208": "DK", "214": "DO", "218": "EC", "233": "EE", "818": "EG",
    "724": "ES", "246": "FI", "250": "FR", "826": "GB", "312": "GP", "300": "GR", "320": "GT", "344": "HK",
    "340": "HN", "191": "HR", "348": "HU", "360": "ID", "372": "IE", "376": "IL", "356": "IN", "352": "IS",
    "380": "IT", "388": "JM", "400": "JO", "392": "JP", "404": "KE", "410": "KR", "414": "KW", "422": "LB",
    "144": "LK", "440": "LT", "442": "LU", "428": "LV", "504": "MA", "474": "MQ", "470": "MT", "480": "MU",
    "462": "MV", "484": "MX", "458": "MY", "540": "NC", "566": "NG", "558": "NI", "528": "NL", "578": "NO",
    "554": "NZ", "512": "OM", "591": "PA", "604": "PE", "608": "PH", "586": "PK", "616": "PL", "620": "PT",
    "600": "PY", "634": "QA", "638": "RE", "642": "RO", "688": "RS", "682": "SA", "752": "SE", "702": "SG",
    "705": "SI", "703": "SK", "222": "SV", "764": "TH", "792": "TR", "780": "TT", "158": "TW", "804": "UA",
    "840": "US", "858": "UY", "862": "VE", "704": "VN", "710": "ZA",
}
# Top 10 countries absent from 1:110m, as (longitude, latitude) dots.
DOTS = {"BH": (50.55, 26.07), "SG": (103.82, 1.35), "HK": (114.17, 22.32), "MT": (14.38, 35.94),
        "MV": (73.22, 3.2), "MU": (57.55, -20.35), "GP": (-61.55, 16.25), "MQ": (-61.02, 14.64),
        "RE": (55.54, -21.12)}
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth projection (Šavrič, Patterson, Jenny 2018) of degrees, unscaled."""
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


X_MAX = equal_earth(180, 0)[0]
Y_MAX = equal_earth(0, 90)[1]
SCALE = WIDTH / (2 * X_MAX)
TOP_LAT = 84.0  # the view box runs from the Arctic coasts to 58°S (Antarctica is left out)
BOTTOM_LAT = -58.0
Y_TOP = equal_earth(0, TOP_LAT)[1]
HEIGHT = round((Y_TOP - equal_earth(0, BOTTOM_LAT)[1]) * SCALE)


def point(lon: float, lat: float) -> tuple[float, float]:
    x, y = equal_earth(lon, lat)
    return round((x + X_MAX) * SCALE, 1), round((Y_TOP - y) * SCALE, 1)


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)
    return arcs


def ring_path(ring: list[int], arcs: list[list[tuple[float, float]]]) -> str:
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)
    projected: list[tuple[int, int]] = []
    for lon, lat in points:  # whole units of a 960-wide box: finer than 1:110m shows
        x, y = point(lon, max(lat, BOTTOM_LAT))
        xy = (round(x), round(y))
        if not projected or projected[-1] != xy:
            projected.append(xy)
    if len(projected) < 3:
        return ""
    steps = [f"{x - px},{y - py}" for (px, py), (x, y) in zip(projected, projected[1:])]
    return f"M{projected[0][0]},{projected[0][1]}l" + " ".join(steps) + "z"


def geometry_path(geometry: dict, arcs: list[list[tuple[float, float]]]) -> str:
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    return "".join(ring_path(ring, arcs) for polygon in polygons for ring in polygon)


def main(source: str) -> None:
    topology = json.loads(Path(source).read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    countries, background = {}, []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("id") == "010" or "arcs" not in geometry:  # Antarctica
            continue
        path = geometry_path(geometry, arcs)
        code = NUMERIC.get(geometry.get("id", ""))
        if code:
            countries[code] = {"name": geometry["properties"]["name"], "d": path}
        else:
            background.append(path)
    missing = sorted(set(NUMERIC.values()) - set(countries) - set(DOTS))
    if missing:
        sys.exit(f"no geometry and no dot for {', '.join(missing)}")
    dots = {code: point(*where) for code, where in DOTS.items() if code not in countries}
    OUT.mkdir(parents=True, exist_ok=True)
    document = {"source": "world-atlas 2.0.2 countries-110m.json (Natural Earth 1:110m), Equal Earth projection",
                "width": WIDTH, "height": HEIGHT, "countries": {code: countries[code]["d"] for code in sorted(countries)},
                "dots": {code: list(xy) for code, xy in sorted(dots.items())}, "background": "".join(background)}
    (OUT / "world.json").write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    shutil.copyfile(Path(source).parent / "LICENSE", OUT / "LICENSE-world-atlas.txt")
    for code in sorted(countries):
        print(code, countries[code]["name"])
    print(f"{len(countries)} countries, {len(dots)} dots, {len(background)} background shapes, "
          f"{(OUT / 'world.json').stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
