"""EmailBison API client: sender emails of one workspace (the api-user token's).

Followed: docs.emailbison.com ("Authentication": `Authorization: Bearer <api-user token>`, one token per workspace;
"Pagination": 15 a page, `data` + `links.next` + `meta.last_page`, `?page=`; "Adding Sender Emails": custom
IMAP/SMTP accounts, Microsoft accounts through the "Bulk Uploader Tool" sign-in program) and the API reference
(dedi.emailbison.com/api/reference, "Sender Emails": `GET /api/sender-emails`, `GET|PATCH|DELETE
/api/sender-emails/{id}` (PATCH: daily_limit, name, email_signature), `POST /api/sender-emails/imap-smtp` (JSON:
name, email, password, imap_server, imap_port, smtp_server, smtp_port, smtp_secure, imap_secure; answer `{data:
sender}` with `id, email, daily_limit, status`)). The instance host is per customer: `coldfleet:emailbisonEndpoint`.
Errors come in the resource envelope, `{"data": {"success": false, "message", "errors"}}` (422 on validation, as a
public integration observed it; not on a docs page).

Not documented, so decided here: EmailBison has no pause for a sender email (only campaigns pause), so coldfleet
pauses one by setting its daily limit to 0 and resumes it by setting the ramp's limit; warm-up settings are not sent
(the warm-up endpoints are not in the docs); a sender whose `status` is not "Connected" after the create is reported
as a failed connection test and deleted again (so the next run tests it anew instead of adopting it unconnected).
No per-mailbox numbers for a period are documented (the sender object carries lifetime totals only), so `numbers`
answers None.
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

API = "emailbison"
MAX_PAGES = 1000  # EmailBison's offset paging stops there (15,000 senders)


def _fault(body: object) -> http.Fault:
    if not isinstance(body, dict):
        return http.Fault()
    data = body.get("data")
    inner: dict[str, Any] = data if isinstance(data, dict) else body
    message = inner.get("message")
    errors = inner.get("errors")
    if isinstance(errors, dict) and errors:
        field, reasons = next(iter(errors.items()))
        return http.Fault(code=str(field), message=str(message or reasons), kind=BadRequest)  # 422 validation
    return http.Fault(message=str(message) if message else None)


def _remote(body: dict[str, Any]) -> RemoteAccount:
    status = str(body.get("status") or "")
    limit = body.get("daily_limit")
    return RemoteAccount(email=address(body.get("email")), remote_id=str(body.get("id")), daily_limit=limit,
                         paused=limit == 0, problem=None if status == "Connected" else status or "not connected")


class EmailBisonClient(JsonApiClient):
    api = API
    parse = _fault
    kind = "emailbison"

    def __init__(self, settings: Settings) -> None:
        if not settings.emailbison_api_key:
            raise AuthenticationFailed("EmailBison needs an API token", api=API,
                                       hint="set coldfleet:emailbisonApiKey (an api-user token; "
                                            "pulumi config set --secret)")
        if not settings.emailbison_endpoint:
            raise BadRequest("EmailBison needs the endpoint of your instance", api=API,
                             hint="set coldfleet:emailbisonEndpoint, e.g. https://dedi.emailbison.com/api")
        self.http = httpx.Client(base_url=settings.emailbison_endpoint.rstrip("/"), timeout=http.HTTP_TIMEOUT_S,
                                 transport=http.sync_transport(settings, API),
                                 headers={"Authorization": f"Bearer {settings.emailbison_api_key}",
                                          "Accept": "application/json"})


    def list_accounts(self) -> dict[str, RemoteAccount]:
        out: dict[str, RemoteAccount] = {}
        for number in range(1, MAX_PAGES + 1):
            data = self._call("GET", "/sender-emails", params={"page": str(number)}) or {}
            rows = data.get("data")
            if not isinstance(rows, list):
                raise ClientError("sender emails: expected a page with a `data` list", api=API)
            for row in rows:
                account = _remote(row)
                out[account.email] = account
            meta = data.get("meta") or {}
            if not rows or number >= int(meta.get("last_page") or number):
                break
        return out

    def create(self, account: NewAccount) -> RemoteAccount:
        body = {"name": f"{account.first_name} {account.last_name}", "email": account.email,
                "password": account.password, "imap_server": account.imap_host, "imap_port": account.imap_port,
                "smtp_server": account.smtp_host, "smtp_port": account.smtp_port,
                "smtp_secure": account.smtp_port == 465, "imap_secure": account.imap_port == 993}
        data = self._call("POST", "/sender-emails/imap-smtp", body=body) or {}
        created = _remote(data.get("data") or {})
        if created.problem is not None:
            # Not kept: the next run would adopt it unconnected; removed, it is created (and tested) again.
            self.delete(created)
            return created
        log.info("emailbison: %s added", account.email)
        if created.problem is None and created.daily_limit != account.daily_limit:
            self.set_daily_limit(created, account.daily_limit)
            created = RemoteAccount(created.email, created.remote_id, account.daily_limit, account.daily_limit == 0)
        return created

    def set_daily_limit(self, account: RemoteAccount, limit: int) -> None:
        self._call("PATCH", f"/sender-emails/{account.remote_id}", body={"daily_limit": limit}, idempotent=True)

    def set_paused(self, account: RemoteAccount, paused: bool) -> None:
        # No pause for a sender email: a limit of 0 pauses; resuming is setting the ramp's limit (done by the caller
        # before this, since a paused account's limit 0 differs from the ramp's).
        if paused:
            self.set_daily_limit(account, 0)

    def delete(self, account: RemoteAccount) -> None:
        self._delete(f"/sender-emails/{account.remote_id}", account.email)

    def numbers(self, emails: list[str], start: date, end: date) -> dict[str, Counts] | None:
        return None
