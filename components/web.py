"""A sending domain's WebRecords, from the spec: forwarding to the primary domain and the tracking CNAME.

Registered only when either is on for the domain, so turning both off (or retiring the domain) lets the engine delete
the resource and with it the records; stacks from before WebRecords existed only gain the new resource.
"""

from __future__ import annotations

import pulumi

from components.spec import DomainSpec, FleetSpec
from providers.web_records import WebRecords


def web_records(spec: FleetSpec, domain: DomainSpec, opts: pulumi.ResourceOptions) -> WebRecords | None:
    forwarding, tracking = spec.forwarding_for(domain), spec.tracking_for(domain)
    if not forwarding and tracking is None:
        return None
    redirect = spec.dns.redirect if forwarding and spec.dns.backend == "rfc2136" else None
    return WebRecords(
        domain.name,
        domain=domain.name,
        dns_backend=spec.dns.backend,
        forward_to=spec.primary_domain if forwarding else None,
        redirect_host=redirect.host if redirect else None,
        redirect_ipv4=redirect.ipv4 if redirect else None,
        tracking_label=tracking[0] if tracking else None,
        tracking_target=tracking[1] if tracking else None,
        opts=opts,
    )
