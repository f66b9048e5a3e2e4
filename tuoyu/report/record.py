"""The last section: the record the report was built from, and how anyone can check it."""

from __future__ import annotations

from datetime import datetime

from tuoyu.projections.facts import SHANGHAI
from tuoyu.report.basis import Basis
from tuoyu.report.model import Block, Code, Facts, Paragraph, Section
from tuoyu.report.numbers import count, ends_a_day, moment


def record_section(basis: Basis) -> Section:
    known = f"且记录于{moment(basis.known_at)}之前" if basis.known_at else "且在生成本报告时已记录"
    blocks: list[Block] = [
        Paragraph(
            f"本报告全部数据由监测平台的事件记录重新计算得出：计入发生于{moment(basis.as_of)}之前{known}的事件。"
            "事件记录只增不改，每条事件按记录顺序编入哈希链（SHA-256），任何事后修改、删除、插入或调换都会使链值改变。"
        )
    ]
    checkpoint = basis.checkpoint
    if checkpoint is None:
        blocks.append(Paragraph("截至上述时间尚无已记录的事件，本报告无对应的检查点。"))
        return Section("数据来源与核验", blocks)
    blocks += [
        Facts(
            [
                ("存储位置", count(checkpoint.position)),
                ("事件数", f"{count(checkpoint.events)}条"),
                ("最新事件记录于", moment(datetime.fromisoformat(checkpoint.recorded_at))),
            ]
        ),
        Paragraph("该位置的链哈希（SHA-256）："),
        Code(checkpoint.link.hex()),
        Paragraph("核验方法：将下列检查点原样保存为文件 checkpoint.json："),
        Code(checkpoint.dumps().decode("utf-8").rstrip("\n")),
        Paragraph(
            "然后在平台所在环境运行下列命令。输出「记录完整」且「与检查点一致」，即说明本报告所依据的记录"
            "在报告生成之后未被改动；否则命令指出最早被改动的位置。"
        ),
        Code("tuoyu verify --checkpoint checkpoint.json"),
        Paragraph(_again(basis)),
    ]
    return Section("数据来源与核验", blocks)


def _again(basis: Basis) -> str:
    if basis.known_at is None:
        return (
            "本报告未指定记录截至时间，依据生成时的全部记录。如需日后重现，请在生成时以 --known-at 指定记录截至时间。"
        )
    command = f"tuoyu report --as-of {argument(basis.as_of)} --known-at {argument(basis.known_at)}"
    return f"运行 {command} 可重新生成本报告，所得文件与本报告逐字节相同（PDF须在相同版本的软件和字体下生成）。"


def argument(when: datetime) -> str:
    """A time as `tuoyu report` reads it back: a bare date for the end of a day."""
    local = when.astimezone(SHANGHAI)
    return local.date().isoformat() if ends_a_day(local) else local.isoformat()
