"""Mailbox create through the per-tenant `$batch` coordinator, against the real Graph double (no patching):
concurrent creates share batches, a taken UPN is adopted by its marker (or refused), a throttled item is sent again
after its Retry-After, and an item whose dependency failed answers 424."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from providers import config
from providers.clients import errors
from providers.clients.graph import GraphClient, gather
from providers.mailbox import MARKER, MailboxProvider
from providers.mailbox.args import MailboxArgs
from providers.mailbox.create import create_in_batch, group
from tests.providers.mailbox.test_provider import inputs, verified_tenant, world_user


@pytest.fixture(scope="module")
def tenant(sandbox: Any) -> tuple[str, str, str]:
    return verified_tenant(sandbox, seats=40)


@pytest.fixture()
def online(sandbox: Any, tenant: tuple[str, str, str]) -> Iterator[tuple[str, str, str]]:
    config.use(sandbox.settings)
    gather.reset()
    yield tenant


def declared(online: tuple[str, str, str], **over: Any) -> dict[str, Any]:
    tenant_id, domain, sku = online
    news = inputs(tenant_id=tenant_id, domain=domain, licence_sku_id=sku, local_part=f"c{uuid.uuid4().hex[:8]}",
                  **over)
    return MailboxProvider().check({}, news).inputs


def test_concurrent_creates_share_batches(sandbox: Any, online: tuple[str, str, str]) -> None:
    tenant_id, _, sku = online
    boxes = [declared(online) for _ in range(8)]
    sandbox.reset_requests()
    with ThreadPoolExecutor(max_workers=4) as pool:  # as the engine's provider server does
        created = list(pool.map(MailboxProvider().create, boxes))
    graph = sandbox.requests()["doubles"]["graph"]["by_kind"]
    assert graph.get("POST /v1.0/$batch", 0) < 8 and max(gather.sent()) > 2, (graph, gather.sent())
    assert "POST /v1.0/users" not in graph and "GET /v1.0/users" not in graph  # no look-up, no single create
    assert len({c.id for c in created}) == 8
    for box, made in zip(boxes, created, strict=True):
        user = world_user(sandbox, tenant_id, made.id)
        assert user is not None and user["user_principal_name"] == f"{box['local_part']}@{box['domain']}"
        assert user["extension_attributes"]["extensionAttribute15"] == MARKER
        assert sku in user["assigned_licenses"] and made.outs["licensed"]
    assert sum(gather.sent()) == 16  # two requests per mailbox, nothing sent twice


def test_taken_upn_is_adopted_by_marker_or_refused(sandbox: Any, online: tuple[str, str, str]) -> None:
    tenant_id, _, sku = online
    graph = GraphClient(sandbox.settings, tenant_id)
    ours, foreign = declared(online), declared(online)
    left = {}
    for news, marker in ((ours, MARKER), (foreign, "someone-else")):
        upn = f"{news['local_part']}@{news['domain']}"
        left[upn] = graph.create_user(upn=upn, display_name="Left Over", mail_nickname=news["local_part"],
                                      given_name="Left", surname="Over", usage_location="US",
                                      password="Zz9!" + uuid.uuid4().hex, marker=marker)
    adopted = MailboxProvider().create(ours)
    upn = f"{ours['local_part']}@{ours['domain']}"
    assert adopted.id == left[upn].id  # the earlier attempt's user, not a second one
    user = world_user(sandbox, tenant_id, adopted.id)
    assert user is not None and sku in user["assigned_licenses"] and user["display_name"] == ours["display_name"]
    with pytest.raises(errors.OwnershipConflict, match="ownership marker"):
        MailboxProvider().create(foreign)


def test_throttled_item_is_sent_again_after_retry_after(sandbox: Any, online: tuple[str, str, str]) -> None:
    tenant_id, _, sku = online
    boxes = [MailboxArgs.model_validate(declared(online)) for _ in range(2)]
    sandbox.set_faults("graph", write_quota=3, write_window_s=1.0)  # the 4th write in a second answers 429
    with ThreadPoolExecutor(max_workers=2) as pool:
        users = list(pool.map(lambda a: create_in_batch(sandbox.settings, a, "Zz9!" + uuid.uuid4().hex), boxes))
    assert all(u is not None for u in users)
    assert sandbox.request_counts("graph").get("write_429", 0) >= 1
    for user in users:
        assert user is not None
        live = world_user(sandbox, tenant_id, user.id)
        assert live is not None and sku in live["assigned_licenses"]


def test_failed_dependency_answers_424_and_the_create_error_is_raised(sandbox: Any,
                                                                      online: tuple[str, str, str]) -> None:
    tenant_id, _, _ = online
    # a UPN in a domain the tenant has not verified: the create fails, so its licence is never run
    args = MailboxArgs.model_validate(declared(online) | {"domain": f"x{uuid.uuid4().hex[:8]}.test"})
    made, licence = gather.submit(sandbox.settings, tenant_id, group(args, "Zz9!" + uuid.uuid4().hex))
    assert made["status"] == 400 and licence["status"] == 424
    assert licence["body"]["error"]["code"]
    with pytest.raises(errors.BadRequest, match="domain portion"):
        create_in_batch(sandbox.settings, args, "Zz9!" + uuid.uuid4().hex)


def test_a_lost_batch_goes_one_by_one_without_a_duplicate(sandbox: Any, online: tuple[str, str, str]) -> None:
    tenant_id, _, sku = online
    news = declared(online)
    sandbox.reset_requests()
    sandbox.set_faults("graph", next_drop=1)  # the $batch's connection drops: whether it landed is unknown
    made = MailboxProvider().create(news)
    graph = sandbox.requests()["doubles"]["graph"]["by_kind"]
    assert graph["POST /v1.0/$batch"] == 1 and graph["GET /v1.0/users"] >= 1, graph  # then read back by UPN
    upn = f"{news['local_part']}@{news['domain']}"
    users = [u for u in sandbox.admin_state()["world"]["tenants"][tenant_id]["users"].values()
             if u["user_principal_name"] == upn]
    assert [u["id"] for u in users] == [made.id] and sku in users[0]["assigned_licenses"]
