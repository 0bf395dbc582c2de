"""Microsoft's sending limits as spec rules, checked before any resource is registered.

- A mailbox sends to at most `EXCHANGE_RECIPIENTS_PER_DAY` recipients a day (Exchange Online limits, "Sending
  limits": recipient rate limit 10,000 per day; `Set-HostedOutboundSpamFilterPolicy -RecipientLimitPerDay` takes
  0–10,000), so `defaults.daily_limit_cap` may not exceed it.
- A tenant's external recipients per rolling day are capped by the tenant external recipient rate limit (TERRL):
  500 × licences^0.7 + 9,500, and 5,000 for trial tenants. Past it Microsoft blocks the tenant's outbound mail, so
  the planned peak (every live mailbox of the tenant at its ramp's `max`, capped by `daily_limit_cap`) must stay
  below it by `tenant.outbound_headroom` (default 20 %). Licences counted are coldfleet's mailboxes in that tenant:
  in an existing tenant with other licensed users the real limit is higher, so the check errs on the safe side.
- Nothing sends from `*.onmicrosoft.com`: Microsoft limits the initial domain to 100 external recipients a day, so
  a sending domain (or spare) there is refused; every mailbox's UPN and address are on the custom domain.
- DMARC records are written as RFC 9989 does (`t=y` for testing, never `pct`): providers.types.Dmarc.

Each yields `(path, message)` like a field error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from components.spec.models import DomainSpec, FleetSpec
from providers.types import is_under

EXCHANGE_RECIPIENTS_PER_DAY = 10_000
TRIAL_TERRL = 5_000
ONMICROSOFT = "onmicrosoft.com"
ONMICROSOFT_DAILY = 100


def terrl(licences: int, trial: bool = False) -> int:
    """External recipients per rolling 24 hours a tenant may send to (Microsoft's TERRL formula)."""
    if trial:
        return TRIAL_TERRL
    return int(500 * licences**0.7 + 9_500)


def limit_errors(spec: FleetSpec) -> Iterator[tuple[str, str]]:
    cap = spec.defaults.daily_limit_cap
    if cap > EXCHANGE_RECIPIENTS_PER_DAY:
        yield "defaults.daily_limit_cap", (f"{cap} exceeds Exchange Online's recipient rate limit of "
                                           f"{EXCHANGE_RECIPIENTS_PER_DAY:,} per mailbox and day")
    named = [(f"domains[{i}].name", d.name) for i, d in enumerate(spec.domains)]
    named += [(f"spares[{i}]", name) for i, name in enumerate(spec.spares)]
    for path, name in named:
        if is_under(name, ONMICROSOFT):
            yield path, (f"{name} is a Microsoft initial domain, capped at {ONMICROSOFT_DAILY} external recipients "
                         "a day: send from a custom domain")
    yield from _terrl_errors(spec)


def _terrl_errors(spec: FleetSpec) -> Iterator[tuple[str, str]]:
    per_tenant: dict[str, list[tuple[int, DomainSpec]]] = defaultdict(list)
    for i, d in enumerate(spec.domains):
        if d.status != "retired":
            per_tenant[spec.tenant_id_for(d) or f"new:{d.name}"].append((i, d))
    cap, headroom, trial = spec.defaults.daily_limit_cap, spec.tenant.outbound_headroom, spec.tenant.trial
    for members in per_tenant.values():
        licences = sum(spec.mailbox_count(d) for _, d in members)
        planned = sum(spec.mailbox_count(d) * min(spec.ramp_for(d).max, cap) for _, d in members
                      if d.status == "active")
        allowed = int(terrl(licences, trial) * (1 - headroom))
        if planned <= allowed:
            continue
        where = ", ".join(d.name for _, d in members)
        kind = "trial tenant" if trial else f"tenant of {licences} licence(s)"
        for i, _ in members:
            yield f"domains[{i}].mailboxes", (
                f"{planned:,} external recipients a day planned at full ramp ({where}) exceed the {kind}'s outbound "
                f"limit {terrl(licences, trial):,} less tenant.outbound_headroom {headroom:.0%} = {allowed:,}: "
                "lower ramp.max or daily_limit_cap, or spread the mailboxes over more domains")
