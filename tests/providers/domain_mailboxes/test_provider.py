"""DomainMailboxes: one wait for a domain's new mailboxes, their settings in `$batch`; Graph user creation that
survives a dropped connection. Offline: the diff. Against the sandbox: the lifecycle."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from providers import config
from providers.base import UNKNOWN
from providers.clients import errors
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import GraphClient
from providers.domain_mailboxes import DomainMailboxesProvider
from providers.mailbox import MailboxProvider
from tests.providers.mailbox.test_provider import inputs, png, verified_tenant

TENANT = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"


def box(upn: str, user_id: Any = "u1", **over: Any) -> dict[str, Any]:
    return {"user_id": user_id, "upn": upn, "time_zone": "UTC", "language": "en-US", "sending": "oauth",
            "photo": None, **over}


def props(*boxes: dict[str, Any], tenant_id: Any = TENANT) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "domain": "alpha.com", "mailboxes": list(boxes)}


# --- diff (offline) -----------------------------------------------------------------------------------------------


def test_diff_follows_the_users_by_address() -> None:
    provider = DomainMailboxesProvider()
    olds = {**props(box("a@alpha.com"), box("b@alpha.com", "u2")), "ready": 2}
    assert not provider.diff("id", olds, props(box("a@alpha.com"), box("b@alpha.com", "u2"))).changes
    # a Mailbox update changes settings the Mailbox applies itself; an unknown id of a known address is that update
    same = props(box("a@alpha.com", UNKNOWN, time_zone="Europe/Berlin"), box("b@alpha.com", "u2"))
    assert not provider.diff("id", olds, same).changes
    added = provider.diff("id", olds, props(box("a@alpha.com"), box("b@alpha.com", "u2"), box("c@alpha.com", UNKNOWN)))
    assert added.changes and added.replaces == []
    remade = provider.diff("id", olds, props(box("a@alpha.com", "u9"), box("b@alpha.com", "u2")))
    assert remade.changes and remade.replaces == []
    assert provider.diff("id", olds, props(box("a@alpha.com"))).changes  # one removed
    moved = provider.diff("id", olds, props(box("a@alpha.com"), box("b@alpha.com", "u2"),
                                            tenant_id="1b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"))
    assert moved.changes and moved.replaces == ["tenant_id"]


# --- against the sandbox ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tenant(sandbox: Any) -> tuple[str, str, str]:
    sandbox.set_mailbox_delay(0.3)
    return verified_tenant(sandbox, seats=30)


@pytest.fixture()
def online(sandbox: Any, tenant: tuple[str, str, str]) -> Iterator[tuple[str, str, str]]:
    config.use(sandbox.settings)
    yield tenant


def mailboxes(online: tuple[str, str, str], n: int, **over: Any) -> list[Any]:
    tenant_id, domain, sku = online
    provider = MailboxProvider()
    return [provider.create(provider.check({}, inputs(tenant_id=tenant_id, domain=domain, licence_sku_id=sku,
                                                      local_part=f"b{uuid.uuid4().hex[:8]}", **over)).inputs)
            for _ in range(n)]


def smtp_auth(exchange: ExchangeClient, upn: str) -> bool:
    """The mailbox's effective SMTP AUTH: its override, else the tenant-wide setting it follows."""
    own = exchange.get_mailbox_smtp_auth(upn)
    return exchange.get_tenant_smtp_auth() if own is None else own


def pending(created: Any, **over: Any) -> dict[str, Any]:
    outs = created.outs
    return box(outs["email"], created.id, time_zone=outs["time_zone"], language=outs["language"],
               sending=outs["sending"], photo=outs.get("photo"), **over)


