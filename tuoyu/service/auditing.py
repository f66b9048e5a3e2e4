"""Where the audit log's keys and published checkpoints are (environment variables, docs/audit.md).

TUOYU_LOG_ORIGIN          the log's name in its checkpoints and signatures (default below)
TUOYU_LOG_KEY             the log's Ed25519 signing key (default DATA_DIR/audit/log.key, made on first use, 0600)
TUOYU_LOG_VKEY            the log's public key (a vkey, or a file holding one): verifying where the
                          signing key is not (default: derived from TUOYU_LOG_KEY when it exists)
TUOYU_CHECKPOINT_DIR      where checkpoints are published (default DATA_DIR/checkpoints)
TUOYU_CHECKPOINT_URL      or an HTTP(S) URL they are PUT to and read back from (then the directory is unused)
TUOYU_CHECKPOINT_EVERY    seconds between publications by `tuoyu serve` (default 86400, daily; 0: never)
TUOYU_WITNESS_KEY         an optional witness's Ed25519 key: publications are then cosigned
TUOYU_WITNESS_NAME        the witness's name (default below)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tuoyu.audit.keys import log_signer, witness_signer
from tuoyu.audit.note import Signer, Verifier, parse_vkey
from tuoyu.audit.publish import Directory, Publication, Url
from tuoyu.service.config import ConfigError, Settings

DEFAULT_ORIGIN = "mentougou.tuoyu/audit-log"
DEFAULT_WITNESS = "mentougou.tuoyu/witness"
DAY = 86_400


@dataclass(frozen=True)
class AuditSettings:
    origin: str
    key_file: Path
    vkey: str | None
    checkpoint_dir: Path
    checkpoint_url: str | None
    every_seconds: float
    witness_key_file: Path | None
    witness_name: str

    def signer(self) -> Signer:
        return log_signer(self.origin, self.key_file)

    def verifier(self) -> Verifier | None:
        """The log's public key: configured, or that of the signing key if there is one here."""
        if self.vkey:
            text = Path(self.vkey).read_text(encoding="utf-8") if Path(self.vkey).is_file() else self.vkey
            return parse_vkey(text)
        return self.signer().verifier if self.key_file.is_file() else None

    def witness(self) -> Signer | None:
        return witness_signer(self.witness_name, self.witness_key_file) if self.witness_key_file else None

    def publication(self) -> Publication:
        return Url(self.checkpoint_url) if self.checkpoint_url else Directory(self.checkpoint_dir)


def audit_settings(settings: Settings, environ: dict[str, str] | None = None) -> AuditSettings:
    env = dict(os.environ if environ is None else environ)
    every = env.get("TUOYU_CHECKPOINT_EVERY") or str(DAY)
    try:
        every_seconds = float(every)
    except ValueError:
        raise ConfigError(
            f"TUOYU_CHECKPOINT_EVERY={every!r}: expected seconds, e.g. 86400 (daily) or 0 (never)"
        ) from None
    url = env.get("TUOYU_CHECKPOINT_URL") or None
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"TUOYU_CHECKPOINT_URL={url!r}: expected an http:// or https:// URL")
    witness = env.get("TUOYU_WITNESS_KEY")
    return AuditSettings(
        origin=env.get("TUOYU_LOG_ORIGIN") or DEFAULT_ORIGIN,
        key_file=Path(env.get("TUOYU_LOG_KEY") or settings.data_dir / "audit" / "log.key"),
        vkey=env.get("TUOYU_LOG_VKEY") or None,
        checkpoint_dir=Path(env.get("TUOYU_CHECKPOINT_DIR") or settings.data_dir / "checkpoints"),
        checkpoint_url=url,
        every_seconds=every_seconds,
        witness_key_file=Path(witness) if witness else None,
        witness_name=env.get("TUOYU_WITNESS_NAME") or DEFAULT_WITNESS,
    )
