"""Smartlead API v1 client: email accounts.

Followed (api.smartlead.ai, API reference "Email Account Management"): `POST /api/v1/email-accounts/save` ("Add
SMTP Email Account": from_name, from_email, user_name, password, smtp_*/imap_*, type OUTLOOK, warmup_enabled,
total_warmup_per_day, daily_rampup, reply_rate_percentage, max_email_per_day; no `id` creates; answer `{ok, message,
data: {id, ...}}`, older answers carry `id` at the top level; 406 ACCOUNT_VERIFICATION_FAILED when the login test
fails); `GET /api/v1/email-accounts/?offset=&limit=` ("Get All Email Accounts": a bare array, limit <= 100,
`max_email_per_day` reads back as `message_per_day`); `POST /api/v1/email-accounts/{id}` (update, max_email_per_day);
`PUT /api/v1/email-accounts/suspend/{id}` and `DELETE /api/v1/email-accounts/unsuspend/{id}` ("Suspend" stops
campaign and warmup sending, keeps the account); `DELETE /api/v1/email-accounts/{id}` ("Delete Email Account").
Auth: `?api_key=` on every call (kept out of logs and messages: the retry policy logs paths without queries).
Rate limits per key, 429 RATE_LIMIT_EXCEEDED with Retry-After. Also
/work/shared/reference/partner-cloudflare-sequencers-contract.md ("Smartlead API v1").

Per-mailbox numbers: the account object carries only today's `daily_sent_count` and warmup totals; no per-mailbox
campaign bounce or reply totals are documented, so `numbers` answers None (health reads Smartlead's CSV export).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import httpx

from providers.clients import http
from providers.clients.errors import AuthenticationFailed, BadRequest, ClientError
from providers.clients.sequencers.base import Counts, JsonApiClient, NewAccount, RemoteAccount, address
from providers.config import Settings

log = logging.getLogger(__name__)

API = "smartlead"
PAGE = 100


def _fault(body: object) -> http.Fault:
    if not isinstance(body, dict):
        return http.Fault()
    inner = body.get("error")
    if isinstance(inner, dict):
        return http.Fault(code=inner.get("code"), message=inner.get("message"))
    return http.Fault(code=inner if isinstance(inner, str) else None, message=body.get("message"))


def _remote(body: dict[str, Any]) -> RemoteAccount:
    return RemoteAccount(email=address(body.get("from_email")), remote_id=str(body.get("id")),
                         daily_limit=body.get("message_per_day"), paused=bool(body.get("is_suspended")))


class SmartleadClient(JsonApiClient):
    api = API
    parse = _fault
    kind = "smartlead"

    def __init__(self, settings: Settings) -> None:
        if not settings.smartlead_api_key:
            raise AuthenticationFailed("Smartlead needs an API key", api=API,
                                       hint="set coldfleet:smartleadApiKey (pulumi config set --secret)")
        self.http = httpx.Client(base_url=settings.smartlead_endpoint.rstrip("/"), timeout=http.HTTP_TIMEOUT_S,
                                 transport=http.sync_transport(settings, API),
                                 params={"api_key": settings.smartlead_api_key},
                                 headers={"Accept": "application/json"})

    def error(self, resp: httpx.Response, what: str) -> ClientError:
        error = super().error(resp, what)
        if resp.status_code == 406:
            return BadRequest(str(error.args[0]), status=406, code=error.code, api=API,
                              hint="the mailbox login failed at Smartlead: check SMTP AUTH and the password")
        return error

    def list_accounts(self) -> dict[str, RemoteAccount]:
        out: dict[str, RemoteAccount] = {}
        offset = 0
        while True:
            rows = self._call("GET", "/email-accounts/", params={"offset": str(offset), "limit": str(PAGE)}) or []
            if not isinstance(rows, list):
                raise ClientError("email accounts: expected a list", api=API)
            for row in rows:
                account = _remote(row)
                out[account.email] = account
            if len(rows) < PAGE:
                return out
            offset += PAGE

    def create(self, account: NewAccount) -> RemoteAccount:
        body = {"from_name": f"{account.first_name} {account.last_name}", "from_email": account.email,
                "user_name": account.email, "password": account.password, "smtp_host": account.smtp_host,
                "smtp_port": account.smtp_port, "imap_host": account.imap_host, "imap_port": account.imap_port,
                "type": "SMTP", "max_email_per_day": account.daily_limit, "warmup_enabled": account.warmup_enabled,
                "total_warmup_per_day": account.warmup_limit, "daily_rampup": account.warmup_increment,
                "reply_rate_percentage": account.warmup_reply_rate}
        data = self._call("POST", "/email-accounts/save", body=body) or {}
        inner: dict[str, Any] = data["data"] if isinstance(data.get("data"), dict) else data
        log.info("smartlead: %s added", account.email)
        return RemoteAccount(email=account.email, remote_id=str(inner.get("id")), daily_limit=account.daily_limit,
                             paused=False)

    def set_daily_limit(self, account: RemoteAccount, limit: int) -> None:
        self._call("POST", f"/email-accounts/{account.remote_id}", body={"max_email_per_day": limit},
                   idempotent=True)

    def set_paused(self, account: RemoteAccount, paused: bool) -> None:
        if paused:
            self._call("PUT", f"/email-accounts/suspend/{account.remote_id}")
        else:
            self._call("DELETE", f"/email-accounts/unsuspend/{account.remote_id}")

    def delete(self, account: RemoteAccount) -> None:
        self._delete(f"/email-accounts/{account.remote_id}", account.email)

    def numbers(self, emails: list[str], start: date, end: date) -> dict[str, Counts] | None:
        return None
