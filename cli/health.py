"""`coldfleet health --stack X [--domain D] [--json] [--markdown FILE]`: live signals → verdict per domain.

The stack is opened through the engine only to read what a run reads: its config (secrets decrypted, as the providers
get them in `configure()`) and its `inventory` output. Settings then come the providers' way (`providers.config`:
stack config > settings file > environment); `coldfleet:health.<key>` values become the collectors' options.

Exit codes: 0 nothing worn, broken or unchecked (`watch` is 0 too); 1 something worn or broken; 2 could not check
(a source that did not answer, or a refused spec / unreadable stack).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from cli import sandbox
from cli.commands import spec_of
from cli.engine import CliError, StackTarget, open_stack, target
from components.health.collect import Collector, HealthContext
from components.health.render import markdown, table
from components.health.report import HealthReport, Progress, run, to_json
from components.spec import FleetSpec
from providers.config import Settings, SettingsError, from_sources

OPTION_PREFIX = "coldfleet:health."


@dataclass(frozen=True)
class StackInputs:
    """What a health run reads from the stack besides its spec."""

    settings: Settings
    inventory: Mapping[str, Any]
    options: Mapping[str, str]


StackReader = Callable[[StackTarget, argparse.Namespace], StackInputs]


def settings_from_config(config: Mapping[str, Any]) -> Settings:
    """Settings from a stack's (decrypted) config, by the providers' own precedence."""

    def get(key: str) -> str | None:
        value = config.get(key if ":" in key else f"coldfleet:{key}")
        return None if value is None else str(value)

    try:
        return from_sources(get)
    except SettingsError as error:
        raise CliError(str(error)) from None


def options_from_config(config: Mapping[str, Any]) -> dict[str, str]:
    return {key[len(OPTION_PREFIX):]: str(value) for key, value in config.items() if key.startswith(OPTION_PREFIX)}


def read_stack(t: StackTarget, args: argparse.Namespace) -> StackInputs:
    """The stack's config and `inventory` output, through the engine (a sandbox stack needs its sandbox running)."""
    stack = open_stack(t, extra_env=sandbox.engine_env(t, "health", getattr(args, "sandbox_dir", None)))
    config = {key: value.value for key, value in stack.get_all_config().items()}
    previous = stack.outputs().get("inventory")
    inventory = previous.value if previous is not None and isinstance(previous.value, dict) else {}
    return StackInputs(settings_from_config(config), inventory, options_from_config(config))


def progress_bar(stream: TextIO) -> Progress | None:
    """One redrawn line on a terminal; nothing when the stream is a file or a pipe (CI logs stay clean)."""
    if not stream.isatty():
        return None

    def show(done: int, total: int, domain: str) -> None:
        filled = 24 * done // total
        stream.write(f"\r  checking [{'#' * filled}{'.' * (24 - filled)}] {done}/{total} {domain[:40]:<40}")
        if done == total:
            stream.write("\r" + " " * 80 + "\r")
        stream.flush()

    return show


def colour_wanted(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def fresh_report(t: StackTarget, spec: FleetSpec, args: argparse.Namespace,
                 collectors: Sequence[Collector] | None = None, read: StackReader = read_stack) -> HealthReport:
    """Run every collector over the stack's live domains (or `--domain`)."""
    inputs = read(t, args)
    ctx = HealthContext(t.name, spec, inputs.settings, inputs.inventory, datetime.now(UTC).date(), inputs.options)
    domains = [d.strip().lower().rstrip(".") for d in args.domain] if getattr(args, "domain", None) else None
    try:
        return run(ctx, collectors, domains, progress_bar(sys.stderr))
    except ValueError as error:
        raise CliError(str(error)) from None


def cmd_health(args: argparse.Namespace, collectors: Sequence[Collector] | None = None,
               read: StackReader = read_stack) -> int:
    t = target(args.stack, args.project_dir)
    report = fresh_report(t, spec_of(t), args, collectors, read)
    if args.json:
        print(json.dumps(to_json(report), indent=2))
    else:
        print(table(report, colour=colour_wanted(sys.stdout)))
    if args.markdown:
        Path(args.markdown).write_text(markdown(report))
    return report.exit_code


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("health", help="check live signals per domain and mailbox: healthy / watch / worn")
    p.add_argument("--stack", required=True)
    p.add_argument("--project-dir")
    p.add_argument("--domain", action="append", help="check only this live domain (repeatable)")
    p.add_argument("--json", action="store_true", help="print verdicts and findings as JSON (for CI)")
    p.add_argument("--markdown", help="also write the report as Markdown to this file")
    p.add_argument("--sandbox-dir", help="sandbox directory for sandbox stacks")
    p.set_defaults(func=cmd_health)
