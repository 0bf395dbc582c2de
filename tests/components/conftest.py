"""A valid fleet spec (as stack config would hold it) for the component tests; each test gets its own copy."""

from __future__ import annotations

import copy
from typing import Any

import pytest

SAMPLE: dict[str, Any] = {
    "client": "acme",
    "primary_domain": "acme.com",
    "residency": "eu",
    "dns": {"backend": "cloudflare"},
    "registrar": "namecom",
    "tenant": {
        "mode": "partner",
        "company_name": "Acme GmbH",
        "address": {
            "first_name": "Anna", "last_name": "Keller", "address_line1": "Hauptstraße 1", "city": "Berlin",
            "state": "BE", "postal_code": "10115", "country": "DE",
        },
        "contact": {"first_name": "Anna", "last_name": "Keller", "email": "anna@acme.com"},
    },
    "defaults": {
        "mailboxes": 3,
        "dmarc": {"policy": "quarantine", "rua": ["mailto:dmarc@acme-reports.com"]},
        "ramp": {"start": 5, "step": 2, "max": 30},
        "sequencer": "instantly",
    },
    "personas": [{"first": "Anna", "last": "Keller"}, {"first": "Jürgen", "last": "Müller"}],
    "domains": [
        {"name": "getacme.com", "status": "active", "since": "2026-01-01"},
        {"name": "tryacme.io", "status": "active"},
    ],
    "spares": ["acmehq.net"],
}


@pytest.fixture
def raw() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE)


@pytest.fixture(autouse=True)
def event_loop_for_mocks() -> Any:
    """`pulumi.runtime.test` needs a current event loop; other tests (asyncio.run) may have closed and unset it."""
    import asyncio

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()
