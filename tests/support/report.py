"""Reading a monitoring report back as a person reads it: its section headings, its tables by
caption, its key figures by label and its code blocks, from the HTML alone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class ReadReport:
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    tables: dict[str, list[list[str]]] = field(default_factory=dict)  # caption without 表N → body rows
    heads: dict[str, list[str]] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    svgs: int = 0

    def table(self, caption: str) -> list[list[str]]:
        return self.tables[caption]

    def row(self, caption: str, first: str) -> dict[str, str]:
        """The row of a table whose first cell is `first`, by column heading."""
        found = [r for r in self.tables[caption] if r[0] == first]
        assert len(found) == 1, (caption, first, self.tables[caption])
        return dict(zip(self.heads[caption], found[0], strict=True))

    def text(self) -> str:
        return "\n".join([*self.paragraphs, *self.items])


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.report = ReadReport()
        self.stack: list[tuple[str, str]] = []  # (tag, class)
        self.text: list[str] = []
        self.table: dict | None = None
        self.row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = dict(attrs).get("class") or ""
        self.stack.append((tag, classes))
        if tag in ("h1", "h2", "h3", "p", "li", "td", "th", "caption", "pre", "figcaption"):
            self.text = []
        if tag == "table":
            self.table = {"class": classes, "caption": "", "head": [], "rows": [], "in_head": False}
        elif tag == "thead" and self.table is not None:
            self.table["in_head"] = True
        elif tag == "tbody" and self.table is not None:
            self.table["in_head"] = False
        elif tag == "tr":
            self.row = []
        elif tag == "svg":
            self.report.svgs += 1

    def handle_endtag(self, tag: str) -> None:
        text = re.sub(r"\s+", " ", "".join(self.text)).strip() if tag != "pre" else "".join(self.text)
        if self.stack:
            self.stack.pop()
        report, table = self.report, self.table
        if tag == "h1":
            report.title = text
        elif tag == "h2":
            report.sections.append(text)
        elif tag == "h3":
            report.headings.append(text)
        elif tag == "p" and not any(t == "figure" for t, _ in self.stack):
            report.paragraphs.append(text)
        elif tag == "li":
            report.items.append(text)
        elif tag == "pre":
            report.code.append(text)
        elif tag == "figcaption":
            report.figures.append(re.sub(r"^图\d+\s*", "", text))
        elif tag == "caption" and table is not None:
            table["caption"] = re.sub(r"^表\d+\s*", "", text)
        elif tag in ("td", "th") and self.row is not None:
            self.row.append(text)
        elif tag == "tr" and table is not None and self.row is not None:
            self._row_done(table)
        elif tag == "table" and table is not None:
            if "data" in table["class"].split():
                report.tables[table["caption"]] = table["rows"]
                report.heads[table["caption"]] = table["head"]
            self.table = None

    def _row_done(self, table: dict) -> None:
        row, self.row = self.row, None
        if "facts" in table["class"] or "meta" in table["class"]:
            pairs = dict(zip(row[0::2], row[1::2], strict=True))
            (self.report.facts if "facts" in table["class"] else self.report.meta).update(pairs)
        elif table["in_head"]:
            table["head"] = row
        else:
            table["rows"].append(row)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read_report(html: bytes) -> ReadReport:
    reader = _Reader()
    reader.feed(html.decode("utf-8"))
    reader.close()
    return reader.report
