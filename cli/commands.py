"""The stack commands: `up | preview | refresh | destroy | cancel | outputs --stack NAME`.

The engine's own console output is streamed, so users see the diff they know from `pulumi`; failures are said once
per resource afterwards (`cli.report`). A stack's spec is validated before the engine starts, so a refused spec is
one message naming its fields, and no engine run.

After a run was killed (SIGKILL, power loss) its lock and its pending operations stay in the state: `cancel` removes
the lock, `refresh --clear-pending-creates` drops the creates it never recorded, and `up` converges (the providers
adopt what the killed run had already made).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from cli import sandbox
from cli.engine import CliError, StackTarget, open_stack, target
from cli.report import EngineReport
from cli.summary import EventCollector, lifecycle
from components.spec import FleetSpec, SpecError, load_spec

log = logging.getLogger(__name__)

ALLOW_ENV = "COLDFLEET_ALLOW_MASS_DELETE"
LOG_LEVEL_ENV = "COLDFLEET_LOG_LEVEL"  # read by providers.log in the provider process
RUNS_PROGRAM = {"up", "preview"}


class EngineFailed(Exception):
    """An engine run failed; what failed is already on stdout, one line per resource."""

    def __init__(self, command: str, count: int) -> None:
        super().__init__(f"{command} failed: {count} error(s), listed above under Errors; "
                         "`coldfleet --verbose ...` shows their whole texts")


def _print_errors(lines: list[str]) -> None:
    """Where the engine's Diagnostics section would be: one entry per failed resource."""
    print("\nErrors:")
    for line in lines:
        print("  " + line.replace("\n", "\n    "))


def spec_of(t: StackTarget) -> FleetSpec:
    """The stack's fleet spec, validated with the program's own loader; refused as one CliError naming the fields."""
    raw = t.stack_config().get("coldfleet:fleet")
    if not isinstance(raw, dict | str):
        raise CliError(f"{t.config_file.name} has no coldfleet:fleet spec")
    try:
        return load_spec(raw)
    except SpecError as error:
        fields = "\n".join(f"  {path}: {message}" for path, message in error.errors)
        raise CliError(f"{t.config_file.name}: the coldfleet:fleet spec is refused:\n{fields}") from None


def _engine_env(t: StackTarget, args: argparse.Namespace) -> dict[str, str]:
    env = sandbox.engine_env(t, args.command, getattr(args, "sandbox_dir", None))
    if args.verbose:
        env[LOG_LEVEL_ENV] = "INFO"
    if getattr(args, "allow_mass_delete", False):
        env[ALLOW_ENV] = "true"
        os.environ[ALLOW_ENV] = "true"  # the inline program runs in this process
    return env


def _print_outputs(outputs: Mapping[str, auto.OutputValue], show_secrets: bool) -> None:
    print("\nOutputs:")
    for key in sorted(outputs):
        value = outputs[key]
        if value.secret and not show_secrets:
            print(f"  {key}: [secret] (coldfleet outputs --stack NAME --show-secrets {key})")
            continue
        rendered = value.value if isinstance(value.value, str) else json.dumps(value.value, indent=2, sort_keys=True)
        print(f"  {key}:")
        for line in str(rendered).splitlines():
            print(f"    {line}")


def _confirm(what: str, args: argparse.Namespace) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise CliError(f"{what} needs --yes when not run from a terminal")
    answer = input(f"Do you want to perform this {what}? [y/N] ").strip().lower()
    if answer not in {"y", "yes"}:
        raise CliError("cancelled")


def _preview(stack: auto.Stack, t: StackTarget, spec: FleetSpec | None, args: argparse.Namespace,
             report: EngineReport) -> None:
    collector = EventCollector() if args.summary else None

    def on_event(event: auto.EngineEvent) -> None:
        report.on_event(event)
        if collector is not None:
            collector.on_event(event)

    result = stack.preview(on_output=report.on_output, diff=args.diff, expect_no_changes=args.expect_no_changes,
                           on_event=on_event)
    if collector is not None and spec is not None:
        previous = stack.outputs().get("inventory")
        statuses = lifecycle(previous.value if previous else None, {d.name: d.status for d in spec.domains})
        Path(args.summary).write_text(collector.markdown(args.stack, statuses))
        print(f"\nSummary written to {args.summary}")
    log.debug("preview change summary: %s", result.change_summary)


def _run(stack: auto.Stack, t: StackTarget, spec: FleetSpec | None, args: argparse.Namespace,
         report: EngineReport) -> None:
    out, events = report.on_output, report.on_event
    if args.command == "preview":
        _preview(stack, t, spec, args, report)
    elif args.command == "up":
        if not args.yes:
            stack.preview(on_output=out, diff=args.diff, on_event=events)
            _confirm("update", args)
        result = stack.up(on_output=out, on_event=events, diff=args.diff, show_secrets=False,
                          expect_no_changes=args.expect_no_changes)
        _print_outputs(result.outputs, show_secrets=False)
    elif args.command == "refresh":
        stack.refresh(on_output=out, on_event=events, expect_no_changes=args.expect_no_changes, show_secrets=False,
                      clear_pending_creates=args.clear_pending_creates or None)
    else:
        if not args.yes:
            stack.preview_destroy(on_output=out, on_event=events)
            _confirm("destroy", args)
        stack.destroy(on_output=out, on_event=events, show_secrets=False)


def cmd_stack(args: argparse.Namespace) -> int:
    t = target(args.stack, args.project_dir)
    spec = spec_of(t) if args.command in RUNS_PROGRAM else None  # before the engine starts, or any sandbox
    stack = open_stack(t, extra_env=_engine_env(t, args))
    report = EngineReport(verbose=args.verbose)
    try:
        _run(stack, t, spec, args, report)
    except auto.CommandError as error:
        failures = report.failures()
        if isinstance(error, auto.ConcurrentUpdateError) or not failures:
            raise
        _print_errors(failures)
        raise EngineFailed(args.command, len(failures)) from error
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    """Remove the lock a killed run left behind (`pulumi cancel`); never while another run is still going."""
    t = target(args.stack, args.project_dir)
    _confirm(f"cancel of the current update of stack {args.stack!r} (only if no run is still going)", args)
    open_stack(t).cancel()
    print(f"stack {args.stack!r} unlocked; now run `coldfleet refresh --stack {args.stack} --yes "
          "--clear-pending-creates`, then `coldfleet up`")
    return 0


def cmd_outputs(args: argparse.Namespace) -> int:
    t = target(args.stack, args.project_dir)
    stack = open_stack(t)
    outputs = stack.outputs()
    if args.name:
        if args.name not in outputs:
            raise CliError(f"stack {args.stack!r} has no output {args.name!r}")
        value = outputs[args.name]
        if value.secret and not args.show_secrets:
            raise CliError(f"{args.name} is secret: add --show-secrets")
        print(value.value if isinstance(value.value, str) else json.dumps(value.value, indent=2, sort_keys=True))
        return 0
    plain: dict[str, Any] = {
        k: ("[secret]" if v.secret and not args.show_secrets else v.value) for k, v in outputs.items()
    }
    print(json.dumps(plain, indent=2, sort_keys=True))
    return 0
