"""The fleet spec (`coldfleet:fleet`): validated completely, offline, before any resource is registered.

Every error names its place in the spec (`domains[3].mailboxes: ...`) so a user can fix a 40-domain file in one pass.
Cross-field rules (duplicates, brand domain, residency vs. address, mailboxes per tenant) run after field validation.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from providers.dmarc import validate_rua
from providers.types import country_problem, is_under, normalise_domain

MAX_MAILBOXES_PER_TENANT = 100

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
_EMAIL = re.compile(r"[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def _guid(value: str) -> str:
    if not _GUID.fullmatch(value):
        raise ValueError("must be the tenant's GUID")
    return value.lower()


def _mailto(value: str) -> str:
    return validate_rua(value.strip())  # the provider's own rule (a RecordError is a ValueError)


DomainName = Annotated[str, AfterValidator(normalise_domain)]
Guid = Annotated[str, AfterValidator(_guid)]
MailtoUri = Annotated[str, AfterValidator(_mailto)]


class Address(_Model):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    address_line1: str = Field(min_length=1)
    city: str = Field(min_length=1)
    state: str = Field(min_length=1)
    postal_code: str = Field(min_length=1)
    country: str  # ISO 3166 alpha-2
    phone_number: str | None = None

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError("must be an ISO 3166 alpha-2 code such as DE")
        return value.upper()


class Contact(_Model):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    email: str

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.fullmatch(value):
            raise ValueError("not an email address")
        return value


class TenantSpec(_Model):
    mode: Literal["partner", "existing"]
    company_name: str = Field(min_length=1)
    address: Address
    contact: Contact
    tenant_id: Guid | None = None


class DnsSpec(_Model):
    backend: Literal["cloudflare", "rfc2136"]


class DmarcSpec(_Model):
    """RFC 9989 DMARC: `testing` publishes t=y (it replaces pct). External rua domains must authorise the report."""

    policy: Literal["none", "quarantine", "reject"]
    rua: list[MailtoUri] = Field(default_factory=list)
    sp: Literal["none", "quarantine", "reject"] | None = None
    adkim: Literal["r", "s"] = "r"
    aspf: Literal["r", "s"] = "r"
    testing: bool = False

    @field_validator("rua", mode="before")
    @classmethod
    def _rua(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value  # a single URI is accepted as a list of one

    def auth_records_input(self) -> dict[str, Any]:
        """The AuthRecords `dmarc` input (the resources' contract names `testing` as `t`)."""
        out: dict[str, Any] = {
            "policy": self.policy, "rua": list(self.rua), "adkim": self.adkim, "aspf": self.aspf, "t": self.testing,
        }
        if self.sp is not None:
            out["sp"] = self.sp
        return out


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
    dmarc: DmarcSpec
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
    first: str = Field(min_length=1)
    last: str = Field(min_length=1)
    photo: str | None = None  # path to a JPEG/PNG on the operator's machine; the Mailbox provider checks it

    @field_validator("first", "last")
    @classmethod
    def _ascii(cls, value: str) -> str:
        if not ascii_part(value):
            raise ValueError(f"{value!r} has no ASCII letters or digits after transliteration")
        return value.strip()


class DomainSpec(_Model):
    name: DomainName
    status: Literal["active", "retiring", "retired"]
    mailboxes: int | None = Field(default=None, ge=1, le=MAX_MAILBOXES_PER_TENANT)
    dmarc: DmarcSpec | None = None  # replaces defaults.dmarc as a whole
    ramp: RampSpec | None = None  # replaces defaults.ramp as a whole
    tenant_id: Guid | None = None  # existing mode: overrides tenant.tenant_id
    since: date | None = None  # the day it went active: day zero of its ramp


class FleetSpec(_Model):
    client: str
    primary_domain: DomainName
    residency: Literal["us", "eu", "ch"]
    dns: DnsSpec
    registrar: Literal["namecom", "byo"]
    tenant: TenantSpec
    defaults: Defaults
    personas: list[Persona] = Field(min_length=1)
    domains: list[DomainSpec] = Field(default_factory=list)
    spares: list[DomainName] = Field(default_factory=list)

    @field_validator("client")
    @classmethod
    def _client(cls, value: str) -> str:
        if not _SLUG.fullmatch(value):
            raise ValueError("must be a slug: lowercase letters, digits and '-', starting with a letter, ≤ 40 chars")
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

    def dmarc_for(self, domain: DomainSpec) -> DmarcSpec:
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


def cross_field_errors(spec: FleetSpec) -> Iterable[tuple[str, str]]:
    """Rules spanning fields: duplicates, brand domain, residency, ramp vs. cap, tenant ids, ≤ 100 per tenant."""
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

    problem = country_problem(spec.residency, spec.tenant.address.country)  # eu = EU Data Boundary (EU + EFTA)
    if problem:
        yield "tenant.address.country", problem

    cap = spec.defaults.daily_limit_cap
    ramps = [("defaults.ramp", spec.defaults.ramp)]
    ramps += [(f"domains[{i}].ramp", d.ramp) for i, d in enumerate(spec.domains) if d.ramp]
    for path, ramp in ramps:
        if ramp.max > cap:
            yield f"{path}.max", f"{ramp.max} exceeds defaults.daily_limit_cap ({cap})"

    per_tenant: dict[str, list[tuple[int, DomainSpec]]] = defaultdict(list)
    for i, d in enumerate(spec.domains):
        if spec.tenant.mode == "partner" and d.tenant_id:
            yield f"domains[{i}].tenant_id", "only applies when tenant.mode is existing"
        if d.status == "retired":
            continue
        tenant_id = spec.tenant_id_for(d)
        if spec.tenant.mode == "existing" and not tenant_id:
            yield f"domains[{i}].tenant_id", "required when tenant.mode is existing and tenant.tenant_id is unset"
        per_tenant[tenant_id or f"new:{d.name}"].append((i, d))
    if spec.tenant.mode == "partner" and spec.tenant.tenant_id:
        yield "tenant.tenant_id", "only applies when tenant.mode is existing"
    for members in per_tenant.values():
        total = sum(spec.mailbox_count(d) for _, d in members)
        if total > MAX_MAILBOXES_PER_TENANT:
            where = ", ".join(d.name for _, d in members)
            for i, _ in members:
                yield f"domains[{i}].mailboxes", f"{total} mailboxes in one tenant ({where}); at most 100"


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


# ---- local parts -----------------------------------------------------------------------------------------------

_TRANSLIT = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa", "œ": "oe", "þ": "th",
             "ð": "d", "ł": "l", "đ": "d", "ı": "i"}


