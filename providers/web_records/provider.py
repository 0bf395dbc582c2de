"""WebRecords: a sending domain's web traffic forwards to the client's primary domain, and opens and clicks are
tracked on a hostname of the domain itself rather than on the sequencer's shared one.

Someone who looks a sending domain up in a browser lands on the brand's site instead of an empty page, and the
tracking CNAME keeps a listed shared tracking host from dragging the domain down. The records: records.py; the
redirect rule at Cloudflare: providers/clients/dns/cloudflare_web.py.

create publishes every record and, at Cloudflare, our redirect rule; records coldfleet did not write are refused
(OwnershipConflict: Cloudflare's `managed-by: coldfleet` comment), ours are adopted. update publishes the new set and
drops names the old set had and the new one lacks (tracking turned off or relabelled). delete drops our records and
our rule, nothing else. `read` reports the backend's view of every record (a proxied name answers Cloudflare's own
addresses, so the authoritative answer says nothing there) and our rule, plus `drift`; `diff` turns drift into an
update that repairs it. Replace keys: `domain` and `dns_backend` (the records live in another zone).
"""

from __future__ import annotations

import logging
from typing import Any

from providers.base import BaseProvider, Created, Read, Updated
from providers.clients.dns import DnsBackend, backend_for
from providers.clients.dns.base import check_rdtype, owner
from providers.clients.dns.cloudflare_web import CloudflareWeb, redirect_rule, same_rule
from providers.clients.errors import NotFound
from providers.config import Settings
from providers.rrsets import same
from providers.web_records.args import WebRecordsArgs
from providers.web_records.records import Rec, desired

log = logging.getLogger(__name__)


def web_backend(settings: Settings, kind: str) -> DnsBackend:
    return CloudflareWeb(settings) if kind == "cloudflare" else backend_for(settings, kind)


class WebRecordsProvider(BaseProvider[WebRecordsArgs]):
    ARGS = WebRecordsArgs
    KIND = "WebRecords"
    DIFF_KEYS = ("domain", "dns_backend", "forward_to", "redirect_host", "redirect_ipv4", "tracking_label",
                 "tracking_target", "ttl")
    REPLACE_KEYS = ("domain", "dns_backend")

    def problems(self, args: WebRecordsArgs) -> list[tuple[str, str]]:
        return args.problems()

    def drifted(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        return bool(olds.get("drift"))

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def _create(self, args: WebRecordsArgs, settings: Settings) -> Created:
        return Created(args.domain, self._converge(settings, args, []))

    def _update(self, _id: str, olds: dict[str, Any], args: WebRecordsArgs, settings: Settings) -> Updated:
        old = self.parse(olds)
        before = olds.get("records") or [r.out() for r in desired(old)]
        return Updated(self._converge(settings, args, before, force=bool(olds.get("drift")) or old.ttl != args.ttl))

    def _read(self, id_: str, props: dict[str, Any], settings: Settings) -> Read:
        args = self.parse(props)
        inputs = self.dump(args)
        dns = web_backend(settings, args.dns_backend)
        if dns.find_zone(args.domain) is None:
            log.info("read: zone %s is gone, and its records with it", args.domain)
            return Read("", {})
        records, drift = [], []
        listed = dns.zone_records(args.domain) if isinstance(dns, CloudflareWeb) else None  # one request per zone
        for rec in desired(args):
            if listed is not None:
                live, proxied = listed.get((owner(args.domain, rec.name), check_rdtype(rec.type)), ([], False))
            else:
                live, proxied = dns.get_rrset(args.domain, rec.name, rec.type), False
            if same(rec.type, live, rec.values) and proxied == rec.proxied:
                records.append(rec.out())
                continue
            found = Rec(rec.name, rec.type, tuple(sorted(live)), proxied)
            records.append(found.out())
            drift.append({"name": rec.name, "type": rec.type, "expected": list(rec.values), "found": sorted(live),
                          "proxied": proxied})
        redirect = self._read_rule(dns, args)
        wanted = self._rule(args)
        if wanted is not None and (redirect is None or not same_rule(redirect, wanted)):
            drift.append({"name": args.domain, "type": "redirect", "expected": wanted["expression"],
                          "found": (redirect or {}).get("expression")})
        return Read(id_, {**inputs, "records": records, "redirect": redirect, "drift": drift}, inputs)

    def _delete(self, _id: str, props: dict[str, Any], settings: Settings) -> None:
        args = self.parse(props)
        dns = web_backend(settings, args.dns_backend)
        if dns.find_zone(args.domain) is None:
            log.info("delete: zone %s is gone, and its records with it", args.domain)
            return
        for rec in props.get("records") or [r.out() for r in desired(args)]:
            self._unpublish(dns, args.domain, rec["name"], rec["type"])
        if isinstance(dns, CloudflareWeb):
            dns.set_redirect(args.domain, None)
        log.info("delete: forwarding and tracking records of %s removed", args.domain)

    # -- steps -----------------------------------------------------------------------------------------------------

    @staticmethod
    def _rule(args: WebRecordsArgs) -> dict[str, Any] | None:
        if args.dns_backend != "cloudflare" or args.forward_to is None:
            return None
        return redirect_rule(args.domain, args.forward_to)

    @staticmethod
    def _read_rule(dns: DnsBackend, args: WebRecordsArgs) -> dict[str, Any] | None:
        if not isinstance(dns, CloudflareWeb):
            return None
        found = dns.our_rule(args.domain)
        if found is None:
            return None
        keep = ("ref", "description", "expression", "action", "action_parameters", "enabled")
        return {k: found[k] for k in keep if k in found}

    def _converge(self, settings: Settings, args: WebRecordsArgs, before: list[dict[str, Any]], *,
                  force: bool = False) -> dict[str, Any]:
        dns = web_backend(settings, args.dns_backend)
        zone = args.domain
        if dns.find_zone(zone) is None:
            raise NotFound(f"no zone {zone} at the {args.dns_backend} backend; SendingDomain creates it",
                           api=args.dns_backend)
        records = desired(args)
        wanted = {(r.name, r.type) for r in records}
        for old in before:  # first, so a name that changes type (A → CNAME) is free for the new set
            if (old["name"], old["type"]) not in wanted:
                self._unpublish(dns, zone, old["name"], old["type"])
        for rec in records:
            self._publish(dns, zone, rec, args.ttl, force)
        if isinstance(dns, CloudflareWeb):
            dns.set_redirect(zone, self._rule(args))
        return {**self.dump(args), "records": [r.out() for r in records],
                "redirect": self._rule(args), "drift": []}

    @staticmethod
    def _publish(dns: DnsBackend, zone: str, rec: Rec, ttl: int, force: bool) -> None:
        if isinstance(dns, CloudflareWeb):
            if rec.proxied:
                if force or not (same(rec.type, dns.get_rrset(zone, rec.name, rec.type), rec.values)
                                 and dns.proxied(zone, rec.name, rec.type)):
                    dns.set_proxied_rrset(zone, rec.name, rec.type, list(rec.values))
                return
        if not force and same(rec.type, dns.get_rrset(zone, rec.name, rec.type), rec.values):
            return
        dns.set_rrset(zone, rec.name, rec.type, list(rec.values), ttl, **({"rewrite": True} if force else {}))

    @staticmethod
    def _unpublish(dns: DnsBackend, zone: str, name: str, rdtype: str) -> None:
        try:
            dns.delete_rrset(zone, name, rdtype)
        except NotFound:
            pass
