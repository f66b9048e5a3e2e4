"""What the commands share: the resources a command opens live exactly as long as it runs."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

import orjson

from tuoyu.domain.application import Registry
from tuoyu.service.config import settings_from_env


def registry(args: argparse.Namespace) -> Registry:
    """The registry on the configured store, closed when the command returns (cli.main owns
    `args.resources`, an ExitStack)."""
    from tuoyu.service.wiring import open_registry

    return args.resources.enter_context(open_registry(settings_from_env()))


def print_json(data: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def date_argument(text: str) -> date:
    """YYYY-MM-DD (or the compact YYYYMMDD, the same day)."""
    compact = len(text) == 8 and text.isdigit()
    try:
        return date.fromisoformat(f"{text[:4]}-{text[4:6]}-{text[6:]}" if compact else text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; expected YYYY-MM-DD, e.g. 2026-11-30") from None
