"""The Exchange double's restricted entities over HTTPS: Get-BlockedSenderAddress (all, or one -SenderAddress) and
Remove-BlockedSenderAddress, per tenant, the list filled through the admin app as outbound protection would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.handle import SandboxHandle
from tests.sandbox.test_exchange import EXO, detail, invoke, new_tenant, token


@pytest.fixture(scope="module")
def tenants(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return [new_tenant(sandbox), new_tenant(sandbox)]


def exo(sandbox: SandboxHandle, tenant: dict[str, Any]) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token(sandbox, tenant['id'], EXO)}",
               "X-AnchorMailbox": f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{tenant['id']}"}
    return httpx.Client(base_url=sandbox.endpoints["exchange"], verify=sandbox.ca_cert, headers=headers)


@pytest.fixture
def client(sandbox: SandboxHandle, tenants: list[dict[str, Any]]) -> Iterator[httpx.Client]:
    with exo(sandbox, tenants[0]) as c:
        yield c


def test_blocked_senders_per_tenant(sandbox: SandboxHandle, client: httpx.Client,
                                    tenants: list[dict[str, Any]]) -> None:
    first, second = tenants
    address = f"spam@{first['initial_domain']}"
    resp = sandbox.admin.post(f"/tenants/{first['id']}/restricted-senders", json={
        "add": [{"address": address, "reason": "OutboundSpamLast24Hours=242;OutboundMailLast24Hours=243",
                 "temporary": True}]})
    assert resp.status_code == 200 and resp.json()["restricted"] == [address]

    rows = invoke(client, first["id"], "Get-BlockedSenderAddress").json()["value"]
    assert [r["SenderAddress"] for r in rows] == [address]
    assert rows[0]["TemporaryBlock"] is True and rows[0]["Reason"].startswith("OutboundSpamLast24Hours=")
    assert set(rows[0]) >= {"SenderAddress", "Reason", "BlockType", "CreatedDatetime", "ChangedDatetime"}
    one = invoke(client, first["id"], "Get-BlockedSenderAddress", {"SenderAddress": address.upper()})
    assert len(one.json()["value"]) == 1
    with exo(sandbox, second) as other:
        assert invoke(other, second["id"], "Get-BlockedSenderAddress").json()["value"] == []

    assert invoke(client, first["id"], "Remove-BlockedSenderAddress", {"SenderAddress": address}).status_code == 200
    assert invoke(client, first["id"], "Get-BlockedSenderAddress").json()["value"] == []


def test_restricted_cmdlet_errors(client: httpx.Client, tenants: list[dict[str, Any]]) -> None:
    tenant = tenants[0]["id"]
    gone = invoke(client, tenant, "Remove-BlockedSenderAddress", {"SenderAddress": "nobody@example.test"})
    assert gone.status_code == 404 and detail(gone)[1].endswith("ManagementObjectNotFoundException")
    bad = invoke(client, tenant, "Get-BlockedSenderAddress", {"SenderAddress": "not-an-address"})
    assert bad.status_code == 400 and detail(bad)[1].endswith("ParameterBindingException")
    missing = invoke(client, tenant, "Remove-BlockedSenderAddress")
    assert missing.status_code == 400 and "SenderAddress" in detail(missing)[2]


def test_admin_refuses_bad_bodies(sandbox: SandboxHandle, tenants: list[dict[str, Any]]) -> None:
    assert sandbox.admin.post("/tenants/nope/restricted-senders", json={"add": ["a@b.test"]}).status_code == 404
    assert sandbox.admin.post(f"/tenants/{tenants[0]['id']}/restricted-senders",
                              json={"add": ["no-at-sign"]}).status_code == 400
    assert sandbox.admin.post(f"/tenants/{tenants[0]['id']}/restricted-senders",
                              json={"block": []}).status_code == 400
