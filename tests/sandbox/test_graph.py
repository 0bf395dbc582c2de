"""The Graph double's contract over real HTTPS (the shared sandbox): auth failures, domains against BIND, users and
their validation, paging, licences and mailbox readiness, soft delete and purge, $batch, throttling."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from sandbox.graph import create_app
from sandbox.handle import SandboxHandle
from sandbox.world import App, Tenant, Token, World

EXCHANGE_SKU = "4b9405b0-7788-4568-add1-99614e613b69"
PASSWORD = "Sandbox!Pass1234"


def token(sandbox: SandboxHandle, audience: str = "https://graph.microsoft.com") -> str:
    creds = sandbox.credentials
    resp = httpx.post(f"{sandbox.endpoints['login']}/{creds['partner_tenant_id']}/oauth2/v2.0/token",
                      data={"grant_type": "client_credentials", "client_id": creds["client_id"],
                            "client_secret": creds["client_secret"], "scope": f"{audience}/.default"},
                      verify=sandbox.ca_cert)
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def publish_txt(sandbox: SandboxHandle, zone: str, text: str) -> None:
    """An RFC 2136 update signed with the sandbox's TSIG key: what a DNS provider would do."""
    assert sandbox.publish(zone, "@", "TXT", [f'"{text}"']) == 0


@pytest.fixture()
def graph(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.endpoints["graph"], verify=sandbox.ca_cert,
                      headers={"Authorization": f"Bearer {token(sandbox)}"}, timeout=30) as client:
        yield client


@pytest.fixture()
def initial_domain(graph: httpx.Client) -> str:
    org = graph.get("/organization").json()["value"][0]
    return str(next(d["name"] for d in org["verifiedDomains"] if d["isInitial"]))


