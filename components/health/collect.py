"""One health run: the context every collector reads, and the collectors run for each live domain.

A collector is a function `collect(ctx, signals) -> None` that appends `Finding`s (and numbers) to the domain's
`DomainSignals`; it never decides a verdict (`components.health.verdict` does) and never raises for an answer it
did not like: a source that cannot answer is a Finding with level `unknown`. Collectors read live sources only
(DNS as served, the APIs); the stack's `inventory` output only says what coldfleet published, to compare against.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from components.health.signals import DomainSignals
from components.spec import FleetSpec
from providers.config import Settings


@dataclass(frozen=True)
class HealthContext:
    """What every collector may read: the stack's spec, its settings (endpoints and credentials, never printed),
    the stack's `inventory` output ({} before the first `up`), today's date, and health options from stack config
    (`coldfleet:health.*` keys without the prefix, e.g. `blocklists`, `dmarcReportsDir`)."""

    stack: str
    spec: FleetSpec
    settings: Settings
    inventory: Mapping[str, Any]
    today: date
    options: Mapping[str, str] = field(default_factory=dict)


Collector = Callable[[HealthContext, DomainSignals], None]

# Every collector of a run, in order. Each source adds its own module under components/health/ and one line here.
COLLECTORS: list[Collector] = []

from components.health import sequencer  # noqa: E402  (registered below; it does not import this module)

COLLECTORS.append(sequencer.collect)
