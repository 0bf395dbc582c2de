"""How coldfleet gets to act in an M365Tenant's tenant: the app's application permissions (existing tenants) and the
GDAP relationship the partner requests for every customer it creates (partner mode).

Existing tenants: before any write, the app's appRoleAssignments in the tenant are compared with what coldfleet
needs, and the missing permissions are listed by name, so the tenant's admin knows exactly what to consent to.

GDAP: the roles are the least set for what coldfleet does in a customer tenant — Exchange Administrator (mailboxes,
DKIM, SMTP AUTH), User Administrator (mailbox users, licences, passwords of non-admin users) and Domain Name
Administrator (add, verify, remove the sending domain). Privileged Authentication Administrator is left out: it is
only needed to reset credentials of *admins* (coldfleet creates and manages non-admin users only) and it can take
over every account of the tenant. Global Administrator is never requested, which also keeps auto-extension possible
(Microsoft refuses auto-extension for relationships holding it).
"""

from __future__ import annotations

import contextlib
import logging

from providers.clients import errors, http
from providers.clients.graph import EXCHANGE_ONLINE_APP_ID, GdapRelationship, GraphClient
from providers.config import Settings

log = logging.getLogger(__name__)

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
EXCHANGE_ROLE = "Exchange.ManageAsApp"
GDAP_ROLES = {
    "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Domain Name Administrator": "8329153b-31d0-4727-b945-745eb3bc5f31",
}
GDAP_DURATION = "P730D"  # the maximum (2 years)
GDAP_AUTO_EXTEND = "P180D"
GDAP_PERMISSION = "DelegatedAdminRelationship.ReadWrite.All"


def missing_permissions(graph: GraphClient, client_id: str, graph_permissions: tuple[str, ...]) -> list[str] | None:
    """The application permissions coldfleet needs that its app does not hold in the graph client's tenant, in
    `graph_permissions` order then Exchange.ManageAsApp; None when the app may not read its own assignments."""
    try:
        held = graph.app_permissions(client_id)
    except errors.PermissionDenied as error:
        log.warning("tenant %s: cannot read the application permissions of app %s (%s); they are not checked",
                    graph.tenant_id, client_id, error)
        return None
    held = held or {}  # no servicePrincipal: nothing was consented
    graph_held = set(held.get(MICROSOFT_GRAPH_APP_ID, []))
    missing = [name for name in graph_permissions if name not in graph_held]
    if EXCHANGE_ROLE not in held.get(EXCHANGE_ONLINE_APP_ID, []):
        missing.append(EXCHANGE_ROLE)
    return missing


def gdap_name(domain_prefix: str) -> str:
    """The relationship's displayName: unique per customer (the prefix is its permanent initial domain), ≤ 50."""
    return f"coldfleet-{domain_prefix}"[:50]


def ensure_gdap(settings: Settings, *, tenant_id: str, domain_prefix: str, company_name: str) -> tuple[str, str]:
    """Find or request the GDAP relationship with the customer and lock it for approval; (id, status)."""
    if not settings.partner_tenant_id:
        raise errors.BadRequest("GDAP needs the partner's tenant id (coldfleet:partnerTenantId)", api="coldfleet")
    partner = GraphClient(settings, settings.partner_tenant_id)
    name = gdap_name(domain_prefix)
    try:
        rel = partner.find_gdap_relationship(name)
        if rel is None:
            rel = _create_gdap(partner, name, tenant_id, company_name)
        if rel.customer_tenant_id and rel.customer_tenant_id.lower() != tenant_id.lower():
            raise errors.Conflict(f"GDAP relationship {name!r} belongs to tenant {rel.customer_tenant_id}, not "
                                  f"{tenant_id}; rename or terminate it in Partner Center", api="coldfleet")
        if rel.status == "created":
            with contextlib.suppress(http.WriteUnconfirmed):  # the read below tells whether the lock happened
                partner.lock_gdap_for_approval(rel.id)
            rel = partner.get_gdap_relationship(rel.id) or rel
            if rel.status == "created":
                partner.lock_gdap_for_approval(rel.id)
                rel = partner.get_gdap_relationship(rel.id) or rel
    except errors.PermissionDenied as error:
        raise errors.PermissionDenied(
            f"coldfleet's app {settings.client_id} cannot manage GDAP relationships in the partner tenant "
            f"{settings.partner_tenant_id} ({error}); it needs the Microsoft Graph application permission "
            f"{GDAP_PERMISSION}", status=403, api="coldfleet") from None
    if rel.status in ("created", "approvalPending"):
        log.info("tenant %s: GDAP relationship %s is %s: the customer's admin approves it with the invitation link "
                 "from Partner Center", tenant_id, rel.id, rel.status)
    elif rel.status != "active":
        log.warning("tenant %s: GDAP relationship %s is %s; request a new one in Partner Center", tenant_id, rel.id,
                    rel.status)
    return rel.id, rel.status


def _create_gdap(partner: GraphClient, name: str, tenant_id: str, company_name: str) -> GdapRelationship:
    """Request the relationship; after a dropped connection its name (unique per customer) tells whether it exists."""
    def create() -> GdapRelationship:
        return partner.create_gdap_relationship(display_name=name, customer_tenant_id=tenant_id,
                                                customer_name=company_name, role_ids=list(GDAP_ROLES.values()),
                                                duration=GDAP_DURATION, auto_extend=GDAP_AUTO_EXTEND)
    try:
        return create()
    except http.WriteUnconfirmed:
        return partner.find_gdap_relationship(name) or create()


def gdap_status(settings: Settings, relationship_id: str) -> str | None:
    """The relationship's live status; None when it is gone."""
    if not settings.partner_tenant_id:
        return None
    rel = GraphClient(settings, settings.partner_tenant_id).get_gdap_relationship(relationship_id)
    return rel.status if rel is not None else None
