"""ColdEmailFleet: one child set per live domain, keyed by names (never list positions), plus the guardrails.

Children per active or retiring domain, all parented to the fleet:
  SendingDomain(domain) → M365Tenant(domain) → AuthRecords(domain) → Mailbox("<domain>/<local part>") × n.
Retired or removed domains register nothing, so the engine deletes their children (registrations and zones stay:
SendingDomain only drops them when told to). Spares register nothing until they are moved into `domains`.

Guardrails run before any resource is registered (policy packs cannot run here): the spec's cross-field rules again
(≤ 100 mailboxes per tenant, no brand domain, residency, ramp ≤ cap), residency unchanged under existing tenants, and
the mass-delete guard modelled on octoDNS's `TooMuchChange`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import pulumi

from components.export import Account, render_csv
from components.ramp import domain_daily_limit
from components.spec import LEGAL_NOTICE, DomainSpec, FleetSpec, MailboxPlan, cross_field_errors
from providers.auth_records import AuthRecords
from providers.m365_tenant import M365Tenant
from providers.mailbox import Mailbox
from providers.sending_domain import SendingDomain

TYPE = "coldfleet:index:ColdEmailFleet"
ALLOW_MASS_DELETE = "coldfleet:allowMassDelete"
MASS_DELETE_FRACTION = 0.25
PREFIX_MAX = 27


class GuardrailError(Exception):
    """A change the fleet refuses to make; the message says why and, where there is one, how to override."""


def domain_prefix(client: str, domain: str) -> str:
    """`<prefix>.onmicrosoft.com` for a partner-created tenant: ≤ 27 chars of [a-z0-9], stable per client + domain.

    Readable head (client + domain) plus a hash of both, so long names that share a head still differ.
    """
    digest = hashlib.sha256(f"{client}/{domain}".encode()).hexdigest()[:6]
    head = re.sub(r"[^a-z0-9]", "", f"{client}{domain}")
    return head[: PREFIX_MAX - len(digest)] + digest


def planned_mailboxes(spec: FleetSpec) -> dict[str, set[str]]:
    """Email addresses per live domain."""
    return {d.name: {f"{m.local_part}@{d.name}" for m in spec.mailboxes(d)} for d in spec.live_domains()}


def _emails(entry: Mapping[str, Any]) -> set[str]:
    return {str(m.get("email")) for m in entry.get("mailboxes") or [] if isinstance(m, Mapping)}


def deletion_problems(spec: FleetSpec, previous: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What the mass-delete guard objects to: > 25 % of mailboxes gone, or an active domain dropped without retiring."""
    problems = []
    planned = planned_mailboxes(spec)
    before = {name: _emails(entry) for name, entry in previous.items()}
    total = sum(len(emails) for emails in before.values())
    lost = {name: len(emails - planned.get(name, set())) for name, emails in before.items()}
    lost = {name: count for name, count in lost.items() if count}
    gone = sum(lost.values())
    if total and gone > MASS_DELETE_FRACTION * total:
        where = ", ".join(f"{name} ({count})" for name, count in sorted(lost.items()))
        problems.append(f"{gone} of {total} mailboxes would be deleted (more than {MASS_DELETE_FRACTION:.0%}): {where}")
    status = {d.name: d.status for d in spec.domains}
    skipped = sorted(
        name for name, entry in previous.items()
        if entry.get("status") == "active" and status.get(name, "retired") == "retired"
    )
    if skipped:
        problems.append(
            f"active domain(s) {', '.join(skipped)} would be deleted without going through 'retiring' first "
            "(replies to them would be lost)"
        )
    return problems


def check_guardrails(spec: FleetSpec, previous: Mapping[str, Any] | None, allow_mass_delete: bool = False) -> None:
    """Raise GuardrailError for anything the fleet must not do. `previous` is the last `inventory` output."""
    static = list(cross_field_errors(spec))
    if static:
        raise GuardrailError("; ".join(f"{path}: {message}" for path, message in static))
    prev = {name: entry for name, entry in (previous or {}).items() if isinstance(entry, Mapping)}
    moved = sorted(name for name, entry in prev.items() if entry.get("residency") not in (None, spec.residency))
    if moved:
        raise GuardrailError(
            f"residency {spec.residency!r} differs from the residency of existing tenants for {', '.join(moved)}: "
            "a tenant's data location is fixed at creation; retire those domains first or use another stack"
        )
    problems = deletion_problems(spec, prev)
    if problems and not allow_mass_delete:
        raise GuardrailError(
            "; ".join(problems) + f". Set {ALLOW_MASS_DELETE}=true (or run once with --allow-mass-delete) to proceed."
        )
    for problem in problems:
        pulumi.log.warn(f"{problem} (allowed by {ALLOW_MASS_DELETE})")


def _with_password(account: Account, password: str | None) -> Account:
    return replace(account, password=password)


