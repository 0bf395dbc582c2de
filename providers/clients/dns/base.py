"""What every DNS backend shares: the zone view, the `DnsBackend` interface, and one format for names and values.

Value formats, both ways and everywhere: TXT = the full text (split into / joined from 255-byte strings here),
MX = "<preference> <exchange>", CNAME/NS = "<target>"; names are lowercase FQDNs without the trailing dot.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import dns.rdatatype
import dns.rrset

from providers.clients.errors import BadRequest

RDTYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT")


@dataclass(frozen=True)
class ZoneInfo:
    zone: str
    zone_id: str
    nameservers: tuple[str, ...]
    status: str


class DnsBackend(Protocol):
    def find_zone(self, zone: str) -> ZoneInfo | None: ...
    def ensure_zone(self, zone: str) -> ZoneInfo: ...
    def delete_zone(self, zone: str) -> None: ...
    def get_rrset(self, zone: str, name: str, rdtype: str) -> list[str]: ...
    def set_rrset(self, zone: str, name: str, rdtype: str, values: list[str], ttl: int = 3600, *,
                  adopt: bool = False, rewrite: bool = False) -> None:
        """Replace the RRset. Backends with ownership markers refuse foreign records unless `adopt`.

        `rewrite`: send values the backend's own view already holds again (the authoritative answer drifted).
        """
        ...

    def delete_rrset(self, zone: str, name: str, rdtype: str, *, adopt: bool = False) -> None: ...
    def close(self) -> None: ...


# -- names and values ----------------------------------------------------------------------------------------------
def fqdn(name: str) -> str:
    """Lowercase punycode without the trailing dot (`_dmarc`, `*` and other non-host labels pass through)."""
    labels = name.strip().rstrip(".").lower().split(".")
    try:
        return ".".join(label if label.isascii() else label.encode("idna").decode("ascii") for label in labels)
    except UnicodeError:
        raise BadRequest(f"invalid DNS name {name!r}", api="dns") from None


def owner(zone: str, name: str) -> str:
    """The record's FQDN; it must be the zone or inside it (relative names are refused: no silent double suffix)."""
    zone, full = fqdn(zone), fqdn(name)
    if full in ("", "@"):
        return zone
    if full != zone and not full.endswith("." + zone):
        raise BadRequest(f"{name!r} is not inside the zone {zone!r}", api="dns")
    return full


def check_rdtype(rdtype: str) -> str:
    rtype = rdtype.upper()
    if rtype not in RDTYPES:
        raise BadRequest(f"unsupported record type {rdtype!r} (supported: {', '.join(RDTYPES)})", api="dns")
    return rtype


def canonical(rdtype: str, value: str) -> str:
    """One value in the common format, normalised so that values from any source compare equal."""
    rtype = rdtype.upper()
    try:
        if rtype == "A":
            return str(ipaddress.IPv4Address(value.strip()))
        if rtype == "AAAA":
            return str(ipaddress.IPv6Address(value.strip()))
        if rtype in ("CNAME", "NS"):
            return fqdn(value)
        if rtype == "MX":
            pref, exchange = value.split()
            return f"{int(pref)} {fqdn(exchange) or '.'}"
    except ValueError:
        raise BadRequest(f"invalid {rtype} value {value!r}", api="dns") from None
    return value


def canonical_set(rdtype: str, values: Sequence[str]) -> list[str]:
    return sorted(dict.fromkeys(canonical(rdtype, v) for v in values))


def split_txt(text: str) -> list[bytes]:
    """≤ 255-byte character strings, cut on UTF-8 character boundaries (the joined bytes are unchanged)."""
    out: list[bytes] = []
    current = b""
    for char in text:
        enc = char.encode("utf-8")
        if len(current) + len(enc) > 255:
            out.append(current)
            current = b""
        current += enc
    out.append(current)
    return out


def join_txt(strings: Sequence[bytes]) -> str:
    return b"".join(strings).decode("utf-8", errors="replace")


def rrset_values(rrset: dns.rrset.RRset) -> list[str]:
    out: list[str] = []
    for rr in rrset:
        if rrset.rdtype == dns.rdatatype.TXT:
            out.append(join_txt(rr.strings))
        elif rrset.rdtype == dns.rdatatype.MX:
            out.append(f"{rr.preference} {rr.exchange.to_text(omit_final_dot=True).lower() or '.'}")
        elif rrset.rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS):
            out.append(rr.target.to_text(omit_final_dot=True).lower())
        else:
            out.append(rr.to_text())
    return out
