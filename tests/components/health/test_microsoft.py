"""The Microsoft collector against the Graph and Exchange doubles: each signal turns a domain or mailbox worn or broken
the way the real tenant would show it, and a source that refuses makes its checks unknown, never ok."""

from __future__ import annotations

import uuid

import pytest

from components.health import microsoft
from components.health.collect import HealthContext
from components.health.signals import DomainSignals, Finding
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import EXCHANGE_ONLINE_APP_ID, GraphClient
from providers.clients.partner_center import Customer
from providers.m365_tenant.tenant_settings import SEQUENCER_SCOPES
from sandbox.handle import SandboxHandle
from tests.components.health.fleet import Fleet, new_customer, new_fleet, spec_for
from tests.providers.clients.helpers import graph_http


@pytest.fixture(scope="module")
def customer(sandbox: SandboxHandle) -> Customer:
    return new_customer(sandbox, seats=40)


@pytest.fixture(scope="module")
def small_customer(sandbox: SandboxHandle) -> Customer:
    return new_customer(sandbox, seats=4)


@pytest.fixture
def fleet(sandbox: SandboxHandle, customer: Customer) -> Fleet:
    return new_fleet(sandbox, customer)


def run(ctx: HealthContext, domain: str) -> list[Finding]:
    signals = DomainSignals(domain)
    microsoft.collect(ctx, signals)
    return signals.findings


def levels(findings: list[Finding], check: str) -> dict[str | None, str]:
    return {f.mailbox: f.level for f in findings if f.check == check}


def test_a_clean_domain_is_ok_on_every_check(sandbox: SandboxHandle, fleet: Fleet) -> None:
    app = str(uuid.uuid4())
    GraphClient(sandbox.settings, fleet.customer.tenant_id).grant_admin_consent(app, EXCHANGE_ONLINE_APP_ID,
                                                                                SEQUENCER_SCOPES)
    findings = run(fleet.context(sandbox, spec_for(fleet.domain, sequencer_app_id=app)), fleet.domain)
    assert {f.check for f in findings} == {*microsoft.GRAPH_CHECKS, *microsoft.EXCHANGE_CHECKS}
    assert {f.level for f in findings} == {"ok"}, [f for f in findings if f.level != "ok"]
    assert set(levels(findings, "restricted-sender")) == set(fleet.users)


def test_a_restricted_sender_is_worn(sandbox: SandboxHandle, fleet: Fleet) -> None:
    hit, other = sorted(fleet.users)
    resp = sandbox.admin.post(f"/tenants/{fleet.customer.tenant_id}/restricted-senders", json={"add": [hit]})
    assert resp.status_code == 200, resp.text

    client = ExchangeClient(sandbox.settings, fleet.customer.tenant_id)
    blocked = {b.address: b for b in client.blocked_senders()}
    assert hit in blocked and blocked[hit].reason.startswith("ExceedingLimitType=")
    assert client.invoke("Get-BlockedSenderAddress", {"SenderAddress": other}) == []

    findings = run(fleet.context(sandbox), fleet.domain)
    assert levels(findings, "restricted-sender") == {hit: "worn", other: "ok"}
    worn = next(f for f in findings if f.level == "worn")
    assert worn.source == "microsoft" and "ExceedingLimitType=External" in worn.detail

    client.invoke("Remove-BlockedSenderAddress", {"SenderAddress": hit})  # Microsoft lifts the block
    assert levels(run(fleet.context(sandbox), fleet.domain), "restricted-sender") == {hit: "ok", other: "ok"}


def test_a_blocked_sign_in_is_broken(sandbox: SandboxHandle, fleet: Fleet) -> None:
    address = sorted(fleet.users)[0]
    GraphClient(sandbox.settings, fleet.customer.tenant_id).update_user(fleet.users[address], accountEnabled=False)
    findings = run(fleet.context(sandbox), fleet.domain)
    assert levels(findings, "account-enabled")[address] == "broken"
    assert [f.level for f in findings if f.check == "account-enabled" and f.mailbox != address] == ["ok"]


def test_an_address_on_onmicrosoft_is_broken(sandbox: SandboxHandle, fleet: Fleet) -> None:
    address = sorted(fleet.users)[1]
    renamed = f"{address.split('@')[0]}@{fleet.customer.domain}"
    with graph_http(sandbox, fleet.customer.tenant_id) as g:
        g.patch(f"/users/{fleet.users[address]}", json={"userPrincipalName": renamed}).raise_for_status()
    findings = run(fleet.context(sandbox), fleet.domain)
    assert levels(findings, "mailbox")[address] == "ok"  # still found, by its nickname
    broken = next(f for f in findings if f.check == "custom-domain-address" and f.mailbox == address)
    assert broken.level == "broken"
    assert "userPrincipalName" in broken.detail and "primary SMTP address" in broken.detail