class ColdEmailFleet(pulumi.ComponentResource):
    """The whole fleet of one client. Outputs: `inventory` (no secrets), `export_csv` (secret), `daily_limits`."""

    inventory: pulumi.Output[dict[str, Any]]
    export_csv: pulumi.Output[str]
    daily_limits: pulumi.Output[dict[str, int]]

    def __init__(
        self,
        name: str,
        spec: FleetSpec,
        *,
        today: date | None = None,
        previous: Mapping[str, Any] | None = None,
        allow_mass_delete: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        check_guardrails(spec, previous, allow_mass_delete)  # before anything is registered
        super().__init__(TYPE, name, None, opts)
        today = today or datetime.now(UTC).date()
        self._spec = spec
        inventory: dict[str, pulumi.Output[dict[str, Any]]] = {}
        accounts: list[pulumi.Input[Account]] = []
        limits: dict[str, int] = {}
        for domain in spec.live_domains():
            limit, plans = domain_daily_limit(spec, domain, today), spec.mailboxes(domain)
            inventory[domain.name], boxes = self._domain(domain, limit, plans)
            accounts += boxes
            limits.update({f"{m.local_part}@{domain.name}": limit for m in plans})

        if spec.residency in ("eu", "ch") and any(d.status == "active" for d in spec.domains):
            pulumi.log.warn(LEGAL_NOTICE, resource=self)

        defaults = spec.defaults
        self.inventory = pulumi.Output.all(**inventory) if inventory else pulumi.Output.from_input({})
        self.export_csv = pulumi.Output.secret(
            pulumi.Output.all(*accounts).apply(
                lambda rows: render_csv(defaults.sequencer, rows, defaults.sending, defaults.warmup)
            )
        )
        self.daily_limits = pulumi.Output.from_input(dict(sorted(limits.items())))
        self.register_outputs(
            {"inventory": self.inventory, "export_csv": self.export_csv, "daily_limits": self.daily_limits}
        )

    def _domain(
        self, domain: DomainSpec, limit: int, plans: list[MailboxPlan]
    ) -> tuple[pulumi.Output[dict[str, Any]], list[pulumi.Input[Account]]]:
        spec, name = self._spec, domain.name
        d = spec.defaults
        child = pulumi.ResourceOptions(parent=self)
        address = spec.tenant.address
        # brand_domain: the provider's own offline guard against the primary domain (no diff key: adds no changes).
        sending = SendingDomain(name, domain=name, dns_backend=spec.dns.backend, registrar=spec.registrar,
                                brand_domain=spec.primary_domain, opts=child)
        tenant = M365Tenant(
            name,
            domain=name,
            mode=spec.tenant.mode,
            tenant_id=spec.tenant_id_for(domain),
            residency=spec.residency,
            country=address.country,
            domain_prefix=domain_prefix(spec.client, name),
            company_name=spec.tenant.company_name,
            address=address.model_dump(exclude_none=True),
            contact=spec.tenant.contact.model_dump(),
            licence=d.licence,
            seats=spec.mailbox_count(domain),
            tenant_smtp_auth=d.sending == "password",
            sequencer_app_id=d.sequencer_app_id if d.sending == "oauth" else None,
            opts=child,
        )
        auth = AuthRecords(
            name,
            domain=name,
            tenant_id=tenant.tenant_id,
            dns_backend=spec.dns.backend,
            verification_txt=tenant.verification_txt,
            dmarc=spec.dmarc_for(domain).auth_records_input(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[sending]),  # records need the zone
        )
        accounts: list[pulumi.Input[Account]] = []
        for plan in plans:
            box = Mailbox(
                f"{name}/{plan.local_part}",
                tenant_id=tenant.tenant_id,
                domain=name,
                local_part=plan.local_part,
                first_name=plan.first_name,
                last_name=plan.last_name,
                display_name=plan.display_name,
                usage_location=address.country,
                licence_sku_id=tenant.licence_sku_id,
                sending=d.sending,
                time_zone=d.time_zone,
                language=d.language,
                domain_verified=auth.verified,
                photo=plan.photo,
                opts=child,
            )
            account = Account(f"{plan.local_part}@{name}", plan.first_name, plan.last_name, domain.status, limit)
            # Only the password path needs the (secret) generated password; OAuth exports never wait for it.
            if d.sending == "password":
                accounts.append(box.password.apply(partial(_with_password, account)))
            else:
                accounts.append(account)
        mailboxes = [{"email": f"{m.local_part}@{name}", "daily_limit": limit} for m in plans]
        entry = pulumi.Output.all(
            tenant_id=tenant.tenant_id,
            nameservers=sending.nameservers,
            verified=auth.verified,
            dkim_enabled=auth.dkim_enabled,
            records=auth.records,
        ).apply(
            lambda o: {
                "status": domain.status,
                "residency": spec.residency,
                **o,
                "mailboxes": mailboxes,
            }
        )
        return entry, accounts
