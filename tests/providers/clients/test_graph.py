"""GraphClient (the real msgraph-sdk on the shared transport and token cache) against the sandbox's Graph double over
HTTPS: the domain handshake with a TXT published to BIND, user lifecycle, licences and mailbox readiness, soft delete
and purge, $batch, 429 retries counted at the server, error mapping without secrets."""

from __future__ import annotations

import hashlib
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import replace

import pytest

from providers.clients import errors, http
from providers.clients.graph import GraphClient, GraphUser
from sandbox.handle import SandboxHandle
from tests.providers.clients.helpers import publish_txt

EXCHANGE_SKU = "4b9405b0-7788-4568-add1-99614e613b69"
PASSWORD = "Sandbox!Pass1234"
MARKER = "coldfleet:test"


@pytest.fixture()
def graph(sandbox: SandboxHandle) -> GraphClient:
    return GraphClient(sandbox.settings, sandbox.credentials["partner_tenant_id"])


@pytest.fixture()
def initial_domain(graph: GraphClient) -> str:
    return str(next(d["name"] for d in graph.organization()["verifiedDomains"] if d["isInitial"]))


@pytest.fixture()
def quick_mailboxes(sandbox: SandboxHandle) -> Iterator[None]:
    with sandbox.mailbox_delay(0.2):
        yield


def create(graph: GraphClient, upn: str) -> GraphUser:
    local = upn.split("@")[0]
    return graph.create_user(upn=upn, display_name=f"{local} Test", mail_nickname=local, given_name=local,
                             surname="Test", usage_location="CH", password=PASSWORD, marker=MARKER)


def test_domain_handshake_with_dns(sandbox: SandboxHandle, graph: GraphClient) -> None:
    name = f"flow-{uuid.uuid4().hex[:8]}.test"
    assert graph.get_domain(name) is None
    added = graph.add_domain(name)
    assert (added.id, added.is_verified) == (name, False)
    assert graph.add_domain(name) == added  # idempotent
    txt = graph.verification_txt(name)
    assert txt.startswith("MS=ms")
    with pytest.raises(errors.NotReady) as early:
        graph.verify_domain(name)
    assert early.value.code == "Request_BadRequest"

    sandbox.add_zone(name)
    publish_txt(sandbox, name, txt)
    assert graph.verify_domain(name).is_verified
    graph.set_supported_services(name, ["Email"])
    assert graph.get_domain(name).supported_services == ("Email",)  # type: ignore[union-attr]
    records = {(r.record_type, r.label): r for r in graph.service_records(name)}
    mx = records[("MX", name)]
    assert (mx.value, mx.preference) == (name.replace(".", "-") + ".mail.protection.outlook.com", 0)
    assert records[("TXT", name)].value == "v=spf1 include:spf.protection.outlook.com -all"
    assert records[("CNAME", f"autodiscover.{name}")].value == "autodiscover.outlook.com"
    assert graph.service_records(name, "OfficeCommunicationsOnline") == []

    user = create(graph, f"ref@{name}")
    assert graph.domain_references(name) == [f"ref@{name}"]
    with pytest.raises(errors.BadRequest):
        graph.delete_domain(name)
    graph.delete_user(user.id)
    with pytest.raises(errors.BadRequest):  # soft-deleted users keep the name
        graph.delete_domain(name)
    graph.purge_deleted_user(user.id)
    graph.delete_domain(name)
    assert graph.get_domain(name) is None
    with pytest.raises(errors.NotFound):
        graph.delete_domain(name)


def test_user_lifecycle(graph: GraphClient, initial_domain: str) -> None:
    upn = f"life{uuid.uuid4().hex[:6]}@{initial_domain}"
    user = create(graph, upn)
    assert (user.user_principal_name, user.marker, user.account_enabled) == (upn, MARKER, True)
    with pytest.raises(errors.Conflict):
        create(graph, upn)
    found = graph.find_user(upn.upper())
    assert found is not None and found.id == user.id and found.marker == MARKER
    assert found.usage_location == "CH" and found.assigned_sku_ids == ()
    assert graph.find_user(f"nobody-{uuid.uuid4().hex[:6]}@{initial_domain}") is None
    assert graph.get_user(str(uuid.uuid4())) is None

    graph.update_user(user.id, givenName="Anna", surname=None, displayName="Anna X", accountEnabled=False,
                      onPremisesExtensionAttributes={"extensionAttribute1": "note"})
    graph.reset_password(user.id, "Another!Pass5678")
    got = graph.get_user(user.id)
    assert got is not None
    assert (got.given_name, got.surname, got.display_name, got.account_enabled) == ("Anna", None, "Anna X", False)
    assert got.marker == MARKER
    with pytest.raises(errors.BadRequest):
        graph.update_user(user.id, userPrincipalName=f"x@unverified-{uuid.uuid4().hex[:6]}.test")


