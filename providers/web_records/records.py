"""The records WebRecords publishes for one domain, per backend.

Forwarding at Cloudflare: the apex and `www` as proxied A records to the placeholder 192.0.2.1, plus the redirect rule
(providers/clients/dns/cloudflare_web.py). Over RFC 2136 there are no rules: the apex A points at the redirect host's
address and `www` is a CNAME to that host, which answers every request with the redirect (a host the operator runs or
rents; a CNAME cannot stand at the apex next to SOA, NS, MX and TXT). Tracking: `<label>.<domain>` CNAME to the
sequencer's tracking host, never proxied (the sequencer terminates TLS for it; Instantly asks for the proxy off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from providers.clients.dns.cloudflare_web import PLACEHOLDER_IPV4
from providers.web_records.args import WebRecordsArgs


@dataclass(frozen=True)
class Rec:
    name: str
    type: str
    values: tuple[str, ...]
    proxied: bool = False

    def out(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "values": list(self.values), "proxied": self.proxied}


def desired(args: WebRecordsArgs) -> list[Rec]:
    d = args.domain
    recs: list[Rec] = []
    if args.forward_to is not None:
        if args.dns_backend == "cloudflare":
            recs += [Rec(d, "A", (PLACEHOLDER_IPV4,), True), Rec(f"www.{d}", "A", (PLACEHOLDER_IPV4,), True)]
        elif args.redirect_ipv4 and args.redirect_host:
            recs += [Rec(d, "A", (args.redirect_ipv4,)), Rec(f"www.{d}", "CNAME", (args.redirect_host,))]
    if args.tracking_label and args.tracking_target:
        recs.append(Rec(f"{args.tracking_label}.{d}", "CNAME", (args.tracking_target,)))
    return recs
