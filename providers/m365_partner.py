"""Partner Center for an M365Tenant: the customer tenant (created or adopted by its initial domain), the Microsoft
Customer Agreement, and the licence seats bought for it, up to their SKU showing in the tenant.

Catalog item ids are looked up, never stored. The create request's MS-RequestId derives from the onmicrosoft domain, so
a retry replays the same request instead of creating a second customer.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from providers import config, residency
from providers.clients import errors

if TYPE_CHECKING:
    from providers.m365_tenant import M365TenantArgs

log = logging.getLogger(__name__)

# licence -> (Partner Center product, SKU, Graph skuPartNumber). Catalog item ids are looked up, never stored.
PRODUCTS: dict[str, tuple[str, str, str]] = {
    "exchange_online_plan1": ("CFQ7TTC0LH16", "0001", "EXCHANGESTANDARD"),
    "business_basic": ("CFQ7TTC0LH18", "0001", "O365_BUSINESS_ESSENTIALS"),
}
INACTIVE = frozenset({"deleted", "cancelled", "canceled", "expired", "disabled", "suspended"})
# MS-RequestId namespace: the same onmicrosoft domain always yields the same request id, so a retry replays.
REQUEST_NAMESPACE = uuid.UUID("6f1c9a52-3d7e-4b0a-9f51-0c0ffee1f1e7")


def poll(what: str, fetch: Any, settings: config.Settings) -> Any:
    """Call `fetch` until it returns something other than None, within the settings' poll timeout."""
    deadline = time.monotonic() + settings.poll_timeout_s
    while True:
        value = fetch()
        if value is not None:
            return value
        if time.monotonic() >= deadline:
            raise errors.NotReady(f"{what} not ready after {settings.poll_timeout_s:.0f}s; run `up` again",
                                  api="coldfleet")
        time.sleep(settings.poll_interval_s)


def ensure_customer(pc: Any, args: M365TenantArgs) -> Any:
    from providers.clients.partner_center import Address

    assert args.domain_prefix and args.address and args.contact and args.company_name
    prefix = args.domain_prefix
    customer = pc.find_customer(prefix)
    if customer is not None and str(customer.domain).lower() != f"{prefix}.onmicrosoft.com":
        customer = None  # a looser match by the client; only the exact initial domain is ours
    if customer is not None:
        if customer.country and customer.country.upper() != args.country:
            raise errors.Conflict(
                f"{prefix}.onmicrosoft.com is our customer but was created in {customer.country.upper()}, not "
                f"{args.country}: data location is fixed at tenant creation; choose another domain_prefix",
                api="coldfleet")
        log.info("%s: adopting existing customer %s (%s.onmicrosoft.com); its admin password is not known any "
                 "more", args.domain, customer.id, prefix)
        return customer
    if not pc.domain_available(prefix):
        raise errors.Conflict(
            f"domain_prefix {prefix!r}: {prefix}.onmicrosoft.com is taken by a tenant that is not a customer of "
            "this partner; choose another domain_prefix", api="coldfleet")
    culture, language = residency.partner_culture(args.residency, args.country)
    address = Address(**args.address.model_dump())
    request_id = str(uuid.uuid5(REQUEST_NAMESPACE, f"{prefix}.onmicrosoft.com"))
    customer = pc.create_customer(prefix=prefix, company_name=args.company_name, email=args.contact.email,
                                  culture=culture, language=language, address=address, request_id=request_id)
    log.info("%s: created customer tenant %s (%s)", args.domain, customer.tenant_id or customer.id, customer.domain)
    return customer


def ensure_mca(pc: Any, customer_id: str, args: M365TenantArgs) -> None:
    """Accept the Microsoft Customer Agreement for the customer unless it already has."""
    assert args.contact
    if not pc.has_mca(customer_id):
        pc.accept_mca(customer_id, first_name=args.contact.first_name, last_name=args.contact.last_name,
                      email=args.contact.email)
        log.info("%s: accepted the Microsoft Customer Agreement for %s", args.domain, customer_id)


def subscriptions(pc: Any, customer_id: str, licence: str) -> list[Any]:
    product, sku, _part = PRODUCTS[licence]
    prefix = f"{product}:{sku}".upper()
    return [s for s in pc.subscriptions(customer_id)
            if str(s.offer_id).upper().startswith(prefix) and str(s.status).lower() not in INACTIVE]


def ensure_seats(pc: Any, customer_id: str, args: M365TenantArgs) -> bool:
    """Buy the declared seats, or change the quantity; True when something was bought or changed."""
    product, sku, _part = PRODUCTS[args.licence]
    subs = subscriptions(pc, customer_id, args.licence)
    total = sum(s.quantity for s in subs)
    if not subs:
        item = pc.catalog_item(product, sku, args.country)
        pc.buy(customer_id, item, args.seats)
        log.info("%s: bought %d seats of %s", args.domain, args.seats, args.licence)
        return True
    if total == args.seats:
        return False
    first = subs[0]
    quantity = first.quantity + args.seats - total
    if quantity < 1:
        raise errors.BadRequest(f"seats: cannot reduce {args.licence} to {args.seats}: other subscriptions already "
                                f"hold {total - first.quantity} seats", api="coldfleet")
    pc.set_quantity(customer_id, first.id, quantity)
    log.info("%s: changed %s seats from %d to %d", args.domain, args.licence, total, args.seats)
    return True


def live_seats(settings: config.Settings, tenant_id: str, mode: str, licence: str) -> int | None:
    from providers.clients.partner_center import PartnerCenterClient

    pc = PartnerCenterClient(settings)
    customer_id = tenant_id if mode == "partner" else our_customer(pc, tenant_id)
    if customer_id is None or licence not in PRODUCTS:
        return None  # not our customer: seats are the tenant owner's business
    return sum(s.quantity for s in subscriptions(pc, customer_id, licence))


def licence_sku(settings: config.Settings, graph: Any, tenant_id: str, args: M365TenantArgs, *,
                wait: bool) -> str:
    part = PRODUCTS[args.licence][2]

    def find() -> str | None:
        for sku in graph.subscribed_skus():
            if sku.sku_part_number.upper() == part:
                if sku.enabled < args.seats:
                    log.warning("%s: %s has %d enabled units, fewer than %d seats", args.domain, part, sku.enabled,
                                args.seats)
                return str(sku.sku_id)
        return None

    found = find() if not wait else poll(f"licence {part} in tenant {tenant_id}", find, settings)
    if found is None:
        raise errors.NotFound(f"tenant {tenant_id} has no {part} subscription ({args.licence}); buy it there or "
                              "change licence", api="coldfleet")
    return found


def admin_upn(username: str | None, initial_domain: str) -> str | None:
    if not username:
        return None
    return username if "@" in username else f"{username}@{initial_domain}"


def our_customer(pc: Any, tenant_id: str) -> str | None:
    """The Partner Center customer id when the tenant is our customer (Partner Center uses the tenant id)."""
    try:
        customer = pc.get_customer(tenant_id)
    except (errors.NotFound, errors.PermissionDenied):
        return None
    return customer.id if customer is not None else None
