"""`coldfleet sandbox start|stop|status`, and the sandbox a stack's settings file points at.

A sandbox stack is one whose `coldfleet:settingsFile` is the `settings.json` the sandbox writes into its directory;
the CLI starts that sandbox for runs that call the APIs. Only the CLI knows the sandbox (through `sandbox.daemon`);
the providers read the settings file like any other.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from cli.engine import CliError, StackTarget
from sandbox.daemon import sandbox_dir, settings_file, stack_setting, start_daemon, status, stop_daemon

DIR_ENV = "COLDFLEET_SANDBOX_DIR"
STARTS_SANDBOX = {"up", "destroy", "refresh"}


def directory(explicit: str | None = None) -> Path:
    """`--sandbox-dir`, else $COLDFLEET_SANDBOX_DIR, else the sandbox's default directory."""
    return sandbox_dir(explicit)


def settings_path(explicit: str | None = None) -> str:
    """What `new-client --sandbox` writes as `coldfleet:settingsFile` (`~` kept, so the stack file travels)."""
    return stack_setting(explicit)


def engine_env(t: StackTarget, command: str, explicit: str | None = None) -> dict[str, str]:
    """Start the stack's sandbox when the run needs its APIs; tell the provider process where it is."""
    if t.sandbox_dir is None:
        return {}
    where = directory(explicit) if explicit or os.environ.get(DIR_ENV) else t.sandbox_dir
    if command in STARTS_SANDBOX:
        start_daemon(where)
    elif status(where) is None:
        raise CliError(f"the sandbox is not running in {where}: run `coldfleet sandbox start`")
    os.environ[DIR_ENV] = str(where)  # the inline program runs in this process
    return {DIR_ENV: str(where), "COLDFLEET_SETTINGS_FILE": str(settings_file(where))}


def cmd_sandbox(args: argparse.Namespace) -> int:
    where = directory(args.sandbox_dir)
    if args.action == "start":
        info = start_daemon(where)
        print(f"sandbox running in {where} (pid {info['pid']})")
        for name, url in sorted(info["endpoints"].items()):
            print(f"  {name:<11} {url}")
        dns = info["dns"]
        print(f"  {'dns':<11} {dns['server']}:{dns['port']} (RFC 2136, TSIG key {dns['tsig_key_name']})")
        return 0
    if args.action == "stop":
        print("sandbox stopped" if stop_daemon(where) else "sandbox was not running")
        return 0
    current = status(where)
    if current is None:
        print(f"sandbox not running ({where})")
        return 1
    print(json.dumps({k: v for k, v in current.items() if k != "credentials"}, indent=2, sort_keys=True))
    return 0
