"""DNS behind one interface (`DnsBackend`: the Cloudflare API or RFC 2136 + TSIG), and the authoritative checks
every write ends with. A second DNS provider is one module beside `cloudflare.py`, named in `backend_for`."""

from providers.clients.dns.authoritative import (
    RRsets,
    authoritative_query,
    authoritative_servers,
    authoritative_zone,
    wait_for_rrset,
)
from providers.clients.dns.base import DnsBackend, ZoneInfo, canonical, canonical_set, fqdn, join_txt, split_txt
from providers.clients.dns.cloudflare import CloudflareDns
from providers.clients.dns.rfc2136 import Rfc2136Dns
from providers.clients.errors import BadRequest
from providers.config import Settings

__all__ = ["CloudflareDns", "DnsBackend", "RRsets", "Rfc2136Dns", "ZoneInfo", "authoritative_query",
           "authoritative_servers", "authoritative_zone",
           "backend_for", "canonical", "canonical_set", "fqdn", "join_txt", "split_txt", "wait_for_rrset"]


def backend_for(settings: Settings, kind: str) -> DnsBackend:
    """"cloudflare" (API token, account id) or "rfc2136" (server + TSIG key)."""
    if kind == "cloudflare":
        return CloudflareDns(settings)
    if kind == "rfc2136":
        return Rfc2136Dns(settings)
    raise BadRequest(f"unknown DNS backend {kind!r} (cloudflare | rfc2136)", api="dns")
