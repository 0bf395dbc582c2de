"""ExchangeClient against the Exchange double over HTTPS: DKIM with CNAMEs published at BIND, SMTP AUTH, paging,
retries. The tenant comes from the Partner Center client; the custom domain is verified through the Graph double.
"""

from __future__ import annotations

import logging
import uuid

import pytest

from providers.clients import errors, exchange, http
from providers.clients.exchange import ExchangeClient
from providers.clients.partner_center import Address, Customer, PartnerCenterClient
from sandbox.handle import SandboxHandle
from tests.providers.clients.helpers import licensed_mailbox, publish, verified_domain

ADDRESS = Address(first_name="A", last_name="B", address_line1="1 Main St", city="Seattle", state="WA",
                  postal_code="98101", country="US")


@pytest.fixture(scope="module")
def customer(sandbox: SandboxHandle) -> Customer:
    pc = PartnerCenterClient(sandbox.settings)
    prefix = "ex" + uuid.uuid4().hex[:10]
    created = pc.create_customer(prefix=prefix, company_name="Exo Test", email="ops@example.test", culture="en-US",
                                 language="en", request_id=str(uuid.uuid4()),
                                 address=ADDRESS)
    pc.accept_mca(created.id, first_name="A", last_name="B", email="a@example.test")
    pc.buy(created.id, pc.catalog_item("CFQ7TTC0LH16", "0001", "US"), 2)
    return created


def test_dkim_new_get_enable(sandbox: SandboxHandle, customer: Customer) -> None:
    domain = verified_domain(sandbox, customer.tenant_id)
    client = ExchangeClient(sandbox.settings, customer.tenant_id)
    assert client.get_dkim(domain) is None

    created = client.new_dkim(domain)
    assert created.domain == domain and not created.enabled and created.status == "CnameMissing"
    assert created.selector1_cname.startswith(f"selector1-{domain.replace('.', '-')}._domainkey.")
    assert client.get_dkim(domain) == created
    assert client.new_dkim(domain) == created  # idempotent

    with pytest.raises(errors.NotReady) as exc:
        client.set_dkim_enabled(domain, True)
    assert exc.value.code == "ValidationException"

    for n, target in ((1, created.selector1_cname), (2, created.selector2_cname)):
        publish(sandbox, domain, f"selector{n}._domainkey.{domain}", "CNAME", [target + "."])
    client.set_dkim_enabled(domain, True)
    enabled = client.get_dkim(domain)
    assert enabled is not None and enabled.enabled and enabled.status == "Valid"
    assert sandbox.admin_state()["world"]["tenants"][customer.tenant_id]["dkim"][domain]["enabled"] is True

    client.set_dkim_enabled(domain, False)
    disabled = client.get_dkim(domain)
    assert disabled is not None and not disabled.enabled


def test_new_dkim_for_unknown_domain_is_not_found(sandbox: SandboxHandle, customer: Customer) -> None:
    with pytest.raises(errors.NotFound) as exc:
        ExchangeClient(sandbox.settings, customer.tenant_id).new_dkim("not-in-this-tenant.example")
    assert exc.value.code == "ManagementObjectNotFoundException" and exc.value.status == 404


def test_tenant_smtp_auth(sandbox: SandboxHandle, customer: Customer) -> None:
    client = ExchangeClient(sandbox.settings, customer.tenant_id)
    assert client.get_tenant_smtp_auth() is False  # off for new tenants
    client.set_tenant_smtp_auth(True)
    assert client.get_tenant_smtp_auth() is True
    client.set_tenant_smtp_auth(False)
    assert client.get_tenant_smtp_auth() is False


def test_mailbox_smtp_auth(sandbox: SandboxHandle, customer: Customer) -> None:
    upn = f"m{uuid.uuid4().hex[:8]}@{customer.domain}"
    licensed_mailbox(sandbox, customer.tenant_id, upn, "Mail User")

    client = ExchangeClient(sandbox.settings, customer.tenant_id)
    assert client.get_mailbox_smtp_auth(upn) is None  # follows the tenant
    client.set_mailbox_smtp_auth(upn, True)
    assert client.get_mailbox_smtp_auth(upn) is True
    client.set_mailbox_smtp_auth(upn, False)
    assert client.get_mailbox_smtp_auth(upn) is False
    with pytest.raises(errors.NotFound):
        client.get_mailbox_smtp_auth(f"ghost@{customer.domain}")


def test_invoke_follows_next_links(sandbox: SandboxHandle, customer: Customer,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    client = ExchangeClient(sandbox.settings, customer.tenant_id)
    domain = verified_domain(sandbox, customer.tenant_id)
    client.new_dkim(domain)
    monkeypatch.setattr(exchange, "PAGE_SIZE", 1)
    before = sandbox.request_counts("exchange").get("requests", 0)
    rows = client.invoke("Get-DkimSigningConfig")
    domains = [r["Domain"] for r in rows]
    assert domains[0] == customer.domain and domain in domains
    assert sandbox.request_counts("exchange")["requests"] - before == len(rows)  # one page per row


def test_unknown_cmdlet_is_bad_request(sandbox: SandboxHandle, customer: Customer) -> None:
    with pytest.raises(errors.BadRequest) as exc:
        ExchangeClient(sandbox.settings, customer.tenant_id).invoke("Get-Nothing")
    assert exc.value.code == "CommandNotFoundException"


def test_retries_on_429_are_counted(sandbox: SandboxHandle, customer: Customer,
                                    caplog: pytest.LogCaptureFixture) -> None:
    client = ExchangeClient(sandbox.settings, customer.tenant_id)
    client.get_tenant_smtp_auth()  # token cached
    sandbox.reset_faults()
    sandbox.set_faults("exchange", next_429=2, retry_after_s=0)
    with caplog.at_level(logging.WARNING, logger="providers.clients.http.retry"):
        client.set_tenant_smtp_auth(False)
    assert sandbox.request_counts("exchange") == {"requests": 3, "429": 2}
    assert sum("HTTP 429" in r.getMessage() for r in caplog.records) == 2


def test_write_quota_exhausted_raises_throttled(sandbox: SandboxHandle, customer: Customer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr("providers.clients.http.retry._sleep", sleeps.append)
    client = ExchangeClient(sandbox.settings, customer.tenant_id)
    sandbox.set_faults("exchange", write_quota=1, write_window_s=60)
    client.set_tenant_smtp_auth(False)
    with pytest.raises(errors.Throttled) as exc:
        client.set_tenant_smtp_auth(False)
    assert exc.value.retry_after is not None and exc.value.retry_after >= 1
    attempts = http.POLICIES["exchange"].throttled_attempts
    assert len(sleeps) == attempts - 1 and all(s >= 1 for s in sleeps)  # Retry-After honoured between attempts
