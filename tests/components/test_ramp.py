"""The ramp: a pure function of the schedule, the domain's dates and an explicit `today`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from components.ramp import daily_limit, domain_daily_limit
from components.spec import RampSpec, load_spec

RAMP = RampSpec(start=5, step=2, max=30)
SINCE = date(2026, 3, 1)


@pytest.mark.parametrize(("days", "expected"), [(0, 5), (1, 7), (5, 15), (12, 29), (13, 30), (400, 30)])
def test_ramp_steps_up_to_max(days: int, expected: int) -> None:
    assert daily_limit(RAMP, 50, "active", SINCE, SINCE + timedelta(days=days)) == expected


def test_cap_wins_over_max() -> None:
    assert daily_limit(RAMP, 12, "active", SINCE, SINCE + timedelta(days=100)) == 12


@pytest.mark.parametrize("status", ["retiring", "retired"])
def test_retiring_and_retired_send_nothing(status: str) -> None:
    assert daily_limit(RAMP, 50, status, SINCE, SINCE + timedelta(days=30)) == 0


def test_without_a_since_date_the_ramp_stays_at_start() -> None:
    assert daily_limit(RAMP, 50, "active", None, date(2030, 1, 1)) == 5


def test_before_day_zero_nothing_is_sent() -> None:
    assert daily_limit(RAMP, 50, "active", SINCE, SINCE - timedelta(days=1)) == 0


def test_the_later_of_start_date_and_since_is_day_zero() -> None:
    ramp = RampSpec(start=5, step=2, max=30, start_date=date(2026, 1, 1))
    today = SINCE + timedelta(days=3)
    assert daily_limit(ramp, 50, "active", SINCE, today) == 11  # a fleet-wide start_date never skips a new domain
    assert daily_limit(ramp, 50, "active", None, today) == 30


def test_domain_limit_uses_overrides(raw: dict[str, Any]) -> None:
    raw["domains"][0]["ramp"] = {"start": 10, "step": 10, "max": 40}
    spec = load_spec(raw)
    today = date(2026, 1, 3)
    assert domain_daily_limit(spec, spec.domains[0], today) == 30  # since 2026-01-01, own ramp
    assert domain_daily_limit(spec, spec.domains[1], today) == 5  # no since: start
