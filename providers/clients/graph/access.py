"""What an app may do in a tenant, and GDAP relationships from the partner's tenant (a mixin of GraphClient).

Application permissions: admin consent leaves one appRoleAssignment per permission on the app's servicePrincipal
(`GET /servicePrincipals/{id}/appRoleAssignments`: principalId = that SP, resourceId = the API's SP, appRoleId = an id
in the API's `appRoles`, whose `value` is the permission name such as Domain.ReadWrite.All). Reading them needs
Application.Read.All or Directory.Read.All (Directory.ReadWrite.All covers it).

GDAP: `POST /tenantRelationships/delegatedAdminRelationships` (in the partner's tenant) → status `created`;
`POST .../{id}/requests {"action": "lockForApproval"}` → `approvalPending` until the customer's admin approves
(→ `active`). Needs DelegatedAdminRelationship.ReadWrite.All. Trap: kiota writes `datetime.timedelta` as Python's
`str()` ("730 days, 0:00:00"), not ISO 8601, so durations go in `additional_data` as "P730D".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.delegated_admin_access_details import DelegatedAdminAccessDetails
from msgraph.generated.models.delegated_admin_relationship import DelegatedAdminRelationship
from msgraph.generated.models.delegated_admin_relationship_customer_participant import (
    DelegatedAdminRelationshipCustomerParticipant,
)
from msgraph.generated.models.delegated_admin_relationship_request import DelegatedAdminRelationshipRequest
from msgraph.generated.models.delegated_admin_relationship_request_action import (
    DelegatedAdminRelationshipRequestAction,
)
from msgraph.generated.models.unified_role import UnifiedRole
from msgraph.generated.service_principals.item.service_principal_item_request_builder import (
    ServicePrincipalItemRequestBuilder,
)
from msgraph.generated.tenant_relationships.delegated_admin_relationships.delegated_admin_relationships_request_builder import (  # noqa: E501
    DelegatedAdminRelationshipsRequestBuilder,
)
from msgraph.graph_service_client import GraphServiceClient

from providers.clients.errors import ServerError
from providers.clients.graph.principals import find_sp, quoted
from providers.clients.graph.raw import get_json
from providers.clients.graph.session import API, MAX_PAGES, GraphBase, none_if_missing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GdapRelationship:
    id: str
    display_name: str
    status: str  # created | approvalPending | active | expired | terminated | ...
    customer_tenant_id: str | None
    role_ids: tuple[str, ...]


def _relationship(model: DelegatedAdminRelationship) -> GdapRelationship:
    status = model.status.value if model.status is not None else "unknown"
    roles = model.access_details.unified_roles if model.access_details and model.access_details.unified_roles else []
    return GdapRelationship(id=model.id or "", display_name=model.display_name or "", status=str(status),
                            customer_tenant_id=model.customer.tenant_id if model.customer else None,
                            role_ids=tuple(str(r.role_definition_id).lower() for r in roles if r.role_definition_id))


def _relationship_json(body: dict[str, Any]) -> GdapRelationship:
    roles = (body.get("accessDetails") or {}).get("unifiedRoles") or []
    customer = body.get("customer") or {}
    return GdapRelationship(id=str(body.get("id") or ""), display_name=str(body.get("displayName") or ""),
                            status=str(body.get("status") or "unknown"), customer_tenant_id=customer.get("tenantId"),
                            role_ids=tuple(str(r["roleDefinitionId"]).lower() for r in roles
                                           if isinstance(r, dict) and r.get("roleDefinitionId")))


class AccessOperations(GraphBase):
    """Permission and GDAP methods of GraphClient."""

    def app_permissions(self, app_id: str) -> dict[str, list[str]] | None:
        """The application permissions the app holds in this tenant, by the API's appId (e.g. Microsoft Graph's
        00000003-…) → sorted permission names; None when the app has no servicePrincipal here (never consented)."""
        app_id = app_id.lower()

        async def work(client: GraphServiceClient) -> dict[str, list[str]] | None:
            sp_id = await find_sp(client, app_id)
            if not sp_id:
                return None
            builder = client.service_principals.by_service_principal_id(sp_id).app_role_assignments
            page = await builder.get()
            held: list[tuple[str, str]] = []
            for _ in range(MAX_PAGES):
                held += [(str(a.resource_id).lower(), str(a.app_role_id).lower())
                         for a in (page.value if page and page.value else []) if a.resource_id and a.app_role_id]
                if not page or not page.odata_next_link:
                    break
                page = await builder.with_url(page.odata_next_link).get()
            params = ServicePrincipalItemRequestBuilder.ServicePrincipalItemRequestBuilderGetQueryParameters(
                select=["id", "appId", "appRoles"])
            out: dict[str, list[str]] = {}
            for resource_id in sorted({r for r, _ in held}):
                resource = await client.service_principals.by_service_principal_id(resource_id).get(
                    RequestConfiguration(query_parameters=params))
                if resource is None:
                    continue
                names = {str(role.id).lower(): role.value or str(role.id) for role in resource.app_roles or []}
                out[(resource.app_id or resource_id).lower()] = sorted(
                    names.get(role, role) for r, role in held if r == resource_id)
            return out

        return self._run(f"application permissions of app {app_id}", work)

    # -- GDAP (call on the partner's own tenant) -----------------------------------------------------------------
    def find_gdap_relationship(self, display_name: str) -> GdapRelationship | None:
        params = DelegatedAdminRelationshipsRequestBuilder.DelegatedAdminRelationshipsRequestBuilderGetQueryParameters(
            filter=f"displayName eq {quoted(display_name)}")

        async def work(client: GraphServiceClient) -> GdapRelationship | None:
            page = await client.tenant_relationships.delegated_admin_relationships.get(
                RequestConfiguration(query_parameters=params))
            found = [r for r in (page.value if page and page.value else []) if r.display_name == display_name]
            return _relationship(found[0]) if found else None

        return self._run(f"GDAP relationship {display_name!r}", work)

    def get_gdap_relationship(self, relationship_id: str) -> GdapRelationship | None:
        async def work(client: GraphServiceClient) -> GdapRelationship | None:
            builder = client.tenant_relationships.delegated_admin_relationships.by_delegated_admin_relationship_id(
                relationship_id)
            found = await get_json(client, builder.to_get_request_information())
            return _relationship_json(found) if found else None

        return self._run(f"GDAP relationship {relationship_id}", work, none_if_missing)

    def create_gdap_relationship(self, *, display_name: str, customer_tenant_id: str, customer_name: str,
                                 role_ids: list[str], duration: str = "P730D",
                                 auto_extend: str = "P180D") -> GdapRelationship:
        body = DelegatedAdminRelationship(
            display_name=display_name,
            customer=DelegatedAdminRelationshipCustomerParticipant(tenant_id=customer_tenant_id,
                                                                   display_name=customer_name),
            access_details=DelegatedAdminAccessDetails(
                unified_roles=[UnifiedRole(role_definition_id=role) for role in role_ids]),
            additional_data={"duration": duration, "autoExtendDuration": auto_extend},
        )

        async def work(client: GraphServiceClient) -> GdapRelationship:
            created = await client.tenant_relationships.delegated_admin_relationships.post(body)
            if created is None or not created.id:
                raise ServerError(f"GDAP relationship {display_name!r}: empty answer", api=API)
            return _relationship(created)

        rel = self._run(f"create GDAP relationship {display_name!r}", work)
        log.info("create_gdap_relationship: %s (%s) for customer %s", display_name, rel.id, customer_tenant_id)
        return rel

    def lock_gdap_for_approval(self, relationship_id: str) -> None:
        body = DelegatedAdminRelationshipRequest(action=DelegatedAdminRelationshipRequestAction.LockForApproval)

        async def work(client: GraphServiceClient) -> None:
            await client.tenant_relationships.delegated_admin_relationships.by_delegated_admin_relationship_id(
                relationship_id).requests.post(body)

        self._run(f"lock GDAP relationship {relationship_id} for approval",
                          work)
        log.info("lock_gdap_for_approval: %s", relationship_id)


__all__ = ["AccessOperations", "GdapRelationship"]
