"""The fleet spec's models: each field's own rules, so every error names its place (`domains[3].mailboxes: ...`).

Rules spanning fields live in `components.spec.rules`; loading (and the error that lists everything) in the package's
face. Shared concepts (domain names, GUIDs, address, contact, DMARC, residency, the seat limit) come from
`providers.types`; what a persona's name may hold and the mailboxes it yields from `components.naming`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from components.naming import MailboxPlan, local_parts, name_problem
from components.spec.web import TRACKING_HOSTS, RedirectSpec, TrackingSpec
from providers.types import MAX_MAILBOXES_PER_TENANT, Address, Contact, Dmarc, DomainName, Guid, Residency


class _Model(BaseModel):
    """Frozen, and a misspelt key is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_SLUG = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")
_LOCAL_PART = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class TenantSpec(_Model):
    mode: Literal["partner", "existing"]
    company_name: str = Field(min_length=1)
    address: Address
    contact: Contact
    tenant_id: Guid | None = None
    trial: bool = False  # a trial tenant's outbound limit is 5,000 external recipients a day (components.spec.limits)
    outbound_headroom: float = Field(default=0.2, ge=0, lt=1)  # share of that limit the plan leaves free


class DnsSpec(_Model):
    backend: Literal["cloudflare", "rfc2136"]
    redirect: RedirectSpec | None = None  # rfc2136: where forwarded web traffic goes (components.spec.web)


class RampSpec(_Model):
    """Per-mailbox sends per day: `start` on day zero, `step` more each day, never above `max`."""

    start: int = Field(ge=1)
    step: int = Field(ge=0)
    max: int = Field(ge=1)
    start_date: date | None = None

    @model_validator(mode="after")
    def _order(self) -> RampSpec:
        if self.max < self.start:
            raise ValueError(f"max ({self.max}) is below start ({self.start})")
        return self


class WarmupSpec(_Model):
    """The sequencer's warm-up settings written into its CSV (not the sending ramp)."""

    enabled: bool = True
    limit: int = Field(default=10, ge=1, le=100)
    increment: int = Field(default=1, ge=0, le=10)
    reply_rate: int = Field(default=30, ge=0, le=100)


class Defaults(_Model):
    mailboxes: int = Field(ge=1, le=MAX_MAILBOXES_PER_TENANT)
    dmarc: Dmarc
    ramp: RampSpec
    daily_limit_cap: int = Field(default=50, ge=1)
    sequencer: Literal["instantly", "smartlead", "emailbison", "csv"] = "csv"
    # "password" opts into SMTP AUTH (basic auth, off by default for new tenants from the end of 2026);
    # "oauth" is the durable path: the sequencer connects each mailbox with OAuth after admin consent.
    sending: Literal["oauth", "password"] = "oauth"
    # The sequencer's OAuth application (client) id, as the sequencer documents it. With `sending: oauth` each tenant
    # grants it admin consent for IMAP.AccessAsUser.All and SMTP.Send on Exchange Online.
    sequencer_app_id: Guid | None = None
    licence: Literal["exchange_online_plan1", "business_basic"] = "exchange_online_plan1"
    time_zone: str = Field(default="UTC", min_length=1)
    language: str = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$")
    warmup: WarmupSpec = Field(default_factory=WarmupSpec)
    forwarding: bool = True  # web traffic of every sending domain redirects to primary_domain
    tracking: TrackingSpec | None = None  # a custom tracking domain per sending domain (components.spec.web)


class Persona(_Model):
    """Who a mailbox speaks as; its name must survive transliteration whole (`components.naming`)."""

    first: str = Field(min_length=1)
    last: str = Field(min_length=1)
    photo: str | None = None  # path to a JPEG/PNG on the operator's machine; the Mailbox provider checks it

    @field_validator("first", "last")
    @classmethod
    def _holdable(cls, value: str) -> str:
        problem = name_problem(value)
        if problem:
            raise ValueError(problem)
        return value.strip()


