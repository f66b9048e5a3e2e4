"""Configuration from the environment: where the store is, where the data directory is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


class ConfigError(ValueError):
    pass


DEFAULT_KAFKA = "127.0.0.1:9092"
# How long the API waits for a request body to arrive (uvicorn itself never gives up on one).
DEFAULT_BODY_READ_TIMEOUT = 30.0


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    store: str  # "sqlite:///abs/path.db" or "postgresql://user@host:port/db"
    # The shared secret Alertmanager sends to POST /api/alerts/webhook (None: webhook off).
    alert_webhook_secret: str | None = None
    # The Kafka brokers the relay publishes to: "host:port[,host:port]" (TUOYU_KAFKA).
    kafka: str = DEFAULT_KAFKA
    # The Prometheus whose firing alerts the wall page shows (TUOYU_PROMETHEUS_URL; `serve
    # --alerting` uses the one it starts). None: the wall says alerting is not running.
    prometheus_url: str | None = None
    # Slippy-map tiles under the public map, e.g. https://tile.example/{z}/{x}/{y}.png
    # (TUOYU_MAP_TILE_URL). None: the map draws the district as a schematic, fully offline.
    map_tile_url: str | None = None
    # The Alertmanager an acknowledgement silences the alert in (TUOYU_ALERTMANAGER_URL; `serve
    # --alerting` uses the one it starts). None: acknowledgements are recorded without a silence.
    alertmanager_url: str | None = None
    # Where people reach the service, for the links in alerts (TUOYU_EXTERNAL_URL; None: the
    # tunables' external_url, or with `serve --alerting` its own address).
    external_url: str | None = None
    # The alerting tunables `serve --alerting` runs with (TUOYU_TUNABLES; None: the packaged copy
    # of alerts/tunables.yaml).
    tunables: Path | None = None
    # Seconds a client may take to send a request body (TUOYU_BODY_READ_TIMEOUT); then 408.
    body_read_timeout: float = DEFAULT_BODY_READ_TIMEOUT

    @property
    def is_postgres(self) -> bool:
        return self.store.startswith(("postgresql://", "postgres://"))


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    data_dir = Path(environ.get("TUOYU_DATA_DIR") or "var").resolve()
    store = environ.get("TUOYU_STORE") or f"sqlite:///{data_dir / 'tuoyu.db'}"
    secret = environ.get("TUOYU_ALERT_WEBHOOK_SECRET")
    secret_file = data_dir / "alert-webhook-secret"
    if not secret and secret_file.is_file():
        secret = secret_file.read_text(encoding="utf-8").strip() or None
    kafka = environ.get("TUOYU_KAFKA") or DEFAULT_KAFKA
    prometheus_url = (environ.get("TUOYU_PROMETHEUS_URL") or "").rstrip("/") or None
    tile_url = environ.get("TUOYU_MAP_TILE_URL") or None
    if tile_url and not all(part in tile_url for part in ("{z}", "{x}", "{y}")):
        raise ConfigError(
            f"TUOYU_MAP_TILE_URL={tile_url!r}: expected a URL with {{z}}, {{x}} and {{y}}, "
            "e.g. https://tile.example/{z}/{x}/{y}.png"
        )
    alertmanager_url = (environ.get("TUOYU_ALERTMANAGER_URL") or "").rstrip("/") or None
    external_url = (environ.get("TUOYU_EXTERNAL_URL") or "").rstrip("/") or None
    if external_url and not external_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"TUOYU_EXTERNAL_URL={external_url!r}: expected http://… or https://…, e.g. https://tuoyu.example.gov.cn"
        )
    tunables = Path(environ["TUOYU_TUNABLES"]) if environ.get("TUOYU_TUNABLES") else None
    if tunables is not None and not tunables.is_file():
        raise ConfigError(f"TUOYU_TUNABLES={str(tunables)!r}: no such file (a copy of alerts/tunables.yaml)")
    return Settings(
        data_dir=data_dir,
        store=store,
        alert_webhook_secret=secret,
        kafka=kafka,
        prometheus_url=prometheus_url,
        map_tile_url=tile_url,
        external_url=external_url,
        alertmanager_url=alertmanager_url,
        tunables=tunables,
        body_read_timeout=_seconds(environ, "TUOYU_BODY_READ_TIMEOUT", DEFAULT_BODY_READ_TIMEOUT),
    )


def _seconds(environ: dict[str, str], name: str, default: float) -> float:
    text = (environ.get(name) or "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 3600:  # also refuses nan and inf
        raise ConfigError(f"{name}={text!r}: expected a number of seconds above 0 and at most 3600, e.g. 30")
    return seconds


def kafka_bootstrap(settings: Settings) -> list[str]:
    """The brokers of TUOYU_KAFKA as a list of "host:port"."""
    brokers = [b.strip() for b in settings.kafka.split(",") if b.strip()]
    for broker in brokers:
        host, _, port = broker.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"TUOYU_KAFKA={settings.kafka!r}: expected host:port[,host:port], e.g. 127.0.0.1:9092")
    if not brokers:
        raise ConfigError("TUOYU_KAFKA is empty: expected host:port[,host:port], e.g. 127.0.0.1:9092")
    return brokers


# eventsourcing's aggregate cache: a request reads only the events recorded since an
# aggregate was cached (fast-forward), instead of its whole history. Copies are handed out, so
# a rejected request cannot leave a half-decided aggregate behind, and other writers'
# events (another process, an import) are read before any decision.
AGGREGATE_CACHE = {"AGGREGATE_CACHE_MAXSIZE": "20000", "AGGREGATE_CACHE_FASTFORWARD": "y"}


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing environment for the configured store."""
    return {**AGGREGATE_CACHE, **_store_env(settings)}


def _store_env(settings: Settings) -> dict[str, str]:
    url = urlparse(settings.store)
    if url.scheme == "sqlite":
        path = unquote(url.path)
        if not path or path == "/":
            raise ConfigError(f"TUOYU_STORE={settings.store!r}: give an absolute path, e.g. sqlite:///srv/tuoyu.db")
        # The store's directory is its owner's only, like the store (tuoyu.persistence.sqlite).
        Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "tuoyu.persistence.sqlite:ClaimingSQLiteRecorder",
            "TRACKING_RECORDER_TOPIC": "tuoyu.persistence.sqlite:ViewSQLiteRecorder",
        }
    if url.scheme in ("postgresql", "postgres"):
        if not url.hostname or not url.path.strip("/") or not url.username:
            raise ConfigError(f"TUOYU_STORE={settings.store!r}: expected postgresql://user[:password]@host[:port]/db")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.strip("/"),
            "POSTGRES_HOST": url.hostname,
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            # ?schema=NAME keeps several stores apart in one database (tests use it).
            "POSTGRES_SCHEMA": parse_qs(url.query).get("schema", ["public"])[0],
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "4",
            "POSTGRES_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "tuoyu.persistence.postgres:ClaimingPostgresRecorder",
            "TRACKING_RECORDER_TOPIC": "tuoyu.persistence.postgres:ViewPostgresRecorder",
        }
    raise ConfigError(f"TUOYU_STORE={settings.store!r}: the scheme must be sqlite:// or postgresql://")
