"""The one request path: every client's HTTP — msgraph-sdk, Graph $batch, the Cloudflare SDK, Name.com, Partner
Center, Exchange, the token endpoint — is retried by the shared policy when the sandbox's doubles answer 429 with
Retry-After, 503, or drop the connection. Retries are counted through `http.observe`, waits patched to nothing."""

from __future__ import annotations

import asyncio
import email.utils
import secrets
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from providers.clients import http
from providers.clients.dns import CloudflareDns
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import GraphClient
from providers.clients.partner_center import PartnerCenterClient
from providers.clients.registrar import NameComRegistrar
from sandbox.handle import SandboxHandle

FAULTS = {"429": {"next_429": 1, "retry_after_s": 2}, "503": {"next_503": 1}, "drop": {"next_drop": 1}}
REASONS = {"429": "HTTP 429", "503": "HTTP 503"}
SHORT_S = 0.3


@pytest.fixture()
def retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[http.RetryRecord]]:
    """The retry records of the test; the policy's waits are recorded and cut to at most SHORT_S."""
    waits: list[float] = []

    def short(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(min(seconds, SHORT_S))

    async def short_async(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(min(seconds, SHORT_S))

    monkeypatch.setattr("providers.clients.http.retry._sleep", short)
    monkeypatch.setattr("providers.clients.http.retry._async_sleep", short_async)
    records: list[http.RetryRecord] = []
    stop = http.observe(records.append)
    yield records
    stop()
    assert len(waits) == len(records)  # every retry waited through the policy's sleep


def only(records: list[http.RetryRecord], api: str, fault: str) -> http.RetryRecord:
    [record] = [r for r in records if r.api == api]
    if fault in REASONS:
        assert record.reason == REASONS[fault]
    else:  # the connection was dropped after the request went out
        assert record.reason in ("RemoteProtocolError", "ReadError")
    return record


# -- the policy on its own -----------------------------------------------------------------------------------------
def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert http.parse_retry_after("120") == 120 and http.parse_retry_after("1.5") == 1.5
    assert http.parse_retry_after("-3") == 0
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (http.parse_retry_after(soon) or 0) <= 30
    assert http.parse_retry_after(email.utils.formatdate(time.time() - 60, usegmt=True)) == 0
    assert http.parse_retry_after("soon") is None and http.parse_retry_after(None) is None


def test_waits_are_capped_and_jittered_never_shorter_than_asked() -> None:
    policy = http.RetryPolicy("test", max_attempts=3, max_wait_s=10, throttled_attempts=3)
    assert all(5 <= policy.wait_for(1, 5) <= 5.5 for _ in range(50))
    assert all(10 <= policy.wait_for(1, 3600) <= 11 for _ in range(50))
    assert all(0.5 <= policy.wait_for(1, None) <= 0.55 for _ in range(50))
    request = httpx.Request("GET", "https://example.test/x")
    throttled = httpx.Response(429, headers={"Retry-After": "1"})
    assert policy.decide(request, throttled, 1) is not None and policy.decide(request, throttled, 3) is None


def test_which_requests_may_be_repeated_after_a_drop() -> None:
    policy = http.RetryPolicy("test")
    dropped = httpx.ReadError("connection reset")
    never_sent = httpx.ConnectError("refused")
    post = httpx.Request("POST", "https://example.test/things")
    assert policy.decide(post, dropped, 1) is None  # the caller reads back instead
    assert policy.decide(post, never_sent, 1) is not None
    assert policy.decide(httpx.Request("DELETE", "https://example.test/things/1"), dropped, 1) is not None
    keyed = httpx.Request("POST", "https://example.test/things", headers={"Idempotency-Key": "k"})
    assert policy.decide(keyed, dropped, 1) is not None
    marked = httpx.Request("POST", "https://example.test/q", extensions={http.IDEMPOTENT: True})
    assert policy.decide(marked, dropped, 1) is not None
    assert policy.decide(post, httpx.Response(502), 1) is None and policy.decide(post, httpx.Response(503), 1)


def test_throttles_have_a_larger_budget_than_errors() -> None:
    policy = http.RetryPolicy("test", max_attempts=3, throttled_attempts=6)
    get = httpx.Request("GET", "https://example.test/x")
    assert policy.decide(get, httpx.Response(502), 3) is None
    assert policy.decide(get, httpx.ReadError("reset"), 3) is None
    assert policy.decide(get, httpx.Response(503), 5) is not None and policy.decide(get, httpx.Response(429), 6) is None


# -- every client, every fault ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", FAULTS)
def test_graph_through_msgraph(sandbox: SandboxHandle, retries: list[http.RetryRecord], fault: str) -> None:
    graph = GraphClient(sandbox.settings, sandbox.credentials["partner_tenant_id"])
    graph.organization()  # token cached: only Graph sees the fault
    sandbox.set_faults("graph", **FAULTS[fault])
    assert graph.organization()["id"] == sandbox.credentials["partner_tenant_id"]
    record = only(retries, "graph", fault)
    assert record.method == "GET" and record.url.endswith("/organization")
    if fault == "429":
        assert record.wait_s >= 2  # Retry-After honoured


def test_graph_batch_items_are_retried_by_the_same_policy(sandbox: SandboxHandle,
                                                        retries: list[http.RetryRecord]) -> None:
    graph = GraphClient(sandbox.settings, sandbox.credentials["partner_tenant_id"])
    sandbox.set_faults("graph", write_quota=1, write_window_s=SHORT_S / 2)
    url = "/policies/identitySecurityDefaultsEnforcementPolicy"
    answers = graph.batch([{"id": str(i), "method": "PATCH", "url": url, "body": {"isEnabled": True}}
                           for i in range(2)])
    assert [a["status"] for a in answers] == [204, 204]
    [record] = [r for r in retries if r.api == "graph"]
    assert record.url.endswith("/$batch") and "HTTP 429" in record.reason and record.wait_s > 0


def test_graph_create_is_not_repeated_after_a_drop(sandbox: SandboxHandle, retries: list[http.RetryRecord]) -> None:
    graph = GraphClient(sandbox.settings, sandbox.credentials["partner_tenant_id"])
    domain = next(d["name"] for d in graph.organization()["verifiedDomains"] if d["isInitial"])
    sandbox.set_faults("graph", next_drop=1)
    upn = f"drop{uuid.uuid4().hex[:6]}@{domain}"
    # The transport does not repeat the POST; create_user reads the UPN back (not there) and sends it once more.
    user = graph.create_user(upn=upn, display_name="D", mail_nickname="d", given_name="D", surname="X",
                             usage_location="CH", password="Sandbox!Pass1234", marker="coldfleet:test")
    assert retries == [] and sandbox.request_counts("graph")["drop"] == 1
    found = graph.find_user(upn)
    assert found is not None and found.id == user.id
    graph.delete_user(user.id)


@pytest.mark.parametrize("fault", FAULTS)
def test_cloudflare_through_the_sdk(sandbox: SandboxHandle, retries: list[http.RetryRecord], fault: str) -> None:
    with CloudflareDns(sandbox.settings) as backend:
        sandbox.set_faults("cloudflare", **FAULTS[fault])
        assert backend.find_zone(f"none-{secrets.token_hex(4)}.com") is None
    assert only(retries, "cloudflare", fault).method == "GET"


@pytest.mark.parametrize("fault", FAULTS)
def test_registrar(sandbox: SandboxHandle, retries: list[http.RetryRecord], fault: str) -> None:
    with NameComRegistrar(sandbox.settings) as registrar:
        sandbox.set_faults("namecom", **FAULTS[fault])
        assert registrar.check(f"free-{secrets.token_hex(4)}.com").purchasable
    assert only(retries, "namecom", fault).url.endswith(":checkAvailability")


@pytest.mark.parametrize("fault", FAULTS)
def test_partner_center(sandbox: SandboxHandle, retries: list[http.RetryRecord], fault: str) -> None:
    client = PartnerCenterClient(sandbox.settings)
    client.domain_available("warm" + uuid.uuid4().hex[:8])
    sandbox.set_faults("partner_center", **FAULTS[fault])
    assert client.domain_available("cf" + uuid.uuid4().hex[:10]) is True
    assert only(retries, "partner_center", fault).method == "HEAD"


@pytest.mark.parametrize("fault", FAULTS)
def test_exchange(sandbox: SandboxHandle, retries: list[http.RetryRecord], fault: str) -> None:
    client = ExchangeClient(sandbox.settings, sandbox.credentials["partner_tenant_id"])
    before = client.get_tenant_smtp_auth()
    sandbox.set_faults("exchange", **FAULTS[fault])
    assert client.get_tenant_smtp_auth() is before
    assert only(retries, "exchange", fault).url.endswith("/InvokeCommand")


@pytest.mark.parametrize("fault", FAULTS)
def test_token_endpoint(sandbox: SandboxHandle, retries: list[http.RetryRecord], fault: str) -> None:
    fresh = http.Credential(sandbox.settings, sandbox.credentials["partner_tenant_id"])  # nothing cached
    sandbox.set_faults("identity", **FAULTS[fault])
    assert fresh.token("https://graph.microsoft.com/.default", api="graph")
    assert only(retries, "identity", fault).url.endswith("/oauth2/v2.0/token")


def test_one_token_per_tenant_and_scope(sandbox: SandboxHandle) -> None:
    tenant = sandbox.credentials["partner_tenant_id"]
    scope = "https://outlook.office365.com/.default"
    assert http.credential(sandbox.settings, tenant, api="t") is http.credential(sandbox.settings, tenant, api="t")
    first = http.bearer_token(sandbox.settings, tenant, scope, api="t")
    before = sandbox.request_counts("identity").get("requests", 0)
    assert http.bearer_token(sandbox.settings, tenant, scope, api="t") == first
    assert sandbox.request_counts("identity").get("requests", 0) == before


def test_one_tls_context_per_ca_file(sandbox: SandboxHandle) -> None:
    assert http.ssl_context(sandbox.settings) is http.ssl_context(sandbox.settings)
