"""Mailbox provider: check/diff without API calls, then the lifecycle in a sandbox tenant with a verified domain."""

from __future__ import annotations

import hashlib
import logging
import struct
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from providers import config
from providers.base import UNKNOWN
from providers.clients import errors
from providers.clients.exchange import ExchangeClient
from providers.config import Settings
from providers.domain_mailboxes import DomainMailboxesProvider
from providers.mailbox import MARKER, Mailbox, MailboxProvider

TENANT = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
SKU = "4b9405b0-7788-4568-add1-99614e613b69"


def inputs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "tenant_id": TENANT, "domain": "getacme.test", "local_part": "anna.keller", "first_name": "Anna",
        "last_name": "Keller", "display_name": "Anna Keller", "usage_location": "US", "licence_sku_id": SKU,
        "sending": "oauth", "domain_verified": True,
    }
    base.update(over)
    return base


def png(width: int = 2, height: int = 2, shade: int = 0x80) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + bytes([shade, 0x40, 0x20]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def jpeg(width: int = 3, height: int = 1) -> bytes:
    """A JPEG header (SOI, APP0, SOF0, EOI): the magic bytes and a size, not a decodable image."""
    app0 = b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof0 = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\0"
    return (b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
            + b"\xff\xc0" + struct.pack(">H", len(sof0) + 2) + sof0 + b"\xff\xd9")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fields(result: Any) -> dict[str, str]:
    return {f.property: f.reason for f in result.failures}


@pytest.fixture()
def offline() -> Iterator[None]:
    config.use(Settings(graph_endpoint="https://127.0.0.1:9/v1.0", login_endpoint="https://127.0.0.1:9",
                        exchange_endpoint="https://127.0.0.1:9"))
    yield


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"tenant_id": "nope"}, "tenant_id"),
        ({"local_part": "a..b"}, "local_part"),
        ({"local_part": "anna keller"}, "local_part"),
        ({"local_part": ".anna"}, "local_part"),
        ({"domain": "localhost"}, "domain"),
        ({"usage_location": "USA"}, "usage_location"),
        ({"licence_sku_id": "EXCHANGESTANDARD"}, "licence_sku_id"),
        ({"sending": "smtp"}, "sending"),
        ({"domain_verified": False}, "domain_verified"),
        ({"display_name": ""}, "display_name"),
        ({"language": "English"}, "language"),
    ],
)
def test_check_names_the_field(offline: None, over: dict[str, Any], field: str) -> None:
    result = MailboxProvider().check({}, inputs(**over))
    assert set(fields(result)) == {field}, fields(result)


def test_check_normalises_and_tolerates_unknowns(offline: None) -> None:
    provider = MailboxProvider()
    result = provider.check({}, inputs(local_part="Anna.Keller", usage_location="us", __provider="x"))
    assert result.failures == []
    assert result.inputs["local_part"] == "anna.keller" and result.inputs["usage_location"] == "US"
    assert result.inputs["time_zone"] == "UTC" and result.inputs["language"] == "en-US"
    preview = inputs(tenant_id=UNKNOWN, licence_sku_id=UNKNOWN, domain_verified=UNKNOWN)
    assert provider.check({}, preview).failures == []


def test_diff(offline: None) -> None:
    provider = MailboxProvider()
    news = provider.check({}, inputs()).inputs
    olds = {**news, "user_id": "u", "password": "p", "account_enabled": True}
    assert not provider.diff("u", olds, news).changes
    for key, value in (("display_name", "A. Keller"), ("sending", "password"), ("licence_sku_id", TENANT),
                       ("time_zone", "Europe/Berlin")):
        d = provider.diff("u", olds, {**news, key: value})
        assert d.changes and d.replaces == [], key
    for key, value in (("local_part", "marco"), ("domain", "other.test"), ("tenant_id", SKU)):
        d = provider.diff("u", olds, {**news, key: value})
        assert d.replaces == [key] and d.delete_before_replace, key
    assert provider.diff("u", olds, {**news, "tenant_id": UNKNOWN}).replaces == []
    assert provider.diff("u", {**olds, "account_enabled": False}, news).changes


