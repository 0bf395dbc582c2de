"""A retired mailbox is deleted before its successor is created (one seat per mailbox in a tenant): the fleet holds
new mailboxes of that domain back while the retired one still exists, and nothing else moves."""

from __future__ import annotations

from typing import Any

from tests.components.test_fleet import build

D = "getacme.com"


def boxes(run: Any, domain: str) -> set[str]:
    return {name.split("/", 1)[1] for name in run.of("Mailbox") if name.startswith(f"{domain}/")}


def test_retired_mailbox_goes_first_then_its_successor_comes(raw: dict[str, Any]) -> None:
    first = build(raw)
    assert boxes(first, D) == {"anna", "juergen", "anna.keller"}
    previous = dict(first.values["inventory"])
    raw["domains"][0]["retired_mailboxes"] = ["juergen"]
    swap = build(raw, previous=previous)
    assert boxes(swap, D) == {"anna", "anna.keller"}  # juergen deleted, juergen.mueller not yet
    assert boxes(swap, "tryacme.io") == boxes(first, "tryacme.io")
    assert swap.of("M365Tenant")[D]["seats"] == first.of("M365Tenant")[D]["seats"] == 3
    after = build(raw, previous=dict(swap.values["inventory"]))
    assert boxes(after, D) == {"anna", "juergen.mueller", "anna.keller"}
    assert build(raw).of("Mailbox").keys() == after.of("Mailbox").keys()  # a fresh stack gets the successor at once