class DomainSpec(_Model):
    name: DomainName
    status: Literal["active", "retiring", "retired"]
    mailboxes: int | None = Field(default=None, ge=1, le=MAX_MAILBOXES_PER_TENANT)
    dmarc: Dmarc | None = None  # replaces defaults.dmarc as a whole
    ramp: RampSpec | None = None  # replaces defaults.ramp as a whole
    tenant_id: Guid | None = None  # existing mode: overrides tenant.tenant_id
    since: date | None = None  # the day it went active: day zero of its ramp
    forwarding: bool | None = None  # overrides defaults.forwarding
    tracking: TrackingSpec | None = None  # replaces defaults.tracking as a whole
    retiring_since: date | None = None  # the day `coldfleet rotate` (or you) set it retiring: its grace period starts
    # Worn mailboxes' local parts: never generated again; each is replaced by its persona's next one (naming.py).
    retired_mailboxes: list[str] = Field(default_factory=list)

    @field_validator("retired_mailboxes")
    @classmethod
    def _local_parts(cls, value: list[str]) -> list[str]:
        bad = [part for part in value if not _LOCAL_PART.fullmatch(part)]
        if bad:
            raise ValueError(f"not mailbox local parts: {', '.join(map(repr, bad))}")
        return value


class RotationSpec(_Model):
    """What `coldfleet rotate` keeps: `target_active` active domains (default: as many as are active now), and how
    long a domain stays `retiring` before it becomes `retired`."""

    target_active: int | None = Field(default=None, ge=0)
    grace_days: int = Field(default=14, ge=0)


class FleetSpec(_Model):
    """The whole spec, valid field by field; build it with `load_spec`, which adds the rules spanning fields."""

    client: str
    primary_domain: DomainName
    residency: Residency
    dns: DnsSpec
    registrar: Literal["namecom", "byo"]
    tenant: TenantSpec
    defaults: Defaults
    personas: list[Persona] = Field(min_length=1)
    domains: list[DomainSpec] = Field(default_factory=list, validate_default=True)
    spares: list[DomainName] = Field(default_factory=list)
    rotation: RotationSpec = Field(default_factory=RotationSpec)

    @field_validator("client")
    @classmethod
    def _client(cls, value: str) -> str:
        if not _SLUG.fullmatch(value):
            raise ValueError("must be a slug: lowercase letters, digits and '-', starting with a letter, ≤ 40 chars")
        return value

    @field_validator("domains")
    @classmethod
    def _some_domain(cls, value: list[DomainSpec]) -> list[DomainSpec]:
        if not value:  # a fleet of nothing; retire domains instead of removing the last one
            raise ValueError("at least one domain")
        return value

    # Effective per-domain values (domain override, else defaults).
    def mailbox_count(self, domain: DomainSpec) -> int:
        return domain.mailboxes if domain.mailboxes is not None else self.defaults.mailboxes

    def dmarc_for(self, domain: DomainSpec) -> Dmarc:
        return domain.dmarc or self.defaults.dmarc

    def ramp_for(self, domain: DomainSpec) -> RampSpec:
        return domain.ramp or self.defaults.ramp

    def tenant_id_for(self, domain: DomainSpec) -> str | None:
        return domain.tenant_id or self.tenant.tenant_id

    def forwarding_for(self, domain: DomainSpec) -> bool:
        return domain.forwarding if domain.forwarding is not None else self.defaults.forwarding

    def tracking_for(self, domain: DomainSpec) -> tuple[str, str] | None:
        """(label, target) of the domain's tracking CNAME; None when off or when no target is known."""
        tracking = domain.tracking or self.defaults.tracking
        if tracking is None or not tracking.enabled:
            return None
        target = tracking.target or TRACKING_HOSTS.get(self.defaults.sequencer)
        return (tracking.label, target) if target else None

    def live_domains(self) -> list[DomainSpec]:
        """Domains that keep resources (active and retiring), sorted by name so list order never matters."""
        return sorted((d for d in self.domains if d.status != "retired"), key=lambda d: d.name)

    def mailboxes(self, domain: DomainSpec) -> list[MailboxPlan]:
        return local_parts(self.personas, self.mailbox_count(domain), domain.retired_mailboxes)
