"""What the fleet refuses to change, judged against the last deployed inventory before any resource is registered.

Policy packs cannot run here, so the fleet guards itself: the spec's own rules once more (a spec built without
`load_spec` must not slip past them), the residency lock (a tenant's data location is fixed at creation) and the
mass-delete guard, modelled on octoDNS's `TooMuchChange`. A spec that is wrong on its own is `components.spec`'s
business; these rules need the previous state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from components.spec import FleetSpec, cross_field_errors
from providers.types import mail_address

ALLOW_MASS_DELETE = "coldfleet:allowMassDelete"
MASS_DELETE_FRACTION = 0.25


class GuardrailError(Exception):
    """A change the fleet refuses to make; the message says why and, where there is one, how to override."""


def planned_mailboxes(spec: FleetSpec) -> dict[str, set[str]]:
    """Email addresses per live domain."""
    return {d.name: {mail_address(m.local_part, d.name) for m in spec.mailboxes(d)} for d in spec.live_domains()}


def _emails(entry: Mapping[str, Any]) -> set[str]:
    return {str(m.get("email")) for m in entry.get("mailboxes") or [] if isinstance(m, Mapping)}


def deletion_problems(spec: FleetSpec, previous: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What the mass-delete guard objects to: > 25 % of mailboxes gone, or an active domain dropped without retiring."""
    problems = []
    planned = planned_mailboxes(spec)
    before = {name: _emails(entry) for name, entry in previous.items()}
    total = sum(len(emails) for emails in before.values())
    lost = {name: len(emails - planned.get(name, set())) for name, emails in before.items()}
    lost = {name: count for name, count in lost.items() if count}
    gone = sum(lost.values())
    if total and gone > MASS_DELETE_FRACTION * total:
        where = ", ".join(f"{name} ({count})" for name, count in sorted(lost.items()))
        problems.append(f"{gone} of {total} mailboxes would be deleted (more than {MASS_DELETE_FRACTION:.0%}): {where}")
    status = {d.name: d.status for d in spec.domains}
    skipped = sorted(
        name for name, entry in previous.items()
        if entry.get("status") == "active" and status.get(name, "retired") == "retired"
    )
    if skipped:
        problems.append(
            f"active domain(s) {', '.join(skipped)} would be deleted without going through 'retiring' first "
            "(replies to them would be lost)"
        )
    return problems


def residency_problem(spec: FleetSpec, previous: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The residency lock: existing tenants keep the residency they were created with."""
    moved = sorted(name for name, entry in previous.items() if entry.get("residency") not in (None, spec.residency))
    if not moved:
        return None
    return (
        f"residency {spec.residency!r} differs from the residency of existing tenants for {', '.join(moved)}: "
        "a tenant's data location is fixed at creation; retire those domains first or use another stack"
    )


def check_guardrails(spec: FleetSpec, previous: Mapping[str, Any] | None, allow_mass_delete: bool = False) -> None:
    """Raise GuardrailError for anything the fleet must not do. `previous` is the last `inventory` output."""
    static = list(cross_field_errors(spec))
    if static:
        raise GuardrailError("; ".join(f"{path}: {message}" for path, message in static))
    prev = {name: entry for name, entry in (previous or {}).items() if isinstance(entry, Mapping)}
    moved = residency_problem(spec, prev)
    if moved:
        raise GuardrailError(moved)
    problems = deletion_problems(spec, prev)
    if problems and not allow_mass_delete:
        raise GuardrailError(
            "; ".join(problems) + f". Set {ALLOW_MASS_DELETE}=true (or run once with --allow-mass-delete) to proceed."
        )
    for problem in problems:
        pulumi.log.warn(f"{problem} (allowed by {ALLOW_MASS_DELETE})")
