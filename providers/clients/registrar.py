"""Domain registrars behind a small interface; Name.com Core API v1 is the one implemented.

Name.com answers in proto3 JSON: fields at their default value are omitted (no `purchasable: false`, no
`autorenewEnabled: false`), and checkAvailability results come in any order. Registration is made safe to retry
with X-Idempotency-Key, and the price is always sent so Name.com refuses the order when the price moved.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from providers.clients import http
from providers.clients.errors import AuthenticationFailed, BadRequest, ClientError
from providers.config import Settings

log = logging.getLogger(__name__)

API = "namecom"
TIMEOUT_S = 30.0


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
    create_date: str | None = None  # RFC 3339, when the registrar gives it (Name.com's createDate)


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
                        expire_date=body.get("expireDate"), autorenew=bool(body.get("autorenewEnabled", False)),
                        create_date=body.get("createDate"))


def _fault(body: object) -> http.Fault:
    if not isinstance(body, dict):
        return http.Fault()
    message, details = body.get("message"), body.get("details")
    return http.Fault(message=(f"{message}" + (f" ({details})" if details else "")) if message else None)


class NameComRegistrar(http.ClosingClient):
    """HTTP Basic `username:token`, JSON bodies, through the shared retry policy. Every call is safe to repeat:
    reads and setters converge, and registration carries X-Idempotency-Key."""

    def __init__(self, settings: Settings) -> None:
        if not settings.namecom_username or not settings.namecom_token:
            raise AuthenticationFailed("Name.com needs namecomUsername and namecomToken", api=API,
                                       hint="set coldfleet:namecomUsername and coldfleet:namecomToken")
        self.http = httpx.Client(base_url=settings.namecom_endpoint.rstrip("/"), timeout=TIMEOUT_S,
                                 transport=http.sync_transport(settings, API),
                                 auth=(settings.namecom_username, settings.namecom_token),
                                 headers={"Accept": "application/json"})

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> dict[str, Any]:
        what = f"{method} {path}"
        resp = http.request(self.http, method, path, api=API, what=what, idempotent=True, json=body,
                            headers=headers)
        if not resp.is_success:
            raise http.error_from(resp, what, api=API, parse=_fault)
        data = resp.json() if resp.content else {}
        return data if isinstance(data, dict) else {}

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
