"""Residency rules and generated passwords (pure functions, no sandbox)."""

from __future__ import annotations

import string

import pytest

from providers import passwords, residency


def test_us_and_ch_are_single_countries() -> None:
    assert residency.countries("us") == {"US"}
    assert residency.countries("ch") == {"CH"}
    assert residency.default_country("us") == "US"
    assert residency.default_country("ch") == "CH"


def test_eu_follows_the_eu_data_boundary() -> None:
    eu = residency.countries("eu")
    assert len(residency.EU_MEMBER_STATES) == 27
    assert {"DE", "FR", "IE", "NL", "GR", "SE"} <= eu
    assert {"IS", "LI", "NO", "CH"} <= eu  # EFTA is inside the EU Data Boundary
    assert "GB" not in eu and "US" not in eu
    assert residency.default_country("eu") in eu


@pytest.mark.parametrize(
    ("res", "country", "ok"),
    [("us", "US", True), ("us", "us", True), ("us", "CA", False), ("eu", "AT", True), ("eu", "GB", False),
     ("ch", "CH", True), ("ch", "DE", False), ("eu", "CH", True)],
)
def test_country_problem(res: str, country: str, ok: bool) -> None:
    problem = residency.country_problem(res, country)
    assert (problem is None) is ok
    if not ok:
        assert country in problem and res in problem  # type: ignore[operator]


def test_unknown_residency_is_a_problem_not_an_exception() -> None:
    assert "unknown residency" in (residency.country_problem("mars", "US") or "")
    assert not residency.in_residency("mars", "US")


def test_usage_location_and_culture() -> None:
    assert residency.usage_location("eu", "de") == "DE"
    assert residency.usage_location("eu") == residency.default_country("eu")
    assert residency.partner_culture("ch", "CH") == ("en-US", "en")


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
