"""The small exception tree every client raises, keyed on what the caller must do (cf. cloudflare-python).

`str(error)` is `[api status code] message`; `hint` says what to do next (the provider layer appends it to its
one-line message as `. Next: <hint>`). Messages and hints never carry secrets.
"""

from __future__ import annotations


class ClientError(Exception):
    """An external API refused or failed. `code` is the API's own error code."""

    default_hint: str | None = None

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None, api: str = "",
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.api = api
        self.hint = hint if hint is not None else self.default_hint

    def __str__(self) -> str:
        parts = [p for p in (self.api, str(self.status) if self.status else "", self.code or "") if p]
        prefix = f"[{' '.join(parts)}] " if parts else ""
        return f"{prefix}{self.args[0]}"


class BadRequest(ClientError):
    """400: the request was invalid (or the remote state forbids it)."""


class AuthenticationFailed(ClientError):
    """401: credentials or token rejected."""

    default_hint = "check the configured credentials (client id / secret, API tokens) for this API"


class PermissionDenied(ClientError):
    """403: authenticated but not allowed; the message lists what is missing when known."""

    default_hint = "grant the missing permission or role to the app, then run again"


class NotFound(ClientError):
    """404."""


class Conflict(ClientError):
    """409 or an equivalent 'already exists'."""


class Throttled(ClientError):
    """429 after the client's own retries were used up."""

    default_hint = "the service is rate-limiting this app; wait a few minutes and run again"

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429,
                 code: str | None = None, api: str = "", hint: str | None = None) -> None:
        super().__init__(message, status=status, code=code, api=api, hint=hint)
        self.retry_after = retry_after


class ServerError(ClientError):
    """5xx or a dropped connection after retries."""

    default_hint = "the service failed or could not be reached; run again later"


class NotReady(ClientError):
    """The remote side has not caught up yet (mailbox not provisioned, CNAME not visible): retry later."""

    default_hint = "the remote side has not caught up yet; run again in a few minutes"


class OwnershipConflict(ClientError):
    """The object exists but carries no coldfleet ownership marker: refuse to adopt it."""

    default_hint = "remove the foreign object or adopt it explicitly"


STATUS_CLASSES: dict[int, type[ClientError]] = {400: BadRequest, 401: AuthenticationFailed, 403: PermissionDenied,
                                                404: NotFound, 409: Conflict, 429: Throttled}


def for_status(status: int) -> type[ClientError]:
    """The exception class for an HTTP status."""
    return STATUS_CLASSES.get(status) or (ServerError if status >= 500 else ClientError)


def from_status(status: int, message: str, *, code: str | None = None, api: str = "",
                retry_after: float | None = None, kind: type[ClientError] | None = None) -> ClientError:
    """The error for an HTTP status (or `kind`), a Throttled carrying the service's Retry-After."""
    cls = kind or for_status(status)
    if issubclass(cls, Throttled):
        return cls(message, retry_after=retry_after, status=status, code=code, api=api)
    return cls(message, status=status or None, code=code, api=api)
