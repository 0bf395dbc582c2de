"""Partner Center state over the shared World: customers are tenants the partner created; agreements, carts,
orders and subscriptions live on the tenant (so a pickled world keeps them); checkout raises Graph SKU seats.
"""

from __future__ import annotations

import copy
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.partner_center import catalog, errors
from sandbox.world import Domain, Sku, Tenant, User, World, new_id

MCA_TEMPLATE_ID = "117a77b0-9360-443b-8795-c6dedc750cf9"
MCA = "MicrosoftCustomerAgreement"
PREFIX = re.compile(r"^[a-z0-9]{1,27}$")
REGISTRATION_NUMBER_COUNTRIES = frozenset({"AM", "AZ", "BY", "HU", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA"})
ADDRESS_FIELDS = ("firstName", "lastName", "addressLine1", "city", "postalCode", "country")
BILLING_FIELDS = ("email", "culture", "language", "companyName")


def now() -> datetime:
    return datetime.now(UTC)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def camel(value: Any) -> Any:
    """Partner Center accepts PascalCase and camelCase property names; work in camelCase."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:] if isinstance(k, str) else k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def default_skus() -> list[Sku]:
    """The Graph double's catalogue of SKUs a new tenant shows (0 seats), when the Graph helper provides one."""
    try:
        from sandbox.graph import models as graph_models

        found = graph_models.default_skus()
    except (ImportError, AttributeError):
        return []
    skus = list(found.values()) if isinstance(found, dict) else list(found)
    return [copy.deepcopy(s) for s in skus if isinstance(s, Sku)]


class PartnerCenterBackend:
    def __init__(self, world: World) -> None:
        self.world = world

    # -- customers -----------------------------------------------------------------------------------------------

    def domain_taken(self, domain: str) -> bool:
        return self.world.tenant_by_domain(domain.strip().lower().rstrip(".")) is not None

    def customer_tenant(self, partner_id: str, customer_id: str) -> Tenant:
        with self.world.lock:
            tenant = self.world.tenants.get(customer_id.lower()) or self.world.tenants.get(customer_id)
        if tenant is None:
            raise errors.not_found(f"Customer {customer_id}")
        if tenant.partner_tenant_id != partner_id:
            raise errors.no_relationship(customer_id)
        return tenant

    def customers(self, partner_id: str) -> list[Tenant]:
        with self.world.lock:
            return [t for t in self.world.tenants.values() if t.partner_tenant_id == partner_id]

    @staticmethod
    def customer_view(tenant: Tenant, *, billing: bool = True, credentials: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": tenant.id,
            "commerceId": str(uuid.uuid5(uuid.NAMESPACE_OID, tenant.id)),
            "companyProfile": {"tenantId": tenant.id, "domain": tenant.initial_domain,
                               "companyName": tenant.display_name,
                               "attributes": {"objectType": "CustomerCompanyProfile"}},
            "relationshipToPartner": "reseller",
            "allowDelegatedAccess": True,
            "links": {"self": {"uri": f"/customers/{tenant.id}", "method": "GET", "headers": []}},
            "attributes": {"objectType": "Customer"},
        }
        if billing:
            body["billingProfile"] = dict(tenant.billing_profile)
        if credentials:
            body["userCredentials"] = {"userName": "admin", "password": tenant.admin_password}
        return body

    @staticmethod
    def _validate_address(address: Any) -> dict[str, Any]:
        if not isinstance(address, dict):
            raise errors.invalid_input("billingProfile.defaultAddress is required.")
        missing = [f for f in ADDRESS_FIELDS if not str(address.get(f) or "").strip()]
        if missing:
            raise errors.invalid_input(f"Address fields are required: {', '.join(missing)}.", missing=missing)
        if not catalog.COUNTRY.match(str(address["country"]).upper()):
            raise errors.invalid_input("defaultAddress.country must be an ISO 3166 alpha-2 code.")
        return address

    def validate_address(self, body: Any) -> None:
        address = camel(body) if isinstance(body, dict) else None
        if not isinstance(address, dict):
            raise errors.invalid_input("The body must be an address.")
        missing = [f for f in ("addressLine1", "city", "postalCode", "country")
                   if not str(address.get(f) or "").strip()]
        if missing or not catalog.COUNTRY.match(str(address.get("country", "")).upper()):
            raise errors.address_invalid(f"Address is incomplete or invalid: {', '.join(missing) or 'country'}.")

    def create_customer(self, partner_id: str, body: Any, request_id: str | None) -> dict[str, Any]:
        data = camel(body) if isinstance(body, dict) else {}
        with self.world.lock:
            if request_id:
                for tenant in self.world.tenants.values():
                    if tenant.partner_request_id == request_id and tenant.partner_tenant_id == partner_id:
                        return self.customer_view(tenant, credentials=True)
            company = data.get("companyProfile") or {}
            billing = data.get("billingProfile") or {}
            domain = str(company.get("domain") or "").strip().lower()
            prefix, _, rest = domain.partition(".")
            if rest != "onmicrosoft.com" or not PREFIX.match(prefix):
                raise errors.invalid_input("companyProfile.domain must be <prefix>.onmicrosoft.com with 1-27 "
                                           "lowercase letters or digits.", domain=domain)
            missing = [f for f in BILLING_FIELDS if not str(billing.get(f) or "").strip()]
            if missing:
                raise errors.invalid_input(f"billingProfile fields are required: {', '.join(missing)}.",
                                           missing=missing)
            address = self._validate_address(billing.get("defaultAddress"))
            country = str(address["country"]).upper()
            if company.get("organizationRegistrationNumber") and country not in REGISTRATION_NUMBER_COUNTRIES:
                raise errors.registration_number_not_allowed(country)
            if country in REGISTRATION_NUMBER_COUNTRIES and not str(address.get("phoneNumber") or "").strip():
                raise errors.phone_required(country)
            if self.domain_taken(domain):
                raise errors.domain_taken(domain)
            tenant = Tenant(id=new_id(), display_name=str(billing["companyName"]), initial_domain=domain,
                            country=country, partner_tenant_id=partner_id, partner_request_id=request_id,
                            admin_password=self._password())
            tenant.domains[domain] = Domain(id=domain, verification_code="", is_verified=True, is_default=True,
                                            is_initial=True, supported_services=["Email", "OfficeCommunicationsOnline"])
            for sku in default_skus():
                sku.enabled, sku.consumed = 0, 0
                tenant.skus[sku.sku_id] = sku
            admin = User(id=new_id(), user_principal_name=f"admin@{domain}", display_name="admin",
                         mail_nickname="admin", password=tenant.admin_password, usage_location=country)
            tenant.users[admin.id] = admin
            tenant.billing_profile = {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, tenant.id)),
                "email": billing["email"], "culture": billing["culture"], "language": billing["language"],
                "companyName": billing["companyName"],
                "defaultAddress": {k: address.get(k, "") for k in (*ADDRESS_FIELDS, "state", "phoneNumber")},
                "attributes": {"etag": secrets.token_hex(8), "objectType": "CustomerBillingProfile"},
            }
            self.world.tenants[tenant.id] = tenant
            return self.customer_view(tenant, credentials=True)

    @staticmethod
    def _password() -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
        body = "".join(secrets.choice(alphabet) for _ in range(12))
        return body + secrets.choice("!#$%&*") + secrets.choice("23456789")

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
                raise errors.cart_not_found(cart_id)
            return {k: v for k, v in copy.deepcopy(cart).items() if not k.startswith("_")}

    def checkout(self, tenant: Tenant, cart_id: str) -> dict[str, Any]:
        with self.world.lock:
            cart = tenant.carts.get(cart_id)
            if cart is None:
                raise errors.cart_not_found(cart_id)
            if cart["status"] == "Ordered":  # idempotent: repeat the first checkout's answer
                return copy.deepcopy(cart["_checkout"])
            if not any(a.get("type") == MCA for a in tenant.agreements):
                raise errors.mca_missing()
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
        raise errors.subscription_not_found(subscription_id)

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
