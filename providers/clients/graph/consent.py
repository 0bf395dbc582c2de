"""Tenant-wide admin consent for a multi-tenant app through Graph (a mixin of GraphClient).

Granting delegated permissions for every user of a tenant is two objects: a servicePrincipal for the client app's
appId in the tenant (`POST /servicePrincipals {appId}`), and one `AllPrincipals` oAuth2PermissionGrant from it to the
resource's servicePrincipal, holding the scopes as one space-separated string (`POST /oauth2PermissionGrants`, scope
changes by `PATCH`). Graph keeps one such grant per (client, resource): a second POST answers 409
Request_MultipleObjectsWithSameKeyValue, as does a second servicePrincipal for the same appId; both are read back.
Needs Application.ReadWrite.All and DelegatedPermissionGrant.ReadWrite.All (or Directory.ReadWrite.All).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.o_auth2_permission_grant import OAuth2PermissionGrant
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.oauth2_permission_grants.oauth2_permission_grants_request_builder import (
    Oauth2PermissionGrantsRequestBuilder,
)
from msgraph.graph_service_client import GraphServiceClient

from providers.clients.errors import BadRequest, ServerError
from providers.clients.graph.principals import ensure_sp, find_sp, is_conflict, quoted
from providers.clients.graph.raw import get_all
from providers.clients.graph.session import API, GraphBase

log = logging.getLogger(__name__)

EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"  # Office 365 Exchange Online
ALL_PRINCIPALS = "AllPrincipals"


def _scopes(raw: str | None) -> list[str]:
    return list(dict.fromkeys((raw or "").split()))


@dataclass(frozen=True)
class _Grant:
    id: str
    scope: str | None


async def _find_grant(client: GraphServiceClient, client_sp: str, resource_sp: str) -> _Grant | None:
    """The AllPrincipals grant of client_sp on resource_sp (Graph filters grants by clientId only, `eq`); read as
    JSON, not through the SDK's models (graph/raw.py)."""
    params = Oauth2PermissionGrantsRequestBuilder.Oauth2PermissionGrantsRequestBuilderGetQueryParameters(
        filter=f"clientId eq {quoted(client_sp)}")
    info = client.oauth2_permission_grants.to_get_request_information(RequestConfiguration(query_parameters=params))
    base_url = client.request_adapter.base_url
    for grant in await get_all(client, info, base_url, "admin consent grants"):
        if grant.get("resourceId") == resource_sp and grant.get("consentType") == ALL_PRINCIPALS:
            return _Grant(id=str(grant.get("id") or ""), scope=grant.get("scope"))
    return None


class ConsentOperations(GraphBase):
    """Admin consent methods of GraphClient."""

    def ensure_service_principal(self, app_id: str) -> str:
        """The object id of the app's servicePrincipal in this tenant, created when missing."""
        app_id = app_id.lower()

        async def work(client: GraphServiceClient) -> str:
            return await ensure_sp(client, app_id, self.tenant_id)

        return self._run(f"service principal of app {app_id}", work)

    def grant_admin_consent(self, client_app_id: str, resource_app_id: str, scopes: list[str]) -> None:
        """Grant `scopes` of the resource to the client app for every user of the tenant (idempotent); an existing
        grant is set to exactly these scopes."""
        client_app_id, resource_app_id = client_app_id.lower(), resource_app_id.lower()
        wanted = _scopes(" ".join(scopes))
        if not wanted:
            raise BadRequest("grant_admin_consent: no scopes; use revoke_admin_consent", api=API)

        async def work(client: GraphServiceClient) -> str:
            client_sp = await ensure_sp(client, client_app_id, self.tenant_id)
            resource_sp = await ensure_sp(client, resource_app_id, self.tenant_id)
            grant = await _find_grant(client, client_sp, resource_sp)
            if grant is None:
                body = OAuth2PermissionGrant(client_id=client_sp, consent_type=ALL_PRINCIPALS,
                                             resource_id=resource_sp, scope=" ".join(wanted))
                try:
                    await client.oauth2_permission_grants.post(body)
                    return "created"
                except ODataError as exc:
                    if not is_conflict(exc):
                        raise
                grant = await _find_grant(client, client_sp, resource_sp)  # created concurrently
                if grant is None:
                    raise ServerError("permission grant: conflict on create, but not found", api=API) from None
            if set(_scopes(grant.scope)) == set(wanted):
                return "unchanged"
            await client.oauth2_permission_grants.by_o_auth2_permission_grant_id(grant.id or "").patch(
                OAuth2PermissionGrant(scope=" ".join(wanted)))
            return f"updated from {grant.scope!r}"

        what = f"admin consent for app {client_app_id} on {resource_app_id}"
        outcome = self._run(what, work)
        if outcome != "unchanged":
            log.info("grant_admin_consent: %s in tenant %s: %s (%s)", what, self.tenant_id, outcome, " ".join(wanted))

    def consent_scopes(self, client_app_id: str, resource_app_id: str) -> list[str]:
        """The scopes granted tenant-wide to the client app on the resource, sorted; [] without a grant."""
        client_app_id, resource_app_id = client_app_id.lower(), resource_app_id.lower()

        async def work(client: GraphServiceClient) -> list[str]:
            client_sp = await find_sp(client, client_app_id)
            resource_sp = await find_sp(client, resource_app_id) if client_sp else None
            grant = await _find_grant(client, client_sp, resource_sp) if client_sp and resource_sp else None
            return sorted(_scopes(grant.scope)) if grant is not None else []

        return self._run(f"admin consent for app {client_app_id}", work)

    def revoke_admin_consent(self, client_app_id: str, resource_app_id: str) -> None:
        """Delete the tenant-wide grant (idempotent). The servicePrincipal stays: it may hold other grants and
        users' own consents, and costs nothing."""
        client_app_id, resource_app_id = client_app_id.lower(), resource_app_id.lower()

        async def work(client: GraphServiceClient) -> bool:
            client_sp = await find_sp(client, client_app_id)
            resource_sp = await find_sp(client, resource_app_id) if client_sp else None
            grant = await _find_grant(client, client_sp, resource_sp) if client_sp and resource_sp else None
            if grant is None:
                return False
            try:
                await client.oauth2_permission_grants.by_o_auth2_permission_grant_id(grant.id or "").delete()
            except ODataError as exc:
                if exc.response_status_code != 404:
                    raise
                return False
            return True

        what = f"revoke admin consent for app {client_app_id} on {resource_app_id}"
        if self._run(what, work):
            log.info("revoke_admin_consent: %s in tenant %s", what, self.tenant_id)


__all__ = ["ALL_PRINCIPALS", "EXCHANGE_ONLINE_APP_ID", "ConsentOperations"]
