"""AuthRecords against the sandbox: the whole handshake, idempotency, drift in read and its repair, delete."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from providers import config
from providers.auth_records import AuthRecordsProvider
from providers.auth_records import provider as auth_records
from providers.base import UNKNOWN
from providers.clients.dns import CloudflareDns, DnsBackend, backend_for
from providers.clients.exchange import ExchangeClient
from providers.clients.graph import GraphClient
from providers.clients.partner_center import Address, PartnerCenterClient
from providers.dmarc import build_spf
from sandbox.handle import SandboxHandle
from tests.providers.clients.helpers import nsupdate

DMARC = {"policy": "quarantine", "rua": ["mailto:dmarc@acme-reports.com"], "adkim": "s", "aspf": "r", "t": True}
FOREIGN = "google-site-verification=abc123"



def out_of(result: Any) -> dict[str, Any]:
    """The outputs of a Create/Update/ReadResult (typed Optional by the SDK)."""
    assert result.outs is not None
    return dict(result.outs)

@dataclass
class Setup:
    domain: str
    tenant_id: str
    verification_txt: str
    backend: str

    def props(self, **over: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "domain": self.domain,
            "tenant_id": self.tenant_id,
            "dns_backend": self.backend,
            "verification_txt": self.verification_txt,
            "dmarc": dict(DMARC),
            "ttl": 300,
        }
        base.update(over)
        return base


def make_setup(sandbox: SandboxHandle, backend: str) -> Setup:
    """A partner-created tenant with the domain added (what M365Tenant leaves behind) and the zone in place."""
    settings = sandbox.settings
    config.use(settings)
    tag = uuid.uuid4().hex[:10]
    domain = f"auth{tag}.com"
    customer = PartnerCenterClient(settings).create_customer(
        prefix=f"cf{tag}",
        company_name=f"Acme {tag}",
        email="ops@acme-reports.com",
        culture="en-US",
        language="en",
        address=Address(first_name="Anna", last_name="Keller", address_line1="1 Main St", city="Denver",
                        state="CO", postal_code="80202", country="US"),
        request_id=str(uuid.uuid4()),
    )
    graph = GraphClient(settings, customer.tenant_id)
    graph.add_domain(domain)
    if backend == "rfc2136":
        sandbox.add_zone(domain)
    else:
        backend_for(settings, backend).ensure_zone(domain)
    return Setup(domain, customer.tenant_id, graph.verification_txt(domain), backend)


@pytest.fixture
def cf(sandbox: SandboxHandle) -> Setup:
    return make_setup(sandbox, "cloudflare")


@pytest.fixture
def rfc(sandbox: SandboxHandle) -> Setup:
    return make_setup(sandbox, "rfc2136")


def live(sandbox: SandboxHandle, name: str, rdtype: str) -> list[str]:
    return sorted(sandbox.dns_query(name, rdtype))


# -- check and diff: no API call ------------------------------------------------------------------------------------

BASE = {
    "domain": "getacme.com",
    "tenant_id": "9b0d1c4e-0000-4000-8000-000000000001",
    "dns_backend": "cloudflare",
    "verification_txt": "MS=ms12345678",
    "dmarc": dict(DMARC),
}


@pytest.fixture
def no_api(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: Any, **_k: Any) -> None:
        raise AssertionError("check/diff must not call an API")

    for name in ("backend_for", "GraphClient", "ExchangeClient", "authoritative_query", "wait_for_rrset"):
        monkeypatch.setattr(auth_records, name, boom)


@pytest.mark.usefixtures("no_api")
@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"domain": "nope"}, "domain"),
        ({"verification_txt": "ms12345678"}, "verification_txt"),
        ({"dmarc": {**DMARC, "policy": "block"}}, "dmarc.policy"),
        ({"dmarc": {**DMARC, "rua": ["dmarc@acme-reports.com"]}}, "dmarc.rua"),
        ({"dmarc": {**DMARC, "adkim": "x"}}, "dmarc.adkim"),
        ({"dmarc": {**DMARC, "pct": 50}}, "dmarc.pct"),
        ({"dns_backend": "route53"}, "dns_backend"),
        ({"ttl": 5}, "ttl"),
    ],
)
def test_check_failures_name_the_field(over: dict[str, Any], field: str) -> None:
    result = AuthRecordsProvider().check({}, {**BASE, **over})
    assert [f.property for f in result.failures] == [field]


@pytest.mark.usefixtures("no_api")
def test_check_ok_and_preview_unknowns() -> None:
    ok = AuthRecordsProvider().check({}, {**BASE, "dmarc": {**DMARC, "rua": "mailto:dmarc@acme-reports.com"}})
    assert ok.failures == []
    assert ok.inputs["ttl"] == 3600 and ok.inputs["dmarc"]["rua"] == ["mailto:dmarc@acme-reports.com"]
    preview = {**BASE, "tenant_id": UNKNOWN, "verification_txt": UNKNOWN}
    assert AuthRecordsProvider().check({}, preview).failures == []


@pytest.mark.usefixtures("no_api")
def test_diff() -> None:
    p = AuthRecordsProvider()
    olds = {**BASE, "ttl": 3600, "verified": True, "dkim_enabled": True, "drift": [], "records": []}
    same = p.diff("getacme.com", olds, {**BASE, "ttl": 3600.0})
    assert not same.changes
    policy = p.diff("getacme.com", olds, {**BASE, "ttl": 3600, "dmarc": {**DMARC, "policy": "reject"}})
    assert policy.changes and policy.replaces == [] and not policy.delete_before_replace
    assert p.diff("getacme.com", olds, {**BASE, "ttl": 3600, "domain": "tryacme.io"}).replaces == ["domain"]
    assert p.diff("getacme.com", olds, {**BASE, "ttl": 3600, "tenant_id": "other"}).replaces == ["tenant_id"]
    for drifted in ({"dkim_enabled": False}, {"verified": False}, {"drift": [{"name": "_dmarc.getacme.com"}]}):
        result = p.diff("getacme.com", {**olds, **drifted}, {**BASE, "ttl": 3600})
        assert result.changes and result.replaces == []


# -- the handshake against the sandbox ------------------------------------------------------------------------------


def assert_published(sandbox: SandboxHandle, s: Setup, outs: dict[str, Any]) -> None:
    d = s.domain
    dkim = ExchangeClient(sandbox.settings, s.tenant_id).get_dkim(d)
    assert dkim is not None and dkim.enabled
    assert outs["verified"] is True and outs["dkim_enabled"] is True
    assert outs["dkim_selectors"] == [dkim.selector1_cname, dkim.selector2_cname]
    assert s.verification_txt in live(sandbox, d, "TXT") and build_spf() in live(sandbox, d, "TXT")
    assert live(sandbox, d, "MX") == [f"0 {d.replace('.', '-')}.mail.protection.outlook.com"]
    assert live(sandbox, f"autodiscover.{d}", "CNAME") == ["autodiscover.outlook.com"]
    assert live(sandbox, f"_dmarc.{d}", "TXT") == [
        "v=DMARC1; p=quarantine; adkim=s; aspf=r; rua=mailto:dmarc@acme-reports.com; t=y"
    ]
    assert live(sandbox, f"selector1._domainkey.{d}", "CNAME") == [dkim.selector1_cname]  # read, not derived
    assert live(sandbox, f"selector2._domainkey.{d}", "CNAME") == [dkim.selector2_cname]
    records = {(r["name"], r["type"]): r["values"] for r in outs["records"]}
    assert set(records) == {
        (d, "TXT"), (d, "MX"), (f"autodiscover.{d}", "CNAME"), (f"_dmarc.{d}", "TXT"),
        (f"selector1._domainkey.{d}", "CNAME"), (f"selector2._domainkey.{d}", "CNAME"),
    }
    assert records[(d, "TXT")] == [s.verification_txt, build_spf()]
    domain = GraphClient(sandbox.settings, s.tenant_id).get_domain(d)
    assert domain is not None and domain.is_verified and "Email" in domain.supported_services


def test_full_handshake_cloudflare(sandbox: SandboxHandle, cf: Setup) -> None:
    p = AuthRecordsProvider()
    result = p.create(cf.props())
    assert result.id == cf.domain
    assert_published(sandbox, cf, out_of(result))
    assert out_of(result)["drift"] == [] and out_of(result)["dmarc"]["policy"] == "quarantine"  # inputs echoed

    # a crashed run re-runs create: it converges to the same outputs and buys nothing new
    again = p.create(cf.props())
    assert out_of(again) == out_of(result)

    # refresh without drift: same outputs, inputs returned
    read = p.read(cf.domain, out_of(result))
    assert out_of(read) == out_of(result)
    assert read.inputs == {k: out_of(result)[k] for k in p.ARGS.model_fields}
    assert not p.diff(cf.domain, out_of(read), cf.props()).changes


def test_foreign_apex_txt_is_kept(sandbox: SandboxHandle, rfc: Setup) -> None:
    """Foreign values stay; a foreign SPF is replaced by ours (one SPF per name)."""
    nsupdate(sandbox, rfc.domain, rfc.domain, "TXT", f'"{FOREIGN}"', '"v=spf1 include:_spf.google.com ~all"')
    p = AuthRecordsProvider()
    outs = out_of(p.create(rfc.props()))
    assert_published(sandbox, rfc, outs)
    assert live(sandbox, rfc.domain, "TXT") == sorted([FOREIGN, rfc.verification_txt, build_spf()])
    p.delete(rfc.domain, outs)
    assert live(sandbox, rfc.domain, "TXT") == [FOREIGN]


def test_foreign_apex_txt_is_kept_at_cloudflare(sandbox: SandboxHandle, cf: Setup) -> None:
    """A TXT value someone created in the Cloudflare dashboard (no coldfleet comment) survives create and delete."""
    cloudflare = CloudflareDns(sandbox.settings)
    zone = cloudflare.find_zone(cf.domain)
    assert zone is not None
    cloudflare.client.dns.records.create(zone_id=zone.zone_id, type="TXT", name=cf.domain, content=FOREIGN, ttl=300)
    p = AuthRecordsProvider()
    outs = out_of(p.create(cf.props()))
    assert_published(sandbox, cf, outs)
    assert FOREIGN in live(sandbox, cf.domain, "TXT")
    assert FOREIGN not in outs["records"][0]["values"]  # not ours: not in what we report as published
    p.delete(cf.domain, outs)
    assert live(sandbox, cf.domain, "TXT") == [FOREIGN]


def test_partial_run_converges(sandbox: SandboxHandle, rfc: Setup) -> None:
    """Crash after the verification step: the TXT is published and the domain verified, nothing else."""
    settings = sandbox.settings
    dns_backend = backend_for(settings, "rfc2136")
    dns_backend.set_rrset(rfc.domain, rfc.domain, "TXT", [rfc.verification_txt], 300)
    GraphClient(settings, rfc.tenant_id).verify_domain(rfc.domain)
    outs = out_of(AuthRecordsProvider().create(rfc.props()))
    assert_published(sandbox, rfc, outs)


class Recorder:
    """Wraps a real backend and remembers every write (to prove an update touches only what changed)."""

    def __init__(self, inner: DnsBackend) -> None:
        self.inner = inner
        self.writes: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def set_rrset(self, zone: str, name: str, rdtype: str, values: list[str], ttl: int = 3600) -> None:
        self.writes.append((name, rdtype))
        self.inner.set_rrset(zone, name, rdtype, values, ttl)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Recorder]]:
    made: list[Recorder] = []

    def wrapped(settings: Any, kind: str) -> Recorder:
        rec = Recorder(backend_for(settings, kind))
        made.append(rec)
        return rec

    monkeypatch.setattr(auth_records, "backend_for", wrapped)
    yield made


def test_dmarc_change_rewrites_only_dmarc(sandbox: SandboxHandle, rfc: Setup, recorder: list[Recorder]) -> None:
    p = AuthRecordsProvider()
    outs = out_of(p.create(rfc.props()))
    news = rfc.props(dmarc={**DMARC, "policy": "reject", "t": False})
    assert p.diff(rfc.domain, outs, news).replaces == []
    recorder.clear()
    updated = out_of(p.update(rfc.domain, outs, news))
    assert [w for r in recorder for w in r.writes] == [(f"_dmarc.{rfc.domain}", "TXT")]
    assert live(sandbox, f"_dmarc.{rfc.domain}", "TXT") == [
        "v=DMARC1; p=reject; adkim=s; aspf=r; rua=mailto:dmarc@acme-reports.com"
    ]
    assert updated["dmarc"]["policy"] == "reject"
    assert out_of(p.read(rfc.domain, updated)) == updated


def test_drift_is_read_and_repaired(sandbox: SandboxHandle, rfc: Setup) -> None:
    p = AuthRecordsProvider()
    outs = out_of(p.create(rfc.props()))
    d = rfc.domain
    nsupdate(sandbox, d, f"_dmarc.{d}", "TXT", '"v=DMARC1; p=none"')
    nsupdate(sandbox, d, f"autodiscover.{d}", "CNAME")
    ExchangeClient(sandbox.settings, rfc.tenant_id).set_dkim_enabled(d, False)

    read = p.read(d, outs)
    assert read.inputs == {k: outs[k] for k in p.ARGS.model_fields}
    assert out_of(read)["dkim_enabled"] is False and out_of(read)["verified"] is True
    drift = {(x["name"], x["type"]): x["found"] for x in out_of(read)["drift"]}
    assert drift == {(f"_dmarc.{d}", "TXT"): ["v=DMARC1; p=none"], (f"autodiscover.{d}", "CNAME"): []}
    records = {(r["name"], r["type"]): r["values"] for r in out_of(read)["records"]}
    assert records[(f"_dmarc.{d}", "TXT")] == ["v=DMARC1; p=none"]

    diff = p.diff(d, out_of(read), rfc.props())
    assert diff.changes and diff.replaces == []
    repaired = out_of(p.update(d, out_of(read), rfc.props()))
    assert_published(sandbox, rfc, repaired)
    assert out_of(p.read(d, repaired)) == repaired


def test_delete_disables_dkim_and_removes_records(sandbox: SandboxHandle, cf: Setup) -> None:
    p = AuthRecordsProvider()
    outs = out_of(p.create(cf.props()))
    p.delete(cf.domain, outs)
    d = cf.domain
    dkim = ExchangeClient(sandbox.settings, cf.tenant_id).get_dkim(d)
    assert dkim is not None and dkim.enabled is False
    for name, rdtype in [(d, "TXT"), (d, "MX"), (f"_dmarc.{d}", "TXT"), (f"autodiscover.{d}", "CNAME"),
                         (f"selector1._domainkey.{d}", "CNAME"), (f"selector2._domainkey.{d}", "CNAME")]:
        assert live(sandbox, name, rdtype) == [], (name, rdtype)
    assert GraphClient(sandbox.settings, cf.tenant_id).get_domain(d) is not None  # M365Tenant's to remove
    p.delete(cf.domain, outs)  # idempotent


def test_second_create_writes_nothing(sandbox: SandboxHandle, rfc: Setup, recorder: list[Recorder]) -> None:
    p = AuthRecordsProvider()
    first = out_of(p.create(rfc.props()))
    assert [w for r in recorder for w in r.writes]  # the first run published
    recorder.clear()
    assert out_of(p.create(rfc.props())) == first
    assert [w for r in recorder for w in r.writes] == []


def test_delete_without_recorded_outputs(sandbox: SandboxHandle, rfc: Setup) -> None:
    """A state that lost its outputs (failed create recorded only inputs) still cleans up every name it may own."""
    p = AuthRecordsProvider()
    p.create(rfc.props())
    p.delete(rfc.domain, rfc.props())
    d = rfc.domain
    assert live(sandbox, d, "TXT") == [] and live(sandbox, f"_dmarc.{d}", "TXT") == []
    assert live(sandbox, f"selector1._domainkey.{d}", "CNAME") == []
