"""The small exception tree every client raises, keyed on what the caller must do (cf. cloudflare-python)."""

from __future__ import annotations


class ClientError(Exception):
    """An external API refused or failed. `code` is the API's own error code; messages never carry secrets."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None, api: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.api = api

    def __str__(self) -> str:
        parts = [p for p in (self.api, str(self.status) if self.status else "", self.code or "") if p]
        prefix = f"[{' '.join(parts)}] " if parts else ""
        return f"{prefix}{self.args[0]}"


class BadRequest(ClientError):
    """400: the request was invalid (or the remote state forbids it)."""


class AuthenticationFailed(ClientError):
    """401: credentials or token rejected."""


class PermissionDenied(ClientError):
    """403: authenticated but not allowed; the message lists what is missing when known."""


class NotFound(ClientError):
    """404."""


class Conflict(ClientError):
    """409 or an equivalent 'already exists'."""


class Throttled(ClientError):
    """429 after the client's own retries were used up."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(ClientError):
    """5xx or a dropped connection after retries."""


class NotReady(ClientError):
    """The remote side has not caught up yet (mailbox not provisioned, CNAME not visible): retry later."""


class OwnershipConflict(ClientError):
    """The object exists but carries no coldfleet ownership marker: refuse to adopt it."""


def for_status(status: int) -> type[ClientError]:
    """The exception class for an HTTP status."""
    if status == 400:
        return BadRequest
    if status == 401:
        return AuthenticationFailed
    if status == 403:
        return PermissionDenied
    if status == 404:
        return NotFound
    if status == 409:
        return Conflict
    if status == 429:
        return Throttled
    if status >= 500:
        return ServerError
    return ClientError
