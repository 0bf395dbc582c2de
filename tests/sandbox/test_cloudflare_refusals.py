"""The Cloudflare double refuses what Cloudflare refuses (400 with its envelope, never a 500 from BIND) and accepts
what Cloudflare accepts although BIND's own checks would not; every answer is checked against the OpenAPI schemas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.handle import SandboxHandle
from tests.sandbox.test_cloudflare import add, error_codes, http, new_zone, unique

__all__ = ["http"]  # the schema-checking client fixture


def chain(resp: httpx.Response) -> list[int]:
    return [e["code"] for e in resp.json()["errors"][0].get("error_chain", [])]


@pytest.mark.parametrize(("record", "code", "inner"), [
    ({"type": "A", "name": "s", "content": "192.0.2.1", "proxied": "false"}, 1004, [9003]),
    ({"type": "A", "name": "s", "content": "192.0.2.1", "proxied": 1}, 1004, [9003]),
    ({"type": "A", "name": "s", "content": "192.0.2.1", "ttl": "300"}, 1004, [9021]),
    ({"type": "A", "name": "s", "content": "192.0.2.1", "ttl": True}, 1004, [9021]),
    ({"type": "A", "name": "s", "content": "192.0.2.1", "ttl": 0}, 9021, []),
    ({"type": "A", "name": "s", "content": "192.0.2.1", "ttl": 86401}, 9021, []),
    ({"type": "A", "name": "s", "content": "192.0.2.1", "ttl": 30}, 9021, []),  # Enterprise only
    ({"type": "A", "name": "s", "content": "192.0.2.1", "ttl": 300.5}, 9021, []),
    ({"type": "MX", "name": "@", "content": "mx.example.net", "priority": "10"}, 1004, [9100]),
    ({"type": "MX", "name": "@", "content": "mx.example.net", "priority": -1}, 9100, []),
    ({"type": "MX", "name": "@", "content": "mx.example.net", "priority": 65536}, 9100, []),
    ({"type": ["A"], "name": "s", "content": "192.0.2.1"}, 9000, []),
    ({"type": "TXT", "name": "s", "content": '"x"', "comment": 5}, 9014, []),
])
def test_loosely_typed_fields_are_400(http: httpx.Client, sandbox: SandboxHandle, record: dict[str, Any],
                                      code: int, inner: list[int]) -> None:
    zone = new_zone(http, sandbox)
    resp = http.post(f"/zones/{zone['id']}/dns_records", json={"ttl": 300, **record})
    assert (resp.status_code, error_codes(resp), chain(resp)) == (400, [code], inner)


def test_a_string_boolean_does_not_proxy_a_record(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    made = add(http, zone, type="A", name="p", content="192.0.2.1", ttl=1, proxied=False).json()["result"]
    patched = http.patch(f"/zones/{zone['id']}/dns_records/{made['id']}", json={"proxied": "true"})
    assert patched.status_code == 400 and chain(patched) == [9003]
    assert http.get(f"/zones/{zone['id']}/dns_records/{made['id']}").json()["result"]["proxied"] is False
    assert made["ttl"] == 1  # automatic


@pytest.mark.parametrize("name", ["bad name", "a!b", "-lead", "trail-", "a.*.b", "x" * 64, "semi;colon"])
def test_record_names_that_are_not_hostnames_are_400(http: httpx.Client, sandbox: SandboxHandle, name: str) -> None:
    zone = new_zone(http, sandbox)
    resp = add(http, zone, type="TXT", name=name, content='"x"')
    assert resp.status_code == 400 and error_codes(resp) == [9005]


@pytest.mark.parametrize(("rtype", "content"), [("CNAME", "bad host.example"), ("NS", "ns!.example"),
                                                ("MX", "mx..example"), ("CNAME", "-x.example")])
def test_targets_that_are_not_hostnames_are_400(http: httpx.Client, sandbox: SandboxHandle, rtype: str,
                                                content: str) -> None:
    zone = new_zone(http, sandbox)
    resp = add(http, zone, type=rtype, name="t", content=content, priority=10)
    assert resp.status_code == 400 and error_codes(resp) == [9007]


@pytest.mark.parametrize("name", ["bad name.com", "-x.com", "a..com", "com", "_x.com", "x.c", 5, "a!.com"])
def test_zone_names_that_are_not_hostnames_are_400(http: httpx.Client, sandbox: SandboxHandle, name: Any) -> None:
    resp = http.post("/zones", json={"name": name, "account": {"id": sandbox.credentials["cloudflare_account_id"]}})
    assert resp.status_code == 400 and error_codes(resp) == [1097]


def test_underscore_and_wildcard_names_are_hostnames_enough(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    assert add(http, zone, type="TXT", name="_dmarc", content='"v=DMARC1; p=none"').status_code == 200
    assert add(http, zone, type="A", name="*", content="192.0.2.1").status_code == 200
    assert sandbox.dns_query(f"_dmarc.{zone['name']}", "TXT") == ["v=DMARC1; p=none"]


def test_mx_to_an_in_zone_host_without_an_address_is_stored(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    resp = add(http, zone, type="MX", name="@", content=f"mail.{zone['name']}", priority=10)
    assert resp.status_code == 200, resp.text
    assert sandbox.dns_query(zone["name"], "MX") == [f"10 mail.{zone['name']}"]
    listed = http.get(f"/zones/{zone['id']}/dns_records", params={"type": "MX"}).json()["result"]
    assert [(r["content"], r["priority"]) for r in listed] == [(f"mail.{zone['name']}", 10)]


def test_ns_delegation_is_stored_and_read_back(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    for ns in ("ns1.elsewhere.example", "ns2.elsewhere.example"):
        resp = add(http, zone, type="NS", name="sub", content=ns)
        assert resp.status_code == 200, resp.text
    assert sandbox.dns_query(f"sub.{zone['name']}", "NS") == ["ns1.elsewhere.example", "ns2.elsewhere.example"]
    listed = http.get(f"/zones/{zone['id']}/dns_records", params={"type": "NS"}).json()["result"]
    assert sorted(r["content"] for r in listed) == ["ns1.elsewhere.example", "ns2.elsewhere.example"]
    gone = http.delete(f"/zones/{zone['id']}/dns_records/{listed[0]['id']}")
    assert gone.status_code == 200 and len(sandbox.dns_query(f"sub.{zone['name']}", "NS")) == 1


def test_a_new_zone_stays_pending_until_checked(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox, unique("pend"))
    assert zone["status"] == "pending" and zone["activated_on"] is None
    assert http.get("/zones", params={"name": zone["name"], "status": "pending"}).json()["result_info"]["count"] == 1
    assert http.put(f"/zones/{zone['id']}/activation_check").status_code == 200
    active = http.get(f"/zones/{zone['id']}").json()["result"]
    assert active["status"] == "active" and active["activated_on"]
