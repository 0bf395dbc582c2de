"""Partner Center state over the shared World: customers are tenants the partner created; agreements, carts,
orders and subscriptions live on the tenant (so a pickled world keeps them); checkout raises Graph SKU seats.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
import uuid
from typing import Any

from sandbox.graph import models as graph_models
from sandbox.partner_center import catalog, errors
from sandbox.partner_center.orders import OrderOperations
from sandbox.partner_center.shapes import camel
from sandbox.world import Domain, Sku, Tenant, User, World, new_id

PREFIX = re.compile(r"^[a-z0-9]{1,27}$")
REGISTRATION_NUMBER_COUNTRIES = frozenset({"AM", "AZ", "BY", "HU", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA"})
ADDRESS_FIELDS = ("firstName", "lastName", "addressLine1", "city", "postalCode", "country")
BILLING_FIELDS = ("email", "culture", "language", "companyName")


def default_skus() -> list[Sku]:
    """The Graph double's catalogue of SKUs a new tenant shows (0 seats)."""
    found = graph_models.default_skus()
    skus = list(found.values()) if isinstance(found, dict) else list(found)
    return [copy.deepcopy(s) for s in skus if isinstance(s, Sku)]


class PartnerCenterBackend(OrderOperations):
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
            problem = ", ".join(missing) or "country"
            raise errors.known("address_invalid", f"Address is incomplete or invalid: {problem}.")

    def _usable_at(self) -> float | None:
        """When a customer created now becomes usable (World.tenant_creation_delay_s); None = at once."""
        delay = self.world.tenant_creation_delay_s
        return time.time() + delay if delay > 0 else None

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
                raise errors.known("registration_number_not_allowed", country)
            if country in REGISTRATION_NUMBER_COUNTRIES and not str(address.get("phoneNumber") or "").strip():
                raise errors.known("phone_required", country)
            if self.domain_taken(domain):
                raise errors.known("domain_taken", domain)
            tenant = Tenant(id=new_id(), display_name=str(billing["companyName"]), initial_domain=domain,
                            country=country, partner_tenant_id=partner_id, partner_request_id=request_id,
                            admin_password=self._password(), usable_at=self._usable_at())
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
