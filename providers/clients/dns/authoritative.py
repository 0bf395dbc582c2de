"""The authoritative checks every DNS write ends with, and the zone listing reads use.

`authoritative_query` asks the zone's authoritative servers directly (never a recursive cache), so "visible" means
what Microsoft's verifiers will see once caches expire. `authoritative_zone` lists the whole zone from the same
server in one zone transfer (AXFR, TSIG-signed when that server is our RFC 2136 primary), so a refresh reads a zone
in one round trip instead of one per name; it answers None when the server refuses transfers (Cloudflare's and most
public servers do) or the zone holds what a listing cannot answer as a query would (wildcards, delegations, DNAME),
and the caller then asks name by name.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset
import dns.tsigkeyring
import dns.xfr

from providers.clients.dns.base import canonical_set, check_rdtype, fqdn, owner, rrset_values
from providers.clients.errors import NotReady, ServerError
from providers.config import Settings

QUERY_TIMEOUT_S = 5.0
XFR_TIMEOUT_S = 10.0
RRsets = dict[tuple[str, str], list[str]]  # (owner FQDN, type) -> values, as query_server formats them


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


def _xfr_tsig(settings: Settings, server: tuple[str, int]) -> dict[str, Any]:
    """TSIG arguments for a transfer from our RFC 2136 primary (its key); none for any other server."""
    if not (settings.rfc2136_server and settings.tsig_key_name and settings.tsig_secret):
        return {}
    if parse_server(settings.rfc2136_server) != server:
        return {}
    try:
        keyring = dns.tsigkeyring.from_text({settings.tsig_key_name: (settings.tsig_algorithm, settings.tsig_secret)})
    except (ValueError, dns.exception.DNSException):
        return {}
    return {"keyring": keyring, "keyname": settings.tsig_key_name, "keyalgorithm": settings.tsig_algorithm}


def _listable(zone: str, rrsets: list[dns.rrset.RRset]) -> bool:
    """Whether a lookup in the transfer answers as a non-recursive query would."""
    for rrset in rrsets:
        name = rrset.name.to_text(omit_final_dot=True).lower()
        if name.startswith("*.") or rrset.rdtype == dns.rdatatype.DNAME:
            return False
        if rrset.rdtype == dns.rdatatype.NS and name != zone:
            return False
    return True


def transfer(settings: Settings, zone: str, server: tuple[str, int]) -> RRsets | None:
    """One AXFR of `zone` from `server`: every RRset but the SOA; None when refused or it fails."""
    zone = fqdn(zone)
    host, port = server
    rrsets: list[dns.rrset.RRset] = []
    try:
        for message in dns.query.xfr(host, zone + ".", port=port, lifetime=XFR_TIMEOUT_S, relativize=False,
                                     **_xfr_tsig(settings, server)):
            rrsets.extend(message.answer)
    except (dns.xfr.TransferError, dns.exception.DNSException, OSError, EOFError, ValueError):
        return None
    if not rrsets or not _listable(zone, rrsets):
        return None
    out: RRsets = {}
    for rrset in rrsets:
        if rrset.rdtype == dns.rdatatype.SOA:
            continue
        key = (rrset.name.to_text(omit_final_dot=True).lower(), dns.rdatatype.to_text(rrset.rdtype))
        out.setdefault(key, []).extend(rrset_values(rrset))
    return out


def authoritative_zone(settings: Settings, zone: str, *,
                       nameservers: Sequence[str] | None = None) -> RRsets | None:
    """The zone as the first authoritative server `authoritative_query` would ask transfers it; None: ask by name."""
    try:
        servers = authoritative_servers(settings, zone, nameservers)
    except NotReady:
        return None
    return transfer(settings, zone, servers[0]) if servers else None
