"""DNS as the authoritative servers serve it, against what coldfleet published, and as a receiver evaluates it.

Every RRset in the domain's `inventory` entry (`records`, what AuthRecords published) is read at the zone's
authoritative servers (`authoritative_query`: `Settings.authoritative_server`, else the zone's NS; never a cache) and
each difference is a `broken` Finding naming it (`up` repairs it). The apex TXT RRset is shared, so only our values
there count (the verification TXT and the one SPF record), as AuthRecords itself reads it. Then: MX must point at
Microsoft's inbound host (`*.mail.protection.outlook.com`, or the newer `*.mx.microsoft`) and that host must resolve;
autodiscover must be a CNAME to autodiscover.outlook.com (Microsoft's "Add DNS records" page for Microsoft 365);
SPF, DMARC and each DKIM selector's key as components.health.mailauth evaluates them. A server that does not answer
is `unknown`, never `ok`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import dns.exception
import dns.resolver

from components.health.context import HealthContext
from components.health.mailauth import dkim_finding, dmarc_findings, spf_findings
from components.health.resolvers import ResolverError, dns_resolver
from components.health.signals import DomainSignals, Finding
from providers.clients.dns import authoritative_query
from providers.clients.errors import ClientError
from providers.config import Settings
from providers.dmarc import is_dmarc, is_spf
from providers.rrsets import same

log = logging.getLogger(__name__)

MICROSOFT_MX = (".mail.protection.outlook.com", ".mx.microsoft")
AUTODISCOVER = "autodiscover.outlook.com"
SELECTORS = ("selector1", "selector2")


class _Served:
    """This run's authoritative answers for one zone, one query per name/type; None (and one `unknown` Finding)
    when the servers cannot answer."""

    def __init__(self, settings: Settings, zone: str, signals: DomainSignals) -> None:
        self.settings, self.zone, self.signals = settings, zone, signals
        self.cache: dict[tuple[str, str], list[str] | None] = {}

    def get(self, name: str, rdtype: str) -> list[str] | None:
        key = (name.lower().rstrip("."), rdtype)
        if key not in self.cache:
            try:
                self.cache[key] = authoritative_query(self.settings, self.zone, key[0], rdtype)
            except ClientError as error:
                self.cache[key] = None
                self.signals.add(Finding(self.zone, "dns", f"record:{key[0]} {rdtype}", "unknown",
                                         f"the authoritative servers did not answer: {error}"))
        return self.cache[key]


def _published(entry: Mapping[str, Any] | None) -> dict[tuple[str, str], list[str]]:
    records = (entry or {}).get("records") or []
    return {(str(r["name"]).lower().rstrip("."), str(r["type"]).upper()): [str(v) for v in r.get("values") or []]
            for r in records if isinstance(r, Mapping) and r.get("name") and r.get("type")}


def _compare(domain: str, published: dict[tuple[str, str], list[str]], served: _Served,
             signals: DomainSignals) -> None:
    differences = 0
    for (name, rdtype), values in sorted(published.items()):
        live = served.get(name, rdtype)
        if live is None:
            continue
        if name == domain and rdtype == "TXT":  # shared RRset: only ours (verification + the SPF record) count
            live = [v for v in live if v in values or is_spf(v)]
        if not same(rdtype, live, values):
            differences += 1
            missing = sorted(set(values) - set(live))
            extra = sorted(set(live) - set(values))
            detail = f"{name} {rdtype} served {live or 'nothing'}, published {values}"
            if missing and extra and len(missing) == len(extra) == 1:
                detail = f"{name} {rdtype} is {extra[0]!r} at the servers, coldfleet published {missing[0]!r}"
            signals.add(Finding(domain, "dns", f"record:{name} {rdtype}", "broken", detail + " (up repairs it)"))
    if not published:
        signals.add(Finding(domain, "dns", "records", "unknown", "no published records in the stack (run up)"))
    elif not differences and all(v is not None for v in served.cache.values()):
        signals.add(Finding(domain, "dns", "records", "ok", f"{len(published)} record sets served as published"))


def _mx(domain: str, served: _Served, resolver: dns.resolver.Resolver | None, signals: DomainSignals) -> None:
    values = served.get(domain, "MX")
    if values is None:
        return
    hosts = [v.split()[-1].rstrip(".").lower() for v in values if v.split()]
    foreign = [h for h in hosts if not h.endswith(MICROSOFT_MX)]
    if not hosts or foreign:
        what = f"points at {', '.join(foreign)}" if foreign else "is missing"
        signals.add(Finding(domain, "dns", "mx", "broken", f"MX {what}, not Microsoft's *{MICROSOFT_MX[0]} host"))
        return
    if resolver is None:
        return
    for host in hosts:
        try:
            resolver.resolve(host, "A", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            signals.add(Finding(domain, "dns", "mx", "broken", f"MX host {host} does not resolve"))
            return
        except dns.exception.DNSException as exc:
            signals.add(Finding(domain, "dns", "mx", "unknown", f"MX host {host}: {type(exc).__name__}"))
            return
    signals.add(Finding(domain, "dns", "mx", "ok", f"MX {', '.join(hosts)}"))


def _autodiscover(domain: str, served: _Served, signals: DomainSignals) -> None:
    values = served.get(f"autodiscover.{domain}", "CNAME")
    if values is None:
        return
    targets = [v.rstrip(".").lower() for v in values]
    if targets == [AUTODISCOVER]:
        signals.add(Finding(domain, "dns", "autodiscover", "ok", f"CNAME {AUTODISCOVER}"))
    else:
        signals.add(Finding(domain, "dns", "autodiscover", "broken",
                            f"autodiscover.{domain} is {targets or 'missing'}, not a CNAME to {AUTODISCOVER}"))


def _guarded(domain: str, check: str, signals: DomainSignals, run: Callable[[], list[Finding]]) -> None:
    """A library's surprise is an `unknown` Finding, never an exception out of the collector."""
    try:
        found = run()
    except Exception as error:  # noqa: BLE001 - the contract: a source that cannot answer is unknown
        log.warning("health %s of %s failed: %s", check, domain, type(error).__name__)
        found = [Finding(domain, "dns", check, "unknown", f"{check} not evaluated: {type(error).__name__}")]
    for finding in found:
        signals.add(finding)


