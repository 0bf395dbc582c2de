"""The sandbox knobs the benchmarks and fault tests lean on: latency on every double, the tenant creation delay, the
seeded fault RNG and the round-trip counters (per double, method and path kind, token requests apart)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from sandbox import counters, faults
from sandbox.faults import FaultMiddleware
from sandbox.graph.models import GraphBackend
from sandbox.handle import SandboxHandle
from sandbox.info import DOUBLES
from sandbox.partner_center.models import PartnerCenterBackend
from sandbox.world import Faults, World
from tests.sandbox.test_partner_center import create, customer_body, new_prefix, token

GRAPH = "https://graph.microsoft.com"


def _verdicts(world: World, double: str, n: int = 60) -> list[int]:
    async def ok(_: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    client = TestClient(FaultMiddleware(Starlette(routes=[Route("/", ok)]), world, double))
    return [client.get("/").status_code for _ in range(n)]


# -- in process --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "kind"), [
    ("/v1.0/users/4f1c9a52-3d7e-4b0a-9f51-0c0ffee1f1e7/assignLicense", "/v1.0/users/{id}/assignLicense"),
    ("/v1.0/users/anna.keller@bench000-acme.net", "/v1.0/users/{id}"),
    ("/v1.0/$batch", "/v1.0/$batch"),
    ("/v1.0/domains/bench000-acme.net/verify", "/v1.0/domains/{id}/verify"),
    ("/client/v4/zones/0123456789abcdef0123456789abcdef/dns_records", "/client/v4/zones/{id}/dns_records"),
    ("/coldfleetpartner.onmicrosoft.com/oauth2/v2.0/token", "/{id}/oauth2/v2.0/token"),
    ("/v4/domains/bench000-acme.net/records/12", "/v4/domains/{id}/records/{id}"),
])
def test_path_kind_replaces_ids(path: str, kind: str) -> None:
    assert counters.path_kind(path) == kind


def test_seeded_faults_repeat_per_double_and_seed() -> None:
    def run(double: str, seed: int | None) -> list[int]:
        faults.reset()
        world = World()
        world.faults[double] = Faults(p429=0.3, p503=0.2, seed=seed)
        return _verdicts(world, double)

    first = run("graph", 7)
    assert run("graph", 7) == first  # the same seed, the same verdicts in request order
    assert {429, 503, 200} <= set(first)
    assert run("graph", 8) != first
    assert run("exchange", 7) != first  # each double draws from its own sequence


def test_reseed_restarts_the_sequence() -> None:
    faults.reset()
    world = World()
    world.faults["graph"] = Faults(p429=0.5, seed=3)
    first = _verdicts(world, "graph", 30)
    faults.reseed("graph")
    assert _verdicts(world, "graph", 30) == first


def test_tenant_creation_delay_hides_skus_until_usable() -> None:
    world = World(tenant_creation_delay_s=0.3)
    partner = PartnerCenterBackend(world)
    customer = partner.create_customer("partner", customer_body(new_prefix()), None)
    graph = GraphBackend(world, dns=None)  # type: ignore[arg-type]  # SKUs need no DNS
    assert graph.list_subscribed_skus(customer["id"]) == []
    time.sleep(0.35)
    assert graph.list_subscribed_skus(customer["id"])
    world.tenant_creation_delay_s = 0.0
    at_once = partner.create_customer("partner", customer_body(new_prefix()), None)
    assert graph.list_subscribed_skus(at_once["id"])


# -- against the running sandbox ---------------------------------------------------------------------------------
@pytest.fixture
def counted(sandbox: SandboxHandle) -> Iterator[SandboxHandle]:
    sandbox.reset_requests()
    yield sandbox
    sandbox.reset_requests()


def test_latency_on_every_double(sandbox: SandboxHandle) -> None:
    answer = sandbox.set_faults("*", latency_ms=200)
    assert set(answer["doubles"]) == set(DOUBLES)
    with httpx.Client(verify=sandbox.ca_cert) as client:
        for double, key in DOUBLES.items():
            started = time.monotonic()
            client.get(f"{sandbox.endpoints[key]}/latency-probe")  # any answer (404, 401) pays the latency
            assert time.monotonic() - started >= 0.2, double


def test_counters_by_method_path_kind_and_token(counted: SandboxHandle) -> None:
    sandbox = counted
    creds = sandbox.credentials
    bearer = token(sandbox, GRAPH)
    with httpx.Client(verify=sandbox.ca_cert, headers={"Authorization": f"Bearer {bearer}"}) as client:
        batch = {"requests": [{"id": "1", "method": "GET", "url": "/organization"},
                              {"id": "2", "method": "GET", "url": "/subscribedSkus"}]}
        resp = client.post(f"{sandbox.endpoints['graph']}/$batch", json=batch)
        assert resp.status_code == 200, resp.text
        client.get(f"{sandbox.endpoints['graph']}/domains/coldfleetpartner.onmicrosoft.com")
    seen = sandbox.requests()
    identity, graph = seen["doubles"]["identity"], seen["doubles"]["graph"]
    assert identity == {"total": 1, "token": 1, "by_kind": {"POST /{id}/oauth2/v2.0/token": 1}}
    assert graph["by_kind"] == {"POST /v1.0/$batch": 1, "GET /v1.0/domains/{id}": 1}  # a $batch is one round trip
    assert graph["token"] == 0
    assert seen["total"] == 3 and seen["token_requests"] == 1
    assert seen["tokens"] == [{"tenant": creds["partner_tenant_id"].lower(), "audience": GRAPH, "count": 1}]


def test_counters_count_injected_faults_and_denied_tokens(counted: SandboxHandle) -> None:
    sandbox = counted
    sandbox.set_faults("identity", next_429=1, retry_after_s=0)
    url = f"{sandbox.endpoints['login']}/{sandbox.credentials['partner_tenant_id']}/oauth2/v2.0/token"
    with httpx.Client(verify=sandbox.ca_cert) as client:
        assert client.post(url, data={"grant_type": "client_credentials"}).status_code == 429
        assert client.post(url, data={"grant_type": "client_credentials"}).status_code >= 400  # no credentials
    seen = sandbox.requests()
    assert seen["doubles"]["identity"]["token"] == 2  # both round trips count
    assert seen["tokens"] == []  # neither issued a token


def test_tenant_creation_delay_knob(sandbox: SandboxHandle) -> None:
    headers = {"Authorization": f"Bearer {token(sandbox, 'https://api.partnercenter.microsoft.com')}"}
    assert sandbox.set_settings(tenant_creation_delay_s=30) == {"tenant_creation_delay_s": 30.0}
    try:
        with httpx.Client(base_url=sandbox.endpoints["partner"], verify=sandbox.ca_cert, headers=headers) as pc:
            customer = create(pc)
    finally:
        sandbox.set_settings(tenant_creation_delay_s=0)
    skus = httpx.get(f"{sandbox.endpoints['graph']}/subscribedSkus", verify=sandbox.ca_cert,
                     headers={"Authorization": f"Bearer {token(sandbox, GRAPH, customer['id'])}"})
    assert skus.status_code == 200 and skus.json()["value"] == []
    usable_at = sandbox.admin_state()["world"]["tenants"][customer["id"]]["usable_at"]
    assert usable_at is not None and usable_at > time.time() + 20
