"""Retired local parts: the rest keep theirs, each is replaced by its persona's next one, nothing collides."""

from __future__ import annotations

from components.naming import local_parts
from components.spec import Persona

ANNA, MARCO = Persona(first="Anna", last="Keller"), Persona(first="Marco", last="Rossi")


def parts(count: int, retired: list[str]) -> list[str]:
    return [m.local_part for m in local_parts([ANNA, MARCO], count, retired)]


def test_untouched_mailboxes_keep_their_local_parts() -> None:
    assert parts(4, []) == ["anna", "marco", "anna.keller", "marco.rossi"]
    assert parts(4, ["marco"]) == ["anna", "marcorossi", "anna.keller", "marco.rossi"]
    boxes = local_parts([ANNA, MARCO], 4, ["marco"])
    assert (boxes[1].first_name, boxes[1].last_name) == ("Marco", "Rossi")  # the same persona speaks


def test_a_replacement_can_be_retired_too() -> None:
    assert parts(3, ["marco"]) == ["anna", "marco.rossi", "anna.keller"]
    assert parts(3, ["marco", "marco.rossi"]) == ["anna", "marcorossi", "anna.keller"]
    assert parts(3, ["anna", "marco", "anna.keller"]) == ["annakeller", "marco.rossi", "a.keller"]


def test_retired_parts_that_are_not_planned_change_nothing() -> None:
    assert parts(2, ["lena", "marco.rossi"]) == ["anna", "marco"]
