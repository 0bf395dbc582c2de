"""Service principals (an app's presence in a tenant), shared by admin consent and the permission reads."""

from __future__ import annotations

import logging

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.service_principals.service_principals_request_builder import ServicePrincipalsRequestBuilder
from msgraph.graph_service_client import GraphServiceClient

from providers.clients.errors import ServerError
from providers.clients.graph.raw import get_json
from providers.clients.graph.session import API

log = logging.getLogger(__name__)


def quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def is_conflict(exc: ODataError) -> bool:
    return exc.response_status_code == 409


async def find_sp(client: GraphServiceClient, app_id: str) -> str | None:
    params = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
        filter=f"appId eq {quoted(app_id)}", select=["id", "appId"])
    info = client.service_principals.to_get_request_information(RequestConfiguration(query_parameters=params))
    page = await get_json(client, info)  # JSON, not the SDK's models (graph/raw.py)
    found = [sp for sp in page.get("value") or [] if str(sp.get("appId") or "").lower() == app_id]
    return str(found[0]["id"]) if found and found[0].get("id") else None


async def ensure_sp(client: GraphServiceClient, app_id: str, tenant_id: str) -> str:
    found = await find_sp(client, app_id)
    if found:
        return found
    try:
        created = await client.service_principals.post(ServicePrincipal(app_id=app_id))
    except ODataError as exc:
        if not is_conflict(exc):
            raise
        created = None  # created meanwhile (or our 201 was lost): read it back
    else:
        log.info("ensure_service_principal: created the service principal of app %s in tenant %s", app_id, tenant_id)
    sp_id = created.id if created is not None else await find_sp(client, app_id)
    if not sp_id:
        raise ServerError(f"service principal of app {app_id}: created but not found", api=API)
    return sp_id
