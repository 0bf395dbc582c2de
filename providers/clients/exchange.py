"""Exchange Online through the admin API's InvokeCommand (the REST backend of the EXO v3 module, as CIPP uses it).

`POST {exchange}/adminapi/beta/{tenantId}/InvokeCommand {"CmdletInput": {"CmdletName", "Parameters"}}` with an
app token for `https://outlook.office365.com/.default` in the customer tenant. Cmdlet failures come back as
`{"error": {"code", "message": "Error executing cmdlet", "details": [{"message": "<ErrId>|<ExceptionType>|<text>"}]}}`;
we branch on status and the exception type, never on the text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from providers.clients import http
from providers.clients.errors import ClientError, NotFound, NotReady, ServerError
from providers.config import Settings

log = logging.getLogger(__name__)

API = "exchange"
SCOPE = "https://outlook.office365.com/.default"
SYSTEM_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}"
PAGE_SIZE = 1000
MAX_PAGES = 1000  # a guard against a service that keeps handing out nextLinks


@dataclass(frozen=True)
class DkimConfig:
    domain: str
    selector1_cname: str
    selector2_cname: str
    enabled: bool
    status: str


@dataclass(frozen=True)
class BlockedSender:
    """A row of Get-BlockedSenderAddress: a mailbox Exchange's outbound protection stopped from sending (Restricted
    entities). `reason` is Exchange's `Key=Value;...` text, e.g. `ExceedingLimitType=External;...`."""

    address: str
    reason: str
    created: str
    temporary: bool


@dataclass(frozen=True)
class CmdletFailure:
    """The parsed `details[0].message` of a cmdlet error: `<ErrId>|<ExceptionType>|<text>`."""

    error_id: str
    exception_type: str  # short name, e.g. "ManagementObjectNotFoundException"
    text: str


