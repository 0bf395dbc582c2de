"""ColdEmailFleet: one child set per live domain, keyed by names (never list positions).

Children per active or retiring domain, all parented to the fleet:
  SendingDomain(domain) → M365Tenant(domain) → AuthRecords(domain) → Mailbox("<domain>/<local part>") × n
  → DomainMailboxes(domain) (when n > 0: waits for the n mailboxes at once and finishes them; see its provider);
  SendingDomain(domain) → WebRecords(domain) (forwarding and tracking, when either is on: components/web.py).
Retired or removed domains register nothing, so the engine deletes their children (registrations and zones stay:
SendingDomain only drops them when told to). Spares register nothing until they are moved into `domains`.
`components.guardrails` runs before anything is registered; this module only translates the spec into inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import pulumi

from components import handoff
from components.export import Account, render_csv
from components.guardrails import ALLOW_MASS_DELETE, GuardrailError, check_guardrails
from components.naming import MailboxPlan, domain_prefix
from components.ramp import domain_daily_limit
from components.spec import LEGAL_NOTICE, DomainSpec, FleetSpec
from components.web import web_records
from providers.auth_records import AuthRecords
from providers.domain_mailboxes import DomainMailboxes
from providers.m365_tenant import M365Tenant
from providers.mailbox import Mailbox
from providers.sending_domain import SendingDomain
from providers.types import mail_address

TYPE = "coldfleet:index:ColdEmailFleet"
# The program imports the guard's names from here as well as from `components.guardrails`.
__all__ = ["ALLOW_MASS_DELETE", "TYPE", "ColdEmailFleet", "GuardrailError"]


@dataclass(frozen=True)
class Opaque:
    """A value `Output.all` passes through as it is. The SDK lifts every dict and list it meets there into an Output
    per leaf (`Output.from_input`): for 5,000 mailboxes' inventory that was most of a no-op preview's program time
    (bench/README.md). Entries travel wrapped and become plain dicts in the one apply that builds the output."""

    value: Any


def _with_password(account: Account, password: str | None) -> Account:
    return replace(account, password=password)


class ColdEmailFleet(pulumi.ComponentResource):
    """The whole fleet of one client. Outputs: `inventory` (no secrets), `export_csv` and `handoff` (secret),
    `daily_limits`."""

    inventory: pulumi.Output[dict[str, Any]]
    handoff: pulumi.Output[dict[str, Any]]
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
        self._previous = previous or {}
        self._rows: dict[str, dict[str, Any]] = {}  # the sequencer's view of each live mailbox (no secrets)
        self._passwords: dict[str, pulumi.Output[str]] = {}
        inventory: dict[str, pulumi.Output[Opaque]] = {}
        accounts: list[pulumi.Input[Account]] = []
        limits: dict[str, int] = {}
        for domain in spec.live_domains():
            limit, plans = domain_daily_limit(spec, domain, today), self._plans(domain)
            inventory[domain.name], boxes, emails = self._domain(domain, limit, plans)
            accounts += boxes
            limits.update(dict.fromkeys(emails, limit))

        if spec.residency in ("eu", "ch") and any(d.status == "active" for d in spec.domains):
            pulumi.log.warn(LEGAL_NOTICE, resource=self)

        defaults = spec.defaults
        names = list(inventory)
        self.inventory = pulumi.Output.all(*inventory.values()).apply(
            lambda entries: {name: entry.value for name, entry in zip(names, entries, strict=True)})
        self.export_csv = pulumi.Output.secret(
            pulumi.Output.all(*accounts).apply(
                lambda rows: render_csv(defaults.sequencer, rows, defaults.sending, defaults.warmup)
            )
        )
        self.daily_limits = pulumi.Output.from_input(Opaque(dict(sorted(limits.items())))).apply(lambda o: o.value)
        self.handoff = handoff.handoff_output(spec, accounts)
        handoff.register(self, spec, self._rows, self._passwords)
        self.register_outputs(
            {"inventory": self.inventory, "export_csv": self.export_csv, "daily_limits": self.daily_limits,
             "handoff": self.handoff}
        )

    def _plans(self, domain: DomainSpec) -> list[MailboxPlan]:
        """The domain's mailboxes for this run. A tenant has one seat per mailbox, and the engine creates before it
        deletes: while a retired mailbox (`retired_mailboxes`) still exists, this run only deletes it, and the next
        `up` creates its replacement (and any other new mailbox of the domain)."""
        plans = self._spec.mailboxes(domain)
        entry = self._previous.get(domain.name)
        boxes = entry.get("mailboxes") if isinstance(entry, Mapping) else None
        if not isinstance(boxes, list) or not domain.retired_mailboxes:
            return plans
        existing = {str(b.get("email")) for b in boxes if isinstance(b, Mapping)}
        leaving = {mail_address(part, domain.name) for part in domain.retired_mailboxes} & existing
        if not leaving:
            return plans
        return [p for p in plans if mail_address(p.local_part, domain.name) in existing]

    def _domain(
        self, domain: DomainSpec, limit: int, plans: list[MailboxPlan]
    ) -> tuple[pulumi.Output[Opaque], list[pulumi.Input[Account]], list[str]]:
        """The domain's children; returns its inventory entry, its export rows and its mailbox addresses."""
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
            dmarc=spec.dmarc_for(domain).model_dump(by_alias=True, exclude_none=True),  # no `sp` key when unset
            opts=pulumi.ResourceOptions(parent=self, depends_on=[sending]),  # records need the zone
        )
        web_records(spec, domain, pulumi.ResourceOptions(parent=self, depends_on=[sending]))  # components/web.py
        accounts: list[pulumi.Input[Account]] = []
        emails: list[str] = []
        finishing: list[pulumi.Input[dict[str, Any]]] = []
        for plan in plans:
            email = mail_address(plan.local_part, name)
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
            account = Account(email, plan.first_name, plan.last_name, domain.status, limit)
            # Both paths hand the (secret) password over: SMTP/IMAP import, or the OAuth sign-in (components/export).
            accounts.append(box.password.apply(partial(_with_password, account)))
            self._rows[email] = {"first_name": plan.first_name, "last_name": plan.last_name, "daily_limit": limit,
                                 "status": domain.status}
            self._passwords[email] = box.password
            emails.append(email)
            finishing.append({"user_id": box.user_id, "upn": email, "time_zone": d.time_zone,
                              "language": d.language, "sending": d.sending, "photo": plan.photo})
        if finishing:
            DomainMailboxes(name, tenant_id=tenant.tenant_id, domain=name, mailboxes=finishing, opts=child)
        mailboxes = [{"email": email, "daily_limit": limit} for email in emails]
        entry = pulumi.Output.all(
            tenant_id=tenant.tenant_id,
            nameservers=sending.nameservers,
            verified=auth.verified,
            dkim_enabled=auth.dkim_enabled,
            records=auth.records,
        ).apply(
            lambda o: Opaque({
                "status": domain.status,
                "residency": spec.residency,
                **o,
                "mailboxes": mailboxes,
            })
        )
        return entry, accounts, emails
