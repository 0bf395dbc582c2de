"""Service principals of a tenant, shared by delegated consent (consent.py) and application permissions
(app_roles.py): the first-party APIs' principals with their scopes and app roles, seeded lazily, and the tenant's
grants and role assignments. State only; the routes live in the two modules that use it."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.graph import errors
from sandbox.world import AppRoleAssignment, PermissionGrant, ServicePrincipal, Tenant, World

MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # owner of Microsoft's first-party apps
EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
_SCOPE_IDS = uuid.UUID("0d5c7a1e-6a53-4c4b-8f0e-6b1f3c2a9e77")  # stable ids for the seeded scopes
# Delegated permissions (oauth2PermissionScopes) of the first-party APIs.
FIRST_PARTY: dict[str, tuple[str, tuple[str, ...]]] = {
    EXCHANGE_ONLINE_APP_ID: ("Office 365 Exchange Online", (
        "IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send", "EWS.AccessAsUser.All",
        "Mail.Read", "Mail.Send", "full_access_as_user")),
    MICROSOFT_GRAPH_APP_ID: ("Microsoft Graph", (
        "openid", "profile", "email", "offline_access", "User.Read", "Mail.Read", "Mail.Send",
        "IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send")),
}
# Application permissions (appRoles) of the first-party APIs: value -> Microsoft's published appRole id.
APP_ROLES: dict[str, dict[str, str]] = {
    MICROSOFT_GRAPH_APP_ID: {
        "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
        "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
        "DelegatedPermissionGrant.ReadWrite.All": "8e8e4742-1d95-4f68-9d56-6ee75648c72a",
        "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
        "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
        "Domain.Read.All": "dbb9058a-0e50-45e7-ae91-66909b422a6c",
        "Domain.ReadWrite.All": "7e05723c-0bb0-42da-be95-ae9f08a6e53c",
        "MailboxSettings.ReadWrite": "6931bccd-447a-43d1-b442-00a195474933",
        "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
        "Policy.ReadWrite.SecurityDefaults": "1c6e93a6-28e2-4cbb-9f64-1a46a821124d",
        "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
        "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
    },
    EXCHANGE_ONLINE_APP_ID: {
        "Exchange.ManageAsApp": "dc50a0fb-09a3-484d-be87-e023b12c6440",
    },
}


def tenant_of(world: World, tenant_id: str) -> Tenant:
    tenant = world.tenants.get(tenant_id)
    if tenant is None:
        raise errors.GraphError(404, "Request_ResourceNotFound", f"Tenant '{tenant_id}' not found.")
    return tenant


def fill_roles(sp: ServicePrincipal) -> None:
    """Give a first-party servicePrincipal its appRoles (SPs seeded or pickled before roles existed have none)."""
    roles = APP_ROLES.get(sp.app_id)
    if roles and not getattr(sp, "app_roles", None):
        sp.app_roles = dict(roles)


def principals(tenant: Tenant) -> dict[str, ServicePrincipal]:
    """The tenant's servicePrincipals, with the first-party ones seeded (tenants pickled before this had none)."""
    sps: dict[str, ServicePrincipal] = tenant.__dict__.setdefault("service_principals", {})
    present = {sp.app_id for sp in sps.values()}
    for app_id, (name, scopes) in FIRST_PARTY.items():
        if app_id not in present:
            sp = ServicePrincipal(id=str(uuid.uuid4()), app_id=app_id, display_name=name,
                                  app_owner_organization_id=MICROSOFT_TENANT_ID,
                                  scopes={s: str(uuid.uuid5(_SCOPE_IDS, f"{app_id}/{s}")) for s in scopes})
            sps[sp.id] = sp
    for sp in sps.values():
        fill_roles(sp)
    return sps


def by_app_id(sps: dict[str, ServicePrincipal], app_id: str) -> ServicePrincipal | None:
    return next((sp for sp in sps.values() if sp.app_id == app_id), None)


def add_principal(world: World, sps: dict[str, ServicePrincipal], app_id: str,
                  display_name: str | None = None) -> ServicePrincipal:
    """A new servicePrincipal for `app_id`: named and owned like the app when the world knows it."""
    app = world.apps.get(app_id)
    name = app.display_name if app is not None else (display_name or f"app {app_id[:8]}")
    sp = ServicePrincipal(id=str(uuid.uuid4()), app_id=app_id, display_name=name,
                          app_owner_organization_id=app.home_tenant_id if app is not None else None)
    sps[sp.id] = sp
    return sp


def grants(tenant: Tenant) -> dict[str, PermissionGrant]:
    found: dict[str, PermissionGrant] = tenant.__dict__.setdefault("permission_grants", {})
    return found


def assignments(tenant: Tenant) -> dict[str, AppRoleAssignment]:
    found: dict[str, AppRoleAssignment] = tenant.__dict__.setdefault("app_role_assignments", {})
    return found


def role_json(value: str, role_id: str) -> dict[str, Any]:
    return {"allowedMemberTypes": ["Application"], "description": f"Allows the app to use {value} without a "
            "signed-in user.", "displayName": value, "id": role_id, "isEnabled": True, "origin": "Application",
            "value": value}
