"""GDAP in the Graph double: `/tenantRelationships/delegatedAdminRelationships` of the calling (partner) tenant.

POST creates a relationship (201, status `created`); `POST .../{id}/requests {"action": "lockForApproval"}` (201, the
request) moves it to `approvalPending`; the customer's admin approves out of band (an invitation link, real), which
the sandbox models as automatic once `world.gdap_approval_delay_s` has passed since the lock (evaluated on every read;
a large delay keeps it pending, setting it to 0 through the admin app's POST /settings approves at the next read), and
the relationship is `active` with `activatedDateTime` and `endDateTime` (activation + duration). `terminate` ends an
active relationship. Relationships change nothing in world.app_can_manage (the partner's management of the tenants it
created is modelled there already).

Validation follows the documented rules: displayName required, ≤ 50 characters, unique in the partner tenant;
duration P1D–P730D (or P1Y/P2Y); unifiedRoles non-empty GUIDs; autoExtendDuration PT0S, P0D or P180D, and not P180D
with Global Administrator. Modelled (not confirmed): the 400 codes and messages, and ids as `<guid>-<customer tenant>`.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.graph import errors, query
from sandbox.graph.calls import Answer, Call, Handler, dispatcher_for, entity, filtered, json_body, routes
from sandbox.graph.principals import tenant_of
from sandbox.world import GdapRelationship, Tenant, World

COLLECTION = "tenantRelationships/delegatedAdminRelationships"
RESOURCE = "DelegatedAdminRelationship"
FILTERS = {"displayName": {"eq", "startswith"}, "status": {"eq"}, "id": {"eq"}}
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
AUTO_EXTEND = ("PT0S", "P0D", "P180D")
MAX_NAME = 50
_DURATION = re.compile(r"^P(?:(?P<days>\d+)D|(?P<years>[12])Y)$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts is not None else None


def _days(duration: str) -> int:
    match = _DURATION.match(duration)
    if not match:
        return 0
    return int(match["days"]) if match["days"] else 365 * int(match["years"])


def _relationships(tenant: Tenant) -> dict[str, GdapRelationship]:
    found: dict[str, GdapRelationship] = tenant.__dict__.setdefault("gdap_relationships", {})
    return found


def _refresh(world: World, rel: GdapRelationship) -> None:
    """The customer's admin approves once the approval delay has passed since lockForApproval."""
    now = time.time()
    if rel.status == "approvalPending" and rel.locked_at is not None \
            and now >= rel.locked_at + world.gdap_approval_delay_s:
        rel.status, rel.activated, rel.modified = "active", now, now
        for request in rel.requests:
            if request["status"] != "succeeded":
                request.update(status="succeeded", modified=now)


def relationship_json(rel: GdapRelationship) -> dict[str, Any]:
    end = rel.activated + timedelta(days=_days(rel.duration)).total_seconds() if rel.activated else None
    return {
        "id": rel.id,
        "displayName": rel.display_name,
        "duration": rel.duration,
        "customer": {"tenantId": rel.customer_tenant_id, "displayName": rel.customer_display_name},
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": role} for role in rel.role_ids]},
        "status": rel.status,
        "autoExtendDuration": rel.auto_extend_duration,
        "createdDateTime": _iso(rel.created),
        "lastModifiedDateTime": _iso(rel.modified),
        "activatedDateTime": _iso(rel.activated),
        "endDateTime": _iso(end),
    }


def request_json(request: dict[str, Any]) -> dict[str, Any]:
    return {"id": request["id"], "action": request["action"], "status": request["status"],
            "createdDateTime": _iso(request["created"]), "lastModifiedDateTime": _iso(request["modified"])}


def _get(world: World, call: Call, rel_id: str) -> GdapRelationship:
    rel = _relationships(tenant_of(world, call.tenant_id)).get(rel_id)
    if rel is None:
        raise errors.not_found(rel_id)
    _refresh(world, rel)
    return rel


def list_relationships(world: World, call: Call) -> Answer:
    with world.lock:
        rels = list(_relationships(tenant_of(world, call.tenant_id)).values())
        for rel in rels:
            _refresh(world, rel)
        items = [relationship_json(rel) for rel in sorted(rels, key=lambda r: r.created)]
    return filtered(call, items, FILTERS, RESOURCE)


def get_relationship(world: World, call: Call, rel: str) -> Answer:
    with world.lock:
        item = relationship_json(_get(world, call, rel))
    names = query.select_names(call.query)
    return entity(call, COLLECTION, query.select(item, names, tuple(item), "delegatedAdminRelationship"))


