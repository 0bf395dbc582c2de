"""State and rules of the Cloudflare double: zones and DNS records, mirrored to BIND RRset by RRset.

Cloudflare's own state (zones, records with comments and tags) lives on the shared World (`world.cloudflare`);
after every change the full RRset of each touched name+type is written to BIND, so the sandbox's authoritative
server answers what Cloudflare would serve.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from sandbox.cloudflare import errors
from sandbox.cloudflare.txt import normalize_txt, txt_text
from sandbox.world import Dns, World

log = logging.getLogger(__name__)

SUPPORTED_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT")
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
    """The double's state on the world (created on first use, so older pickled worlds keep working)."""
    with world.lock:
        current = getattr(world, "cloudflare", None)
        if not isinstance(current, CloudflareState):
            current = CloudflareState()
            world.cloudflare = current  # type: ignore[attr-defined]
        return current


def credentials(world: World) -> dict[str, str]:
    return dict(getattr(world, "credentials", None) or {})


def idna(name: str) -> str:
    """Lowercase punycode FQDN without trailing dot (labels such as `_dmarc` and `*` pass through)."""
    labels = name.strip().rstrip(".").lower().split(".")
    out = []
    for label in labels:
        if label.isascii():
            out.append(label)
        else:
            try:
                out.append(label.encode("idna").decode("ascii"))
            except UnicodeError:
                raise errors.validation(f"Invalid name: {name}", 9005) from None
    return ".".join(out)


def record_name(raw: Any, zone: str) -> str:
    if not isinstance(raw, str):
        raise errors.validation("DNS record name is required", 9005)
    name = idna(raw)
    if name in ("", "@"):
        return zone
    if name != zone and not name.endswith("." + zone):
        name = f"{name}.{zone}"  # Cloudflare treats names outside the zone as relative
    if len(name) > 253 or any(len(label) == 0 or len(label) > 63 for label in name.split(".")):
        raise errors.validation(f"Invalid DNS record name: {name}", 9005)
    return name


def _hostname(value: str, what: str) -> str:
    host = idna(value)
    if not host or any(len(label) == 0 or len(label) > 63 for label in host.split(".")):
        raise errors.validation(f"Content for {what} record is invalid.", 9007)
    return host


def normalize(zone: CfZone, data: dict[str, Any]) -> tuple[CfRecord, list[dict[str, Any]]]:
    """Validate a full record body; return the record (id unset) and any warning `messages`."""
    rtype = str(data.get("type") or "").upper()
    if rtype not in SUPPORTED_TYPES:
        supported = ", ".join(SUPPORTED_TYPES)
        raise errors.validation(f"Invalid or unsupported DNS record type '{rtype}' (sandbox: {supported})", 9000)
    name = record_name(data.get("name"), zone.name)
    content = data.get("content")
    if not isinstance(content, str) or content == "":
        raise errors.validation("Content is required", 9007)
    messages: list[dict[str, Any]] = []
    priority = data.get("priority")
    if rtype == "A":
        try:
            content = str(ipaddress.IPv4Address(content.strip()))
        except ValueError:
            raise errors.validation("Content for A record must be a valid IPv4 address.", 9005) from None
    elif rtype == "AAAA":
        try:
            content = str(ipaddress.IPv6Address(content.strip()))
        except ValueError:
            raise errors.validation("Content for AAAA record must be a valid IPv6 address.", 9005) from None
    elif rtype in ("CNAME", "NS"):
        content = _hostname(content, rtype)
    elif rtype == "MX":
        content = _hostname(content, "MX") if content.strip() != "." else "."
        if priority is None:
            raise errors.validation("MX records require a priority.", 9100)
    elif rtype == "TXT":
        content, warning = normalize_txt(content)
        if warning:
            messages.append({"code": 1000, "message": warning})
    if rtype == "MX":
        if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 65535:
            raise errors.validation("priority must be an integer between 0 and 65535", 9100)
    else:
        priority = None
    ttl = data.get("ttl", 1)
    if not isinstance(ttl, int) or isinstance(ttl, bool) or (ttl != 1 and not 60 <= ttl <= 86400):
        raise errors.validation("Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.", 9021)
    proxied = bool(data.get("proxied") or False)
    if proxied and rtype not in PROXIABLE:
        raise errors.validation(f"{rtype} records cannot be proxied.", 9004)
    comment = data.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 500):
        raise errors.validation("comment must be a string of at most 500 characters", 9014)
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and ":" in t for t in tags):
        raise errors.validation("tags must be a list of 'name:value' strings", 9015)
    record = CfRecord(id="", zone_id=zone.id, name=name, type=rtype, content=content, ttl=ttl, proxied=proxied,
                      priority=priority, comment=comment or None, tags=list(tags))
    return record, messages


def _same_value(a: CfRecord, b: CfRecord) -> bool:
    if a.type != b.type or a.name != b.name:
        return False
    if a.type == "TXT":
        return txt_text(a.content) == txt_text(b.content)
    return a.content.lower() == b.content.lower() and a.priority == b.priority


def check_conflicts(zone: CfZone, record: CfRecord, exclude: str | None = None) -> None:
    """Cloudflare's rules at one name: a CNAME stands alone, and no two identical records."""
    others = [r for r in zone.records.values() if r.name == record.name and r.id != exclude]
    if record.type == "CNAME" and others:
        raise errors.cname_conflict_new_cname()
    if record.type != "CNAME" and any(r.type == "CNAME" for r in others):
        raise errors.cname_conflict_existing_cname()
    if any(_same_value(r, record) for r in others):
        raise errors.identical_record()


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
    """`pending` while the sandbox registrar delegates the domain elsewhere; `active` from the first match on."""
    if zone.activated_on:
        return "active"
    from sandbox.namecom.models import registered_nameservers

    delegated = registered_nameservers(world, zone.name)
    if delegated is None or {n.lower().rstrip(".") for n in delegated} == set(zone.name_servers):
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
