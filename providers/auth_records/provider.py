"""AuthRecords: the DNS handshake that makes a tenant's custom domain able to send (see DESIGN.md).

Order, every step skipped when already done so a crashed run just runs `create` again and converges:
apex TXT {MS=..., SPF} → seen at the authoritative server → Graph verify (retried while Microsoft cannot see it) →
supportedServices Email → MX + autodiscover CNAME (Graph's serviceConfigurationRecords) and DMARC at `_dmarc` →
DKIM: New-DkimSigningConfig, publish the two selector CNAMEs *as read* from Get-DkimSigningConfig (never derived:
their format changed in 2025), enable signing (retried while Microsoft cannot see the CNAMEs).

The apex TXT RRset is shared: we own the verification value and the one SPF record (a name may carry only one, so an
existing SPF is replaced, with a warning); every other value found there is preserved, on create and on delete.

`read` reports live state — records at the authoritative server, Graph's `isVerified`, Exchange's DKIM `Enabled` —
plus `drift`, what differs from what we would publish; `diff` turns drift into an update that repairs it.

Replace keys: `domain`, `tenant_id` (another tenant has other verification, MX and DKIM values: a new handshake) and
`dns_backend` (the records live in another zone). The tenant domain itself belongs to M365Tenant. The records
themselves: records.py; the inputs: args.py.
"""

from __future__ import annotations

import logging
from typing import Any

from pulumi.dynamic import DiffResult
from pydantic import ValidationError

from providers.auth_records.args import AuthRecordsArgs
from providers.auth_records.records import Rec, all_names, desired, rewrite, service_records
from providers.base import BaseProvider, Created, Read, Updated
from providers.clients.dns import DnsBackend, authoritative_query, backend_for, wait_for_rrset
from providers.clients.errors import AuthenticationFailed, BadRequest, NotFound, PermissionDenied, ServerError
from providers.clients.exchange import DkimConfig, ExchangeClient
from providers.clients.graph import GraphClient, GraphDomain
from providers.clients.poll import until_ready
from providers.config import Settings
from providers.dmarc import build_spf, is_spf, validate_spf
from providers.rrsets import same
from providers.zones import zone_view

log = logging.getLogger(__name__)

GONE = (NotFound, BadRequest, AuthenticationFailed, PermissionDenied)  # tenant or domain no longer reachable


