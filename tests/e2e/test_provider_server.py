"""The four providers behind the real dynamic-provider gRPC server, driven the way the engine drives them.

`python -m pulumi.dynamic` runs as its own process (what `pulumi-resource-pulumi-python` starts) and prints its port;
we talk to it with Pulumi's generated stubs: Configure with the stack config as the engine sends it, then Check /
Diff / Create / Read / Update / Delete with properties serialized by the SDK's `serialize_properties` and
`__provider` pickled by the SDK's own `serialize_provider`. So the provider is unpickled in another process, configured
from stack config there, and its four server threads run our code concurrently, as during `pulumi up`.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from cli.engine import REPO_ROOT
from providers import config
from providers.auth_records import AuthRecordsProvider
from providers.domain_mailboxes import DomainMailboxesProvider
from providers.m365_tenant import M365TenantProvider
from providers.mailbox import MailboxProvider
from providers.sending_domain import SendingDomainProvider

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROJECT = "coldfleet"
DIFF_NONE, DIFF_SOME = provider_pb2.DiffResponse.DIFF_NONE, provider_pb2.DiffResponse.DIFF_SOME
TYPES: dict[type[ResourceProvider], str] = {
    SendingDomainProvider: "SendingDomain",
    M365TenantProvider: "M365Tenant",
    AuthRecordsProvider: "AuthRecords",
    MailboxProvider: "Mailbox",
    DomainMailboxesProvider: "DomainMailboxes",
}
ADDRESS = {"first_name": "Anna", "last_name": "Keller", "address_line1": "Torstrasse 1", "city": "Berlin",
           "state": "BE", "postal_code": "10119", "country": "DE"}
CONTACT = {"first_name": "Anna", "last_name": "Keller", "email": "it@acme.com"}
DMARC = {"policy": "quarantine", "rua": ["mailto:dmarc@acme-reports.com"]}


def serialize(props: dict[str, Any]) -> Any:
    """What the engine's SDK puts on the wire (None values are dropped, as there)."""
    return asyncio.run(rpc.serialize_properties(props, {}))


def deserialize(struct: Any) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct))


class RpcError(AssertionError):
    pass


