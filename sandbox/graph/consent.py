"""Enterprise apps and delegated permission grants: `/servicePrincipals` and `/oauth2PermissionGrants`.

Tenant-wide admin consent for a multi-tenant app (a sequencer's) is a servicePrincipal for its appId in the customer
tenant plus an `AllPrincipals` oAuth2PermissionGrant from it to the resource's servicePrincipal. Every tenant gets the
Office 365 Exchange Online and Microsoft Graph servicePrincipals lazily, on its first call here.

Contract (learn.microsoft.com, verified against issue threads): POST /servicePrincipals {appId} → 201, a second one for
the same appId → 409 Request_MultipleObjectsWithSameKeyValue; POST /oauth2PermissionGrants → 201, a second grant for
the same (clientId, resourceId, consentType, principalId) → 409 Request_MultipleObjectsWithSameKeyValue "Permission
entry already exists."; PATCH (scope only) and DELETE → 204. `$filter` takes `eq` on appId / displayName
(servicePrincipals) and clientId / resourceId / consentType / principalId (grants). The app needs
Application.ReadWrite.All and DelegatedPermissionGrant.ReadWrite.All (or Directory.ReadWrite.All); every app that may
manage the tenant is modelled as holding them (the partner's GDAP roles, an existing tenant's consent to coldfleet's
Directory.ReadWrite.All). The sandbox cannot see the global app registry: any well-formed appId is accepted.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sandbox.graph import errors, query
from sandbox.graph.calls import (
    Answer,
    Call,
    Handler,
    collection_routes,
    dispatcher_for,
    entity,
    filtered,
    json_body,
    routes,
)
from sandbox.graph.principals import add_principal, grants, principals, role_json, tenant_of
from sandbox.world import PermissionGrant, ServicePrincipal, Tenant, World

T = TypeVar("T")

SP_FILTERS = {"appId": {"eq", "in"}, "displayName": {"eq", "in", "startswith"}, "id": {"eq", "in"}}
GRANT_FILTERS = {"clientId": {"eq"}, "resourceId": {"eq"}, "consentType": {"eq"}, "principalId": {"eq"}}
CONSENT_TYPES = ("AllPrincipals", "Principal")
MAX_SCOPE = 3850
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


# -- state ------------------------------------------------------------------------------------------------------------
def _grant_id(client_id: str, resource_id: str, principal_id: str | None) -> str:
    """Graph's grant ids are the unpadded base64url of the object ids involved (client, resource[, principal])."""
    raw = uuid.UUID(client_id).bytes_le + uuid.UUID(resource_id).bytes_le
    if principal_id:
        raw += uuid.UUID(principal_id).bytes_le
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# -- JSON -------------------------------------------------------------------------------------------------------------
def sp_json(sp: ServicePrincipal) -> dict[str, Any]:
    return {
        "id": sp.id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "alternativeNames": [],
        "appDescription": None,
        "appDisplayName": sp.display_name,
        "appId": sp.app_id,
        "applicationTemplateId": None,
        "appOwnerOrganizationId": sp.app_owner_organization_id,
        "appRoleAssignmentRequired": False,
        "appRoles": [role_json(value, role_id) for value, role_id in getattr(sp, "app_roles", {}).items()],
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": sp.display_name,
        "homepage": None,
        "keyCredentials": [],
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "oauth2PermissionScopes": [
            {"adminConsentDescription": f"Allows the app to use {value} as the signed-in user.",
             "adminConsentDisplayName": value, "id": scope_id, "isEnabled": True, "type": "User",
             "userConsentDescription": None, "userConsentDisplayName": None, "value": value}
            for value, scope_id in sp.scopes.items()
        ],
        "passwordCredentials": [],
        "preferredSingleSignOnMode": None,
        "replyUrls": [],
        "servicePrincipalNames": [sp.app_id],
        "servicePrincipalType": sp.service_principal_type,
        "signInAudience": "AzureADMultipleOrgs",
        "tags": [],
        "tokenEncryptionKeyId": None,
    }


def grant_json(grant: PermissionGrant) -> dict[str, Any]:
    return {"clientId": grant.client_id, "consentType": grant.consent_type, "id": grant.id,
            "principalId": grant.principal_id, "resourceId": grant.resource_id, "scope": grant.scope}


# -- servicePrincipals ------------------------------------------------------------------------------------------------
def _items(world: World, call: Call, store: Callable[[Tenant], dict[str, T]],
           to_json: Callable[[T], dict[str, Any]]) -> list[dict[str, Any]]:
    with world.lock:
        return [to_json(item) for item in store(tenant_of(world, call.tenant_id)).values()]


