"""WebRecords against the sandbox: forwarding and tracking records at BIND through both backends (RFC 2136 straight,
the Cloudflare double writing through), the redirect rule in the double, ownership, drift, toggling off, delete."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from typing import Any, Final

import pytest
from cloudflare import Cloudflare, DefaultHttpxClient

from providers import config
from providers.clients.dns import backend_for
from providers.clients.errors import OwnershipConflict
from providers.web_records import WebRecordsProvider
from providers.web_records import provider as web_records
from sandbox.handle import SandboxHandle
from tests.providers.clients.helpers import nsupdate

PHASE: Final = "http_request_dynamic_redirect"
REDIRECT = {"redirect_host": "redirect.acme-web.net", "redirect_ipv4": "203.0.113.7"}
TRACK = {"tracking_label": "track", "tracking_target": "prox.itrackly.com"}


def out_of(result: Any) -> dict[str, Any]:
    assert result.outs is not None
    return dict(result.outs)


def props(domain: str, backend: str, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"domain": domain, "dns_backend": backend, "forward_to": "acme.com", **TRACK, "ttl": 300}
    if backend == "rfc2136":
        base.update(REDIRECT)
    base.update(over)
    return base


def live(sandbox: SandboxHandle, name: str, rdtype: str) -> list[str]:
    return sorted(v.rstrip(".") for v in sandbox.dns_query(name, rdtype))


@pytest.fixture
def provider(sandbox: SandboxHandle) -> WebRecordsProvider:
    config.use(sandbox.settings)
    return WebRecordsProvider()


def zone(sandbox: SandboxHandle, backend: str) -> str:
    domain = f"web{uuid.uuid4().hex[:10]}.com"
    if backend == "rfc2136":
        sandbox.add_zone(domain)
    else:
        backend_for(sandbox.settings, "cloudflare").ensure_zone(domain)
    return domain


@pytest.fixture
def cf(sandbox: SandboxHandle) -> Iterator[Cloudflare]:
    ctx = ssl.create_default_context(cafile=sandbox.ca_cert)
    client = Cloudflare(api_token=sandbox.credentials["cloudflare_api_token"], base_url=sandbox.endpoints["cloudflare"],
                        http_client=DefaultHttpxClient(verify=ctx), max_retries=0)
    yield client
    client.close()


def zone_id(cf: Cloudflare, domain: str) -> str:
    return str(next(z.id for z in cf.zones.list(name=domain)))


def rules(cf: Cloudflare, domain: str) -> list[dict[str, Any]]:
    ruleset: Any = cf.rulesets.phases.get(PHASE, zone_id=zone_id(cf, domain)).to_dict(mode="json")
    return [dict(r) for r in ruleset["rules"]]


def cf_records(cf: Cloudflare, domain: str, name: str) -> list[Any]:
    return list(cf.dns.records.list(zone_id=zone_id(cf, domain), name={"exact": name}))


# -- check and diff: no API call ------------------------------------------------------------------------------------


@pytest.fixture
def no_api(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: Any, **_k: Any) -> None:
        raise AssertionError("check/diff must not call an API")

    monkeypatch.setattr(web_records, "web_backend", boom)


@pytest.mark.usefixtures("no_api")
@pytest.mark.parametrize(
    ("over", "fields"),
    [
        ({"tracking_label": "not a label"}, {"tracking_label"}),
        ({"tracking_label": "www"}, {"tracking_label"}),
        ({"redirect_ipv4": "300.0.0.1"}, {"redirect_ipv4"}),
        ({"dns_backend": "rfc2136"}, {"redirect_host", "redirect_ipv4"}),
        ({"tracking_target": None}, {"tracking_target"}),
        ({"forward_to": "getacme.com"}, {"forward_to"}),
        ({"dns_backend": "route53"}, {"dns_backend"}),
    ],
)
def test_check_failures_name_the_field(over: dict[str, Any], fields: set[str]) -> None:
    result = WebRecordsProvider().check({}, props("getacme.com", "cloudflare", **over))
    assert {f.property for f in result.failures} == fields, result.failures


@pytest.mark.usefixtures("no_api")
def test_diff_updates_in_place_and_replaces_on_domain() -> None:
    p = WebRecordsProvider()
    old = props("getacme.com", "cloudflare")
    relabel = p.diff("x", old, {**old, "tracking_label": "inst"})
    assert relabel.changes and not relabel.replaces
    off = p.diff("x", old, {**old, "forward_to": None})
    assert off.changes and not off.replaces
    moved = p.diff("x", old, {**old, "domain": "other.com"})
    assert moved.replaces == ["domain"]
    assert not p.diff("x", old, dict(old)).changes


# -- Cloudflare double, written through to BIND ---------------------------------------------------------------------


def test_cloudflare_forwarding_rule_and_tracking(sandbox: SandboxHandle, provider: WebRecordsProvider,
                                                 cf: Cloudflare) -> None:
    domain = zone(sandbox, "cloudflare")
    zid = zone_id(cf, domain)
    foreign: Any = {"ref": "theirs", "expression": '(http.host eq "shop.x.com")', "action": "redirect",
               "action_parameters": {"from_value": {"target_url": {"value": "https://x.com"}, "status_code": 302}}}
    cf.rulesets.phases.update(PHASE, zone_id=zid, rules=[foreign])

    outs = out_of(provider.create(props(domain, "cloudflare")))
    assert live(sandbox, domain, "A") == live(sandbox, f"www.{domain}", "A") == ["192.0.2.1"]
    assert live(sandbox, f"track.{domain}", "CNAME") == ["prox.itrackly.com"]
    for name in (domain, f"www.{domain}"):
        [record] = [r for r in cf_records(cf, domain, name) if r.type == "A"]
        assert record.proxied is True and record.comment == "managed-by: coldfleet"
    [tracking] = cf_records(cf, domain, f"track.{domain}")
    assert tracking.proxied is False and tracking.comment == "managed-by: coldfleet"

    theirs, ours = rules(cf, domain)
    assert theirs["ref"] == "theirs" and theirs["action_parameters"]["from_value"]["status_code"] == 302
    assert ours["ref"] == "coldfleet_forwarding" and ours["action"] == "redirect"
    assert ours["expression"] == f'(http.host in {{"{domain}" "www.{domain}"}})'
    assert ours["action_parameters"]["from_value"] == {
        "target_url": {"expression": 'concat("https://acme.com", http.request.uri.path)'},
        "status_code": 301, "preserve_query_string": True}
    assert outs["redirect"]["ref"] == "coldfleet_forwarding"

    read = out_of(provider.read(domain, outs))
    assert read["drift"] == [] and read["redirect"]["expression"] == ours["expression"]
    again = out_of(provider.create(props(domain, "cloudflare")))  # a second create adopts what is ours
    assert again["drift"] == [] and len(rules(cf, domain)) == 2

    # Forwarding off: the placeholder records and our rule go, tracking and the foreign rule stay.
    off = out_of(provider.update(domain, outs, props(domain, "cloudflare", forward_to=None)))
    assert live(sandbox, domain, "A") == [] and live(sandbox, f"www.{domain}", "A") == []
    assert live(sandbox, f"track.{domain}", "CNAME") == ["prox.itrackly.com"]
    assert [r["ref"] for r in rules(cf, domain)] == ["theirs"] and off["redirect"] is None

    provider.delete(domain, off)
    assert live(sandbox, f"track.{domain}", "CNAME") == []
    assert [r["ref"] for r in rules(cf, domain)] == ["theirs"]


def test_cloudflare_refuses_a_foreign_apex_record(sandbox: SandboxHandle, provider: WebRecordsProvider,
                                                  cf: Cloudflare) -> None:
    domain = zone(sandbox, "cloudflare")
    cf.dns.records.create(zone_id=zone_id(cf, domain), type="A", name=domain, content="198.51.100.4", ttl=300)
    with pytest.raises(OwnershipConflict, match="did not create"):
        provider.create(props(domain, "cloudflare"))
    assert live(sandbox, domain, "A") == ["198.51.100.4"]


def test_cloudflare_delete_removes_rule_and_records(sandbox: SandboxHandle, provider: WebRecordsProvider,
                                                    cf: Cloudflare) -> None:
    domain = zone(sandbox, "cloudflare")
    outs = out_of(provider.create(props(domain, "cloudflare", tracking_label=None, tracking_target=None)))
    assert [r["ref"] for r in rules(cf, domain)] == ["coldfleet_forwarding"]
    provider.delete(domain, outs)
    assert rules(cf, domain) == [] and live(sandbox, domain, "A") == [] and live(sandbox, f"www.{domain}", "A") == []


# -- RFC 2136 straight to BIND --------------------------------------------------------------------------------------


def test_rfc2136_forwarding_to_the_redirect_host(sandbox: SandboxHandle, provider: WebRecordsProvider) -> None:
    domain = zone(sandbox, "rfc2136")
    outs = out_of(provider.create(props(domain, "rfc2136")))
    assert live(sandbox, domain, "A") == ["203.0.113.7"]
    assert live(sandbox, f"www.{domain}", "CNAME") == ["redirect.acme-web.net"]
    assert live(sandbox, f"track.{domain}", "CNAME") == ["prox.itrackly.com"]
    assert outs["redirect"] is None and outs["drift"] == []

    # Drift out of band: read reports it, diff plans an update, the update repairs it.
    nsupdate(sandbox, domain, f"www.{domain}", "CNAME", "elsewhere.example.net.")
    read = out_of(provider.read(domain, outs))
    assert [(d["name"], d["found"]) for d in read["drift"]] == [(f"www.{domain}", ["elsewhere.example.net"])]
    assert provider.diff(domain, read, props(domain, "rfc2136")).changes
    fixed = out_of(provider.update(domain, read, props(domain, "rfc2136")))
    assert live(sandbox, f"www.{domain}", "CNAME") == ["redirect.acme-web.net"] and fixed["drift"] == []

    # Relabel tracking and turn forwarding off: the old names go.
    changed = props(domain, "rfc2136", forward_to=None, tracking_label="inst")
    after = out_of(provider.update(domain, fixed, changed))
    assert live(sandbox, domain, "A") == [] and live(sandbox, f"www.{domain}", "CNAME") == []
    assert live(sandbox, f"track.{domain}", "CNAME") == []
    assert live(sandbox, f"inst.{domain}", "CNAME") == ["prox.itrackly.com"]

    provider.delete(domain, after)
    assert live(sandbox, f"inst.{domain}", "CNAME") == []


def test_rfc2136_delete_without_recorded_outputs(sandbox: SandboxHandle, provider: WebRecordsProvider) -> None:
    domain = zone(sandbox, "rfc2136")
    provider.create(props(domain, "rfc2136"))
    provider.delete(domain, props(domain, "rfc2136"))
    assert live(sandbox, domain, "A") == [] and live(sandbox, f"track.{domain}", "CNAME") == []


def test_cloudflare_drift_is_read_and_repaired(sandbox: SandboxHandle, provider: WebRecordsProvider,
                                               cf: Cloudflare) -> None:
    domain = zone(sandbox, "cloudflare")
    outs = out_of(provider.create(props(domain, "cloudflare")))
    zid = zone_id(cf, domain)
    [www] = [r for r in cf_records(cf, domain, f"www.{domain}") if r.type == "A"]
    cf.dns.records.edit(www.id, zone_id=zid, type="A", name=f"www.{domain}", proxied=False, ttl=300)
    cf.rulesets.phases.update(PHASE, zone_id=zid, rules=[])  # someone emptied the phase
    read = out_of(provider.read(domain, outs))
    assert sorted((d["name"], d["type"]) for d in read["drift"]) == [(domain, "redirect"), (f"www.{domain}", "A")]
    assert provider.diff(domain, read, props(domain, "cloudflare")).changes
    fixed = out_of(provider.update(domain, read, props(domain, "cloudflare")))
    assert fixed["drift"] == [] and out_of(provider.read(domain, fixed))["drift"] == []
    [www] = [r for r in cf_records(cf, domain, f"www.{domain}") if r.type == "A"]
    assert www.proxied is True and [r["ref"] for r in rules(cf, domain)] == ["coldfleet_forwarding"]
