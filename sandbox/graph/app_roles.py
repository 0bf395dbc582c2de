"""Application permissions in the Graph double: appRoles on the first-party servicePrincipals and the
appRoleAssignments of a client app's servicePrincipal (`GET /servicePrincipals/{id}/appRoleAssignments`).

Admin consent to an app's application permissions creates its servicePrincipal in the tenant plus one appRoleAssignment
per permission (principalId = the app's SP, resourceId = the API's SP, appRoleId = the role's id in the API's
`appRoles`). The sandbox models that consent as given for every app that may manage a tenant (world.app_can_manage):
the first time such an app calls Graph in a tenant, its servicePrincipal is created (if missing) with every role of
SEEDED_ROLES, once; the admin route `POST /tenants/{id}/app-roles` then takes roles away (or gives them back) so tests
see a tenant whose admin consented only partly. Access decisions stay with world.app_can_manage: a missing role is
reported here, not enforced.

Role ids are Microsoft's published, well-known ids (the same in every tenant).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sandbox.graph import errors
from sandbox.graph.calls import Answer, Call, Handler, check_options, collection, dispatcher_for, routes
from sandbox.graph.principals import (
    APP_ROLES,
    EXCHANGE_ONLINE_APP_ID,
    MICROSOFT_GRAPH_APP_ID,
    add_principal,
    assignments,
    by_app_id,
    principals,
    tenant_of,
)
from sandbox.world import AppRoleAssignment, ServicePrincipal, Tenant, World

# What the admin consented to for an app that may manage the tenant: coldfleet's app registration's permissions.
SEEDED_ROLES: dict[str, tuple[str, ...]] = {
    MICROSOFT_GRAPH_APP_ID: (
        "Organization.Read.All", "Domain.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All",
        "MailboxSettings.ReadWrite", "Policy.ReadWrite.SecurityDefaults", "Application.ReadWrite.All",
        "DelegatedPermissionGrant.ReadWrite.All"),
    EXCHANGE_ONLINE_APP_ID: ("Exchange.ManageAsApp",),
}  # fmt: skip


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def assignment_json(a: AppRoleAssignment) -> dict[str, Any]:
    return {"id": a.id, "deletedDateTime": None, "appRoleId": a.app_role_id, "createdDateTime": _iso(a.created),
            "principalDisplayName": a.principal_display_name, "principalId": a.principal_id,
            "principalType": "ServicePrincipal", "resourceDisplayName": a.resource_display_name,
            "resourceId": a.resource_id}


def set_roles(world: World, tenant: Tenant, client_id: str, *, add: Sequence[str] = (),
              remove: Sequence[str] = ()) -> list[str]:
    """Add or remove application permissions (role values, of Graph or Exchange Online) of the app's SP; the values
    it holds afterwards, sorted. Creates the SP when missing."""
    with world.lock:
        sps = principals(tenant)
        client = by_app_id(sps, client_id) or add_principal(world, sps, client_id)
        held = assignments(tenant)
        by_value: dict[str, tuple[ServicePrincipal, str]] = {}
        for app_id in APP_ROLES:
            resource = by_app_id(sps, app_id)
            if resource is not None:
                by_value.update({value: (resource, role_id) for value, role_id in resource.app_roles.items()})
        unknown = sorted((set(add) | set(remove)) - set(by_value))
        if unknown:
            raise ValueError(f"unknown application permissions: {', '.join(unknown)}")
        for value in remove:
            resource, role_id = by_value[value]
            for key in [k for k, a in held.items() if a.principal_id == client.id and a.app_role_id == role_id
                        and a.resource_id == resource.id]:
                del held[key]
        mine = {(a.resource_id, a.app_role_id) for a in held.values() if a.principal_id == client.id}
        for value in add:
            resource, role_id = by_value[value]
            if (resource.id, role_id) not in mine:
                a = AppRoleAssignment(id=str(uuid.uuid4()), principal_id=client.id, resource_id=resource.id,
                                      app_role_id=role_id, principal_display_name=client.display_name,
                                      resource_display_name=resource.display_name)
                held[a.id] = a
        names = {(resource.id, role_id): value for value, (resource, role_id) in by_value.items()}
        return sorted(names.get((a.resource_id, a.app_role_id), a.app_role_id) for a in held.values()
                      if a.principal_id == client.id)


def seed(world: World, tenant_id: str, client_id: str) -> None:
    """Once per (tenant, app): the admin consent an app that may manage the tenant is modelled as having."""
    with world.lock:
        tenant = world.tenants.get(tenant_id)
        if tenant is None:
            return
        seeded: set[str] = tenant.__dict__.setdefault("seeded_app_roles", set())
        if client_id in seeded:
            return
        seeded.add(client_id)
        set_roles(world, tenant, client_id, add=[v for values in SEEDED_ROLES.values() for v in values])


def list_assignments(world: World, call: Call, sp: str) -> Answer:
    with world.lock:
        tenant = tenant_of(world, call.tenant_id)
        if sp not in principals(tenant):
            raise errors.not_found(sp)
        items = [assignment_json(a) for a in sorted(assignments(tenant).values(), key=lambda a: a.created)
                 if a.principal_id == sp]
    check_options(call, ("$orderby", "$expand", "$search", "$filter"))
    return collection(call, items, f"servicePrincipals('{sp}')/appRoleAssignments", "appRoleAssignment")


ROUTES = routes([("GET", "/servicePrincipals/{sp}/appRoleAssignments", list_assignments)])


def dispatcher(fallback: Handler) -> Handler:
    """These routes first; before any call, the calling app's modelled consent is seeded in its tenant."""
    routed = dispatcher_for(ROUTES, fallback)

    def dispatch(backend: Any, call: Call) -> Answer:
        seed(backend.world, call.tenant_id, call.client_id)
        return routed(backend, call)

    return dispatch


__all__ = ["SEEDED_ROLES", "dispatcher", "seed", "set_roles"]
