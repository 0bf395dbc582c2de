"""What a SendingDomain declares (pydantic, no SDK), and the rules for buying it: the price ceiling and the
idempotency key that makes a retried purchase replay the first order."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from providers.clients.registrar import Availability
from providers.types import DomainName, is_under


class SendingDomainArgs(BaseModel):
    """`brand_domain` is declared before `domain` so the domain's validator can see it (pydantic validates in field
    order) and the refusal names `domain`, the field to fix."""

    model_config = ConfigDict(extra="ignore")

    brand_domain: DomainName | None = None
    domain: DomainName
    dns_backend: Literal["cloudflare", "rfc2136"]
    registrar: Literal["namecom", "byo"]
    max_price: float | None = Field(default=None, gt=0)
    delete_zone_on_destroy: bool = False
    release_registration_on_destroy: bool = False

    @field_validator("domain")
    @classmethod
    def _not_the_brand(cls, value: str, info: ValidationInfo) -> str:
        brand = info.data.get("brand_domain")
        if brand and (is_under(value, brand) or is_under(brand, value)):
            raise ValueError(f"{value} is the brand domain {brand} or shares it: never send cold email from it")
        return value


class RegistrationRefused(RuntimeError):
    """We will not buy this domain (unavailable, too expensive, premium without a ceiling)."""


def idempotency_key(domain: str) -> str:
    """The same key for every attempt to register `domain`: Name.com replays the first order for it."""
    return "coldfleet-" + hashlib.sha256(f"coldfleet:register:{domain}".encode()).hexdigest()[:40]


def same_nameservers(a: tuple[str, ...] | list[str], b: tuple[str, ...] | list[str]) -> bool:
    def norm(names: tuple[str, ...] | list[str]) -> set[str]:
        return {n.strip().rstrip(".").lower() for n in names}

    return norm(a) == norm(b)


def purchase_price(args: SendingDomainArgs, avail: Availability) -> float:
    """The exact price to pay, or RegistrationRefused saying why not."""
    domain = args.domain
    if not avail.purchasable:
        raise RegistrationRefused(
            f"{domain} is not available for registration (registered by someone else?); "
            "use registrar: byo if you own it at another registrar"
        )
    if avail.price is None:
        raise RegistrationRefused(f"the registrar gave no price for {domain}; refusing to buy blind")
    if avail.premium and args.max_price is None:
        raise RegistrationRefused(
            f"{domain} is a premium domain at {avail.price:.2f}; set max_price to at least that to buy it"
        )
    if args.max_price is not None and avail.price > args.max_price:
        raise RegistrationRefused(f"{domain} costs {avail.price:.2f}, above max_price {args.max_price:.2f}")
    return avail.price
