"""One msgraph-sdk session per public GraphClient call, and the mapping of SDK errors to `providers.clients.errors`.

Wiring (notes/sdk-against-doubles.md): kiota's `AzureIdentityAuthenticationProvider` with explicit Graph scopes and
`allowed_hosts` = the endpoint's host, an `httpx.AsyncClient` trusting the configured CA, wrapped by
`GraphClientFactory.create_with_default_middleware` so the SDK's retry handler keeps retrying 429 / 503 / 504 with
`Retry-After`. `run` does one `asyncio.run`, building the HTTP client and adapter inside it: nothing async outlives a
call, so the engine's provider threads never share a loop (the credential, whose token cache is worth sharing, comes
from `transport.credential`). Errors are mapped by status and Graph error code, never by message text.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from azure.core.exceptions import AzureError, ClientAuthenticationError
from kiota_abstractions.api_error import APIError
from kiota_abstractions.serialization import Parsable
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph_core import GraphClientFactory

from providers.clients import transport
from providers.clients.errors import AuthenticationFailed, ClientError, Conflict, ServerError, Throttled, for_status
from providers.config import Settings

API = "graph"
SCOPES = ["https://graph.microsoft.com/.default"]
TIMEOUT_S = 60.0
T = TypeVar("T")


@functools.lru_cache(maxsize=8)
def _ssl_context(ca_bundle: str | None, _mtime: float) -> ssl.SSLContext:
    """System trust plus the configured CA; built once per CA file version (loading the store costs ~40 ms) and
    shared, as SSL contexts may be, by every call and thread."""
    ctx = ssl.create_default_context()
    if ca_bundle:
        ctx.load_verify_locations(cafile=ca_bundle)
    return ctx


def ssl_context(settings: Settings) -> ssl.SSLContext:
    ca = settings.ca_bundle
    return _ssl_context(ca, os.path.getmtime(ca) if ca and os.path.exists(ca) else 0.0)


def to_dict(model: Parsable | None) -> dict[str, Any]:
    """A kiota model as the JSON object Graph sent (through the SDK's own serializer), without @odata.context."""
    if model is None:
        return {}
    writer = JsonSerializationWriter()
    writer.write_object_value(None, model)
    body = dict(json.loads(writer.get_serialized_content() or b"{}"))
    body.pop("@odata.context", None)
    return body


def run(settings: Settings, tenant_id: str, what: str, work: Callable[[GraphServiceClient], Awaitable[T]],
        on_error: Callable[[ClientError], T] | None = None) -> T:
    """Run `work` against a fresh SDK client in its own event loop; `on_error` may turn a ClientError into a value."""
    try:
        return asyncio.run(_session(settings, tenant_id, what, work))
    except ClientError as error:
        if on_error is None:
            raise
        return on_error(error)


async def _session(settings: Settings, tenant_id: str, what: str,
                   work: Callable[[GraphServiceClient], Awaitable[T]]) -> T:
    base_url = settings.graph_endpoint.rstrip("/")
    host = urlsplit(base_url).hostname or ""
    cred = transport.credential(settings, tenant_id, api=API)
    auth = AzureIdentityAuthenticationProvider(cred, scopes=SCOPES, allowed_hosts=[host])
    async with httpx.AsyncClient(verify=ssl_context(settings), timeout=httpx.Timeout(TIMEOUT_S)) as http:
        adapter = GraphRequestAdapter(auth, client=GraphClientFactory.create_with_default_middleware(client=http))
        adapter.base_url = base_url  # no trailing slash
        try:
            return await work(GraphServiceClient(request_adapter=adapter))
        except ODataError as exc:
            raise odata_error(what, exc) from None
        except APIError as exc:
            raise error_for(what, exc.response_status_code or 0, None, exc.message or "no details",
                            exc.response_headers) from None
        except ClientAuthenticationError as exc:
            # azure-identity's message carries the AADSTS code and description, never the secret
            raise AuthenticationFailed(f"{what}: token request failed: {exc.message}", api=API) from None
        except (httpx.HTTPError, AzureError, ssl.SSLError, OSError) as exc:
            raise ServerError(f"{what}: {type(exc).__name__} talking to {host}", api=API) from None


def odata_error(what: str, exc: ODataError) -> ClientError:
    """Graph's error envelope; a duplicate (Request_BadRequest with an ObjectConflict detail) is a Conflict."""
    error = exc.error
    status = exc.response_status_code or 0
    code = error.code if error else None
    message = (error.message if error else None) or "no details"
    details = {d.code for d in (error.details or [])} if error else set()
    if status == 400 and "ObjectConflict" in details:
        return Conflict(f"{what}: {message}", status=status, code=code, api=API)
    return error_for(what, status, code, message, exc.response_headers)


def error_for(what: str, status: int, code: str | None, message: str, headers: Any) -> ClientError:
    if status == 429:
        raw = headers.get("retry-after") if headers is not None else None
        retry_after = float(raw) if raw and str(raw).isdigit() else None
        return Throttled(f"{what}: {message}", retry_after=retry_after, status=status, code=code, api=API)
    return for_status(status)(f"{what}: {message}", status=status, code=code, api=API)
