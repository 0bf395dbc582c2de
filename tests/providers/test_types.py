"""Residency rules (providers.types) and generated passwords (pure functions, no sandbox)."""

from __future__ import annotations

import string

import pytest

from providers import passwords
from providers.m365_tenant.partner import PARTNER_CULTURE, PARTNER_LANGUAGE
from providers.types import COUNTRIES, DEFAULT_COUNTRY, EU_MEMBER_STATES, country_problem, upper


def test_us_and_ch_are_single_countries() -> None:
    assert COUNTRIES["us"] == {"US"}
    assert COUNTRIES["ch"] == {"CH"}
    assert DEFAULT_COUNTRY["us"] == "US"
    assert DEFAULT_COUNTRY["ch"] == "CH"


def test_eu_follows_the_eu_data_boundary() -> None:
    eu = COUNTRIES["eu"]
    assert len(EU_MEMBER_STATES) == 27
    assert {"DE", "FR", "IE", "NL", "GR", "SE"} <= eu
    assert {"IS", "LI", "NO", "CH"} <= eu  # EFTA is inside the EU Data Boundary
    assert "GB" not in eu and "US" not in eu
    assert DEFAULT_COUNTRY["eu"] in eu


@pytest.mark.parametrize(
    ("res", "country", "ok"),
    [("us", "US", True), ("us", "us", True), ("us", "CA", False), ("eu", "AT", True), ("eu", "GB", False),
     ("ch", "CH", True), ("ch", "DE", False), ("eu", "CH", True)],
)
def test_country_problem(res: str, country: str, ok: bool) -> None:
    problem = country_problem(res, country)
    assert (problem is None) is ok
    if not ok:
        assert country in problem and res in problem  # type: ignore[operator]


def test_unknown_residency_is_a_problem_not_an_exception() -> None:
    assert "unknown residency" in (country_problem("mars", "US") or "")
    assert "mars" not in COUNTRIES  # in no residency: nothing is allowed under it


def test_usage_location_and_culture() -> None:
    # A mailbox's usageLocation is the tenant's country, uppercased (the residency helpers for it were unused).
    assert upper("de") == "DE"
    assert DEFAULT_COUNTRY["eu"] == "IE"
    assert (PARTNER_CULTURE, PARTNER_LANGUAGE) == ("en-US", "en")


def test_generated_passwords_meet_microsoft_complexity() -> None:
    seen = set()
    for _ in range(200):
        pw = passwords.generate()
        assert len(pw) >= 20
        assert passwords.meets_complexity(pw, classes=4)
        assert set(pw) <= set(passwords.ALPHABET)
        assert not set(pw) & set(",;'\"\\ <>`")  # safe in CSV exports and shells
        seen.add(pw)
    assert len(seen) == 200


def test_password_length_bounds() -> None:
    assert len(passwords.generate(64)) == 64
    with pytest.raises(ValueError):
        passwords.generate(12)
    assert not passwords.meets_complexity("Ab1!xyz")  # too short for Entra (8 minimum)
    assert not passwords.meets_complexity("a" * 30)
    assert not passwords.meets_complexity(string.ascii_lowercase)
    assert passwords.meets_complexity("Abcdefgh1")  # three classes are enough for Entra


def test_stored_dmarc_skips_checkdmarc_but_declared_dmarc_does_not() -> None:
    """State read back by refresh was checked when declared: validating it again need not import checkdmarc."""
    import subprocess
    import sys

    code = ("import sys; from providers.types import Dmarc, STORED; "
            "d = Dmarc.model_validate({'policy': 'reject', 'rua': ['mailto:d@example.com']}, context={STORED: True}); "
            "assert d.record().startswith('v=DMARC1; p=reject'); assert 'checkdmarc' not in sys.modules; "
            "Dmarc.model_validate({'policy': 'reject'}); assert 'checkdmarc' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
    from pydantic import ValidationError

    from providers.types import Dmarc

    with pytest.raises(ValidationError, match="rua"):
        Dmarc.model_validate({"policy": "reject", "rua": ["https://example.com"]})
