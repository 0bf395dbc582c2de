"""One health run: the context every collector reads, and the collectors run for each live domain.

A collector is a function `collect(ctx, signals) -> None` that appends `Finding`s (and numbers) to the domain's
`DomainSignals`; it never decides a verdict (`components.health.verdict` does) and never raises for an answer it
did not like: a source that cannot answer is a Finding with level `unknown`. Collectors read live sources only
(DNS as served, the APIs); the stack's `inventory` output only says what coldfleet published, to compare against.
"""

from __future__ import annotations

from collections.abc import Callable

from components.health import age, blocklists, dmarc_reports, microsoft, sequencer
from components.health import dns as dns_records
from components.health.context import HealthContext as HealthContext  # the face collectors' callers name
from components.health.signals import DomainSignals

Collector = Callable[[HealthContext, DomainSignals], None]

# Every collector of a run, in order. Each source adds its own module under components/health/ and one line here.
COLLECTORS: list[Collector] = []
COLLECTORS += [dns_records.collect, blocklists.collect, age.collect]  # DNS, blocklists, age
COLLECTORS += [microsoft.collect, dmarc_reports.collect]
COLLECTORS += [sequencer.collect]
