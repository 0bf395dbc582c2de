"""DNS record bodies as the Cloudflare API accepts them: names (punycode FQDNs), content per type, priority, TTL,
proxying, comment and tags, and the conflicts it refuses (a CNAME next to other data, identical records)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from sandbox.cloudflare import errors
from sandbox.cloudflare.models import PROXIABLE, CfRecord, CfZone
from sandbox.cloudflare.txt import normalize_txt, txt_text

SUPPORTED_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT")
# A label as Cloudflare takes it in names and targets: letters, digits, hyphen and underscore (service labels such
# as `_dmarc`); anything else (spaces, `!`, `@` inside a name) is refused before it reaches BIND.
LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def is_number(value: Any) -> bool:
    """A JSON number: `"300"` and `true` are not (Python's bool is an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def valid_labels(name: str, *, wildcard: bool = False) -> bool:
    """Every label a hostname label (a leading `*` allowed for record names); at most 253 characters."""
    labels = name.split(".")
    if wildcard and labels[0] == "*":
        labels = labels[1:]
    return 0 < len(name) <= 253 and all(LABEL_RE.match(label) for label in labels)


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


ZONE_NAME_RE = re.compile(r"^([a-z0-9][-a-z0-9]*\.)+[-a-z0-9]{2,20}$")  # `zones_name` of the OpenAPI description


def zone_name(raw: Any) -> str:
    """The punycode zone name, or 400 before BIND sees it. The reference gives the pattern but no error code: 1097
    is the double's own choice (unconfirmed) for a name that is not a registrable hostname."""
    name = idna(raw) if isinstance(raw, str) else ""
    if len(name) > 253 or not ZONE_NAME_RE.match(name) or not valid_labels(name) or "_" in name:
        raise errors.CfError(400, 1097, "Zone name is invalid")
    return name


def record_name(raw: Any, zone: str) -> str:
    if not isinstance(raw, str):
        raise errors.validation("DNS record name is required", 9005)
    name = idna(raw)
    if name in ("", "@"):
        return zone
    if name != zone and not name.endswith("." + zone):
        name = f"{name}.{zone}"  # Cloudflare treats names outside the zone as relative
    if not valid_labels(name, wildcard=True):
        raise errors.validation(f"Invalid DNS record name: {name}", 9005)
    return name


def _hostname(value: str, what: str) -> str:
    host = idna(value)
    if not valid_labels(host):
        raise errors.validation(f"Content for {what} record is invalid.", 9007)
    return host


def _ip(content: str, rtype: str) -> str:
    kind, family = (ipaddress.IPv4Address, "IPv4") if rtype == "A" else (ipaddress.IPv6Address, "IPv6")
    try:
        return str(kind(content.strip()))
    except ValueError:
        raise errors.validation(f"Content for {rtype} record must be a valid {family} address.", 9005) from None


def _content(rtype: str, content: str, messages: list[dict[str, Any]]) -> str:
    """The stored form of a record's content (validated per type); TXT warnings go to `messages`."""
    if rtype in ("A", "AAAA"):
        return _ip(content, rtype)
    if rtype in ("CNAME", "NS"):
        return _hostname(content, rtype)
    if rtype == "MX":
        return _hostname(content, "MX") if content.strip() != "." else "."
    if rtype == "TXT":
        content, warning = normalize_txt(content)
        if warning:
            messages.append({"code": 1000, "message": warning})
    return content


def _priority(rtype: str, priority: Any) -> int | None:
    if rtype != "MX":
        return None
    if priority is None:
        raise errors.validation("MX records require a priority.", 9100)
    if not is_number(priority):
        raise errors.dns_validation(9100, "Invalid 'priority' value, must be a number")
    if priority != int(priority) or not 0 <= priority <= 65535:
        raise errors.validation("priority must be an integer between 0 and 65535", 9100)
    return int(priority)


def _ttl(data: dict[str, Any]) -> int:
    """A JSON number: 1 (automatic) or 60..86400 (30 is Enterprise-only; the sandbox's zones are Free)."""
    ttl = data.get("ttl", 1)
    if not is_number(ttl):
        raise errors.dns_validation(9021, "Invalid 'ttl' value, must be a number")
    if ttl != int(ttl) or (ttl != 1 and not 60 <= ttl <= 86400):
        raise errors.validation("Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.", 9021)
    return int(ttl)


def _proxied(data: dict[str, Any]) -> bool:
    proxied = data.get("proxied")
    if proxied is None:
        return False
    if not isinstance(proxied, bool):  # "false" is not false, and not true either
        raise errors.dns_validation(9003, "Invalid 'proxied' value, must be a boolean")
    return proxied


def _labels(data: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The record's comment and tags."""
    comment = data.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 500):
        raise errors.validation("comment must be a string of at most 500 characters", 9014)
    tags = data.get("tags")
    tags = [] if tags is None else tags
    if not isinstance(tags, list) or not all(isinstance(t, str) and ":" in t for t in tags):
        raise errors.validation("tags must be a list of 'name:value' strings", 9015)
    return comment or None, list(tags)


def normalize(zone: CfZone, data: dict[str, Any]) -> tuple[CfRecord, list[dict[str, Any]]]:
    """Validate a full record body; return the record (id unset) and any warning `messages`."""
    rtype = data.get("type")
    rtype = rtype.upper() if isinstance(rtype, str) else ""
    if rtype not in SUPPORTED_TYPES:
        supported = ", ".join(SUPPORTED_TYPES)
        raise errors.validation(f"Invalid or unsupported DNS record type '{rtype}' (sandbox: {supported})", 9000)
    name = record_name(data.get("name"), zone.name)
    content = data.get("content")
    if not isinstance(content, str) or content == "":
        raise errors.validation("Content is required", 9007)
    messages: list[dict[str, Any]] = []
    content = _content(rtype, content, messages)
    priority = _priority(rtype, data.get("priority"))
    ttl = _ttl(data)
    proxied = _proxied(data)
    if proxied and rtype not in PROXIABLE:
        raise errors.validation(f"{rtype} records cannot be proxied.", 9004)
    comment, tags = _labels(data)
    record = CfRecord(id="", zone_id=zone.id, name=name, type=rtype, content=content, ttl=ttl, proxied=proxied,
                      priority=priority, comment=comment, tags=tags)
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
