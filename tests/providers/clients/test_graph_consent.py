"""GraphClient admin consent (servicePrincipals + oauth2PermissionGrants) against the sandbox's Graph double over HTTPS:
grant, idempotence, scope changes, out-of-band changes, revoke, and the error mapping of the raw endpoints."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from providers.clients import errors
from providers.clients.graph import EXCHANGE_ONLINE_APP_ID, GraphClient
from sandbox.handle import SandboxHandle

SCOPES = ["IMAP.AccessAsUser.All", "SMTP.Send"]


@pytest.fixture()
def graph(sandbox: SandboxHandle) -> GraphClient:
    return GraphClient(sandbox.settings, sandbox.credentials["partner_tenant_id"])


def grants_of(sandbox: SandboxHandle, graph: GraphClient, app_id: str) -> list[dict[str, Any]]:
    """AllPrincipals grants of the app's service principal, from the admin view of the world."""
    tenant = sandbox.admin_state()["world"]["tenants"][graph.tenant_id]
    sps = {sp["id"]: sp["app_id"] for sp in tenant["service_principals"].values()}
    return [g for g in tenant["permission_grants"].values() if sps.get(g["client_id"]) == app_id]


def test_grant_is_idempotent_and_readable(sandbox: SandboxHandle, graph: GraphClient) -> None:
    app = str(uuid.uuid4())
    assert graph.consent_scopes(app, EXCHANGE_ONLINE_APP_ID) == []
    graph.grant_admin_consent(app, EXCHANGE_ONLINE_APP_ID, SCOPES)
    graph.grant_admin_consent(app.upper(), EXCHANGE_ONLINE_APP_ID, list(reversed(SCOPES)))  # same grant
    assert graph.consent_scopes(app, EXCHANGE_ONLINE_APP_ID) == SCOPES
    [grant] = grants_of(sandbox, graph, app)
    assert grant["consent_type"] == "AllPrincipals" and grant["scope"] == "IMAP.AccessAsUser.All SMTP.Send"
    sp = graph.ensure_service_principal(app)
    assert grant["client_id"] == sp == graph.ensure_service_principal(app)  # found, not created twice


def test_scope_change_patches_the_same_grant(sandbox: SandboxHandle, graph: GraphClient) -> None:
    app = str(uuid.uuid4())
    graph.grant_admin_consent(app, EXCHANGE_ONLINE_APP_ID, ["SMTP.Send"])
    [before] = grants_of(sandbox, graph, app)
    graph.grant_admin_consent(app, EXCHANGE_ONLINE_APP_ID, SCOPES)
    [after] = grants_of(sandbox, graph, app)
    assert after["id"] == before["id"] and graph.consent_scopes(app, EXCHANGE_ONLINE_APP_ID) == SCOPES


def test_revoke_then_grant_again(sandbox: SandboxHandle, graph: GraphClient) -> None:
    app = str(uuid.uuid4())
    graph.revoke_admin_consent(app, EXCHANGE_ONLINE_APP_ID)  # nothing to revoke: no service principal yet
    graph.grant_admin_consent(app, EXCHANGE_ONLINE_APP_ID, SCOPES)
    graph.revoke_admin_consent(app, EXCHANGE_ONLINE_APP_ID)
    graph.revoke_admin_consent(app, EXCHANGE_ONLINE_APP_ID)  # idempotent
    assert graph.consent_scopes(app, EXCHANGE_ONLINE_APP_ID) == [] and grants_of(sandbox, graph, app) == []
    graph.grant_admin_consent(app, EXCHANGE_ONLINE_APP_ID, SCOPES)
    assert graph.consent_scopes(app, EXCHANGE_ONLINE_APP_ID) == SCOPES


def test_grant_without_scopes_is_refused(graph: GraphClient) -> None:
    with pytest.raises(errors.BadRequest):
        graph.grant_admin_consent(str(uuid.uuid4()), EXCHANGE_ONLINE_APP_ID, [" "])


def test_raw_endpoints_answer_graph_errors(graph: GraphClient) -> None:
    """Duplicates are 409 Request_MultipleObjectsWithSameKeyValue; bad references 400; unknown grants 404."""
    app = str(uuid.uuid4())
    sp = graph.ensure_service_principal(app)
    exo = graph.ensure_service_principal(EXCHANGE_ONLINE_APP_ID)
    grant = {"clientId": sp, "consentType": "AllPrincipals", "resourceId": exo, "scope": "SMTP.Send"}
    answers = {a["id"]: a for a in graph.batch([
        {"id": "sp", "method": "POST", "url": "/servicePrincipals", "body": {"appId": app}},
        {"id": "g1", "method": "POST", "url": "/oauth2PermissionGrants", "body": grant},
        {"id": "g2", "method": "POST", "url": "/oauth2PermissionGrants", "body": grant, "dependsOn": ["g1"]},
        {"id": "bad", "method": "POST", "url": "/oauth2PermissionGrants", "body": {**grant, "resourceId": app}},
        {"id": "none", "method": "DELETE", "url": "/oauth2PermissionGrants/nope"},
        {"id": "scope", "method": "GET", "url": "/oauth2PermissionGrants?$filter=scope eq 'SMTP.Send'"},
    ])}
    assert answers["sp"]["status"] == 409
    assert answers["sp"]["body"]["error"]["code"] == "Request_MultipleObjectsWithSameKeyValue"
    assert answers["g1"]["status"] == 201 and answers["g1"]["body"]["scope"] == "SMTP.Send"
    assert answers["g2"]["status"] == 409
    assert answers["g2"]["body"]["error"]["code"] == "Request_MultipleObjectsWithSameKeyValue"
    assert answers["bad"]["status"] == 400 and answers["bad"]["body"]["error"]["code"] == "Request_BadRequest"
    assert answers["none"]["status"] == 404
    assert answers["scope"]["status"] == 400
    assert answers["scope"]["body"]["error"]["code"] == "Request_UnsupportedQuery"


def test_first_party_service_principals_are_seeded(graph: GraphClient) -> None:
    [answer] = graph.batch([{"id": "1", "method": "GET", "url": "/servicePrincipals?$filter=appId in "
                             "('00000002-0000-0ff1-ce00-000000000000', '00000003-0000-0000-c000-000000000000')"}])
    names = {sp["displayName"]: sp for sp in answer["body"]["value"]}
    assert set(names) == {"Office 365 Exchange Online", "Microsoft Graph"}
    exchange_scopes = {s["value"] for s in names["Office 365 Exchange Online"]["oauth2PermissionScopes"]}
    assert set(SCOPES) <= exchange_scopes


def test_faults_are_retried(sandbox: SandboxHandle, graph: GraphClient) -> None:
    app = str(uuid.uuid4())
    sandbox.set_faults("graph", next_429=1, retry_after_s=1)
    graph.grant_admin_consent(app, EXCHANGE_ONLINE_APP_ID, SCOPES)
    assert graph.consent_scopes(app, EXCHANGE_ONLINE_APP_ID) == SCOPES
