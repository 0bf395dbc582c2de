"""Refresh in bulk: the reads of one tenant's mailboxes share one listing (providers/mailbox/listing.py), cost O(1)
requests instead of a few per mailbox, and return exactly what reading them one by one returns."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from providers import config, snapshot
from providers.base import Created
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import GraphClient
from providers.mailbox import MailboxProvider
from providers.mailbox import listing as mailbox_listing
from tests.providers.mailbox.test_provider import finish, inputs, verified_tenant

N = 6


@pytest.fixture(scope="module")
def fleet(sandbox: Any) -> tuple[str, list[Created]]:
    """A tenant with N mailboxes, one of them with SMTP AUTH on (password sending)."""
    sandbox.set_mailbox_delay(0.3)
    config.use(sandbox.settings)
    tenant_id, domain, sku = verified_tenant(sandbox, seats=N + 2)
    provider = MailboxProvider()
    created = []
    for i in range(N):
        news = provider.check({}, inputs(tenant_id=tenant_id, domain=domain, licence_sku_id=sku,
                                         local_part=f"r{i}{uuid.uuid4().hex[:6]}",
                                         sending="password" if i == 0 else "oauth")).inputs
        created.append(provider.create(news))
    for mailbox in created:  # the domain's DomainMailboxes: wait for each mailbox and finish it
        finish(mailbox)
    return tenant_id, created


@pytest.fixture()
def fresh(sandbox: Any) -> Iterator[None]:
    config.use(sandbox.settings)
    snapshot.forget()
    yield
    snapshot.forget()


def one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads as before the listing: every part unknown, so each read asks for its own user and mailbox."""
    empty = mailbox_listing.TenantMailboxes(users=None, settings={}, cas=None, tenant_smtp_auth=None)
    monkeypatch.setattr(mailbox_listing.SNAPSHOTS, "get", lambda key, item, fill: empty)


def read_all(created: list[Created]) -> list[dict[str, Any]]:
    provider = MailboxProvider()
    with ThreadPoolExecutor(max_workers=4) as pool:  # as the engine's provider server does
        return [r.outs for r in pool.map(lambda c: provider.read(c.id, c.outs), created)]


def test_refresh_of_a_tenant_lists_once(sandbox: Any, fleet: tuple[str, list[Created]], fresh: None,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _, created = fleet
    sandbox.reset_faults()  # request counters to zero
    fills = mailbox_listing.SNAPSHOTS.fills
    bulk = read_all(created)
    graph, exchange = sandbox.request_counts("graph"), sandbox.request_counts("exchange")
    assert mailbox_listing.SNAPSHOTS.fills == fills + 1  # single flight: four threads, one listing
    assert graph["requests"] <= 2  # the user list (one page) + one $batch of ≤ 20 mailbox settings
    assert exchange["requests"] <= 2  # Get-CASMailbox for all + Get-TransportConfig when one follows the tenant

    with monkeypatch.context() as patched:
        one_by_one(patched)
        sandbox.reset_faults()
        single = read_all(created)
        old_graph, old_exchange = sandbox.request_counts("graph"), sandbox.request_counts("exchange")
    assert old_graph["requests"] >= 2 * N and old_exchange["requests"] >= N  # what a refresh cost before
    assert bulk == single  # exactly what reading one by one returns
    assert bulk[0]["smtp_auth_enabled"] is True and all(o["smtp_auth_enabled"] is False for o in bulk[1:])


def test_second_read_of_a_mailbox_sees_changes_made_since(fleet: tuple[str, list[Created]], sandbox: Any,
                                                          fresh: None) -> None:
    tenant_id, created = fleet
    provider = MailboxProvider()
    last = created[-1]
    assert provider.read(last.id, last.outs).outs["display_name"] == last.outs["display_name"]
    GraphClient(sandbox.settings, tenant_id).update_user(last.id, displayName="Changed Meanwhile")
    ExchangeClient(sandbox.settings, tenant_id).set_mailbox_smtp_auth(last.outs["email"], True)
    again = provider.read(last.id, last.outs).outs  # a second read of the same object belongs to a new run
    assert again["display_name"] == "Changed Meanwhile" and again["smtp_auth_enabled"] is True


def test_a_mailbox_made_after_the_listing_is_read_on_its_own(sandbox: Any, fleet: tuple[str, list[Created]],
                                                            fresh: None) -> None:
    tenant_id, created = fleet
    provider = MailboxProvider()
    provider.read(created[2].id, created[2].outs)  # fills the listing
    fills = mailbox_listing.SNAPSHOTS.fills
    news = {k: created[2].outs[k] for k in inputs()} | {"local_part": f"late{uuid.uuid4().hex[:6]}"}
    config.use(sandbox.settings)
    late = GraphClient(sandbox.settings, tenant_id).create_user(
        upn=f"{news['local_part']}@{news['domain']}", display_name="Late Comer", mail_nickname=news["local_part"],
        given_name="Late", surname="Comer", usage_location="US", password="Aa1!" + uuid.uuid4().hex,
        marker="coldfleet")  # made out of band, so no write of ours drops the listing
    outs = {**news, "user_id": late.id, "licence_sku_id": ""}
    live = provider.read(late.id, outs)
    assert live.id == late.id and live.outs["display_name"] == "Late Comer"  # not listed: asked for on its own
    assert mailbox_listing.SNAPSHOTS.fills == fills  # and the listing of this run was kept


def test_the_user_list_follows_next_links(sandbox: Any, fleet: tuple[str, list[Created]],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from providers.clients.graph import listing

    tenant_id, created = fleet
    graph = GraphClient(sandbox.settings, tenant_id)
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    sandbox.reset_faults()
    users = listing.list_users(graph)
    assert {c.id for c in created} <= {u.id for u in users}
    assert sandbox.request_counts("graph")["requests"] == -(-len(users) // 2)  # one request per page
    assert {u.id: u for u in users}[created[0].id] == graph.get_user(created[0].id)
