"""Microsoft Partner Center REST (`/v1`): new customer tenants, MCA attestation, licences through cart + checkout.

App-only token (client credentials in the partner's own tenant, scope `https://api.partnercenter.microsoft.com/.default`).
Every call carries a fresh `MS-CorrelationId` and an `MS-RequestId` that stays the same across retries of that call,
so a retried create is replayed by the service instead of creating a second customer.
Note: the real service accepts the MCA confirmation (`POST /customers/{id}/agreements`) from App+User tokens only.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from providers.clients import http
from providers.clients.errors import ClientError, NotFound, ServerError
from providers.config import Settings
from providers.types import Address as SharedAddress

__all__ = ["Address", "Customer", "PartnerCenterClient", "Subscription", "address_body"]

log = logging.getLogger(__name__)

API = "partner_center"
SCOPE = "https://api.partnercenter.microsoft.com/.default"
MCA = "MicrosoftCustomerAgreement"
PAGE_SIZE = 100
MAX_PAGES = 1000


class Address(SharedAddress):
    """`providers.types.Address`, which every method takes; also built positionally, in the field order of the
    dataclass it replaces (first_name, last_name, address_line1, city, state, postal_code, country, phone_number)."""

    def __init__(self, *args: str | None, **fields: Any) -> None:
        positional: dict[str, Any] = dict(zip(SharedAddress.model_fields, args, strict=False))
        super().__init__(**positional, **fields)


def address_body(address: SharedAddress) -> dict[str, str]:
    """An address as Partner Center's JSON (`defaultAddress`, `/validations/address`)."""
    body = {"firstName": address.first_name, "lastName": address.last_name, "addressLine1": address.address_line1,
            "city": address.city, "state": address.state, "postalCode": address.postal_code,
            "country": address.country.upper()}
    if address.phone_number:
        body["phoneNumber"] = address.phone_number
    return body


def _fault(body: object) -> http.Fault:
    if not isinstance(body, dict):
        return http.Fault()
    code = str(body["code"]) if body.get("code") is not None else None
    return http.Fault(code=code, message=str(body.get("description") or body.get("message") or "") or None)


@dataclass(frozen=True)
class Customer:
    id: str
    tenant_id: str
    domain: str
    company_name: str
    country: str
    admin_username: str | None  # admin@<domain>, only right after creation
    admin_password: str | None  # only right after creation (a secret)

    def __repr__(self) -> str:  # never print the password
        return f"Customer(id={self.id!r}, domain={self.domain!r}, country={self.country!r})"


@dataclass(frozen=True)
class Subscription:
    id: str
    offer_id: str  # the catalogItemId bought (product:sku:availability)
    quantity: int
    status: str

    def is_for(self, product_id: str, sku_id: str) -> bool:
        """Whether this subscription is for `product_id`/`sku_id` (availability ids differ by country)."""
        return self.offer_id.upper().startswith(f"{product_id.upper()}:{sku_id.upper()}")


