"""The report's content, section by section, from its basis."""

from __future__ import annotations

from datetime import date

from tuoyu.report.basis import Basis
from tuoyu.report.labels import RECIPIENT, SENDER, TITLE
from tuoyu.report.model import Report
from tuoyu.report.numbers import day, moment
from tuoyu.report.overview import overview_section
from tuoyu.report.record import record_section
from tuoyu.report.safety import safety_section
from tuoyu.report.supervision import supervision_section
from tuoyu.report.targets import targets_section
from tuoyu.report.townships import townships_section
from tuoyu.report.workforce import workforce_section

SECTIONS = (
    overview_section,
    targets_section,
    townships_section,
    safety_section,
    supervision_section,
    workforce_section,
    record_section,
)


def assemble(basis: Basis) -> Report:
    report = Report(
        TITLE,
        SENDER,
        RECIPIENT,
        as_of=moment(basis.as_of),
        known_at=moment(basis.known_at) if basis.known_at else None,
        period=f"{day(date.fromisoformat(basis.period_start))}至{moment(basis.as_of)}",
    )
    report.sections = [make(basis) for make in SECTIONS]
    return report.numbered()