def test_check_domain_uses_the_spec_normalisation(offline: None) -> None:
    result = MailboxProvider().check({}, inputs(domain="Straße-Acme.DE."))
    assert result.failures == [] and result.inputs["domain"] == "xn--strae-acme-83a.de"  # ß kept (IDNA 2008)
    assert set(fields(MailboxProvider().check({}, inputs(domain="bad_name.com")))) == {"domain"}


def test_check_hashes_the_photo_file(offline: None, tmp_path: Path) -> None:
    provider = MailboxProvider()
    (tmp_path / "anna.png").write_bytes(png())
    (tmp_path / "anna.jpg").write_bytes(jpeg())
    for name, data in (("anna.png", png()), ("anna.jpg", jpeg())):
        result = provider.check({}, inputs(photo=str(tmp_path / name)))
        assert result.failures == [] and result.inputs["photo_sha256"] == sha(data), name
    plain = provider.check({}, inputs(photo_sha256="made-up"))  # only check sets it
    assert plain.failures == [] and plain.inputs["photo"] is None and plain.inputs["photo_sha256"] is None
    assert provider.check({}, inputs(photo=UNKNOWN)).failures == []


def test_check_refuses_bad_photo_files(offline: None, tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_bytes(b"GIF89a not what we take")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with open(tmp_path / "huge.png", "wb") as fh:  # sparse: 4 MB + 1 byte without writing them
        fh.write(png())
        fh.truncate(4 * 1024 * 1024 + 1)
    for path, why in ((tmp_path / "missing.png", "no such file"), (tmp_path / "notes.png", "not a JPEG or PNG"),
                      (tmp_path / "empty.jpg", "not a JPEG or PNG"), (tmp_path / "huge.png", "up to 4 MB"),
                      (tmp_path, "no such file")):
        result = MailboxProvider().check({}, inputs(photo=str(path)))
        assert list(fields(result)) == ["photo"] and why in fields(result)["photo"], path
    assert list(fields(MailboxProvider().check({}, inputs(photo="")))) == ["photo"]
    # other failures are still reported with the photo's
    both = MailboxProvider().check({}, inputs(photo=str(tmp_path / "missing.png"), sending="smtp"))
    assert set(fields(both)) == {"photo", "sending"}


def test_diff_on_photo_path_and_content(offline: None, tmp_path: Path) -> None:
    provider = MailboxProvider()
    photo = tmp_path / "anna.png"
    photo.write_bytes(png())
    news = provider.check({}, inputs(photo=str(photo))).inputs
    olds = {**news, "user_id": "u", "password": "p", "account_enabled": True, "photo_graph_sha256": "g"}
    assert not provider.diff("u", olds, news).changes
    photo.write_bytes(png(shade=0x81))  # same path, edited picture
    edited = provider.diff("u", olds, provider.check({}, inputs(photo=str(photo))).inputs)
    assert edited.changes and edited.replaces == []
    moved = tmp_path / "keller.png"
    moved.write_bytes(png())
    renamed = provider.diff("u", olds, provider.check({}, inputs(photo=str(moved))).inputs)
    assert renamed.changes and renamed.replaces == []
    dropped = provider.diff("u", olds, provider.check({}, inputs()).inputs)
    assert dropped.changes and dropped.replaces == []
    # stacks from before the photo existed: no photo keys in their state, no change
    before = {k: v for k, v in provider.check({}, inputs()).inputs.items() if not k.startswith("photo")}
    assert not provider.diff("u", {**before, "account_enabled": True}, provider.check({}, inputs()).inputs).changes


def test_resource_marks_password_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    captured: dict[str, Any] = {}

    def fake_init(self: Any, provider: Any, name: str, props: dict[str, Any], opts: Any = None) -> None:
        captured.update(provider=provider, name=name, props=props, opts=opts)

    monkeypatch.setattr(pulumi.dynamic.Resource, "__init__", fake_init)
    Mailbox("getacme.test/anna.keller", **inputs())
    assert Mailbox._resource_type_name == "dynamic/coldfleet:Mailbox"
    assert captured["opts"].additional_secret_outputs == ["password"]
    assert captured["props"]["password"] is None and captured["props"]["user_id"] is None
    # Only what the program reads is declared (the state keeps every output either way: providers/mailbox/resource.py)
    assert "photo_sha256" not in captured["props"] and "smtp_host" not in captured["props"]
    assert vars(captured["provider"]) == {}


# --- lifecycle against the sandbox --------------------------------------------------------------------------------


def verified_tenant(sandbox: Any, seats: int = 10) -> tuple[str, str, str]:
    """A Partner Center customer with Exchange Online seats and a verified custom domain: (tenant, domain, skuId)."""
    from providers.clients.dns import backend_for
    from providers.clients.graph import GraphClient
    from providers.clients.partner_center import Address, PartnerCenterClient

    settings = sandbox.settings
    tag = uuid.uuid4().hex[:10]
    domain = f"m{tag}.test"
    pc = PartnerCenterClient(settings)
    customer = pc.create_customer(
        prefix=f"mb{tag}", company_name="Acme", email="ops@acme.example", culture="en-US", language="en",
        address=Address("Anna", "Keller", "1 Main St", "Springfield", "IL", "62701", "US"),
        request_id=str(uuid.uuid4()))
    tenant_id = customer.tenant_id
    if not pc.has_mca(tenant_id):
        pc.accept_mca(tenant_id, first_name="Anna", last_name="Keller", email="ops@acme.example")
    pc.buy(tenant_id, pc.catalog_item("CFQ7TTC0LH16", "0001", "US"), seats)
    graph = GraphClient(settings, tenant_id)
    graph.add_domain(domain)
    sandbox.add_zone(domain)
    backend_for(settings, "rfc2136").set_rrset(domain, domain, "TXT", [graph.verification_txt(domain)])
    assert graph.verify_domain(domain).is_verified
    deadline = time.monotonic() + 30
    while True:
        skus = [s.sku_id for s in graph.subscribed_skus() if s.sku_part_number == "EXCHANGESTANDARD"]
        if skus or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return tenant_id, domain, skus[0]


@pytest.fixture(scope="module")
def tenant(sandbox: Any) -> tuple[str, str, str]:
    sandbox.set_mailbox_delay(0.3)
    return verified_tenant(sandbox)


@pytest.fixture()
def online(sandbox: Any, tenant: tuple[str, str, str]) -> Iterator[dict[str, Any]]:
    config.use(sandbox.settings)
    tenant_id, domain, sku = tenant
    yield MailboxProvider().check({}, inputs(tenant_id=tenant_id, domain=domain, licence_sku_id=sku,
                                             local_part=f"u{uuid.uuid4().hex[:8]}")).inputs


def finish(created: Any) -> None:
    """What the domain's DomainMailboxes does after its Mailbox creates: wait for the mailbox and finish it."""
    outs = created.outs
    DomainMailboxesProvider().create({"tenant_id": outs["tenant_id"], "domain": outs["domain"], "mailboxes": [
        {"user_id": created.id, "upn": outs["email"], "time_zone": outs["time_zone"], "language": outs["language"],
         "sending": outs["sending"], "photo": outs.get("photo")}]})


def world_user(sandbox: Any, tenant_id: str, user_id: str) -> dict[str, Any] | None:
    tenant = sandbox.admin_state()["world"]["tenants"][tenant_id]
    user: dict[str, Any] | None = tenant["users"].get(user_id)
    return user


def test_create_outputs(sandbox: Any, online: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    from providers.clients.graph import GraphClient

    caplog.set_level(logging.DEBUG)
    created = MailboxProvider().create(online)
    outs = created.outs
    upn = f"{online['local_part']}@{online['domain']}"
    assert created.id == outs["user_id"]
    assert {k: outs[k] for k in online} == online  # inputs echoed
    assert outs["email"] == upn
    assert (outs["smtp_host"], outs["smtp_port"], outs["imap_host"], outs["imap_port"]) == (
        "smtp.office365.com", 587, "outlook.office365.com", 993)
    assert outs["licensed"] and not outs["mailbox_ready"] and outs["smtp_auth_enabled"] is None  # no wait in create
    assert len(outs["password"]) >= 20
    user = world_user(sandbox, online["tenant_id"], created.id)
    assert user is not None
    assert user["extension_attributes"]["extensionAttribute15"] == MARKER
    assert user["usage_location"] == "US" and online["licence_sku_id"] in user["assigned_licenses"]
    finish(created)  # the mailbox settings and SMTP AUTH are the domain step's now
    user = world_user(sandbox, online["tenant_id"], created.id)
    # OAuth: basic SMTP AUTH off, by following the tenant-wide setting (off) rather than a per-mailbox override
    assert user is not None and user["smtp_client_auth_disabled"] is None
    assert ExchangeClient(sandbox.settings, online["tenant_id"]).get_tenant_smtp_auth() is False
    live = MailboxProvider().read(created.id, outs).outs
    assert live["mailbox_ready"] and live["smtp_auth_enabled"] is False
    mailbox = GraphClient(sandbox.settings, online["tenant_id"]).mailbox_settings(created.id)
    assert mailbox is not None and mailbox["timeZone"] == "UTC" and mailbox["language"]["locale"] == "en-US"
    # the secret is nowhere but in `password`
    assert outs["password"] not in caplog.text
    assert [k for k, v in outs.items() if v == outs["password"]] == ["password"]


def test_password_sending_enables_smtp_auth(sandbox: Any, online: dict[str, Any]) -> None:

    created = MailboxProvider().create({**online, "sending": "password"})
    finish(created)
    outs = MailboxProvider().read(created.id, created.outs).outs
    assert outs["smtp_auth_enabled"] is True
    assert ExchangeClient(sandbox.settings, online["tenant_id"]).get_mailbox_smtp_auth(outs["email"]) is True


def test_create_twice_adopts_with_a_fresh_password(sandbox: Any, online: dict[str, Any]) -> None:
    provider = MailboxProvider()
    first = provider.create(online)
    second = provider.create(online)  # the engine lost the first result
    assert second.id == first.id
    assert second.outs["password"] != first.outs["password"]
    users = sandbox.admin_state()["world"]["tenants"][online["tenant_id"]]["users"].values()
    assert [u["id"] for u in users if u["user_principal_name"] == first.outs["email"]] == [first.id]


def test_someone_elses_user_is_an_ownership_conflict(sandbox: Any, online: dict[str, Any]) -> None:
    from providers.clients.graph import GraphClient

    upn = f"{online['local_part']}@{online['domain']}"
    GraphClient(sandbox.settings, online["tenant_id"]).create_user(
        upn=upn, display_name="Not ours", mail_nickname=online["local_part"], given_name="Not", surname="Ours",
        usage_location="US", password="Zz9!" + uuid.uuid4().hex, marker="someone-else")
    with pytest.raises(errors.OwnershipConflict) as caught:
        MailboxProvider().create(online)
    assert upn in str(caught.value) and "extensionAttribute15" in str(caught.value)


def test_read_reports_drift_and_update_repairs_it(sandbox: Any, online: dict[str, Any]) -> None:
    from providers.clients.graph import GraphClient

    provider = MailboxProvider()
    created = provider.create(online)
    finish(created)
    outs = created.outs
    clean = provider.read(created.id, outs)
    assert clean.id == created.id and not provider.diff(created.id, clean.outs, online).changes
    assert clean.inputs == online

    graph = GraphClient(sandbox.settings, online["tenant_id"])
    graph.update_user(created.id, displayName="Hijacked", accountEnabled=False)
    ExchangeClient(sandbox.settings, online["tenant_id"]).set_mailbox_smtp_auth(outs["email"], True)
    drifted = provider.read(created.id, outs)
    live = drifted.outs
    assert live["display_name"] == "Hijacked" and live["account_enabled"] is False
    assert live["smtp_auth_enabled"] is True and live["sending"] == "password"
    assert live["password"] == outs["password"]
    assert drifted.inputs == online
    diff = provider.diff(created.id, live, online)
    assert diff.changes and diff.replaces == []

    repaired = provider.update(created.id, live, online).outs
    assert repaired["password"] == outs["password"]  # kept
    again = provider.read(created.id, repaired)
    assert not provider.diff(created.id, again.outs, online).changes
    user = world_user(sandbox, online["tenant_id"], created.id)
    assert user is not None and user["account_enabled"] and user["display_name"] == online["display_name"]
    assert user["smtp_client_auth_disabled"] is True


def test_removed_licence_is_drift(sandbox: Any, online: dict[str, Any]) -> None:
    from providers.clients.graph import GraphClient

    provider = MailboxProvider()
    created = provider.create(online)
    GraphClient(sandbox.settings, online["tenant_id"]).assign_license(created.id, add=[],
                                                                      remove=[online["licence_sku_id"]])
    live = provider.read(created.id, created.outs).outs
    assert live["licensed"] is False and live["licence_sku_id"] == ""
    provider.read(created.id, live)  # a second refresh over live values still works
    diff = provider.diff(created.id, live, online)
    assert diff.changes and diff.replaces == []
    repaired = provider.update(created.id, live, online).outs
    assert repaired["licensed"] and repaired["mailbox_ready"]
    assert not provider.diff(created.id, provider.read(created.id, repaired).outs, online).changes
    user = world_user(sandbox, online["tenant_id"], created.id)
    assert user is not None and online["licence_sku_id"] in user["assigned_licenses"]


def test_update_in_place(sandbox: Any, online: dict[str, Any]) -> None:
    from providers.clients.graph import GraphClient

    provider = MailboxProvider()
    created = provider.create(online)
    news = {**online, "display_name": "Anna K.", "first_name": "Annika", "sending": "password",
            "time_zone": "Europe/Berlin", "language": "de-DE"}
    outs = provider.update(created.id, created.outs, news).outs
    assert outs["password"] == created.outs["password"] and outs["smtp_auth_enabled"] is True
    user = world_user(sandbox, online["tenant_id"], created.id)
    assert user is not None
    assert (user["display_name"], user["given_name"]) == ("Anna K.", "Annika")
    mailbox = GraphClient(sandbox.settings, online["tenant_id"]).mailbox_settings(created.id)
    assert mailbox is not None and mailbox["timeZone"] == "Europe/Berlin" and mailbox["language"]["locale"] == "de-DE"
    assert user["smtp_client_auth_disabled"] is False


def test_photo_lifecycle_and_drift(sandbox: Any, online: dict[str, Any], tmp_path: Path) -> None:
    from providers.clients.graph import GraphClient

    provider = MailboxProvider()
    graph = GraphClient(sandbox.settings, online["tenant_id"])
    photo = tmp_path / "anna.png"
    photo.write_bytes(png())
    news = provider.check({}, {**online, "photo": str(photo)}).inputs
    created = provider.create(news)
    assert created.outs["photo"] == str(photo) and created.outs["photo_sha256"] == sha(png())
    finish(created)  # the photo is uploaded once the mailbox answers, by the domain step
    assert graph.get_photo(created.id) == png()
    clean = provider.read(created.id, created.outs)
    outs = clean.outs
    assert outs["photo_graph_sha256"] == sha(png())  # the double serves the bytes as uploaded
    assert not provider.diff(created.id, clean.outs, news).changes and clean.inputs == news

    graph.delete_photo(created.id)  # removed out of band
    gone = provider.read(created.id, outs).outs
    assert gone["photo_sha256"] is None
    assert provider.diff(created.id, gone, news).changes
    restored = provider.update(created.id, gone, news).outs
    assert graph.get_photo(created.id) == png() and restored["photo_sha256"] == sha(png())
    assert not provider.diff(created.id, provider.read(created.id, restored).outs, news).changes

    graph.set_photo(created.id, jpeg(), "image/jpeg")  # replaced out of band
    replaced = provider.read(created.id, restored).outs
    assert replaced["photo_sha256"] == sha(jpeg()) and provider.diff(created.id, replaced, news).changes
    provider.update(created.id, replaced, news)
    assert graph.get_photo(created.id) == png()

    photo.write_bytes(png(3, 3))  # the operator edits the file
    edited = provider.check({}, {**online, "photo": str(photo)}).inputs
    assert provider.diff(created.id, restored, edited).changes
    after_edit = provider.update(created.id, restored, edited).outs
    assert graph.get_photo(created.id) == png(3, 3) and after_edit["photo_sha256"] == sha(png(3, 3))

    unchanged = provider.update(created.id, after_edit, {**edited, "display_name": "Anna K."}).outs
    assert unchanged["photo_graph_sha256"] == after_edit["photo_graph_sha256"]

    dropped = provider.update(created.id, after_edit, online).outs  # `photo` removed from the program
    assert dropped["photo"] is None and dropped["photo_sha256"] is None
    assert graph.get_photo(created.id) is None
    graph.set_photo(created.id, jpeg(), "image/jpeg")  # an unmanaged photo is left alone
    assert not provider.diff(created.id, provider.read(created.id, dropped).outs, online).changes
    provider.update(created.id, dropped, online)
    assert graph.get_photo(created.id) == jpeg()


def test_deleted_user_reads_as_gone_and_delete_purges(sandbox: Any, online: dict[str, Any]) -> None:
    from providers.clients.graph import GraphClient

    provider = MailboxProvider()
    created = provider.create(online)
    provider.delete(created.id, created.outs)  # sandbox settings purge deleted users
    tenant = sandbox.admin_state()["world"]["tenants"][online["tenant_id"]]
    assert created.id not in tenant["users"] and created.id not in tenant["deleted_users"]
    gone = provider.read(created.id, created.outs)
    assert gone.id == "" and gone.outs == {}
    provider.delete(created.id, created.outs)  # idempotent

    other = provider.create({**online, "local_part": f"v{uuid.uuid4().hex[:8]}"})
    GraphClient(sandbox.settings, online["tenant_id"]).delete_user(other.id)  # deleted outside coldfleet
    assert provider.read(other.id, other.outs).id == ""
    with pytest.raises(errors.NotFound, match="refresh"):
        provider.update(other.id, other.outs, {**online, "local_part": other.outs["local_part"]})


@pytest.mark.slow  # waits out a 2 s mailbox provisioning delay
def test_mailbox_timeout_then_retry_adopts_and_keeps_secrets_out(
    sandbox: Any, online: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import dataclasses

    from providers import passwords

    caplog.set_level(logging.DEBUG)
    known = iter(["Aa1!" + uuid.uuid4().hex, "Bb2!" + uuid.uuid4().hex])
    issued: list[str] = []

    def generate() -> str:
        issued.append(next(known))
        return issued[-1]

    monkeypatch.setattr(passwords, "generate", generate)
    sandbox.set_mailbox_delay(2)  # longer than the poll timeout below
    config.use(dataclasses.replace(sandbox.settings, poll_timeout_s=0.3))
    try:
        first = MailboxProvider().create(online)  # no wait: returns with the user licensed
        with pytest.raises(errors.NotReady, match="not provisioned") as caught:
            finish(first)  # the wait is the domain step's now
    finally:
        sandbox.set_mailbox_delay(0.3)
        config.use(sandbox.settings)
    assert issued[0] not in str(caught.value) and online["local_part"] in str(caught.value)
    sandbox.set_faults("graph", next_429=1, retry_after_s=0)  # and one throttled call on the way
    again = MailboxProvider().create(online)  # the engine lost the result: adopted, with a fresh password
    finish(again)
    assert again.outs["password"] == issued[1]
    users = sandbox.admin_state()["world"]["tenants"][online["tenant_id"]]["users"].values()
    assert [u["id"] for u in users if u["user_principal_name"] == again.outs["email"]] == [again.id]
    assert not any(pw in caplog.text for pw in issued)
