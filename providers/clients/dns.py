"""DNS behind one interface (Cloudflare API or RFC 2136 + TSIG), and the authoritative checks every write ends with.

Value formats, both ways and everywhere: TXT = the full text (split into / joined from 255-byte strings here),
MX = "<preference> <exchange>", CNAME/NS = "<target>"; names are lowercase FQDNs without the trailing dot.
`authoritative_query` asks the zone's authoritative servers directly (never a recursive cache), so "visible" means
what Microsoft's verifiers will see once caches expire.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset

from providers.clients.errors import BadRequest, NotReady, ServerError
from providers.config import Settings

if TYPE_CHECKING:  # the backends import this module; at run time they come through __getattr__
    from providers.clients.dns_cloudflare import CloudflareDns
    from providers.clients.dns_rfc2136 import Rfc2136Dns

__all__ = ["CloudflareDns", "DnsBackend", "Rfc2136Dns", "ZoneInfo", "authoritative_query", "backend_for",
           "wait_for_rrset"]

log = logging.getLogger(__name__)

RDTYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT")
QUERY_TIMEOUT_S = 5.0


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


# -- talking to authoritative servers ------------------------------------------------------------------------------
def parse_server(hostport: str) -> tuple[str, int]:
    host, sep, port = hostport.rpartition(":")
    if not sep or not host:
        return hostport, 53
    return host.strip("[]"), int(port)


def _addresses(host: str) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    out: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            out += [rr.to_text() for rr in dns.resolver.resolve(host, rdtype)]
        except dns.exception.DNSException:
            continue
    return out


def authoritative_servers(settings: Settings, zone: str,
                          nameservers: Sequence[str] | None = None) -> list[tuple[str, int]]:
    """settings.authoritative_server when set, else the addresses of the zone's NS names (given or resolved)."""
    if settings.authoritative_server:
        return [parse_server(settings.authoritative_server)]
    names = list(nameservers or [])
    if not names:
        try:
            names = [rr.target.to_text() for rr in dns.resolver.resolve(fqdn(zone), "NS")]
        except dns.exception.DNSException as exc:
            raise NotReady(f"cannot find the nameservers of {zone}: {type(exc).__name__}", api="dns") from None
    servers = [(addr, 53) for name in names for addr in _addresses(name)]
    if not servers:
        raise NotReady(f"none of the nameservers of {zone} ({', '.join(names)}) resolves to an address", api="dns")
    return servers


def query_server(server: tuple[str, int], name: str, rdtype: str, timeout: float = QUERY_TIMEOUT_S) -> list[str]:
    """One non-recursive query over TCP; [] for NXDOMAIN or no data of that type at the name."""
    qname = dns.name.from_text(fqdn(name) + ".")
    rtype = dns.rdatatype.from_text(rdtype)
    msg = dns.message.make_query(qname, rtype)
    msg.flags &= ~dns.flags.RD
    host, port = server
    try:
        resp = dns.query.tcp(msg, host, port=port, timeout=timeout)
    except dns.exception.Timeout:
        raise ServerError(f"no answer from {host}:{port} for {name} {rdtype}", api="dns") from None
    except (OSError, dns.exception.DNSException) as exc:
        raise ServerError(f"query to {host}:{port} failed: {type(exc).__name__}", api="dns") from None
    rcode = resp.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return []
    if rcode != dns.rcode.NOERROR:
        raise ServerError(f"{host}:{port} answered {dns.rcode.to_text(rcode)} for {name} {rdtype}", api="dns",
                          code=dns.rcode.to_text(rcode))
    for rrset in resp.answer:
        if rrset.name == qname and rrset.rdtype == rtype:
            return rrset_values(rrset)
    return []


def authoritative_query(settings: Settings, zone: str, name: str, rdtype: str, *,
                        nameservers: Sequence[str] | None = None) -> list[str]:
    """What the first reachable authoritative server of `zone` answers for name/rdtype."""
    rtype = check_rdtype(rdtype)
    last: ServerError | None = None
    for server in authoritative_servers(settings, zone, nameservers):
        try:
            return query_server(server, owner(zone, name), rtype)
        except ServerError as exc:
            last = exc
    assert last is not None
    raise last


def wait_for_rrset(settings: Settings, zone: str, name: str, rdtype: str, expected: list[str],
                   timeout: float | None = None, *, nameservers: Sequence[str] | None = None) -> None:
    """Poll every authoritative server until all answer exactly `expected` (as a set); NotReady on timeout."""
    rtype = check_rdtype(rdtype)
    full = owner(zone, name)
    want = canonical_set(rtype, expected)
    limit = settings.poll_timeout_s if timeout is None else timeout
    deadline = time.monotonic() + limit
    last = "no answer yet"
    while True:
        try:
            servers = authoritative_servers(settings, zone, nameservers)
            answers = {f"{h}:{p}": canonical_set(rtype, query_server((h, p), full, rtype)) for h, p in servers}
            if all(got == want for got in answers.values()):
                return
            last = "; ".join(f"{srv} answers {got}" for srv, got in answers.items() if got != want)
        except (ServerError, NotReady) as exc:
            last = str(exc)
        if time.monotonic() + settings.poll_interval_s > deadline:
            raise NotReady(f"{full} {rtype} is not {want} at the authoritative servers after {limit:g}s: {last}",
                           api="dns")
        time.sleep(settings.poll_interval_s)


def backend_for(settings: Settings, kind: str) -> DnsBackend:
    """"cloudflare" (API token, account id) or "rfc2136" (server + TSIG key)."""
    if kind == "cloudflare":
        from providers.clients.dns_cloudflare import CloudflareDns

        return CloudflareDns(settings)
    if kind == "rfc2136":
        from providers.clients.dns_rfc2136 import Rfc2136Dns

        return Rfc2136Dns(settings)
    raise BadRequest(f"unknown DNS backend {kind!r} (cloudflare | rfc2136)", api="dns")


def __getattr__(name: str) -> object:
    """`from providers.clients.dns import CloudflareDns, Rfc2136Dns` without an import cycle."""
    if name == "CloudflareDns":
        from providers.clients.dns_cloudflare import CloudflareDns

        return CloudflareDns
    if name == "Rfc2136Dns":
        from providers.clients.dns_rfc2136 import Rfc2136Dns

        return Rfc2136Dns
    raise AttributeError(name)
