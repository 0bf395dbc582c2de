"""One msgraph-sdk session per public GraphClient call, and the mapping of SDK errors to `providers.clients.errors`.

Wiring (notes/sdk-against-doubles.md): a kiota bearer-token provider fed by the shared token cache (scope: Graph,
hosts: the endpoint's), an `httpx.AsyncClient` on the shared async transport (retries, Retry-After, TLS), and
kiota's default middleware without its RetryHandler, so a request is retried once, by our policy. `run` does one
`asyncio.run`, building the HTTP client and adapter inside it: nothing async outlives a call, so the engine's
provider threads never share a loop. Errors are mapped by status and Graph error code, never by message text.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.serialization import Parsable
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import BaseMiddleware, RetryHandler
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory
from msgraph_core.middleware import GraphTelemetryHandler

from providers.clients import http
from providers.clients.errors import ClientError, Conflict, NotFound, ServerError, from_status
from providers.config import Settings

API = "graph"
SCOPE = "https://graph.microsoft.com/.default"
TIMEOUT_S = 60.0
MAX_PAGES = 1000  # a guard against a service that keeps handing out nextLinks
T = TypeVar("T")


class _Tokens(AccessTokenProvider):
    """App-only Graph tokens from the shared cache, for the configured Graph host only (never a host a response
    named)."""

    def __init__(self, credential: http.Credential, host: str) -> None:
        self.credential = credential
        self.validator = AllowedHostsValidator([host])

    async def get_authorization_token(self, uri: str, additional_authentication_context: dict[str, Any] = {}  # noqa: B006
                                      ) -> str:
        if urlsplit(uri).scheme != "https" or not self.validator.is_url_host_valid(uri):
            return ""
        return await asyncio.to_thread(self.credential.token, SCOPE, api=API)

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self.validator


def middleware() -> list[BaseMiddleware]:
    """kiota's default pipeline (redirects, headers, telemetry) minus its RetryHandler: retries are the transport's."""
    chain = [m for m in KiotaClientFactory.get_default_middleware(None) if not isinstance(m, RetryHandler)]
    return [*chain, GraphTelemetryHandler()]


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
    auth = BaseBearerTokenAuthenticationProvider(_Tokens(http.credential(settings, tenant_id, api=API), host))
    async with httpx.AsyncClient(transport=http.async_transport(settings, API),
                                 timeout=httpx.Timeout(TIMEOUT_S)) as client:
        adapter = GraphRequestAdapter(auth, client=GraphClientFactory.create_with_custom_middleware(
            middleware(), client=client))
        adapter.base_url = base_url  # no trailing slash
        try:
            return await work(GraphServiceClient(request_adapter=adapter))
        except ODataError as exc:
            raise odata_error(what, exc) from None
        except APIError as exc:
            raise error_for(what, exc.response_status_code or 0, None, exc.message or "no details",
                            exc.response_headers) from None
        except http.DroppedWrite:
            raise http.WriteUnconfirmed(f"{what}: connection to {host} dropped after sending", api=API) from None
        except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
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


def error_for(what: str, status: int, code: str | None, message: str, headers: Mapping[str, str] | None) -> ClientError:
    raw = headers.get("retry-after") if headers is not None else None
    return from_status(status, f"{what}: {message}", code=code, api=API,
                       retry_after=http.parse_retry_after(raw) if raw is not None else None)


def none_if_missing(error: ClientError) -> None:
    """An `on_error` for reads: 404 is None."""
    if isinstance(error, NotFound):
        return None
    raise error


class GraphBase:
    """What every group of Graph methods needs: the settings, the tenant, one session per call."""

    def __init__(self, settings: Settings, tenant_id: str) -> None:
        self.settings = settings
        self.tenant_id = tenant_id
        self.base_url = settings.graph_endpoint.rstrip("/")

    def _run(self, what: str, work: Callable[[GraphServiceClient], Awaitable[T]],
             on_error: Callable[[ClientError], T] | None = None) -> T:
        return run(self.settings, self.tenant_id, what, work, on_error)
