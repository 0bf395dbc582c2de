"""The Cloudflare v4 double over HTTPS: envelope, auth, zones, records, paging, conflicts, BIND write-through, 429s."""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cloudflare import BadRequestError, Cloudflare, DefaultHttpxClient, PermissionDeniedError

from sandbox.handle import SandboxHandle
from tests.sandbox.cf_schema import check


def unique(prefix: str = "cf") -> str:
    return f"{prefix}-{secrets.token_hex(4)}.com"


@pytest.fixture
def http(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    creds = sandbox.credentials
    with httpx.Client(base_url=sandbox.endpoints["cloudflare"], verify=sandbox.ca_cert,
                      headers={"Authorization": f"Bearer {creds['cloudflare_api_token']}"},
                      event_hooks={"response": [check]}) as client:  # every answer against the OpenAPI schemas
        yield client


@pytest.fixture
def cf(sandbox: SandboxHandle) -> Iterator[Cloudflare]:
    ctx = ssl.create_default_context(cafile=sandbox.ca_cert)
    client = Cloudflare(api_token=sandbox.credentials["cloudflare_api_token"], base_url=sandbox.endpoints["cloudflare"],
                        http_client=DefaultHttpxClient(verify=ctx))
    yield client
    client.close()


def new_zone(http: httpx.Client, sandbox: SandboxHandle, name: str | None = None) -> dict[str, Any]:
    resp = http.post("/zones", json={"name": name or unique(), "account": {"id": sandbox.credentials[
        "cloudflare_account_id"]}, "type": "full"})
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()["result"]
    return result


def add(http: httpx.Client, zone: dict[str, Any], **record: Any) -> httpx.Response:
    return http.post(f"/zones/{zone['id']}/dns_records", json={"ttl": 300, **record})


def error_codes(resp: httpx.Response) -> list[int]:
    body = resp.json()
    assert body["success"] is False and body["result"] is None
    return [e["code"] for e in body["errors"]]


# -- auth and envelope ---------------------------------------------------------------------------------------------
def test_missing_and_wrong_token_are_403_with_the_envelope(sandbox: SandboxHandle) -> None:
    base = sandbox.endpoints["cloudflare"]
    missing = httpx.get(f"{base}/zones", verify=sandbox.ca_cert)
    wrong = httpx.get(f"{base}/zones", verify=sandbox.ca_cert, headers={"Authorization": "Bearer nope"})
    assert (missing.status_code, error_codes(missing)) == (403, [10000])
    assert (wrong.status_code, error_codes(wrong)) == (403, [9109])


def test_sdk_raises_on_a_wrong_token(sandbox: SandboxHandle) -> None:
    ctx = ssl.create_default_context(cafile=sandbox.ca_cert)
    with Cloudflare(api_token="wrong", base_url=sandbox.endpoints["cloudflare"],
                    http_client=DefaultHttpxClient(verify=ctx), max_retries=0) as client:
        with pytest.raises(PermissionDeniedError):
            list(client.zones.list())


def test_unknown_routes_and_malformed_ids_answer_7003(http: httpx.Client) -> None:
    resp = http.get("/zones/not-an-id/dns_records")
    assert resp.status_code == 400 and error_codes(resp) == [7003, 7000]
    assert http.get("/nowhere").status_code == 400


# -- zones ---------------------------------------------------------------------------------------------------------
def test_create_zone_serves_it_at_bind_and_rejects_a_duplicate(http: httpx.Client, sandbox: SandboxHandle) -> None:
    name = unique()
    zone = new_zone(http, sandbox, name)
    assert zone["name"] == name and len(zone["id"]) == 32
    assert zone["name_servers"] == sandbox.info["dns"]["nameservers"]
    assert zone["status"] == "pending"  # Cloudflare waits for the delegation
    check_now = http.put(f"/zones/{zone['id']}/activation_check")
    assert check_now.json()["result"] == {"id": zone["id"]}  # not at the sandbox registrar: delegated by its owner
    assert http.get(f"/zones/{zone['id']}").json()["result"]["status"] == "active"
    assert sandbox.dns_query(name, "SOA")
    again = http.post("/zones", json={"name": name, "account": {"id": sandbox.credentials["cloudflare_account_id"]}})
    assert again.status_code == 400 and error_codes(again) == [1061]


def test_create_zone_for_another_account_is_refused(http: httpx.Client) -> None:
    resp = http.post("/zones", json={"name": unique(), "account": {"id": "f" * 32}})
    assert resp.status_code == 403


def test_zone_list_filters_and_pages(http: httpx.Client, sandbox: SandboxHandle, cf: Cloudflare) -> None:
    names = sorted(unique("page") for _ in range(3))
    for name in names:
        new_zone(http, sandbox, name)
    account = sandbox.credentials["cloudflare_account_id"]
    one = http.get("/zones", params={"name": names[1], "account.id": account}).json()
    assert [z["name"] for z in one["result"]] == [names[1]]
    assert one["result_info"] == {"page": 1, "per_page": 20, "count": 1, "total_count": 1, "total_pages": 1}
    assert http.get("/zones", params={"name": names[1], "account.id": "f" * 32}).json()["result"] == []
    page2 = http.get("/zones", params={"name": "starts_with:page-", "per_page": 2, "page": 2}).json()
    assert page2["result_info"]["page"] == 2 and page2["result_info"]["per_page"] == 2
    beyond = http.get("/zones", params={"per_page": 50, "page": 999}).json()
    assert beyond["success"] and beyond["result"] == []  # the SDK stops on an empty page
    listed = [z.name for z in cf.zones.list(name="starts_with:page-", per_page=1)]
    assert set(names) <= set(listed)


def test_get_and_delete_zone_also_remove_it_from_bind(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    assert http.get(f"/zones/{zone['id']}").json()["result"]["name"] == zone["name"]
    deleted = http.delete(f"/zones/{zone['id']}")
    assert deleted.status_code == 200 and deleted.json()["result"] == {"id": zone["id"]}
    missing = http.get(f"/zones/{zone['id']}")
    assert missing.status_code == 404 and error_codes(missing) == [1001]
    assert sandbox.dns_query(zone["name"], "SOA") == []


def test_zone_is_pending_until_the_registrar_delegates_to_it(http: httpx.Client, sandbox: SandboxHandle) -> None:
    name = unique("deleg")
    reg = httpx.post(f"{sandbox.endpoints['namecom']}/core/v1/domains", verify=sandbox.ca_cert,
                     auth=(sandbox.credentials["namecom_username"], sandbox.credentials["namecom_token"]),
                     json={"domain": {"domainName": name}})
    assert reg.status_code == 200, reg.text
    zone = new_zone(http, sandbox, name)  # adopts the registrar's BIND zone
    assert zone["status"] == "pending" and zone["original_name_servers"] == reg.json()["domain"]["nameservers"]
    delegated = httpx.post(f"{sandbox.endpoints['namecom']}/core/v1/domains/{name}:setNameservers",
                           verify=sandbox.ca_cert, json={"nameservers": zone["name_servers"]},
                           auth=(sandbox.credentials["namecom_username"], sandbox.credentials["namecom_token"]))
    assert delegated.status_code == 200
    assert http.get(f"/zones/{zone['id']}").json()["result"]["status"] == "active"


# -- records -------------------------------------------------------------------------------------------------------
def test_records_are_written_through_to_bind(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    name = zone["name"]
    created = add(http, zone, type="A", name="www", content="192.0.2.10", comment="managed-by: coldfleet",
                  tags=["owner:coldfleet"])
    assert created.status_code == 200, created.text
    record = created.json()["result"]
    assert record["name"] == f"www.{name}" and record["comment"] == "managed-by: coldfleet"
    assert record["tags"] == ["owner:coldfleet"]
    assert add(http, zone, type="A", name=f"www.{name}", content="192.0.2.11").status_code == 200
    assert sandbox.dns_query(f"www.{name}", "A") == ["192.0.2.10", "192.0.2.11"]
    mx = add(http, zone, type="MX", name="@", content="mail.example.net", priority=10)
    assert mx.json()["result"]["priority"] == 10
    assert sandbox.dns_query(name, "MX") == ["10 mail.example.net"]

    put = http.put(f"/zones/{zone['id']}/dns_records/{record['id']}",
                   json={"type": "A", "name": "www", "content": "192.0.2.12", "ttl": 120})
    assert put.status_code == 200 and put.json()["result"]["comment"] is None  # PUT replaces everything
    patch = http.patch(f"/zones/{zone['id']}/dns_records/{record['id']}", json={"comment": "again"})
    assert patch.json()["result"]["content"] == "192.0.2.12" and patch.json()["result"]["comment"] == "again"
    assert sandbox.dns_query(f"www.{name}", "A") == ["192.0.2.11", "192.0.2.12"]
    deleted = http.delete(f"/zones/{zone['id']}/dns_records/{record['id']}")
    assert deleted.json()["result"] == {"id": record["id"]}
    assert sandbox.dns_query(f"www.{name}", "A") == ["192.0.2.11"]
    gone = http.get(f"/zones/{zone['id']}/dns_records/{record['id']}")
    assert gone.status_code == 404 and error_codes(gone) == [81044]


def test_record_names_are_stored_as_punycode_fqdn(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    resp = add(http, zone, type="TXT", name=f"Bücher.{zone['name'].upper()}.", content='"x"')
    assert resp.json()["result"]["name"] == f"xn--bcher-kva.{zone['name']}"


def test_cname_conflicts_and_identical_records(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    assert add(http, zone, type="TXT", name="a", content='"hello"').status_code == 200
    cname_on_data = add(http, zone, type="CNAME", name="a", content="target.example.net")
    assert cname_on_data.status_code == 400 and error_codes(cname_on_data) == [81053]
    assert add(http, zone, type="CNAME", name="b", content="target.example.net").status_code == 200
    data_on_cname = add(http, zone, type="TXT", name="b", content='"x"')
    assert data_on_cname.status_code == 400 and error_codes(data_on_cname) == [81054]
    same = add(http, zone, type="TXT", name="a", content="hello")  # quoted or not, the same text
    assert same.status_code == 400 and error_codes(same) == [81058]
    assert sandbox.dns_query(f"b.{zone['name']}", "CNAME") == ["target.example.net"]


def test_txt_quoting_and_long_strings(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    unquoted = add(http, zone, type="TXT", name="u", content="v=spf1 -all")
    assert unquoted.status_code == 200
    assert unquoted.json()["result"]["content"] == "v=spf1 -all" and unquoted.json()["messages"]
    long_text = "v=DKIM1; k=rsa; p=" + "A" * 380
    quoted = add(http, zone, type="TXT", name="q", content=f'"{long_text}"')
    body = quoted.json()
    assert body["messages"] == []
    assert body["result"]["content"] == f'"{long_text[:255]}" "{long_text[255:]}"'  # split at 255 bytes
    assert sandbox.dns_query(f"q.{zone['name']}", "TXT") == [long_text]
    assert sandbox.dns_query(f"u.{zone['name']}", "TXT") == ["v=spf1 -all"]


@pytest.mark.parametrize(("record", "code"), [
    ({"type": "MX", "name": "@", "content": "mx.example.net"}, 9100),
    ({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 30}, 9021),
    ({"type": "A", "name": "x", "content": "not-an-ip"}, 9005),
    ({"type": "TXT", "name": "x", "content": "t", "proxied": True}, 9004),
    ({"type": "SSHFP", "name": "x", "content": "1 1 00"}, 9000),
])
def test_invalid_records_are_400(http: httpx.Client, sandbox: SandboxHandle, record: dict[str, Any],
                                 code: int) -> None:
    zone = new_zone(http, sandbox)
    resp = http.post(f"/zones/{zone['id']}/dns_records", json={"ttl": 300, **record})
    assert resp.status_code == 400 and error_codes(resp) == [code]


def test_record_filters_and_paging_through_the_sdk(http: httpx.Client, sandbox: SandboxHandle,
                                                   cf: Cloudflare) -> None:
    zone = new_zone(http, sandbox)
    for i in range(5):
        assert add(http, zone, type="TXT", name="many", content=f'"value {i}"', comment="managed-by: coldfleet")
    add(http, zone, type="A", name="many", content="192.0.2.1")
    add(http, zone, type="TXT", name="other", content='"x"')
    page = http.get(f"/zones/{zone['id']}/dns_records", params={"type": "TXT", "name.exact": f"many.{zone['name']}",
                                                                "per_page": 2}).json()
    assert page["result_info"] == {"page": 1, "per_page": 2, "count": 2, "total_count": 5, "total_pages": 3}
    records = list(cf.dns.records.list(zone_id=zone["id"], type="TXT", name={"exact": f"many.{zone['name']}"},
                                       per_page=2))
    assert sorted(r.content or "" for r in records) == [f'"value {i}"' for i in range(5)]
    plain = http.get(f"/zones/{zone['id']}/dns_records", params={"name": f"MANY.{zone['name']}."}).json()
    assert plain["result_info"]["total_count"] == 6
    by_comment = http.get(f"/zones/{zone['id']}/dns_records", params={"comment.exact": "managed-by: coldfleet"})
    assert by_comment.json()["result_info"]["total_count"] == 5


def test_sdk_errors_are_4xx_exceptions(cf: Cloudflare, http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    cf.dns.records.create(zone_id=zone["id"], type="CNAME", name="c", content="t.example.net", ttl=1)
    with pytest.raises(BadRequestError) as info:
        cf.dns.records.create(zone_id=zone["id"], type="A", name="c", content="192.0.2.1", ttl=1)
    assert info.value.status_code == 400 and info.value.body["errors"][0]["code"] == 81054  # type: ignore[index]


# -- faults --------------------------------------------------------------------------------------------------------
def test_sdk_retries_a_429_with_retry_after(cf: Cloudflare, sandbox: SandboxHandle) -> None:
    before = sandbox.request_counts("cloudflare").get("requests", 0)
    sandbox.set_faults("cloudflare", next_429=2, retry_after_s=0)
    list(cf.zones.list(per_page=50, page=999))
    counts = sandbox.request_counts("cloudflare")
    assert counts["429"] == 2 and counts["requests"] - before == 3


def test_write_quota_answers_429_with_retry_after(http: httpx.Client, sandbox: SandboxHandle) -> None:
    zone = new_zone(http, sandbox)
    sandbox.set_faults("cloudflare", write_quota=2, write_window_s=60)
    assert add(http, zone, type="A", name="q1", content="192.0.2.1").status_code == 200
    assert add(http, zone, type="A", name="q2", content="192.0.2.1").status_code == 200
    third = add(http, zone, type="A", name="q3", content="192.0.2.1")
    assert third.status_code == 429 and error_codes(third) == [971]
    assert int(third.headers["retry-after"]) >= 1
    assert http.get(f"/zones/{zone['id']}/dns_records").status_code == 200  # reads are not charged
