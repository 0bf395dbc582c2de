"""State and rules of the Name.com double: availability, prices, registrations, idempotent orders.

Availability is deterministic so tests can steer it: a second-level label containing "taken" is registered
elsewhere, one containing "premium" is a premium name priced at PREMIUM_PRICE, any name already registered in this
world is not purchasable. A registration creates the BIND zone when none exists yet (the registrar's default DNS,
announced as Name.com's own nameservers until `setNameservers`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.namecom import errors
from sandbox.persist import double_state
from sandbox.world import Dns, World

log = logging.getLogger(__name__)

DEFAULT_NAMESERVERS = ["ns1.name.com", "ns2.name.com", "ns3.name.com", "ns4.name.com"]
PRICES = {"com": (12.99, 15.99), "net": (14.99, 17.99), "org": (10.99, 15.99), "io": (39.99, 49.99),
          "co": (11.99, 29.99), "xyz": (1.99, 13.99), "info": (3.99, 22.99), "email": (4.99, 34.99)}
DEFAULT_PRICE = (19.99, 24.99)
PREMIUM_PRICE = (2499.0, 99.99)
UNSUPPORTED_TLDS = {"in", "onion", "local", "localhost", "invalid", "example"}
LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
CONTACT = {"firstName": "Sandbox", "lastName": "Registrant", "companyName": "coldfleet sandbox",
           "address1": "1 Test Street", "city": "Denver", "state": "CO", "zip": "80202", "country": "US",
           "email": "registrant@sandbox.coldfleet.test", "phone": "+1.3035550100"}


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class NcDomain:
    domain_name: str
    nameservers: list[str]
    create_date: str
    expire_date: str
    renewal_price: float
    autorenew_enabled: bool = False
    locked: bool = True
    privacy_enabled: bool = False


@dataclass
class NameComState:
    domains: dict[str, NcDomain] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # X-Idempotency-Key -> first 200 body
    next_order: int = 1000


def state(world: World) -> NameComState:
    return double_state(world, "namecom", NameComState)


def registered_nameservers(world: World, domain: str) -> list[str] | None:
    """The nameservers the sandbox registrar delegates `domain` to, or None when it is not registered here."""
    with world.lock:
        reg = state(world).domains.get(domain.rstrip(".").lower())
        return list(reg.nameservers) if reg else None


def compact(body: dict[str, Any]) -> dict[str, Any]:
    """Proto3 JSON: fields at their default value (false, 0, "", empty) are omitted."""
    return {k: v for k, v in body.items() if v not in (None, False, 0, "", [], {})}


def domain_name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise errors.invalid("domainName is required")
    name = raw.strip().rstrip(".").lower()
    try:
        name = ".".join(label.encode("idna").decode("ascii") if not label.isascii() else label
                        for label in name.split("."))
    except UnicodeError:
        raise errors.invalid(f"invalid domain name {raw!r}") from None
    labels = name.split(".")
    if len(labels) < 2 or not all(LABEL_RE.match(label) for label in labels) or labels[-1].isdigit():
        raise errors.invalid(f"invalid domain name {raw!r}")
    return name


def quote(world: World, name: str) -> dict[str, Any]:
    """One checkAvailability result (defaults omitted, as the real API does)."""
    sld, _, tld = name.partition(".")
    result: dict[str, Any] = {"domainName": name, "sld": sld, "tld": tld}
    taken = "taken" in sld or name in state(world).domains or tld in UNSUPPORTED_TLDS
    if taken:
        return compact(result)
    premium = "premium" in sld
    price, renewal = PREMIUM_PRICE if premium else PRICES.get(tld.rsplit(".", 1)[-1], DEFAULT_PRICE)
    result.update(purchasable=True, premium=premium, purchasePrice=price, purchaseType="registration",
                  renewalPrice=renewal)
    return compact(result)


def nameserver_list(raw: Any, *, required: bool) -> list[str]:
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or not all(isinstance(n, str) and n.strip() for n in raw):
        raise errors.invalid("nameservers must be a list of host names")
    names = [n.strip().rstrip(".").lower() for n in raw]
    if required and not names:
        raise errors.invalid("at least one nameserver is required")
    if len(names) > 13 or len(set(names)) != len(names):
        raise errors.invalid("at most 13 distinct nameservers")
    for n in names:
        if "." not in n or not all(LABEL_RE.match(label) for label in n.split(".")):
            raise errors.invalid(f"invalid nameserver {n!r}")
    return names


def domain_json(reg: NcDomain) -> dict[str, Any]:
    return compact({
        "domainName": reg.domain_name,
        "nameservers": list(reg.nameservers),
        "contacts": {role: dict(CONTACT) for role in ("registrant", "admin", "tech", "billing")},
        "privacyEnabled": reg.privacy_enabled,
        "locked": reg.locked,
        "autorenewEnabled": reg.autorenew_enabled,
        "expireDate": reg.expire_date,
        "createDate": reg.create_date,
        "renewalPrice": reg.renewal_price,
    })


def _add_years(t: dt.datetime, years: int) -> dt.datetime:
    try:
        return t.replace(year=t.year + years)
    except ValueError:  # 29 February
        return t.replace(year=t.year + years, day=28)


def register(world: World, dns: Dns, data: dict[str, Any]) -> dict[str, Any]:
    """POST /core/v1/domains: exact price check, registration, default zone at BIND."""
    spec = data.get("domain")
    if not isinstance(spec, dict):
        raise errors.invalid("domain is required")
    name = domain_name(spec.get("domainName"))
    years = data.get("years", 1) or 1
    if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 10:
        raise errors.invalid("years must be between 1 and 10")
    offer = quote(world, name)
    if not offer.get("purchasable"):
        raise errors.NcError(400, "Domain is not available", f"{name} cannot be registered")
    price = data.get("purchasePrice")
    if offer.get("premium") and price is None:
        raise errors.invalid("purchasePrice is required for premium domains")
    if price is not None and (not isinstance(price, (int, float)) or round(float(price), 2) != offer["purchasePrice"]):
        raise errors.NcError(400, "Purchase price does not match", f"the price of {name} is {offer['purchasePrice']}")
    nameservers = nameserver_list(spec.get("nameservers"), required=False) or list(DEFAULT_NAMESERVERS)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    reg = NcDomain(domain_name=name, nameservers=nameservers, create_date=iso(now),
                   expire_date=iso(_add_years(now, years)), renewal_price=offer["renewalPrice"],
                   autorenew_enabled=bool(spec.get("autorenewEnabled", False)), locked=bool(spec.get("locked", True)),
                   privacy_enabled=bool(spec.get("privacyEnabled", False)))
    try:
        if not dns.has_zone(name):
            dns.add_zone(name)
    except Exception as exc:
        raise errors.NcError(500, "Internal Error", f"sandbox: could not create the zone at BIND: {exc}") from None
    st = state(world)
    st.domains[name] = reg
    st.next_order += 1
    log.info("namecom double: %s registered (order %d)", name, st.next_order)
    return {"domain": domain_json(reg), "order": st.next_order, "totalPaid": offer["purchasePrice"]}


def state_view(world: World) -> dict[str, Any]:
    with world.lock:
        st = state(world)
        return {"domains": [domain_json(d) for d in st.domains.values()], "orders": len(st.orders)}
