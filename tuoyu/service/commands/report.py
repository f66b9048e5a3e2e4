"""`tuoyu report`: the monitoring report to the district government (托育服务工作监测报告).

Exit codes: 0 the report is written; 1 no report: the record fails verification, or no installed
font can show its Chinese text; 2 usage errors: a bad date, an --out that is neither .html nor
.pdf, or an --out that cannot be written. Nothing is written unless the whole report is: it goes
to a temporary file beside --out, renamed over it at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from tuoyu.service.commands.shared import registry
from tuoyu.service.config import settings_from_env
from tuoyu.service.timeargs import bounded_moment

EXTENSIONS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def register(commands: Any) -> None:
    p = commands.add_parser("report", help="write the monitoring report (托育服务工作监测报告) as HTML or PDF")
    p.add_argument("--as-of", required=True, help="business time: events that occurred up to then (date or date-time)")
    p.add_argument("--known-at", help="knowledge time: events recorded up to then (default: every recorded event)")
    p.add_argument("--out", required=True, type=Path, help="the file to write: FILE.html or FILE.pdf")
    p.set_defaults(run=_report)


def format_of(out: Path) -> str:
    fmt = EXTENSIONS.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"--out {out}: 不支持的文件类型 {out.suffix or '(无扩展名)'}, 应为 .html 或 .pdf "
            f"(unknown extension {out.suffix or '(none)'!r}; expected .html or .pdf)"
        )
    return fmt


def _report(args: argparse.Namespace) -> int:
    from tuoyu.report.basis import RecordAltered
    from tuoyu.report.make import make_report
    from tuoyu.report.render import MissingGlyphs

    fmt = format_of(args.out)
    as_of = bounded_moment(args.as_of, "--as-of")
    known_at = bounded_moment(args.known_at, "--known-at") if args.known_at else None
    try:
        pending = args.resources.enter_context(_Replacing(args.out))
    except OSError as error:
        print(f"tuoyu report: 无法写入 {args.out} ({error.strerror or error})", file=sys.stderr)
        return 2
    try:
        data = make_report(registry(args).recorder, as_of, known_at, fmt, parallel=_parallel())
    except RecordAltered as refused:
        print(f"tuoyu report: 记录未通过校验, 不出具报告 ({refused}); 运行 tuoyu verify 查看详情", file=sys.stderr)
        return 1
    except MissingGlyphs as error:
        print(f"tuoyu report: 缺少中文字体, 未生成 PDF ({error})", file=sys.stderr)
        return 1
    pending.commit(data)
    print(f"已生成监测报告 {args.out} ({fmt.upper()}, {len(data)} 字节)")
    return 0


def _parallel() -> Callable[[], Any]:
    """How verification worker processes open the store (a large store's chain is checked in ranges)."""
    from functools import partial

    from tuoyu.service.wiring import open_reader

    return partial(open_reader, settings_from_env())


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it; the command runs no other thread meanwhile
    os.umask(mask)
    return mask


class _Replacing:
    """A temporary file beside `path`, opened at once (so an unwritable place is found before any
    work), renamed over `path` by commit() and removed if the command ends without it."""

    def __init__(self, path: Path) -> None:
        if path.is_dir():
            raise IsADirectoryError(21, "是一个目录 (is a directory)", str(path))
        self.path = path
        self.file: IO[bytes] = tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False
        )

    def __enter__(self) -> _Replacing:
        return self

    def commit(self, data: bytes) -> None:
        self.file.write(data)
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.chmod(self.file.name, 0o666 & ~_umask())  # as open() would have made it; the temp file is 0600
        os.replace(self.file.name, self.path)

    def __exit__(self, *exc_info: object) -> None:
        self.file.close()
        if os.path.exists(self.file.name):
            os.unlink(self.file.name)
