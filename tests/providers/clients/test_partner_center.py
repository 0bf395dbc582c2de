"""PartnerCenterClient against the Partner Center double over HTTPS: the whole partner flow, idempotency, retries."""

from __future__ import annotations

import logging
import uuid

import pytest

from providers.clients import errors, http, partner_center
from providers.clients.partner_center import Address, PartnerCenterClient
from sandbox.handle import SandboxHandle

EXCHANGE_PLAN1 = ("CFQ7TTC0LH16", "0001")
ADDRESS = Address(first_name="Anna", last_name="Keller", address_line1="Bahnhofstrasse 1", city="Zurich", state="ZH",
                  postal_code="8001", country="CH")


def new_prefix() -> str:
    return "cf" + uuid.uuid4().hex[:10]


def create(client: PartnerCenterClient, prefix: str, request_id: str | None = None) -> partner_center.Customer:
    return client.create_customer(prefix=prefix, company_name=f"{prefix} AG", email="ops@example.test",
                                  culture="en-US", language="en", address=ADDRESS,
                                  request_id=request_id or str(uuid.uuid4()))


def seats(sandbox: SandboxHandle, tenant_id: str) -> dict[str, int]:
    tenant = sandbox.admin_state()["world"]["tenants"][tenant_id]
    return {s["sku_part_number"]: s["enabled"] for s in tenant["skus"].values()}


def test_full_partner_flow(sandbox: SandboxHandle) -> None:
    client = PartnerCenterClient(sandbox.settings)
    prefix = new_prefix()
    assert client.domain_available(prefix) is True
    assert client.find_customer(prefix) is None

    customer = create(client, prefix)
    assert customer.domain == f"{prefix}.onmicrosoft.com" and customer.country == "CH"
    assert customer.tenant_id == customer.id
    assert customer.admin_username == f"admin@{prefix}.onmicrosoft.com" and customer.admin_password
    assert customer.admin_password not in repr(customer)
    assert client.domain_available(prefix) is False
    found = client.find_customer(prefix)
    assert found is not None and found.id == customer.id and found.admin_password is None
    assert found.company_name == f"{prefix} AG" and found.country == "CH"

    item = client.catalog_item(*EXCHANGE_PLAN1, "CH")
    assert item.startswith("CFQ7TTC0LH16:0001:")
    assert client.has_mca(customer.id) is False
    with pytest.raises(errors.PermissionDenied) as denied:
        client.buy(customer.id, item, 3)
    assert denied.value.code == "13605"

    client.accept_mca(customer.id, first_name="Anna", last_name="Keller", email="anna@example.test")
    assert client.has_mca(customer.id) is True
    bought = client.buy(customer.id, item, 3)
    assert len(bought) == 1 and bought[0].quantity == 3 and bought[0].status == "active"
    assert bought[0].is_for(*EXCHANGE_PLAN1) and not bought[0].is_for("CFQ7TTC0LH18", "0001")
    assert client.subscriptions(customer.id) == bought
    assert seats(sandbox, customer.tenant_id)["EXCHANGESTANDARD"] == 3

    client.set_quantity(customer.id, bought[0].id, 5)
    assert [s.quantity for s in client.subscriptions(customer.id)] == [5]
    assert seats(sandbox, customer.tenant_id)["EXCHANGESTANDARD"] == 5


def test_create_is_idempotent_per_request_id(sandbox: SandboxHandle) -> None:
    client = PartnerCenterClient(sandbox.settings)
    prefix, request_id = new_prefix(), str(uuid.uuid4())
    first = create(client, prefix, request_id)
    again = create(client, prefix, request_id)
    assert again == first  # same tenant, same one-time password
    with pytest.raises(errors.Conflict):
        create(client, prefix)  # a new request for a taken name


def test_find_customer_follows_pages(sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    client = PartnerCenterClient(sandbox.settings)
    prefixes = [new_prefix() for _ in range(3)]
    for prefix in prefixes:
        create(client, prefix)
    monkeypatch.setattr(partner_center, "PAGE_SIZE", 1)
    before = sandbox.request_counts("partner_center").get("requests", 0)
    found = client.find_customer(prefixes[-1])
    assert found is not None and found.domain == f"{prefixes[-1]}.onmicrosoft.com"
    assert sandbox.request_counts("partner_center")["requests"] - before >= 4  # >= 3 pages + the GET by id


def test_unknown_customer_and_product(sandbox: SandboxHandle) -> None:
    client = PartnerCenterClient(sandbox.settings)
    assert client.get_customer(str(uuid.uuid4())) is None
    with pytest.raises(errors.NotFound):
        client.catalog_item("NOPE", "0001", "CH")
    with pytest.raises(errors.NotFound):
        client.subscriptions(str(uuid.uuid4()))


def test_invalid_address_is_bad_request(sandbox: SandboxHandle) -> None:
    client = PartnerCenterClient(sandbox.settings)
    # built without validation: the point is the service's own check of the address
    bad = Address.model_construct(first_name="A", last_name="B", address_line1="1 Way", city="Zurich", state="ZH",
                                  postal_code="", country="CH", phone_number=None)
    with pytest.raises(errors.BadRequest) as exc:
        client.create_customer(prefix=new_prefix(), company_name="X", email="x@example.test", culture="en-US",
                               language="en", address=bad, request_id=str(uuid.uuid4()))
    assert exc.value.code == "2007" and exc.value.api == "partner_center"


def test_retries_on_429_are_counted(sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture) -> None:
    client = PartnerCenterClient(sandbox.settings)
    client.domain_available(new_prefix())  # token fetched, connection warm
    sandbox.reset_faults()
    sandbox.set_faults("partner_center", next_429=2, retry_after_s=0)
    with caplog.at_level(logging.WARNING, logger="providers.clients.http.retry"):
        assert client.domain_available(new_prefix()) is True
    assert sandbox.request_counts("partner_center") == {"requests": 3, "429": 2}
    assert sum("HTTP 429" in r.getMessage() for r in caplog.records) == 2


def test_gives_up_once_the_throttle_budget_is_spent(sandbox: SandboxHandle) -> None:
    client = PartnerCenterClient(sandbox.settings)
    client.domain_available(new_prefix())
    sandbox.reset_faults()
    attempts = http.POLICIES["partner_center"].throttled_attempts
    sandbox.set_faults("partner_center", next_429=attempts, retry_after_s=0)
    with pytest.raises(errors.Throttled) as exc:
        client.find_customer(new_prefix())
    assert exc.value.status == 429 and exc.value.retry_after == 0
    assert sandbox.request_counts("partner_center") == {"requests": attempts, "429": attempts}


def test_dropped_connection_and_503_are_retried(sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("providers.clients.http.retry._sleep", lambda seconds: None)
    client = PartnerCenterClient(sandbox.settings)
    prefix = new_prefix()
    client.domain_available(prefix)
    sandbox.reset_faults()
    sandbox.set_faults("partner_center", next_drop=1, next_503=1, retry_after_s=0)
    customer = create(client, prefix)  # the address check absorbs the faults; the create still happens once
    counts = sandbox.request_counts("partner_center")
    assert counts["drop"] == 1 and counts["503"] == 1 and counts["requests"] == 4
    tenants = sandbox.admin_state()["world"]["tenants"].values()
    assert [t["id"] for t in tenants if t["initial_domain"] == customer.domain] == [customer.id]
