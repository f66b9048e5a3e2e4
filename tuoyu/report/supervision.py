"""Section 五: supervision: risk and credit grades, inspection and assessment coverage, quality
scores by dimension, and inclusive fees against the cap in force."""

from __future__ import annotations

from typing import Any

from tuoyu.report.basis import Basis
from tuoyu.report.labels import CREDIT_ZH, QUALITY_DIMENSIONS_ZH, RISK_ZH
from tuoyu.report.model import Block, Facts, Heading, Paragraph, Section, Table, cell
from tuoyu.report.numbers import count, decimal, money, percent


def supervision_section(basis: Basis) -> Section:
    d = basis.snapshot["district"]
    blocks: list[Block] = [Heading("风险与信用分级"), *_grades(d)]
    blocks += [Heading("检查与质量评估"), *_inspections(d)]
    blocks += [Heading("普惠托育收费"), *_fees(d)]
    return Section("综合监管", blocks)


def _grades(d: dict[str, Any]) -> list[Block]:
    risk, credit = d["institutions_by_risk"], d["institutions_by_credit"]
    head = ["分级", *(RISK_ZH[k] for k in risk), "合计"]
    risk_row = [
        cell("风险等级"),
        *(cell(count(v), "num") for v in risk.values()),
        cell(count(sum(risk.values())), "num"),
    ]
    credit_head = ["分级", *(CREDIT_ZH[k] for k in credit), "合计"]
    credit_row = [
        cell("信用等级"),
        *(cell(count(v), "num") for v in credit.values()),
        cell(count(sum(credit.values())), "num"),
    ]
    return [
        Paragraph("运营中托育机构按最近一次「风险＋信用」分级评定的分布如下（单位：家）。"),
        Table("运营机构风险等级分布", head, [risk_row]),
        Table("运营机构信用等级分布", credit_head, [credit_row]),
    ]


def _inspections(d: dict[str, Any]) -> list[Block]:
    scores = d["quality_scores"]
    rows = [[cell(QUALITY_DIMENSIONS_ZH.get(k, k)), cell(decimal(v, 1), "num")] for k, v in scores.items()]
    return [
        Facts(
            [
                ("本年度检查覆盖率", percent(d["inspected_share"])),
                ("质量评估覆盖率(近365天)", percent(d["assessed_share"])),
                ("最近一次检查不合格机构", f"{count(d['failed_latest'])}家"),
                ("高风险且90天内未检查机构", f"{count(d['high_risk_uninspected'])}家"),
            ]
        ),
        Paragraph(
            "检查覆盖率为本年度接受过日常、飞行、投诉核查或督导检查的运营机构占比；质量评估覆盖率为近365天内"
            "接受过质量评估的运营机构占比。各维度质量评分为运营机构最近一次质量评估得分的平均值（满分100分）。"
        ),
        Table("质量评估各维度平均得分", ["评估维度", "平均得分"], rows, style="narrow"),
    ]


def _fees(d: dict[str, Any]) -> list[Block]:
    cap = d["inclusive_fee_cap_yuan"]
    return [
        Facts(
            [
                ("现行普惠收费上限(月)", money(cap) if cap is not None else "未设定"),
                ("普惠机构月收费均值", money(d["inclusive_fee_mean"])),
                ("收费高于上限的普惠机构", f"{count(d['inclusive_over_cap'])}家"),
            ]
        ),
        Paragraph(
            "月收费均值为运营中普惠托育机构最近一次报备的月收费的平均值；收费上限为数据截至日已生效的普惠托育收费上限。"
        ),
    ]
