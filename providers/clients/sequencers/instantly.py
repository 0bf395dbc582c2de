"""Instantly API v2 client: email accounts and their daily analytics.

Followed (developer.instantly.ai, API v2): `POST /api/v2/accounts` ("Create account": email, first_name, last_name,
provider_code 3 = Microsoft, imap_*/smtp_* credentials, daily_limit, warmup {limit, increment, reply_rate});
`GET /api/v2/accounts?limit=&starting_after=` (cursor paging, `items` + `next_starting_after`, limit <= 100);
`PATCH|DELETE /api/v2/accounts/{email}`; `POST /api/v2/accounts/{email}/pause|resume`;
`GET /api/v2/accounts/analytics/daily?start_date=&end_date=&emails=` ("Get daily account analytics": rows of
{date, email_account, sent, bounced, replies, ...}; no complaint figure). Auth: `Authorization: Bearer <key>`.
Errors: `{statusCode, error, message}`; 429 per workspace with Retry-After (shared retry policy). Also
/work/shared/reference/partner-cloudflare-sequencers-contract.md ("Instantly API v2").

The API creates IMAP/SMTP accounts only: a Microsoft account connected by OAuth is added by a sign-in in
Instantly's app ("Connect Microsoft account"), for which no API is documented.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx

from providers.clients import http
from providers.clients.errors import AuthenticationFailed, ClientError
from providers.clients.sequencers.base import Counts, JsonApiClient, NewAccount, RemoteAccount, address
from providers.config import Settings

log = logging.getLogger(__name__)

API = "instantly"
PAGE = 100
MICROSOFT = 3


def _fault(body: object) -> http.Fault:
    if not isinstance(body, dict):
        return http.Fault()
    return http.Fault(code=str(body.get("error") or "") or None, message=body.get("message"))


def _remote(body: dict[str, Any]) -> RemoteAccount:
    status = int(body.get("status") or 0)
    problem = None if status > 0 else str(body.get("status_message") or f"status {status}")
    return RemoteAccount(email=address(body.get("email")), remote_id=address(body.get("email")),
                         daily_limit=body.get("daily_limit"), paused=status == 2, problem=problem)


class InstantlyClient(JsonApiClient):
    api = API
    parse = _fault
    kind = "instantly"

    def __init__(self, settings: Settings) -> None:
        if not settings.instantly_api_key:
            raise AuthenticationFailed("Instantly needs an API key", api=API,
                                       hint="set coldfleet:instantlyApiKey (pulumi config set --secret)")
        self.http = httpx.Client(base_url=settings.instantly_endpoint.rstrip("/"), timeout=http.HTTP_TIMEOUT_S,
                                 transport=http.sync_transport(settings, API),
                                 headers={"Authorization": f"Bearer {settings.instantly_api_key}",
                                          "Accept": "application/json"})


    def list_accounts(self) -> dict[str, RemoteAccount]:
        out: dict[str, RemoteAccount] = {}
        after: str | None = None
        while True:
            params = {"limit": str(PAGE), **({"starting_after": after} if after else {})}
            data = self._call("GET", "/accounts", params=params) or {}
            for item in data.get("items") or []:
                account = _remote(item)
                out[account.email] = account
            after = data.get("next_starting_after")
            if not after or not data.get("items"):
                return out

    def create(self, account: NewAccount) -> RemoteAccount:
        body = {"email": account.email, "first_name": account.first_name, "last_name": account.last_name,
                "provider_code": MICROSOFT, "imap_username": account.email, "imap_password": account.password,
                "imap_host": account.imap_host, "imap_port": account.imap_port, "smtp_username": account.email,
                "smtp_password": account.password, "smtp_host": account.smtp_host, "smtp_port": account.smtp_port,
                "warmup": {"limit": account.warmup_limit, "increment": account.warmup_increment,
                           "reply_rate": account.warmup_reply_rate}}
        if account.daily_limit > 0:
            body["daily_limit"] = account.daily_limit
        # Repeatable: a create whose answer was lost finds the account on the next list (read before write).
        created = _remote(self._call("POST", "/accounts", body=body, idempotent=False))
        log.info("instantly: %s added", account.email)
        return created

    def set_daily_limit(self, account: RemoteAccount, limit: int) -> None:
        self._call("PATCH", f"/accounts/{quote(account.email)}", body={"daily_limit": limit}, idempotent=True)

    def set_paused(self, account: RemoteAccount, paused: bool) -> None:
        self._call("POST", f"/accounts/{quote(account.email)}/{'pause' if paused else 'resume'}", idempotent=True)

    def delete(self, account: RemoteAccount) -> None:
        self._delete(f"/accounts/{quote(account.email)}", account.email)

    def numbers(self, emails: list[str], start: date, end: date) -> dict[str, Counts] | None:
        totals: dict[str, dict[str, int]] = {address(e): {} for e in emails}
        for chunk in (emails[i:i + 100] for i in range(0, len(emails), 100)):
            params = {"start_date": start.isoformat(), "end_date": end.isoformat(), "emails": ",".join(chunk)}
            rows = self._call("GET", "/accounts/analytics/daily", params=params) or []
            if not isinstance(rows, list):
                raise ClientError("daily account analytics: expected a list", api=API)
            for row in rows:
                total = totals.setdefault(address(row.get("email_account")), {})
                for key in ("sent", "bounced", "replies"):
                    total[key] = total.get(key, 0) + int(row.get(key) or 0)
        return {email: Counts(sent=t.get("sent", 0), bounces=t.get("bounced", 0), replies=t.get("replies", 0))
                for email, t in totals.items()}
