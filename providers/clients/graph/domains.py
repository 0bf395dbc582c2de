"""Domains of a tenant: add, the verification handshake, supported services, service records, removal."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from msgraph.generated.models.domain import Domain
from msgraph.graph_service_client import GraphServiceClient

from providers.clients.errors import BadRequest, Conflict, NotFound, NotReady, ServerError
from providers.clients.graph.raw import get_all, get_json
from providers.clients.graph.session import API, MAX_PAGES, GraphBase, none_if_missing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GraphDomain:
    id: str
    is_verified: bool
    supported_services: tuple[str, ...]


@dataclass(frozen=True)
class ServiceRecord:
    record_type: str  # "MX" | "TXT" | "CNAME" | "SRV"
    label: str
    value: str  # MX: exchange host; TXT: text; CNAME: canonical name; SRV: "priority weight port target"
    preference: int | None
    ttl: int
    supported_service: str


def _domain(model: Domain) -> GraphDomain:
    return GraphDomain(id=(model.id or "").lower(), is_verified=bool(model.is_verified),
                       supported_services=tuple(model.supported_services or ()))


def _domain_json(body: dict[str, Any]) -> GraphDomain:
    return GraphDomain(id=str(body.get("id") or "").lower(), is_verified=bool(body.get("isVerified")),
                       supported_services=tuple(body.get("supportedServices") or ()))


_RECORD_KINDS = {"#microsoft.graph.domainDnsMxRecord": "MX", "#microsoft.graph.domainDnsTxtRecord": "TXT",
                 "#microsoft.graph.domainDnsCnameRecord": "CNAME", "#microsoft.graph.domainDnsSrvRecord": "SRV"}


def _service_record_json(rec: dict[str, Any], service: str) -> ServiceRecord | None:
    """A service record from Graph's JSON, the kind from `@odata.type` (what the SDK picks its class by)."""
    kind = _RECORD_KINDS.get(str(rec.get("@odata.type") or ""))
    label, pref = str(rec.get("label") or "").lower().rstrip("."), None
    if kind == "MX":
        value, pref = str(rec.get("mailExchange") or ""), rec.get("preference")
    elif kind == "TXT":
        value = str(rec.get("text") or "")
    elif kind == "CNAME":
        value = str(rec.get("canonicalName") or "")
    elif kind == "SRV":
        target = str(rec.get("nameTarget") or "").lower().rstrip(".")
        value = f"{rec.get('priority')} {rec.get('weight')} {rec.get('port')} {target}"
        label = f"{rec.get('service')}.{rec.get('protocol')}.{label}".lower()
    else:
        return None
    return ServiceRecord(record_type=kind, label=label, value=value.lower().rstrip(".") if kind != "TXT" else value,
                         preference=pref, ttl=int(rec.get("ttl") or 3600),
                         supported_service=str(rec.get("supportedService") or service))


class DomainOperations(GraphBase):
    def get_domain(self, name: str) -> GraphDomain | None:
        async def work(client: GraphServiceClient) -> GraphDomain | None:
            found = await get_json(client, client.domains.by_domain_id(name).to_get_request_information())
            return _domain_json(found) if found else None

        return self._run(f"get domain {name}", work, none_if_missing)

    def add_domain(self, name: str) -> GraphDomain:
        """POST /domains; an existing domain (ours from an earlier attempt) is returned as is."""
        existing = self.get_domain(name)
        if existing is not None:
            return existing

        async def work(client: GraphServiceClient) -> GraphDomain:
            created = await client.domains.post(Domain(id=name))
            if created is None:
                raise ServerError(f"add domain {name}: empty answer", api=API)
            return _domain(created)

        try:
            domain = self._run(f"add domain {name}", work)
        except (BadRequest, Conflict):
            again = self.get_domain(name)  # created concurrently, or the 201 was lost
            if again is None:
                raise
            return again
        log.info("add_domain: %s added to tenant %s", name, self.tenant_id)
        return domain

    def verification_txt(self, name: str) -> str:
        async def work(client: GraphServiceClient) -> str:
            builder = client.domains.by_domain_id(name).verification_dns_records
            for record in await get_all(client, builder.to_get_request_information(), self.base_url,
                                        f"verification records of {name}"):
                text = str(record.get("text") or "")
                if _RECORD_KINDS.get(str(record.get("@odata.type") or "")) == "TXT" and text.startswith("MS="):
                    return text
            raise NotFound(f"verification records of {name}: no MS= TXT record offered", api=API)

        return self._run(f"verification records of {name}", work)

    def verify_domain(self, name: str) -> GraphDomain:
        """POST /domains/{id}/verify; NotReady while Microsoft cannot see the TXT record yet."""
        async def work(client: GraphServiceClient) -> GraphDomain:
            verified = await client.domains.by_domain_id(name).verify.post()
            if verified is None:
                raise ServerError(f"verify {name}: empty answer", api=API)
            return _domain(verified)

        try:
            return self._run(f"verify {name}", work)
        except BadRequest as error:
            raise NotReady(str(error.args[0]), status=error.status, code=error.code, api=API) from None

    def set_supported_services(self, name: str, services: list[str]) -> None:
        async def work(client: GraphServiceClient) -> None:
            await client.domains.by_domain_id(name).patch(Domain(supported_services=list(services)))

        self._run(f"set services of {name}", work)

    def service_records(self, name: str, service: str = "Email") -> list[ServiceRecord]:
        async def work(client: GraphServiceClient) -> list[ServiceRecord]:
            builder = client.domains.by_domain_id(name).service_configuration_records
            records = await get_all(client, builder.to_get_request_information(), self.base_url,
                                    f"service records of {name}")
            wanted = [r for r in records if str(r.get("supportedService") or "").lower() == service.lower()]
            return [rec for rec in (_service_record_json(r, service) for r in wanted) if rec is not None]

        return self._run(f"service records of {name}", work)

    def domain_references(self, name: str) -> list[str]:
        """UPNs (or ids) of the objects still using the domain."""
        async def work(client: GraphServiceClient) -> list[str]:
            builder = client.domains.by_domain_id(name).domain_name_references
            page = await builder.get()
            refs: list[str] = []
            for _ in range(MAX_PAGES):
                for obj in page.value if page and page.value else []:
                    refs.append(getattr(obj, "user_principal_name", None) or obj.id or "?")
                if not page or not page.odata_next_link:
                    break
                page = await builder.with_url(page.odata_next_link).get()
            return refs

        return self._run(f"references of {name}", work)

    def delete_domain(self, name: str) -> None:
        async def work(client: GraphServiceClient) -> None:
            await client.domains.by_domain_id(name).delete()

        self._run(f"delete domain {name}", work)
        log.info("delete_domain: %s removed from tenant %s", name, self.tenant_id)