@pytest.mark.usefixtures("quick_mailboxes")
def test_licence_mailbox_and_soft_delete(graph: GraphClient, initial_domain: str) -> None:
    skus = {s.sku_part_number: s for s in graph.subscribed_skus()}
    assert skus["EXCHANGESTANDARD"].sku_id == EXCHANGE_SKU and skus["EXCHANGESTANDARD"].enabled >= 1
    user = create(graph, f"mbx{uuid.uuid4().hex[:6]}@{initial_domain}")
    assert graph.mailbox_settings(user.id) is None  # no licence, no mailbox
    graph.assign_license(user.id, add=[EXCHANGE_SKU], remove=[])
    assert graph.get_user(user.id).assigned_sku_ids == (EXCHANGE_SKU,)  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while (mailbox := graph.mailbox_settings(user.id)) is None:
        assert time.monotonic() < deadline, "mailbox never became ready"
        time.sleep(0.1)
    assert mailbox["timeZone"] == "UTC" and mailbox["language"]["locale"] == "en-US"
    graph.update_mailbox_settings(user.id, {"timeZone": "W. Europe Standard Time", "language": {"locale": "de-CH"}})
    after = graph.mailbox_settings(user.id)
    assert after is not None and after["timeZone"] == "W. Europe Standard Time"
    assert after["language"]["locale"] == "de-CH"
    with pytest.raises(errors.BadRequest):
        graph.assign_license(user.id, add=[str(uuid.uuid4())], remove=[])

    graph.delete_user(user.id)
    assert graph.get_user(user.id) is None
    with pytest.raises(errors.NotFound):
        graph.mailbox_settings(user.id)
    with pytest.raises(errors.NotFound):
        graph.delete_user(user.id)
    graph.purge_deleted_user(user.id)
    with pytest.raises(errors.NotFound):
        graph.purge_deleted_user(user.id)


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\x80\x40\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def jpeg(width: int = 3, height: int = 1) -> bytes:
    """A JPEG header (SOI, APP0, SOF0, EOI): enough for the magic bytes and the size, not a decodable image."""
    app0 = b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof0 = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\0"
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
            + b"\xff\xc0" + struct.pack(">H", len(sof0) + 2) + sof0 + b"\xff\xd9")


@pytest.mark.usefixtures("quick_mailboxes")
def test_profile_photo_needs_the_mailbox(sandbox: SandboxHandle, graph: GraphClient, initial_domain: str) -> None:
    user = create(graph, f"pic{uuid.uuid4().hex[:6]}@{initial_domain}")
    try:
        with pytest.raises(errors.NotReady):  # 404 ErrorNonExistentMailbox: the photo lives with the mailbox
            graph.set_photo(user.id, png(), "image/png")
        with pytest.raises(errors.NotReady):
            graph.get_photo_hash(user.id)
        graph.assign_license(user.id, add=[EXCHANGE_SKU], remove=[])
        deadline = time.monotonic() + 10
        while graph.mailbox_settings(user.id) is None:
            assert time.monotonic() < deadline, "mailbox never became ready"
            time.sleep(0.1)
        assert graph.get_photo(user.id) is None and graph.get_photo_hash(user.id) is None
        graph.delete_photo(user.id)  # nothing to delete is fine

        picture = png(4, 3)
        graph.set_photo(user.id, picture, "image/png")
        assert graph.get_photo(user.id) == picture
        assert graph.get_photo_hash(user.id) == hashlib.sha256(picture).hexdigest()
        tenant = sandbox.admin_state()["world"]["tenants"][sandbox.credentials["partner_tenant_id"]]
        assert tenant["users"][user.id]["photo"] == f"image/png 4x3, {len(picture)} bytes"  # no bytes in /state

        graph.set_photo(user.id, jpeg(), "image/jpeg")
        assert graph.get_photo_hash(user.id) == hashlib.sha256(jpeg()).hexdigest()
        with pytest.raises(errors.BadRequest):
            graph.set_photo(user.id, b"GIF? no, plain text", "image/png")
        with pytest.raises(errors.BadRequest):
            graph.set_photo(user.id, png() + b"\0" * (4 * 1024 * 1024), "image/png")
        graph.delete_photo(user.id)
        assert graph.get_photo_hash(user.id) is None
        with pytest.raises(errors.NotFound):
            graph.get_photo_hash(str(uuid.uuid4()))  # no such user is not "no photo"
    finally:
        graph.delete_user(user.id)
        graph.purge_deleted_user(user.id)


