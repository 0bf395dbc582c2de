"""The concepts every layer shares, each defined once: names, identifiers, residency, address, contact, DMARC.

The fleet spec (`components`), the resources' args (`providers/<resource>/args.py`) and the clients all take these
from here, so a rule (an e-mail pattern, "at most 100 mailboxes per tenant", which country `eu` defaults to) has one
home. Pure pydantic and the standard library plus `providers.dmarc` (checkdmarc): no SDK, no client, no settings,
so anything may import it.

Domain names: IDNA 2008 with the UTS 46 mapping (the `idna` package), not Python's built-in `idna` codec
(IDNA 2003): the two disagree on names such as `straße.de` (2003 maps ß to "ss", 2008 keeps it as
`xn--strae-oqa.de`), and a spec that validated one name must not reach a provider that computes another.

Residency (a tenant's data location follows the country of its billing address at creation and cannot be changed
afterwards by any API, so residency is checked before anything is created):
- `us`: United States only.
- `eu`: the EU member states **plus the EFTA states (IS, LI, NO, CH)**, following Microsoft's EU Data Boundary (not
  the UK). A Swiss address under `eu` lands in Microsoft's Switzerland geography, inside the EU Data Boundary; choose
  `ch` when Switzerland itself is the requirement. The default country for `eu` is Ireland: it has no local Microsoft
  365 geography of its own, so the tenant lands in the EU macro geography.
- `ch`: Switzerland only.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import idna
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from providers.dmarc import RecordError, build_dmarc, validate_dmarc, validate_rua

# ---- rules -------------------------------------------------------------------------------------------------------

MAX_MAILBOXES_PER_TENANT = 100
"""coldfleet's rule (Microsoft allows more): spread larger fleets over more tenants."""

GUID_PATTERN = r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$"
EMAIL_PATTERN = r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
# Countries whose postal addresses Partner Center rejects without a state / province.
STATE_REQUIRED = frozenset({"US", "CA", "AU", "BR", "MX", "IN"})

# Microsoft 365's client endpoints, as a sequencer connects each mailbox (SMTP submission with STARTTLS, IMAP over TLS).
SMTP_HOST, SMTP_PORT = "smtp.office365.com", 587
IMAP_HOST, IMAP_PORT = "outlook.office365.com", 993

# ---- domain names --------------------------------------------------------------------------------------------------

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def normalise_domain(value: str) -> str:
    """Lowercase ASCII (IDN → punycode via IDNA 2008/UTS 46), no trailing dot, valid LDH labels."""
    name = value.strip().rstrip(".")
    try:
        name = idna.encode(name, uts46=True).decode("ascii").lower()
    except idna.IDNAError as error:
        raise ValueError(f"{value!r} is not a valid domain name ({error})") from None
    labels = name.split(".")
    if len(labels) < 2:
        raise ValueError(f"{value!r} needs at least two labels")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(f"{value!r} is not a valid domain name")
    return name


def is_under(name: str, parent: str) -> bool:
    """`name` is `parent` or a subdomain of it (both normalised)."""
    return name == parent or name.endswith("." + parent)


DomainName = Annotated[str, AfterValidator(normalise_domain)]

# ---- identifiers and small values -------------------------------------------------------------------------------

_GUID = re.compile(GUID_PATTERN, re.IGNORECASE)
_EMAIL = re.compile(EMAIL_PATTERN)


def normalise_guid(value: str) -> str:
    """A tenant or application id: a GUID, lowercased (Graph answers lowercase)."""
    if not isinstance(value, str) or not _GUID.fullmatch(value.strip()):
        raise ValueError("must be a GUID such as 00000000-0000-0000-0000-000000000000")
    return value.strip().lower()


def normalise_email(value: str) -> str:
    if not isinstance(value, str) or not _EMAIL.fullmatch(value.strip()):
        raise ValueError("not an email address")
    return value.strip()


def lower(value: Any) -> Any:
    """Before-validator: strip, lowercase and drop a trailing dot (names and ids compare case-insensitively)."""
    return value.strip().lower().rstrip(".") if isinstance(value, str) else value


def upper(value: Any) -> Any:
    """Before-validator: strip and uppercase (ISO country codes)."""
    return value.strip().upper() if isinstance(value, str) else value


