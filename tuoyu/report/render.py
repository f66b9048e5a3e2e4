"""Writing the report: HTML from the Jinja2 template (package data), PDF from that HTML with
WeasyPrint. Neither reads a clock or fetches anything, so the same content gives the same bytes
(for the PDF: with the same WeasyPrint, Pango and fonts; see docs/report.md)."""

from __future__ import annotations

from functools import cache
from hashlib import sha256
from typing import Any

import jinja2

from tuoyu.report.model import Report


class MissingGlyphs(RuntimeError):
    """The PDF would show characters as empty boxes: no installed font has them."""


class OutsideResource(RuntimeError):
    """The HTML refers to something outside it (a bug of the template: the report is self-contained)."""


@cache
def _environment() -> jinja2.Environment:
    # PackageLoader reads the templates through importlib: the installed package works like the checkout.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tuoyu.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_html(report: Report) -> bytes:
    return _environment().get_template("report.html.j2").render(r=report).encode("utf-8")


def render_pdf(html: bytes) -> bytes:
    """The PDF of the report's HTML. Its file identifier is the HTML's digest and it carries no
    creation date, so the same HTML gives the same PDF."""
    from weasyprint import HTML, URLFetcher  # imported here: it takes a second, and only the PDF needs it
    from weasyprint.urls import FatalURLFetchingError

    # No protocol allowed: the report is made from the record alone, and a reference to anything
    # outside it stops the rendering instead of being fetched (or silently skipped).
    nothing = URLFetcher(allowed_protocols=(), fail_on_errors=True)
    try:
        document = HTML(string=html.decode("utf-8"), url_fetcher=nothing).render()
        pdf = document.write_pdf(pdf_identifier=sha256(html).hexdigest()[:32].encode("ascii"))
    except FatalURLFetchingError as error:  # a BaseException in WeasyPrint: turned into an error of ours
        raise OutsideResource(f"{error}: the report may load nothing from outside itself") from None
    _check_glyphs(document)
    return pdf


def _check_glyphs(document: Any) -> None:
    # WeasyPrint renders a character no font has as the font's .notdef box, and keeps the
    # code point in Font.missing (weasyprint/pdf/fonts.py, pinned version; see the contract
    # test in tests/unit/test_report_render.py).
    missing = sorted({chr(code) for font in document.fonts.values() for code in font.missing})
    if missing:
        shown = "".join(missing[:20])
        raise MissingGlyphs(
            f"no installed font has {len(missing)} character(s) of the report ({shown}…); "
            "install Debian's fonts-noto-cjk (scripts/ensure-tools.sh does)"
        )