def test_batch_dependencies_and_per_item_throttling(sandbox: SandboxHandle, graph: GraphClient,
                                                    initial_domain: str) -> None:
    upn = f"bat{uuid.uuid4().hex[:6]}@{initial_domain}"
    body = {"accountEnabled": True, "displayName": "B", "mailNickname": upn.split("@")[0], "userPrincipalName": upn,
            "passwordProfile": {"password": PASSWORD}}
    answers = graph.batch([
        {"id": "create", "method": "POST", "url": "/users", "body": body},
        {"id": "read", "method": "GET", "url": f"/users/{upn}?$select=id,userPrincipalName", "dependsOn": ["create"]},
        {"id": "missing", "method": "GET", "url": "/users/nobody@nowhere.test"},
        {"id": "after", "method": "GET", "url": "/organization", "dependsOn": ["missing"]},
    ])
    assert [a["id"] for a in answers] == ["create", "read", "missing", "after"]
    assert [a["status"] for a in answers] == [201, 200, 404, 424]
    assert answers[1]["body"]["userPrincipalName"] == upn
    with pytest.raises(errors.BadRequest):
        graph.batch([{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)])

    sandbox.set_faults("graph", write_quota=1, write_window_s=1)
    url = "/policies/identitySecurityDefaultsEnforcementPolicy"
    answers = graph.batch([{"id": str(i), "method": "PATCH", "url": url, "body": {"isEnabled": True}}
                           for i in range(2)])
    assert [a["status"] for a in answers] == [204, 204]  # the throttled item was sent again after Retry-After
    assert sandbox.request_counts("graph")["write_429"] >= 1


def test_429_is_retried_by_the_sdk(sandbox: SandboxHandle, graph: GraphClient) -> None:
    sandbox.set_faults("graph", next_429=1, retry_after_s=1)
    assert graph.organization()["id"] == sandbox.credentials["partner_tenant_id"]
    counts = sandbox.request_counts("graph")
    assert counts["429"] == 1 and counts["requests"] >= 2


def test_throttled_once_the_sdk_retries_are_used_up(sandbox: SandboxHandle, graph: GraphClient) -> None:
    attempts = http.POLICIES["graph"].throttled_attempts  # ten: 429 / 503 have their own budget (test_faults.py)
    sandbox.set_faults("graph", next_429=attempts, retry_after_s=0)
    with pytest.raises(errors.Throttled) as exc:
        graph.subscribed_skus()
    assert exc.value.status == 429 and exc.value.retry_after == 0
    assert sandbox.request_counts("graph")["429"] == attempts  # the first try and the policy's retries


def test_errors_carry_no_secrets(sandbox: SandboxHandle, graph: GraphClient, initial_domain: str) -> None:
    secret = "wrong-secret-" + uuid.uuid4().hex
    bad = GraphClient(replace(sandbox.settings, client_secret=secret), sandbox.credentials["partner_tenant_id"])
    with pytest.raises(errors.AuthenticationFailed) as auth:
        bad.organization()
    assert secret not in str(auth.value) and secret not in repr(auth.value.args)
    weak = "short"
    with pytest.raises(errors.BadRequest) as exc:
        graph.create_user(upn=f"weak{uuid.uuid4().hex[:6]}@{initial_domain}", display_name="W", mail_nickname="weak",
                          given_name="W", surname="K", usage_location="CH", password=weak, marker=MARKER)
    assert exc.value.code == "Request_BadRequest" and f"'{weak}'" not in str(exc.value)
    assert sandbox.settings.client_secret not in str(exc.value)  # type: ignore[operator]


def test_parallel_calls_from_threads(graph: GraphClient) -> None:
    results: list[str] = []
    failures: list[BaseException] = []

    def work() -> None:
        try:
            results.append(graph.organization()["id"])
        except BaseException as error:  # noqa: BLE001 - collected for the assertion below
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and len(set(results)) == 1 and len(results) == 4
