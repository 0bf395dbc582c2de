"""Partner Center for an M365Tenant: the customer tenant (created or adopted by its initial domain), the Microsoft
Customer Agreement, and the licence seats bought for it, up to their SKU showing in the tenant.

Catalog item ids are looked up, never stored. The create request's MS-RequestId derives from the onmicrosoft domain, so
a retry replays the same request instead of creating a second customer.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from providers.clients import errors
from providers.clients.graph import GraphClient
from providers.clients.partner_center import Address, Customer, PartnerCenterClient, Subscription
from providers.clients.poll import until_found
from providers.config import Settings
from providers.m365_tenant.access import ensure_gdap
from providers.m365_tenant.args import M365TenantArgs
from providers.types import mail_address

log = logging.getLogger(__name__)

# licence -> (Partner Center product, SKU, Graph skuPartNumber). Catalog item ids are looked up, never stored.
PRODUCTS: dict[str, tuple[str, str, str]] = {
    "exchange_online_plan1": ("CFQ7TTC0LH16", "0001", "EXCHANGESTANDARD"),
    "business_basic": ("CFQ7TTC0LH18", "0001", "O365_BUSINESS_ESSENTIALS"),
}
INACTIVE = frozenset({"deleted", "cancelled", "canceled", "expired", "disabled", "suspended"})
# Partner Center lists en-US as a supported culture for every country/region ("supported languages and locales"), so
# it is the one culture that never fails validation.
PARTNER_CULTURE, PARTNER_LANGUAGE = "en-US", "en"
# MS-RequestId namespace: the same onmicrosoft domain always yields the same request id, so a retry replays.
REQUEST_NAMESPACE = uuid.UUID("6f1c9a52-3d7e-4b0a-9f51-0c0ffee1f1e7")


def ensure_customer(pc: PartnerCenterClient, args: M365TenantArgs) -> Customer:
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
        log.warning("%s: adopting existing customer %s (%s.onmicrosoft.com); its admin password is not known any "
                 "more", args.domain, customer.id, prefix)
        return customer
    if not pc.domain_available(prefix):
        raise errors.Conflict(
            f"domain_prefix {prefix!r}: {prefix}.onmicrosoft.com is taken by a tenant that is not a customer of "
            "this partner; choose another domain_prefix", api="coldfleet")
    culture, language = PARTNER_CULTURE, PARTNER_LANGUAGE
    address = Address(**args.address.model_dump())
    request_id = str(uuid.uuid5(REQUEST_NAMESPACE, f"{prefix}.onmicrosoft.com"))
    customer = pc.create_customer(prefix=prefix, company_name=args.company_name, email=args.contact.email,
                                  culture=culture, language=language, address=address, request_id=request_id)
    log.info("%s: created customer tenant %s (%s)", args.domain, customer.tenant_id or customer.id, customer.domain)
    return customer


def ensure_mca(pc: PartnerCenterClient, customer_id: str, args: M365TenantArgs) -> None:
    """Accept the Microsoft Customer Agreement for the customer unless it already has."""
    assert args.contact
    if not pc.has_mca(customer_id):
        pc.accept_mca(customer_id, first_name=args.contact.first_name, last_name=args.contact.last_name,
                      email=args.contact.email)
        log.info("%s: accepted the Microsoft Customer Agreement for %s", args.domain, customer_id)


def subscriptions(pc: PartnerCenterClient, customer_id: str, licence: str) -> list[Subscription]:
    product, sku, _part = PRODUCTS[licence]
    prefix = f"{product}:{sku}".upper()
    return [s for s in pc.subscriptions(customer_id)
            if str(s.offer_id).upper().startswith(prefix) and str(s.status).lower() not in INACTIVE]


def ensure_seats(pc: PartnerCenterClient, customer_id: str, args: M365TenantArgs) -> bool:
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


def live_seats(settings: Settings, tenant_id: str, mode: str, licence: str) -> int | None:
    pc = PartnerCenterClient(settings)
    customer_id = tenant_id if mode == "partner" else our_customer(pc, tenant_id)
    if customer_id is None or licence not in PRODUCTS:
        return None  # not our customer: seats are the tenant owner's business
    return sum(s.quantity for s in subscriptions(pc, customer_id, licence))


def licence_sku(settings: Settings, graph: GraphClient, tenant_id: str, args: M365TenantArgs, *,
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

    found = find() if not wait else until_found(settings, f"licence {part} in tenant {tenant_id}", find)
    if found is None:
        raise errors.NotFound(f"tenant {tenant_id} has no {part} subscription ({args.licence}); buy it there or "
                              "change licence", api="coldfleet")
    return found


def admin_upn(username: str | None, initial_domain: str) -> str | None:
    if not username:
        return None
    return username if "@" in username else mail_address(username, initial_domain)


def our_customer(pc: PartnerCenterClient, tenant_id: str) -> str | None:
    """The Partner Center customer id when the tenant is our customer (Partner Center uses the tenant id)."""
    try:
        customer = pc.get_customer(tenant_id)
    except (errors.NotFound, errors.PermissionDenied):
        return None
    return customer.id if customer is not None else None


def ensure_partner_tenant(settings: Settings, pc: PartnerCenterClient, args: M365TenantArgs,
                          old: dict[str, Any]) -> dict[str, Any]:
    """Partner mode: the customer tenant (recorded, adopted or created), its GDAP relationship and the MCA.

    Returns the outputs this step decides: tenant_id, initial_domain, and for a tenant created now its admin account.
    """
    assert args.domain_prefix and args.company_name
    outs: dict[str, Any] = {}
    if old.get("tenant_id"):
        outs.update(tenant_id=old["tenant_id"],
                    initial_domain=old.get("initial_domain") or f"{args.domain_prefix}.onmicrosoft.com")
    else:
        customer = ensure_customer(pc, args)
        outs.update(tenant_id=customer.tenant_id or customer.id, initial_domain=customer.domain,
                    admin_username=admin_upn(customer.admin_username, customer.domain),
                    admin_password=customer.admin_password)
    tenant_id = str(outs["tenant_id"])
    outs["gdap_relationship_id"], outs["gdap_status"] = ensure_gdap(
        settings, tenant_id=tenant_id, domain_prefix=args.domain_prefix, company_name=args.company_name)
    ensure_mca(pc, tenant_id, args)
    return outs
