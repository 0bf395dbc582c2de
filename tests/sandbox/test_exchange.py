"""The Exchange admin API double's contract over HTTPS: envelopes, errors, paging, DKIM against BIND, SMTP AUTH.

Set-up goes through the other doubles as a real deployment would: the tenant from Partner Center, the custom domain
added and verified through Graph with its TXT published at BIND by an RFC 2136 update.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update
import httpx
import pytest

from sandbox.handle import SandboxHandle
from tests.providers.clients.helpers import verified_domain

EXO = "https://outlook.office365.com"
GRAPH = "https://graph.microsoft.com"
PARTNER = "https://api.partnercenter.microsoft.com"


def token(sandbox: SandboxHandle, tenant: str, audience: str) -> str:
    creds = sandbox.credentials
    resp = httpx.post(f"{sandbox.endpoints['login']}/{tenant}/oauth2/v2.0/token", verify=sandbox.ca_cert,
                      data={"grant_type": "client_credentials", "client_id": creds["client_id"],
                            "client_secret": creds["client_secret"], "scope": f"{audience}/.default"})
    resp.raise_for_status()
    value: str = resp.json()["access_token"]
    return value


def publish(sandbox: SandboxHandle, zone: str, name: str, rdtype: str, values: list[str]) -> None:
    """Replace an RRset at BIND with a TSIG-signed RFC 2136 update."""
    assert sandbox.publish(zone, name, rdtype, values) == dns.rcode.NOERROR


def new_tenant(sandbox: SandboxHandle) -> dict[str, Any]:
    """A customer tenant from the Partner Center double, with the MCA attested."""
    prefix = "exo" + uuid.uuid4().hex[:10]
    headers = {"Authorization": f"Bearer {token(sandbox, sandbox.credentials['partner_tenant_id'], PARTNER)}",
               "MS-CorrelationId": str(uuid.uuid4()), "MS-RequestId": str(uuid.uuid4())}
    with httpx.Client(base_url=sandbox.endpoints["partner"], verify=sandbox.ca_cert, headers=headers) as pc:
        customer = pc.post("/customers", json={
            "companyProfile": {"domain": f"{prefix}.onmicrosoft.com"},
            "billingProfile": {"culture": "en-US", "email": "ops@example.test", "language": "en",
                               "companyName": prefix, "defaultAddress": {
                                   "firstName": "A", "lastName": "B", "addressLine1": "1 Main St", "city": "Seattle",
                                   "state": "WA", "postalCode": "98101", "country": "US"}}}).json()
        template = pc.get("/agreements", params={"agreementType": "MicrosoftCustomerAgreement"}).json()
        pc.post(f"/customers/{customer['id']}/agreements", json={
            "primaryContact": {"firstName": "A", "lastName": "B", "email": "a@example.test"},
            "templateId": template["items"][0]["templateId"], "dateAgreed": "2026-01-01T00:00:00Z",
            "type": "MicrosoftCustomerAgreement"}).raise_for_status()
        item = pc.get("/products/CFQ7TTC0LH16/skus/0001/availabilities", params={"country": "US"}).json()
        cart = pc.post(f"/customers/{customer['id']}/carts", json={"lineItems": [{
            "id": 0, "catalogItemId": item["items"][0]["catalogItemId"], "quantity": 2, "billingCycle": "monthly",
            "termDuration": "P1M"}]}).json()
        pc.post(f"/customers/{customer['id']}/carts/{cart['id']}/checkout").raise_for_status()
    return {"id": customer["id"], "initial_domain": f"{prefix}.onmicrosoft.com"}


def graph(sandbox: SandboxHandle, tenant_id: str) -> httpx.Client:
    return httpx.Client(base_url=sandbox.endpoints["graph"], verify=sandbox.ca_cert,
                        headers={"Authorization": f"Bearer {token(sandbox, tenant_id, GRAPH)}"})


def mailbox(sandbox: SandboxHandle, tenant: dict[str, Any]) -> str:
    """A licensed user whose mailbox exists (provisioning delay 0 while licensing, then restored)."""
    previous = sandbox.admin_state()["world"]["mailbox_provisioning_delay_s"]
    sandbox.set_mailbox_delay(0)
    upn = f"u{uuid.uuid4().hex[:8]}@{tenant['initial_domain']}"
    with graph(sandbox, tenant["id"]) as g:
        user = g.post("/users", json={
            "accountEnabled": True, "displayName": "Mail User", "mailNickname": upn.split("@")[0],
            "userPrincipalName": upn, "usageLocation": "US",
            "passwordProfile": {"password": "Xy7!" + uuid.uuid4().hex, "forceChangePasswordNextSignIn": False}})
        assert user.status_code == 201, user.text
        skus = g.get("/subscribedSkus").json()["value"]
        sku = next(s["skuId"] for s in skus if s["skuPartNumber"] == "EXCHANGESTANDARD")
        g.post(f"/users/{user.json()['id']}/assignLicense",
               json={"addLicenses": [{"skuId": sku}], "removeLicenses": []}).raise_for_status()
    sandbox.set_mailbox_delay(previous)
    return upn


@pytest.fixture(scope="module")
def tenant(sandbox: SandboxHandle) -> dict[str, Any]:
    return new_tenant(sandbox)


@pytest.fixture
def exo(sandbox: SandboxHandle, tenant: dict[str, Any]) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token(sandbox, tenant['id'], EXO)}",
               "X-AnchorMailbox": f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{tenant['id']}"}
    with httpx.Client(base_url=sandbox.endpoints["exchange"], verify=sandbox.ca_cert, headers=headers) as client:
        yield client


def invoke(client: httpx.Client, tenant: str, cmdlet: str, params: dict[str, Any] | None = None,
           **headers: str) -> httpx.Response:
    return client.post(f"/adminapi/beta/{tenant}/InvokeCommand", headers=headers,
                       json={"CmdletInput": {"CmdletName": cmdlet, "Parameters": params or {}}})


def detail(resp: httpx.Response) -> list[str]:
    body = resp.json()
    assert body["error"]["message"] == "Error executing cmdlet" and "innererror" in body["error"]
    assert body["error"]["details"][0]["code"] == "Client"
    parts: list[str] = body["error"]["details"][0]["message"].split("|", 2)
    return parts


def test_success_envelope(exo: httpx.Client, tenant: dict[str, Any]) -> None:
    resp = invoke(exo, tenant["id"], "Get-TransportConfig")
    assert resp.status_code == 200
    body = resp.json()
    assert body["@odata.context"].endswith("$metadata#Collection(Exchange.GenericHashTable)")
    assert body["@adminapi.warnings"] == []
    assert body["value"][0]["SmtpClientAuthenticationDisabled"] is True  # new tenants: off


def test_initial_domain_in_the_path(exo: httpx.Client, tenant: dict[str, Any]) -> None:
    resp = invoke(exo, tenant["initial_domain"], "Get-DkimSigningConfig")
    assert resp.status_code == 200
    row = resp.json()["value"][0]
    assert row["Domain"] == tenant["initial_domain"] and row["Enabled"] is True


def test_unknown_cmdlet_and_unknown_identity(exo: httpx.Client, tenant: dict[str, Any]) -> None:
    resp = invoke(exo, tenant["id"], "Get-Nothing")
    assert resp.status_code == 400 and detail(resp)[1].endswith("CommandNotFoundException")
    resp = invoke(exo, tenant["id"], "Get-DkimSigningConfig", {"Identity": "nowhere.example"})
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "NotFound"
    err_id, kind, text = detail(resp)
    assert err_id == "Ex6F9304" and kind.endswith("ManagementObjectNotFoundException")
    assert "nowhere.example" in text
    resp = invoke(exo, tenant["id"], "Set-CASMailbox", {"Identity": f"ghost@{tenant['initial_domain']}",
                                                        "SmtpClientAuthenticationDisabled": False})
    assert resp.status_code == 404


def test_authentication(sandbox: SandboxHandle, tenant: dict[str, Any]) -> None:
    url = f"{sandbox.endpoints['exchange']}/adminapi/beta/{tenant['id']}/InvokeCommand"
    body = {"CmdletInput": {"CmdletName": "Get-TransportConfig", "Parameters": {}}}
    assert httpx.post(url, json=body, verify=sandbox.ca_cert).status_code == 401
    wrong = token(sandbox, tenant["id"], GRAPH)
    resp = httpx.post(url, json=body, verify=sandbox.ca_cert, headers={"Authorization": f"Bearer {wrong}"})
    assert resp.status_code == 401
    other = token(sandbox, sandbox.credentials["partner_tenant_id"], EXO)  # issued for another tenant
    resp = httpx.post(url, json=body, verify=sandbox.ca_cert, headers={"Authorization": f"Bearer {other}"})
    assert resp.status_code == 401


def test_new_get_and_enable_dkim_against_bind(sandbox: SandboxHandle, exo: httpx.Client,
                                              tenant: dict[str, Any]) -> None:
    domain = verified_domain(sandbox, tenant["id"])
    resp = invoke(exo, tenant["id"], "New-DkimSigningConfig", {"DomainName": domain, "KeySize": 2048,
                                                               "Enabled": False})
    assert resp.status_code == 200, resp.text
    prefix = tenant["initial_domain"].split(".")[0]
    row = invoke(exo, tenant["id"], "Get-DkimSigningConfig", {"Identity": domain}).json()["value"][0]
    dashed = domain.replace(".", "-")
    assert row["Selector1CNAME"] == f"selector1-{dashed}._domainkey.{prefix}.n-v1.dkim.mail.microsoft"
    assert row["Selector2CNAME"] == f"selector2-{dashed}._domainkey.{prefix}.n-v1.dkim.mail.microsoft"
    assert (row["Enabled"], row["Status"], row["KeySize"]) == (False, "CnameMissing", 2048)
    again = invoke(exo, tenant["id"], "New-DkimSigningConfig", {"DomainName": domain, "Enabled": False})
    assert again.status_code == 400 and detail(again)[1].endswith("ADObjectAlreadyExistsException")

    enable = {"Identity": domain, "Enabled": True}
    refused = invoke(exo, tenant["id"], "Set-DkimSigningConfig", enable)
    assert refused.status_code == 400
    _, kind, text = detail(refused)
    assert kind == "Microsoft.Exchange.Management.Tasks.ValidationException"
    assert text.startswith("CNAME record does not exist for this config. Please publish the following two CNAME "
                           "records first.")
    assert row["Selector1CNAME"] in text and row["Selector2CNAME"] in text

    publish(sandbox, domain, f"selector1._domainkey.{domain}", "CNAME", [row["Selector1CNAME"] + "."])
    still = invoke(exo, tenant["id"], "Set-DkimSigningConfig", enable)
    assert still.status_code == 400  # both selectors must resolve
    publish(sandbox, domain, f"selector2._domainkey.{domain}", "CNAME", [row["Selector2CNAME"] + "."])
    ok = invoke(exo, tenant["id"], "Set-DkimSigningConfig", enable)
    assert ok.status_code == 200 and ok.json()["value"] == []
    row = invoke(exo, tenant["id"], "Get-DkimSigningConfig", {"Identity": domain}).json()["value"][0]
    assert (row["Enabled"], row["Status"]) == (True, "Valid")


def test_dkim_needs_a_verified_custom_domain(sandbox: SandboxHandle, exo: httpx.Client,
                                             tenant: dict[str, Any]) -> None:
    resp = invoke(exo, tenant["id"], "New-DkimSigningConfig", {"DomainName": "unverified.example",
                                                               "Enabled": False})
    assert resp.status_code == 404
    resp = invoke(exo, tenant["id"], "New-DkimSigningConfig", {"DomainName": tenant["initial_domain"],
                                                               "Enabled": False})
    assert resp.status_code == 404
    resp = invoke(exo, tenant["id"], "New-DkimSigningConfig", {"DomainName": "x.example"})
    assert resp.status_code == 400 and detail(resp)[1].endswith("ParameterBindingException")


def test_paging_follows_prefer_maxpagesize(sandbox: SandboxHandle, exo: httpx.Client,
                                           tenant: dict[str, Any]) -> None:
    domain = verified_domain(sandbox, tenant["id"])
    invoke(exo, tenant["id"], "New-DkimSigningConfig", {"DomainName": domain, "Enabled": False}).raise_for_status()
    body = {"CmdletInput": {"CmdletName": "Get-DkimSigningConfig", "Parameters": {}}}
    url: str | None = f"/adminapi/beta/{tenant['id']}/InvokeCommand"
    seen: list[str] = []
    while url:
        page = exo.post(url, json=body, headers={"Prefer": "odata.maxpagesize=1"}).json()
        assert len(page["value"]) == 1
        seen.append(page["value"][0]["Domain"])
        url = page.get("@odata.nextLink")
    assert seen[0] == tenant["initial_domain"] and domain in seen and len(seen) == len(set(seen))


def test_smtp_auth_per_mailbox_and_tenant(sandbox: SandboxHandle, exo: httpx.Client,
                                          tenant: dict[str, Any]) -> None:
    upn = mailbox(sandbox, tenant)
    row = invoke(exo, tenant["id"], "Get-CASMailbox", {"Identity": upn}).json()["value"][0]
    assert row["PrimarySmtpAddress"] == upn and row["SmtpClientAuthenticationDisabled"] is None
    assert invoke(exo, tenant["id"], "Set-CASMailbox", {"Identity": upn,
                                                        "SmtpClientAuthenticationDisabled": False}).status_code == 200
    row = invoke(exo, tenant["id"], "Get-CASMailbox", {"Identity": upn}).json()["value"][0]
    assert row["SmtpClientAuthenticationDisabled"] is False
    invoke(exo, tenant["id"], "Set-CASMailbox", {"Identity": upn, "SmtpClientAuthenticationDisabled": None})
    row = invoke(exo, tenant["id"], "Get-CASMailbox", {"Identity": upn}).json()["value"][0]
    assert row["SmtpClientAuthenticationDisabled"] is None
    assert upn in [m["UserPrincipalName"] for m in invoke(exo, tenant["id"], "Get-Mailbox").json()["value"]]

    invoke(exo, tenant["id"], "Set-TransportConfig", {"SmtpClientAuthenticationDisabled": False})
    assert invoke(exo, tenant["id"], "Get-TransportConfig").json()["value"][0][
        "SmtpClientAuthenticationDisabled"] is False
    world = sandbox.admin_state()["world"]["tenants"][tenant["id"]]
    assert world["smtp_client_auth_disabled"] is False
    invoke(exo, tenant["id"], "Set-TransportConfig", {"SmtpClientAuthenticationDisabled": "$true"})
    assert sandbox.admin_state()["world"]["tenants"][tenant["id"]]["smtp_client_auth_disabled"] is True


def test_write_quota_answers_429(sandbox: SandboxHandle, exo: httpx.Client, tenant: dict[str, Any]) -> None:
    sandbox.set_faults("exchange", write_quota=1, write_window_s=60)
    params = {"SmtpClientAuthenticationDisabled": True}
    assert invoke(exo, tenant["id"], "Set-TransportConfig", params).status_code == 200
    resp = invoke(exo, tenant["id"], "Set-TransportConfig", params)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert invoke(exo, tenant["id"], "Get-TransportConfig").status_code == 200  # reads are not charged
