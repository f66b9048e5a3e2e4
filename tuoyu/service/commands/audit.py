"""The audit commands of `tuoyu`: `audit trail|diff|checkpoint|check|export` and `verify`.

Exit codes: 0 all is well; 1 the record or a view disagrees (or an unknown institution);
2 usage errors (bad dates, an unreadable checkpoint or bundle), as for every `tuoyu` command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from tuoyu.service.commands.shared import print_json, registry
from tuoyu.service.config import settings_from_env
from tuoyu.service.timeargs import parse_moment

TYPE_COLUMNS = ("位置", "事件编号", "类型", "镇街", "机构", "发生时间", "记录时间", "记录人")


def register(commands: Any) -> None:
    p = commands.add_parser("audit", help="audit: trails, diffs, checkpoints, consistency check, export")
    audit = p.add_subparsers(required=True, metavar="ACTION")

    t = audit.add_parser("trail", help="every event of an institution: when it occurred, when and by whom recorded")
    t.add_argument("institution_id")
    t.add_argument("--json", action="store_true")
    t.set_defaults(run=_paths_said(_trail))

    t = audit.add_parser("diff", help="figures that changed between two knowledge times, and the events why")
    t.add_argument("--from", dest="known_from", required=True, help="the earlier knowledge time (date or date-time)")
    t.add_argument("--to", dest="known_to", required=True, help="the later knowledge time (date or date-time)")
    t.add_argument("--as-of", help="business time of both snapshots (default: --to)")
    t.add_argument("--json", action="store_true")
    t.set_defaults(run=_paths_said(_diff))

    t = audit.add_parser("check", help="compare the live view with a replay from zero")
    t.add_argument("--json", action="store_true")
    t.set_defaults(run=_paths_said(_check))

    t = audit.add_parser("export", help="write a self-contained bundle of the record up to a time")
    t.add_argument("--as-of", required=True, help="events recorded up to then (date or date-time)")
    t.add_argument("--township", help="only this township's events, each with its proof against the checkpoint")
    t.add_argument(
        "--personal",
        action="store_true",
        help="include the personal values still held (only for a recipient allowed to see them)",
    )
    t.add_argument("out", type=Path, help="the bundle directory (created; must be empty or absent)")
    t.set_defaults(run=_paths_said(_export))

    from tuoyu.service.commands import audit_log

    audit_log.register_actions(audit)

    p = commands.add_parser("verify", help="recompute the hash chain; exit 1 if the record was altered")
    p.add_argument(
        "--checkpoint",
        type=Path,
        help="a checkpoint kept elsewhere (default: the newest published one, when there is one)",
    )
    p.add_argument("--bundle", type=Path, help="verify a bundle of `tuoyu audit export` instead of the store")
    p.add_argument("--proof", type=Path, help="verify a proof of `tuoyu audit prove` (no store needed)")
    p.add_argument(
        "--key",
        help="the log's public key (a vkey, or a file holding one; default TUOYU_LOG_VKEY or the local signing key's)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_paths_said(_verify))


def _parallel() -> Callable[[], Any]:
    """How verification worker processes open the store (see verify_store)."""
    from functools import partial

    from tuoyu.service.wiring import open_reader

    return partial(open_reader, settings_from_env())


def _recorder(args: argparse.Namespace) -> Any:
    """The store's recorder, open until the command returns."""
    return registry(args).recorder


def _paths_said(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A path that cannot be read or written is a usage error that names it (exit 2)."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except OSError as error:  # an --out or bundle path that cannot be written or read
            if error.filename is None:
                raise
            print(f"tuoyu: 无法访问 {error.filename} ({error.strerror or error})", file=sys.stderr)
            return 2

    return run


def _township_zh(township: str | None) -> str:
    from tuoyu.domain.catalogue import DISTRICT_NAME_ZH, TOWNSHIP_BY_ID

    if township in TOWNSHIP_BY_ID:
        return TOWNSHIP_BY_ID[township].name_zh
    return DISTRICT_NAME_ZH if township in (None, "district") else township


def _event_rows(entries: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            str(e["position"]),
            str(e["event_id"]),
            str(e["type"]),
            _township_zh(e.get("township")),
            e.get("institution_id") or "—",
            str(e["occurred_at"]),
            str(e["recorded_at"]),
            str(e.get("recorded_by") or "—"),
        ]
        for e in entries
    ]