class AuthRecordsProvider(BaseProvider[AuthRecordsArgs]):
    ARGS = AuthRecordsArgs
    KIND = "AuthRecords"
    DIFF_KEYS = ("domain", "tenant_id", "dns_backend", "verification_txt", "dmarc", "ttl")
    REPLACE_KEYS = ("domain", "tenant_id", "dns_backend")

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def _create(self, args: AuthRecordsArgs, settings: Settings) -> Created:
        return Created(args.domain, self._converge(settings, args))

    def _update(self, _id: str, olds: dict[str, Any], args: AuthRecordsArgs, settings: Settings) -> Updated:
        old = self.parse(olds)
        former = {old.verification_txt} - {args.verification_txt}  # an old MS= value of ours, to drop
        # Records a refresh found drifted are rewritten even when the backend's own view looks right.
        stale = {(d.get("name"), d.get("type")) for d in olds.get("drift") or [] if isinstance(d, dict)}
        return Updated(self._converge(settings, args, former=former, force=old.ttl != args.ttl, stale=stale))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return super().diff(_id, self._canonical(olds), self._canonical(news))

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        return bool(olds.get("drift")) or olds.get("verified") is False or olds.get("dkim_enabled") is False

    def _canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        """Props as the model dumps them (`sp: None` and a missing `sp` compare equal); as given when invalid. Both
        sides passed `check` already (news in this run, olds when declared), so the stored context skips checkdmarc,
        whose import alone is a good part of a refresh's or preview's provider time."""
        try:
            return {**props, **self.dump(self.parse(props, stored=True))}
        except ValidationError:
            return props

    def _read(self, id_: str, props: dict[str, Any], settings: Settings) -> Read:
        args = self.parse(props, stored=True)
        inputs = self.dump(args)
        verified, mx, cnames = self._read_graph(settings, args)
        dkim: DkimConfig | None = None
        try:
            dkim = ExchangeClient(settings, args.tenant_id).get_dkim(args.domain)
        except GONE as error:
            log.info("read: DKIM of %s not reachable: %s", args.domain, error)
        published = {(r["name"], r["type"]): r["values"] for r in props.get("records") or []}
        records, drift = [], []
        zone = zone_view(settings, args.domain, self.KIND)  # this run's listing of the zone (providers/zones.py)
        for rec in desired(args, mx, cnames, dkim, published):
            live = zone.get(rec.name, rec.type)
            if live is None:
                live = authoritative_query(settings, args.domain, rec.name, rec.type)
            if rec.name == args.domain and rec.type == "TXT":
                live = [v for v in live if v == args.verification_txt or is_spf(v)]
            if same(rec.type, live, rec.values):
                records.append(rec.out())
                continue
            records.append(Rec(rec.name, rec.type, tuple(sorted(live))).out())
            drift.append({"name": rec.name, "type": rec.type, "expected": list(rec.values), "found": sorted(live)})
        outs = {
            **inputs,
            "verified": verified,
            "records": records,
            "dkim_selectors": [dkim.selector1_cname, dkim.selector2_cname] if dkim else [],
            "dkim_enabled": bool(dkim and dkim.enabled),
            "drift": drift,
        }
        return Read(id_, outs, inputs)

    @staticmethod
    def _read_graph(settings: Settings, args: AuthRecordsArgs) -> tuple[bool, list[str], list[tuple[str, str]]]:
        """(verified, MX, CNAMEs) as Graph has them now; nothing when the tenant or domain is out of reach."""
        try:
            graph = GraphClient(settings, args.tenant_id)
            found = graph.get_domain(args.domain)
            if found is not None:
                return found.is_verified, *service_records(graph, args.domain)
        except GONE as error:
            log.info("read: %s in %s not reachable in Graph: %s", args.domain, args.tenant_id, error)
        return False, [], []

    def _delete(self, _id: str, props: dict[str, Any], settings: Settings) -> None:
        args = self.parse(props)
        exchange = ExchangeClient(settings, args.tenant_id)
        try:
            dkim = exchange.get_dkim(args.domain)
            if dkim is not None and dkim.enabled:
                exchange.set_dkim_enabled(args.domain, False)
        except GONE as error:
            log.warning("delete: could not disable DKIM for %s (tenant or domain gone?): %s", args.domain, error)
        dns = backend_for(settings, args.dns_backend)
        zone = args.domain
        if dns.find_zone(zone) is None:
            log.info("delete: zone %s is gone, and its records with it", zone)
            return
        for rec in props.get("records") or [r.out() for r in all_names(args)]:
            self._unpublish(dns, args, rec)
        log.info("delete: auth records of %s removed; the tenant domain stays with M365Tenant", zone)

    @staticmethod
    def _unpublish(dns: DnsBackend, args: AuthRecordsArgs, rec: dict[str, Any]) -> None:
        """Drop one published RRset; at the apex TXT only our values go, every foreign one stays."""
        zone, name, rdtype = args.domain, rec["name"], rec["type"]
        if name == zone and rdtype == "TXT":
            ours = {args.verification_txt, build_spf(), *rec.get("values", [])}
            keep = [v for v in dns.get_rrset(zone, zone, "TXT") if v not in ours]
            if keep:
                dns.set_rrset(zone, zone, "TXT", keep, args.ttl)
                return
        try:
            dns.delete_rrset(zone, name, rdtype)
        except NotFound:
            pass

    # -- the handshake ---------------------------------------------------------------------------------------------

    def _converge(
        self,
        settings: Settings,
        args: AuthRecordsArgs,
        *,
        former: set[str] | None = None,
        force: bool = False,
        stale: set[tuple[Any, Any]] | None = None,
    ) -> dict[str, Any]:
        dns = backend_for(settings, args.dns_backend)
        graph = GraphClient(settings, args.tenant_id)
        exchange = ExchangeClient(settings, args.tenant_id)
        domain = args.domain

        stale = stale or set()
        apex = self._apex_txt(dns, args, former or set(), force or (domain, "TXT") in stale)
        wait_for_rrset(settings, domain, domain, "TXT", apex)
        found = self._verify(settings, graph, domain, args.tenant_id)
        if "Email" not in found.supported_services:
            graph.set_supported_services(domain, sorted({*found.supported_services, "Email"}))
        mx, cnames = service_records(graph, domain)
        if not mx:
            raise ServerError(f"Graph offers no Email MX record for {domain}; cannot route its mail", api="graph")

        dkim = exchange.new_dkim(domain)
        records = desired(args, mx, cnames, dkim, {})
        for rec in records[1:]:
            self._publish(dns, domain, rec, args.ttl, force or (rec.name, rec.type) in stale)
        if not dkim.enabled:
            until_ready(settings, f"enabling DKIM for {domain}", lambda: exchange.set_dkim_enabled(domain, True))
        return {
            **self.dump(args),
            "verified": True,
            "records": [r.out() for r in records],
            "dkim_selectors": [dkim.selector1_cname, dkim.selector2_cname],
            "dkim_enabled": True,
            "drift": [],
        }

    @staticmethod
    def _apex_txt(dns: DnsBackend, args: AuthRecordsArgs, former: set[str], force: bool) -> list[str]:
        """Publish {verification, SPF} at the apex, keeping every foreign value; return the whole RRset."""
        zone, spf = args.domain, build_spf()
        validate_spf(spf, zone)
        live = dns.get_rrset(zone, zone, "TXT")
        replaced = [v for v in live if is_spf(v) and v != spf]
        if replaced:
            log.warning("replacing the SPF record at %s (%s): a name may carry only one", zone, replaced)
        foreign = [v for v in live if v not in {args.verification_txt, spf} and v not in former and not is_spf(v)]
        wanted = [args.verification_txt, spf, *foreign]
        if force or not same("TXT", live, wanted):
            dns.set_rrset(zone, zone, "TXT", wanted, args.ttl, **rewrite(force))
        return wanted

    @staticmethod
    def _verify(settings: Settings, graph: GraphClient, domain: str, tenant_id: str) -> GraphDomain:
        found = graph.get_domain(domain)
        if found is None:
            raise NotFound(f"{domain} is not a domain of tenant {tenant_id}; M365Tenant adds it", api="graph")
        if found.is_verified:
            return found
        return until_ready(settings, f"verifying {domain}", lambda: graph.verify_domain(domain))

    @staticmethod
    def _publish(dns: DnsBackend, zone: str, rec: Rec, ttl: int, force: bool) -> None:
        if not force and same(rec.type, dns.get_rrset(zone, rec.name, rec.type), rec.values):
            return
        dns.set_rrset(zone, rec.name, rec.type, list(rec.values), ttl, **rewrite(force))
