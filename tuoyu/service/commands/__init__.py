"""The subcommands of `tuoyu`, one module per capability; each adds its own with `register`."""

from __future__ import annotations

from typing import Any

from tuoyu.service.commands import audit, demo, generate, projector, records, serving, streaming, tokens

CAPABILITIES = (records, demo, projector, serving, streaming, generate, tokens, audit)


def register_all(commands: Any) -> None:
    for capability in CAPABILITIES:
        capability.register(commands)
