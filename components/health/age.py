"""How old and how used a domain is: age since registration, days since it went active, what the ramp has sent.

`age_days` comes from the registrar (Name.com's `createDate`); with `registrar: byo` coldfleet has no registrar to ask
and the number stays None (no Finding: that is not a failure). `days_active` counts from the spec's `since`;
`volume_sent` is the ramp's plan (components.ramp) summed over each past day and the domain's mailboxes: what the
sequencer was allowed to send, not what it sent (the sequencer collector reports that). A domain sending while
younger than YOUNG_DAYS is `watch`: receivers treat mail from newly registered domains with suspicion.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from components.health.context import HealthContext
from components.health.signals import DomainSignals, Finding
from components.ramp import daily_limit, day_zero
from components.spec import DomainSpec, FleetSpec
from providers.clients.errors import ClientError
from providers.clients.registrar import registrar_for

log = logging.getLogger(__name__)

YOUNG_DAYS = 14


def volume_sent(spec: FleetSpec, domain: DomainSpec, today: date) -> int | None:
    """Sends the ramp allowed on every day before today, all mailboxes (None: no day zero recorded)."""
    start = day_zero(spec, domain)
    if start is None:
        return None
    ramp, cap = spec.ramp_for(domain), spec.defaults.daily_limit_cap
    days = (today - start).days
    # Past days were sent while active, whatever the domain's status is now (a retiring domain sends nothing today).
    per_mailbox = sum(daily_limit(ramp, cap, "active", start, start + timedelta(days=n)) for n in range(max(days, 0)))
    return per_mailbox * spec.mailbox_count(domain)


def registered_on(value: str | None) -> date | None:
    """The date part of an RFC 3339 timestamp (`2026-01-01T10:00:00Z`)."""
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def collect(ctx: HealthContext, signals: DomainSignals) -> None:
    spec = ctx.spec
    domain = next((d for d in spec.domains if d.name == signals.domain), None)
    if domain is None:
        return
    signals.days_active = (ctx.today - domain.since).days if domain.since else None
    signals.volume_sent = volume_sent(spec, domain, ctx.today)
    if spec.registrar == "byo":
        return
    try:
        registrar = registrar_for(ctx.settings, spec.registrar)
        try:
            registration = registrar.get(domain.name)
        finally:
            close = getattr(registrar, "close", None)
            if callable(close):
                close()
    except ClientError as error:
        signals.add(Finding(domain.name, "age", "registration", "unknown", f"registrar did not answer: {error}"))
        return
    created = registered_on(registration.create_date if registration else None)
    if created is None:
        signals.add(Finding(domain.name, "age", "registration", "unknown",
                            f"{spec.registrar} gives no registration date for {domain.name}"))
        return
    signals.age_days = (ctx.today - created).days
    sending = domain.status == "active" and (signals.days_active is None or signals.days_active >= 0)
    if sending and signals.age_days < YOUNG_DAYS:
        signals.add(Finding(domain.name, "age", "registration", "watch",
                            f"registered {signals.age_days} days ago and already sending (younger than "
                            f"{YOUNG_DAYS} days: receivers distrust new domains)"))
    else:
        signals.add(Finding(domain.name, "age", "registration", "ok", f"registered {signals.age_days} days ago"))