def _dkim(domain: str, selector: str, target: str, resolver: dns.resolver.Resolver) -> list[Finding]:
    return [dkim_finding(domain, selector, target.rstrip(".").lower(), resolver)]


def collect(ctx: HealthContext, signals: DomainSignals) -> None:
    domain = signals.domain.lower()
    served = _Served(ctx.settings, domain, signals)
    _compare(domain, _published(ctx.inventory.get(signals.domain)), served, signals)
    try:
        resolver: dns.resolver.Resolver | None = dns_resolver(ctx.settings)
    except ResolverError as error:
        resolver = None
        signals.add(Finding(domain, "dns", "resolver", "unknown", str(error)))
    _mx(domain, served, resolver, signals)
    _autodiscover(domain, served, signals)
    if resolver is None:
        return
    res = resolver
    _guarded(domain, "spf", signals, lambda: spf_findings(domain, res))
    dmarc = served.get(f"_dmarc.{domain}", "TXT")
    if dmarc is not None:
        records = [v for v in dmarc if is_dmarc(v)]
        if len(records) != 1:
            what = "no DMARC record" if not records else f"{len(records)} DMARC records (receivers ignore them all)"
            signals.add(Finding(domain, "dns", "dmarc", "broken", f"{what} at _dmarc.{domain}"))
        else:
            _guarded(domain, "dmarc", signals, lambda: dmarc_findings(domain, records[0], res))
    for selector in SELECTORS:
        cname = served.get(f"{selector}._domainkey.{domain}", "CNAME")
        if cname is None:
            continue
        if not cname:
            signals.add(Finding(domain, "dns", f"dkim:{selector}", "broken",
                                f"no {selector}._domainkey CNAME: Microsoft cannot sign for {domain}"))
            continue
        _guarded(domain, f"dkim:{selector}", signals, partial(_dkim, domain, selector, cname[0], res))
