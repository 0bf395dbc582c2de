"""What every collector of a health run reads. Its own module so collectors can name it without importing
`components.health.collect`, which imports them to list them in COLLECTORS (no import circle)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from components.spec import FleetSpec
from providers.config import Settings


@dataclass(frozen=True, eq=False)
class HealthContext:
    """The stack's spec, its settings (endpoints and credentials, never printed), the stack's `inventory` output
    ({} before the first `up`), today's date, and health options from stack config (`coldfleet:health.*` keys without
    the prefix, e.g. `blocklists`, `dmarcReportsDir`). Compared by identity: one run, one context."""

    stack: str
    spec: FleetSpec
    settings: Settings
    inventory: Mapping[str, Any]
    today: date
    options: Mapping[str, str] = field(default_factory=dict)
