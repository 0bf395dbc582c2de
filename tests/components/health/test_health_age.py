"""Age signals: registration age from the Name.com double, days active from `since`, the ramp's volume so far."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import date, timedelta
from typing import Any

from components.health import age
from components.health.signals import DomainSignals
from providers.clients.registrar import NameComRegistrar
from sandbox.handle import SandboxHandle
from tests.components.health.conftest import Published


def registered(sandbox: SandboxHandle) -> tuple[str, date]:
    name = f"age-{secrets.token_hex(4)}.com"
    with NameComRegistrar(sandbox.settings) as registrar:
        reg = registrar.register(name, price=12.99, nameservers=[], idempotency_key=secrets.token_hex(8))
    assert reg.create_date is not None
    return name, date.fromisoformat(reg.create_date[:10])


def run(sandbox: SandboxHandle, raw: dict[str, Any], domain: str, **kw: Any) -> DomainSignals:
    signals = DomainSignals(domain)
    age.collect(Published(sandbox, domain).context(raw, **kw), signals)
    return signals


def test_days_active_and_the_ramps_volume(sandbox: SandboxHandle, raw: dict[str, Any]) -> None:
    # ramp 5 + 2/day, max 30, 3 mailboxes: days 0..9 send 5, 7, ..., 23 each = 140 per mailbox.
    signals = run(sandbox, raw, "ramped.com", since="2026-01-01", today=date(2026, 1, 11), registrar="byo")
    assert (signals.days_active, signals.volume_sent, signals.age_days) == (10, 420, None)
    assert signals.findings == []  # byo: no registrar to ask, and that is not a failure
    capped = run(sandbox, raw, "ramped.com", since="2026-01-01", today=date(2026, 3, 1), registrar="byo")
    # 13 days ramping (5..29) then 30/day: 221 + 30 × 46 per mailbox
    assert capped.volume_sent == 3 * (sum(range(5, 30, 2)) + 30 * 46)
    assert run(sandbox, raw, "new.com", since=None, registrar="byo").volume_sent is None


def test_a_young_domain_that_sends_is_watch(sandbox: SandboxHandle, raw: dict[str, Any]) -> None:
    domain, created = registered(sandbox)
    young = run(sandbox, raw, domain, today=created + timedelta(days=3), since=created.isoformat())
    assert young.age_days == 3
    [finding] = young.findings
    assert (finding.source, finding.level) == ("age", "watch") and "3 days" in finding.detail
    old = run(sandbox, raw, domain, today=created + timedelta(days=40), since=created.isoformat())
    assert old.age_days == 40 and [f.level for f in old.findings] == ["ok"]


def test_a_registrar_that_cannot_answer_is_unknown(sandbox: SandboxHandle, raw: dict[str, Any]) -> None:
    settings = dataclasses.replace(sandbox.settings, namecom_token="wrong")
    signals = run(sandbox, raw, "whatever.com", settings=settings)
    assert signals.age_days is None and [f.level for f in signals.findings] == ["unknown"]


def test_a_domain_the_registrar_does_not_hold_is_unknown(sandbox: SandboxHandle, raw: dict[str, Any]) -> None:
    signals = run(sandbox, raw, f"nothere-{secrets.token_hex(3)}.com")
    assert [f.level for f in signals.findings] == ["unknown"]
