"""What every sequencer client offers coldfleet: its email accounts by address, and per-mailbox numbers.

A sequencer account is keyed by its email address: the address is on a sending domain of ours, so an account with
that address in the workspace is the mailbox coldfleet made (adopted, never duplicated). Accounts whose address
coldfleet never declared are never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Protocol

import httpx

from providers.clients import http
from providers.clients.errors import ClientError, NotFound
from providers.types import IMAP_HOST, IMAP_PORT, SMTP_HOST, SMTP_PORT


@dataclass(frozen=True)
class RemoteAccount:
    """An account as the sequencer holds it. `problem`: the sequencer's own word on a failed connection test."""

    email: str
    remote_id: str
    daily_limit: int | None
    paused: bool
    problem: str | None = None


@dataclass(frozen=True)
class NewAccount:
    """What a create sends. `password` is the mailbox password (a secret: never logged, never in messages)."""

    email: str
    first_name: str
    last_name: str
    password: str
    daily_limit: int
    warmup_enabled: bool = True
    warmup_limit: int = 10
    warmup_increment: int = 1
    warmup_reply_rate: int = 30
    smtp_host: str = SMTP_HOST
    smtp_port: int = SMTP_PORT
    imap_host: str = IMAP_HOST
    imap_port: int = IMAP_PORT

    def __repr__(self) -> str:  # never print the password
        return f"NewAccount(email={self.email!r}, daily_limit={self.daily_limit})"


@dataclass(frozen=True)
class Counts:
    """A mailbox's campaign numbers over a period; None where the sequencer gives no figure."""

    sent: int | None = None
    bounces: int | None = None
    complaints: int | None = None
    replies: int | None = None


class SequencerClient(Protocol):
    kind: str

    def list_accounts(self) -> dict[str, RemoteAccount]: ...
    def create(self, account: NewAccount) -> RemoteAccount: ...
    def set_daily_limit(self, account: RemoteAccount, limit: int) -> None: ...
    def set_paused(self, account: RemoteAccount, paused: bool) -> None: ...
    def delete(self, account: RemoteAccount) -> None: ...
    def numbers(self, emails: list[str], start: date, end: date) -> dict[str, Counts] | None:
        """Per-mailbox numbers from the API, or None when the sequencer's API documents none."""
        ...

    def close(self) -> None: ...


def address(raw: object) -> str:
    return str(raw or "").strip().lower()


class JsonApiClient(http.ClosingClient):
    """The one request shape of the sequencers' JSON APIs: a call through the shared request path, the vendor's error
    body read by `parse`, and a delete that treats "already gone" as done. Subclasses set `api`, `parse`, `http`."""

    api: ClassVar[str]
    parse: ClassVar[Callable[[object], http.Fault]]
    http: httpx.Client

    def error(self, resp: httpx.Response, what: str) -> ClientError:
        """The error for a failed answer; a vendor with a status of its own maps it here."""
        return http.error_from(resp, what, api=self.api, parse=type(self).parse)

    def _call(self, method: str, path: str, *, body: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None, idempotent: bool = False) -> Any:
        what = f"{method} {path.split('?')[0]}"
        resp = http.request(self.http, method, path, api=self.api, what=what, json=body, params=params,
                            idempotent=idempotent)
        if not resp.is_success:
            raise self.error(resp, what)
        return http.json_body(resp, api=self.api)

    def _delete(self, path: str, email: str) -> None:
        try:
            self._call("DELETE", path)
        except NotFound:
            pass  # already gone
        logging.getLogger(type(self).__module__).info("%s: %s removed", self.api, email)
