"""TLS contexts, retry policies per API and the shared connection pools.

One `ssl.SSLContext` per CA file version (loading the system store costs ~40 ms; a context may be shared by every
client and thread); one pooled sync `httpx.Client` per API and CA setting, so calls and pages reuse connections.
Async clients are built per event loop (each Graph call runs its own), on the same policy and TLS context.
"""

from __future__ import annotations

import atexit
import functools
import os
import ssl
import threading
from typing import Self

import httpx

from providers.clients.http.retry import RetryPolicy
from providers.clients.http.transports import AsyncRetryTransport, RetryTransport
from providers.config import Settings

HTTP_TIMEOUT_S = 60.0
# Attempts per API (the first try included) after errors and dropped connections: Graph, Cloudflare, Name.com and the
# token endpoint get six, not their SDKs' three or four; Exchange and Partner Center five. 429 and 503 have their own
# budget of ten (RetryPolicy.throttled_attempts): at 10 % 429 + 3 % 503 five in a row still failed one fault-test
# `up` in about ten (CI, seed 47, Partner Center); ten in a row is about 1 in 10^9 per request.
# Waits follow Retry-After.
POLICIES: dict[str, RetryPolicy] = {
    "graph": RetryPolicy("graph", max_attempts=6),
    "cloudflare": RetryPolicy("cloudflare", max_attempts=6),
    "namecom": RetryPolicy("namecom", max_attempts=6),
    "identity": RetryPolicy("identity", max_attempts=6),
    "exchange": RetryPolicy("exchange", max_attempts=5),
    "partner_center": RetryPolicy("partner_center", max_attempts=5),
}

_lock = threading.Lock()
_clients: dict[tuple[str, str], httpx.Client] = {}


def policy_for(api: str) -> RetryPolicy:
    return POLICIES.get(api) or RetryPolicy(api)


@functools.lru_cache(maxsize=8)
def _ssl_context(ca_bundle: str | None, _mtime: float) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if ca_bundle:
        ctx.load_verify_locations(cafile=ca_bundle)
    return ctx


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """System trust plus `settings.ca_bundle`, rebuilt only when that file changes."""
    ca = settings.ca_bundle
    return _ssl_context(ca, os.path.getmtime(ca) if ca and os.path.exists(ca) else 0.0)


def sync_transport(settings: Settings, api: str) -> RetryTransport:
    return RetryTransport(httpx.HTTPTransport(verify=ssl_context(settings)), policy_for(api))


def async_transport(settings: Settings, api: str) -> AsyncRetryTransport:
    return AsyncRetryTransport(httpx.AsyncHTTPTransport(verify=ssl_context(settings)), policy_for(api))


def shared_client(settings: Settings, api: str) -> httpx.Client:
    """The process-wide pooled client of `api` (thread-safe)."""
    key = (api, settings.ca_bundle or "")
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = httpx.Client(transport=sync_transport(settings, api), timeout=HTTP_TIMEOUT_S)
            _clients[key] = client
        return client


@atexit.register
def _close_pools() -> None:
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


class ClosingClient:
    """A client that owns one `httpx.Client` (`self.http`) and closes it, also as a context manager."""

    http: httpx.Client

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
