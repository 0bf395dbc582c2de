"""Bulk reads of a tenant's users for refresh: one paged list, and mailbox settings twenty at a time.

`GET /users?$select=<what Mailbox.read needs>&$top=999` follows `@odata.nextLink` (999 is Graph's largest page for
users), so a tenant of up to 999 users is one request, read as JSON without the SDK's models (graph/raw.py).
`mailboxSettings` cannot be `$select`ed on the list (Graph serves it only on the single-user GET), so those come
through `$batch`, 20 GETs per request, the most Graph allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph.graph_service_client import GraphServiceClient

from providers.clients.graph.batch import MAX_ITEMS
from providers.clients.graph.client import GraphClient
from providers.clients.graph.raw import get_all
from providers.clients.graph.users import USER_SELECT, GraphUser, user_from_json

PAGE_SIZE = 999
NOT_PROVISIONED = "MailboxNotEnabledForRESTAPI"


class Unknown:
    """A mailbox-settings answer the batch could not give (any error but "not provisioned"): read it one by one."""


UNKNOWN = Unknown()


def list_users(graph: GraphClient) -> list[GraphUser]:
    """Every user of the tenant with the properties `get_user` selects, all pages."""
    params = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(select=USER_SELECT, top=PAGE_SIZE)

    async def work(client: GraphServiceClient) -> list[GraphUser]:
        info = client.users.to_get_request_information(RequestConfiguration(query_parameters=params))
        return [user_from_json(u) for u in await get_all(client, info, graph.base_url, "list users")]

    return graph._run("list users", work)


def mailbox_settings(graph: GraphClient, user_ids: Iterable[str]) -> dict[str, dict[str, Any] | None | Unknown]:
    """Mailbox settings per user id: the settings, None while the mailbox is not provisioned, UNKNOWN otherwise."""
    ids = list(dict.fromkeys(user_ids))
    out: dict[str, dict[str, Any] | None | Unknown] = {}
    for start in range(0, len(ids), MAX_ITEMS):
        chunk = ids[start:start + MAX_ITEMS]
        answers = graph.batch([{"id": str(i), "method": "GET", "url": f"/users/{uid}/mailboxSettings"}
                               for i, uid in enumerate(chunk)])
        for uid, answer in zip(chunk, answers, strict=True):
            out[uid] = _settings(answer)
    return out


def _settings(answer: dict[str, Any]) -> dict[str, Any] | None | Unknown:
    status, body = int(answer.get("status") or 0), answer.get("body")
    if status == 200 and isinstance(body, dict):
        return {k: v for k, v in body.items() if not k.startswith("@odata.")}
    error = body.get("error") if isinstance(body, dict) else None
    if status == 404 and isinstance(error, dict) and error.get("code") == NOT_PROVISIONED:
        return None
    return UNKNOWN
