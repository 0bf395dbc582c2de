"""`coldfleet rotate --stack X [--report FILE] [--dry-run] [--summary FILE]`: verdicts → a spec change, never `up`.

The verdicts come from a fresh health run, or from a `coldfleet health --json` file (`--report`, as the scheduled job
does). The stack file is edited in place (comments and order kept) only after the edited spec passes the same loader
`up` uses; the unified diff is printed either way, and `--dry-run` writes nothing. `--summary` writes the pull
request's description: the changes, what to buy, and the health report.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from cli.commands import spec_of
from cli.engine import CliError, StackTarget, target
from cli.health import StackReader, colour_wanted, fresh_report, read_stack
from components.health import rotate, spec_edit
from components.health.collect import Collector
from components.health.render import markdown, table
from components.health.report import HealthReport, ReportError, from_json
from components.spec import SpecError, load_spec


def _report(t: StackTarget, args: argparse.Namespace, collectors: Sequence[Collector] | None,
            read: StackReader) -> HealthReport:
    if not args.report:
        report = fresh_report(t, spec_of(t), args, collectors, read)
        print(table(report, colour=colour_wanted(sys.stdout)) + "\n")
        return report
    try:
        report = from_json(json.loads(Path(args.report).read_text()))
    except OSError as error:
        raise CliError(f"--report {args.report}: {error.strerror or error}") from None
    except (ValueError, ReportError) as error:
        raise CliError(f"--report {args.report}: {error}") from None
    if report.stack != t.name:
        raise CliError(f"--report {args.report} is the health report of stack {report.stack!r}, not {t.name!r}")
    return report


def _checked(t: StackTarget, text: str) -> None:
    """The edited file must still hold a spec `up` accepts; otherwise nothing is written."""
    raw = (yaml.safe_load(text) or {}).get("config", {}).get(spec_edit.FLEET_KEY)
    try:
        load_spec(raw)
    except SpecError as error:
        name = t.config_file.name
        raise CliError(f"the rotated spec would be refused, so {name} is left as it is:\n{error}") from None


def summary(t: StackTarget, plan: rotate.RotationPlan, report: HealthReport, diff: str) -> str:
    lines = [f"### coldfleet rotate — stack `{t.name}`", ""]
    lines += [f"- {line}" for line in plan.lines()] or ["- nothing to rotate"]
    advice = plan.advice()
    if advice:
        lines += ["", f"**{advice}**"]
    if diff:
        lines += ["", "<details><summary>spec change</summary>", "", "```diff", diff.rstrip("\n"), "```", "",
                  "</details>"]
    lines += ["", "Merge, then `coldfleet up`; the preview comment below shows what `up` will do.", "",
              markdown(report)]
    return "\n".join(lines)


def cmd_rotate(args: argparse.Namespace, collectors: Sequence[Collector] | None = None,
               read: StackReader = read_stack) -> int:
    t = target(args.stack, args.project_dir)
    spec = spec_of(t)
    today = date.fromisoformat(args.today) if args.today else datetime.now(UTC).date()
    report = _report(t, args, collectors, read)
    plan = rotate.plan(spec, report, today)
    before = t.config_file.read_text()
    try:
        after = spec_edit.apply(before, plan)
    except spec_edit.SpecEditError as error:
        raise CliError(f"{t.config_file.name}: {error}") from None
    if after != before:
        _checked(t, after)
    diff = spec_edit.unified_diff(before, after, t.config_file.name)
    for line in plan.lines() or [f"nothing to rotate in stack {t.name!r}"]:
        print(line)
    advice = plan.advice()
    if advice:
        print(advice)
    if diff:
        print("\n" + diff, end="")
    if args.summary:
        Path(args.summary).write_text(summary(t, plan, report, diff))
    if diff and not args.dry_run:
        t.config_file.write_text(after)
        print(f"\nwrote {t.config_file.name}: open a pull request; its preview shows what `up` will change")
    elif diff:
        print("\n--dry-run: nothing written")
    return 0


def _iso(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("rotate", help="turn health verdicts into a spec change (retire worn, promote spares)")
    p.add_argument("--stack", required=True)
    p.add_argument("--project-dir")
    p.add_argument("--report", help="a `coldfleet health --json` file (default: run health now)")
    p.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    p.add_argument("--summary", help="write the pull request's description (Markdown) to this file")
    p.add_argument("--today", type=_iso, help="the date to rotate on (YYYY-MM-DD; default: today, UTC)")
    p.add_argument("--sandbox-dir", help="sandbox directory for sandbox stacks")
    p.set_defaults(func=cmd_rotate)
