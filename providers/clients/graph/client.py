"""GraphClient: one tenant's Microsoft Graph v1.0 through the official msgraph-sdk.

Each public method is one session (`session.run`: its own event loop, SDK client and error mapping); the groups of
methods live beside this module (domains, users, photos, consent, access) and are put together here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msgraph.graph_service_client import GraphServiceClient

from providers.clients.errors import NotFound
from providers.clients.graph.access import AccessOperations
from providers.clients.graph.batch import run_batch
from providers.clients.graph.consent import ConsentOperations
from providers.clients.graph.domains import DomainOperations
from providers.clients.graph.photos import PhotoOperations
from providers.clients.graph.raw import get_json
from providers.clients.graph.session import API
from providers.clients.graph.users import UserOperations


@dataclass(frozen=True)
class SubscribedSku:
    sku_id: str
    sku_part_number: str
    enabled: int
    consumed: int


class GraphClient(DomainOperations, UserOperations, PhotoOperations, ConsentOperations, AccessOperations):
    """One tenant's Graph. Built per provider call; holds only settings and the tenant id."""

    def organization(self) -> dict[str, Any]:
        async def work(client: GraphServiceClient) -> dict[str, Any]:
            page = await get_json(client, client.organization.to_get_request_information())
            orgs = [o for o in page.get("value") or [] if isinstance(o, dict)]
            if not orgs:
                raise NotFound("organization: the tenant returned no organization", api=API)
            return {k: v for k, v in orgs[0].items() if not k.startswith("@odata.")}

        return self._run("organization", work)

    def subscribed_skus(self) -> list[SubscribedSku]:
        async def work(client: GraphServiceClient) -> list[SubscribedSku]:
            page = await client.subscribed_skus.get()
            return [
                SubscribedSku(sku_id=str(s.sku_id).lower(), sku_part_number=s.sku_part_number or "",
                              enabled=(s.prepaid_units.enabled or 0) if s.prepaid_units else 0,
                              consumed=s.consumed_units or 0)
                for s in (page.value if page and page.value else [])
            ]

        return self._run("subscribedSkus", work)

    def batch(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST /$batch (≤ 20 items, ids unique, urls relative to the version root); items answered 429 are sent
        again after their Retry-After. Returns `{id, status, body, headers}` per item, in request order."""
        async def work(client: GraphServiceClient) -> list[dict[str, Any]]:
            return await run_batch(client, self.base_url, requests)

        return self._run(f"batch of {len(requests)}", work)
