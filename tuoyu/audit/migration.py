"""`tuoyu audit migrate`: the explicit, logged migration of a store recorded by an earlier release.

- A store recorded before the audit chain (events, no chain rows) is chained, in one
  transaction. Nothing else ever fills a chain: opening a store never does, and a chain table
  dropped or emptied behind the platform's back is what `tuoyu verify` reports as tampering.
  So the migration refuses a store for which a checkpoint was ever published (it had a chain).
- Tokens issued before grants were events (the table `tuoyu_tokens`) are granted again as
  events, with the same digests, so they keep working and enter the record.

Each migration is logged: to the process log, and as a JSON line in DATA_DIR/audit/migrations.log
(time, who, what, how many events, the chain's head link), kept outside the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import orjson

from tuoyu import clock
from tuoyu.audit.checkpoint import CheckpointError
from tuoyu.audit.log import newest_published
from tuoyu.domain.tokens import Token

log = logging.getLogger("tuoyu.audit.migration")


@dataclass
class MigrationReport:
    done: bool = False
    lines: list[str] = field(default_factory=list)


def migrate(registry: Any, settings: Any, by: str) -> MigrationReport:
    report = MigrationReport()
    recorder = registry.recorder
    events_end, _ = recorder.chain_extent() if recorder.has_chain_table() else (recorder.max_notification_id() or 0, 0)
    chained = recorder.select_chain_rows(0, 1) if recorder.has_chain_table() else []
    if events_end and not chained:
        published = _published_size(settings)
        if published:
            report.lines.append(
                f"拒绝迁移: 该记录曾发布检查点 (事件 {published} 条), 说明它原有哈希链; "
                "链表被删除或清空属于篡改, 不能重新建链 (refused: a checkpoint of this log was "
                "published, so its chain existed; run `tuoyu verify`)"
            )
            return report
        result = recorder.migrate_chain()
        if result is not None:
            count, head = result
            _log(settings, by, "chain", count, head.hex())
            report.lines.append(f"已为 {count} 条旧事件建立哈希链, 链头 {head.hex()}; 迁移已记录")
            report.done = True
    granted = _grant_legacy_tokens(registry, by)
    if granted:
        _log(settings, by, "tokens", granted, None)
        report.lines.append(f"已将 {granted} 个旧令牌登记为审计记录中的授权事件")
        report.done = True
    if not report.done:
        report.lines.append("无需迁移 (nothing to migrate)")
    return report


def _published_size(settings: Any) -> int:
    verifier = settings.verifier()
    if verifier is None:
        return 0
    try:
        checkpoint = newest_published(settings.publication(), verifier)
    except (CheckpointError, OSError):
        return 1  # something is published there: treat the log as one that had a chain
    return checkpoint.events if checkpoint is not None else 0


def _grant_legacy_tokens(registry: Any, by: str) -> int:
    recorder = registry.recorder
    known = {row[1] for row in recorder.select_token_view()}
    granted = 0
    for name, role, digest, _created_at, revoked_at in recorder.select_legacy_tokens():
        if name in known:
            continue
        token = Token.grant(name, role, digest, f"{by} (migration of tuoyu_tokens)", registry.clock())
        if revoked_at:
            token.revoke(name, f"{by} (migration of tuoyu_tokens)", registry.clock())
        registry.save(token)
        granted += 1
    return granted


def _log(settings: Any, by: str, what: str, count: int, head: str | None) -> None:
    entry = {"at": clock.now().isoformat(timespec="seconds"), "by": by, "migrated": what, "count": count, "head": head}
    log.warning("audit migration: %s", entry)
    path = settings.key_file.parent / "migrations.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as out:
        out.write(orjson.dumps(entry) + b"\n")
