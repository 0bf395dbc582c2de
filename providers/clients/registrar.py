"""Domain registrars behind a small interface; Name.com Core API v1 is the one implemented.

Name.com answers in proto3 JSON: fields at their default value are omitted (no `purchasable: false`, no
`autorenewEnabled: false`), and checkAvailability results come in any order. Registration is made safe to retry
with X-Idempotency-Key, and the price is always sent so Name.com refuses the order when the price moved.
"""

from __future__ import annotations

import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from providers.clients.errors import AuthenticationFailed, BadRequest, ClientError, ServerError, Throttled, for_status
from providers.config import Settings

log = logging.getLogger(__name__)

API = "namecom"
RETRIES = 3
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class Availability:
    domain: str
    purchasable: bool
    premium: bool
    price: float | None
    renewal_price: float | None


@dataclass(frozen=True)
class Registration:
    domain: str
    nameservers: tuple[str, ...]
    expire_date: str | None
    autorenew: bool


class Registrar(Protocol):
    def check(self, domain: str) -> Availability: ...
    def get(self, domain: str) -> Registration | None: ...
    def register(self, domain: str, *, price: float, nameservers: list[str], idempotency_key: str) -> Registration: ...
    def set_nameservers(self, domain: str, nameservers: list[str]) -> Registration: ...
    def set_autorenew(self, domain: str, enabled: bool) -> Registration: ...


def _domain(name: str) -> str:
    """Lowercase punycode without the trailing dot."""
    labels = name.strip().rstrip(".").lower().split(".")
    try:
        return ".".join(label if label.isascii() else label.encode("idna").decode("ascii") for label in labels)
    except UnicodeError:
        raise BadRequest(f"invalid domain name {name!r}", api=API) from None


def _registration(body: dict[str, Any]) -> Registration:
    return Registration(domain=_domain(body.get("domainName", "")),
                        nameservers=tuple(n.rstrip(".").lower() for n in body.get("nameservers") or ()),
                        expire_date=body.get("expireDate"), autorenew=bool(body.get("autorenewEnabled", False)))


def _retry_after(resp: httpx.Response, attempt: int) -> float:
    try:
        wait = float(resp.headers.get("retry-after", ""))
    except ValueError:
        wait = 0.5 * 2**attempt
    return min(max(wait, 0.0), MAX_BACKOFF_S)


class NameComRegistrar:
    """HTTP Basic `username:token`, JSON bodies; retries 429/5xx (honouring Retry-After) and dropped connections."""

    def __init__(self, settings: Settings) -> None:
        if not settings.namecom_username or not settings.namecom_token:
            raise AuthenticationFailed("Name.com needs namecomUsername and namecomToken", api=API)
        ctx = ssl.create_default_context()
        if settings.ca_bundle:
            ctx.load_verify_locations(cafile=settings.ca_bundle)
        self.http = httpx.Client(base_url=settings.namecom_endpoint.rstrip("/"), verify=ctx, timeout=30.0,
                                 auth=(settings.namecom_username, settings.namecom_token),
                                 headers={"Accept": "application/json"})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> NameComRegistrar:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> dict[str, Any]:
        what = f"{method} {path}"
        for attempt in range(RETRIES + 1):
            try:
                resp = self.http.request(method, path, json=body, headers=headers)
            except httpx.TransportError as exc:
                if attempt < RETRIES:
                    time.sleep(min(0.5 * 2**attempt, MAX_BACKOFF_S))
                    continue
                raise ServerError(f"{what}: cannot reach Name.com ({type(exc).__name__})", api=API) from None
            if resp.status_code in RETRY_STATUSES and attempt < RETRIES:
                wait = _retry_after(resp, attempt)
                log.info("namecom: %s answered %d; retrying in %.1fs", what, resp.status_code, wait)
                time.sleep(wait)
                continue
            if resp.is_success:
                data = resp.json() if resp.content else {}
                return data if isinstance(data, dict) else {}
            raise self._error(resp, what)
        raise ServerError(f"{what}: retries exhausted", api=API)  # not reached

    @staticmethod
    def _error(resp: httpx.Response, what: str) -> ClientError:
        try:
            data = resp.json()
        except ValueError:
            data = {}
        message = data.get("message") if isinstance(data, dict) else None
        details = data.get("details") if isinstance(data, dict) else None
        text = f"{what}: {message or f'HTTP {resp.status_code}'}" + (f" ({details})" if details else "")
        if resp.status_code == 429:
            retry = resp.headers.get("retry-after")
            return Throttled(text, retry_after=float(retry) if retry and retry.isdigit() else None, status=429,
                             api=API)
        return for_status(resp.status_code)(text, status=resp.status_code, api=API)

    # -- Registrar -------------------------------------------------------------------------------------------------
    def check(self, domain: str) -> Availability:
        name = _domain(domain)
        data = self._request("POST", "/core/v1/domains:checkAvailability", {"domainNames": [name]})
        for result in data.get("results") or []:
            if _domain(result.get("domainName", "")) == name:
                return Availability(domain=name, purchasable=bool(result.get("purchasable", False)),
                                    premium=bool(result.get("premium", False)),
                                    price=result.get("purchasePrice"), renewal_price=result.get("renewalPrice"))
        return Availability(domain=name, purchasable=False, premium=False, price=None, renewal_price=None)

    def get(self, domain: str) -> Registration | None:
        name = _domain(domain)
        try:
            return _registration(self._request("GET", f"/core/v1/domains/{name}"))
        except ClientError as exc:
            if exc.status == 404:
                return None
            raise

    def register(self, domain: str, *, price: float, nameservers: list[str], idempotency_key: str) -> Registration:
        """Buy for one year at exactly `price` (Name.com refuses a different price with 400)."""
        name = _domain(domain)
        if not idempotency_key:
            raise BadRequest("register needs an idempotency key", api=API)
        spec: dict[str, Any] = {"domainName": name}
        if nameservers:
            spec["nameservers"] = [_domain(n) for n in nameservers]
        body = {"domain": spec, "purchasePrice": price, "years": 1}
        data = self._request("POST", "/core/v1/domains", body, headers={"X-Idempotency-Key": idempotency_key})
        log.info("namecom: %s registered (order %s, paid %s)", name, data.get("order"), data.get("totalPaid"))
        return _registration(data.get("domain") or {})

    def set_nameservers(self, domain: str, nameservers: list[str]) -> Registration:
        name = _domain(domain)
        data = self._request("POST", f"/core/v1/domains/{name}:setNameservers",
                             {"nameservers": [_domain(n) for n in nameservers]})
        log.info("namecom: %s delegated to %s", name, ", ".join(nameservers))
        return _registration(data)

    def set_autorenew(self, domain: str, enabled: bool) -> Registration:
        """PATCH /domains/{name} (the :enableAutorenew/:disableAutorenew calls are deprecated)."""
        name = _domain(domain)
        return _registration(self._request("PATCH", f"/core/v1/domains/{name}", {"autorenewEnabled": enabled}))


def registrar_for(settings: Settings, kind: str) -> Registrar:
    """"namecom" for now (Porkbun / Namecheap would slot in here)."""
    if kind == "namecom":
        return NameComRegistrar(settings)
    raise BadRequest(f"unknown registrar {kind!r} (namecom)", api=API)
