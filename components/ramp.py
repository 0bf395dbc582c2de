"""Daily sending limits from the ramp schedule: a pure function of the spec and an explicit `today`.

Day zero is the later of the ramp's `start_date` and the domain's `since` (the day it went active), or `today` when
neither is set — so a domain without dates stays at `start` until someone records when it went live. A fleet-wide
`start_date` therefore never lets a domain added later skip its own ramp.
"""

from __future__ import annotations

from datetime import date

from components.spec import DomainSpec, FleetSpec, RampSpec


def daily_limit(ramp: RampSpec, cap: int, status: str, since: date | None, today: date) -> int:
    """Sends per day for one mailbox: start + step × days since day zero, at most ramp.max and cap.

    Retiring and retired domains send nothing (0); before day zero the mailbox does not send either.
    """
    if status != "active":
        return 0
    starts = [d for d in (ramp.start_date, since) if d is not None]
    day_zero = max(starts) if starts else today
    days = (today - day_zero).days
    if days < 0:
        return 0
    return min(ramp.start + ramp.step * days, ramp.max, cap)


def domain_daily_limit(spec: FleetSpec, domain: DomainSpec, today: date) -> int:
    """The limit every mailbox of `domain` gets today (all mailboxes of a domain ramp together)."""
    return daily_limit(spec.ramp_for(domain), spec.defaults.daily_limit_cap, domain.status, domain.since, today)