def new_user(graph: httpx.Client, upn: str, **extra: Any) -> dict[str, Any]:
    body = {"accountEnabled": True, "displayName": "Test User", "mailNickname": upn.split("@")[0],
            "userPrincipalName": upn, "passwordProfile": {"password": PASSWORD}, **extra}
    resp = graph.post("/users", json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def error_of(resp: Any) -> dict[str, Any]:  # httpx or the TestClient's response
    error: dict[str, Any] = resp.json()["error"]
    assert {"date", "request-id", "client-request-id"} <= set(error["innerError"])
    return error


# -- authentication ------------------------------------------------------------------------------------------------
def test_missing_bad_and_foreign_tokens_are_401(sandbox: SandboxHandle) -> None:
    base = sandbox.endpoints["graph"]
    resp = httpx.get(f"{base}/users", verify=sandbox.ca_cert)
    assert resp.status_code == 401 and error_of(resp)["message"] == "Access token is empty."
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(resp)["code"] == "InvalidAuthenticationToken"
    resp = httpx.get(f"{base}/users", verify=sandbox.ca_cert, headers={"Authorization": "Bearer forged"})
    assert resp.status_code == 401 and error_of(resp)["message"] == "Access token validation failure."
    outlook = token(sandbox, "https://outlook.office365.com")
    resp = httpx.get(f"{base}/users", verify=sandbox.ca_cert, headers={"Authorization": f"Bearer {outlook}"})
    assert resp.status_code == 401 and error_of(resp)["code"] == "InvalidAuthenticationToken"


def test_expired_token_and_unmanaged_tenant_in_process() -> None:
    world = World()
    world.tenants["t"] = Tenant(id="t", display_name="T", initial_domain="t.onmicrosoft.com", country="US")
    world.tenants["other"] = Tenant(id="other", display_name="O", initial_domain="o.onmicrosoft.com", country="US")
    world.apps["a"] = App(client_id="a", client_secret="s", home_tenant_id="t")
    world.tokens["old"] = Token("old", "a", "t", "https://graph.microsoft.com", time.time() - 1)
    world.tokens["foreign"] = Token("foreign", "a", "other", "https://graph.microsoft.com", time.time() + 60)
    client = TestClient(create_app(world, None), base_url="https://graph.test")  # type: ignore[arg-type]
    resp = client.get("/v1.0/users", headers={"Authorization": "Bearer old"})
    assert resp.status_code == 401
    assert error_of(resp)["message"] == "Lifetime validation failed, the token is expired."
    resp = client.get("/v1.0/users", headers={"Authorization": "Bearer foreign"})
    assert resp.status_code == 403 and error_of(resp)["code"] == "Authorization_RequestDenied"


# -- domains -------------------------------------------------------------------------------------------------------
def test_domain_verification_follows_dns(sandbox: SandboxHandle, graph: httpx.Client) -> None:
    name = f"verify-{uuid.uuid4().hex[:8]}.test"
    created = graph.post("/domains", json={"id": name})
    assert created.status_code == 201 and created.json()["isVerified"] is False
    again = graph.post("/domains", json={"id": name})
    assert again.status_code == 400 and error_of(again)["code"] == "Request_BadRequest"
    records = graph.get(f"/domains/{name}/verificationDnsRecords").json()["value"]
    txt = next(r for r in records if r["recordType"] == "Txt")
    assert txt["@odata.type"] == "#microsoft.graph.domainDnsTxtRecord" and txt["text"].startswith("MS=ms")
    assert txt["label"] == name
    early = graph.post(f"/domains/{name}/verify")
    assert early.status_code == 400 and error_of(early)["code"] == "Request_BadRequest"
    blocked = graph.patch(f"/domains/{name}", json={"supportedServices": ["Email"]})
    assert blocked.status_code == 400  # only verified domains take services

    sandbox.add_zone(name)
    publish_txt(sandbox, name, txt["text"])
    verified = graph.post(f"/domains/{name}/verify")
    assert verified.status_code == 200 and verified.json()["isVerified"] is True
    assert graph.get(f"/domains/{name}/serviceConfigurationRecords").json()["value"] == []
    assert graph.patch(f"/domains/{name}", json={"supportedServices": ["Email"]}).status_code == 204
    email = {r["recordType"]: r for r in graph.get(f"/domains/{name}/serviceConfigurationRecords").json()["value"]}
    assert email["Mx"]["mailExchange"] == name.replace(".", "-") + ".mail.protection.outlook.com"
    assert email["Mx"]["preference"] == 0 and email["Mx"]["label"] == name
    assert email["Txt"]["text"] == "v=spf1 include:spf.protection.outlook.com -all"
    assert email["CName"]["label"] == f"autodiscover.{name}"
    assert email["CName"]["canonicalName"] == "autodiscover.outlook.com"
    assert all(r["supportedService"] == "Email" for r in email.values())

    user = new_user(graph, f"ref@{name}")
    assert [r["userPrincipalName"] for r in graph.get(f"/domains/{name}/domainNameReferences").json()["value"]] \
        == [f"ref@{name}"]
    refused = graph.delete(f"/domains/{name}")
    assert refused.status_code == 400 and error_of(refused)["code"] == "Request_BadRequest"
    assert graph.delete(f"/users/{user['id']}").status_code == 204
    assert graph.delete(f"/domains/{name}").status_code == 400  # the soft-deleted user still holds the name
    assert graph.delete(f"/directory/deletedItems/{user['id']}").status_code == 204
    assert graph.delete(f"/domains/{name}").status_code == 204
    gone = graph.get(f"/domains/{name}")
    assert gone.status_code == 404 and error_of(gone)["code"] == "Request_ResourceNotFound"


# -- users ---------------------------------------------------------------------------------------------------------
def test_user_validation_messages(graph: httpx.Client, initial_domain: str) -> None:
    missing = graph.post("/users", json={"displayName": "x"})
    assert missing.status_code == 400
    assert error_of(missing)["message"] == "A value is required for property 'accountEnabled' of resource 'User'."
    foreign = graph.post("/users", json={"accountEnabled": True, "displayName": "x", "mailNickname": "x",
                                         "userPrincipalName": "x@not-verified.test",
                                         "passwordProfile": {"password": PASSWORD}})
    assert error_of(foreign)["message"].startswith("The domain portion of the userPrincipalName property is invalid")
    nick = graph.post("/users", json={"accountEnabled": True, "displayName": "x", "mailNickname": "bad nick",
                                      "userPrincipalName": f"n{uuid.uuid4().hex[:6]}@{initial_domain}",
                                      "passwordProfile": {"password": PASSWORD}})
    assert error_of(nick)["message"] == "Invalid value specified for property 'mailNickname' of resource 'User'."
    assert error_of(nick)["details"][0]["target"] == "mailNickname"
    upn = f"dup{uuid.uuid4().hex[:6]}@{initial_domain}"
    new_user(graph, upn)
    dup = graph.post("/users", json={"accountEnabled": True, "displayName": "x", "mailNickname": "dup",
                                     "userPrincipalName": upn.upper(), "passwordProfile": {"password": PASSWORD}})
    assert dup.status_code == 400 and error_of(dup)["code"] == "Request_BadRequest"
    assert error_of(dup)["message"] == \
        "Another object with the same value for property userPrincipalName already exists."


def test_user_reads_filter_select_and_paging(graph: httpx.Client, initial_domain: str) -> None:
    prefix = f"pg{uuid.uuid4().hex[:6]}"
    made = [new_user(graph, f"{prefix}{i}@{initial_domain}",
                     onPremisesExtensionAttributes={"extensionAttribute15": f"coldfleet:{prefix}"}) for i in range(5)]
    assert set(made[0]) >= {"id", "userPrincipalName", "displayName"} and "accountEnabled" not in made[0]
    by_upn = graph.get("/users", params={"$filter": f"userPrincipalName eq '{prefix}3@{initial_domain.upper()}'",
                                         "$select": "id,onPremisesExtensionAttributes"}).json()["value"]
    assert [u["id"] for u in by_upn] == [made[3]["id"]]
    assert by_upn[0]["onPremisesExtensionAttributes"]["extensionAttribute15"] == f"coldfleet:{prefix}"
    assert graph.get(f"/users/{made[3]['userPrincipalName']}").json()["id"] == made[3]["id"]

    seen: list[str] = []
    url: str | None = f"/users?$filter=startswith(userPrincipalName,'{prefix}')&$top=2&$select=id"
    while url:
        page = graph.get(url).json()
        assert len(page["value"]) <= 2
        seen += [u["id"] for u in page["value"]]
        url = page.get("@odata.nextLink")
    assert sorted(seen) == sorted(u["id"] for u in made)

    marker_filter = f"onPremisesExtensionAttributes/extensionAttribute15 eq 'coldfleet:{prefix}'"
    basic = graph.get("/users", params={"$filter": marker_filter})
    assert basic.status_code == 400 and error_of(basic)["code"] == "Request_UnsupportedQuery"
    advanced = graph.get("/users", params={"$filter": marker_filter, "$count": "true"},
                         headers={"ConsistencyLevel": "eventual"}).json()
    assert advanced["@odata.count"] == 5
    bad_select = graph.get("/users", params={"$select": "nonsense"})
    assert bad_select.status_code == 400 and error_of(bad_select)["code"] == "BadRequest"


@pytest.fixture()
def quick_mailboxes(sandbox: SandboxHandle) -> Iterator[None]:
    with sandbox.mailbox_delay(0.3):
        yield


@pytest.mark.usefixtures("quick_mailboxes")
def test_licence_mailbox_readiness_and_soft_delete(graph: httpx.Client, initial_domain: str) -> None:
    user = new_user(graph, f"lic{uuid.uuid4().hex[:6]}@{initial_domain}")
    assign = {"addLicenses": [{"skuId": EXCHANGE_SKU, "disabledPlans": []}], "removeLicenses": []}
    no_location = graph.post(f"/users/{user['id']}/assignLicense", json=assign)
    assert no_location.status_code == 400
    assert error_of(no_location)["message"] == "License assignment cannot be done for user with invalid usage location."
    unknown = graph.post(f"/users/{user['id']}/assignLicense", json={
        "addLicenses": [{"skuId": str(uuid.uuid4()), "disabledPlans": []}], "removeLicenses": []})
    assert unknown.status_code == 400
    assert graph.patch(f"/users/{user['id']}", json={"usageLocation": "CH"}).status_code == 204
    consumed_before = {s["skuId"]: s["consumedUnits"] for s in graph.get("/subscribedSkus").json()["value"]}
    assert graph.post(f"/users/{user['id']}/assignLicense", json=assign).status_code == 200
    skus = {s["skuId"]: s for s in graph.get("/subscribedSkus").json()["value"]}
    assert skus[EXCHANGE_SKU]["consumedUnits"] == consumed_before[EXCHANGE_SKU] + 1

    first = graph.get(f"/users/{user['id']}/mailboxSettings")
    assert first.status_code == 404 and error_of(first)["code"] == "MailboxNotEnabledForRESTAPI"
    deadline = time.monotonic() + 10
    while (resp := graph.get(f"/users/{user['id']}/mailboxSettings")).status_code == 404:
        assert time.monotonic() < deadline, "mailbox never became ready"
        time.sleep(0.1)
    assert resp.json()["timeZone"] == "UTC"
    patched = graph.patch(f"/users/{user['id']}/mailboxSettings",
                          json={"timeZone": "W. Europe Standard Time", "language": {"locale": "de-CH"}})
    assert patched.status_code == 200 and patched.json()["language"]["locale"] == "de-CH"

    assert graph.delete(f"/users/{user['id']}").status_code == 204
    assert graph.get(f"/users/{user['id']}").status_code == 404
    deleted = graph.get("/directory/deletedItems/microsoft.graph.user").json()["value"]
    assert user["id"] in {u["id"] for u in deleted}
    assert all(u["deletedDateTime"] for u in deleted)
    assert graph.delete(f"/directory/deletedItems/{user['id']}").status_code == 204
    assert graph.get(f"/directory/deletedItems/{user['id']}").status_code == 404


# -- batch ---------------------------------------------------------------------------------------------------------
def test_batch_dependencies_limits_and_any_order(graph: httpx.Client, initial_domain: str) -> None:
    upn = f"b{uuid.uuid4().hex[:6]}@{initial_domain}"
    body = {"accountEnabled": True, "displayName": "B", "mailNickname": upn.split("@")[0], "userPrincipalName": upn,
            "passwordProfile": {"password": PASSWORD}}
    resp = graph.post("/$batch", json={"requests": [
        {"id": "1", "method": "POST", "url": "/users", "headers": {"Content-Type": "application/json"}, "body": body},
        {"id": "2", "method": "GET", "url": f"/users/{upn}?$select=id,userPrincipalName", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "/users/nobody@nowhere.test"},
        {"id": "4", "method": "GET", "url": "/organization", "depends_on": ["3"]},
    ]})
    assert resp.status_code == 200
    items = {r["id"]: r for r in resp.json()["responses"]}
    assert items["1"]["status"] == 201 and items["2"]["status"] == 200
    assert items["2"]["body"]["userPrincipalName"] == upn
    assert items["3"]["status"] == 404 and items["4"]["status"] == 424
    too_many = graph.post("/$batch", json={"requests": [
        {"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)]})
    assert too_many.status_code == 400
    absolute = graph.post("/$batch", json={"requests": [
        {"id": "1", "method": "GET", "url": f"{graph.base_url}/organization"}]})
    assert absolute.status_code == 400
    versioned = graph.post("/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/v1.0/organization"}]})
    assert versioned.json()["responses"][0]["status"] == 400


# -- throttling ----------------------------------------------------------------------------------------------------
def test_write_quota_answers_429_with_throttle_headers(sandbox: SandboxHandle, graph: httpx.Client,
                                                       initial_domain: str) -> None:
    sandbox.set_faults("graph", write_quota=2, write_window_s=60)
    prefix = f"q{uuid.uuid4().hex[:6]}"
    new_user(graph, f"{prefix}a@{initial_domain}")
    new_user(graph, f"{prefix}b@{initial_domain}")
    resp = graph.post("/users", json={"accountEnabled": True, "displayName": "x", "mailNickname": "x",
                                      "userPrincipalName": f"{prefix}c@{initial_domain}",
                                      "passwordProfile": {"password": PASSWORD}})
    assert resp.status_code == 429 and error_of(resp)["code"] == "TooManyRequests"
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["x-ms-throttle-scope"].startswith("Tenant_Application/ReadWrite/")
    assert resp.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    assert graph.get("/users", params={"$top": "1"}).status_code == 200  # reads are not charged
    batch = graph.post("/$batch", json={"requests": [
        {"id": "r", "method": "GET", "url": "/organization"},
        {"id": "w", "method": "PATCH", "url": "/policies/identitySecurityDefaultsEnforcementPolicy",
         "headers": {"Content-Type": "application/json"}, "body": {"isEnabled": True}},
    ]})
    items = {r["id"]: r for r in batch.json()["responses"]}
    assert batch.status_code == 200 and items["r"]["status"] == 200 and items["w"]["status"] == 429
    assert "Retry-After" in items["w"]["headers"]


def test_injected_429_is_counted(sandbox: SandboxHandle, graph: httpx.Client) -> None:
    sandbox.set_faults("graph", next_429=1, retry_after_s=2)
    first = graph.get("/organization")
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert graph.get("/organization").status_code == 200
    assert sandbox.request_counts("graph")["429"] == 1
