"""The one request path the httpx-based clients share: tokens, bounded retries, connection-error wrapping.

Retries cover what the services themselves tell us to retry — 429 / 503 / 504 (honouring `Retry-After`) — and
dropped connections. They are bounded (5 attempts) so a broken service surfaces as `Throttled` / `ServerError`
instead of hanging a Pulumi update. Every request in coldfleet is safe to repeat: Partner Center writes carry
`MS-RequestId` idempotency keys, and the Exchange cmdlets we call converge (Set-*) or are checked for existence
by the caller (New-*).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

from providers.clients.errors import AuthenticationFailed, ServerError, Throttled
from providers.config import Settings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 503, 504})
MAX_ATTEMPTS = 5
MAX_BACKOFF_S = 30.0  # cap on one wait, whatever Retry-After says
HTTP_TIMEOUT_S = 60.0
PUBLIC_AUTHORITY_HOST = "login.microsoftonline.com"

_sleep = time.sleep  # tests replace it to count waits without waiting
_lock = threading.Lock()
_http_clients: dict[str, httpx.Client] = {}
_credentials: dict[tuple[str, ...], ClientSecretCredential] = {}


def verify_option(settings: Settings) -> str | bool:
    """What httpx's `verify=` gets: the sandbox CA bundle when configured, else the system store."""
    return settings.ca_bundle or True


def http_client(settings: Settings) -> httpx.Client:
    """A process-wide connection pool per CA setting (thread-safe), so calls and pages reuse TLS connections."""
    key = settings.ca_bundle or ""
    with _lock:
        client = _http_clients.get(key)
        if client is None:
            client = httpx.Client(verify=verify_option(settings), timeout=HTTP_TIMEOUT_S)
            _http_clients[key] = client
        return client


@atexit.register
def _close_pools() -> None:
    with _lock:
        for client in _http_clients.values():
            client.close()
        _http_clients.clear()


def credential(settings: Settings, tenant_id: str, *, api: str) -> ClientSecretCredential:
    """A client-secret credential for `tenant_id`, shared per process so its token cache is reused across calls."""
    if not settings.client_id or not settings.client_secret:
        raise AuthenticationFailed("client_id / client_secret are not configured", api=api)
    key = (settings.login_endpoint, tenant_id, settings.client_id, settings.client_secret, settings.ca_bundle or "")
    with _lock:
        cred = _credentials.get(key)
        if cred is None:
            kwargs: dict[str, Any] = {"authority": settings.login_endpoint}
            if urlsplit(settings.login_endpoint).hostname != PUBLIC_AUTHORITY_HOST:
                kwargs["disable_instance_discovery"] = True
            if settings.ca_bundle:
                kwargs["connection_verify"] = settings.ca_bundle
            cred = ClientSecretCredential(tenant_id, settings.client_id, settings.client_secret, **kwargs)
            _credentials[key] = cred
        return cred


def bearer_token(settings: Settings, tenant_id: str, scope: str, *, api: str) -> str:
    """An access token for `scope` (e.g. `https://outlook.office365.com/.default`) in `tenant_id`."""
    cred = credential(settings, tenant_id, api=api)
    try:
        return cred.get_token(scope).token
    except ClientAuthenticationError as exc:
        # azure-identity's message carries the AADSTS code and description, never the secret.
        raise AuthenticationFailed(f"token request for {scope} failed: {exc.message}", api=api) from None
    except Exception as exc:  # connection errors, bad CA, ... surface from azure-core under several types
        raise ServerError(f"token request for {scope} failed: {type(exc).__name__}", api=api) from None


def retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _backoff(attempt: int) -> float:
    return float(min(MAX_BACKOFF_S, 0.5 * 2 ** (attempt - 1)))


def same_origin(url: str, base: str) -> bool:
    """True when `url` points at the host of `base` (never send a token to a host a response named)."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    api: str,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    params: Mapping[str, str] | None = None,
) -> httpx.Response:
    """Send with bounded retries and return the last response, whatever its status.

    A final 429/503/504 is returned (not raised) so the caller's error mapping sees the service's own body;
    only connections that never produced a response raise here (`ServerError`).
    """
    last_exc: Exception | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = client.request(method, url, headers=headers, json=json, params=params)
        except (httpx.TransportError, httpx.DecodingError) as exc:
            last_exc = exc
            if attempt == MAX_ATTEMPTS:
                break
            wait = _backoff(attempt)
            log.warning("send: %s %s: %s, retry %d/%d in %.1fs", method, _path(url), type(exc).__name__,
                        attempt, MAX_ATTEMPTS - 1, wait)
            _sleep(wait)
            continue
        if response.status_code not in RETRY_STATUSES or attempt == MAX_ATTEMPTS:
            return response
        told = retry_after(response)
        wait = _backoff(attempt) if told is None else min(told, MAX_BACKOFF_S)
        log.warning("send: %s %s: HTTP %d, retry %d/%d in %.1fs", method, _path(url), response.status_code,
                    attempt, MAX_ATTEMPTS - 1, wait)
        _sleep(wait)
    raise ServerError(f"{method} {_path(url)}: connection failed after {MAX_ATTEMPTS} attempts "
                      f"({type(last_exc).__name__})", api=api) from None


def _path(url: str) -> str:
    """The URL without query string, for logs and messages (query strings may carry continuation tokens)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def throttled(message: str, response: httpx.Response, *, code: str | None, api: str) -> Throttled:
    return Throttled(message, retry_after=retry_after(response), status=429, code=code, api=api)


def json_body(response: httpx.Response, *, api: str) -> Any:
    """The decoded JSON body of a successful response (empty body -> None)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ServerError(f"expected JSON, got {response.headers.get('content-type', '?')}",
                         status=response.status_code, api=api) from None