def test_one_wait_finishes_every_mailbox_in_batches(sandbox: Any, online: tuple[str, str, str], tmp_path: Any) -> None:
    tenant_id, domain, _ = online
    photo = tmp_path / "p.png"
    photo.write_bytes(png())
    boxes = mailboxes(online, 21, time_zone="Europe/Berlin", language="de-DE")  # more than one batch of 20
    assert all(not b.outs["mailbox_ready"] for b in boxes)
    items = [pending(b) for b in boxes]
    items[0] = {**items[0], "sending": "password", "photo": str(photo)}
    before = sandbox.request_counts("graph").get("requests", 0)
    created = DomainMailboxesProvider().create(props(*items, tenant_id=tenant_id) | {"domain": domain})
    graph_requests = sandbox.request_counts("graph")["requests"] - before
    assert created.id == f"{tenant_id}/{domain}" and created.outs["ready"] == 21
    graph, exchange = GraphClient(sandbox.settings, tenant_id), ExchangeClient(sandbox.settings, tenant_id)
    for item in items:
        settings = graph.mailbox_settings(item["user_id"])
        assert settings is not None and settings["timeZone"] == "Europe/Berlin"
        assert settings["language"]["locale"] == "de-DE"
        assert smtp_auth(exchange, item["upn"]) is (item["sending"] == "password")
    assert graph.get_photo(items[0]["user_id"]) == png()
    # per round 2 batches of reads; 2 batches of writes; one photo (not 21 + 21 single calls and polls per mailbox)
    assert graph_requests < 21, graph_requests
    live = MailboxProvider().read(boxes[1].id, boxes[1].outs)  # the Mailbox sees its mailbox finished
    assert live.outs["mailbox_ready"] and live.outs["smtp_auth_enabled"] is False
    assert not MailboxProvider().diff(boxes[1].id, live.outs, live.inputs or {}).changes


def test_update_finishes_only_new_users_and_read_echoes(sandbox: Any, online: tuple[str, str, str]) -> None:
    tenant_id, domain, _ = online
    first, second = mailboxes(online, 2)
    provider = DomainMailboxesProvider()
    created = provider.create({**props(pending(first), tenant_id=tenant_id), "domain": domain})
    news = {**props(pending(first), pending(second), tenant_id=tenant_id), "domain": domain}
    assert provider.diff(created.id, created.outs, news).changes
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs["ready"] == 2
    assert smtp_auth(ExchangeClient(sandbox.settings, tenant_id), second.outs["email"]) is False
    read = provider.read(created.id, updated.outs)
    assert read.id == created.id and read.outs == updated.outs and not provider.diff(created.id, read.outs,
                                                                                     news).changes
    provider.delete(created.id, updated.outs)  # removes nothing
    assert GraphClient(sandbox.settings, tenant_id).get_user(first.id) is not None


def test_create_user_survives_a_dropped_connection(sandbox: Any, online: tuple[str, str, str]) -> None:
    tenant_id, domain, sku = online
    graph = GraphClient(sandbox.settings, tenant_id)
    local = f"d{uuid.uuid4().hex[:8]}"
    upn = f"{local}@{domain}"
    kwargs = {"upn": upn, "display_name": "Dee", "mail_nickname": local, "given_name": "Dee", "surname": "Rop",
              "usage_location": "US", "password": "Zz9!" + uuid.uuid4().hex, "marker": "coldfleet"}
    sandbox.set_faults("graph", next_drop=1)  # the POST is dropped before it lands: created on the second try
    user = graph.create_user(**kwargs)  # type: ignore[arg-type]
    assert graph.find_user(upn) is not None and graph.find_user(upn).id == user.id  # type: ignore[union-attr]
    sandbox.set_faults("graph", next_drop=1)  # the user is there and the answer is lost: read back, a Conflict
    with pytest.raises(errors.Conflict):
        graph.create_user(**kwargs)  # type: ignore[arg-type]
    # the Mailbox create adopts it by its marker: one user, never a duplicate, never a traceback
    sandbox.set_faults("graph", next_drop=1)
    adopted = MailboxProvider().create(MailboxProvider().check({}, inputs(
        tenant_id=tenant_id, domain=domain, licence_sku_id=sku, local_part=local)).inputs)
    assert adopted.id == user.id
    users = sandbox.admin_state()["world"]["tenants"][tenant_id]["users"].values()
    assert [u["id"] for u in users if u["user_principal_name"] == upn] == [user.id]
