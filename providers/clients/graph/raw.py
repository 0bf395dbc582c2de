"""GETs answered as Graph's JSON, without the msgraph-sdk's model classes: the read path of `refresh`.

Why: deserializing any Graph entity (`User`, `Domain`, `Organization`, ...) calls `Entity.get_field_deserializers`,
which imports every one of the ~1,600 entity classes the first time (about 1,200 modules, 1-2.4 s of a provider
process) and runs those 1,600 import statements again for every object it reads (5-16 ms per user). A `refresh` of a
2 x 50 fleet spent over 80 % of its read time there (py-spy of the provider process, bench/README.md). The request is
still built by the SDK's request builders (`to_get_request_information`: URL templates, `$select`, `$filter`) and sent
by its adapter (auth, middleware, our transport); only the answer is taken as bytes (kiota's `send_primitive_async`
with "bytes") and parsed as JSON. Errors keep the SDK's `ODataError` mapping (`session._session` catches it).
"""

from __future__ import annotations

import json
from typing import Any

from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_service_client import GraphServiceClient

from providers.clients.errors import ServerError
from providers.clients.graph.session import API, MAX_PAGES

ERRORS: dict[str, Any] = {"XXX": ODataError}  # kiota: any 4xx/5xx answer is parsed as Graph's error envelope


async def get_json(client: GraphServiceClient, info: RequestInformation) -> dict[str, Any]:
    """One GET's JSON object ({} for an empty answer)."""
    send: Any = client.request_adapter.send_primitive_async  # typed as returning None; "bytes" returns bytes
    raw = await send(info, "bytes", ERRORS)
    body: Any = json.loads(raw) if raw else {}
    if not isinstance(body, dict):
        raise ServerError(f"GET {info.url}: the answer is not a JSON object", api=API)
    return body


async def get_all(client: GraphServiceClient, info: RequestInformation, base_url: str, what: str
                  ) -> list[dict[str, Any]]:
    """Every `value` item of a collection, following `@odata.nextLink` on the same host only."""
    items: list[dict[str, Any]] = []
    page = await get_json(client, info)
    for _ in range(MAX_PAGES):
        items.extend(v for v in page.get("value") or [] if isinstance(v, dict))
        link = page.get("@odata.nextLink")
        if not link:
            return items
        if not str(link).startswith(base_url.rstrip("/") + "/"):
            raise ServerError(f"{what}: nextLink points at another host", api=API)
        following = RequestInformation()
        following.http_method = info.http_method
        following.url = str(link)
        following.headers.add_all(info.headers)
        page = await get_json(client, following)
    raise ServerError(f"{what}: more than {MAX_PAGES} pages", api=API)
