"""The small slice of the new-commerce catalog coldfleet buys from, and what each product puts into a tenant.

Availability ids differ per country (as in the real catalog), so clients must look them up instead of hard-coding
a catalogItemId.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sandbox.partner_center import errors

COUNTRY = re.compile(r"^[A-Z]{2}$")
MIN_SEATS, MAX_SEATS = 1, 300


@dataclass(frozen=True)
class Product:
    product_id: str
    sku_id: str
    title: str
    sku_part_number: str  # the Graph subscribedSku it raises
    graph_sku_id: str     # fallback skuId when the Graph helper's default SKUs are not available
    service_plans: tuple[str, ...]


PRODUCTS: dict[tuple[str, str], Product] = {
    ("CFQ7TTC0LH16", "0001"): Product("CFQ7TTC0LH16", "0001", "Exchange Online (Plan 1)", "EXCHANGESTANDARD",
                                      "4b9405b0-7788-4568-add1-99614e613b69", ("EXCHANGE_S_STANDARD",)),
    ("CFQ7TTC0LH18", "0001"): Product("CFQ7TTC0LH18", "0001", "Microsoft 365 Business Basic",
                                      "O365_BUSINESS_ESSENTIALS", "3b555118-da6a-4418-894f-7df1e2096870",
                                      ("EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "TEAMS1")),
}
TERMS = (
    {"duration": "P1M", "description": "One-Month commitment for monthly billing", "billingCycle": "monthly"},
    {"duration": "P1Y", "description": "One-Year commitment for monthly/yearly billing", "billingCycle": "annual"},
    {"duration": "P1Y", "description": "One-Year commitment for monthly/yearly billing", "billingCycle": "monthly"},
)


def availability_id(product: Product, country: str) -> str:
    digest = hashlib.sha256(f"{product.product_id}:{product.sku_id}:{country}".encode()).hexdigest()
    return "CFQ7TTC0" + digest[:4].upper()


def product(product_id: str, sku_id: str) -> Product:
    found = PRODUCTS.get((product_id.upper(), sku_id))
    if found is None:
        raise errors.not_found(f"Product {product_id} sku {sku_id}")
    return found


def availabilities(product_id: str, sku_id: str, country: str | None) -> dict[str, Any]:
    if not country or not COUNTRY.match(country.upper()):
        raise errors.invalid_input("The country query parameter must be an ISO 3166 alpha-2 code.", country=country)
    prod = product(product_id, sku_id)
    country = country.upper()
    avail = availability_id(prod, country)
    item = {
        "id": avail,
        "productId": prod.product_id,
        "skuId": prod.sku_id,
        "catalogItemId": f"{prod.product_id}:{prod.sku_id}:{avail}",
        "defaultCurrency": {"code": "USD", "symbol": "$"},
        "segment": "commercial",
        "country": country,
        "isPurchasable": True,
        "isRenewable": True,
        "terms": [dict(t, cancellationPolicy={"refundOptions": [{"type": "Full", "expiresAfter": "P7D"}]})
                  for t in TERMS],
        "product": {"id": prod.product_id, "title": prod.title, "productType": {"id": "OnlineServicesNCE"}},
        "sku": {"id": prod.sku_id, "productId": prod.product_id, "title": prod.title,
                "minimumQuantity": MIN_SEATS, "maximumQuantity": MAX_SEATS},
        "links": {"self": {"uri": f"/products/{prod.product_id}/skus/{prod.sku_id}/availabilities/{avail}"
                                  f"?country={country}", "method": "GET", "headers": []}},
    }
    return {
        "totalCount": 1,
        "items": [item],
        "links": {"self": {"uri": f"/products/{prod.product_id}/skus/{prod.sku_id}/availabilities?country={country}",
                           "method": "GET", "headers": []}},
        "attributes": {"objectType": "Collection"},
    }


def resolve_catalog_item(catalog_item_id: str, country: str) -> Product:
    """The product behind a `product:sku:availability` id, which must be an availability of `country`."""
    parts = str(catalog_item_id).split(":")
    if len(parts) != 3:
        raise errors.known("catalog_item_unknown", catalog_item_id)
    prod = PRODUCTS.get((parts[0].upper(), parts[1]))
    if prod is None or parts[2].upper() != availability_id(prod, country.upper()):
        raise errors.known("catalog_item_unknown", catalog_item_id)
    return prod


def check_term(term: Any, cycle: Any) -> None:
    if not any(t["duration"] == term and t["billingCycle"] == str(cycle).lower() for t in TERMS):
        raise errors.invalid_input(f"termDuration {term} with billingCycle {cycle} is not offered.",
                                   termDuration=term, billingCycle=cycle)


def check_quantity(quantity: Any) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not MIN_SEATS <= quantity <= MAX_SEATS:
        raise errors.known("quantity_out_of_range", quantity)
    return quantity
