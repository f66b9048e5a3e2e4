"""The report's content as plain data, which the template lays out: numbered sections of blocks
(paragraphs, lists, key figures, tables, charts, a code block). Everything is text already
formatted, so the template decides nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

CHINESE_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Cell:
    """A table cell with a style: `status-met`, `status-behind`, `status-missed`, `num`, …"""

    text: str
    style: str = ""


@dataclass
class Paragraph:
    kind: ClassVar[str] = "paragraph"
    text: str


@dataclass
class Heading:
    """A sub-heading within a section: （一）, （二), … numbered when the report is assembled."""

    kind: ClassVar[str] = "heading"
    text: str
    number: str = ""


@dataclass
class Items:
    kind: ClassVar[str] = "items"
    items: list[str]


@dataclass
class Facts:
    """Key figures: label and value pairs laid out in a grid."""

    kind: ClassVar[str] = "facts"
    items: list[tuple[str, str]]


@dataclass
class Table:
    kind: ClassVar[str] = "table"
    caption: str
    head: list[str]
    rows: list[list[Cell]]
    note: str | None = None
    style: str = ""
    number: int = 0


@dataclass
class Figure:
    kind: ClassVar[str] = "figure"
    caption: str
    svg: str
    note: str | None = None
    number: int = 0


@dataclass
class Code:
    kind: ClassVar[str] = "code"
    text: str


Block = Paragraph | Heading | Items | Facts | Table | Figure | Code


@dataclass
class Section:
    title: str
    blocks: list[Block]
    number: str = ""


@dataclass
class Report:
    title: str
    sender: str
    recipient: str
    as_of: str
    known_at: str | None
    period: str
    sections: list[Section] = field(default_factory=list)

    def numbered(self) -> Report:
        """Number sections 一、二、…, sub-headings （一）… within each, tables and figures through."""
        tables = figures = 0
        for index, section in enumerate(self.sections):
            section.number = CHINESE_NUMERALS[index]
            headings = 0
            for block in section.blocks:
                if isinstance(block, Heading):
                    block.number = CHINESE_NUMERALS[headings]
                    headings += 1
                elif isinstance(block, Table):
                    tables += 1
                    block.number = tables
                elif isinstance(block, Figure):
                    figures += 1
                    block.number = figures
        return self


def cell(text: str, style: str = "") -> Cell:
    return Cell(text, style)


def cells(*texts: str, style: str = "") -> list[Cell]:
    return [Cell(t, style) for t in texts]