def ascii_part(name: str) -> str:
    """Lowercase ASCII letters and digits of a name part: ä→ae, ß→ss, é→e; everything else dropped."""
    text = unicodedata.normalize("NFC", name).lower()
    text = "".join(_TRANSLIT.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", text)


_BASE_PATTERNS = (
    "{first}", "{first}.{last}", "{first}{last}", "{f}.{last}", "{first}.{l}", "{last}.{first}", "{f}{last}",
    "{first}{l}", "{last}", "{last}{first}", "{last}.{f}", "{first}_{last}", "{first}-{last}", "{last}{f}",
    "{f}_{last}", "{first}_{l}", "{last}_{first}", "{f}-{last}", "{first}-{l}", "{last}-{first}",
)
# A fixed list of 100: the 20 base patterns, then the same with 2..5 appended.
PATTERNS: tuple[str, ...] = _BASE_PATTERNS + tuple(p + str(n) for n in range(2, 6) for p in _BASE_PATTERNS)


@dataclass(frozen=True)
class MailboxPlan:
    local_part: str
    first_name: str
    last_name: str
    photo: str | None = None

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def local_parts(personas: list[Persona], count: int) -> list[MailboxPlan]:
    """Mailbox i: persona i % len(personas), pattern i // len(personas).

    Each entry depends only on the ones before it, so a larger count appends and a smaller one drops the last; a
    collision (two personas sharing a first name) takes the first free numeric suffix.
    """
    out: list[MailboxPlan] = []
    used: set[str] = set()
    for i in range(count):
        persona = personas[i % len(personas)]
        first, last = ascii_part(persona.first), ascii_part(persona.last)
        pattern = PATTERNS[(i // len(personas)) % len(PATTERNS)]
        candidate = base = pattern.format(first=first, last=last, f=first[0], l=last[0])
        n = 2
        while candidate in used:
            candidate, n = f"{base}{n}", n + 1
        used.add(candidate)
        out.append(MailboxPlan(candidate, persona.first, persona.last, persona.photo))
    return out
