"""Mailbox names: what a persona's name may hold, transliteration, deterministic local parts, domain prefixes."""

from __future__ import annotations

import re

import pytest

from components.naming import PATTERNS, ascii_part, domain_prefix, local_parts
from components.spec import Persona
from providers.mailbox import LOCAL_PART

ANNA, JUERGEN = Persona(first="Anna", last="Keller"), Persona(first="Jürgen", last="Müller")


def test_transliteration() -> None:
    assert ascii_part("Jürgen") == "juergen"
    assert ascii_part("Straße") == "strasse"
    assert ascii_part("José-María O'Neil") == "josemariaoneil"
    assert ascii_part("Ångström") == "aangstroem"
    assert ascii_part("王") == ""


def test_local_parts_rotate_personas_then_patterns() -> None:
    parts = [m.local_part for m in local_parts([ANNA, JUERGEN], 6)]
    assert parts == ["anna", "juergen", "anna.keller", "juergen.mueller", "annakeller", "juergenmueller"]
    box = local_parts([ANNA, JUERGEN], 2)[1]
    assert (box.first_name, box.last_name, box.display_name) == ("Jürgen", "Müller", "Jürgen Müller")


def test_local_parts_are_deterministic_and_append_only() -> None:
    full = local_parts([ANNA, JUERGEN], 100)
    assert full == local_parts([ANNA, JUERGEN], 100)
    for n in (1, 7, 50, 99):
        assert local_parts([ANNA, JUERGEN], n) == full[:n]


@pytest.mark.parametrize(
    "personas",
    [[ANNA], [ANNA, Persona(first="Anna", last="Koch")], [Persona(first="A", last="B"), Persona(first="A", last="Bo")]],
)
def test_local_parts_are_unique_and_valid_for_100(personas: list[Persona]) -> None:
    parts = [m.local_part for m in local_parts(personas, 100)]
    assert len(set(parts)) == 100
    assert all(re.fullmatch(LOCAL_PART, p) for p in parts)
    assert len(PATTERNS) >= 100


def test_domain_prefix_is_short_stable_and_distinct() -> None:
    a = domain_prefix("acme-corp", "a-very-long-sending-domain-name.example.com")
    assert len(a) <= 27 and a.isalnum() and a == a.lower() and a[0].isalpha()
    assert a == domain_prefix("acme-corp", "a-very-long-sending-domain-name.example.com")
    assert a != domain_prefix("acme-corp", "a-very-long-sending-domain-name.example.net")
