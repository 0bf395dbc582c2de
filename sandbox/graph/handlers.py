"""Thin Graph handlers: a route table over paths relative to /v1.0, each handler parses, calls the backend and
serializes. Framework-free (a `Call` in, an `Answer` out) so `$batch` items go through exactly the same code."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox import faults
from sandbox.graph import errors, photos, query, serialize
from sandbox.graph.models import GraphBackend

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
DEFAULT_DELETED_PROPERTIES = (*serialize.DEFAULT_USER_PROPERTIES, "deletedDateTime")
UNSUPPORTED_OPTIONS = ("$orderby", "$expand", "$search")


@dataclass
class Call:
    """One Graph request (top level or a $batch item) after authentication."""

    method: str
    path: str  # relative to the version root, e.g. /users/abc
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any
    tenant_id: str
    client_id: str
    base_url: str  # https://host:port/v1.0
    request_id: str = ""
    client_request_id: str = ""


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Answer]


def _ok(body: Any, status: int = 200) -> Answer:
    return Answer(status, body)


def _no_content() -> Answer:
    return Answer(204)


def _context(call: Call, fragment: str) -> str:
    return f"{call.base_url}/$metadata#{fragment}"


def _body(call: Call) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise errors.odata_bad_request("Unable to read JSON request payload. Please ensure Content-Type header is "
                                       "set and payload is of valid JSON format.")
    return call.body


def _advanced(call: Call) -> bool:
    count = call.query.get("$count", "").lower() == "true"
    eventual = call.headers.get("consistencylevel", "").lower() == "eventual"
    if count and not eventual:
        raise errors.bad_request("$count is not currently supported.")
    return count and eventual


def _check_options(call: Call) -> None:
    for option in UNSUPPORTED_OPTIONS:
        if option in call.query:
            raise errors.GraphError(400, "Request_UnsupportedQuery", f"The query option {option} is not supported "
                                    "by the sandbox on this resource.")


# -- organization / skus ---------------------------------------------------------------------------------------------
def get_organization(b: GraphBackend, call: Call) -> Answer:
    with b.world.lock:
        org = serialize.organization_json(b.get_organization(call.tenant_id))
    return _ok({"@odata.context": _context(call, "organization"), "value": [org]})


def list_subscribed_skus(b: GraphBackend, call: Call) -> Answer:
    with b.world.lock:
        tenant = b.tenant(call.tenant_id)
        value = [serialize.sku_json(s, tenant) for s in b.list_subscribed_skus(call.tenant_id)]
    return _ok({"@odata.context": _context(call, "subscribedSkus"), "value": value})


def get_subscribed_sku(b: GraphBackend, call: Call, sku: str) -> Answer:
    with b.world.lock:
        tenant = b.tenant(call.tenant_id)
        for item in b.list_subscribed_skus(call.tenant_id):
            body = serialize.sku_json(item, tenant)
            if body["id"] == sku:
                return _ok({"@odata.context": _context(call, "subscribedSkus/$entity"), **body})
    raise errors.not_found(sku)


# -- policies --------------------------------------------------------------------------------------------------------
SECURITY_DEFAULTS_ID = "00000000-0000-0000-0000-000000000005"


def get_security_defaults(b: GraphBackend, call: Call) -> Answer:
    return _ok({
        "@odata.context": _context(call, "policies/identitySecurityDefaultsEnforcementPolicy/$entity"),
        "id": SECURITY_DEFAULTS_ID,
        "displayName": "Security Defaults",
        "description": "Security defaults is a set of basic identity security mechanisms recommended by Microsoft. "
                       "When enabled, these recommendations will be automatically enforced in your organization.",
        "isEnabled": b.get_security_defaults(call.tenant_id),
    })


def update_security_defaults(b: GraphBackend, call: Call) -> Answer:
    b.update_security_defaults(call.tenant_id, _body(call))
    return _no_content()


# -- domains -----------------------------------------------------------------------------------------------------------
def list_domains(b: GraphBackend, call: Call) -> Answer:
    value = [serialize.domain_json(d) for d in b.list_domains(call.tenant_id)]
    return _ok({"@odata.context": _context(call, "domains"), "value": value})


def create_domain(b: GraphBackend, call: Call) -> Answer:
    domain = b.create_domain(call.tenant_id, _body(call))
    return _ok({"@odata.context": _context(call, "domains/$entity"), **serialize.domain_json(domain)}, 201)


def get_domain(b: GraphBackend, call: Call, domain: str) -> Answer:
    body = serialize.domain_json(b.get_domain(call.tenant_id, domain))
    return _ok({"@odata.context": _context(call, "domains/$entity"), **body})


def update_domain(b: GraphBackend, call: Call, domain: str) -> Answer:
    b.update_domain(call.tenant_id, domain, _body(call))
    return _no_content()


def delete_domain(b: GraphBackend, call: Call, domain: str) -> Answer:
    b.delete_domain(call.tenant_id, domain)
    return _no_content()


def verify_domain(b: GraphBackend, call: Call, domain: str) -> Answer:
    body = serialize.domain_json(b.verify_domain(call.tenant_id, domain))
    return _ok({"@odata.context": _context(call, "domains/$entity"), **body})


def list_verification_dns_records(b: GraphBackend, call: Call, domain: str) -> Answer:
    value = b.list_verification_dns_records(call.tenant_id, domain)
    return _ok({"@odata.context": _context(call, f"domains('{domain}')/verificationDnsRecords"), "value": value})


def list_service_configuration_records(b: GraphBackend, call: Call, domain: str) -> Answer:
    value = b.list_service_configuration_records(call.tenant_id, domain)
    return _ok({"@odata.context": _context(call, f"domains('{domain}')/serviceConfigurationRecords"),
                "value": value})


def list_domain_name_references(b: GraphBackend, call: Call, domain: str) -> Answer:
    with b.world.lock:
        tenant = b.tenant(call.tenant_id)
        users = b.list_domain_name_references(call.tenant_id, domain)
        value = [{"@odata.type": "#microsoft.graph.user",
                  **query.select(serialize.user_json(u, tenant), None, serialize.DEFAULT_USER_PROPERTIES, "user")}
                 for u in users]
    return _ok({"@odata.context": _context(call, "directoryObjects"), "value": value})


# -- users -------------------------------------------------------------------------------------------------------------
def _user_collection(b: GraphBackend, call: Call, users: list[Any], fragment: str, link: str,
                     default: tuple[str, ...]) -> Answer:
    _check_options(call)
    advanced = _advanced(call)
    with b.world.lock:
        tenant = b.tenant(call.tenant_id)
        items = [serialize.user_json(u, tenant) for u in users]
    if "$filter" in call.query:
        predicate = query.user_filter(call.query["$filter"], advanced)
        items = [item for item in items if predicate(item)]
    names = query.select_names(call.query)
    chunk, next_link = query.page(items, call.query, f"{call.base_url}{link}")
    body: dict[str, Any] = {"@odata.context": _context(call, fragment)}
    if advanced:
        body["@odata.count"] = len(items)
    if next_link:
        body["@odata.nextLink"] = next_link
    body["value"] = [query.select(item, names, default, "user") for item in chunk]
    return _ok(body)


def list_users(b: GraphBackend, call: Call) -> Answer:
    names = query.select_names(call.query)
    fragment = f"users({','.join(names)})" if names else "users"
    return _user_collection(b, call, b.list_users(call.tenant_id), fragment, "/users",
                            serialize.DEFAULT_USER_PROPERTIES)


def _one_user(b: GraphBackend, call: Call, user: Any, status: int = 200, odata_type: bool = False) -> Answer:
    with b.world.lock:
        item = serialize.user_json(user, b.tenant(call.tenant_id))
    names = query.select_names(call.query)
    fragment = "users/$entity" if not odata_type else "directory/deletedItems/$entity"
    body: dict[str, Any] = {"@odata.context": _context(call, fragment)}
    if odata_type:
        body["@odata.type"] = "#microsoft.graph.user"
    body.update(query.select(item, names, serialize.DEFAULT_USER_PROPERTIES, "user"))
    return _ok(body, status)


def create_user(b: GraphBackend, call: Call) -> Answer:
    return _one_user(b, call, b.create_user(call.tenant_id, _body(call)), 201)


def get_user(b: GraphBackend, call: Call, user: str) -> Answer:
    _check_options(call)
    return _one_user(b, call, b.get_user(call.tenant_id, user))


def update_user(b: GraphBackend, call: Call, user: str) -> Answer:
    b.update_user(call.tenant_id, user, _body(call))
    return _no_content()


def delete_user(b: GraphBackend, call: Call, user: str) -> Answer:
    b.delete_user(call.tenant_id, user)
    return _no_content()


def assign_license(b: GraphBackend, call: Call, user: str) -> Answer:
    return _one_user(b, call, b.assign_license(call.tenant_id, user, _body(call)))


def _mailbox_answer(b: GraphBackend, call: Call, user: str, stored: dict[str, Any]) -> Answer:
    found = b.get_user(call.tenant_id, user)
    body = serialize.mailbox_settings_json(found, stored)
    return _ok({"@odata.context": _context(call, f"users('{found.id}')/mailboxSettings"), **body})


def get_mailbox_settings(b: GraphBackend, call: Call, user: str) -> Answer:
    return _mailbox_answer(b, call, user, b.get_mailbox_settings(call.tenant_id, user))


def update_mailbox_settings(b: GraphBackend, call: Call, user: str) -> Answer:
    return _mailbox_answer(b, call, user, b.update_mailbox_settings(call.tenant_id, user, _body(call)))


# -- profile photo -----------------------------------------------------------------------------------------------------
def _raw(call: Call) -> bytes:
    """The binary body: bytes at the top level, base64 text inside a $batch item."""
    if isinstance(call.body, bytes | bytearray):
        return bytes(call.body)
    if isinstance(call.body, str):
        try:
            return base64.b64decode(call.body, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise errors.GraphError(400, "InvalidImage", "The request body is not an image.")


def get_photo(b: GraphBackend, call: Call, user: str) -> Answer:
    with b.world.lock:
        found = b.get_user(call.tenant_id, user)
        body = photos.photo_json(photos.get_photo(found))
    return _ok({"@odata.context": _context(call, f"users('{found.id}')/photo/$entity"), **body})


def get_photo_value(b: GraphBackend, call: Call, user: str) -> Answer:
    with b.world.lock:
        photo = photos.get_photo(b.get_user(call.tenant_id, user))
        return Answer(200, photo.data, {"content-type": photo.media_type})


def set_photo(b: GraphBackend, call: Call, user: str) -> Answer:
    data = _raw(call)
    with b.world.lock:
        photos.set_photo(b.get_user(call.tenant_id, user), data)
    return Answer(200)


def delete_photo(b: GraphBackend, call: Call, user: str) -> Answer:
    with b.world.lock:
        photos.delete_photo(b.get_user(call.tenant_id, user))
    return _no_content()


# -- deleted items -----------------------------------------------------------------------------------------------------
def list_deleted_users(b: GraphBackend, call: Call) -> Answer:
    path = "directory/deletedItems/microsoft.graph.user"
    return _user_collection(b, call, b.list_deleted_users(call.tenant_id), path, "/" + path,
                            DEFAULT_DELETED_PROPERTIES)


def get_deleted_item(b: GraphBackend, call: Call, item: str) -> Answer:
    return _one_user(b, call, b.get_deleted_item(call.tenant_id, item), odata_type=True)


def purge_deleted_item(b: GraphBackend, call: Call, item: str) -> Answer:
    b.purge_deleted_item(call.tenant_id, item)
    return _no_content()


def restore_deleted_item(b: GraphBackend, call: Call, item: str) -> Answer:
    return _one_user(b, call, b.restore_deleted_item(call.tenant_id, item), odata_type=True)


_SEG = r"(?P<{}>[^/]+)"
_TABLE: list[tuple[str, str, Handler]] = [
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
    ("GET", "/users", list_users),
    ("POST", "/users", create_user),
    ("GET", "/users/{user}", get_user),
    ("PATCH", "/users/{user}", update_user),
    ("DELETE", "/users/{user}", delete_user),
    ("POST", "/users/{user}/assignLicense", assign_license),
    ("GET", "/users/{user}/mailboxSettings", get_mailbox_settings),
    ("PATCH", "/users/{user}/mailboxSettings", update_mailbox_settings),
    ("GET", "/users/{user}/photo", get_photo),
    ("DELETE", "/users/{user}/photo", delete_photo),
    ("GET", r"/users/{user}/photo/\$value", get_photo_value),
    ("PUT", r"/users/{user}/photo/\$value", set_photo),
    ("PATCH", r"/users/{user}/photo/\$value", set_photo),
    ("GET", "/directory/deletedItems/microsoft.graph.user", list_deleted_users),
    ("GET", "/directory/deletedItems/{item}", get_deleted_item),
    ("DELETE", "/directory/deletedItems/{item}", purge_deleted_item),
    ("POST", "/directory/deletedItems/{item}/restore", restore_deleted_item),
]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile("^" + pattern.format(domain=_SEG.format("domain"), user=_SEG.format("user"),
                                             item=_SEG.format("item"), sku=_SEG.format("sku")) + "/?$"), handler)
    for method, pattern, handler in _TABLE
]


def dispatch(backend: GraphBackend, call: Call) -> Answer:
    """Route, charge writes against the app+tenant quota, run the handler; GraphError becomes its status."""
    matched = [(m, p.match(call.path), h) for m, p, h in ROUTES]
    hits = [(m, match, h) for m, match, h in matched if match]
    if not hits:
        first = call.path.strip("/").split("/")[0] or call.path
        raise errors.segment_not_found(first)
    # a literal segment (microsoft.graph.user) wins over a parameter with the same shape
    hits.sort(key=lambda hit: len(hit[1].groupdict()))
    for method, match, handler in hits:
        if method == call.method:
            if call.method in WRITE_METHODS:
                wait = faults.charge_write(backend.world, "graph", f"{call.client_id}/{call.tenant_id}")
                if wait is not None:
                    raise errors.throttled(wait, call.client_id, call.tenant_id)
            return handler(backend, call, **match.groupdict())
    raise errors.method_not_allowed()
