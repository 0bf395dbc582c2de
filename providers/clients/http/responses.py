"""From an httpx response to a value or to the one error tree; each API brings a small parser for its error body."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from providers.clients.errors import ClientError, ServerError, from_status
from providers.clients.http.retry import IDEMPOTENT, parse_retry_after, path_of
from providers.clients.http.transports import DroppedWrite


@dataclass(frozen=True)
class Fault:
    """What an API's error body says: its own code and message, and a class when the status alone is not enough."""

    code: str | None = None
    message: str | None = None
    kind: type[ClientError] | None = None


ErrorParser = Callable[[object], Fault]


class WriteUnconfirmed(ServerError):
    """A write's connection dropped after it went out, so whether it happened is unknown; `BaseProvider` runs the
    (idempotent, read-first) lifecycle step again, which reads back by natural key or marker and continues."""

    default_hint = "a connection dropped during a write; run again (coldfleet reads back what was done)"


def dropped_write(error: BaseException | None) -> bool:
    """True when `error` or what caused it (SDKs wrap httpx's errors) is a `DroppedWrite`."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, DroppedWrite):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def error_from(response: httpx.Response, what: str, *, api: str, parse: ErrorParser) -> ClientError:
    """The ClientError for a failed response: class by status (or the parser's choice), the API's code and text."""
    fault = parse(body_of(response))
    return from_status(response.status_code, f"{what}: {fault.message or response.reason_phrase}", code=fault.code,
                       api=api, retry_after=parse_retry_after(response.headers.get("Retry-After")), kind=fault.kind)


def request(client: httpx.Client, method: str, url: str, *, api: str, what: str | None = None,
            idempotent: bool = False, headers: Mapping[str, str] | None = None, json: Any = None,
            params: Mapping[str, str] | None = None, data: Mapping[str, str] | None = None) -> httpx.Response:
    """Send through the client's retrying transport; a connection that failed for good is a ServerError."""
    extensions = {IDEMPOTENT: True} if idempotent else None
    try:
        return client.request(method, url, headers=headers, json=json, params=params, data=data,
                              extensions=extensions)
    except DroppedWrite:
        raise WriteUnconfirmed(f"{what or method + ' ' + path_of(url)}: connection dropped after sending", api=api,
                               ) from None
    except httpx.TransportError as exc:
        raise ServerError(f"{what or method + ' ' + path_of(url)}: connection failed ({type(exc).__name__})",
                          api=api) from None


def json_body(response: httpx.Response, *, api: str) -> Any:
    """The decoded JSON body of a successful response (empty body -> None)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ServerError(f"expected JSON, got {response.headers.get('content-type', '?')}",
                          status=response.status_code, api=api) from None


def same_origin(url: str, base: str) -> bool:
    """True when `url` points at the host of `base` (never send a token to a host a response named)."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
