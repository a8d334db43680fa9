"""The web app under attack: path traversal towards the warehouse, the package and the system,
and generated hostile values (injection, markup, control characters, huge and malformed
numbers, very long text) in every path and query parameter of every route. Every answer is a
200 or a clear 4xx with the security headers, never a 500, never a file it should not serve,
and never the attacker's markup unescaped."""

from __future__ import annotations

import re
import warnings
from typing import Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import build_warehouse

from viewrank.web import create_app
from viewrank.web.reports import REPORTS

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

# What must never appear in an answer: a system file, the warehouse's files, the package's source.
SECRETS = ("root:x:0:0", '"list_size"', "DUCK", "def create_app", "import duckdb")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = build_warehouse(tmp_path_factory.mktemp("fuzz") / "warehouse")
    with TestClient(create_app(root), raise_server_exceptions=False) as test_client:
        yield test_client


def assert_safe(response: object, path: str) -> None:
    status, headers, body = response.status_code, response.headers, response.text  # type: ignore[attr-defined]
    assert status in (200, 400, 404), (path, status, body[:300])
    assert headers["x-content-type-options"] == "nosniff", path
    framing = "frame-ancestors *" if path.startswith("/widget/") else "frame-ancestors 'none'"  # the widget alone
    assert framing in headers["content-security-policy"], path
    assert not any(secret in body for secret in SECRETS), (path, body[:300])
    if headers.get("content-type", "").startswith("text/html"):  # JSON carries hostile titles as data
        assert "<script>alert" not in body and "<img src=x" not in body, path


TRAVERSALS = ["%2e%2e/%2e%2e/%2e%2e/etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e%2f" * 8 + "etc%2fpasswd",
              "..%2fapp.py", "%2e%2e/app.py", "..%2f..%2fviewrank.duckdb", "..%2f..%2fsettings.json",
              "%2e%2e%5c%2e%2e%5csettings.json", "....//....//etc/passwd", "%252e%252e%252fetc%252fpasswd",
              "..%00/etc/passwd", "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd"]


@pytest.mark.parametrize("prefix", ["/static/", "/titles/", "/countries/", "/weeks/", "/downloads/weeks/",
                                    "/downloads/all-weeks-", "/api/titles/", "/api/reports/", "/feeds/countries/",
                                    "/widget/countries/", "/"])
@pytest.mark.parametrize("attack", TRAVERSALS)
def test_no_path_reaches_a_file_it_should_not(client: TestClient, prefix: str, attack: str) -> None:
    response = client.get(prefix + attack)
    assert_safe(response, prefix + attack)
    assert response.status_code != 200 or not prefix.startswith("/static/"), prefix + attack


HOSTILE = st.sampled_from([
    "", " ", "latest", "0", "-1", "1e9", "99999999999999999999999", "NaN", "2026-11-15", "2026-02-30", "US", "us",
    "F01", "S01-2", "tv-english", "-views", "' OR '1'='1", "1; DROP TABLE titles; --", "\" UNION SELECT * FROM titles --",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{7*7}}", "${jndi:ldap://x}", "%00", "\x00",
    "\u202eevil", "💥", "../../etc/passwd", "..\\..\\settings.json", "x" * 5000, "read_csv('/etc/passwd')",
]) | st.text(max_size=60)
ROUTES = [
    "/weeks/{a}", "/weeks/{a}/countries", "/weeks/{a}/countries/{b}", "/countries/{a}", "/titles/{a}",
    "/titles/{a}/weeks/{b}", "/titles/{a}/factsheet", "/search?q={a}&page={b}", "/downloads/weeks/{a}/{b}",
    "/downloads/all-weeks-{a}", "/api/weeks/{a}/global?category={b}", "/api/weeks/{a}/countries",
    "/api/weeks/{a}/countries/{b}", "/api/titles?q={a}&page={b}&per_page={c}", "/api/titles/{a}?week={b}",
    "/api/titles/{a}/factsheet", "/api/titles/{a}/facts", "/api/reports/{a}?q={b}&sort={c}&page={b}",
    "/feeds/global/{a}.atom", "/feeds/countries/{a}.atom", "/widget/global/{a}?week={b}",
    "/widget/countries/{a}/{b}?week={c}", "/daily/{a}", "/daily/{a}/{b}", "/daily/lists/{a}", "/windows/{a}/{b}",
    "/windows/{a}/{b}/{c}", "/windows/lists/{a}", "/windows?from={a}&to={b}&list={c}", "/artwork/{a}",
    *[f"/{report.slug}?q={{a}}&sort={{b}}" for report in REPORTS], *[f"/{report.slug}/pages/{{a}}" for report in REPORTS],
    *[f"/{report.slug}/{{a}}?q={{b}}" for report in REPORTS], *[f"/{report.slug}/{{a}}/pages/{{b}}" for report in REPORTS],
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), a=HOSTILE, b=HOSTILE, c=HOSTILE)
def test_hostile_values_in_every_parameter(client: TestClient, route: str, a: str, b: str, c: str) -> None:
    path = route.format(a=quote(a, safe=""), b=quote(b, safe=""), c=quote(c, safe=""))
    assert_safe(client.get(path), path)


def test_the_fuzzed_routes_cover_every_route_with_parameters(client: TestClient) -> None:
    """A route added to the app without a fuzzed template would escape this suite."""
    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])
    served = {shape(route.path) for route in client.app.routes  # type: ignore[attr-defined]
              if "{" in getattr(route, "path", "") and not route.path.startswith("/static")}
    assert served - {shape(route) for route in ROUTES} == set()
