"""The Graph double's mail (sandbox/graph/mail.py) in-process: messages paged as Graph pages them (10 by default,
`$skip` in the nextLink), `$filter=hasAttachments eq true`, fileAttachments with base64 contentBytes, Graph's errors,
and every property it returns checked against the v1.0 CSDL (message, fileAttachment)."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from sandbox.graph import create_app, mail
from sandbox.world import App, Dns, Tenant, Token, User, World
from tests.sandbox.test_graph_metadata import _metadata


class _NoDns:
    def query(self, name: str, rdtype: str) -> list[str]:
        return []


@pytest.fixture()
def graph() -> tuple[TestClient, World, Tenant]:
    world = World(mailbox_provisioning_delay_s=0.0)
    tenant = Tenant(id=str(uuid.uuid4()), display_name="Mail", initial_domain="mail.onmicrosoft.com", country="CH")
    world.tenants[tenant.id] = tenant
    for name, ready in (("dmarc", time.time()), ("new", None)):
        user = User(id=str(uuid.uuid4()), user_principal_name=f"{name}@mail.onmicrosoft.com", display_name=name,
                    mail_nickname=name, mailbox_ready_at=ready)
        tenant.users[user.id] = user
    world.apps["app"] = App(client_id="app", client_secret="s", home_tenant_id=tenant.id)
    world.tokens["tok"] = Token("tok", "app", tenant.id, "https://graph.microsoft.com", time.time() + 3600)
    client = TestClient(create_app(world, cast(Dns, _NoDns())), base_url="https://graph.test",
                        headers={"Authorization": "Bearer tok"})
    return client, world, tenant


def _drop(world: World, tenant: Tenant, n: int, *, attachment: bool = True) -> None:
    files = [{"name": f"r{n}.xml", "contentType": "text/xml",
              "contentBytes": base64.b64encode(f"<feedback n='{n}'/>".encode()).decode()}] if attachment else []
    mail.deliver(world, tenant.id, "dmarc@mail.onmicrosoft.com", {"subject": f"Report {n}", "attachments": files})


def test_messages_page_by_ten_with_skip_links(graph: tuple[TestClient, World, Tenant]) -> None:
    client, world, tenant = graph
    for n in range(23):
        _drop(world, tenant, n, attachment=n != 5)
    url: str | None = "/v1.0/users/dmarc@mail.onmicrosoft.com/messages?$filter=hasAttachments eq true"
    pages: list[list[dict[str, Any]]] = []
    while url:
        resp = client.get(url)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        pages.append(body["value"])
        url = body.get("@odata.nextLink")
        assert url is None or ("$skip=" in url and url.startswith("https://graph.test/v1.0/users/"))
    assert [len(p) for p in pages] == [10, 10, 2]
    subjects = [m["subject"] for p in pages for m in p]
    assert "Report 5" not in subjects and subjects[0] == "Report 22"  # newest first
    assert all(m["hasAttachments"] for p in pages for m in p)

    selected = client.get("/v1.0/users/dmarc@mail.onmicrosoft.com/messages?$select=id,subject&$top=3").json()
    assert [set(m) for m in selected["value"]] == [{"@odata.etag", "id", "subject"}] * 3
    assert "$top=3" in selected["@odata.nextLink"]


def test_attachments_carry_base64_content(graph: tuple[TestClient, World, Tenant]) -> None:
    client, world, tenant = graph
    _drop(world, tenant, 1)
    [message] = client.get("/v1.0/users/dmarc@mail.onmicrosoft.com/messages").json()["value"]
    listing = client.get(f"/v1.0/users/dmarc@mail.onmicrosoft.com/messages/{message['id']}/attachments").json()
    [att] = listing["value"]
    assert att["@odata.type"] == "#microsoft.graph.fileAttachment" and att["name"] == "r1.xml"
    assert base64.b64decode(att["contentBytes"]) == b"<feedback n='1'/>" and att["size"] == 17
    one = client.get(f"/v1.0/users/dmarc@mail.onmicrosoft.com/messages/{message['id']}/attachments/{att['id']}")
    assert one.status_code == 200 and one.json()["contentBytes"] == att["contentBytes"]

    metadata = _metadata()
    problems = metadata.check(message, "microsoft.graph.message", "message")
    problems += metadata.check(att, "microsoft.graph.fileAttachment", "attachment")
    assert problems == []


def test_mail_errors_are_graphs(graph: tuple[TestClient, World, Tenant]) -> None:
    client, _world, _tenant = graph
    base = "/v1.0/users/dmarc@mail.onmicrosoft.com/messages"
    missing = client.get(f"{base}/AAMkAnothere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ErrorItemNotFound"
    unprovisioned = client.get("/v1.0/users/new@mail.onmicrosoft.com/messages")
    assert unprovisioned.json()["error"]["code"] == "MailboxNotEnabledForRESTAPI"
    assert client.get(f"{base}?$top=1001").status_code == 400
    unsupported = client.get(f"{base}?$filter=importance eq 'high'")
    assert unsupported.status_code == 400 and unsupported.json()["error"]["code"] == "Request_UnsupportedQuery"
    assert client.get("/v1.0/users/nobody@mail.onmicrosoft.com/messages").status_code == 404


def test_deliver_refuses_bad_attachments(graph: tuple[TestClient, World, Tenant]) -> None:
    _client, world, tenant = graph
    with pytest.raises(ValueError, match="base64"):
        mail.deliver(world, tenant.id, "dmarc@mail.onmicrosoft.com",
                     {"attachments": [{"name": "x.xml", "contentBytes": "%%%"}]})
    with pytest.raises(LookupError):
        mail.deliver(world, tenant.id, "new@mail.onmicrosoft.com", {"subject": "no mailbox yet"})


def test_received_date_ranges(graph: tuple[TestClient, World, Tenant]) -> None:
    client, world, tenant = graph
    for n, when in enumerate(("2026-11-01T10:00:00Z", "2026-11-20T10:00:00Z", "2026-11-30T23:59:59Z")):
        mail.deliver(world, tenant.id, "dmarc@mail.onmicrosoft.com", {
            "subject": f"r{n}", "receivedDateTime": when,
            "attachments": [{"name": "r.xml", "contentBytes": base64.b64encode(b"<x/>").decode()}]})
    base = "/v1.0/users/dmarc@mail.onmicrosoft.com/messages?$filter=hasAttachments eq true and receivedDateTime"
    assert [m["subject"] for m in client.get(f"{base} ge 2026-11-20T10:00:00Z").json()["value"]] == ["r2", "r1"]
    assert [m["subject"] for m in client.get(f"{base} lt 2026-11-20T10:00:00Z").json()["value"]] == ["r0"]
    assert client.get(f"{base} ge yesterday").status_code == 400