def parse_failure(body: object) -> tuple[str | None, CmdletFailure | None, str]:
    """(error.code, parsed detail, best message) from an error body of any shape."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None, ""
    code = error.get("code") if isinstance(error.get("code"), str) else None
    message = str(error.get("message") or "")
    details = error.get("details")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        raw = str(details[0].get("message") or "")
        parts = raw.split("|", 2)
        if len(parts) == 3:
            return code, CmdletFailure(parts[0], parts[1].rsplit(".", 1)[-1], parts[2]), parts[2]
        return code, None, raw or message
    return code, None, message


def _fault(body: object) -> http.Fault:
    """The API's code is the cmdlet's exception type when there is one (what callers branch on)."""
    code, failure, message = parse_failure(body)
    return http.Fault(code=failure.exception_type if failure else code, message=message or None)


class ExchangeClient:
    """One tenant's Exchange Online. Built per provider call; connections come from a shared pool."""

    def __init__(self, settings: Settings, tenant_id: str) -> None:
        self.settings = settings
        self.tenant_id = tenant_id
        self.base = settings.exchange_endpoint.rstrip("/")
        self.url = f"{self.base}/adminapi/beta/{tenant_id}/InvokeCommand"

    # -- transport -----------------------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        token = http.bearer_token(self.settings, self.tenant_id, SCOPE, api=API)
        return {
            "Authorization": f"Bearer {token}",
            "X-AnchorMailbox": f"APP:{SYSTEM_MAILBOX}@{self.tenant_id}",
            "Prefer": f"odata.maxpagesize={PAGE_SIZE}",
            "Accept": "application/json",
        }

    def invoke(self, cmdlet: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one cmdlet and return every object it produced (follows `@odata.nextLink`).

        Get-* and Set-* cmdlets converge, so a dropped connection repeats them; New-* and others are not repeated
        (the caller reads back what happened)."""
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters or {}}}
        idempotent = cmdlet.startswith(("Get-", "Set-"))
        values: list[dict[str, Any]] = []
        url: str | None = self.url
        client = http.shared_client(self.settings, API)
        for _ in range(MAX_PAGES):
            if url is None:
                return values
            response = http.request(client, "POST", url, api=API, what=cmdlet, idempotent=idempotent,
                                    headers=self._headers(), json=body)
            if response.status_code >= 400:
                raise http.error_from(response, cmdlet, api=API, parse=_fault)
            page = http.json_body(response, api=API) or {}
            values.extend(v for v in page.get("value") or [] if isinstance(v, dict))
            url = page.get("@odata.nextLink")
            if url is not None and not http.same_origin(url, self.base):
                raise ServerError(f"{cmdlet}: nextLink points at another host", api=API)
        raise ServerError(f"{cmdlet}: more than {MAX_PAGES} pages", api=API)

    # -- DKIM ----------------------------------------------------------------------------------------------------

    @staticmethod
    def _dkim(row: dict[str, Any]) -> DkimConfig:
        return DkimConfig(
            domain=str(row.get("Domain") or row.get("Identity") or "").lower(),
            selector1_cname=str(row.get("Selector1CNAME") or "").lower().rstrip("."),
            selector2_cname=str(row.get("Selector2CNAME") or "").lower().rstrip("."),
            enabled=bool(row.get("Enabled")),
            status=str(row.get("Status") or ""),
        )

    def get_dkim(self, domain: str) -> DkimConfig | None:
        try:
            rows = self.invoke("Get-DkimSigningConfig", {"Identity": domain})
        except NotFound:
            return None
        for row in rows:
            cfg = self._dkim(row)
            if cfg.domain == domain.lower():
                return cfg
        return None

    def new_dkim(self, domain: str) -> DkimConfig:
        """Create the 2048-bit signing config, disabled (the CNAMEs must be published before enabling)."""
        existing = self.get_dkim(domain)
        if existing is not None:
            return existing
        try:
            rows = self.invoke("New-DkimSigningConfig", {"DomainName": domain, "KeySize": 2048, "Enabled": False})
        except http.WriteUnconfirmed:
            rows = []  # the connection dropped after sending: read back whether it was created
            if self.get_dkim(domain) is None:
                rows = self.invoke("New-DkimSigningConfig", {"DomainName": domain, "KeySize": 2048,
                                                             "Enabled": False})
        except ClientError as exc:
            if exc.code != "ADObjectAlreadyExistsException":  # created concurrently since our get: read it back
                raise
            rows = []
        log.info("new_dkim: created signing config for %s in %s", domain, self.tenant_id)
        if rows:
            cfg = self._dkim(rows[0])
            if cfg.selector1_cname and cfg.selector2_cname:
                return cfg
        created = self.get_dkim(domain)
        if created is None:
            raise ServerError(f"New-DkimSigningConfig succeeded but {domain} has no signing config", api=API)
        return created

    def set_dkim_enabled(self, domain: str, enabled: bool) -> None:
        """Enable/disable signing. Enabling before Microsoft sees both selector CNAMEs raises NotReady."""
        try:
            self.invoke("Set-DkimSigningConfig", {"Identity": domain, "Enabled": enabled})
        except ClientError as exc:
            if enabled and exc.status == 400 and exc.code == "ValidationException":
                raise NotReady(f"DKIM for {domain}: Microsoft does not see the selector CNAMEs yet",
                               status=exc.status, code=exc.code, api=API) from None
            raise
        log.info("set_dkim_enabled: %s -> %s in %s", domain, enabled, self.tenant_id)

    # -- SMTP AUTH -----------------------------------------------------------------------------------------------

    @staticmethod
    def _enabled(disabled: object) -> bool | None:
        return None if disabled is None else not bool(disabled)

    def get_mailbox_smtp_auth(self, upn: str) -> bool | None:
        """True/False when the mailbox overrides the tenant setting, None when it follows the tenant."""
        rows = self.invoke("Get-CASMailbox", {"Identity": upn})
        if not rows:
            raise NotFound(f"Get-CASMailbox: no mailbox {upn}", status=404, api=API)
        return self._enabled(rows[0].get("SmtpClientAuthenticationDisabled"))

    def set_mailbox_smtp_auth(self, upn: str, enabled: bool) -> None:
        self.invoke("Set-CASMailbox", {"Identity": upn, "SmtpClientAuthenticationDisabled": not enabled})
        log.info("set_mailbox_smtp_auth: %s -> %s", upn, enabled)

    def get_tenant_smtp_auth(self) -> bool:
        rows = self.invoke("Get-TransportConfig")
        if not rows:
            raise ServerError("Get-TransportConfig returned nothing", api=API)
        return not bool(rows[0].get("SmtpClientAuthenticationDisabled"))

    def set_tenant_smtp_auth(self, enabled: bool) -> None:
        self.invoke("Set-TransportConfig", {"SmtpClientAuthenticationDisabled": not enabled})
        log.info("set_tenant_smtp_auth: %s -> %s", self.tenant_id, enabled)

    # -- restricted senders --------------------------------------------------------------------------------------

    def blocked_senders(self) -> list[BlockedSender]:
        """Every mailbox of the tenant on the restricted-senders list: `Get-BlockedSenderAddress` without parameters
        (learn.microsoft.com, Get-BlockedSenderAddress), which the admin API's InvokeCommand runs as CIPP's
        restricted-users alert does (`New-ExoRequest -cmdlet 'Get-BlockedSenderAddress'`), reading the same fields."""
        return [
            BlockedSender(address=str(row.get("SenderAddress") or "").lower(), reason=str(row.get("Reason") or ""),
                          created=str(row.get("CreatedDatetime") or ""), temporary=bool(row.get("TemporaryBlock")))
            for row in self.invoke("Get-BlockedSenderAddress")
            if row.get("SenderAddress")
        ]