@dataclass
class ProviderServer:
    """A `python -m pulumi.dynamic` process and a channel to it."""

    process: subprocess.Popen[bytes]
    channel: grpc.Channel
    stub: provider_pb2_grpc.ResourceProviderStub
    log_path: Path
    blobs: dict[type, str] = field(default_factory=dict)

    @classmethod
    def start(cls, env: dict[str, str], config_args: dict[str, str], log_path: Path) -> ProviderServer:
        with log_path.open("wb") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:0"], env=env,
                                    stdout=subprocess.PIPE, stderr=log, cwd=str(REPO_ROOT))
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()  # the server prints its port, as the engine expects
        if not line.isdigit():
            proc.kill()
            proc.wait()
            raise RuntimeError(f"dynamic provider server did not start: {line!r}\n{log_path.read_text()[-2000:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        server = cls(proc, channel, provider_pb2_grpc.ResourceProviderStub(channel), log_path)
        try:
            grpc.channel_ready_future(channel).result(timeout=30)
            server.configure(config_args)
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()  # the server waits on an Event forever; SIGTERM ends it
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    # -- the engine's calls ---------------------------------------------------------------------------------------

    def configure(self, args: dict[str, str]) -> None:
        """As the engine configures the default `pulumi-python` provider: the whole stack config in `args`."""
        variables = {f"pulumi-python:config:{key}": value for key, value in args.items()}
        request = provider_pb2.ConfigureRequest(args=serialize(args), variables=variables, acceptSecrets=True,
                                                acceptResources=True, sends_old_inputs=True,
                                                sends_old_inputs_to_delete=True, name="default",
                                                type="pulumi:providers:pulumi-python")
        response = self.stub.Configure(request)
        assert response.acceptSecrets is False  # the dynamic provider wants plain values

    def blob(self, provider: type[ResourceProvider]) -> str:
        if provider not in self.blobs:
            self.blobs[provider] = serialize_provider(provider())
        return self.blobs[provider]

    def _props(self, provider: type[ResourceProvider], props: dict[str, Any]) -> Any:
        return serialize({**props, "__provider": self.blob(provider)})

    @staticmethod
    def urn(provider: type[ResourceProvider], name: str) -> str:
        kind = TYPES[provider]
        return f"urn:pulumi:dev::{PROJECT}::pulumi-python:dynamic/coldfleet:{kind}::{name}"

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=120)
        except grpc.RpcError as error:
            code, details = error.code(), error.details()  # type: ignore[attr-defined]
            raise RpcError(f"{method} failed: {code}: {details}") from None

    def check(self, provider: type[ResourceProvider], name: str, news: dict[str, Any],
              olds: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        request = provider_pb2.CheckRequest(urn=self.urn(provider, name), name=name,
                                            olds=self._props(provider, olds or {}), news=self._props(provider, news))
        response = self._call("Check", request)
        inputs = dict(rpc.deserialize_properties(response.inputs, True))
        return inputs, [(f.property, f.reason) for f in response.failures]

    def diff(self, provider: type[ResourceProvider], id_: str, olds: dict[str, Any],
             news: dict[str, Any]) -> provider_pb2.DiffResponse:
        request = provider_pb2.DiffRequest(id=id_, urn=self.urn(provider, id_), olds=self._props(provider, olds),
                                           news=self._props(provider, news))
        response: provider_pb2.DiffResponse = self._call("Diff", request)
        return response

    def create(self, provider: type[ResourceProvider], name: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        inputs, failures = self.check(provider, name, props)
        assert failures == [], failures
        request = provider_pb2.CreateRequest(urn=self.urn(provider, name), name=name,
                                             properties=self._props(provider, inputs), timeout=120)
        response = self._call("Create", request)
        return response.id, deserialize(response.properties)

    def read(self, provider: type[ResourceProvider], id_: str,
             props: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        request = provider_pb2.ReadRequest(id=id_, urn=self.urn(provider, id_), properties=self._props(provider, props))
        response = self._call("Read", request)
        inputs = deserialize(response.inputs) if response.HasField("inputs") else {}
        return response.id, deserialize(response.properties), inputs

    def update(self, provider: type[ResourceProvider], id_: str, olds: dict[str, Any],
               news: dict[str, Any]) -> dict[str, Any]:
        inputs, failures = self.check(provider, id_, news, olds)
        assert failures == [], failures
        request = provider_pb2.UpdateRequest(id=id_, urn=self.urn(provider, id_), olds=self._props(provider, olds),
                                             news=self._props(provider, inputs), timeout=120)
        return deserialize(self._call("Update", request).properties)

    def delete(self, provider: type[ResourceProvider], id_: str, props: dict[str, Any]) -> None:
        request = provider_pb2.DeleteRequest(id=id_, urn=self.urn(provider, id_),
                                             properties=self._props(provider, props), timeout=120)
        self._call("Delete", request)


def server_env(sandbox_dir: Path | None) -> dict[str, str]:
    """The plugin's environment as the engine gives it (PULUMI_PROJECT names the config namespace)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COLDFLEET_", "PULUMI_", "AZURE_", "CLOUDFLARE_",
                                                                         "NAMECOM_"))}
    env.update(PYTHONPATH=str(REPO_ROOT), PULUMI_PROJECT=PROJECT)
    if sandbox_dir is not None:
        env["COLDFLEET_SANDBOX_DIR"] = str(sandbox_dir)
    return env


@pytest.fixture(scope="module")
def server(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProviderServer]:
    log_path = tmp_path_factory.mktemp("provider-server") / "server.log"
    handle = ProviderServer.start(server_env(sandbox.dir), {f"{PROJECT}:settingsFile": str(sandbox.settings_file)},
                                  log_path)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def mailbox_delay(sandbox: Any) -> Iterator[Callable[[float], None]]:
    """Set the sandbox's mailbox provisioning delay for one test; the session's value comes back afterwards."""
    before = sandbox.admin_state()["world"]["mailbox_provisioning_delay_s"]
    yield sandbox.set_mailbox_delay
    sandbox.set_mailbox_delay(before)


# -- the resource chain ---------------------------------------------------------------------------------------------


def domain_args(domain: str) -> dict[str, Any]:
    return {"domain": domain, "dns_backend": "cloudflare", "registrar": "namecom"}


def tenant_args(domain: str, seats: int) -> dict[str, Any]:
    return {"domain": domain, "mode": "partner", "residency": "eu", "country": "DE",
            "domain_prefix": "grpc" + domain.split(".")[0].replace("-", ""), "company_name": "Acme Outbound GmbH",
            "address": ADDRESS, "contact": CONTACT, "licence": "exchange_online_plan1", "seats": seats}


def auth_args(domain: str, tenant: dict[str, Any], policy: str = "quarantine") -> dict[str, Any]:
    return {"domain": domain, "tenant_id": tenant["tenant_id"], "dns_backend": "cloudflare",
            "verification_txt": tenant["verification_txt"], "dmarc": {**DMARC, "policy": policy}}


def mailbox_args(domain: str, tenant: dict[str, Any], auth: dict[str, Any], local: str,
                 display: str | None = None) -> dict[str, Any]:
    first = local.capitalize()
    return {"tenant_id": tenant["tenant_id"], "domain": domain, "local_part": local, "first_name": first,
            "last_name": "Keller", "display_name": display or f"{first} Keller", "usage_location": "DE",
            "licence_sku_id": tenant["licence_sku_id"], "sending": "oauth", "domain_verified": auth["verified"]}


@dataclass
class Chain:
    domain: str
    ids: dict[str, str]
    outs: dict[str, dict[str, Any]]


def create_chain(server: ProviderServer, domain: str, seats: int) -> Chain:
    """SendingDomain → M365Tenant → AuthRecords, each through Check + Create, outputs feeding the next inputs."""
    ids, outs = {}, {}
    ids["domain"], outs["domain"] = server.create(SendingDomainProvider, domain, domain_args(domain))
    ids["tenant"], outs["tenant"] = server.create(M365TenantProvider, domain, tenant_args(domain, seats))
    ids["auth"], outs["auth"] = server.create(AuthRecordsProvider, domain, auth_args(domain, outs["tenant"]))
    return Chain(domain, ids, outs)


def tenant_view(sandbox: Any, tenant_id: str) -> dict[str, Any]:
    tenant: dict[str, Any] = sandbox.admin_state()["world"]["tenants"][tenant_id]
    return tenant


def domain_users(sandbox: Any, tenant_id: str, domain: str) -> list[dict[str, Any]]:
    users = tenant_view(sandbox, tenant_id)["users"].values()
    return [u for u in users if u["user_principal_name"].endswith("@" + domain)]


# -- (a) serialization and configuration ----------------------------------------------------------------------------


def test_pickled_provider_carries_no_secret_even_when_the_pickling_process_holds_them(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The program process has its settings loaded (with every sandbox secret) when the SDK pickles the provider.
    monkeypatch.setattr(config, "_current", sandbox.settings)
    secrets = [sandbox.credentials[k] for k in ("client_secret", "cloudflare_api_token", "namecom_token")]
    secrets.append(sandbox.info["dns"]["tsig_secret"])
    for provider in TYPES:
        raw = base64.b64decode(serialize_provider(provider()))
        assert provider.__module__.encode() in raw  # pickled by reference: the class lives in an importable module
        for secret in secrets:
            assert secret.encode() not in raw, f"{provider.__name__}'s pickle carries a secret"


def test_configure_reads_the_stack_config_in_the_server_process(sandbox: Any, tmp_path: Path) -> None:
    """No sandbox in the server's environment: only Configure's `coldfleet:settingsFile` can point it at the doubles."""
    config_args = {f"{PROJECT}:settingsFile": str(sandbox.settings_file)}
    handle = ProviderServer.start(server_env(None), config_args, tmp_path / "server.log")
    try:
        domain = "grpcconfigured.com"
        props = {**domain_args(domain), "registrar": "byo"}
        id_, outs = handle.create(SendingDomainProvider, domain, props)
        assert id_ == domain
        assert outs["zone_id"] and outs["delegated"] is True  # BIND answers the zone's apex NS
        assert outs["nameservers"] == sandbox.info["dns"]["nameservers"]
        assert outs["__provider"] == handle.blob(SendingDomainProvider)  # echoed for the engine's state
        assert domain in [z["name"] for z in sandbox.admin_state()["state"]["cloudflare"]["zones"]]
    finally:
        handle.stop()


# -- (b) Check failures ---------------------------------------------------------------------------------------------


def test_check_failures_come_back_as_protos_naming_the_property(server: ProviderServer) -> None:
    _, failures = server.check(SendingDomainProvider, "bad", {"domain": "not a domain!", "dns_backend": "bind9",
                                                               "registrar": "namecom"})
    assert {prop for prop, _ in failures} == {"domain", "dns_backend"}
    assert all(reason for _, reason in failures)

    tenant = tenant_args("grpcbad.com", seats=0)
    tenant["address"] = {**ADDRESS, "country": "US"}
    _, failures = server.check(M365TenantProvider, "grpcbad.com", tenant)
    assert [prop for prop, _ in failures] == ["seats"]  # field errors first; cross-field rules once fields parse
    _, failures = server.check(M365TenantProvider, "grpcbad.com", {**tenant, "seats": 3})
    assert [prop for prop, _ in failures] == ["address.country"]

    auth = {"domain": "grpcbad.com", "tenant_id": "t", "dns_backend": "cloudflare", "verification_txt": "ms=1",
            "dmarc": {"policy": "quarantine", "rua": ["https://example.com"]}}
    _, failures = server.check(AuthRecordsProvider, "grpcbad.com", auth)
    props = sorted(prop for prop, _ in failures)
    assert props[0].startswith("dmarc.rua") and props[1] == "verification_txt"

    box = mailbox_args("grpcbad.com", {"tenant_id": "nope", "licence_sku_id": "x"}, {"verified": False}, "Anna..K")
    _, failures = server.check(MailboxProvider, "grpcbad.com/anna", box)
    assert {"tenant_id", "local_part", "licence_sku_id", "domain_verified"} <= {prop for prop, _ in failures}


def test_check_normalises_and_echoes_the_provider(server: ProviderServer) -> None:
    inputs, failures = server.check(SendingDomainProvider, "x", {"domain": "GetAcme.COM.", "dns_backend": "cloudflare",
                                                                  "registrar": "namecom", "max_price": 12.0})
    assert failures == []
    assert inputs["domain"] == "getacme.com" and inputs["max_price"] == 12
    assert inputs["__provider"] == server.blob(SendingDomainProvider)


def test_check_at_preview_tolerates_values_other_resources_have_not_produced(server: ProviderServer) -> None:
    """A fresh stack's preview: AuthRecords and Mailbox get unknowns for the tenant's outputs; no failure for them."""
    auth = {"domain": "grpcpreview.com", "tenant_id": rpc.UNKNOWN, "dns_backend": "cloudflare",
            "verification_txt": rpc.UNKNOWN, "dmarc": DMARC}
    inputs, failures = server.check(AuthRecordsProvider, "grpcpreview.com", auth)
    assert failures == []
    assert isinstance(inputs["tenant_id"], Unknown)  # still unknown when it comes back
    box = mailbox_args("grpcpreview.com", {"tenant_id": rpc.UNKNOWN, "licence_sku_id": rpc.UNKNOWN},
                       {"verified": rpc.UNKNOWN}, "anna")
    _, failures = server.check(MailboxProvider, "grpcpreview.com/anna", box)
    assert failures == []
    # A real problem next to the unknowns is still reported.
    _, failures = server.check(MailboxProvider, "grpcpreview.com/anna", {**box, "local_part": "a..b"})
    assert [prop for prop, _ in failures] == ["local_part"]


# -- (c) Diff --------------------------------------------------------------------------------------------------------


def test_diff_reports_changes_replacements_and_no_change(server: ProviderServer) -> None:
    old = {**domain_args("grpcdiff.com"), "delete_zone_on_destroy": False, "release_registration_on_destroy": False,
           "zone_id": "z1", "nameservers": ["ns1"], "registered": True, "delegated": True}
    same = server.diff(SendingDomainProvider, "grpcdiff.com", old, dict(old))
    assert same.changes == DIFF_NONE and list(same.replaces) == []

    changed = server.diff(SendingDomainProvider, "grpcdiff.com", old, {**old, "release_registration_on_destroy": True})
    assert changed.changes == DIFF_SOME and list(changed.replaces) == [] and not changed.deleteBeforeReplace

    moved = server.diff(SendingDomainProvider, "grpcdiff.com", old,
                        {**old, "domain": "grpcdiff2.com", "dns_backend": "rfc2136"})
    assert moved.changes == DIFF_SOME
    assert sorted(moved.replaces) == ["dns_backend", "domain"] and moved.deleteBeforeReplace

    box = mailbox_args("grpcdiff.com", {"tenant_id": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
                                        "licence_sku_id": "1" * 8 + "-1111-1111-1111-" + "1" * 12},
                       {"verified": True}, "anna")
    renamed = server.diff(MailboxProvider, "u1", box, {**box, "display_name": "Anna K."})
    assert renamed.changes == DIFF_SOME and list(renamed.replaces) == []
    readdressed = server.diff(MailboxProvider, "u1", box, {**box, "local_part": "anna.k"})
    assert list(readdressed.replaces) == ["local_part"] and readdressed.deleteBeforeReplace
    # At preview a replace key that is still unknown is an update, not a replacement (up diffs again).
    pending = server.diff(MailboxProvider, "u1", box, {**box, "tenant_id": rpc.UNKNOWN})
    assert pending.changes == DIFF_SOME and list(pending.replaces) == []


# -- (d) the lifecycle against the sandbox --------------------------------------------------------------------------


def test_create_read_update_delete_of_the_whole_chain(sandbox: Any, server: ProviderServer,
                                                      mailbox_delay: Callable[[float], None]) -> None:
    mailbox_delay(0.3)
    domain = "grpclifecycle.com"
    chain = create_chain(server, domain, seats=2)
    tenant, auth = chain.outs["tenant"], chain.outs["auth"]
    tenant_id = tenant["tenant_id"]
    assert chain.outs["domain"]["registered"] and chain.outs["domain"]["delegated"]
    assert chain.ids["tenant"] == f"{tenant_id}/{domain}"
    assert auth["verified"] and auth["dkim_enabled"]
    assert sandbox.dns_query(f"_dmarc.{domain}", "TXT")[0].startswith("v=DMARC1; p=quarantine")

    box_id, box = server.create(MailboxProvider, f"{domain}/anna", mailbox_args(domain, tenant, auth, "anna"))
    assert box["email"] == f"anna@{domain}" and box["password"] and not box["mailbox_ready"]  # create does not wait
    finishing = {"tenant_id": tenant_id, "domain": domain, "mailboxes": [
        {"user_id": box_id, "upn": box["email"], "sending": box["sending"]}]}
    finish_id, finished = server.create(DomainMailboxesProvider, domain, finishing)  # the domain's one wait
    assert finish_id == f"{tenant_id}/{domain}" and finished["ready"] == 1
    [user] = domain_users(sandbox, tenant_id, domain)
    assert user["id"] == box_id and user["extension_attributes"].get("extensionAttribute15") == "coldfleet"

    # Read: live state, and inputs the engine diffs against next time.
    for provider, key, outs in ((SendingDomainProvider, "domain", chain.outs["domain"]),
                                (M365TenantProvider, "tenant", tenant), (AuthRecordsProvider, "auth", auth)):
        id_, live, inputs = server.read(provider, chain.ids[key], outs)
        assert id_ == chain.ids[key] and inputs["domain"] == domain
    _, live, _ = server.read(AuthRecordsProvider, chain.ids["auth"], auth)
    assert live["drift"] == [] and live["verified"] and live["dkim_enabled"]
    id_, live, inputs = server.read(MailboxProvider, box_id, box)
    assert id_ == box_id and live["licensed"] and live["mailbox_ready"] and live["account_enabled"]
    assert live["password"] == box["password"] and "password" not in inputs

    # Update: each provider changes its part of the world in place.
    domain_outs = server.update(SendingDomainProvider, domain, chain.outs["domain"],
                                {**domain_args(domain), "release_registration_on_destroy": True})
    assert domain_outs["release_registration_on_destroy"] is True and domain_outs["registered"]
    tenant_outs = server.update(M365TenantProvider, chain.ids["tenant"], tenant, tenant_args(domain, 3))
    assert tenant_outs["seats"] == 3 and tenant_outs["tenant_id"] == tenant_id
    assert sum(s["quantity"] for s in tenant_view(sandbox, tenant_id)["subscriptions"]) == 3
    auth_outs = server.update(AuthRecordsProvider, domain, auth, auth_args(domain, tenant, policy="reject"))
    assert sandbox.dns_query(f"_dmarc.{domain}", "TXT")[0].startswith("v=DMARC1; p=reject")
    box_outs = server.update(MailboxProvider, box_id, box,
                             mailbox_args(domain, tenant, auth, "anna", display="Anna K. (Sales)"))
    assert box_outs["password"] == box["password"]  # a rename keeps the credentials
    [user] = domain_users(sandbox, tenant_id, domain)
    assert user["display_name"] == "Anna K. (Sales)"

    # Delete, in the engine's reverse-dependency order.
    server.delete(MailboxProvider, box_id, box_outs)
    view = tenant_view(sandbox, tenant_id)
    assert domain_users(sandbox, tenant_id, domain) == [] and view["deleted_users"] == {}  # purged (sandbox)
    server.delete(AuthRecordsProvider, domain, auth_outs)
    for name, rdtype in ((domain, "MX"), (f"_dmarc.{domain}", "TXT"), (f"selector1._domainkey.{domain}", "CNAME")):
        assert sandbox.dns_query(name, rdtype) == []
    server.delete(M365TenantProvider, chain.ids["tenant"], tenant_outs)
    assert domain not in tenant_view(sandbox, tenant_id)["domains"]
    server.delete(SendingDomainProvider, domain, domain_outs)
    assert sandbox.dns_query(domain, "SOA")  # the zone is kept unless delete_zone_on_destroy


# -- (e) the engine's four threads ----------------------------------------------------------------------------------


def test_concurrent_creates_on_one_server_make_distinct_users(sandbox: Any, server: ProviderServer,
                                                              mailbox_delay: Callable[[float], None]) -> None:
    """Six Mailbox creates at once, as the engine issues them for a domain; the server runs four at a time."""
    domain = "grpcparallel.com"
    locals_ = ["anna", "marco", "lena", "jonas", "mia", "paul"]
    chain = create_chain(server, domain, seats=len(locals_))
    tenant, auth = chain.outs["tenant"], chain.outs["auth"]
    tenant_id = tenant["tenant_id"]
    mailbox_delay(2.0)  # no create holds a server thread while its mailbox provisions
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create(local: str) -> tuple[str, dict[str, Any]]:
        try:
            return server.create(MailboxProvider, f"{domain}/{local}", mailbox_args(domain, tenant, auth, local))
        except BaseException as error:
            with lock:
                errors.append(error)
            raise

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(locals_)) as pool:
        results = list(pool.map(create, locals_))
    elapsed = time.monotonic() - started
    assert errors == []
    ids = [id_ for id_, _ in results]
    assert len(set(ids)) == len(locals_)
    assert sorted(outs["email"] for _, outs in results) == sorted(f"{x}@{domain}" for x in locals_)
    assert len({outs["password"] for _, outs in results}) == len(locals_)

    users = domain_users(sandbox, tenant_id, domain)
    upns = [u["user_principal_name"] for u in users]
    assert sorted(upns) == sorted(f"{x}@{domain}" for x in locals_)  # no duplicates in the Graph double
    assert sorted(u["id"] for u in users) == sorted(ids)
    assert tenant_view(sandbox, tenant_id)["deleted_users"] == {}
    # No create waited for its mailbox: every user existed before the first mailbox was ready (on main, with each
    # create polling on one of the four threads, only four did).
    first_ready = min(u["mailbox_ready_at"] for u in users)
    in_flight = sum(1 for u in users if u["created"] < first_ready)
    assert in_flight == len(locals_), f"{in_flight} creates came before the first mailbox (elapsed {elapsed:.1f}s)"

    with ThreadPoolExecutor(max_workers=len(locals_)) as pool:
        list(pool.map(lambda r: server.delete(MailboxProvider, r[0], r[1]), results))
    assert domain_users(sandbox, tenant_id, domain) == []
    assert tenant_view(sandbox, tenant_id)["deleted_users"] == {}
