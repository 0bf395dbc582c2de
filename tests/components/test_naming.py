"""Mailbox names: what a persona's name may hold, transliteration, deterministic local parts, domain prefixes."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from components.naming import PATTERNS, ascii_part, domain_prefix, local_parts, name_problem
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


@pytest.mark.parametrize(
    "name",
    ["Anna", "José-María O'Neil", "O\u2019Brien", "Zoë", "Zoe\u0308", "Ångström", "St. John", "Anne\u00a0Marie"],
)
def test_names_people_write_are_holdable(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "bad"),
    [("Anna!", "'!'"), ("Ann😀", "'😀'"), ("Anna 王", "'王'"), ("Anna2", "'2'"), ("A_n@a!", "'_', '@', '!'"),
     ("An\u200bna", "'\\u200b'"), ("Иван", "'И', 'в', 'а', 'н'")],
)
def test_characters_a_mailbox_name_cannot_hold_are_named(name: str, bad: str) -> None:
    assert name_problem(name) == f"{name!r} has characters a mailbox name cannot hold: {bad}"


def test_a_name_of_separators_only_is_refused() -> None:
    assert name_problem(" - ") == "' - ' has no ASCII letters or digits after transliteration"


@dataclass(frozen=True)
class Stand:
    """Anything persona-shaped names mailboxes: naming never needs the spec."""

    first: str
    last: str
    photo: str | None = None


def test_local_parts_take_any_persona_like() -> None:
    assert [m.local_part for m in local_parts([Stand("Ada", "Byron")], 3)] == ["ada", "ada.byron", "adabyron"]
