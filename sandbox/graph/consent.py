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
from typing import Any

from sandbox.graph import errors, query
from sandbox.graph.app_roles import dispatcher_for, fill_roles, role_json
from sandbox.graph.handlers import Answer, Call, Handler
from sandbox.world import PermissionGrant, ServicePrincipal, Tenant, World

MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # owner of Microsoft's first-party apps
EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
_SCOPE_IDS = uuid.UUID("0d5c7a1e-6a53-4c4b-8f0e-6b1f3c2a9e77")  # stable ids for the seeded scopes
FIRST_PARTY: dict[str, tuple[str, tuple[str, ...]]] = {
    EXCHANGE_ONLINE_APP_ID: ("Office 365 Exchange Online", (
        "IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send", "EWS.AccessAsUser.All",
        "Mail.Read", "Mail.Send", "full_access_as_user")),
    MICROSOFT_GRAPH_APP_ID: ("Microsoft Graph", (
        "openid", "profile", "email", "offline_access", "User.Read", "Mail.Read", "Mail.Send",
        "IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send")),
}
SP_FILTERS = {"appId": {"eq", "in"}, "displayName": {"eq", "in", "startswith"}, "id": {"eq", "in"}}
GRANT_FILTERS = {"clientId": {"eq"}, "resourceId": {"eq"}, "consentType": {"eq"}, "principalId": {"eq"}}
CONSENT_TYPES = ("AllPrincipals", "Principal")
MAX_SCOPE = 3850
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


# -- state ------------------------------------------------------------------------------------------------------------
def _principals(tenant: Tenant) -> dict[str, ServicePrincipal]:
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


def _grants(tenant: Tenant) -> dict[str, PermissionGrant]:
    grants: dict[str, PermissionGrant] = tenant.__dict__.setdefault("permission_grants", {})
    return grants


def _tenant(world: World, tenant_id: str) -> Tenant:
    tenant = world.tenants.get(tenant_id)
    if tenant is None:
        raise errors.GraphError(404, "Request_ResourceNotFound", f"Tenant '{tenant_id}' not found.")
    return tenant


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


def _filtered(call: Call, items: list[dict[str, Any]], allowed: dict[str, set[str]], resource: str) -> Answer:
    for option in ("$orderby", "$expand", "$search"):
        if option in call.query:
            raise errors.GraphError(400, "Request_UnsupportedQuery",
                                    f"The query option {option} is not supported by the sandbox on this resource.")
    if "$filter" in call.query:
        predicate = _Filter(call.query["$filter"], allowed, resource).parse()
        items = [item for item in items if predicate(item)]
    names = query.select_names(call.query)
    chunk, next_link = query.page(items, call.query, f"{call.base_url}{call.path.rstrip('/')}")
    fragment = call.path.strip("/") + (f"({','.join(names)})" if names else "")
    body: dict[str, Any] = {"@odata.context": f"{call.base_url}/$metadata#{fragment}"}
    if next_link:
        body["@odata.nextLink"] = next_link
    body["value"] = [query.select(item, names, tuple(item), resource[0].lower() + resource[1:]) for item in chunk]
    return Answer(200, body)


class _Filter(query._Parser):
    """The users filter grammar with this resource's filterable properties."""

    def __init__(self, text: str, allowed: dict[str, set[str]], resource: str) -> None:
        super().__init__(text, advanced=False)
        self.allowed, self.resource = allowed, resource

    def check(self, prop: str, op: str) -> None:
        if op not in self.allowed.get(prop, set()):
            raise errors.unsupported_query(prop, self.resource)


def _entity(call: Call, fragment: str, body: dict[str, Any], status: int = 200) -> Answer:
    return Answer(status, {"@odata.context": f"{call.base_url}/$metadata#{fragment}/$entity", **body})


def _body(call: Call) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise errors.odata_bad_request("Unable to read JSON request payload. Please ensure Content-Type header is "
                                       "set and payload is of valid JSON format.")
    return {k: v for k, v in call.body.items() if "@" not in k}


# -- servicePrincipals ------------------------------------------------------------------------------------------------
def list_service_principals(world: World, call: Call) -> Answer:
    with world.lock:
        items = [sp_json(sp) for sp in _principals(_tenant(world, call.tenant_id)).values()]
    return _filtered(call, items, SP_FILTERS, "ServicePrincipal")


def get_service_principal(world: World, call: Call, sp: str) -> Answer:
    with world.lock:
        found = _principals(_tenant(world, call.tenant_id)).get(sp)
        if found is None:
            raise errors.not_found(sp)
        item = sp_json(found)
    names = query.select_names(call.query)
    return _entity(call, "servicePrincipals", query.select(item, names, tuple(item), "servicePrincipal"))


