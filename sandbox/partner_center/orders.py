"""Partner Center commerce on a customer: agreements (the MCA attestation), carts, checkout, subscriptions and the
seats they add to the tenant's SKUs. Mixed into PartnerCenterBackend; everything here holds `world.lock`."""

from __future__ import annotations

import copy
import secrets
from datetime import datetime, timedelta
from typing import Any

from sandbox.partner_center import catalog, errors
from sandbox.partner_center.shapes import MCA, MCA_TEMPLATE_ID, camel, iso, now
from sandbox.world import Sku, Tenant, World, new_id

__all__ = ["MCA", "OrderOperations"]


class OrderOperations:
    world: World

    # -- agreements ----------------------------------------------------------------------------------------------

    @staticmethod
    def agreement_metadata(agreement_type: str | None) -> dict[str, Any]:
        items = [{"templateId": MCA_TEMPLATE_ID, "agreementType": MCA, "agreementLink": "https://aka.ms/customeragreement",
                  "versionRank": 0}]
        if agreement_type not in (MCA, "*"):
            items = []  # the default type is MicrosoftCloudAgreement, retired
        return {"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}}

    def agreements(self, tenant: Tenant, agreement_type: str | None) -> dict[str, Any]:
        wanted = agreement_type or "MicrosoftCloudAgreement"
        with self.world.lock:
            items = [dict(a) for a in tenant.agreements if wanted == "*" or a.get("type") == wanted]
        return {"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}}

    def add_agreement(self, tenant: Tenant, body: Any, user_id: str) -> dict[str, Any]:
        data = camel(body) if isinstance(body, dict) else {}
        contact = data.get("primaryContact") or {}
        missing = [f for f in ("firstName", "lastName", "email") if not str(contact.get(f) or "").strip()]
        if missing:
            raise errors.invalid_input(f"primaryContact fields are required: {', '.join(missing)}.")
        if data.get("templateId") != MCA_TEMPLATE_ID or data.get("type") != MCA:
            raise errors.invalid_input("templateId/type must name the current Microsoft Customer Agreement.")
        if not data.get("dateAgreed"):
            raise errors.invalid_input("dateAgreed is required.")
        agreement = {"userId": user_id, "primaryContact": contact, "templateId": MCA_TEMPLATE_ID,
                     "dateAgreed": data["dateAgreed"], "type": MCA, "agreementLink": "https://aka.ms/customeragreement"}
        with self.world.lock:
            tenant.agreements.append(agreement)
        return dict(agreement)

    # -- carts and orders ----------------------------------------------------------------------------------------

    def create_cart(self, tenant: Tenant, body: Any, user_id: str) -> dict[str, Any]:
        data = camel(body) if isinstance(body, dict) else {}
        items = data.get("lineItems")
        if not isinstance(items, list) or not items:
            raise errors.invalid_input("lineItems is required.")
        lines = []
        for n, raw in enumerate(items):
            item = raw if isinstance(raw, dict) else {}
            prod = catalog.resolve_catalog_item(str(item.get("catalogItemId") or ""), tenant.country)
            quantity = catalog.check_quantity(item.get("quantity"))
            term, cycle = item.get("termDuration") or "P1M", item.get("billingCycle") or "monthly"
            catalog.check_term(term, cycle)
            lines.append({"id": item.get("id", n), "catalogItemId": item["catalogItemId"], "quantity": quantity,
                          "currencyCode": "USD", "billingCycle": str(cycle).lower(), "termDuration": term,
                          "friendlyName": item.get("friendlyName") or prod.title, "orderGroup": "0"})
        created = now()
        cart_id = new_id()
        cart = {
            "id": cart_id, "creationTimestamp": iso(created), "lastModifiedTimestamp": iso(created),
            "expirationTimestamp": iso(created + timedelta(days=7)), "lastModifiedUser": user_id, "status": "Active",
            "lineItems": lines,
            "links": {"self": {"uri": f"/customers/{tenant.id}/carts/{cart_id}", "method": "GET", "headers": []}},
            "attributes": {"objectType": "Cart"},
        }
        with self.world.lock:
            tenant.carts[cart_id] = cart
        return copy.deepcopy(cart)

    def get_cart(self, tenant: Tenant, cart_id: str) -> dict[str, Any]:
        with self.world.lock:
            cart = tenant.carts.get(cart_id)
            if cart is None:
                raise errors.known("cart_not_found", cart_id)
            return {k: v for k, v in copy.deepcopy(cart).items() if not k.startswith("_")}

    def checkout(self, tenant: Tenant, cart_id: str) -> dict[str, Any]:
        with self.world.lock:
            cart = tenant.carts.get(cart_id)
            if cart is None:
                raise errors.known("cart_not_found", cart_id)
            if cart["status"] == "Ordered":  # idempotent: repeat the first checkout's answer
                return copy.deepcopy(cart["_checkout"])
            if not any(a.get("type") == MCA for a in tenant.agreements):
                raise errors.known("mca_missing")
            created = now()
            order_id = new_id()
            line_items = []
            for n, line in enumerate(cart["lineItems"]):
                prod = catalog.resolve_catalog_item(line["catalogItemId"], tenant.country)
                sub = self._subscription(tenant, prod, line, order_id, created)
                tenant.subscriptions.append(sub)
                self._add_seats(tenant, prod, line["quantity"])
                line_items.append({"lineItemNumber": n, "offerId": line["catalogItemId"], "subscriptionId": sub["id"],
                                   "termDuration": line["termDuration"], "transactionType": "New",
                                   "friendlyName": line["friendlyName"], "quantity": line["quantity"]})
            order = {"id": order_id, "alternateId": order_id[:12], "referenceCustomerId": tenant.id,
                     "billingCycle": cart["lineItems"][0]["billingCycle"], "currencyCode": "USD",
                     "currencySymbol": "$", "lineItems": line_items, "creationDate": iso(created),
                     "status": "completed", "transactionType": "UserPurchase",
                     "attributes": {"objectType": "Order"}}
            tenant.orders.append(order)
            result = {"orders": [order], "orderErrors": [], "attributes": {"objectType": "CartCheckoutResult"}}
            cart["status"] = "Ordered"
            cart["_checkout"] = result
            return copy.deepcopy(result)

    @staticmethod
    def _subscription(tenant: Tenant, prod: catalog.Product, line: dict[str, Any], order_id: str,
                      created: datetime) -> dict[str, Any]:
        sub_id = new_id()
        years = 1 if line["termDuration"] == "P1Y" else 0
        end = created + (timedelta(days=365) if years else timedelta(days=30))
        return {
            "id": sub_id, "entitlementId": new_id(), "offerId": line["catalogItemId"], "offerName": prod.title,
            "friendlyName": line["friendlyName"], "quantity": line["quantity"], "unitType": "Licenses",
            "creationDate": iso(created), "effectiveStartDate": iso(created), "commitmentEndDate": iso(end),
            "status": "active", "autoRenewEnabled": True, "billingType": "license",
            "billingCycle": line["billingCycle"], "termDuration": line["termDuration"],
            "contractType": "subscription", "orderId": order_id, "productType": {"id": "OnlineServicesNCE"},
            "links": {"self": {"uri": f"/customers/{tenant.id}/subscriptions/{sub_id}", "method": "GET",
                               "headers": []}},
            "attributes": {"etag": secrets.token_hex(8), "objectType": "Subscription"},
        }

    @staticmethod
    def _add_seats(tenant: Tenant, prod: catalog.Product, delta: int) -> None:
        sku = next((s for s in tenant.skus.values() if s.sku_part_number == prod.sku_part_number), None)
        if sku is None:
            sku = Sku(sku_id=prod.graph_sku_id, sku_part_number=prod.sku_part_number,
                      service_plans=list(prod.service_plans))
            tenant.skus[sku.sku_id] = sku
        sku.enabled = max(0, sku.enabled + delta)

    # -- subscriptions -------------------------------------------------------------------------------------------

    def subscriptions(self, tenant: Tenant) -> dict[str, Any]:
        with self.world.lock:
            items = copy.deepcopy(tenant.subscriptions)
        return {"totalCount": len(items), "items": items,
                "links": {"self": {"uri": f"/customers/{tenant.id}/subscriptions", "method": "GET", "headers": []}},
                "attributes": {"objectType": "Collection"}}

    def _find_subscription(self, tenant: Tenant, subscription_id: str) -> dict[str, Any]:
        for sub in tenant.subscriptions:
            if sub["id"].lower() == subscription_id.lower():
                return sub
        raise errors.known("subscription_not_found", subscription_id)

    def get_subscription(self, tenant: Tenant, subscription_id: str) -> dict[str, Any]:
        with self.world.lock:
            return copy.deepcopy(self._find_subscription(tenant, subscription_id))

    def update_subscription(self, tenant: Tenant, subscription_id: str, body: Any) -> dict[str, Any]:
        data = camel(body) if isinstance(body, dict) else {}
        with self.world.lock:
            sub = self._find_subscription(tenant, subscription_id)
            if "quantity" in data:
                quantity = catalog.check_quantity(data["quantity"])
                prod = catalog.resolve_catalog_item(sub["offerId"], tenant.country)
                self._add_seats(tenant, prod, quantity - sub["quantity"])
                sub["quantity"] = quantity
                sub["attributes"]["etag"] = secrets.token_hex(8)
            return copy.deepcopy(sub)
