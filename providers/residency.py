"""Data residency: which countries a tenant may be billed in, and what follows from that choice.

A Microsoft 365 tenant's data location follows the country of its billing address at creation and cannot be changed
afterwards by any API, so residency is checked before anything is created.

- `us`: United States only.
- `eu`: the EU member states **plus the EFTA states (IS, LI, NO, CH)**. We follow Microsoft's EU Data Boundary, which
  covers the EU and EFTA (not the UK). A Swiss address under `eu` lands in Microsoft's Switzerland geography, which is
  inside the EU Data Boundary; choose `ch` when Switzerland itself is the requirement.
- `ch`: Switzerland only.

Partner Center culture: `en-US` is listed as a supported culture for every country/region in Partner Center's
"supported languages and locales" table, so it is the one culture that never fails validation; language `en`.
"""

from __future__ import annotations

from typing import Literal

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

# Ireland for `eu`: no local Microsoft 365 geography of its own, so the tenant lands in the EU macro geography.
DEFAULT_COUNTRY: dict[str, str] = {"us": "US", "eu": "IE", "ch": "CH"}

PARTNER_CULTURE = "en-US"
PARTNER_LANGUAGE = "en"


def countries(residency: str) -> frozenset[str]:
    """The ISO 3166 alpha-2 codes allowed under `residency` (KeyError for an unknown residency)."""
    return COUNTRIES[residency]


def default_country(residency: str) -> str:
    return DEFAULT_COUNTRY[residency]


def in_residency(residency: str, country: str) -> bool:
    return country.upper() in COUNTRIES.get(residency, frozenset())


def country_problem(residency: str, country: str) -> str | None:
    """Why `country` cannot be used under `residency`, or None when it can."""
    if residency not in COUNTRIES:
        return f"unknown residency {residency!r} (expected one of {', '.join(COUNTRIES)})"
    if in_residency(residency, country):
        return None
    allowed = ", ".join(sorted(COUNTRIES[residency]))
    note = " (eu follows the EU Data Boundary: EU member states and EFTA)" if residency == "eu" else ""
    return f"country {country!r} is outside residency {residency!r}; allowed: {allowed}{note}"


def usage_location(residency: str, country: str | None = None) -> str:
    """The `usageLocation` for users: the tenant's country (licences are sold per country), else the default."""
    if country:
        return country.upper()
    return default_country(residency)


def partner_culture(residency: str, country: str) -> tuple[str, str]:
    """(culture, language) for Partner Center's billing profile; see the module docstring for why en-US."""
    del residency, country  # en-US is valid everywhere; kept in the signature so a local table can come later
    return PARTNER_CULTURE, PARTNER_LANGUAGE