Guid = Annotated[str, AfterValidator(normalise_guid)]
Email = Annotated[str, AfterValidator(normalise_email)]


def mail_address(local_part: str, domain: str) -> str:
    """`local@domain`: the one place a mailbox address (and its UPN) is spelled."""
    return f"{local_part}@{domain}"


# ---- residency ------------------------------------------------------------------------------------------------------

Residency = Literal["us", "eu", "ch"]

EU_MEMBER_STATES = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    }
)  # fmt: skip
EFTA_STATES = frozenset({"IS", "LI", "NO", "CH"})

COUNTRIES: dict[str, frozenset[str]] = {
    "us": frozenset({"US"}),
    "eu": EU_MEMBER_STATES | EFTA_STATES,
    "ch": frozenset({"CH"}),
}
DEFAULT_COUNTRY: dict[str, str] = {"us": "US", "eu": "IE", "ch": "CH"}


def country_problem(residency: str, country: str) -> str | None:
    """Why `country` cannot be used under `residency`, or None when it can."""
    if residency not in COUNTRIES:
        return f"unknown residency {residency!r} (expected one of {', '.join(COUNTRIES)})"
    if country.upper() in COUNTRIES[residency]:
        return None
    allowed = ", ".join(sorted(COUNTRIES[residency]))
    note = " (eu follows the EU Data Boundary: EU member states and EFTA)" if residency == "eu" else ""
    return f"country {country!r} is outside residency {residency!r}; allowed: {allowed}{note}"


# ---- address and contact ------------------------------------------------------------------------------------------


class Address(BaseModel):
    """A billing address as Partner Center takes it; its country fixes the tenant's data location."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    address_line1: str = Field(min_length=1)
    city: str = Field(min_length=1)
    state: str = ""
    postal_code: str = Field(min_length=1)
    country: str = Field(pattern=COUNTRY_PATTERN, description="ISO 3166 alpha-2, e.g. DE")
    phone_number: str | None = None

    _country = field_validator("country", mode="before")(upper)

    @model_validator(mode="after")
    def _state(self) -> Address:
        if self.country in STATE_REQUIRED and not self.state.strip():
            raise ValueError(f"state is required for addresses in {self.country}")
        return self


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    email: Email


# ---- DMARC ---------------------------------------------------------------------------------------------------------

Policy = Literal["none", "quarantine", "reject"]
Alignment = Literal["r", "s"]


STORED = "stored"  # validation context: props read back from the state, already checked when they were declared


def stored(info: ValidationInfo) -> bool:
    """True when validating what the state holds (refresh's read): checkdmarc already accepted it at `check`."""
    return bool(info.context and info.context.get(STORED))


def _mailto(value: str, info: ValidationInfo) -> str:
    if stored(info):
        return value.strip()  # importing checkdmarc costs a refresh about 0.3-1.5 s (providers/dmarc.py)
    return validate_rua(value.strip())  # a RecordError is a ValueError; per entry, so errors name `rua[1]`


MailtoUri = Annotated[str, AfterValidator(_mailto)]


class Dmarc(BaseModel):
    """An RFC 9989 DMARC policy. `testing` publishes `t=y` (it replaces pct); the resources' input names it `t`.

    Accepts either spelling; `model_dump(by_alias=True)` gives the resource input (`t`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    policy: Policy
    rua: list[MailtoUri] = Field(default_factory=list)
    sp: Policy | None = None
    adkim: Alignment = "r"
    aspf: Alignment = "r"
    testing: bool = Field(default=False, validation_alias=AliasChoices("testing", "t"), serialization_alias="t")

    @field_validator("rua", mode="before")
    @classmethod
    def _one_rua(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value  # a single URI is accepted as a list of one

    @model_validator(mode="after")
    def _valid_record(self, info: ValidationInfo) -> Dmarc:
        if stored(info):
            return self
        try:
            validate_dmarc(self.record(), "dmarc.invalid")  # the domain only appears in checkdmarc's messages
        except RecordError as error:
            raise ValueError(str(error)) from None
        return self

    def record(self) -> str:
        return build_dmarc(self.policy, self.rua, sp=self.sp, adkim=self.adkim, aspf=self.aspf, testing=self.testing)
