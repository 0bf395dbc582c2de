"""Fault injection: shapes in-process, then 429 / 503 / drop / latency against the running sandbox."""

from __future__ import annotations

import dataclasses
import time

import httpx
import pytest
from azure.identity import ClientSecretCredential
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from sandbox import faults
from sandbox.faults import FaultMiddleware, charge_write
from sandbox.handle import SandboxHandle
from sandbox.world import Faults, World


def _client(double: str, world: World) -> TestClient:
    async def ok(_: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", ok)])
    return TestClient(FaultMiddleware(app, world, double))


@pytest.mark.parametrize(("double", "check"), [
    ("graph", lambda b: b["error"]["code"] == "TooManyRequests" and "request-id" in b["error"]["innerError"]),
    ("exchange", lambda b: b["error"]["code"] == "TooManyRequests"),
    ("cloudflare", lambda b: b["success"] is False and b["errors"][0]["code"] and b["result"] is None),
    ("partner_center", lambda b: b["errorName"] == "TooManyRequests" and b["isRetryable"] is True),
    ("identity", lambda b: b["error"] == "temporarily_unavailable" and b["error_codes"]),
    ("namecom", lambda b: "message" in b),
])
def test_429_body_has_the_doubles_error_shape(double: str, check: object) -> None:
    world = World()
    world.faults[double] = Faults(next_429=1, retry_after_s=7)
    client = _client(double, world)
    resp = client.get("/")
    assert resp.status_code == 429 and resp.headers["retry-after"] == "7"
    assert callable(check) and check(resp.json())
    assert client.get("/").text == "ok"  # one-shot


def test_probabilities_and_503() -> None:
    world = World()
    world.faults["graph"] = Faults(p503=1.0)
    resp = _client("graph", world).get("/")
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "ServiceNotAvailable"
    world.faults["graph"] = Faults(p429=1.0)
    assert _client("graph", world).get("/").status_code == 429


def test_answer_latency_holds_the_answer_after_the_work() -> None:
    done: list[float] = []

    async def work(_: object) -> PlainTextResponse:
        done.append(time.monotonic())
        return PlainTextResponse("ok")

    world = World()
    world.faults["graph"] = Faults(answer_latency_ms=300)
    client = TestClient(FaultMiddleware(Starlette(routes=[Route("/", work)]), world, "graph"))
    started = time.monotonic()
    assert client.get("/").text == "ok"
    answered = time.monotonic()
    assert done[0] - started < 0.25 and answered - done[0] >= 0.3  # the work first, the answer 300 ms later


def test_charge_write_quota_per_key() -> None:
    faults.reset()
    world = World()
    assert charge_write(world, "graph", "app/tenant") is None  # unlimited by default
    world.faults["graph"] = Faults(write_quota=2, write_window_s=150)
    faults.reset()
    assert charge_write(world, "graph", "app/t1") is None
    assert charge_write(world, "graph", "app/t1") is None
    wait = charge_write(world, "graph", "app/t1")
    assert wait is not None and 0 < wait <= 150
    assert charge_write(world, "graph", "app/t2") is None  # another tenant has its own window
    assert charge_write(world, "exchange", "app/t1") is None  # another double too
    assert faults.stats()["graph"]["write_429"] == 1


def test_charge_write_window_slides() -> None:
    faults.reset()
    world = World()
    world.faults["graph"] = Faults(write_quota=1, write_window_s=0.05)
    assert charge_write(world, "graph", "k") is None
    assert charge_write(world, "graph", "k") is not None
    time.sleep(0.06)
    assert charge_write(world, "graph", "k") is None


# -- against the running sandbox (identity double as the probe) ----------------------------------------------------
def _discovery(sandbox: SandboxHandle) -> str:
    tenant = sandbox.credentials["partner_tenant_id"]
    return f"{sandbox.endpoints['login']}/{tenant}/v2.0/.well-known/openid-configuration"


def test_429_then_success_is_retried_by_the_sdk(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("identity", next_429=1, retry_after_s=0)
    creds = sandbox.credentials
    cred = ClientSecretCredential(creds["partner_tenant_id"], creds["client_id"], creds["client_secret"],
                                  authority=sandbox.endpoints["login"], disable_instance_discovery=True,
                                  connection_verify=sandbox.ca_cert)
    assert cred.get_token("https://graph.microsoft.com/.default").token
    counts = sandbox.request_counts("identity")
    assert counts["429"] == 1
    assert counts["requests"] >= 3  # discovery (throttled), its retry, the token request


def test_503_with_retry_after(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("identity", next_503=1, retry_after_s=2)
    with httpx.Client(verify=sandbox.ca_cert) as client:
        first = client.get(_discovery(sandbox))
        second = client.get(_discovery(sandbox))
    assert first.status_code == 503 and first.headers["retry-after"] == "2"
    assert second.status_code == 200
    assert sandbox.request_counts("identity") == {"requests": 2, "503": 1}


def test_dropped_connection_has_no_response(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("identity", next_drop=1)
    with httpx.Client(verify=sandbox.ca_cert) as client:
        with pytest.raises(httpx.TransportError):
            client.get(_discovery(sandbox))
        assert client.get(_discovery(sandbox)).status_code == 200
    assert sandbox.request_counts("identity")["drop"] == 1


def test_drop_after_handler_does_the_work_and_sends_nothing() -> None:
    seen: list[str] = []

    async def write(_: object) -> PlainTextResponse:
        seen.append("done")
        return PlainTextResponse("created", status_code=201)

    world = World()
    world.faults["cloudflare"] = Faults(next_drop_after=1)
    client = TestClient(FaultMiddleware(Starlette(routes=[Route("/", write, methods=["POST"])]), world, "cloudflare"))
    with pytest.raises(Exception):  # noqa: B017, PT011 - no answer at all: the test client has nothing to return
        client.post("/")
    assert seen == ["done"]
    assert client.post("/").status_code == 201
    assert seen == ["done", "done"]


def test_drop_after_handler_keeps_the_write_at_the_double(sandbox: SandboxHandle) -> None:
    """`next_drop_after`: the zone is created, the client gets no answer; a read back finds it."""
    name = f"dropafter-{time.monotonic_ns()}.com"
    account = sandbox.credentials["cloudflare_account_id"]
    sandbox.set_faults("cloudflare", next_drop_after=1)
    with httpx.Client(base_url=sandbox.endpoints["cloudflare"], verify=sandbox.ca_cert,
                      headers={"Authorization": f"Bearer {sandbox.credentials['cloudflare_api_token']}"}) as client:
        with pytest.raises(httpx.TransportError):
            client.post("/zones", json={"name": name, "account": {"id": account}})
        found = client.get("/zones", params={"name": name, "account.id": account}).json()["result"]
    assert [z["name"] for z in found] == [name]
    assert sandbox.request_counts("cloudflare")["drop_after"] == 1


def test_latency(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("identity", latency_ms=150)
    started = time.monotonic()
    resp = httpx.get(_discovery(sandbox), verify=sandbox.ca_cert)
    assert resp.status_code == 200
    assert time.monotonic() - started >= 0.15  # a lower bound only: never flaky


def test_faults_are_reset_between_tests(sandbox: SandboxHandle) -> None:
    # runs after the tests above: the autouse fixture cleared their knobs and counters
    defaults = dataclasses.asdict(Faults())
    assert all(knobs == defaults for knobs in sandbox.admin_state()["world"]["faults"].values())
    assert httpx.get(_discovery(sandbox), verify=sandbox.ca_cert).status_code == 200
    assert sandbox.request_counts("identity") == {"requests": 1}


def test_admin_rejects_unknown_knobs(sandbox: SandboxHandle) -> None:
    resp = sandbox.admin.post("/faults", json={"double": "graph", "p_bogus": 1})
    assert resp.status_code == 400
    state = sandbox.set_faults("graph", write_quota=5, write_window_s=10)
    assert state["write_quota"] == 5
    assert sandbox.admin_state()["world"]["faults"]["graph"]["write_quota"] == 5
