"""`coldfleet export --stack X --format instantly|smartlead|emailbison|csv --out FILE`: the sequencer hand-off file.

Rendered from the stack's secret `handoff` output (components.handoff) in the format asked for, so one stack can
hand over to any sequencer. The file holds mailbox passwords: it is created with mode 0600 (a temporary file opened
0600 in the target directory, then renamed over FILE; never a chmod after writing), and nothing secret is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from cli.engine import CliError, open_stack, target
from components.export import Account, ExportError, notice, render_csv
from components.spec import WarmupSpec

FORMATS = ("instantly", "smartlead", "emailbison", "csv")


def write_private(path: Path, text: str) -> None:
    """`text` into `path`, the file created 0600 from the start (temp file + rename: readers never see half)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def render(handoff: dict[str, Any], fmt: str) -> str:
    rows: list[dict[str, Any]] = [{k: int(v) if isinstance(v, float) else v for k, v in row.items()}
                                  for row in handoff.get("accounts") or []]
    accounts = [Account(**row) for row in rows]
    warmup = WarmupSpec.model_validate(handoff.get("warmup") or {})
    try:
        return render_csv(fmt, accounts, handoff.get("sending", "oauth"), warmup)  # type: ignore[arg-type]
    except ExportError as error:
        raise CliError(str(error)) from None


def cmd_export(args: argparse.Namespace) -> int:
    if args.format not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}, not {args.format!r}")
    out = Path(args.out).expanduser()
    if not out.parent.is_dir():
        raise CliError(f"--out: directory {out.parent} does not exist")
    stack = open_stack(target(args.stack, args.project_dir))
    value = stack.outputs().get("handoff")
    if value is None or not isinstance(value.value, dict):
        raise CliError(f"stack {args.stack!r} has no hand-off yet: run `coldfleet up --stack {args.stack}` first")
    text = render(value.value, args.format)
    write_private(out, text)
    rows = max(0, text.count("\r\n") - 1)
    print(f"wrote {out} ({rows} mailboxes, {args.format}, mode 0600)")
    print(notice(args.format, value.value.get("sending", "oauth"), str(out)), file=sys.stderr)
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="write the sequencer hand-off file (mode 0600; it holds passwords)")
    p.add_argument("--stack", required=True)
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--out", required=True, help="file to write (created with mode 0600)")
    p.add_argument("--project-dir")
    p.set_defaults(func=cmd_export)
