"""The resolvers a health run asks for names coldfleet does not serve (Microsoft's SPF include, DKIM key targets,
report authorisations, blocklists), built from settings so a local world can stand in for the public DNS.

Our own records are read at the zone's authoritative servers (`providers.clients.dns.authoritative_query`), never
here: a cache could hide a change made a minute ago. Third-party names are read as a receiver reads them: through a
recursive resolver (`Settings.dns_resolver`; blocklists: `Settings.blocklist_resolver`, since Spamhaus and URIBL
refuse queries from public resolvers).
"""

from __future__ import annotations

import ipaddress

import dns.exception
import dns.resolver

from providers.clients.dns.authoritative import parse_server
from providers.config import Settings

LIFETIME_S = 5.0


class ResolverError(ValueError):
    """A resolver setting names something that is not host:port."""


def resolver_for(hostport: str | None, *, lifetime: float = LIFETIME_S) -> dns.resolver.Resolver:
    """A stub resolver asking `hostport` (an address, or a name resolved once by the system), else the system's."""
    if not hostport:
        resolver = dns.resolver.Resolver()
    else:
        host, port = parse_server(hostport)
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [_address(host)]
        resolver.port = port
    resolver.lifetime = lifetime
    resolver.timeout = min(2.0, lifetime)
    return resolver


def _address(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return str(dns.resolver.resolve(host, "A")[0])
    except (dns.exception.DNSException, IndexError):
        raise ResolverError(f"resolver host {host!r} has no address") from None


def dns_resolver(settings: Settings) -> dns.resolver.Resolver:
    return resolver_for(settings.dns_resolver)


def blocklist_server(settings: Settings) -> tuple[str | None, int]:
    """(address, port) for providers.clients.blocklists.check; (None, 53): the system's resolvers."""
    hostport = settings.blocklist_resolver or settings.dns_resolver
    if not hostport:
        return None, 53
    host, port = parse_server(hostport)
    return _address(host), port