class PartnerCenterClient:
    """The partner's Partner Center account. Built per provider call."""

    def __init__(self, settings: Settings) -> None:
        if not settings.partner_tenant_id:
            raise ClientError("partner_tenant_id is not configured", api=API,
                              hint="set coldfleet:partnerTenantId (or AZURE_TENANT_ID)")
        self.settings = settings
        self.partner_tenant_id: str = settings.partner_tenant_id
        self.base = settings.partner_endpoint.rstrip("/")

    # -- transport -----------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None,
              request_id: str | None = None, extra: dict[str, str] | None = None) -> httpx.Response:
        """One call; its MS-RequestId makes every retry a replay the service recognises."""
        token = http.bearer_token(self.settings, self.partner_tenant_id, SCOPE, api=API)
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "MS-CorrelationId": str(uuid.uuid4()),
            "MS-RequestId": request_id or str(uuid.uuid4()),
            "X-Locale": "en-US",
            **(extra or {}),
        }
        client = http.shared_client(self.settings, API)
        return http.request(client, method, f"{self.base}{path}", api=API, headers=headers, json=json, params=params)

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        response = self._send(method, path, **kw)
        if response.status_code >= 400:
            raise self._error(method, path, response)
        return http.json_body(response, api=API)

    @staticmethod
    def _error(method: str, path: str, response: httpx.Response) -> ClientError:
        return http.error_from(response, f"{method} {path.split('?', 1)[0]}", api=API, parse=_fault)

    def _pages(self, path: str) -> list[dict[str, Any]]:
        """All items of a collection, following `links.next` (and its MS-ContinuationToken header)."""
        items: list[dict[str, Any]] = []
        next_path = path
        extra: dict[str, str] = {}
        for _ in range(MAX_PAGES):
            page = self._call("GET", next_path, extra=extra) or {}
            items.extend(i for i in page.get("items") or [] if isinstance(i, dict))
            nxt = (page.get("links") or {}).get("next")
            if not isinstance(nxt, dict) or not nxt.get("uri"):
                return items
            uri = str(nxt["uri"])
            next_path = uri[len("/v1"):] if uri.startswith("/v1/") else uri
            if not next_path.startswith("/"):
                raise ServerError(f"GET {path}: unexpected next link", api=API)
            extra = {h["key"]: str(h["value"]) for h in nxt.get("headers") or [] if isinstance(h, dict) and "key" in h}
        raise ServerError(f"GET {path}: more than {MAX_PAGES} pages", api=API)

    # -- customers -----------------------------------------------------------------------------------------------

    def domain_available(self, prefix: str) -> bool:
        """HEAD /domains/<prefix>.onmicrosoft.com: 404 means available, 200 taken."""
        domain = f"{prefix.lower()}.onmicrosoft.com"
        response = self._send("HEAD", f"/domains/{domain}")
        if response.status_code == 404:
            return True
        if response.status_code == 200:
            return False
        raise self._error("HEAD", f"/domains/{domain}", response)

    @staticmethod
    def _customer(body: dict[str, Any]) -> Customer:
        company = body.get("companyProfile") or {}
        billing = body.get("billingProfile") or {}
        creds = body.get("userCredentials") or {}
        domain = str(company.get("domain") or "").lower()
        user = creds.get("userName")
        return Customer(
            id=str(body["id"]),
            tenant_id=str(company.get("tenantId") or body["id"]),
            domain=domain,
            company_name=str(company.get("companyName") or billing.get("companyName") or ""),
            country=str((billing.get("defaultAddress") or {}).get("country") or "").upper(),
            admin_username=(f"{user}@{domain}" if user and "@" not in str(user) else user) if user else None,
            admin_password=creds.get("password"),
        )

    def find_customer(self, prefix: str) -> Customer | None:
        domain = f"{prefix.lower()}.onmicrosoft.com"
        for item in self._pages(f"/customers?size={PAGE_SIZE}"):
            if str((item.get("companyProfile") or {}).get("domain") or "").lower() == domain:
                return self.get_customer(str(item["id"]))
        return None

    def get_customer(self, customer_id: str) -> Customer | None:
        try:
            return self._customer(self._call("GET", f"/customers/{customer_id}"))
        except NotFound:
            return None

    def create_customer(self, *, prefix: str, company_name: str, email: str, culture: str, language: str,
                        address: SharedAddress, request_id: str) -> Customer:
        """Create the customer tenant. The same `request_id` replays the first creation (password included)."""
        self._call("POST", "/validations/address", json=address_body(address))
        body = {
            "companyProfile": {"domain": f"{prefix.lower()}.onmicrosoft.com"},
            "billingProfile": {"culture": culture, "email": email, "language": language,
                               "companyName": company_name, "defaultAddress": address_body(address)},
        }
        customer = self._customer(self._call("POST", "/customers", json=body, request_id=request_id))
        log.info("create_customer: %s -> tenant %s", customer.domain, customer.tenant_id)
        return customer

    # -- Microsoft Customer Agreement ----------------------------------------------------------------------------

    def has_mca(self, customer_id: str) -> bool:
        body = self._call("GET", f"/customers/{customer_id}/agreements", params={"agreementType": MCA}) or {}
        return any(i.get("type") == MCA for i in body.get("items") or [] if isinstance(i, dict))

    def accept_mca(self, customer_id: str, *, first_name: str, last_name: str, email: str) -> None:
        meta = self._call("GET", "/agreements", params={"agreementType": MCA}) or {}
        templates = [i["templateId"] for i in meta.get("items") or [] if isinstance(i, dict) and i.get("templateId")]
        if not templates:
            raise ServerError("no Microsoft Customer Agreement template published", api=API)
        body = {
            "primaryContact": {"firstName": first_name, "lastName": last_name, "email": email},
            "templateId": templates[0],
            "dateAgreed": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "type": MCA,
        }
        self._call("POST", f"/customers/{customer_id}/agreements", json=body)
        log.info("accept_mca: attested for %s", customer_id)

    # -- catalog and orders --------------------------------------------------------------------------------------

    def catalog_item(self, product_id: str, sku_id: str, country: str) -> str:
        """The catalogItemId of the monthly-term availability of product/sku in `country`."""
        body = self._call("GET", f"/products/{product_id}/skus/{sku_id}/availabilities",
                          params={"country": country.upper()}) or {}
        for item in body.get("items") or []:
            terms = item.get("terms") or []
            if item.get("isPurchasable", True) and any(t.get("duration") == "P1M" for t in terms):
                return str(item["catalogItemId"])
        raise NotFound(f"{product_id}/{sku_id} has no monthly availability in {country}", status=404, api=API)

    @staticmethod
    def _subscription(body: dict[str, Any]) -> Subscription:
        return Subscription(id=str(body["id"]), offer_id=str(body.get("offerId") or ""),
                            quantity=int(body.get("quantity") or 0), status=str(body.get("status") or ""))

    def subscriptions(self, customer_id: str) -> list[Subscription]:
        return [self._subscription(i) for i in self._pages(f"/customers/{customer_id}/subscriptions")]

    def buy(self, customer_id: str, catalog_item_id: str, quantity: int) -> list[Subscription]:
        """Cart + checkout of one line (monthly billing, one-month term). Raises PermissionDenied (13605) w/o MCA."""
        cart = self._call("POST", f"/customers/{customer_id}/carts", json={"lineItems": [{
            "id": 0, "catalogItemId": catalog_item_id, "quantity": quantity,
            "billingCycle": "monthly", "termDuration": "P1M"}]})
        result = self._call("POST", f"/customers/{customer_id}/carts/{cart['id']}/checkout") or {}
        orders = [o for o in result.get("orders") or [] if isinstance(o, dict)]
        if not orders:
            errors = result.get("orderErrors") or []
            first = errors[0] if errors and isinstance(errors[0], dict) else {}
            raise ClientError(f"checkout of {catalog_item_id} failed: {first.get('description', 'no order')}",
                              code=str(first.get("code")) if first.get("code") else None, api=API)
        bought: list[Subscription] = []
        pending_orders: set[str] = set()
        for order in orders:
            for line in order.get("lineItems") or []:
                if line.get("subscriptionId"):
                    bought.append(Subscription(id=str(line["subscriptionId"]), offer_id=str(line.get("offerId")),
                                               quantity=int(line.get("quantity") or quantity),
                                               status="active" if order.get("status") == "completed" else "pending"))
                else:
                    pending_orders.add(str(order.get("id")))
        if pending_orders:  # new-commerce orders may return before subscriptions exist: read them back
            raw = self._pages(f"/customers/{customer_id}/subscriptions")
            bought += [self._subscription(s) for s in raw if str(s.get("orderId")) in pending_orders]
        log.info("buy: %d x %s for %s -> %s", quantity, catalog_item_id, customer_id, [s.id for s in bought])
        return bought

    def set_quantity(self, customer_id: str, subscription_id: str, quantity: int) -> None:
        """PATCH the full subscription resource with the new quantity (as the API expects)."""
        path = f"/customers/{customer_id}/subscriptions/{subscription_id}"
        current = self._call("GET", path) or {}
        current["quantity"] = quantity
        self._call("PATCH", path, json=current)
        log.info("set_quantity: %s -> %d", subscription_id, quantity)