def test_a_missing_mailbox_is_broken(sandbox: SandboxHandle, fleet: Fleet) -> None:
    address = sorted(fleet.users)[0]
    GraphClient(sandbox.settings, fleet.customer.tenant_id).delete_user(fleet.users[address])
    assert levels(run(fleet.context(sandbox), fleet.domain), "mailbox")[address] == "broken"


def test_missing_sequencer_consent_is_broken(sandbox: SandboxHandle, fleet: Fleet) -> None:
    app = str(uuid.uuid4())
    ctx = fleet.context(sandbox, spec_for(fleet.domain, sequencer_app_id=app))
    none = next(f for f in run(ctx, fleet.domain) if f.check == "sequencer-consent")
    assert none.level == "broken" and "IMAP.AccessAsUser.All, SMTP.Send" in none.detail

    graph = GraphClient(sandbox.settings, fleet.customer.tenant_id)
    graph.grant_admin_consent(app, EXCHANGE_ONLINE_APP_ID, ["IMAP.AccessAsUser.All"])  # narrowed out of band
    narrowed = next(f for f in run(ctx, fleet.domain) if f.check == "sequencer-consent")
    assert narrowed.level == "broken" and "SMTP.Send" in narrowed.detail and "IMAP" not in narrowed.detail

    graph.grant_admin_consent(app, EXCHANGE_ONLINE_APP_ID, SEQUENCER_SCOPES)
    assert levels(run(ctx, fleet.domain), "sequencer-consent") == {None: "ok"}
    # The password path holds no consent: nothing to check.
    password = fleet.context(sandbox, spec_for(fleet.domain, sending="password", sequencer_app_id=app))
    assert "sequencer-consent" not in {f.check for f in run(password, fleet.domain)}


def test_an_unverified_or_absent_domain_is_broken(sandbox: SandboxHandle, customer: Customer) -> None:
    domain = f"u{uuid.uuid4().hex[:10]}.example"
    absent = Fleet(customer, domain, {})
    assert levels(run(absent.context(sandbox), domain), "domain-verified") == {None: "broken"}
    with graph_http(sandbox, customer.tenant_id) as g:
        assert g.post("/domains", json={"id": domain}).status_code == 201
    finding = next(f for f in run(absent.context(sandbox), domain) if f.check == "domain-verified")
    assert finding.level == "broken" and "not verified" in finding.detail


@pytest.mark.parametrize(("start", "level"), [(5, "ok"), (4500, "watch"), (6000, "worn")])
def test_terrl_against_todays_plan(sandbox: SandboxHandle, small_customer: Customer, start: int, level: str) -> None:
    # The customer bought 4 seats: TERRL = 500 × 4^0.7 + 9,500 = 10,819; less the 20 % headroom 8,655. Two mailboxes
    # at `start` a day on day zero plan 2 × start. (The spec's own rule refuses such plans up front against the
    # licences it will buy; health re-checks against the licences the tenant holds today.)
    domain = f"t{uuid.uuid4().hex[:10]}.example"
    spec = spec_for(domain, checked=False, mailboxes=2, daily_limit_cap=10_000,
                    ramp={"start": start, "step": 0, "max": start})
    ctx = Fleet(small_customer, domain, {}).context(sandbox, spec)
    finding = next(f for f in run(ctx, domain) if f.check == "terrl")
    assert finding.level == level, finding.detail
    assert f"{2 * start:,} external recipients" in finding.detail and "10,819" in finding.detail


def test_a_refusing_tenant_is_unknown_never_ok(sandbox: SandboxHandle, fleet: Fleet) -> None:
    # A tenant the app holds no access to: the token endpoint refuses, so every check is unknown.
    findings = run(fleet.context(sandbox, tenant_id=str(uuid.uuid4())), fleet.domain)
    assert findings and {f.level for f in findings} == {"unknown"}
    assert {f.check for f in findings} >= {"domain-verified", "mailbox", "terrl", "restricted-sender"}


def test_exchange_failing_after_retries_is_unknown(sandbox: SandboxHandle, fleet: Fleet,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("providers.clients.http.retry._sleep", lambda _s: None)
    sandbox.set_faults("exchange", p503=1.0)
    findings = run(fleet.context(sandbox), fleet.domain)
    assert levels(findings, "restricted-sender") == {None: "unknown"}
    assert {f.level for f in findings if f.check != "restricted-sender"} == {"ok"}


def test_no_tenant_in_the_inventory_is_unknown(sandbox: SandboxHandle, fleet: Fleet) -> None:
    ctx = fleet.context(sandbox)
    empty = type(ctx)(stack=ctx.stack, spec=ctx.spec, settings=ctx.settings, inventory={}, today=ctx.today)
    assert {f.level for f in run(empty, fleet.domain)} == {"unknown"}
