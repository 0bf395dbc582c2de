"""The Pulumi program: `__main__.py` and the CLI's inline program both call `main()`.

The previous inventory (for the mass-delete and residency guards) is this very stack's last `inventory` output, read
with the engine's built-in `pulumi:pulumi:readStackOutputs` invoke, called synchronously on the resource monitor: the
guard runs before any resource is registered and needs no help from the CLI (plain `pulumi up` gets it too).
Verified on the file backend (pulumi 3.260, inline program): it returns the last update's outputs during `preview`
and `up`, and `{}` on a new stack. A self-`StackReference` reads the same values, but only as an Output, after
resources would already be registered. The invoke also returns secret outputs in plaintext: only `inventory` is
taken from it, and nothing else is logged.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime.proto import resource_pb2

from components.fleet import ALLOW_MASS_DELETE, ColdEmailFleet, GuardrailError
from components.spec import LEGAL_NOTICE, SpecError, load_spec
from components.stack_trace import install as trim_stack_traces

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
ALLOW_ENV = "COLDFLEET_ALLOW_MASS_DELETE"  # what `coldfleet up --allow-mass-delete` sets for one run


def allow_mass_delete(config: pulumi.Config) -> bool:
    """`coldfleet:allowMassDelete` in stack config, or the CLI's one-run flag (environment)."""
    flag = os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")
    return flag or bool(config.get_bool(ALLOW_MASS_DELETE.split(":", 1)[1]))


def _read_stack_outputs(name: str) -> dict[str, Any]:
    """One synchronous `readStackOutputs` call straight to the resource monitor.

    Not `pulumi.runtime.invoke`: the SDK records every failed invoke and fails the whole program at the end, even when
    the caller caught the error, which would make a retry pointless.
    """
    monitor = pulumi.runtime.settings.get_monitor()
    if monitor is None:
        raise RuntimeError("no resource monitor (not running inside a Pulumi program)")
    args = struct_pb2.Struct()
    args.update({"name": name})
    response = monitor.Invoke(resource_pb2.ResourceInvokeRequest(tok=READ_STACK_OUTPUTS, args=args))
    if response.failures:
        raise RuntimeError(f"{READ_STACK_OUTPUTS}: {response.failures[0].reason}")
    value, _secret = pulumi.runtime.rpc.deserialize_properties_unwrap_secrets(getattr(response, "return"))
    return dict(value or {})


def _describe(error: Exception) -> str:
    details = getattr(error, "details", None)  # grpc.RpcError carries the engine's message here
    return str(details() if callable(details) else error)[:300]


def read_previous_inventory(attempts: int = 5, pause_s: float = 0.2) -> dict[str, Any] | None:
    """This stack's `inventory` output from its last update, or None on a stack that has none yet.

    Retried: the file backend rewrites the checkpoint as the update starts, and a read that races that write fails
    with "failed to load checkpoint: EOF" (seen in about one fresh `up` in eight here).
    """
    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    for attempt in range(1, attempts + 1):
        try:
            result = _read_stack_outputs(name)
            break
        except Exception as error:
            if attempt == attempts:
                raise
            pulumi.log.info(f"reading the previous inventory failed ({_describe(error)}); retrying")
            time.sleep(pause_s * attempt)
    inventory = (result.get("outputs") or {}).get("inventory")
    return dict(inventory) if isinstance(inventory, Mapping) else None


def main() -> None:
    """The program. A refused spec or guardrail becomes `pulumi.RunError`: the language server then reports its
    message once, without the Python traceback it attaches to any other exception (automation `_server.py`)."""
    trim_stack_traces()  # about 2 KB less state per resource (components/stack_trace.py)
    try:
        _program()
    except (SpecError, GuardrailError) as error:
        raise pulumi.RunError(str(error)) from None


def _program() -> None:
    config = pulumi.Config("coldfleet")
    spec = load_spec(config.require_object("fleet"))  # SpecError before any resource is registered
    allow = allow_mass_delete(config)
    try:
        previous = read_previous_inventory()
    except Exception as error:  # the guard cannot work blind: fail closed unless told otherwise
        if not allow:
            raise GuardrailError(
                f"cannot read this stack's previous inventory ({_describe(error)}); the mass-delete guard "
                f"needs it. Set {ALLOW_MASS_DELETE}=true to proceed without it."
            ) from None
        pulumi.log.warn(f"previous inventory unreadable ({type(error).__name__}); {ALLOW_MASS_DELETE} is set: "
                        "continuing without the mass-delete guard")
        previous = None
    fleet = ColdEmailFleet(spec.client, spec, previous=previous, allow_mass_delete=allow)
    pulumi.export("inventory", fleet.inventory)
    pulumi.export("export_csv", fleet.export_csv)
    pulumi.export("daily_limits", fleet.daily_limits)
    pulumi.export("legal_notice", LEGAL_NOTICE)
    pulumi.export("handoff", fleet.handoff)
