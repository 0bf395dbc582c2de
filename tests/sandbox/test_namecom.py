"""The Name.com Core API v1 double over HTTPS: auth, Content-Type, availability, idempotent orders, nameservers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.handle import SandboxHandle


def unique(prefix: str = "nc", tld: str = "com") -> str:
    return f"{prefix}-{secrets.token_hex(4)}.{tld}"


@pytest.fixture
def http(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    creds = sandbox.credentials
    with httpx.Client(base_url=sandbox.endpoints["namecom"], verify=sandbox.ca_cert,
                      auth=(creds["namecom_username"], creds["namecom_token"])) as client:
        yield client


def check(http: httpx.Client, *names: str) -> dict[str, dict[str, Any]]:
    resp = http.post("/core/v1/domains:checkAvailability", json={"domainNames": list(names)})
    assert resp.status_code == 200, resp.text
    return {r["domainName"]: r for r in resp.json()["results"]}


def register(http: httpx.Client, name: str, key: str | None = None, nameservers: list[str] | None = None,
             **extra: Any) -> httpx.Response:
    headers = {"X-Idempotency-Key": key} if key else {}
    domain: dict[str, Any] = {"domainName": name}
    if nameservers is not None:
        domain["nameservers"] = nameservers
    return http.post("/core/v1/domains", json={"domain": domain, **extra}, headers=headers)


def test_wrong_credentials_are_401(sandbox: SandboxHandle) -> None:
    resp = httpx.get(f"{sandbox.endpoints['namecom']}/core/v1/domains", verify=sandbox.ca_cert,
                     auth=(sandbox.credentials["namecom_username"], "wrong"))
    assert resp.status_code == 401 and resp.json() == {"message": "Unauthenticated"}


def test_post_without_json_content_type_is_403(http: httpx.Client) -> None:
    resp = http.post("/core/v1/domains:checkAvailability", content=b'{"domainNames": ["a.com"]}',
                     headers={"Content-Type": "text/plain"})
    assert resp.status_code == 403 and "message" in resp.json()


def test_availability_omits_default_fields(http: httpx.Client) -> None:
    free, taken, premium = unique(), unique("taken"), unique("premium", "io")
    results = check(http, free, taken, premium)
    assert results[free] == {"domainName": free, "sld": free.split(".")[0], "tld": "com", "purchasable": True,
                             "purchasePrice": 12.99, "purchaseType": "registration", "renewalPrice": 15.99}
    assert results[taken] == {"domainName": taken, "sld": taken.split(".")[0], "tld": "com"}  # no purchasable: false
    assert results[premium]["premium"] is True and results[premium]["purchasePrice"] > 1000


def test_availability_validates_names(http: httpx.Client) -> None:
    assert http.post("/core/v1/domains:checkAvailability", json={"domainNames": []}).status_code == 400
    assert http.post("/core/v1/domains:checkAvailability", json={"domainNames": ["no_tld"]}).status_code == 400


def test_register_creates_the_default_zone_and_replays_its_idempotency_key(http: httpx.Client,
                                                                           sandbox: SandboxHandle) -> None:
    name, key = unique(), secrets.token_hex(8)
    first = register(http, name, key, purchasePrice=12.99)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["domain"]["domainName"] == name and body["totalPaid"] == 12.99 and body["order"]
    assert body["domain"]["nameservers"] == ["ns1.name.com", "ns2.name.com", "ns3.name.com", "ns4.name.com"]
    assert "autorenewEnabled" not in body["domain"]  # false is omitted
    assert sandbox.dns_query(name, "SOA")  # the registrar's default DNS is the sandbox's BIND
    replay = register(http, name, key, purchasePrice=12.99)
    assert replay.status_code == 200 and replay.json() == body
    again = register(http, name, secrets.token_hex(8))
    assert again.status_code == 400  # a new key is a new order, and the name is ours already
    assert not check(http, name)[name].get("purchasable")
    assert http.get(f"/core/v1/domains/{name}").json()["domainName"] == name


def test_register_checks_the_price_exactly(http: httpx.Client) -> None:
    name, premium = unique(), unique("premium")
    wrong = register(http, name, purchasePrice=12.98)
    assert wrong.status_code == 400 and wrong.json()["message"] == "Purchase price does not match"
    assert register(http, premium).status_code == 400  # premium names need the price
    price = check(http, premium)[premium]["purchasePrice"]
    assert register(http, premium, purchasePrice=price).status_code == 200


def test_register_refuses_taken_names(http: httpx.Client) -> None:
    resp = register(http, unique("taken"))
    assert resp.status_code == 400 and resp.json()["message"]


def test_nameservers_and_autorenew(http: httpx.Client) -> None:
    name = unique()
    assert register(http, name, nameservers=["ns1.example.net", "ns2.example.net"]).status_code == 200
    assert http.get(f"/core/v1/domains/{name}").json()["nameservers"] == ["ns1.example.net", "ns2.example.net"]
    resp = http.post(f"/core/v1/domains/{name}:setNameservers", json={"nameservers": ["A.NS.EXAMPLE.ORG."]})
    assert resp.status_code == 200 and resp.json()["nameservers"] == ["a.ns.example.org"]
    assert http.post(f"/core/v1/domains/{name}:setNameservers", json={"nameservers": []}).status_code == 400
    assert http.patch(f"/core/v1/domains/{name}", json={"autorenewEnabled": True}).json()["autorenewEnabled"]
    off = http.post(f"/core/v1/domains/{name}:disableAutorenew", json={})
    assert off.status_code == 200 and "autorenewEnabled" not in off.json()
    on = http.post(f"/core/v1/domains/{name}:enableAutorenew", json={})
    assert on.json()["autorenewEnabled"] is True


def test_unknown_domain_is_404(http: httpx.Client) -> None:
    name = unique()
    assert http.get(f"/core/v1/domains/{name}").status_code == 404
    missing = http.post(f"/core/v1/domains/{name}:setNameservers", json={"nameservers": ["a.example.net"]})
    assert missing.status_code == 404 and missing.json()["message"] == "Not Found"


def test_list_domains_pages(http: httpx.Client) -> None:
    for _ in range(3):
        assert register(http, unique("list")).status_code == 200
    first = http.get("/core/v1/domains", params={"perPage": 2}).json()
    assert len(first["domains"]) == 2 and first["nextPage"] == 2 and first["totalCount"] >= 3
    last = http.get("/core/v1/domains", params={"perPage": 2, "page": first["lastPage"]}).json()
    assert "nextPage" not in last and last["domains"]


def test_writes_are_charged_to_the_quota(http: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.set_faults("namecom", write_quota=1, write_window_s=60)
    assert register(http, unique()).status_code == 200
    throttled = register(http, unique())
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
    assert check(http, unique())  # availability checks are reads
