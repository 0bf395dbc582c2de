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

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sandbox import faults
from sandbox.graph import errors, query
from sandbox.graph.handlers import WRITE_METHODS, Answer, Call, Handler
from sandbox.world import AppRoleAssignment, ServicePrincipal, Tenant, World

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
# Application permissions (appRoles) of the first-party APIs: value -> Microsoft's appRole id.
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


def assignments(tenant: Tenant) -> dict[str, AppRoleAssignment]:
    found: dict[str, AppRoleAssignment] = tenant.__dict__.setdefault("app_role_assignments", {})
    return found


def role_json(value: str, role_id: str) -> dict[str, Any]:
    return {"allowedMemberTypes": ["Application"], "description": f"Allows the app to use {value} without a "
            "signed-in user.", "displayName": value, "id": role_id, "isEnabled": True, "origin": "Application",
            "value": value}


def assignment_json(a: AppRoleAssignment) -> dict[str, Any]:
    return {"id": a.id, "deletedDateTime": None, "appRoleId": a.app_role_id, "createdDateTime": _iso(a.created),
            "principalDisplayName": a.principal_display_name, "principalId": a.principal_id,
            "principalType": "ServicePrincipal", "resourceDisplayName": a.resource_display_name,
            "resourceId": a.resource_id}


def fill_roles(sp: ServicePrincipal) -> None:
    """Give a first-party servicePrincipal its appRoles (SPs seeded or pickled before roles existed have none)."""
    roles = APP_ROLES.get(sp.app_id)
    if roles and not getattr(sp, "app_roles", None):
        sp.app_roles = dict(roles)


def _resource(sps: dict[str, ServicePrincipal], app_id: str) -> ServicePrincipal | None:
    return next((sp for sp in sps.values() if sp.app_id == app_id), None)


def set_roles(world: World, tenant: Tenant, client_id: str, *, add: Sequence[str] = (),
              remove: Sequence[str] = ()) -> list[str]:
    """Add or remove application permissions (role values, of Graph or Exchange Online) of the app's SP; the values
    it holds afterwards, sorted. Creates the SP when missing."""
    from sandbox.graph.consent import _principals

    with world.lock:
        sps = _principals(tenant)
        for sp in sps.values():
            fill_roles(sp)
        app = world.apps.get(client_id)
        client = _resource(sps, client_id)
        if client is None:
            client = ServicePrincipal(id=str(uuid.uuid4()), app_id=client_id,
                                      display_name=app.display_name if app else f"app {client_id[:8]}",
                                      app_owner_organization_id=app.home_tenant_id if app else None)
            sps[client.id] = client
        held = assignments(tenant)
        by_value: dict[str, tuple[ServicePrincipal, str]] = {}
        for app_id in APP_ROLES:
            resource = _resource(sps, app_id)
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
    from sandbox.graph.consent import _principals, _tenant

    with world.lock:
        tenant = _tenant(world, call.tenant_id)
        if sp not in _principals(tenant):
            raise errors.not_found(sp)
        items = [assignment_json(a) for a in sorted(assignments(tenant).values(), key=lambda a: a.created)
                 if a.principal_id == sp]
    for option in ("$orderby", "$expand", "$search", "$filter"):
        if option in call.query:
            raise errors.GraphError(400, "Request_UnsupportedQuery",
                                    f"The query option {option} is not supported by the sandbox on this resource.")
    names = query.select_names(call.query)
    chunk, next_link = query.page(items, call.query, f"{call.base_url}{call.path.rstrip('/')}")
    body: dict[str, Any] = {"@odata.context": f"{call.base_url}/$metadata#servicePrincipals('{sp}')/appRoleAssignments"}
    if next_link:
        body["@odata.nextLink"] = next_link
    body["value"] = [query.select(item, names, tuple(item), "appRoleAssignment") for item in chunk]
    return Answer(200, body)


_SEG = r"(?P<{}>[^/]+)"
Route = tuple[str, "re.Pattern[str]", Callable[..., Answer]]
ROUTES: list[Route] = [
    ("GET", re.compile("^/servicePrincipals/" + _SEG.format("sp") + "/appRoleAssignments/?$"), list_assignments),
]


def dispatcher_for(routes: list[Route], fallback: Handler) -> Handler:
    """A dispatch function serving `routes` first and everything else through `fallback(backend, call)`; writes are
    charged against the per app+tenant quota like every other Graph write."""

    def dispatch(backend: Any, call: Call) -> Answer:
        hits = [(method, match, handler) for method, pattern, handler in routes if (match := pattern.match(call.path))]
        if not hits:
            return fallback(backend, call)
        for method, match, handler in hits:
            if method == call.method:
                if call.method in WRITE_METHODS:
                    wait = faults.charge_write(backend.world, "graph", f"{call.client_id}/{call.tenant_id}")
                    if wait is not None:
                        raise errors.throttled(wait, call.client_id, call.tenant_id)
                return handler(backend.world, call, **match.groupdict())
        raise errors.method_not_allowed()

    return dispatch


def dispatcher(fallback: Handler) -> Handler:
    """These routes first; before any call, the calling app's modelled consent is seeded in its tenant."""
    routed = dispatcher_for(ROUTES, fallback)

    def dispatch(backend: Any, call: Call) -> Answer:
        seed(backend.world, call.tenant_id, call.client_id)
        return routed(backend, call)

    return dispatch


__all__ = ["APP_ROLES", "SEEDED_ROLES", "dispatcher", "dispatcher_for", "fill_roles", "seed", "set_roles"]