def _one(world: World, call: Call, store: Callable[[Tenant], dict[str, T]], key: str,
         to_json: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    with world.lock:
        found = store(tenant_of(world, call.tenant_id)).get(key)
        if found is None:
            raise errors.not_found(key)
        return to_json(found)


def list_service_principals(world: World, call: Call) -> Answer:
    return filtered(call, _items(world, call, principals, sp_json), SP_FILTERS, "ServicePrincipal")


def get_service_principal(world: World, call: Call, sp: str) -> Answer:
    item = _one(world, call, principals, sp, sp_json)
    names = query.select_names(call.query)
    return entity(call, "servicePrincipals", query.select(item, names, tuple(item), "servicePrincipal"))


def create_service_principal(world: World, call: Call) -> Answer:
    body = json_body(call, annotations=False)
    app_id = body.get("appId")
    if not app_id:
        raise errors.required("appId", "ServicePrincipal")
    if not isinstance(app_id, str) or not _GUID.match(app_id):
        raise errors.bad_request(f"The appId '{app_id}' of the service principal does not reference a valid "
                                 "application object.", target="appId")
    app_id = app_id.lower()
    with world.lock:
        tenant = tenant_of(world, call.tenant_id)
        sps = principals(tenant)
        if any(sp.app_id == app_id for sp in sps.values()):
            raise errors.GraphError(409, "Request_MultipleObjectsWithSameKeyValue",
                                    "The service principal cannot be created, updated, or restored because the "
                                    f"service principal name {app_id} is already in use.")
        sp = add_principal(world, sps, app_id, str(body.get("displayName") or "") or None)
        return entity(call, "servicePrincipals", sp_json(sp), 201)


# -- oauth2PermissionGrants -------------------------------------------------------------------------------------------
def _scope(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_SCOPE:
        raise errors.invalid_value("scope", "OAuth2PermissionGrant")
    return " ".join(value.split())


def list_grants(world: World, call: Call) -> Answer:
    return filtered(call, _items(world, call, grants, grant_json), GRANT_FILTERS, "OAuth2PermissionGrant")


def get_grant(world: World, call: Call, grant: str) -> Answer:
    return entity(call, "oauth2PermissionGrants", _one(world, call, grants, grant, grant_json))


def create_grant(world: World, call: Call) -> Answer:
    body = json_body(call, annotations=False)
    for prop in ("clientId", "consentType", "resourceId"):
        if not body.get(prop):
            raise errors.required(prop, "OAuth2PermissionGrant")
    consent_type, principal_id = body["consentType"], body.get("principalId")
    if consent_type not in CONSENT_TYPES:
        raise errors.invalid_value("consentType", "OAuth2PermissionGrant")
    if (consent_type == "Principal") != bool(principal_id):
        raise errors.invalid_value("principalId", "OAuth2PermissionGrant")
    with world.lock:
        tenant = tenant_of(world, call.tenant_id)
        sps = principals(tenant)
        for prop in ("clientId", "resourceId"):
            if str(body[prop]).lower() not in sps:
                raise errors.invalid_value(prop, "OAuth2PermissionGrant")
        if principal_id and str(principal_id).lower() not in tenant.users:
            raise errors.invalid_value("principalId", "OAuth2PermissionGrant")
        client_id, resource_id = str(body["clientId"]).lower(), str(body["resourceId"]).lower()
        grant_id = _grant_id(client_id, resource_id, principal_id)
        held = grants(tenant)
        if grant_id in held:
            raise errors.GraphError(409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.")
        grant = PermissionGrant(id=grant_id, client_id=client_id, resource_id=resource_id, consent_type=consent_type,
                                scope=_scope(body.get("scope")), principal_id=principal_id)
        held[grant.id] = grant
        return entity(call, "oauth2PermissionGrants", grant_json(grant), 201)


def update_grant(world: World, call: Call, grant: str) -> Answer:
    body = json_body(call, annotations=False)
    with world.lock:
        found = grants(tenant_of(world, call.tenant_id)).get(grant)
        if found is None:
            raise errors.not_found(grant)
        for key in body:
            if key != "scope":
                raise errors.bad_request(f"Property '{key}' is read-only and cannot be set.", target=key)
        if "scope" in body:
            found.scope = _scope(body["scope"])
    return Answer(204)


def delete_grant(world: World, call: Call, grant: str) -> Answer:
    with world.lock:
        if grants(tenant_of(world, call.tenant_id)).pop(grant, None) is None:
            raise errors.not_found(grant)
    return Answer(204)


ROUTES = routes([
    *collection_routes("/servicePrincipals", "sp", listing=list_service_principals, create=create_service_principal,
                       get=get_service_principal),
    *collection_routes("/oauth2PermissionGrants", "grant", listing=list_grants, create=create_grant, get=get_grant,
                       update=update_grant, delete=delete_grant),
])


def dispatcher(fallback: Handler) -> Handler:
    """A dispatch function serving these routes first and everything else through `fallback(backend, call)`."""
    return dispatcher_for(ROUTES, fallback)
