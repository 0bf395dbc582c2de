"""M365Tenant access against the sandbox: the existing-tenant permission check (appRoleAssignments) and the GDAP
relationship requested for every customer in partner mode."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from providers import config
from providers.clients import errors
from providers.clients.graph import GraphClient
from providers.m365_tenant.access import GDAP_ROLES, gdap_name
from providers.m365_tenant import GRAPH_PERMISSIONS, M365TenantProvider

ADDRESS = {"first_name": "Anna", "last_name": "Keller", "address_line1": "1 Main St", "city": "Springfield",
           "state": "IL", "postal_code": "62701", "country": "US"}
CONTACT = {"first_name": "Anna", "last_name": "Keller", "email": "ops@acme.example"}
GRAPH_APP = "00000003-0000-0000-c000-000000000000"


def inputs(**over: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    base: dict[str, Any] = {
        "domain": f"a{tag}.test", "mode": "partner", "tenant_id": None, "residency": "us", "country": "US",
        "domain_prefix": f"ca{tag}", "company_name": "Acme Outbound", "address": dict(ADDRESS), "contact": CONTACT,
        "licence": "exchange_online_plan1", "seats": 1,
    }
    base.update(over)
    return base


@pytest.fixture()
def online(sandbox: Any) -> Iterator[Any]:
    config.use(sandbox.settings)
    yield sandbox
    sandbox._post("/settings", {"gdap_approval_delay_s": 0.0})


def partner_tenant(provider: M365TenantProvider) -> dict[str, Any]:
    outs: dict[str, Any] = provider.create(provider.check({}, inputs()).inputs).outs
    return outs


def relationships(sandbox: Any) -> dict[str, dict[str, Any]]:
    partner = sandbox.credentials["partner_tenant_id"]
    rels: dict[str, dict[str, Any]] = sandbox.admin_state()["world"]["tenants"][partner]["gdap_relationships"]
    return rels


# --- existing tenants: application permissions --------------------------------------------------------------------


def test_app_permissions_are_read_from_app_role_assignments(online: Any) -> None:
    owner = partner_tenant(M365TenantProvider())
    held = GraphClient(online.settings, owner["tenant_id"]).app_permissions(online.settings.client_id)
    assert held is not None and set(GRAPH_PERMISSIONS) <= set(held[GRAPH_APP])
    assert GraphClient(online.settings, owner["tenant_id"]).app_permissions(str(uuid.uuid4())) is None


def test_existing_mode_lists_exactly_the_missing_permissions(online: Any) -> None:
    provider = M365TenantProvider()
    tenant_id = partner_tenant(provider)["tenant_id"]
    removed = online._post(f"/tenants/{tenant_id}/app-roles",
                           {"remove": ["Exchange.ManageAsApp", "Domain.ReadWrite.All", "MailboxSettings.ReadWrite"]})
    assert "Domain.ReadWrite.All" not in removed["app_roles"]
    news = provider.check({}, inputs(mode="existing", tenant_id=tenant_id, domain_prefix=None)).inputs
    with pytest.raises(errors.PermissionDenied) as caught:
        provider.create(news)
    assert caught.value.args[0].startswith(f"missing application permissions in tenant {tenant_id}: "
                                           "Domain.ReadWrite.All, MailboxSettings.ReadWrite, Exchange.ManageAsApp. ")
    assert online.settings.client_secret not in str(caught.value)
    tenant = online.admin_state()["world"]["tenants"][tenant_id]
    assert news["domain"] not in tenant["domains"]  # failed before any write

    online._post(f"/tenants/{tenant_id}/app-roles",
                 {"add": ["Exchange.ManageAsApp", "Domain.ReadWrite.All", "MailboxSettings.ReadWrite"]})
    outs = provider.create(news).outs  # all present: proceeds
    assert outs["tenant_id"] == tenant_id and outs["gdap_relationship_id"] is None and outs["gdap_status"] is None
    assert news["domain"] in online.admin_state()["world"]["tenants"][tenant_id]["domains"]


def test_admin_route_rejects_unknown_permissions(online: Any) -> None:
    tenant_id = online.credentials["partner_tenant_id"]
    resp = online.admin.post(f"/tenants/{tenant_id}/app-roles", json={"remove": ["Nope.All"]})
    assert resp.status_code == 400 and "Nope.All" in resp.text


# --- partner mode: GDAP -------------------------------------------------------------------------------------------


def test_gdap_requested_once_and_approved_out_of_band(online: Any) -> None:
    online._post("/settings", {"gdap_approval_delay_s": 3600.0})  # the customer's admin has not approved yet
    provider = M365TenantProvider()
    news = provider.check({}, inputs()).inputs
    created = provider.create(news)
    outs = created.outs
    assert outs["gdap_status"] == "approvalPending" and outs["gdap_relationship_id"]
    rel = relationships(online)[outs["gdap_relationship_id"]]
    assert rel["display_name"] == gdap_name(news["domain_prefix"]) and len(rel["display_name"]) <= 50
    assert rel["customer_tenant_id"] == outs["tenant_id"] and rel["customer_display_name"] == "Acme Outbound"
    assert rel["role_ids"] == list(GDAP_ROLES.values())
    assert (rel["duration"], rel["auto_extend_duration"]) == ("P730D", "P180D")  # ISO 8601 on the wire
    assert [r["action"] for r in rel["requests"]] == ["lockForApproval"]

    count = len(relationships(online))
    again = provider.create(news).outs  # the engine lost the first result: found by displayName, not re-requested
    assert again["gdap_relationship_id"] == outs["gdap_relationship_id"] and again["gdap_status"] == "approvalPending"
    assert len(relationships(online)) == count
    assert len(relationships(online)[outs["gdap_relationship_id"]]["requests"]) == 1

    assert provider.read(created.id, outs).outs["gdap_status"] == "approvalPending"
    online._post("/settings", {"gdap_approval_delay_s": 0.0})  # the customer's admin approves
    live = provider.read(created.id, outs).outs
    assert live["gdap_status"] == "active" and live["gdap_relationship_id"] == outs["gdap_relationship_id"]
    assert not provider.diff(created.id, live, news).changes
    updated = provider.update(created.id, live, {**news, "seats": 2}).outs
    assert updated["gdap_status"] == "active" and updated["gdap_relationship_id"] == outs["gdap_relationship_id"]
    assert len(relationships(online)) == count
