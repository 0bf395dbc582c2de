"""Daily sending limits from the ramp schedule: a pure function of the spec and an explicit `today`.

Day zero is the later of the ramp's `start_date` and the domain's `since` (the day it went active), or `today` when
neither is set — so a domain without dates stays at `start` until someone records when it went live. A fleet-wide
`start_date` therefore never lets a domain added later skip its own ramp.
"""

from __future__ import annotations

from datetime import date

from components.spec import DomainSpec, FleetSpec, RampSpec


def start_of(ramp: RampSpec, since: date | None) -> date | None:
    """The later of `start_date` and `since`; None when neither is set (the module docstring says why)."""
    starts = [d for d in (ramp.start_date, since) if d is not None]
    return max(starts) if starts else None


def day_zero(spec: FleetSpec, domain: DomainSpec) -> date | None:
    """The domain's day zero, None when no date says when sending began (health reports it; see `start_of`)."""
    return start_of(spec.ramp_for(domain), domain.since)


def daily_limit(ramp: RampSpec, cap: int, status: str, since: date | None, today: date) -> int:
    """Sends per day for one mailbox: start + step × days since day zero, at most ramp.max and cap.

    Retiring and retired domains send nothing (0); before day zero the mailbox does not send either.
    """
    if status != "active":
        return 0
    days = (today - (start_of(ramp, since) or today)).days
    if days < 0:
        return 0
    return min(ramp.start + ramp.step * days, ramp.max, cap)


def domain_daily_limit(spec: FleetSpec, domain: DomainSpec, today: date) -> int:
    """The limit every mailbox of `domain` gets today (all mailboxes of a domain ramp together)."""
    return daily_limit(spec.ramp_for(domain), spec.defaults.daily_limit_cap, domain.status, domain.since, today)