def _validated(body: dict[str, Any]) -> tuple[str, str, str, dict[str, Any], list[str]]:
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise errors.required("displayName", RESOURCE)
    if len(name) > MAX_NAME:
        raise errors.bad_request(f"The displayName must be {MAX_NAME} characters or fewer.", target="displayName")
    duration = body.get("duration")
    if not isinstance(duration, str) or not 1 <= _days(duration) <= 730:
        raise errors.bad_request("The duration must be an ISO 8601 duration between P1D and P2Y.", target="duration")
    extend = body.get("autoExtendDuration") or "PT0S"
    if extend not in AUTO_EXTEND:
        raise errors.bad_request("The autoExtendDuration must be PT0S, P0D or P180D.", target="autoExtendDuration")
    customer = body.get("customer") or {}
    if not isinstance(customer, dict) or (customer.get("tenantId") and not _GUID.match(str(customer["tenantId"]))):
        raise errors.invalid_value("customer", RESOURCE)
    access = body.get("accessDetails")
    roles = access.get("unifiedRoles") if isinstance(access, dict) else None
    if not isinstance(roles, list) or not roles:
        raise errors.required("accessDetails", RESOURCE)
    role_ids = [str(r.get("roleDefinitionId", "")).lower() if isinstance(r, dict) else "" for r in roles]
    if not all(_GUID.match(r) for r in role_ids):
        raise errors.invalid_value("accessDetails", RESOURCE)
    if GLOBAL_ADMIN in role_ids and extend == "P180D":
        raise errors.bad_request("Relationships that include the Global Administrator role cannot be auto-extended.",
                                 target="autoExtendDuration")
    return name, duration, extend, customer, list(dict.fromkeys(role_ids))


def create_relationship(world: World, call: Call) -> Answer:
    name, duration, extend, customer, role_ids = _validated(json_body(call, annotations=False))
    with world.lock:
        rels = _relationships(tenant_of(world, call.tenant_id))
        if any(r.display_name.lower() == name.lower() for r in rels.values()):
            raise errors.bad_request(f"A relationship with the display name '{name}' already exists.",
                                     target="displayName")
        customer_id = str(customer.get("tenantId") or "").lower()
        rel = GdapRelationship(id=f"{uuid.uuid4()}-{customer_id or uuid.uuid4()}", display_name=name,
                               customer_tenant_id=customer_id, role_ids=role_ids, duration=duration,
                               customer_display_name=str(customer.get("displayName") or ""),
                               auto_extend_duration=extend)
        rels[rel.id] = rel
        return entity(call, COLLECTION, relationship_json(rel), 201)


def list_requests(world: World, call: Call, rel: str) -> Answer:
    with world.lock:
        items = [request_json(r) for r in _get(world, call, rel).requests]
    return Answer(200, {"@odata.context": f"{call.base_url}/$metadata#{COLLECTION}('{rel}')/requests",
                        "value": items})


def create_request(world: World, call: Call, rel: str) -> Answer:
    action = json_body(call, annotations=False).get("action")
    with world.lock:
        found = _get(world, call, rel)
        allowed = {"lockForApproval": "created", "terminate": "active"}
        if action not in allowed:
            raise errors.invalid_value("action", "DelegatedAdminRelationshipRequest")
        if found.status != allowed[action]:
            raise errors.bad_request(f"The action {action} is not allowed on a relationship in status "
                                     f"{found.status}.", target="action")
        now = time.time()
        if action == "lockForApproval":
            if not found.customer_tenant_id or found.customer_tenant_id not in world.tenants:
                raise errors.bad_request("The relationship has no known customer tenant.", target="customer")
            found.status, found.locked_at = "approvalPending", now
        else:
            found.status = "terminated"
        found.modified = now
        request = {"id": str(uuid.uuid4()), "action": action, "status": "created", "created": now, "modified": now}
        found.requests.append(request)
        return entity(call, f"{COLLECTION}('{rel}')/requests", request_json(request), 201)


ROUTES = routes([
    ("GET", f"/{COLLECTION}", list_relationships),
    ("POST", f"/{COLLECTION}", create_relationship),
    ("GET", f"/{COLLECTION}/{{rel}}", get_relationship),
    ("GET", f"/{COLLECTION}/{{rel}}/requests", list_requests),
    ("POST", f"/{COLLECTION}/{{rel}}/requests", create_request),
])


def dispatcher(fallback: Handler) -> Handler:
    return dispatcher_for(ROUTES, fallback)
