"""M365Tenant provider: check/diff without API calls, then the lifecycle against the sandbox's doubles."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from providers import config
from providers.base import UNKNOWN
from providers.clients import errors
from providers.clients.graph import GraphClient
from providers.config import Settings
from providers.m365_tenant import GRAPH_PERMISSIONS, M365Tenant, M365TenantProvider
from providers.m365_tenant.access import GDAP_ROLES, gdap_name

ADDRESS = {"first_name": "Anna", "last_name": "Keller", "address_line1": "1 Main St", "city": "Springfield",
           "state": "IL", "postal_code": "62701", "country": "US"}
CONTACT = {"first_name": "Anna", "last_name": "Keller", "email": "ops@acme.example"}
SEQUENCER = "6a2b8f0e-1c3d-4e5f-8a9b-0c1d2e3f4a5b"  # a sequencer's multi-tenant app (appId)
SCOPES = ["IMAP.AccessAsUser.All", "SMTP.Send"]
EXCHANGE_ONLINE = "00000002-0000-0ff1-ce00-000000000000"
GRAPH_APP = "00000003-0000-0000-c000-000000000000"


def inputs(**over: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    base: dict[str, Any] = {
        "domain": f"t{tag}.test", "mode": "partner", "tenant_id": None, "residency": "us", "country": "US",
        "domain_prefix": f"cf{tag}", "company_name": "Acme Outbound", "address": dict(ADDRESS), "contact": CONTACT,
        "licence": "exchange_online_plan1", "seats": 3,
    }
    base.update(over)
    return base


def fields(result: Any) -> dict[str, str]:
    return {f.property: f.reason for f in result.failures}


# --- check and diff: no API call (settings point at a closed port) ------------------------------------------------


@pytest.fixture()
def offline() -> Iterator[None]:
    config.use(Settings(graph_endpoint="https://127.0.0.1:9/v1.0", partner_endpoint="https://127.0.0.1:9/v1",
                        login_endpoint="https://127.0.0.1:9", exchange_endpoint="https://127.0.0.1:9"))
    yield


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"mode": "existing"}, "tenant_id"),
        ({"tenant_id": str(uuid.uuid4())}, "tenant_id"),
        ({"domain_prefix": None}, "domain_prefix"),
        ({"domain_prefix": "has-dash"}, "domain_prefix"),
        ({"address": None}, "address"),
        ({"contact": None}, "contact"),
        ({"country": "DE"}, "country"),
        ({"residency": "eu", "country": "DE"}, "address.country"),
        ({"residency": "eu", "country": "DE", "address": {**ADDRESS, "country": "FR"}}, "address.country"),
        ({"domain": "not a domain"}, "domain"),
        ({"seats": 0}, "seats"),
        ({"licence": "business_basic", "seats": 301}, "seats"),
        ({"seats": 101}, "seats"),
        ({"licence": "e5"}, "licence"),
        ({"contact": {**CONTACT, "email": "nope"}}, "contact.email"),
        ({"sequencer_app_id": "not-a-guid"}, "sequencer_app_id"),
    ],
)
def test_check_names_the_field(offline: None, over: dict[str, Any], field: str) -> None:
    result = M365TenantProvider().check({}, inputs(**over))
    assert field in fields(result), fields(result)


def test_check_normalises_and_fills_defaults(offline: None) -> None:
    news = inputs(domain="GetAcme.COM.", seats=3.0, country="us", __provider="blob")
    result = M365TenantProvider().check({}, news)
    assert result.failures == []
    assert result.inputs["domain"] == "getacme.com"
    assert result.inputs["seats"] == 3 and isinstance(result.inputs["seats"], int)
    assert result.inputs["country"] == "US"
    assert result.inputs["security_defaults"] is True and result.inputs["tenant_smtp_auth"] is False


def test_check_tolerates_preview_unknowns(offline: None) -> None:
    provider = M365TenantProvider()
    assert provider.check({}, inputs(domain=UNKNOWN)).failures == []
    assert provider.check({}, inputs(mode="existing", tenant_id=UNKNOWN)).failures == []
    assert provider.check({}, inputs(address=UNKNOWN, contact={**CONTACT, "email": UNKNOWN})).failures == []
    # a real error next to an unknown is still reported
    assert set(fields(provider.check({}, inputs(domain=UNKNOWN, seats=0)))) == {"seats"}


def _outs(news: dict[str, Any]) -> dict[str, Any]:
    return {**news, "tenant_id": str(uuid.uuid4()), "initial_domain": "x.onmicrosoft.com", "domain_present": True}


def test_diff(offline: None) -> None:
    provider = M365TenantProvider()
    news = provider.check({}, inputs()).inputs
    olds = _outs(news)
    same = provider.diff("id", olds, news)
    assert not same.changes and same.replaces == []  # partner tenant_id is an output, not a change
    seats = provider.diff("id", olds, {**news, "seats": 5})
    assert seats.changes and seats.replaces == []
    smtp = provider.diff("id", olds, {**news, "tenant_smtp_auth": True})
    assert smtp.changes and smtp.replaces == []
    for key, value in (("country", "CA"), ("residency", "eu"), ("domain", "other.test"), ("domain_prefix", "zz")):
        moved = provider.diff("id", olds, {**news, key: value})
        assert moved.replaces == [key] and moved.delete_before_replace
    unknown = provider.diff("id", olds, {**news, "domain": UNKNOWN})
    assert unknown.changes and unknown.replaces == []  # decided with the real value during `up`
    drift = provider.diff("id", {**olds, "domain_present": False}, news)
    assert drift.changes and drift.replaces == []


def test_check_caps_seats_per_tenant(offline: None) -> None:
    provider = M365TenantProvider()
    assert provider.check({}, inputs(seats=100)).failures == []
    reason = fields(provider.check({}, inputs(seats=101)))["seats"]
    assert "seats" in reason and "100" in reason


def test_diff_consent_drift(offline: None) -> None:
    provider = M365TenantProvider()
    news = provider.check({}, inputs(sequencer_app_id=SEQUENCER)).inputs
    olds = {**_outs(news), "sequencer_consent": SCOPES}
    assert not provider.diff("id", olds, news).changes
    for lost in ([], ["SMTP.Send"], None):  # revoked, narrowed, never granted (state from before consent)
        drift = provider.diff("id", {**olds, "sequencer_consent": lost}, news)
        assert drift.changes and drift.replaces == []
    removed = provider.diff("id", olds, {**news, "sequencer_app_id": None})
    assert removed.changes and removed.replaces == []
    plain = provider.check({}, inputs()).inputs  # no sequencer app: consent is not looked at
    assert not provider.diff("id", {**_outs(plain), "sequencer_consent": []}, plain).changes


def test_resource_marks_admin_password_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    captured: dict[str, Any] = {}

    def fake_init(self: Any, provider: Any, name: str, props: dict[str, Any], opts: Any = None) -> None:
        captured.update(provider=provider, name=name, props=props, opts=opts)

    monkeypatch.setattr(pulumi.dynamic.Resource, "__init__", fake_init)
    M365Tenant("t.test", **inputs(), opts=pulumi.ResourceOptions(protect=True))
    assert M365Tenant._resource_type_name == "dynamic/coldfleet:M365Tenant"
    assert isinstance(captured["provider"], M365TenantProvider)
    assert captured["opts"].additional_secret_outputs == ["admin_password"] and captured["opts"].protect
    assert captured["props"]["admin_password"] is None and captured["props"]["tenant_id"] is None
    assert vars(captured["provider"]) == {}  # nothing on the instance: it is pickled into state


# --- lifecycle against the sandbox ------------------------------------------------------------------------------


@pytest.fixture()
def online(sandbox: Any) -> Iterator[Any]:
    config.use(sandbox.settings)
    yield sandbox


def world_tenant(sandbox: Any, tenant_id: str) -> dict[str, Any]:
    tenant: dict[str, Any] = sandbox.admin_state()["world"]["tenants"][tenant_id]
    return tenant


def seats_of(tenant: dict[str, Any]) -> int:
    return sum(int(s["quantity"]) for s in tenant["subscriptions"] if str(s["offerId"]).startswith("CFQ7TTC0LH16"))


def test_partner_create_then_adopt_after_crash(online: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    provider = M365TenantProvider()
    news = provider.check({}, inputs()).inputs
    created = provider.create(news)
    outs = created.outs
    assert created.id == f"{outs['tenant_id']}/{news['domain']}"
    assert outs["initial_domain"] == f"{news['domain_prefix']}.onmicrosoft.com"
    assert outs["verification_txt"].startswith("MS=ms")
    assert outs["admin_username"] == f"admin@{outs['initial_domain']}"
    assert outs["admin_password"]
    assert outs["licence_sku_id"] and outs["domain_present"] and not outs["domain_verified"]
    assert {k: outs[k] for k in news} == {**news, "tenant_id": outs["tenant_id"]}  # inputs echoed
    tenant = world_tenant(online, outs["tenant_id"])
    assert news["domain"] in tenant["domains"]
    assert seats_of(tenant) == 3
    assert tenant["smtp_client_auth_disabled"] is True
    assert tenant["country"] == "US"
    customers = len(online.admin_state()["world"]["tenants"])

    again = provider.create(news)  # the engine lost the first result: same tenant, nothing bought twice
    assert again.outs["tenant_id"] == outs["tenant_id"]
    assert again.outs["admin_password"] is None  # only known at creation
    assert len(online.admin_state()["world"]["tenants"]) == customers
    assert seats_of(world_tenant(online, outs["tenant_id"])) == 3
    assert outs["admin_password"] not in caplog.text


def test_prefix_of_someone_elses_tenant_is_refused(online: Any) -> None:
    news = M365TenantProvider().check({}, inputs(domain_prefix="coldfleetpartner")).inputs
    with pytest.raises(errors.Conflict, match="domain_prefix"):
        M365TenantProvider().create(news)


def test_adoption_refuses_another_country(online: Any) -> None:
    provider = M365TenantProvider()
    news = provider.check({}, inputs()).inputs
    provider.create(news)
    moved = {**news, "residency": "eu", "country": "DE", "address": {**ADDRESS, "country": "DE"}}
    with pytest.raises(errors.Conflict, match="data location"):
        provider.create(provider.check({}, moved).inputs)


def test_update_seats_and_settings_keeps_password(online: Any) -> None:
    from providers.clients.exchange import ExchangeClient

    provider = M365TenantProvider()
    news = provider.check({}, inputs()).inputs
    outs = provider.create(news).outs
    assert world_tenant(online, outs["tenant_id"])["security_defaults_enabled"] is True
    changed = {**news, "seats": 5, "tenant_smtp_auth": True, "security_defaults": False}
    assert provider.diff("id", outs, changed).replaces == []
    updated = provider.update("id", outs, changed).outs
    assert updated["admin_password"] == outs["admin_password"]
    assert updated["seats"] == 5 and updated["tenant_smtp_auth"] is True
    tenant = world_tenant(online, outs["tenant_id"])
    assert seats_of(tenant) == 5 and tenant["security_defaults_enabled"] is False
    assert ExchangeClient(online.settings, outs["tenant_id"]).get_tenant_smtp_auth() is True


def test_read_reports_drift_and_update_repairs_it(online: Any) -> None:
    from providers.clients.exchange import ExchangeClient
    from providers.clients.graph import GraphClient

    provider = M365TenantProvider()
    news = provider.check({}, inputs()).inputs
    created = provider.create(news)
    outs, tenant_id = created.outs, created.outs["tenant_id"]
    clean = provider.read(created.id, outs)
    assert clean.id == created.id and not provider.diff(created.id, clean.outs, news).changes
    assert clean.inputs is not None and clean.inputs["tenant_id"] is None and clean.inputs["seats"] == 3

    ExchangeClient(online.settings, tenant_id).set_tenant_smtp_auth(True)
    graph = GraphClient(online.settings, tenant_id)
    graph.delete_domain(news["domain"])
    graph.batch([{"id": "1", "method": "PATCH", "url": "/policies/identitySecurityDefaultsEnforcementPolicy",
                  "body": {"isEnabled": False}}])
    drifted = provider.read(created.id, outs)
    assert drifted.outs["tenant_smtp_auth"] is True
    assert drifted.outs["security_defaults"] is False
    assert drifted.outs["domain_present"] is False
    assert drifted.outs["admin_password"] == outs["admin_password"]
    diff = provider.diff(created.id, drifted.outs, news)
    assert diff.changes and diff.replaces == []

    repaired = provider.update(created.id, drifted.outs, news).outs
    assert repaired["domain_present"] is True and repaired["tenant_smtp_auth"] is False
    assert world_tenant(online, tenant_id)["security_defaults_enabled"] is True
    assert news["domain"] in world_tenant(online, tenant_id)["domains"]
    assert not provider.diff(created.id, provider.read(created.id, repaired).outs, news).changes


def test_existing_mode(online: Any) -> None:
    provider = M365TenantProvider()
    owner = provider.create(provider.check({}, inputs()).inputs).outs
    existing = provider.check({}, inputs(mode="existing", tenant_id=owner["tenant_id"], domain_prefix=None)).inputs
    outs = provider.create(existing).outs
    assert outs["tenant_id"] == owner["tenant_id"]
    assert outs["initial_domain"] == owner["initial_domain"]
    assert existing["domain"] in world_tenant(online, owner["tenant_id"])["domains"]


def test_existing_mode_without_access_lists_permissions(online: Any) -> None:
    news = M365TenantProvider().check({}, inputs(mode="existing", tenant_id=str(uuid.uuid4()))).inputs
    with pytest.raises(errors.ClientError) as caught:
        M365TenantProvider().create(news)
    assert "Domain.ReadWrite.All" in str(caught.value) and "Exchange.ManageAsApp" in str(caught.value)
    assert online.settings.client_secret not in str(caught.value)


def test_delete_removes_domain_only_when_unreferenced(online: Any) -> None:
    from providers.clients.dns import backend_for
    from providers.clients.graph import GraphClient

    provider = M365TenantProvider()
    news = provider.check({}, inputs()).inputs
    created = provider.create(news)
    outs, tenant_id, domain = created.outs, created.outs["tenant_id"], news["domain"]
    graph = GraphClient(online.settings, tenant_id)
    online.add_zone(domain)
    backend_for(online.settings, "rfc2136").set_rrset(domain, domain, "TXT", [outs["verification_txt"]])
    graph.verify_domain(domain)
    user = graph.create_user(upn=f"anna@{domain}", display_name="Anna", mail_nickname="anna", given_name="Anna",
                             surname="Keller", usage_location="US", password="Xy7!" + uuid.uuid4().hex, marker="other")

    with pytest.raises(errors.Conflict, match=f"anna@{domain}") as caught:
        provider.delete(created.id, outs)
    assert outs["admin_password"] not in str(caught.value)
    assert domain in world_tenant(online, tenant_id)["domains"]

    graph.delete_user(user.id)
    graph.purge_deleted_user(user.id)
    provider.delete(created.id, outs)
    tenant = world_tenant(online, tenant_id)  # the tenant itself stays
    assert domain not in tenant["domains"]
    provider.delete(created.id, outs)  # idempotent


def test_licence_change_and_seat_drift(online: Any) -> None:
    from providers.clients.graph import GraphClient
    from providers.clients.partner_center import PartnerCenterClient

    provider = M365TenantProvider()
    news = provider.check({}, inputs()).inputs
    created = provider.create(news)
    outs, tenant_id = created.outs, created.outs["tenant_id"]
    pc = PartnerCenterClient(online.settings)
    sub = next(s for s in pc.subscriptions(tenant_id) if s.is_for("CFQ7TTC0LH16", "0001"))
    pc.set_quantity(tenant_id, sub.id, 7)  # someone changed seats in Partner Center
    live = provider.read(created.id, outs).outs
    assert live["seats"] == 7 and provider.diff(created.id, live, news).changes
    assert provider.update(created.id, live, news).outs["seats"] == 3
    assert seats_of(world_tenant(online, tenant_id)) == 3

    basic = {**news, "licence": "business_basic"}
    assert provider.diff(created.id, outs, basic).replaces == []
    moved = provider.update(created.id, outs, basic).outs
    skus = {s.sku_part_number: s.sku_id for s in GraphClient(online.settings, tenant_id).subscribed_skus()}
    assert moved["licence_sku_id"] == skus["O365_BUSINESS_ESSENTIALS"] != outs["licence_sku_id"]


# --- sequencer admin consent ----------------------------------------------------------------------------------------


def consent_grants(sandbox: Any, tenant_id: str) -> dict[str, str]:
    """appId -> scope of every AllPrincipals grant on Exchange Online in the tenant (admin view of the world)."""
    tenant = world_tenant(sandbox, tenant_id)
    apps = {sp["id"]: sp["app_id"] for sp in tenant["service_principals"].values()}
    return {apps[g["client_id"]]: g["scope"] for g in tenant["permission_grants"].values()
            if g["consent_type"] == "AllPrincipals" and apps.get(g["resource_id"]) == EXCHANGE_ONLINE}


def test_sequencer_consent_granted_and_idempotent(online: Any) -> None:
    provider = M365TenantProvider()
    news = provider.check({}, inputs(sequencer_app_id=SEQUENCER.upper())).inputs
    assert news["sequencer_app_id"] == SEQUENCER
    created = provider.create(news)
    outs, tenant_id = created.outs, created.outs["tenant_id"]
    assert outs["sequencer_consent"] == SCOPES
    assert consent_grants(online, tenant_id) == {SEQUENCER: "IMAP.AccessAsUser.All SMTP.Send"}

    again = provider.update(created.id, outs, news).outs  # twice: one grant, same scopes
    assert again["sequencer_consent"] == SCOPES
    assert consent_grants(online, tenant_id) == {SEQUENCER: "IMAP.AccessAsUser.All SMTP.Send"}
    read = provider.read(created.id, again)
    assert read.outs["sequencer_consent"] == SCOPES and not provider.diff(created.id, read.outs, news).changes


def test_sequencer_consent_drift_is_repaired(online: Any) -> None:
    from providers.clients.graph import GraphClient

    provider = M365TenantProvider()
    news = provider.check({}, inputs(sequencer_app_id=SEQUENCER)).inputs
    created = provider.create(news)
    outs, tenant_id = created.outs, created.outs["tenant_id"]
    graph = GraphClient(online.settings, tenant_id)

    graph.revoke_admin_consent(SEQUENCER, EXCHANGE_ONLINE)  # an admin removed it in Entra
    revoked = provider.read(created.id, outs).outs
    assert revoked["sequencer_consent"] == []
    assert provider.diff(created.id, revoked, news).changes
    repaired = provider.update(created.id, revoked, news).outs
    assert repaired["sequencer_consent"] == SCOPES and consent_grants(online, tenant_id)[SEQUENCER]

    graph.grant_admin_consent(SEQUENCER, EXCHANGE_ONLINE, ["SMTP.Send"])  # narrowed out of band
    narrowed = provider.read(created.id, repaired).outs
    assert narrowed["sequencer_consent"] == ["SMTP.Send"] and provider.diff(created.id, narrowed, news).changes
    provider.update(created.id, narrowed, news)
    assert consent_grants(online, tenant_id) == {SEQUENCER: "IMAP.AccessAsUser.All SMTP.Send"}
    assert not provider.diff(created.id, provider.read(created.id, repaired).outs, news).changes


def test_sequencer_change_and_removal_revoke(online: Any) -> None:
    provider = M365TenantProvider()
    news = provider.check({}, inputs(sequencer_app_id=SEQUENCER)).inputs
    created = provider.create(news)
    outs, tenant_id = created.outs, created.outs["tenant_id"]

    other = str(uuid.uuid4())
    moved = provider.update(created.id, outs, {**news, "sequencer_app_id": other}).outs
    assert consent_grants(online, tenant_id) == {other: "IMAP.AccessAsUser.All SMTP.Send"}

    plain = {**news, "sequencer_app_id": None}
    assert provider.diff(created.id, moved, plain).changes
    removed = provider.update(created.id, moved, plain).outs
    assert removed["sequencer_consent"] == [] and consent_grants(online, tenant_id) == {}
    assert provider.read(created.id, removed).outs["sequencer_consent"] == []

    with_app = provider.update(created.id, removed, news).outs
    provider.delete(created.id, with_app)  # destroy keeps the tenant, and the consent with it
    assert consent_grants(online, tenant_id) == {SEQUENCER: "IMAP.AccessAsUser.All SMTP.Send"}


# --- access: the existing-tenant permission check (appRoleAssignments) and the GDAP relationship (partner mode) ---


@pytest.fixture()
def online_gdap(sandbox: Any) -> Iterator[Any]:
    config.use(sandbox.settings)
    yield sandbox
    sandbox._post("/settings", {"gdap_approval_delay_s": 0.0})


def partner_tenant(provider: M365TenantProvider) -> dict[str, Any]:
    outs: dict[str, Any] = provider.create(provider.check({}, inputs(seats=1)).inputs).outs
    return outs


def relationships(sandbox: Any) -> dict[str, dict[str, Any]]:
    partner = sandbox.credentials["partner_tenant_id"]
    rels: dict[str, dict[str, Any]] = sandbox.admin_state()["world"]["tenants"][partner]["gdap_relationships"]
    return rels


# --- existing tenants: application permissions --------------------------------------------------------------------


def test_app_permissions_are_read_from_app_role_assignments(online_gdap: Any) -> None:
    owner = partner_tenant(M365TenantProvider())
    held = GraphClient(online_gdap.settings, owner["tenant_id"]).app_permissions(online_gdap.settings.client_id)
    assert held is not None and set(GRAPH_PERMISSIONS) <= set(held[GRAPH_APP])
    assert GraphClient(online_gdap.settings, owner["tenant_id"]).app_permissions(str(uuid.uuid4())) is None


def test_existing_mode_lists_exactly_the_missing_permissions(online_gdap: Any) -> None:
    provider = M365TenantProvider()
    tenant_id = partner_tenant(provider)["tenant_id"]
    removed = online_gdap._post(f"/tenants/{tenant_id}/app-roles",
                           {"remove": ["Exchange.ManageAsApp", "Domain.ReadWrite.All", "MailboxSettings.ReadWrite"]})
    assert "Domain.ReadWrite.All" not in removed["app_roles"]
    news = provider.check({}, inputs(seats=1, mode="existing", tenant_id=tenant_id, domain_prefix=None)).inputs
    with pytest.raises(errors.PermissionDenied) as caught:
        provider.create(news)
    assert caught.value.args[0].startswith(f"missing application permissions in tenant {tenant_id}: "
                                           "Domain.ReadWrite.All, MailboxSettings.ReadWrite, Exchange.ManageAsApp. ")
    assert online_gdap.settings.client_secret not in str(caught.value)
    tenant = online_gdap.admin_state()["world"]["tenants"][tenant_id]
    assert news["domain"] not in tenant["domains"]  # failed before any write

    online_gdap._post(f"/tenants/{tenant_id}/app-roles",
                 {"add": ["Exchange.ManageAsApp", "Domain.ReadWrite.All", "MailboxSettings.ReadWrite"]})
    outs = provider.create(news).outs  # all present: proceeds
    assert outs["tenant_id"] == tenant_id and outs["gdap_relationship_id"] is None and outs["gdap_status"] is None
    assert news["domain"] in online_gdap.admin_state()["world"]["tenants"][tenant_id]["domains"]


def test_admin_route_rejects_unknown_permissions(online_gdap: Any) -> None:
    tenant_id = online_gdap.credentials["partner_tenant_id"]
    resp = online_gdap.admin.post(f"/tenants/{tenant_id}/app-roles", json={"remove": ["Nope.All"]})
    assert resp.status_code == 400 and "Nope.All" in resp.text


# --- partner mode: GDAP -------------------------------------------------------------------------------------------


def test_gdap_requested_once_and_approved_out_of_band(online_gdap: Any) -> None:
    online_gdap._post("/settings", {"gdap_approval_delay_s": 3600.0})  # the customer's admin has not approved yet
    provider = M365TenantProvider()
    news = provider.check({}, inputs(seats=1)).inputs
    created = provider.create(news)
    outs = created.outs
    assert outs["gdap_status"] == "approvalPending" and outs["gdap_relationship_id"]
    rel = relationships(online_gdap)[outs["gdap_relationship_id"]]
    assert rel["display_name"] == gdap_name(news["domain_prefix"]) and len(rel["display_name"]) <= 50
    assert rel["customer_tenant_id"] == outs["tenant_id"] and rel["customer_display_name"] == "Acme Outbound"
    assert rel["role_ids"] == list(GDAP_ROLES.values())
    assert (rel["duration"], rel["auto_extend_duration"]) == ("P730D", "P180D")  # ISO 8601 on the wire
    assert [r["action"] for r in rel["requests"]] == ["lockForApproval"]

    count = len(relationships(online_gdap))
    again = provider.create(news).outs  # the engine lost the first result: found by displayName, not re-requested
    assert again["gdap_relationship_id"] == outs["gdap_relationship_id"] and again["gdap_status"] == "approvalPending"
    assert len(relationships(online_gdap)) == count
    assert len(relationships(online_gdap)[outs["gdap_relationship_id"]]["requests"]) == 1

    assert provider.read(created.id, outs).outs["gdap_status"] == "approvalPending"
    online_gdap._post("/settings", {"gdap_approval_delay_s": 0.0})  # the customer's admin approves
    live = provider.read(created.id, outs).outs
    assert live["gdap_status"] == "active" and live["gdap_relationship_id"] == outs["gdap_relationship_id"]
    assert not provider.diff(created.id, live, news).changes
    updated = provider.update(created.id, live, {**news, "seats": 2}).outs
    assert updated["gdap_status"] == "active" and updated["gdap_relationship_id"] == outs["gdap_relationship_id"]
    assert len(relationships(online_gdap)) == count
