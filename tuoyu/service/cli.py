"""The `tuoyu` command. Each capability registers its own subcommands (tuoyu.service.commands);
this module only parses, runs, and turns errors into exit codes:
0 done; 1 the command found a problem (bad lines, a tampered record, …); 2 usage errors."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack

from tuoyu.service.commands import register_all
from tuoyu.service.config import ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        with ExitStack() as resources:
            args.resources = resources  # what the command opens is closed when it returns
            return args.run(args)
    except (ConfigError, ValueError) as error:
        print(f"tuoyu: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tuoyu audit trail … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tuoyu", description="托育服务监测预警平台 (Mentougou childcare monitoring)")
    register_all(top.add_subparsers(required=True, metavar="COMMAND"))
    return top


if __name__ == "__main__":
    sys.exit(main())
