"""`tuoyu audit key|checkpoint|publish|prove|migrate|redact`: the record as a signed,
published log, the proofs checked against it, and the explicit migrations of older stores.

Exit codes as every `tuoyu` command: 0 done; 1 the record fails (nothing signed or published),
or nothing to do; 2 usage errors.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from tuoyu.service.commands.shared import registry
from tuoyu.service.config import settings_from_env

log = logging.getLogger("tuoyu.audit")


def register_actions(audit: Any) -> None:
    t = audit.add_parser("key", help="print the log's public key (a vkey), for whoever verifies its checkpoints")
    t.add_argument("--witness", action="store_true", help="the witness key's, if one is configured")
    t.set_defaults(run=_key)

    t = audit.add_parser("checkpoint", help="verify the record and print its signed checkpoint (size, Merkle root)")
    t.add_argument("--out", type=Path, help="also write the checkpoint to this file")
    t.set_defaults(run=_checkpoint)

    t = audit.add_parser("publish", help="sign the record's checkpoint and publish it (TUOYU_CHECKPOINT_DIR/_URL)")
    t.set_defaults(run=_publish)

    t = audit.add_parser("prove", help="an inclusion proof of one event, or a consistency proof of two checkpoints")
    t.add_argument("position", nargs="?", type=int, help="the event's position (see `tuoyu audit trail`)")
    t.add_argument("--from", dest="old", type=Path, help="the earlier checkpoint file")
    t.add_argument("--to", dest="new", type=Path, help="the later checkpoint file")
    t.add_argument("--checkpoint", type=Path, help="prove inclusion in this checkpoint (default: the newest published)")
    t.add_argument("--out", type=Path, help="write the proof here (default: standard output)")
    t.set_defaults(run=_prove)

    t = audit.add_parser("migrate", help="chain a store recorded before the audit chain (explicit and logged)")
    t.add_argument("--by", required=True, help="who runs the migration (recorded in the migration log)")
    t.set_defaults(run=_migrate)

    t = audit.add_parser("redact", help="erase a personal value of an event, recording why (the chain still verifies)")
    t.add_argument("position", type=int, help="the event's position")
    t.add_argument("field", help="the field's path in the stored event, e.g. event.note, event.address, recorded_by")
    t.add_argument("--reason", required=True, help="the request or legal basis (no personal data in it)")
    t.add_argument("--by", help="who redacts (default: the user running the command)")
    t.set_defaults(run=_redact)


def _audit_settings() -> Any:
    from tuoyu.service.auditing import audit_settings

    return audit_settings(settings_from_env())


def _key(args: argparse.Namespace) -> int:
    settings = _audit_settings()
    signer = settings.witness() if args.witness else settings.signer()
    if signer is None:
        print("tuoyu audit key: no witness key is configured (TUOYU_WITNESS_KEY)", file=sys.stderr)
        return 2
    print(signer.verifier.vkey())
    return 0


def _checkpoint(args: argparse.Namespace) -> int:
    from tuoyu.audit.log import NotPublished, signed_checkpoint

    try:
        checkpoint = signed_checkpoint(registry(args).recorder, _audit_settings().signer())
    except NotPublished as refused:
        return _refused("tuoyu audit checkpoint", refused)
    text = checkpoint.render()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    print(
        f"检查点: 事件 {checkpoint.events} 条 · 位置 {checkpoint.position} · 默克尔根 {checkpoint.signed_root().hex()}",
        file=sys.stderr,
    )
    return 0


def _refused(command: str, refused: Any) -> int:
    from tuoyu.service.commands.audit import say_verdict

    if refused.verdict is not None and not refused.verdict.intact:
        say_verdict(refused.verdict, command)
    print(f"{command}: 不出具检查点 (no checkpoint issued): {refused}", file=sys.stderr)
    return 1


def _publish(args: argparse.Namespace) -> int:
    from tuoyu.audit.log import NotPublished, publish
    from tuoyu.audit.merkle import ProofError

    settings = _audit_settings()
    try:
        published = publish(registry(args).recorder, settings.signer(), settings.publication(), settings.witness())
    except NotPublished as refused:
        return _refused("tuoyu audit publish", refused)
    except ProofError as error:
        print(
            f"tuoyu audit publish: 记录与上次发布的检查点不一致, 不发布 (the record does not extend the newest "
            f"published checkpoint: {error})",
            file=sys.stderr,
        )
        return 1
    checkpoint = published.checkpoint
    print(
        f"已发布检查点: 事件 {checkpoint.events} 条 · 默克尔根 {checkpoint.signed_root().hex()} → "
        f"{settings.publication().where}{' · 见证人已副署' if published.cosigned else ''}"
    )
    return 0


def _prove(args: argparse.Namespace) -> int:
    import orjson

    from tuoyu.audit.checkpoint import read_checkpoint
    from tuoyu.audit.log import newest_published, prove_consistency, prove_inclusion

    settings = _audit_settings()
    verifier = settings.verifier()
    recorder = registry(args).recorder
    if args.old or args.new:
        if not (args.old and args.new) or args.position is not None:
            raise ValueError("a consistency proof needs both --from CP1 and --to CP2, and no position")
        proof = prove_consistency(recorder, read_checkpoint(args.old, verifier), read_checkpoint(args.new, verifier))
    else:
        if args.position is None:
            raise ValueError("give an event position (inclusion) or --from CP1 --to CP2 (consistency)")
        checkpoint = (
            read_checkpoint(args.checkpoint, verifier)
            if args.checkpoint
            else newest_published(settings.publication(), verifier)
        )
        if checkpoint is None or checkpoint.root is None:
            raise ValueError(
                "no signed checkpoint to prove against: run `tuoyu audit publish` first, or give --checkpoint FILE"
            )
        proof = prove_inclusion(recorder, args.position, checkpoint)
    data = orjson.dumps(proof, option=orjson.OPT_INDENT_2) + b"\n"
    if args.out:
        args.out.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from tuoyu.audit.migration import migrate

    settings = _audit_settings()
    report = migrate(registry(args), settings, args.by)
    for line in report.lines:
        print(line)
    return 0 if report.done else 1


def _redact(args: argparse.Namespace) -> int:
    from tuoyu.audit.redaction import RedactionError, redact
    from tuoyu.service.tokens import operator

    try:
        digest = redact(registry(args), args.position, args.field, args.reason, args.by or operator())
    except RedactionError as error:
        print(f"tuoyu audit redact: {error}", file=sys.stderr)
        return 1
    print(
        f"已删除位置 {args.position} 的 {args.field} (摘要 {digest[:16]}…); 原因已记入审计记录; "
        "哈希链不受影响 (tuoyu verify)"
    )
    return 0
