"""Making the report: read the record, assemble the content, write HTML or PDF."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tuoyu.report.assemble import assemble
from tuoyu.report.basis import read_basis
from tuoyu.report.render import render_html, render_pdf

FORMATS = ("html", "pdf")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def make_report(
    recorder: Any,
    as_of: datetime,
    known_at: datetime | None = None,
    fmt: str = "html",
    parallel: Callable[[], Any] | None = None,
) -> bytes:
    """The report as of `as_of` from the events recorded by `known_at` (all when None), as HTML
    or PDF bytes. Raises basis.RecordAltered if the record it reads fails verification."""
    if fmt not in FORMATS:
        raise ValueError(f"report format {fmt!r} is not one of {', '.join(FORMATS)}")
    html = render_html(assemble(read_basis(recorder, as_of, known_at, parallel)))
    return render_pdf(html) if fmt == "pdf" else html
