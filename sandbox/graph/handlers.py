"""Thin Graph handlers for the tenant's own resources (organization, subscribedSkus, security defaults, domains) and
the core route table (users in user_handlers.py): each handler parses, calls the backend and serializes."""

from __future__ import annotations

from typing import Any

from sandbox.graph import errors, query, serialize, user_handlers
from sandbox.graph.calls import Answer, Call, Handler, context, json_body, match, routes
from sandbox.graph.models import GraphBackend

__all__ = ["Answer", "Call", "Handler", "ROUTES", "dispatch"]


def _ok(body: Any, status: int = 200) -> Answer:
    return Answer(status, body)


def _no_content() -> Answer:
    return Answer(204)


# -- organization / skus ---------------------------------------------------------------------------------------------
def get_organization(b: GraphBackend, call: Call) -> Answer:
    with b.world.lock:
        org = serialize.organization_json(b.get_organization(call.tenant_id))
    return _ok({"@odata.context": context(call, "organization"), "value": [org]})


def list_subscribed_skus(b: GraphBackend, call: Call) -> Answer:
    with b.world.lock:
        tenant = b.tenant(call.tenant_id)
        value = [serialize.sku_json(s, tenant) for s in b.list_subscribed_skus(call.tenant_id)]
    return _ok({"@odata.context": context(call, "subscribedSkus"), "value": value})


def get_subscribed_sku(b: GraphBackend, call: Call, sku: str) -> Answer:
    with b.world.lock:
        tenant = b.tenant(call.tenant_id)
        for item in b.list_subscribed_skus(call.tenant_id):
            body = serialize.sku_json(item, tenant)
            if body["id"] == sku:
                return _ok({"@odata.context": context(call, "subscribedSkus/$entity"), **body})
    raise errors.not_found(sku)


# -- policies --------------------------------------------------------------------------------------------------------
SECURITY_DEFAULTS_ID = "00000000-0000-0000-0000-000000000005"


def get_security_defaults(b: GraphBackend, call: Call) -> Answer:
    return _ok({
        "@odata.context": context(call, "policies/identitySecurityDefaultsEnforcementPolicy/$entity"),
        "id": SECURITY_DEFAULTS_ID,
        "displayName": "Security Defaults",
        "description": "Security defaults is a set of basic identity security mechanisms recommended by Microsoft. "
                       "When enabled, these recommendations will be automatically enforced in your organization.",
        "isEnabled": b.get_security_defaults(call.tenant_id),
    })


def update_security_defaults(b: GraphBackend, call: Call) -> Answer:
    b.update_security_defaults(call.tenant_id, json_body(call))
    return _no_content()


# -- domains -----------------------------------------------------------------------------------------------------------
def list_domains(b: GraphBackend, call: Call) -> Answer:
    value = [serialize.domain_json(d) for d in b.list_domains(call.tenant_id)]
    return _ok({"@odata.context": context(call, "domains"), "value": value})


def create_domain(b: GraphBackend, call: Call) -> Answer:
    domain = b.create_domain(call.tenant_id, json_body(call))
    return _ok({"@odata.context": context(call, "domains/$entity"), **serialize.domain_json(domain)}, 201)


def get_domain(b: GraphBackend, call: Call, domain: str) -> Answer:
    body = serialize.domain_json(b.get_domain(call.tenant_id, domain))
    return _ok({"@odata.context": context(call, "domains/$entity"), **body})


def update_domain(b: GraphBackend, call: Call, domain: str) -> Answer:
    b.update_domain(call.tenant_id, domain, json_body(call))
    return _no_content()


def delete_domain(b: GraphBackend, call: Call, domain: str) -> Answer:
    b.delete_domain(call.tenant_id, domain)
    return _no_content()


def verify_domain(b: GraphBackend, call: Call, domain: str) -> Answer:
    body = serialize.domain_json(b.verify_domain(call.tenant_id, domain))
    return _ok({"@odata.context": context(call, "domains/$entity"), **body})


def list_verification_dns_records(b: GraphBackend, call: Call, domain: str) -> Answer:
    value = b.list_verification_dns_records(call.tenant_id, domain)
    return _ok({"@odata.context": context(call, f"domains('{domain}')/verificationDnsRecords"), "value": value})


def list_service_configuration_records(b: GraphBackend, call: Call, domain: str) -> Answer:
    value = b.list_service_configuration_records(call.tenant_id, domain)
    return _ok({"@odata.context": context(call, f"domains('{domain}')/serviceConfigurationRecords"),
                "value": value})


def list_domain_name_references(b: GraphBackend, call: Call, domain: str) -> Answer:
    with b.world.lock:
        tenant = b.tenant(call.tenant_id)
        users = b.list_domain_name_references(call.tenant_id, domain)
        value = [{"@odata.type": "#microsoft.graph.user",
                  **query.select(serialize.user_json(u, tenant), None, serialize.DEFAULT_USER_PROPERTIES, "user")}
                 for u in users]
    return _ok({"@odata.context": context(call, "directoryObjects"), "value": value})


ROUTES = routes([
    ("GET", "/organization", get_organization),
    ("GET", "/subscribedSkus", list_subscribed_skus),
    ("GET", "/subscribedSkus/{sku}", get_subscribed_sku),
    ("GET", "/policies/identitySecurityDefaultsEnforcementPolicy", get_security_defaults),
    ("PATCH", "/policies/identitySecurityDefaultsEnforcementPolicy", update_security_defaults),
    ("GET", "/domains", list_domains),
    ("POST", "/domains", create_domain),
    ("GET", "/domains/{domain}", get_domain),
    ("PATCH", "/domains/{domain}", update_domain),
    ("DELETE", "/domains/{domain}", delete_domain),
    ("POST", "/domains/{domain}/verify", verify_domain),
    ("GET", "/domains/{domain}/verificationDnsRecords", list_verification_dns_records),
    ("GET", "/domains/{domain}/serviceConfigurationRecords", list_service_configuration_records),
    ("GET", "/domains/{domain}/domainNameReferences", list_domain_name_references),
    *user_handlers.TABLE,
])


def dispatch(backend: GraphBackend, call: Call) -> Answer:
    """Route, charge writes against the app+tenant quota, run the handler; GraphError becomes its status."""
    found = match(ROUTES, backend.world, call)
    if found is None:
        raise errors.segment_not_found(call.path.strip("/").split("/")[0] or call.path)
    handler, params = found
    return handler(backend, call, **params)
