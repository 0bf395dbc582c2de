"""The identity double through the real azure-identity ClientSecretCredential, over HTTPS with the sandbox CA."""

from __future__ import annotations

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

from sandbox.handle import SandboxHandle

GRAPH = "https://graph.microsoft.com/.default"


def credential(sandbox: SandboxHandle, tenant: str | None = None, client_id: str | None = None,
               secret: str | None = None) -> ClientSecretCredential:
    creds = sandbox.credentials
    return ClientSecretCredential(
        tenant or creds["partner_tenant_id"], client_id or creds["client_id"], secret or creds["client_secret"],
        authority=sandbox.endpoints["login"], disable_instance_discovery=True, connection_verify=sandbox.ca_cert,
    )


def token_request(sandbox: SandboxHandle, tenant: str, **form: str) -> httpx.Response:
    creds = sandbox.credentials
    data = {"grant_type": "client_credentials", "client_id": creds["client_id"],
            "client_secret": creds["client_secret"], "scope": GRAPH, **form}
    return httpx.post(f"{sandbox.endpoints['login']}/{tenant}/oauth2/v2.0/token", data=data, verify=sandbox.ca_cert)


@pytest.mark.parametrize("audience", ["https://graph.microsoft.com", "https://outlook.office365.com",
                                      "https://api.partnercenter.microsoft.com"])
def test_token_for_each_audience_is_stored_in_the_world(sandbox: SandboxHandle, audience: str) -> None:
    token = credential(sandbox).get_token(f"{audience}/.default")
    assert token.token and token.expires_on > 0
    tokens = sandbox.admin_state()["world"]["tokens"]
    assert {"client_id": sandbox.credentials["client_id"], "tenant_id": sandbox.credentials["partner_tenant_id"],
            "audience": audience} in [{k: t[k] for k in ("client_id", "tenant_id", "audience")} for t in tokens]


def test_tenant_by_initial_domain(sandbox: SandboxHandle) -> None:
    assert credential(sandbox, tenant="coldfleetpartner.onmicrosoft.com").get_token(GRAPH).token


def test_wrong_secret_is_aadsts7000215(sandbox: SandboxHandle) -> None:
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential(sandbox, secret="not-the-secret").get_token(GRAPH)
    resp = token_request(sandbox, sandbox.credentials["partner_tenant_id"], client_secret="nope")
    assert resp.status_code == 401
    body = resp.json()
    assert body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    assert {"error_description", "timestamp", "trace_id", "correlation_id", "error_uri"} <= set(body)


def test_unknown_tenant_is_aadsts90002(sandbox: SandboxHandle) -> None:
    # MSAL fails at discovery (400 invalid_tenant) and reports it in its own words, as against the real cloud.
    with pytest.raises(ClientAuthenticationError):
        credential(sandbox, tenant="00000000-0000-0000-0000-000000000000").get_token(GRAPH)
    resp = token_request(sandbox, "nowhere.onmicrosoft.com")
    assert resp.status_code == 400 and resp.json()["error_codes"] == [90002]


def test_unknown_app_is_aadsts700016(sandbox: SandboxHandle) -> None:
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        credential(sandbox, client_id="11111111-1111-1111-1111-111111111111").get_token(GRAPH)


def test_scope_errors(sandbox: SandboxHandle) -> None:
    tenant = sandbox.credentials["partner_tenant_id"]
    resp = token_request(sandbox, tenant, scope="https://graph.microsoft.com/User.Read")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_scope"
    resp = token_request(sandbox, tenant, scope="https://example.com/.default")
    assert resp.status_code == 400 and resp.json()["error_codes"] == [500011]
    resp = token_request(sandbox, tenant, grant_type="password")
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_grant_type"


def test_token_response_shape(sandbox: SandboxHandle) -> None:
    resp = token_request(sandbox, sandbox.credentials["partner_tenant_id"])
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["ext_expires_in"] == 3599
    assert len(body["access_token"]) > 32


def test_openid_configuration(sandbox: SandboxHandle) -> None:
    tenant = sandbox.credentials["partner_tenant_id"]
    login = sandbox.endpoints["login"]
    resp = httpx.get(f"{login}/{tenant}/v2.0/.well-known/openid-configuration", verify=sandbox.ca_cert)
    assert resp.status_code == 200
    body = resp.json()
    assert body["issuer"] == f"{login}/{tenant}/v2.0"
    assert body["token_endpoint"] == f"{login}/{tenant}/oauth2/v2.0/token"
    resp = httpx.get(f"{login}/nope.onmicrosoft.com/v2.0/.well-known/openid-configuration", verify=sandbox.ca_cert)
    assert resp.status_code == 400 and resp.json()["error_codes"] == [90002]
