"""`coldfleet up|preview|refresh|destroy|outputs|cancel --stack NAME` and `coldfleet sandbox start|stop|status`.

The engine's own console output is streamed, so users see the diff they know from `pulumi`.

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

from cli.engine import CliError, StackTarget, open_stack, target
from providers.config import DEFAULT_SANDBOX_DIR

log = logging.getLogger("coldfleet")


def _sandbox_dir(args: argparse.Namespace) -> Path:
    return Path(getattr(args, "sandbox_dir", None) or os.environ.get("COLDFLEET_SANDBOX_DIR") or DEFAULT_SANDBOX_DIR)


def _engine_env(t: StackTarget, args: argparse.Namespace) -> dict[str, str]:
    env: dict[str, str] = {}
    if t.is_sandbox:
        from sandbox.server import start_daemon, status

        directory = _sandbox_dir(args)
        if args.command in {"up", "destroy", "refresh"}:
            start_daemon(directory)
        elif status(directory) is None:
            raise CliError(f"the sandbox is not running in {directory}: run `coldfleet sandbox start`")
        env["COLDFLEET_SANDBOX_DIR"] = str(directory)
        os.environ["COLDFLEET_SANDBOX_DIR"] = str(directory)
    if getattr(args, "allow_mass_delete", False):
        env["COLDFLEET_ALLOW_MASS_DELETE"] = "true"
        os.environ["COLDFLEET_ALLOW_MASS_DELETE"] = "true"
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


def cmd_stack(args: argparse.Namespace) -> int:
    t = target(args.stack, args.project_dir)
    stack = open_stack(t, extra_env=_engine_env(t, args))
    on_output = print
    if args.command == "preview":
        collector = None
        if args.summary:
            from cli.summary import EventCollector

            collector = EventCollector()
        result = stack.preview(
            on_output=on_output,
            diff=args.diff,
            expect_no_changes=args.expect_no_changes,
            on_event=collector.on_event if collector else None,
        )
        if collector and args.summary:
            from cli.summary import lifecycle
            from components.spec import load_spec

            previous = stack.outputs().get("inventory")
            raw = t.stack_config().get("coldfleet:fleet")
            spec = load_spec(raw if isinstance(raw, dict | str) else {})
            statuses = lifecycle(previous.value if previous else None, {d.name: d.status for d in spec.domains})
            Path(args.summary).write_text(collector.markdown(args.stack, statuses))
            print(f"\nSummary written to {args.summary}")
        log.debug("preview change summary: %s", result.change_summary)
        return 0
    if args.command == "up":
        if not args.yes:
            stack.preview(on_output=on_output, diff=args.diff)
            _confirm("update", args)
        result_up = stack.up(
            on_output=on_output, diff=args.diff, show_secrets=False, expect_no_changes=args.expect_no_changes
        )
        _print_outputs(result_up.outputs, show_secrets=False)
        return 0
    if args.command == "refresh":
        stack.refresh(on_output=on_output, expect_no_changes=args.expect_no_changes, show_secrets=False,
                      clear_pending_creates=args.clear_pending_creates or None)
        return 0
    if args.command == "destroy":
        if not args.yes:
            stack.preview_destroy(on_output=on_output) if hasattr(stack, "preview_destroy") else None
            _confirm("destroy", args)
        stack.destroy(on_output=on_output, show_secrets=False)
        return 0
    raise CliError(f"unknown command {args.command}")


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


def cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.server import start_daemon, status, stop_daemon

    directory = _sandbox_dir(args)
    if args.action == "start":
        info = start_daemon(directory)
        print(f"sandbox running in {directory} (pid {info['pid']})")
        for name, url in sorted(info["endpoints"].items()):
            print(f"  {name:<11} {url}")
        dns = info["dns"]
        print(f"  {'dns':<11} {dns['server']}:{dns['port']} (RFC 2136, TSIG key {dns['tsig_key_name']})")
        return 0
    if args.action == "stop":
        print("sandbox stopped" if stop_daemon(directory) else "sandbox was not running")
        return 0
    current = status(directory)
    if current is None:
        print(f"sandbox not running ({directory})")
        return 1
    print(json.dumps({k: v for k, v in current.items() if k != "credentials"}, indent=2, sort_keys=True))
    return 0


def cmd_new_client(args: argparse.Namespace) -> int:
    from cli import new_client
    from cli.engine import REPO_ROOT

    directory = Path(args.project_dir or REPO_ROOT)
    path = new_client.create(
        directory, args.client, args.primary_domain, args.residency, args.domain or [], args.sandbox
    )
    print(f"wrote {path}")
    print(new_client.instructions(args.client, args.sandbox))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coldfleet", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("up", "create or update the fleet"),
        ("preview", "show what up would change (no API writes)"),
        ("refresh", "read live state into the stack"),
        ("destroy", "remove mailboxes, records and tenant domains (registrations and zones stay)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--stack", required=True)
        p.add_argument("--project-dir", help="directory with Pulumi.yaml and Pulumi.<stack>.yaml (default: repo)")
        p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        p.add_argument("--diff", action="store_true", help="show detailed property diffs")
        p.add_argument("--expect-no-changes", action="store_true", help="fail if anything would change")
        p.add_argument("--allow-mass-delete", action="store_true", help="let this run delete >25%% of mailboxes")
        p.add_argument("--sandbox-dir", help="sandbox directory for sandbox stacks")
        p.add_argument("--summary", help="(preview) write a Markdown summary per domain to this file")
        if name == "refresh":
            p.add_argument("--clear-pending-creates", action="store_true",
                           help="drop creates a killed run left pending (the next up adopts what they made)")
        p.set_defaults(func=cmd_stack)
    p = sub.add_parser("cancel", help="unlock a stack whose run was killed (its lock stays behind)")
    p.add_argument("--stack", required=True)
    p.add_argument("--project-dir")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_cancel)
    p = sub.add_parser("outputs", help="print stack outputs")
    p.add_argument("--stack", required=True)
    p.add_argument("--project-dir")
    p.add_argument("--show-secrets", action="store_true")
    p.add_argument("name", nargs="?")
    p.set_defaults(func=cmd_outputs)
    p = sub.add_parser("new-client", help="start a client's stack file (Pulumi.<client>.yaml) from a template")
    p.add_argument("client", help="client slug; names the stack")
    p.add_argument("--primary-domain", required=True, help="the client's brand domain (never sent from)")
    p.add_argument("--residency", default="eu", choices=["eu", "us", "ch"])
    p.add_argument("--domain", action="append", help="a sending domain (repeatable)")
    p.add_argument("--sandbox", action="store_true", help="point the stack at the local sandbox")
    p.add_argument("--project-dir")
    p.set_defaults(func=cmd_new_client)
    p = sub.add_parser("sandbox", help="the local world: BIND9 and the API doubles")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument("--sandbox-dir")
    p.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(args))
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except auto.ConcurrentUpdateError:
        name = getattr(args, "stack", None) or "NAME"
        print(f"error: stack {name!r} is locked by another run, or by one that was killed; if none is running: "
              f"coldfleet cancel --stack {name} --yes", file=sys.stderr)
        return 1
    except auto.CommandError as error:
        # The engine already streamed its stdout; its stderr (e.g. a backend error before any step) was not.
        text = str(error.args[0]) if error.args else ""
        detail = text.split("\n stderr:", 1)[1].strip() if "\n stderr:" in text else ""
        print(f"error: the engine reported a failure ({type(error).__name__})", file=sys.stderr)
        if detail:
            print(detail, file=sys.stderr)
        return 1
