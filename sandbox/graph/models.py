"""Graph operations on the shared World: domains, subscribed SKUs and DNS records; users live in users.py.

Methods are named after the Graph actions they model. They take the caller's tenant id (from the token), hold
`world.lock` for every read-modify-write, raise `GraphError` with Microsoft's codes, and return World objects or
plain JSON-ready dicts (serialization of World objects is in serialize.py).
"""

from __future__ import annotations

import logging
import random
import re
import uuid
from typing import Any

from sandbox.graph import errors
from sandbox.graph.user_props import upn_domain
from sandbox.graph.users import UserOperations, sku_has_exchange
from sandbox.world import Dns, Domain, Sku, Tenant, World

__all__ = ["SKU_CATALOG", "GraphBackend", "default_skus", "ensure_initial_domain", "make_sku", "sku_has_exchange"]

logger = logging.getLogger(__name__)

EXCHANGE_SKU_ID = "4b9405b0-7788-4568-add1-99614e613b69"  # EXCHANGESTANDARD (Exchange Online Plan 1)
BUSINESS_BASIC_SKU_ID = "3b555118-da6a-4418-894f-7df1e2096870"  # O365_BUSINESS_ESSENTIALS (Business Basic)

SERVICE_PLAN_IDS = {
    "EXCHANGE_S_STANDARD": "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
    "SHAREPOINTSTANDARD": "c7699d2e-19aa-44de-8edf-1736da088ca1",
    "TEAMS1": "57ff2da0-773e-42df-b2af-ffb7a2317929",
}

