"""The blocklist collector against the sandbox's BIND serving DBL, SURBL and URIBL stand-ins: a listing is worn,
NXDOMAIN is ok only after the canary answered, an error code or a dead resolver is unknown."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from components.health import blocklists
from components.health.signals import DomainSignals
from sandbox.bind import free_port
from sandbox.handle import SandboxHandle
from sandbox.public_names import BLOCKLISTS, ERRORED, LISTED
from tests.components.health.conftest import Published

DBL, SURBL, URIBL = "dbl.spamhaus.org", "multi.surbl.org", "multi.uribl.com"


@pytest.fixture
def domain(sandbox: SandboxHandle) -> Iterator[str]:
    name = f"bl-{secrets.token_hex(4)}.com"
    yield name
    for zone in BLOCKLISTS:
        sandbox.set_blocklisted(zone, name, None)


def levels(sandbox: SandboxHandle, raw: dict[str, Any], domain: str, **kw: Any) -> dict[str, tuple[str, str]]:
    signals = DomainSignals(domain)
    blocklists.collect(Published(sandbox, domain).context(raw, **kw), signals)
    assert all(f.source == "blocklist" for f in signals.findings)
    return {f.check: (f.level, f.detail) for f in signals.findings}


def test_a_clean_domain_is_ok_on_every_default_list(sandbox: SandboxHandle, raw: dict[str, Any],
                                                    domain: str) -> None:
    found = levels(sandbox, raw, domain)
    assert {zone: level for zone, (level, _) in found.items()} == {DBL: "ok", SURBL: "ok", URIBL: "ok"}


def test_a_listing_is_worn(sandbox: SandboxHandle, raw: dict[str, Any], domain: str) -> None:
    sandbox.set_blocklisted(DBL, domain, "127.0.1.2")
    found = levels(sandbox, raw, domain)
    assert found[DBL][0] == "worn" and "127.0.1.2" in found[DBL][1]
    assert found[SURBL][0] == found[URIBL][0] == "ok"


def test_an_error_code_is_unknown_not_clean(sandbox: SandboxHandle, raw: dict[str, Any], domain: str) -> None:
    sandbox.set_blocklisted(DBL, domain, "127.255.255.254")
    sandbox.set_blocklisted(URIBL, domain, "127.0.0.1")
    found = levels(sandbox, raw, domain)
    assert found[DBL] == ("unknown", "dbl.spamhaus.org: query through a public resolver")
    assert found[URIBL][0] == "unknown" and found[SURBL][0] == "ok"


def test_a_list_whose_canary_is_not_listed_is_unknown(sandbox: SandboxHandle, raw: dict[str, Any],
                                                      domain: str) -> None:
    canary, answer = BLOCKLISTS[URIBL][:2]
    sandbox.set_blocklisted(URIBL, canary, None)
    try:
        found = levels(sandbox, raw, domain)
    finally:
        sandbox.set_blocklisted(URIBL, canary, answer)
    assert found[URIBL][0] == "unknown" and "canary test.uribl.com not listed" in found[URIBL][1]
    assert levels(sandbox, raw, domain)[URIBL][0] == "ok"


def test_the_seeded_entries(sandbox: SandboxHandle, raw: dict[str, Any]) -> None:
    assert {level for level, _ in levels(sandbox, raw, LISTED).values()} == {"worn"}
    assert {level for level, _ in levels(sandbox, raw, ERRORED).values()} == {"unknown"}


def test_lists_come_from_the_option(sandbox: SandboxHandle, raw: dict[str, Any], domain: str) -> None:
    found = levels(sandbox, raw, domain, options={"blocklists": " DBL.spamhaus.org , bl.example.net"})
    assert found == {"bl.example.net": ("unknown", found["bl.example.net"][1]), DBL: ("ok", found[DBL][1])}


def test_a_resolver_that_does_not_answer_is_unknown(sandbox: SandboxHandle, raw: dict[str, Any],
                                                    domain: str) -> None:
    settings = dataclasses.replace(sandbox.settings, blocklist_resolver=f"127.0.0.1:{free_port()}")
    found = levels(sandbox, raw, domain, settings=settings, options={"blocklists": DBL})  # one list: 5 s, not 15
    assert found[DBL] == ("unknown", "dbl.spamhaus.org: no answer")
