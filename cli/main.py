"""`coldfleet up|preview|refresh|destroy|outputs|cancel --stack NAME`, `coldfleet new-client NAME` and
`coldfleet sandbox start|stop|status`.

Errors are one message each, without a Python traceback; `--verbose` shows the whole text (tracebacks included) and
the providers' progress messages.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pulumi import automation as auto

from cli import export, health, new_client, rotate
from cli.commands import EngineFailed, cmd_cancel, cmd_outputs, cmd_stack
from cli.engine import CliError, default_project_dir
from cli.sandbox import cmd_sandbox
from providers.types import DEFAULT_COUNTRY

STACK_COMMANDS = (
    ("up", "create or update the fleet"),
    ("preview", "show what up would change (no API writes)"),
    ("refresh", "read live state into the stack"),
    ("destroy", "remove mailboxes, records and tenant domains (registrations and zones stay)"),
)


def cmd_new_client(args: argparse.Namespace) -> int:
    directory = Path(args.project_dir or default_project_dir())
    path = new_client.create(
        directory, args.client, args.primary_domain, args.residency, args.domain or [], args.sandbox
    )
    print(f"wrote {path}")
    print(new_client.instructions(args.client, args.sandbox))
    return 0


def _stack_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, text in STACK_COMMANDS:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coldfleet", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="whole error texts (tracebacks), providers' progress messages, debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    _stack_parsers(sub)
    p = sub.add_parser("new-client", help="start a client's stack file (Pulumi.<client>.yaml) from a template")
    p.add_argument("client", help="client slug; names the stack")
    p.add_argument("--primary-domain", required=True, help="the client's brand domain (never sent from)")
    p.add_argument("--residency", default="eu", choices=sorted(DEFAULT_COUNTRY))
    p.add_argument("--domain", action="append", help="a sending domain (repeatable)")
    p.add_argument("--sandbox", action="store_true", help="point the stack at the local sandbox")
    p.add_argument("--project-dir")
    p.set_defaults(func=cmd_new_client)
    p = sub.add_parser("sandbox", help="the local world: BIND9 and the API doubles")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument("--sandbox-dir")
    p.set_defaults(func=cmd_sandbox)
    health.add_parser(sub)
    rotate.add_parser(sub)
    export.add_parser(sub)
    return parser


def _engine_stderr(error: auto.CommandError) -> str:
    """The engine's stderr (e.g. a backend error before any step): the engine did not stream it."""
    text = str(error.args[0]) if error.args else ""
    return text.split("\n stderr:", 1)[1].strip() if "\n stderr:" in text else ""


def _say(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except CliError as error:
        _say(str(error))
        return 2
    except EngineFailed as failed:
        _say(str(failed))
        return 1
    except auto.ConcurrentUpdateError:
        name = getattr(args, "stack", None) or "NAME"
        _say(f"stack {name!r} is locked by another run, or by one that was killed; if none is running: "
             f"coldfleet cancel --stack {name} --yes")
        return 1
    except auto.CommandError as error:
        _say(_engine_stderr(error) or f"the engine failed ({type(error).__name__}); --verbose shows its output")
        return 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:
        # When a run fails, the engine stops while the inline program still waits on it; the language server's
        # gRPC threads then log their broken calls with tracebacks. The failure itself is reported from the events.
        logging.getLogger("grpc").setLevel(logging.CRITICAL)
    return _run(args)