# skuId -> (skuPartNumber, service plan names): what Partner Center purchases turn into.
SKU_CATALOG: dict[str, tuple[str, list[str]]] = {
    EXCHANGE_SKU_ID: ("EXCHANGESTANDARD", ["EXCHANGE_S_STANDARD"]),
    BUSINESS_BASIC_SKU_ID: ("O365_BUSINESS_ESSENTIALS", ["EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "TEAMS1"]),
}

SETTABLE_SERVICES = ("Email", "OfficeCommunicationsOnline", "Yammer")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
NAMESPACE = uuid.UUID("5b0c6f1e-3c1d-4e0a-9a58-6f6c1d2e7a11")  # stable ids for generated DNS records


def make_sku(sku_id: str, enabled: int) -> Sku:
    """A subscribed SKU from the catalog (unknown ids get a generic part number and no plans)."""
    part, plans = SKU_CATALOG.get(sku_id.lower(), (f"SKU_{sku_id[:8].upper()}", []))
    return Sku(sku_id=sku_id.lower(), sku_part_number=part, enabled=enabled, service_plans=list(plans))


def default_skus(seats: int = 25) -> dict[str, Sku]:
    """EXCHANGESTANDARD and O365_BUSINESS_ESSENTIALS with `seats` each, keyed by skuId (for `tenant.skus`)."""
    return {sku_id: make_sku(sku_id, seats) for sku_id in (EXCHANGE_SKU_ID, BUSINESS_BASIC_SKU_ID)}


def new_verification_code() -> str:
    return f"MS=ms{random.randint(10_000_000, 99_999_999)}"


def ensure_initial_domain(tenant: Tenant) -> Domain:
    """The tenant's <prefix>.onmicrosoft.com domain, verified and default unless another domain is default."""
    name = tenant.initial_domain.lower()
    domain = tenant.domains.get(name)
    if domain is None:
        has_default = any(d.is_default for d in tenant.domains.values())
        domain = Domain(
            id=name,
            verification_code=new_verification_code(),
            is_verified=True,
            is_default=not has_default,
            is_initial=True,
            supported_services=["Email", "OfficeCommunicationsOnline"],
        )
        tenant.domains[name] = domain
    return domain


def _record(domain: str, kind: str, label: str, supported: str, /, **extra: Any) -> dict[str, Any]:
    record_type = {"Txt": "domainDnsTxtRecord", "Mx": "domainDnsMxRecord", "CName": "domainDnsCnameRecord",
                   "Srv": "domainDnsSrvRecord"}[kind]
    return {
        "@odata.type": f"#microsoft.graph.{record_type}",
        "id": str(uuid.uuid5(NAMESPACE, f"{domain}|{kind}|{label}|{supported}|{extra}")),
        "isOptional": False,
        "label": label,
        "recordType": kind,
        "supportedService": supported,
        "ttl": 3600,
        **extra,
    }


def _set_services(domain: Domain, value: Any) -> None:
    if not isinstance(value, list) or any(s not in SETTABLE_SERVICES for s in value):
        raise errors.invalid_value("supportedServices", "Domain")
    if not domain.is_verified and value:
        raise errors.bad_request("Supported services can only be set on a verified domain.", target="supportedServices")
    domain.supported_services = list(dict.fromkeys(value))


def _set_default(tenant: Tenant, domain: Domain, value: Any) -> None:
    if value is not True or not domain.is_verified:
        raise errors.invalid_value("isDefault", "Domain")
    for other in tenant.domains.values():
        other.is_default = False
    domain.is_default = True


class GraphBackend(UserOperations):
    """The Graph double's state operations (multi-tenant: every call names the caller's tenant)."""

    def __init__(self, world: World, dns: Dns) -> None:
        super().__init__(world)
        self.dns = dns

    # -- organization / SKUs -----------------------------------------------------------------------------------
    def get_organization(self, tenant_id: str) -> Tenant:
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            ensure_initial_domain(tenant)
            return tenant

    def list_subscribed_skus(self, tenant_id: str) -> list[Sku]:
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            if not tenant.usable():
                return []  # a customer just created at Partner Center: its subscriptions are not provisioned yet
            self.recount_licenses(tenant)
            return list(tenant.skus.values())

    # -- policies ---------------------------------------------------------------------------------------------------
    def get_security_defaults(self, tenant_id: str) -> bool:
        with self.world.lock:
            return self.tenant(tenant_id).security_defaults_enabled

    def update_security_defaults(self, tenant_id: str, body: dict[str, Any]) -> None:
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            for key, value in body.items():
                if "@" in key:
                    continue
                if key != "isEnabled":
                    raise errors.bad_request(f"Invalid property '{key}'.", target=key)
                if not isinstance(value, bool):
                    raise errors.invalid_value(key, "IdentitySecurityDefaultsEnforcementPolicy")
                tenant.security_defaults_enabled = value

    # -- domains -----------------------------------------------------------------------------------------------
    def list_domains(self, tenant_id: str) -> list[Domain]:
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            ensure_initial_domain(tenant)
            return list(tenant.domains.values())

    def get_domain(self, tenant_id: str, name: str) -> Domain:
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            ensure_initial_domain(tenant)
            domain = tenant.domains.get(name.lower())
            if domain is None:
                raise errors.not_found(name)
            return domain

    def create_domain(self, tenant_id: str, body: dict[str, Any]) -> Domain:
        name = body.get("id")
        if not isinstance(name, str) or not name:
            raise errors.required("id", "Domain")
        name = name.lower().rstrip(".")
        labels = name.split(".")
        if len(labels) < 2 or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
            raise errors.invalid_value("id", "Domain")
        if name.endswith(".onmicrosoft.com"):
            raise errors.bad_request("Domains under onmicrosoft.com cannot be added to a tenant.", target="id")
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            ensure_initial_domain(tenant)
            if name in tenant.domains:
                raise errors.bad_request("Another object with the same value for property id already exists.",
                                         target="id", detail_code="ObjectConflict")
            domain = Domain(id=name, verification_code=new_verification_code())
            tenant.domains[name] = domain
            logger.info("tenant %s added domain %s", tenant_id, name)
            return domain

    def update_domain(self, tenant_id: str, name: str, body: dict[str, Any]) -> None:
        with self.world.lock:
            domain = self.get_domain(tenant_id, name)
            for key, value in body.items():
                if "@" in key:
                    continue
                if key == "supportedServices":
                    _set_services(domain, value)
                elif key == "isDefault":
                    _set_default(self.tenant(tenant_id), domain, value)
                elif key == "authenticationType":
                    if value != "Managed":
                        raise errors.invalid_value("authenticationType", "Domain")
                elif key in {"passwordValidityPeriodInDays", "passwordNotificationWindowInDays"}:
                    if not isinstance(value, int):
                        raise errors.invalid_value(key, "Domain")
                elif key in {"id", "isVerified", "isInitial", "isRoot", "isAdminManaged"}:
                    raise errors.bad_request(f"Property '{key}' is read-only and cannot be set.", target=key)
                else:
                    raise errors.bad_request(f"Invalid property '{key}'.", target=key)

    def delete_domain(self, tenant_id: str, name: str) -> None:
        with self.world.lock:
            tenant = self.tenant(tenant_id)
            domain = self.get_domain(tenant_id, name)
            if domain.is_initial or domain.is_default:
                raise errors.bad_request("The initial or default domain of an organization cannot be deleted.")
            active = self.domain_references(tenant, domain.id)
            deleted = [u for u in tenant.deleted_users.values() if upn_domain(u.user_principal_name) == domain.id]
            if active or deleted:
                raise errors.bad_request(
                    f"Unable to delete domain '{domain.id}': it is still referenced by {len(active)} object(s) "
                    f"and {len(deleted)} deleted object(s). Rename or permanently delete them first "
                    "(see domainNameReferences and directory/deletedItems).")
            del tenant.domains[domain.id]
            tenant.dkim.pop(domain.id, None)
            logger.info("tenant %s deleted domain %s", tenant_id, domain.id)

    def list_domain_name_references(self, tenant_id: str, name: str) -> list[Any]:
        with self.world.lock:
            domain = self.get_domain(tenant_id, name)
            return self.domain_references(self.tenant(tenant_id), domain.id)

    def list_verification_dns_records(self, tenant_id: str, name: str) -> list[dict[str, Any]]:
        domain = self.get_domain(tenant_id, name)
        code = domain.verification_code.removeprefix("MS=")
        return [
            _record(domain.id, "Txt", domain.id, "None", text=domain.verification_code),
            _record(domain.id, "Mx", domain.id, "None", mailExchange=f"{code}.msv1.invalid", preference=32767),
        ]

    def verify_domain(self, tenant_id: str, name: str) -> Domain:
        domain = self.get_domain(tenant_id, name)
        if domain.is_verified:
            return domain
        with self.world.lock:
            for other in self.world.tenants.values():
                taken = other.domains.get(domain.id)
                if other.id != tenant_id and taken is not None and taken.is_verified:
                    raise errors.bad_request(f"Domain '{domain.id}' is already verified in another organization.")
        code = domain.verification_code
        mx_host = f"{code.removeprefix('MS=')}.msv1.invalid"
        found = code in self._lookup(domain.id, "TXT") or any(
            value.split()[-1].rstrip(".") == mx_host for value in self._lookup(domain.id, "MX") if value.split())
        if not found:
            raise errors.bad_request(
                f"Domain verification failed for '{domain.id}': the DNS record '{code}' was not found. Publish the "
                "record from verificationDnsRecords and retry after it has propagated.")
        with self.world.lock:
            domain.is_verified = True
        logger.info("tenant %s verified domain %s", tenant_id, domain.id)
        return domain

    def _lookup(self, name: str, rdtype: str) -> list[str]:
        """What Microsoft's resolvers see; a failing lookup is simply "not found yet", as for the real service."""
        try:
            return self.dns.query(name, rdtype)
        except Exception as exc:  # noqa: BLE001 - any resolver failure means the record is not visible
            logger.warning("DNS lookup %s %s failed: %s", name, rdtype, exc)
            return []

    def list_service_configuration_records(self, tenant_id: str, name: str) -> list[dict[str, Any]]:
        domain = self.get_domain(tenant_id, name)
        d = domain.id
        records: list[dict[str, Any]] = []
        if "Email" in domain.supported_services:
            records += [
                _record(d, "Mx", d, "Email", mailExchange=f"{d.replace('.', '-')}.mail.protection.outlook.com",
                        preference=0),
                _record(d, "Txt", d, "Email", text="v=spf1 include:spf.protection.outlook.com -all"),
                _record(d, "CName", f"autodiscover.{d}", "Email", canonicalName="autodiscover.outlook.com"),
            ]
        if "OfficeCommunicationsOnline" in domain.supported_services:
            sfb = "OfficeCommunicationsOnline"
            records += [
                _record(d, "Srv", d, sfb, nameTarget="sipdir.online.lync.com", port=443, priority=100,
                        protocol="_tls", service="_sip", weight=1),
                _record(d, "Srv", d, sfb, nameTarget="sipfed.online.lync.com", port=5061, priority=100,
                        protocol="_tcp", service="_sipfederationtls", weight=1),
                _record(d, "CName", f"sip.{d}", sfb, canonicalName="sipdir.online.lync.com"),
                _record(d, "CName", f"lyncdiscover.{d}", sfb, canonicalName="webdir.online.lync.com"),
            ]
        return records
