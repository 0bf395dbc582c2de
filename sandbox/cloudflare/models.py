"""State and rules of the Cloudflare double: zones and DNS records, mirrored to BIND RRset by RRset.

Cloudflare's own state (zones, records with comments and tags) lives on the shared World (`world.cloudflare`);
after every change the full RRset of each touched name+type is written to BIND, so the sandbox's authoritative
server answers what Cloudflare would serve.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from sandbox.cloudflare import errors
from sandbox.cloudflare.txt import txt_text
from sandbox.namecom.models import registered_nameservers
from sandbox.persist import double_state
from sandbox.world import Dns, World

log = logging.getLogger(__name__)

PROXIABLE = ("A", "AAAA", "CNAME")
AUTO_TTL = 300  # what ttl=1 ("automatic") serves as


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class CfRecord:
    id: str
    zone_id: str
    name: str  # FQDN, lowercase punycode, no trailing dot
    type: str
    content: str
    ttl: int = 1
    proxied: bool = False
    priority: int | None = None
    comment: str | None = None
    tags: list[str] = field(default_factory=list)
    created_on: str = field(default_factory=now)
    modified_on: str = field(default_factory=now)

    def bind_value(self) -> str:
        """The value in the `Dns` protocol's format (TXT full text, MX "<pref> <exchange>")."""
        if self.type == "TXT":
            return txt_text(self.content)
        if self.type == "MX":
            return f"{self.priority} {self.content}"
        return self.content


@dataclass
class CfZone:
    id: str
    name: str
    account_id: str
    name_servers: list[str]
    original_name_servers: list[str] | None = None
    type: str = "full"
    activated_on: str | None = None
    created_on: str = field(default_factory=now)
    modified_on: str = field(default_factory=now)
    records: dict[str, CfRecord] = field(default_factory=dict)


@dataclass
class CloudflareState:
    zones: dict[str, CfZone] = field(default_factory=dict)


def state(world: World) -> CloudflareState:
    return double_state(world, "cloudflare", CloudflareState)


def credentials(world: World) -> dict[str, str]:
    return dict(getattr(world, "credentials", None) or {})


def rrset(records: dict[str, CfRecord], name: str, rtype: str) -> tuple[int, list[str]]:
    """TTL and values that BIND should serve for one name+type."""
    members = [r for r in records.values() if r.name == name and r.type == rtype]
    ttl = min((r.ttl if r.ttl != 1 else AUTO_TTL) for r in members) if members else AUTO_TTL
    return ttl, [r.bind_value() for r in members]


def push(dns: Dns, zone: CfZone, before: dict[str, CfRecord], after: dict[str, CfRecord],
         keys: set[tuple[str, str]]) -> None:
    """Write the RRsets `keys` to BIND as `after` has them; on failure restore what was written from `before`."""
    done: list[tuple[str, str]] = []
    try:
        for name, rtype in sorted(keys, key=lambda k: (k[0], k[1] != "CNAME")):
            ttl, values = rrset(after, name, rtype)
            if values:
                dns.replace_rrset(zone.name, name, rtype, ttl, values)
            else:
                dns.delete_rrset(zone.name, name, rtype)
            done.append((name, rtype))
    except Exception as exc:  # BIND refused: keep Cloudflare's state and BIND consistent
        log.warning("cloudflare double: BIND rejected %s in %s: %s", keys, zone.name, exc)
        for name, rtype in done:
            ttl, values = rrset(before, name, rtype)
            try:
                if values:
                    dns.replace_rrset(zone.name, name, rtype, ttl, values)
                else:
                    dns.delete_rrset(zone.name, name, rtype)
            except Exception:  # best effort
                log.exception("cloudflare double: could not restore %s %s", name, rtype)
        raise errors.CfError(500, 1002, f"sandbox: the authoritative server rejected the change: {exc}") from None


def zone_status(world: World, zone: CfZone) -> str:
    """`pending` until the domain is delegated to the zone's nameservers, `active` from the first match on, as
    Cloudflare keeps a new full zone. A domain the sandbox registrar does not hold has no delegation the sandbox can
    see: it stays pending until `PUT /zones/{id}/activation_check` (see `CloudflareBackend.activation_check`)."""
    if zone.activated_on:
        return "active"
    delegated = registered_nameservers(world, zone.name)
    if delegated is not None and {n.lower().rstrip(".") for n in delegated} == set(zone.name_servers):
        zone.activated_on = now()
        return "active"
    return "pending"


def zone_json(world: World, zone: CfZone) -> dict[str, Any]:
    status = zone_status(world, zone)
    return {
        "id": zone.id,
        "name": zone.name,
        "status": status,
        "paused": False,
        "type": zone.type,
        "development_mode": 0,
        "name_servers": list(zone.name_servers),
        "original_name_servers": zone.original_name_servers,
        "original_registrar": None,
        "original_dnshost": None,
        "created_on": zone.created_on,
        "modified_on": zone.modified_on,
        "activated_on": zone.activated_on,
        "meta": {"step": 2 if status == "active" else 4, "custom_certificate_quota": 0, "page_rule_quota": 3,
                 "phishing_detected": False},
        "owner": {"id": None, "type": "user", "email": None},
        "account": {"id": zone.account_id, "name": "coldfleet sandbox"},
        "tenant": {"id": None, "name": None},
        "tenant_unit": {"id": None},
        "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
        "plan": {"id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website", "price": 0, "currency": "USD",
                 "frequency": "", "is_subscribed": False, "can_subscribe": False, "legacy_id": "free",
                 "legacy_discount": False, "externally_managed": False},
    }


def record_json(zone: CfZone, record: CfRecord) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": record.id,
        "zone_id": zone.id,
        "zone_name": zone.name,
        "name": record.name,
        "type": record.type,
        "content": record.content,
        "proxiable": record.type in PROXIABLE,
        "proxied": record.proxied,
        "ttl": record.ttl,
        "settings": {},
        "meta": {"auto_added": False, "managed_by_apps": False, "managed_by_argo_tunnel": False},
        "comment": record.comment,
        "tags": list(record.tags),
        "created_on": record.created_on,
        "modified_on": record.modified_on,
    }
    if record.type == "MX":
        body["priority"] = record.priority
    return body
