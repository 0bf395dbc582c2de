"""The spec's rules spanning fields: duplicates, brand domain, personas, residency, ramp vs. cap, tenant ids and sizes,
and Microsoft's sending limits (components.spec.limits).

They run once every field is valid (`load_spec`), and again in the fleet's guardrails, so a spec built some other way
cannot slip past them. Each yields `(path, message)` like a field error.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator

from components.spec.limits import limit_errors
from components.spec.models import DomainSpec, FleetSpec
from providers.types import MAX_MAILBOXES_PER_TENANT, country_problem, is_under


def cross_field_errors(spec: FleetSpec) -> Iterator[tuple[str, str]]:
    """Rules spanning fields: duplicates, brand domain, personas, residency, ramp vs. cap, tenant ids and sizes."""
    yield from _domain_name_errors(spec)
    yield from _persona_errors(spec)
    problem = country_problem(spec.residency, spec.tenant.address.country)  # eu = EU Data Boundary (EU + EFTA)
    if problem:
        yield "tenant.address.country", problem
    yield from _ramp_errors(spec)
    yield from _tenant_id_errors(spec)
    yield from _tenant_size_errors(spec)
    yield from limit_errors(spec)
    yield from _web_errors(spec)


def _domain_name_errors(spec: FleetSpec) -> Iterator[tuple[str, str]]:
    """Each name once across domains and spares, and never the brand domain or anything sharing it."""
    seen: dict[str, str] = {}
    named = [(f"domains[{i}].name", d.name) for i, d in enumerate(spec.domains)]
    named += [(f"spares[{i}]", name) for i, name in enumerate(spec.spares)]
    for path, name in named:
        if name in seen:
            yield path, f"{name} is already listed at {seen[name]}"
        else:
            seen[name] = path
        if is_under(name, spec.primary_domain) or is_under(spec.primary_domain, name):
            yield path, f"{name} is the brand domain {spec.primary_domain} or shares it: never send cold email from it"


def _persona_errors(spec: FleetSpec) -> Iterator[tuple[str, str]]:
    """The same person twice only yields look-alike mailboxes (`anna`, `anna2`, both "Anna Keller")."""
    seen: dict[tuple[str, str], int] = {}
    for i, persona in enumerate(spec.personas):
        key = (_folded(persona.first), _folded(persona.last))
        if key in seen:
            yield f"personas[{i}]", f"{persona.first} {persona.last} is already listed at personas[{seen[key]}]"
        seen.setdefault(key, i)


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _ramp_errors(spec: FleetSpec) -> Iterator[tuple[str, str]]:
    cap = spec.defaults.daily_limit_cap
    ramps = [("defaults.ramp", spec.defaults.ramp)]
    ramps += [(f"domains[{i}].ramp", d.ramp) for i, d in enumerate(spec.domains) if d.ramp]
    for path, ramp in ramps:
        if ramp.max > cap:
            yield f"{path}.max", f"{ramp.max} exceeds defaults.daily_limit_cap ({cap})"


def _tenant_id_errors(spec: FleetSpec) -> Iterator[tuple[str, str]]:
    """Tenant ids belong to existing mode, where every live domain needs one (its own or the tenant's)."""
    partner = spec.tenant.mode == "partner"
    for i, d in enumerate(spec.domains):
        if partner and d.tenant_id:
            yield f"domains[{i}].tenant_id", "only applies when tenant.mode is existing"
        elif not partner and d.status != "retired" and not spec.tenant_id_for(d):
            yield f"domains[{i}].tenant_id", "required when tenant.mode is existing and tenant.tenant_id is unset"
    if partner and spec.tenant.tenant_id:
        yield "tenant.tenant_id", "only applies when tenant.mode is existing"


def _tenant_size_errors(spec: FleetSpec) -> Iterator[tuple[str, str]]:
    """Live domains sharing a tenant share its mailbox limit; each partner-created tenant holds one domain."""
    per_tenant: dict[str, list[tuple[int, DomainSpec]]] = defaultdict(list)
    for i, d in enumerate(spec.domains):
        if d.status != "retired":
            per_tenant[spec.tenant_id_for(d) or f"new:{d.name}"].append((i, d))
    for members in per_tenant.values():
        total = sum(spec.mailbox_count(d) for _, d in members)
        if total > MAX_MAILBOXES_PER_TENANT:
            where = ", ".join(d.name for _, d in members)
            for i, _ in members:
                yield f"domains[{i}].mailboxes", (
                    f"{total} mailboxes in one tenant ({where}); at most {MAX_MAILBOXES_PER_TENANT}"
                )


def _web_errors(spec: FleetSpec) -> Iterator[tuple[str, str]]:
    """Forwarding over RFC 2136 needs a redirect host; tracking needs a host to point at (components.spec.web)."""
    live = [(i, d) for i, d in enumerate(spec.domains) if d.status != "retired"]
    forwarding = [i for i, d in live if spec.forwarding_for(d)]
    if spec.dns.backend == "rfc2136" and forwarding and spec.dns.redirect is None:
        yield "dns.redirect", ("required while forwarding is on (defaults.forwarding, domains[].forwarding): the "
                               "rfc2136 backend has no redirect rules, so name a host that answers with the redirect, "
                               "or set defaults.forwarding: false")
    if spec.dns.backend != "rfc2136" and spec.dns.redirect is not None:
        yield "dns.redirect", "only applies to the rfc2136 backend (Cloudflare redirects with a rule of its own)"
    trackings = [("defaults.tracking", spec.defaults.tracking)]
    trackings += [(f"domains[{i}].tracking", d.tracking) for i, d in live if d.tracking]
    for path, tracking in trackings:
        if tracking and tracking.enabled and tracking.target is None and spec.defaults.sequencer == "csv":
            yield f"{path}.target", "required with sequencer csv (no sequencer whose tracking host to point at)"