def _trail(args: argparse.Namespace) -> int:
    from tuoyu.audit.trail import trail
    from tuoyu.service.tables import render

    entries = trail(_recorder(args), args.institution_id)
    if entries is None:
        print(
            f"tuoyu audit trail: 没有机构 {args.institution_id!r} 的任何记录 (no institution "
            f"{args.institution_id!r} was ever recorded)",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print_json({"institution_id": args.institution_id, "events": entries})
        return 0
    print(f"机构 {args.institution_id} 的审计轨迹 · 共 {len(entries)} 条事件")
    print()
    print(render([list(TYPE_COLUMNS), *_event_rows(entries)]))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from tuoyu.audit.trail import diff
    from tuoyu.service.tables import render
    from tuoyu.views.reading import read_facts

    known_from = parse_moment(args.known_from, "--from")
    known_to = parse_moment(args.known_to, "--to")
    as_of = parse_moment(args.as_of, "--as-of") if args.as_of else known_to
    if known_from > known_to:
        raise ValueError(f"--from {args.known_from!r} is after --to {args.known_to!r}")
    recorder = _recorder(args)
    result = diff(lambda: read_facts(recorder), known_from, known_to, as_of)
    if args.json:
        print_json(result)
        return 0
    print(
        f"审计对比 · 已知记录 {result['from']} → {result['to']} · 数据截至 {result['as_of']} · "
        f"事件位置 {result['position_from']} → {result['position_to']}"
    )
    print()
    if result["changes"]:
        rows = [["指标", "之前", "之后", "相关事件(位置)"]]
        for change in result["changes"]:
            causes = change["events"]
            shown = ", ".join(map(str, causes[:8])) + (f" 等 {len(causes)} 条" if len(causes) > 8 else "")
            rows.append([change["path"], _value(change["before"]), _value(change["after"]), shown or "—"])
        print(render(rows))
    else:
        print("指标无变化")
    print()
    if result["events"]:
        rows = [[*TYPE_COLUMNS, "说明"]]
        for entry, row in zip(result["events"], _event_rows(result["events"]), strict=True):
            note = "补报/更正" if entry["late"] else ("晚于数据截至时间" if not entry["counted"] else "")
            rows.append([*row, note or "—"])
        print(f"期间记录的事件 {len(result['events'])} 条")
        print(render(rows))
    else:
        print("期间没有记录事件")
    return 0


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if not isinstance(value, (dict, list)) else orjson.dumps(value).decode()


def _check(args: argparse.Namespace) -> int:
    from tuoyu.audit.check import check_view
    from tuoyu.service.wiring import open_view_recorder

    settings = settings_from_env()
    views = open_view_recorder(settings)
    try:
        report = check_view(_recorder(args), views)
    finally:
        views.datastore.close()
    if args.json:
        print_json(report.as_dict())
    elif not report.stored:
        print(
            f"视图 {report.view} 尚未生成 (no live view stored yet; run `tuoyu project --once`); "
            f"存储位置 {report.store_position}"
        )
    elif report.consistent:
        print(
            f"一致: 视图 {report.view} (位置 {report.position}) 与从零重放的结果相同; 存储位置 {report.store_position}"
        )
    else:
        from tuoyu.service.tables import render

        print(
            f"不一致: 视图 {report.view} (位置 {report.position}) 与从零重放的结果有 {len(report.differences)} 处不同"
        )
        rows = [["路径", "实时视图", "重放"]]
        rows += [[path, _value(live), _value(replayed)] for path, live, replayed in report.differences[:50]]
        print(render(rows))
    return 0 if report.consistent else 1


def _export(args: argparse.Namespace) -> int:
    from tuoyu.audit.bundle import NotExportable, export_bundle

    moment = parse_moment(args.as_of, "--as-of")
    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        print(f"tuoyu audit export: {args.out} exists and is not an empty directory", file=sys.stderr)
        return 2
    if args.township is not None:
        from tuoyu.domain.catalogue import TOWNSHIP_IDS

        if args.township not in TOWNSHIP_IDS:
            raise ValueError(f"--township {args.township!r}: expected one of {', '.join(TOWNSHIP_IDS)}")
    settings = _audit_settings()
    try:
        exported = export_bundle(
            _recorder(args), moment, args.out, settings.signer(), township=args.township, personal=args.personal
        )
    except NotExportable as refused:
        say_verdict(refused.verdict, "tuoyu audit export")
        print("tuoyu audit export: 记录未通过校验或为空, 不导出 (nothing exported)", file=sys.stderr)
        return 1
    scope = f"镇街 {args.township} 的 " if args.township else ""
    print(
        f"导出{scope} {exported.events} 条事件 (记录位置 1-{exported.position}) 到 {args.out}; 检查点默克尔根 "
        f"{exported.checkpoint.signed_root().hex()}; 另一台机器: tuoyu verify --bundle {args.out} --key "
        f"'{settings.signer().verifier.vkey()}' && tuoyu replay --bundle {args.out}"
    )
    return 0


def _audit_settings() -> Any:
    from tuoyu.service.auditing import audit_settings

    return audit_settings(settings_from_env())


def _verifier(args: argparse.Namespace) -> Any:
    return verifier_of(args.key)


def verifier_of(key: str | None) -> Any:
    """The log's public key: `key` (a vkey or a file holding one), TUOYU_LOG_VKEY, or the local
    signing key's (None: none here)."""
    from tuoyu.audit.note import parse_vkey

    if key:
        path = Path(key)
        return parse_vkey(path.read_text(encoding="utf-8") if path.is_file() else key)
    return _audit_settings().verifier()


def _reader(args: argparse.Namespace) -> Any:
    """The store opened read-only (verification never writes), until the command returns."""
    from tuoyu.service.wiring import open_reader

    return args.resources.enter_context(open_reader(settings_from_env())).recorder


def _verify(args: argparse.Namespace) -> int:
    if args.proof:
        return _verify_proof(args)
    from tuoyu.audit.checkpoint import read_checkpoint

    verifier = _verifier(args)
    checkpoint = read_checkpoint(args.checkpoint, verifier) if args.checkpoint else None
    if checkpoint is not None and checkpoint.note is not None and verifier is None:
        raise ValueError(
            f"--checkpoint {args.checkpoint} is signed: give the log's public key with --key "
            "(`tuoyu audit key` prints it) to check its signature"
        )
    if args.bundle:
        from tuoyu.audit.bundle_check import verify_bundle

        verdict = verify_bundle(args.bundle, checkpoint, verifier)
    else:
        from tuoyu.audit.log import newest_published
        from tuoyu.audit.store import verify_store

        if checkpoint is None and verifier is not None:
            checkpoint = newest_published(_audit_settings().publication(), verifier)
        verdict = verify_store(_reader(args), checkpoint, parallel=_parallel())
    if args.json:
        print_json(verdict.as_dict())
    else:
        say_verdict(verdict, "tuoyu verify")
    return 0 if verdict.intact else 1


def _verify_proof(args: argparse.Namespace) -> int:
    from tuoyu.audit.proofs import check_proof, read_proof

    verifier = _verifier(args)
    if verifier is None:
        raise ValueError("--key is required to verify a proof: the log's public key (`tuoyu audit key` prints it)")
    result = check_proof(read_proof(args.proof), verifier)
    if args.json:
        print_json(result.as_dict())
    elif result.valid:
        print(f"证明有效 (valid): {result.detail}")
    else:
        print(f"tuoyu verify: 证明无效 (invalid {result.kind} proof): {result.detail}", file=sys.stderr)
    return 0 if result.valid else 1


def say_verdict(verdict: Any, command: str) -> None:
    from tuoyu.audit.verify import KIND_ZH

    if verdict.intact:
        head = verdict.head
        where = f"链头位置 {head.position} · 链哈希 {head.link.hex()}" if head else "存储为空"
        checked = " · 与检查点一致" if verdict.checkpoint_checked else ""
        print(f"记录完整 (intact): 已校验 {verdict.events} 条事件 · {where}{checked}")
        return
    finding = verdict.finding
    where = f"位置 {finding.position} 或之前" if finding.at_or_before else f"位置 {finding.position}"
    print(
        f"{command}: 记录已被改动 (tampered): {where} {KIND_ZH[finding.kind]} ({finding.kind}, first position "
        f"{'at or before ' if finding.at_or_before else ''}{finding.position}): {finding.detail}",
        file=sys.stderr,
    )
