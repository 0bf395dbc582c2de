"""The fleet spec (`coldfleet:fleet`): its models, validated completely and offline before any resource is registered.

Every error names its place in the spec (`domains[3].mailboxes: ...`) so a user can fix a 40-domain file in one pass.
Field rules sit on the models; rules spanning fields (duplicates, brand domain, residency vs. address, ramp vs. cap,
tenant ids, mailboxes per tenant) run after them in `cross_field_errors`, here too, because `load_spec` must refuse
them. Shared concepts (domain names, GUIDs, address, contact, DMARC, residency) come from `providers.types`; what a
name may hold and the mailboxes it yields from `components.naming`; rules about a *change* to a deployed fleet (mass
delete, residency lock) from `components.guardrails`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from components.naming import MailboxPlan, local_parts, name_problem
from providers.types import (
    MAX_MAILBOXES_PER_TENANT,
    Address,
    Contact,
    Dmarc,
    DomainName,
    Guid,
    Residency,
    country_problem,
    is_under,
)

LEGAL_NOTICE = (
    "Provisioning mailboxes does not make sending lawful. Cold email is regulated where the recipients are: in the EU "
    "and Switzerland (GDPR, ePrivacy, national unfair-competition law such as Germany's UWG §7(2), which requires "
    "prior consent even for B2B email), in the US (CAN-SPAM). Check the rules for your recipients before sending."
)


class SpecError(Exception):
    """An invalid spec. Not a ValueError on purpose: pydantic must not swallow it inside a model validator."""

    def __init__(self, errors: Iterable[tuple[str, str]]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  {path}: {message}" for path, message in self.errors)
        super().__init__(f"invalid coldfleet:fleet spec ({len(self.errors)} error(s)):\n{lines}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_SLUG = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")


class TenantSpec(_Model):
    mode: Literal["partner", "existing"]
    company_name: str = Field(min_length=1)
    address: Address
    contact: Contact
    tenant_id: Guid | None = None


class DnsSpec(_Model):
    backend: Literal["cloudflare", "rfc2136"]


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
    sequencer: Literal["instantly", "smartlead", "csv"] = "csv"
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


class FleetSpec(_Model):
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

    @model_validator(mode="after")
    def _cross_checks(self) -> FleetSpec:
        errors = list(cross_field_errors(self))
        if errors:
            raise SpecError(errors)
        return self

    # Effective per-domain values (domain override, else defaults).
    def mailbox_count(self, domain: DomainSpec) -> int:
        return domain.mailboxes if domain.mailboxes is not None else self.defaults.mailboxes

    def dmarc_for(self, domain: DomainSpec) -> Dmarc:
        return domain.dmarc or self.defaults.dmarc

    def ramp_for(self, domain: DomainSpec) -> RampSpec:
        return domain.ramp or self.defaults.ramp

    def tenant_id_for(self, domain: DomainSpec) -> str | None:
        return domain.tenant_id or self.tenant.tenant_id

    def live_domains(self) -> list[DomainSpec]:
        """Domains that keep resources (active and retiring), sorted by name so list order never matters."""
        return sorted((d for d in self.domains if d.status != "retired"), key=lambda d: d.name)

    def mailboxes(self, domain: DomainSpec) -> list[MailboxPlan]:
        return local_parts(self.personas, self.mailbox_count(domain))


# ---- rules spanning fields -------------------------------------------------------------------------------------


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


# ---- loading ---------------------------------------------------------------------------------------------------


def _pydantic_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(spec)"


def load_spec(raw: Mapping[str, Any] | str) -> FleetSpec:
    """Parse and validate the fleet spec (a mapping, or YAML/JSON text). Raises SpecError; never touches the network."""
    if isinstance(raw, str):
        try:
            raw = yaml.safe_load(raw)
        except yaml.YAMLError as error:
            raise SpecError([("(spec)", f"not YAML/JSON: {error}")]) from None
    if not isinstance(raw, Mapping):
        raise SpecError([("(spec)", "must be an object")])
    try:
        return FleetSpec.model_validate(dict(raw))
    except ValidationError as error:
        errors = error.errors()
        raise SpecError((_pydantic_path(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in errors) from None
