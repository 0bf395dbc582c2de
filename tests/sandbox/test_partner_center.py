"""The Partner Center double's contract over HTTPS: status codes, error bodies, paging, idempotency, seats."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.handle import SandboxHandle

AUDIENCE = "https://api.partnercenter.microsoft.com"
ERROR_KEYS = {"code", "description", "errorName", "isRetryable", "parameters", "errorMessageExtended"}


def token(sandbox: SandboxHandle, audience: str = AUDIENCE, tenant: str | None = None) -> str:
    creds = sandbox.credentials
    resp = httpx.post(
        f"{sandbox.endpoints['login']}/{tenant or creds['partner_tenant_id']}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": creds["client_id"],
              "client_secret": creds["client_secret"], "scope": f"{audience}/.default"},
        verify=sandbox.ca_cert,
    )
    resp.raise_for_status()
    value: str = resp.json()["access_token"]
    return value


@pytest.fixture(scope="module")
def pc(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token(sandbox)}", "Accept": "application/json"}
    with httpx.Client(base_url=sandbox.endpoints["partner"], verify=sandbox.ca_cert, headers=headers) as client:
        yield client


def ids() -> dict[str, str]:
    return {"MS-CorrelationId": str(uuid.uuid4()), "MS-RequestId": str(uuid.uuid4())}


def customer_body(prefix: str, country: str = "CH") -> dict[str, Any]:
    # PascalCase as in Microsoft's own sample: the service accepts both casings.
    return {"CompanyProfile": {"Domain": f"{prefix}.onmicrosoft.com"},
            "BillingProfile": {"Culture": "en-US", "Email": "ops@example.test", "Language": "en",
                               "CompanyName": f"{prefix} AG",
                               "DefaultAddress": {"FirstName": "Anna", "LastName": "Keller",
                                                  "AddressLine1": "Bahnhofstrasse 1", "City": "Zurich",
                                                  "State": "ZH", "PostalCode": "8001", "Country": country}}}


def new_prefix() -> str:
    return "pc" + uuid.uuid4().hex[:10]


def create(pc: httpx.Client, prefix: str | None = None) -> dict[str, Any]:
    resp = pc.post("/customers", json=customer_body(prefix or new_prefix()), headers=ids())
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def attest(pc: httpx.Client, customer_id: str) -> None:
    meta = pc.get("/agreements", params={"agreementType": "MicrosoftCustomerAgreement"}).json()
    resp = pc.post(f"/customers/{customer_id}/agreements", headers=ids(), json={
        "primaryContact": {"firstName": "Anna", "lastName": "Keller", "email": "anna@example.test"},
        "templateId": meta["items"][0]["templateId"], "dateAgreed": "2026-01-01T00:00:00Z",
        "type": "MicrosoftCustomerAgreement"})
    assert resp.status_code == 201, resp.text


def catalog_item(pc: httpx.Client, product: str = "CFQ7TTC0LH16", country: str = "CH") -> str:
    resp = pc.get(f"/products/{product}/skus/0001/availabilities", params={"country": country})
    assert resp.status_code == 200
    item: str = resp.json()["items"][0]["catalogItemId"]
    return item


def cart(pc: httpx.Client, customer_id: str, item: str, quantity: int) -> str:
    resp = pc.post(f"/customers/{customer_id}/carts", headers=ids(), json={"lineItems": [
        {"id": 0, "catalogItemId": item, "quantity": quantity, "billingCycle": "monthly", "termDuration": "P1M"}]})
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "Active"
    cart_id: str = resp.json()["id"]
    return cart_id


def seats(sandbox: SandboxHandle, tenant_id: str) -> dict[str, int]:
    tenant = sandbox.admin_state()["world"]["tenants"][tenant_id]
    return {s["sku_part_number"]: s["enabled"] for s in tenant["skus"].values()}


def test_head_domain_taken_or_available(pc: httpx.Client) -> None:
    assert pc.head("/domains/coldfleetpartner.onmicrosoft.com").status_code == 200
    resp = pc.head(f"/domains/{new_prefix()}.onmicrosoft.com")
    assert resp.status_code == 404 and resp.content == b""


def test_create_customer_shape_and_echoed_headers(pc: httpx.Client, sandbox: SandboxHandle) -> None:
    prefix, headers = new_prefix(), ids()
    resp = pc.post("/customers", json=customer_body(prefix), headers=headers)
    assert resp.status_code == 201
    assert resp.headers["MS-CorrelationId"] == headers["MS-CorrelationId"]
    assert resp.headers["MS-RequestId"] == headers["MS-RequestId"]
    body = resp.json()
    assert body["companyProfile"]["tenantId"] == body["id"]
    assert body["companyProfile"]["domain"] == f"{prefix}.onmicrosoft.com"
    assert body["billingProfile"]["defaultAddress"]["country"] == "CH"
    assert body["userCredentials"]["userName"] == "admin" and len(body["userCredentials"]["password"]) >= 8
    assert body["attributes"]["objectType"] == "Customer"
    tenant = sandbox.admin_state()["world"]["tenants"][body["id"]]
    assert tenant["partner_tenant_id"] == sandbox.credentials["partner_tenant_id"]
    assert tenant["country"] == "CH" and tenant["initial_domain"] == f"{prefix}.onmicrosoft.com"
    initial = tenant["domains"][f"{prefix}.onmicrosoft.com"]
    assert initial["is_initial"] and initial["is_default"] and initial["is_verified"]
    assert all(n == 0 for n in seats(sandbox, body["id"]).values())
    assert pc.head(f"/domains/{prefix}.onmicrosoft.com").status_code == 200


def test_create_requires_correlation_id(pc: httpx.Client) -> None:
    resp = pc.post("/customers", json=customer_body(new_prefix()), headers={"MS-RequestId": str(uuid.uuid4())})
    assert resp.status_code == 400
    assert ERROR_KEYS <= set(resp.json()) and isinstance(resp.json()["code"], int)


def test_same_request_id_replays_the_first_response(pc: httpx.Client, sandbox: SandboxHandle) -> None:
    prefix, headers = new_prefix(), ids()
    first = pc.post("/customers", json=customer_body(prefix), headers=headers).json()
    again = pc.post("/customers", json=customer_body(prefix), headers={**headers, "MS-CorrelationId": "x"})
    assert again.status_code == 201 and again.json() == first
    tenants = sandbox.admin_state()["world"]["tenants"].values()
    assert sum(t["initial_domain"] == f"{prefix}.onmicrosoft.com" for t in tenants) == 1
    taken = pc.post("/customers", json=customer_body(prefix), headers=ids())
    assert taken.status_code == 409 and ERROR_KEYS <= set(taken.json())


@pytest.mark.parametrize("prefix", ["Bad-Prefix", "x" * 28, ""])
def test_invalid_domain_prefix(pc: httpx.Client, prefix: str) -> None:
    resp = pc.post("/customers", json=customer_body(prefix), headers=ids())
    assert resp.status_code == 400 and resp.json()["code"] == 800002


def test_registration_number_and_phone_rules(pc: httpx.Client) -> None:
    body = customer_body(new_prefix())
    body["CompanyProfile"]["OrganizationRegistrationNumber"] = "123"
    resp = pc.post("/customers", json=body, headers=ids())
    assert resp.status_code == 400 and resp.json()["code"] == 600002
    resp = pc.post("/customers", json=customer_body(new_prefix(), country="UA"), headers=ids())
    assert resp.status_code == 400 and resp.json()["code"] == 600051


def test_address_validation(pc: httpx.Client) -> None:
    good = {"AddressLine1": "1 Way", "City": "Zurich", "State": "ZH", "PostalCode": "8001", "Country": "CH"}
    assert pc.post("/validations/address", json=good).status_code == 200
    resp = pc.post("/validations/address", json={**good, "PostalCode": ""})
    assert resp.status_code == 400 and resp.json()["code"] == 2007


def test_customers_are_paged_with_continuation(pc: httpx.Client) -> None:
    created = {create(pc)["id"] for _ in range(3)}
    seen: list[str] = []
    resp = pc.get("/customers", params={"size": 2})
    for _ in range(100):
        body = resp.json()
        assert body["attributes"]["objectType"] == "Collection" and body["totalCount"] == len(body["items"])
        seen += [c["id"] for c in body["items"]]
        nxt = body["links"].get("next")
        if not nxt:
            break
        assert body["continuationToken"] == nxt["headers"][0]["value"]
        assert nxt["headers"][0]["key"] == "MS-ContinuationToken"
        resp = pc.get(nxt["uri"], headers={"MS-ContinuationToken": nxt["headers"][0]["value"]})
    assert created <= set(seen) and len(seen) == len(set(seen))


def test_unknown_customer_is_404(pc: httpx.Client) -> None:
    resp = pc.get(f"/customers/{uuid.uuid4()}")
    assert resp.status_code == 404 and ERROR_KEYS <= set(resp.json())


def test_own_customer_by_id(pc: httpx.Client) -> None:
    customer = create(pc)
    body = pc.get(f"/customers/{customer['id']}").json()
    assert body["companyProfile"] == customer["companyProfile"] and "userCredentials" not in body


def test_availabilities_are_per_country(pc: httpx.Client) -> None:
    ch, us = catalog_item(pc, country="CH"), catalog_item(pc, country="US")
    assert ch.startswith("CFQ7TTC0LH16:0001:") and ch != us
    resp = pc.get("/products/CFQ7TTC0LH16/skus/0001/availabilities")
    assert resp.status_code == 400
    assert pc.get("/products/NOPE/skus/0001/availabilities", params={"country": "CH"}).status_code == 404
    item = pc.get("/products/CFQ7TTC0LH18/skus/0001/availabilities", params={"country": "CH"}).json()["items"][0]
    assert {"P1M", "P1Y"} <= {t["duration"] for t in item["terms"]}


def test_checkout_needs_the_mca_then_raises_seats(pc: httpx.Client, sandbox: SandboxHandle) -> None:
    customer = create(pc)
    cid, item = customer["id"], catalog_item(pc)
    cart_id = cart(pc, cid, item, 3)
    denied = pc.post(f"/customers/{cid}/carts/{cart_id}/checkout", headers=ids())
    assert denied.status_code == 403 and denied.json()["code"] == 13605
    listed = pc.get(f"/customers/{cid}/agreements", params={"agreementType": "MicrosoftCustomerAgreement"})
    assert listed.json()["totalCount"] == 0
    attest(pc, cid)
    assert pc.get(f"/customers/{cid}/agreements",
                  params={"agreementType": "MicrosoftCustomerAgreement"}).json()["totalCount"] == 1
    done = pc.post(f"/customers/{cid}/carts/{cart_id}/checkout", headers=ids())
    assert done.status_code == 201
    order = done.json()["orders"][0]
    assert order["status"] == "completed" and order["lineItems"][0]["quantity"] == 3
    sub_id = order["lineItems"][0]["subscriptionId"]
    replay = pc.post(f"/customers/{cid}/carts/{cart_id}/checkout", headers=ids())
    assert replay.json()["orders"][0]["id"] == order["id"]  # idempotent per cart
    subs = pc.get(f"/customers/{cid}/subscriptions").json()
    assert [s["id"] for s in subs["items"]] == [sub_id] and subs["items"][0]["quantity"] == 3
    assert seats(sandbox, cid)["EXCHANGESTANDARD"] == 3

    sub = pc.get(f"/customers/{cid}/subscriptions/{sub_id}").json()
    patched = pc.patch(f"/customers/{cid}/subscriptions/{sub_id}", json={**sub, "quantity": 5}, headers=ids())
    assert patched.status_code == 200 and patched.json()["quantity"] == 5
    assert seats(sandbox, cid)["EXCHANGESTANDARD"] == 5
    bad = pc.patch(f"/customers/{cid}/subscriptions/{sub_id}", json={"Quantity": 0}, headers=ids())
    assert bad.status_code == 400 and bad.json()["code"] == 2002


def test_business_basic_raises_its_own_sku(pc: httpx.Client, sandbox: SandboxHandle) -> None:
    cid = create(pc)["id"]
    attest(pc, cid)
    cart_id = cart(pc, cid, catalog_item(pc, "CFQ7TTC0LH18"), 2)
    assert pc.post(f"/customers/{cid}/carts/{cart_id}/checkout", headers=ids()).status_code == 201
    assert seats(sandbox, cid)["O365_BUSINESS_ESSENTIALS"] == 2


def test_cart_errors(pc: httpx.Client) -> None:
    cid = create(pc)["id"]
    resp = pc.post(f"/customers/{cid}/carts/{uuid.uuid4()}/checkout", headers=ids())
    assert resp.status_code == 404 and resp.json()["code"] == 800008
    us_item = catalog_item(pc, country="US")  # the customer is in CH: another country's availability
    resp = pc.post(f"/customers/{cid}/carts", headers=ids(), json={"lineItems": [
        {"id": 0, "catalogItemId": us_item, "quantity": 1, "billingCycle": "monthly", "termDuration": "P1M"}]})
    assert resp.status_code == 400
    resp = pc.post(f"/customers/{cid}/carts", headers=ids(), json={"lineItems": [
        {"id": 0, "catalogItemId": catalog_item(pc), "quantity": 0, "billingCycle": "monthly",
         "termDuration": "P1M"}]})
    assert resp.status_code == 400 and resp.json()["code"] == 2002


def test_authentication(sandbox: SandboxHandle) -> None:
    base, ca = sandbox.endpoints["partner"], sandbox.ca_cert
    resp = httpx.get(f"{base}/customers", verify=ca)
    assert resp.status_code == 401 and ERROR_KEYS <= set(resp.json())
    graph_token = token(sandbox, audience="https://graph.microsoft.com")
    resp = httpx.get(f"{base}/customers", verify=ca, headers={"Authorization": f"Bearer {graph_token}"})
    assert resp.status_code == 401


def test_write_quota_answers_429_with_retry_after(pc: httpx.Client, sandbox: SandboxHandle) -> None:
    cid = create(pc)["id"]
    sandbox.set_faults("partner_center", write_quota=1, write_window_s=60)
    item = catalog_item(pc)
    cart(pc, cid, item, 1)
    resp = pc.post(f"/customers/{cid}/carts", headers=ids(), json={"lineItems": [
        {"id": 0, "catalogItemId": item, "quantity": 1, "billingCycle": "monthly", "termDuration": "P1M"}]})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert resp.json()["isRetryable"] is True and ERROR_KEYS <= set(resp.json())
