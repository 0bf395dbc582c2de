"""The Pulumi program: `__main__.py` and the CLI's inline program both call `main()`.

The previous inventory (for the mass-delete and residency guards) is read from this very stack's last outputs with
the engine's built-in `pulumi:pulumi:readStackOutputs` invoke. It is synchronous, so the guard runs before any
resource is registered, and it needs no help from the CLI. Verified on the file backend (pulumi 3.260, inline
program): it returns the last completed update's outputs during both `preview` and `up`, and `{}` on a new stack.
A self-`StackReference` reads the same values, but only as an Output, after resources would already be registered.
The invoke also returns secret outputs in plaintext: only `inventory` is taken from it, and nothing is logged.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import pulumi

from components.fleet import ALLOW_MASS_DELETE, ColdEmailFleet, GuardrailError
from components.spec import LEGAL_NOTICE, load_spec

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
ALLOW_ENV = "COLDFLEET_ALLOW_MASS_DELETE"  # what `coldfleet up --allow-mass-delete` sets for one run


def allow_mass_delete(config: pulumi.Config) -> bool:
    """`coldfleet:allowMassDelete` in stack config, or the CLI's one-run flag (environment)."""
    flag = os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")
    return flag or bool(config.get_bool(ALLOW_MASS_DELETE.split(":", 1)[1]))


def read_previous_inventory(attempts: int = 5, pause_s: float = 0.2) -> dict[str, Any] | None:
    """This stack's `inventory` output from its last update, or None on a stack that has none yet.

    Retried: the file backend rewrites the checkpoint as the update starts, and a read that races that write fails
    with "failed to load checkpoint: EOF" (seen about once in eight fresh `up`s here).
    """
    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    for attempt in range(1, attempts + 1):
        try:
            result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": name})
            break
        except Exception:
            if attempt == attempts:
                raise
            time.sleep(pause_s * attempt)
    outputs = (result.value or {}).get("outputs") or {}
    inventory = outputs.get("inventory")
    return dict(inventory) if isinstance(inventory, Mapping) else None


def main() -> None:
    config = pulumi.Config("coldfleet")
    spec = load_spec(config.require_object("fleet"))  # SpecError before any resource is registered
    allow = allow_mass_delete(config)
    try:
        previous = read_previous_inventory()
    except Exception as error:  # the guard cannot work blind: fail closed unless told otherwise
        if not allow:
            raise GuardrailError(
                f"cannot read this stack's previous inventory ({str(error)[:300]}); the mass-delete guard "
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
