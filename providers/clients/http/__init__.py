"""The one request path: every client's HTTP goes through `RetryTransport` / `AsyncRetryTransport` and one policy.

Raw httpx clients (Name.com, Partner Center, Exchange, the token endpoint) send through `shared_client` or a client
built on `sync_transport`; the Cloudflare SDK gets an `httpx.Client` on `sync_transport` with its own retries off;
msgraph-sdk gets an `httpx.AsyncClient` on `async_transport` with kiota's RetryHandler left out of the middleware.
"""

from providers.clients.http.identity import Credential, bearer_token, credential
from providers.clients.http.pools import (
    HTTP_TIMEOUT_S,
    POLICIES,
    ClosingClient,
    async_transport,
    policy_for,
    shared_client,
    ssl_context,
    sync_transport,
)
from providers.clients.http.responses import (
    ErrorParser,
    Fault,
    WriteUnconfirmed,
    body_of,
    dropped_write,
    error_from,
    json_body,
    request,
    same_origin,
)
from providers.clients.http.retry import (
    IDEMPOTENT,
    RetryPolicy,
    RetryRecord,
    async_sleep,
    is_idempotent,
    observe,
    parse_retry_after,
    path_of,
)
from providers.clients.http.transports import AsyncRetryTransport, DroppedWrite, RetryTransport

__all__ = [
    "HTTP_TIMEOUT_S", "IDEMPOTENT", "POLICIES", "AsyncRetryTransport", "ClosingClient", "Credential", "ErrorParser",
    "DroppedWrite", "Fault", "RetryPolicy", "RetryRecord", "RetryTransport", "WriteUnconfirmed", "async_sleep",
    "async_transport", "bearer_token", "body_of", "credential", "dropped_write", "error_from", "is_idempotent",
    "json_body", "observe", "parse_retry_after", "path_of", "policy_for", "request", "same_origin", "shared_client",
    "ssl_context", "sync_transport",
]
