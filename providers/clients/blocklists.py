"""Domain blocklists (Spamhaus DBL, SURBL, URIBL) read over DNS, canary first.

Why canary first: a list that refuses our resolver (public resolvers, excessive queries) answers NXDOMAIN or an
error code for everything, which would read as "clean". Each list's documented test entry must be listed before a
domain's NXDOMAIN counts as clean; otherwise the answer is `unknown`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dns.exception
import dns.resolver

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Blocklist:
    """One list: its zone, its documented always-listed test name, and the answers that mean an error, not a listing."""

    zone: str
    canary: str
    errors: dict[str, str]


DEFAULT_LISTS = (
    Blocklist(
        "dbl.spamhaus.org",
        "dbltest.com",
        {
            "127.255.255.252": "typing error in the query",
            "127.255.255.254": "query through a public resolver",
            "127.255.255.255": "excessive number of queries",
        },
    ),
    Blocklist("multi.surbl.org", "test.surbl.org", {"127.0.0.1": "query refused"}),
    Blocklist("multi.uribl.com", "test.uribl.com", {"127.0.0.1": "query refused (public resolver or excessive)"}),
)


@dataclass(frozen=True)
class Answer:
    """`state` is listed | clean | unknown; `detail` says which code or why the list could not answer."""

    state: str
    detail: str = ""


def classify(blocklist: Blocklist, addresses: list[str]) -> Answer:
    """Read one list's A answers for a name (an empty list = NXDOMAIN)."""
    if not addresses:
        return Answer("clean")
    errors = [blocklist.errors[a] for a in addresses if a in blocklist.errors]
    if errors:
        return Answer("unknown", f"{blocklist.zone}: {errors[0]}")
    return Answer("listed", f"{blocklist.zone} returned {', '.join(sorted(addresses))}")


def _query(resolver: dns.resolver.Resolver, name: str) -> list[str] | None:
    try:
        return [r.to_text() for r in resolver.resolve(name, "A")]
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        log.info("blocklist query %s failed: %s", name, type(exc).__name__)
        return None


def check(domain: str, blocklist: Blocklist, nameserver: str | None = None, port: int = 53) -> Answer:
    """Ask the list about `domain`, after making sure the list answers its canary as listed."""
    resolver = dns.resolver.Resolver(configure=nameserver is None)
    if nameserver is not None:
        resolver.nameservers = [nameserver]
        resolver.port = port
    resolver.lifetime = 5.0
    canary = _query(resolver, f"{blocklist.canary}.{blocklist.zone}")
    if canary is None:
        return Answer("unknown", f"{blocklist.zone}: no answer")
    seen = classify(blocklist, canary)
    if seen.state != "listed":
        why = seen.detail or "NXDOMAIN"
        return Answer("unknown", f"{blocklist.zone}: canary {blocklist.canary} not listed ({why})")
    answer = _query(resolver, f"{domain}.{blocklist.zone}")
    if answer is None:
        return Answer("unknown", f"{blocklist.zone}: no answer")
    return classify(blocklist, answer)
