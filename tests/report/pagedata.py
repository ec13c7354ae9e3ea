"""Parse the reports' HTML (stdlib parser) into tables of (data-value, text) cells."""

from __future__ import annotations

from html.parser import HTMLParser


class PageData(HTMLParser):
    """Collect tables (by id), header keys, element ids/texts and script/svg counts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict] = {}
        self.ids: dict[str, str] = {}
        self.tags: dict[str, int] = {}
        self.links: list[str] = []
        self._table = None
        self._cell = None
        self._row = None
        self._id_stack: list[tuple[str, str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "table":
            self._table = {"keys": [], "rows": [], "cls": {}}
            self.tables[a.get("id", f"t{len(self.tables)}")] = self._table
        elif tag == "th" and self._table is not None:
            self._table["keys"].append(a.get("data-key"))
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = {
                "value": a.get("data-value"),
                "text": "",
                "cls": a.get("class", ""),
                "title": a.get("title", ""),
                "v": "",
                "in_v": False,
            }
        elif tag == "span" and self._cell is not None and a.get("class") == "v":
            self._cell["in_v"] = True
        if "id" in a and tag not in ("table", "svg", "g", "path", "clippath"):
            self._id_stack.append((tag, a["id"], []))

    def handle_endtag(self, tag):
        if tag == "span" and self._cell is not None:
            self._cell["in_v"] = False
        if tag == "td" and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        if self._id_stack and self._id_stack[-1][0] == tag:
            _, ident, parts = self._id_stack.pop()
            self.ids[ident] = "".join(parts).strip()
            if self._id_stack:
                self._id_stack[-1][2].append("".join(parts))

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data
            if self._cell["in_v"]:
                self._cell["v"] += data
        if self._id_stack:
            self._id_stack[-1][2].append(data)

    def column(self, table_id: str, key: str) -> list[dict]:
        """Cells of one column (by data-key) of a table."""
        t = self.tables[table_id]
        j = t["keys"].index(key)
        return [row[j] for row in t["rows"]]

    def records(self, table_id: str) -> list[dict[str, dict]]:
        """Rows of a table as {data-key: cell}."""
        t = self.tables[table_id]
        return [dict(zip(t["keys"], row, strict=True)) for row in t["rows"]]


def parse_page(path) -> PageData:
    """Parse an HTML file."""
    p = PageData()
    with open(path, encoding="utf-8") as fh:
        p.feed(fh.read())
    p.close()
    return p