def create_service_principal(world: World, call: Call) -> Answer:
    body = _body(call)
    app_id = body.get("appId")
    if not app_id:
        raise errors.required("appId", "ServicePrincipal")
    if not isinstance(app_id, str) or not _GUID.match(app_id):
        raise errors.bad_request(f"The appId '{app_id}' of the service principal does not reference a valid "
                                 "application object.", target="appId")
    app_id = app_id.lower()
    with world.lock:
        tenant = _tenant(world, call.tenant_id)
        sps = _principals(tenant)
        if any(sp.app_id == app_id for sp in sps.values()):
            raise errors.GraphError(409, "Request_MultipleObjectsWithSameKeyValue",
                                    "The service principal cannot be created, updated, or restored because the "
                                    f"service principal name {app_id} is already in use.")
        app = world.apps.get(app_id)
        name = app.display_name if app is not None else str(body.get("displayName") or f"app {app_id[:8]}")
        sp = ServicePrincipal(id=str(uuid.uuid4()), app_id=app_id, display_name=name,
                              app_owner_organization_id=app.home_tenant_id if app is not None else None)
        sps[sp.id] = sp
        return _entity(call, "servicePrincipals", sp_json(sp), 201)


# -- oauth2PermissionGrants -------------------------------------------------------------------------------------------
def _scope(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_SCOPE:
        raise errors.invalid_value("scope", "OAuth2PermissionGrant")
    return " ".join(value.split())


def list_grants(world: World, call: Call) -> Answer:
    with world.lock:
        items = [grant_json(g) for g in _grants(_tenant(world, call.tenant_id)).values()]
    return _filtered(call, items, GRANT_FILTERS, "OAuth2PermissionGrant")


def get_grant(world: World, call: Call, grant: str) -> Answer:
    with world.lock:
        found = _grants(_tenant(world, call.tenant_id)).get(grant)
        if found is None:
            raise errors.not_found(grant)
        return _entity(call, "oauth2PermissionGrants", grant_json(found))


def create_grant(world: World, call: Call) -> Answer:
    body = _body(call)
    for prop in ("clientId", "consentType", "resourceId"):
        if not body.get(prop):
            raise errors.required(prop, "OAuth2PermissionGrant")
    consent_type, principal_id = body["consentType"], body.get("principalId")
    if consent_type not in CONSENT_TYPES:
        raise errors.invalid_value("consentType", "OAuth2PermissionGrant")
    if (consent_type == "Principal") != bool(principal_id):
        raise errors.invalid_value("principalId", "OAuth2PermissionGrant")
    with world.lock:
        tenant = _tenant(world, call.tenant_id)
        sps = _principals(tenant)
        for prop in ("clientId", "resourceId"):
            if str(body[prop]).lower() not in sps:
                raise errors.invalid_value(prop, "OAuth2PermissionGrant")
        if principal_id and str(principal_id).lower() not in tenant.users:
            raise errors.invalid_value("principalId", "OAuth2PermissionGrant")
        client_id, resource_id = str(body["clientId"]).lower(), str(body["resourceId"]).lower()
        grant_id = _grant_id(client_id, resource_id, principal_id)
        grants = _grants(tenant)
        if grant_id in grants:
            raise errors.GraphError(409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.")
        grant = PermissionGrant(id=grant_id, client_id=client_id, resource_id=resource_id, consent_type=consent_type,
                                scope=_scope(body.get("scope")), principal_id=principal_id)
        grants[grant.id] = grant
        return _entity(call, "oauth2PermissionGrants", grant_json(grant), 201)


def update_grant(world: World, call: Call, grant: str) -> Answer:
    body = _body(call)
    with world.lock:
        found = _grants(_tenant(world, call.tenant_id)).get(grant)
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
        grants = _grants(_tenant(world, call.tenant_id))
        if grants.pop(grant, None) is None:
            raise errors.not_found(grant)
    return Answer(204)


_SEG = r"(?P<{}>[^/]+)"
_TABLE: list[tuple[str, str, Callable[..., Answer]]] = [
    ("GET", "/servicePrincipals", list_service_principals),
    ("POST", "/servicePrincipals", create_service_principal),
    ("GET", "/servicePrincipals/{sp}", get_service_principal),
    ("GET", "/oauth2PermissionGrants", list_grants),
    ("POST", "/oauth2PermissionGrants", create_grant),
    ("GET", "/oauth2PermissionGrants/{grant}", get_grant),
    ("PATCH", "/oauth2PermissionGrants/{grant}", update_grant),
    ("DELETE", "/oauth2PermissionGrants/{grant}", delete_grant),
]
ROUTES = [(method, re.compile("^" + path.format(sp=_SEG.format("sp"), grant=_SEG.format("grant")) + "/?$"), handler)
          for method, path, handler in _TABLE]


def dispatcher(fallback: Handler) -> Handler:
    """A dispatch function serving these routes first and everything else through `fallback(backend, call)`."""
    return dispatcher_for(ROUTES, fallback)
