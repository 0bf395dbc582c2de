"""Refresh in bulk for records: AuthRecords reads its zone in one zone transfer from the authoritative server
(providers/zones.py) instead of one query per name, and reads exactly what asking name by name reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from providers import snapshot, zones
from providers.auth_records import AuthRecordsProvider
from providers.clients.dns import authoritative
from sandbox.handle import SandboxHandle
from tests.providers.auth_records.test_provider import Setup, make_setup, out_of, rfc
from tests.providers.clients.helpers import nsupdate

__all__ = ["rfc"]  # the fixture, shared with test_provider.py


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Counts of our own DNS round trips (the real functions still run: BIND answers every one)."""
    counts = {"query": 0, "transfer": 0}
    query, transfer = authoritative.query_server, authoritative.transfer

    def counting_query(*args: Any, **kwargs: Any) -> list[str]:
        counts["query"] += 1
        return query(*args, **kwargs)

    def counting_transfer(*args: Any, **kwargs: Any) -> authoritative.RRsets | None:
        counts["transfer"] += 1
        return transfer(*args, **kwargs)

    monkeypatch.setattr(authoritative, "query_server", counting_query)
    monkeypatch.setattr(authoritative, "transfer", counting_transfer)
    snapshot.forget()
    yield counts
    snapshot.forget()


@pytest.mark.parametrize("backend", ["rfc2136", "cloudflare"])
def test_read_lists_the_zone_once(sandbox: SandboxHandle, backend: str, counted: dict[str, int],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    s = make_setup(sandbox, backend)
    p = AuthRecordsProvider()
    outs = out_of(p.create(s.props()))
    nsupdate(sandbox, s.domain, f"_dmarc.{s.domain}", "TXT", '"v=DMARC1; p=none"')  # drift, out of band
    counted.update(query=0, transfer=0)
    bulk = out_of(p.read(s.domain, outs))
    assert counted == {"query": 0, "transfer": 1}  # one AXFR instead of six queries

    with monkeypatch.context() as patched:  # name by name, as before
        patched.setattr(zones, "authoritative_zone", lambda settings, zone: None)
        counted.update(query=0, transfer=0)
        single = out_of(p.read(s.domain, outs))
        assert counted["query"] == len(single["records"]) and counted["transfer"] == 0
    assert bulk == single
    assert [x["name"] for x in bulk["drift"]] == [f"_dmarc.{s.domain}"]


def test_second_read_sees_changes_made_since(sandbox: SandboxHandle, rfc: Setup, counted: dict[str, int]) -> None:
    p = AuthRecordsProvider()
    outs = out_of(p.create(rfc.props()))
    assert out_of(p.read(rfc.domain, outs))["drift"] == []
    nsupdate(sandbox, rfc.domain, f"_dmarc.{rfc.domain}", "TXT", '"v=DMARC1; p=none"')
    again = out_of(p.read(rfc.domain, outs))  # the same object read again: a new run, a new listing
    assert [x["found"] for x in again["drift"]] == [["v=DMARC1; p=none"]]


def test_a_zone_that_does_not_list_is_read_by_name(sandbox: SandboxHandle, rfc: Setup,
                                                   counted: dict[str, int]) -> None:
    p = AuthRecordsProvider()
    outs = out_of(p.create(rfc.props()))
    nsupdate(sandbox, rfc.domain, f"*.{rfc.domain}", "TXT", '"wildcard"')  # a listing would not answer as a query
    counted.update(query=0, transfer=0)
    read = out_of(p.read(rfc.domain, outs))
    assert counted["transfer"] == 1 and counted["query"] == len(read["records"])
    assert read == outs
