"""Reading the site's HTML in tests: table rows by their data-label cells, and every href."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict[str, Any]] = []
        self.sections: list[str | None] = []
        self.row: dict[str, Any] | None = None
        self.cell: str | None = None
        self.text: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section":
            self.sections.append(values.get("id"))
        elif tag == "tr":
            self.row = {"_attrs": values, "_section": next((s for s in reversed(self.sections) if s), None)}
        elif tag in ("td", "th") and self.row is not None and values.get("data-label"):
            self.cell, self.text = values["data-label"], []
        if tag in ("a", "link", "script") and (values.get("href") or values.get("src")):
            self.hrefs.append(values.get("href") or values.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.sections:
            self.sections.pop()
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row[self.cell] = " ".join("".join(self.text).split())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if len(self.row) > 2:
                self.rows.append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.text.append(data)


def table_rows(html: str, section: str | None = None) -> list[dict[str, Any]]:
    """Rows of the page's tables as {data-label: text}, with '_attrs' and '_section' (enclosing section id)."""
    parser = _Rows()
    parser.feed(html)
    return [row for row in parser.rows if section is None or row["_section"] == section]


def hrefs(html: str) -> list[str]:
    """Every href and script src on the page."""
    parser = _Rows()
    parser.feed(html)
    return parser.hrefs
