"""Section 六: training of heads, caregivers and health staff, and parenting guidance."""

from __future__ import annotations

from typing import Any

from tuoyu.report.basis import Basis
from tuoyu.report.labels import kpi_zh
from tuoyu.report.model import Block, Facts, Heading, Paragraph, Section
from tuoyu.report.numbers import count, kpi_value, percent
from tuoyu.report.targets import target_lines

TRAINING_KPIS = ("heads_trained", "caregivers_trained")


def workforce_section(basis: Basis) -> Section:
    d = basis.snapshot["district"]
    blocks: list[Block] = [Heading("从业人员培训"), *_training(basis, d)]
    blocks += [Heading("家庭养育指导"), *_guidance(basis, d)]
    return Section("队伍建设与家庭养育指导", blocks)


def _training(basis: Basis, d: dict[str, Any]) -> list[Block]:
    facts = [
        ("机构负责人培训(累计)", f"{count(d['heads_trained'])}人次"),
        ("保育人员培训(累计)", f"{count(d['caregivers_trained'])}人次"),
        ("卫生保健培训(累计)", f"{count(d['health_trained'])}人次"),
        ("保育人员", f"{count(d['caregivers'])}人"),
        ("持证保育人员", f"{count(d['certified_caregivers'])}人"),
        ("保育人员持证率", percent(d["certified_share"])),
    ]
    facts += [
        ("卫生保健人员", f"{count(d['health_staff'])}人"),
        ("新设机构未按时岗前培训", f"{count(d['new_without_health_training'])}家"),
    ]
    blocks: list[Block] = [Facts(facts)]
    progress = [
        _progress(line)
        for line in target_lines(basis.snapshot["targets"])
        if line["kpi"] in (*TRAINING_KPIS, "certified_share") and line["scope"] == "district"
    ]
    if progress:
        blocks.append(Paragraph("培训目标进展：" + "；".join(progress) + "。培训人次按目标起始日以来完成的培训计。"))
    return blocks


def _progress(line: dict[str, Any]) -> str:
    kpi = line["kpi"]
    return (
        f"{kpi_zh(kpi)}目标{kpi_value(kpi, line['value'])}（{line['due']}到期），"
        f"当前{kpi_value(kpi, line['actual'])}，按进度应达{kpi_value(kpi, line['expected'])}"
    )


def _guidance(basis: Basis, d: dict[str, Any]) -> list[Block]:
    facts = [
        ("科学育儿指导活动(累计)", f"{count(d['guidance_activities'])}场"),
        ("参与(累计)", f"{count(d['guidance_participants'])}人次"),
    ]
    facts += [
        ("本年度线下活动", f"{count(d['guidance_offline_year'])}场"),
        ("本年度线上活动", f"{count(d['guidance_online_year'])}场"),
        ("本年度参与", f"{count(d['guidance_participants_year'])}人次"),
    ]
    blocks: list[Block] = [Facts(facts)]
    progress = [
        _progress(line)
        for line in target_lines(basis.snapshot["targets"])
        if line["kpi"] == "offline_guidance_activities"
    ]
    if progress:
        blocks.append(Paragraph("线下科学育儿指导目标进展：" + "；".join(progress) + "。"))
    return blocks
