"""SendingDomain against the sandbox: zone + registration (or byo), idempotency, refusals, drift, delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from providers import config
from providers.base import UNKNOWN
from providers.clients.dns import backend_for
from providers.clients.errors import NotFound, OwnershipConflict
from providers.clients.registrar import registrar_for
from providers.sending_domain import RegistrationRefused, SendingDomainProvider, idempotency_key
from providers.sending_domain import provider as sending_domain
from providers.types import normalise_domain
from sandbox.handle import SandboxHandle


def out_of(result: Any) -> dict[str, Any]:
    """The outputs of a Create/Update/ReadResult (typed Optional by the SDK)."""
    assert result.outs is not None
    return dict(result.outs)

def unique(label: str = "send", tld: str = "com") -> str:
    return f"{label}{uuid.uuid4().hex[:10]}.{tld}"


def props(domain: str, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"domain": domain, "dns_backend": "cloudflare", "registrar": "namecom"}
    base.update(over)
    return base


@pytest.fixture
def provider(sandbox: SandboxHandle) -> Iterator[SendingDomainProvider]:
    config.use(sandbox.settings)
    yield SendingDomainProvider()


def namecom_domain(sandbox: SandboxHandle, domain: str) -> dict[str, Any] | None:
    for d in sandbox.admin_state()["state"]["namecom"]["domains"]:
        if d["domainName"] == domain:
            return dict(d)
    return None


def registered_outside(sandbox: SandboxHandle, nameservers: list[str], key: Callable[[str], str]) -> str:
    """A fresh domain registered straight at Name.com (not through the provider), with `key(domain)`."""
    domain = unique()
    registrar = registrar_for(sandbox.settings, "namecom")
    price = registrar.check(domain).price
    assert price is not None
    registrar.register(domain, price=price, nameservers=nameservers, idempotency_key=key(domain))
    return domain


# -- check and diff: no API call ------------------------------------------------------------------------------------


@pytest.fixture
def no_api(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: Any, **_k: Any) -> None:
        raise AssertionError("check/diff must not call an API")

    monkeypatch.setattr(sending_domain, "backend_for", boom)
    monkeypatch.setattr(sending_domain, "registrar_for", boom)
    monkeypatch.setattr(sending_domain, "authoritative_query", boom)


@pytest.mark.usefixtures("no_api")
@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"domain": "not a domain"}, "domain"),
        ({"domain": "-bad-.com"}, "domain"),
        ({"dns_backend": "route53"}, "dns_backend"),
        ({"registrar": "godaddy"}, "registrar"),
        ({"max_price": -5}, "max_price"),
    ],
)
def test_check_failures_name_the_field(over: dict[str, Any], field: str) -> None:
    result = SendingDomainProvider().check({}, {**props("getacme.com"), **over})
    assert [f.property for f in result.failures] == [field]


@pytest.mark.usefixtures("no_api")
def test_check_normalises_and_tolerates_unknowns() -> None:
    ok = SendingDomainProvider().check({}, props("GetAcme.COM.", max_price=20.0, __provider="x"))
    assert ok.failures == []
    assert ok.inputs["domain"] == "getacme.com" and ok.inputs["max_price"] == 20
    preview = SendingDomainProvider().check({}, props(UNKNOWN))
    assert preview.failures == []
    missing = SendingDomainProvider().check({}, {"domain": "getacme.com"})
    assert {f.property for f in missing.failures} == {"dns_backend", "registrar"}


@pytest.mark.usefixtures("no_api")
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("münchen-acme.de", "xn--mnchen-acme-thb.de"),
        ("xn--mnchen-acme-thb.de", "xn--mnchen-acme-thb.de"),
        ("straße.de", "xn--strae-oqa.de"),  # IDNA 2008 keeps ß (the built-in IDNA 2003 codec gave strasse.de)
        ("ACME-Mail.Example.", "acme-mail.example"),
    ],
)
def test_check_spells_idn_as_punycode_like_the_spec(given: str, expected: str) -> None:
    """The spec (components.spec) validates domains with this very function."""
    result = SendingDomainProvider().check({}, props(given))
    assert result.failures == [] and result.inputs["domain"] == expected == normalise_domain(given)


@pytest.mark.usefixtures("no_api")
@pytest.mark.parametrize(
    "bad", ["bad_name.com", "a..com", "localhost", "1.2.3.4", "x" * 64 + ".com", "-a.com", "a-.com", "ab--c.com",
            "xn--zz.com", "", f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 63}.com"],
)
def test_check_refuses_invalid_labels(bad: str) -> None:
    result = SendingDomainProvider().check({}, props(bad))
    assert [f.property for f in result.failures] == ["domain"], bad


@pytest.mark.usefixtures("no_api")
def test_check_refuses_the_brand_domain_and_its_subdomains() -> None:
    p = SendingDomainProvider()
    for domain in ("acme.com", "mail.acme.com", "a.b.ACME.com.", "acme.com."):
        result = p.check({}, props(domain, brand_domain="Acme.com"))
        assert [f.property for f in result.failures] == ["domain"], domain
        assert "brand domain acme.com" in result.failures[0].reason
    above = p.check({}, props("acme.com", brand_domain="www.acme.com"))  # the brand's parent shares it too
    assert [f.property for f in above.failures] == ["domain"]
    idn = p.check({}, props("mail.münchen-acme.de", brand_domain="xn--mnchen-acme-thb.de"))
    assert [f.property for f in idn.failures] == ["domain"]
    for fine in ("getacme.com", "notacme.com", "acme.co", "acme.com.evil.io"):
        ok = p.check({}, props(fine, brand_domain="acme.com"))
        assert ok.failures == [] and ok.inputs["brand_domain"] == "acme.com", fine
    assert [f.property for f in p.check({}, props("getacme.com", brand_domain="nope")).failures] == ["brand_domain"]
    assert p.check({}, props("getacme.com", brand_domain=UNKNOWN)).failures == []


@pytest.mark.usefixtures("no_api")
def test_brand_domain_is_not_a_diff_key() -> None:
    """Stacks created before brand_domain existed (or a changed brand) see no change and no replacement."""
    p = SendingDomainProvider()
    before = {k: v for k, v in p.check({}, props("getacme.com")).inputs.items() if k != "brand_domain"}
    olds = {**before, "zone_id": "z", "delegated": True}  # the outputs of a stack from before brand_domain
    news = p.check({}, props("getacme.com", brand_domain="acme.com")).inputs
    assert not p.diff("getacme.com", olds, news).changes
    moved = p.diff("getacme.com", {**olds, "brand_domain": "acme.com"}, {**news, "brand_domain": "acme.io"})
    assert not moved.changes and moved.replaces == []


@pytest.mark.usefixtures("no_api")
def test_diff() -> None:
    p = SendingDomainProvider()
    olds = {**props("getacme.com", max_price=10.0), "zone_id": "z", "delegated": True}
    assert not p.diff("getacme.com", olds, props("getacme.com", max_price=10)).changes
    price = p.diff("getacme.com", olds, props("getacme.com", max_price=30))
    assert price.changes and price.replaces == []
    domain = p.diff("getacme.com", olds, props("tryacme.io", max_price=10))
    assert domain.replaces == ["domain"] and domain.delete_before_replace
    backend = p.diff("getacme.com", olds, props("getacme.com", dns_backend="rfc2136", max_price=10))
    assert backend.replaces == ["dns_backend"]
    drifted = p.diff("getacme.com", {**olds, "delegated": False}, props("getacme.com", max_price=10))
    assert drifted.changes and drifted.replaces == []
    byo = {**props("getacme.com", registrar="byo"), "delegated": False}
    assert not p.diff("getacme.com", byo, props("getacme.com", registrar="byo")).changes


def test_idempotency_key_is_deterministic() -> None:
    assert idempotency_key("getacme.com") == idempotency_key("getacme.com") != idempotency_key("tryacme.io")


# -- lifecycle against the sandbox ----------------------------------------------------------------------------------


def test_create_registers_with_zone_nameservers(sandbox: SandboxHandle, provider: SendingDomainProvider) -> None:
    domain = unique()
    result = provider.create(props(domain))
    outs = out_of(result)
    assert result.id == domain
    zone = backend_for(sandbox.settings, "cloudflare").find_zone(domain)
    assert zone is not None
    assert outs["zone_id"] == zone.zone_id and outs["nameservers"] == list(zone.nameservers)
    assert outs["registered"] is True and outs["delegated"] is True and outs["registration_expires"]
    assert outs["domain"] == domain and outs["registrar"] == "namecom"  # inputs echoed
    reg = namecom_domain(sandbox, domain)
    assert reg is not None and sorted(reg["nameservers"]) == sorted(zone.nameservers)

    # read: no drift, inputs returned
    read = provider.read(domain, outs)
    assert read.id == domain and out_of(read) == outs
    assert read.inputs == {k: outs[k] for k in provider.ARGS.model_fields}


def test_create_twice_buys_once(sandbox: SandboxHandle, provider: SendingDomainProvider) -> None:
    domain = unique()
    first = out_of(provider.create(props(domain)))
    orders = sandbox.admin_state()["state"]["namecom"]["orders"]
    second = out_of(provider.create(props(domain)))
    assert second == first
    assert sandbox.admin_state()["state"]["namecom"]["orders"] == orders


def test_crash_after_purchase_replays_and_repoints(sandbox: SandboxHandle, provider: SendingDomainProvider) -> None:
    """Bought with our key but the nameservers never got set (crash): the retry adopts it and points it at the zone."""
    domain = registered_outside(sandbox, ["ns1.name.com", "ns2.name.com"], idempotency_key)
    outs = out_of(provider.create(props(domain)))
    assert outs["registered"] and outs["delegated"]
    reg = namecom_domain(sandbox, domain)
    assert reg is not None and sorted(reg["nameservers"]) == sorted(outs["nameservers"])


def test_foreign_registration_is_not_adopted(sandbox: SandboxHandle, provider: SendingDomainProvider) -> None:
    domain = registered_outside(sandbox, ["ns1.elsewhere.net", "ns2.elsewhere.net"],
                                lambda _domain: "someone-else-" + uuid.uuid4().hex)
    with pytest.raises(OwnershipConflict, match="did not register it"):
        provider.create(props(domain))
    reg = namecom_domain(sandbox, domain)
    assert reg is not None and sorted(reg["nameservers"]) == ["ns1.elsewhere.net", "ns2.elsewhere.net"]


@pytest.mark.parametrize(
    ("label", "max_price", "match"),
    [
        ("taken", None, "not available"),
        ("premium", None, "premium"),
        ("premium", 100.0, "above max_price"),
        ("send", 1.0, "above max_price"),
    ],
)
def test_refusals(
    sandbox: SandboxHandle, provider: SendingDomainProvider, label: str, max_price: float | None, match: str
) -> None:
    domain = unique(label)
    with pytest.raises(RegistrationRefused, match=match):
        provider.create(props(domain, max_price=max_price))
    assert namecom_domain(sandbox, domain) is None


def test_premium_within_max_price(sandbox: SandboxHandle, provider: SendingDomainProvider) -> None:
    domain = unique("premium")
    outs = out_of(provider.create(props(domain, max_price=5000)))
    assert outs["registered"] and outs["delegated"]


def test_byo_rfc2136(sandbox: SandboxHandle, provider: SendingDomainProvider) -> None:
    domain = unique("byo")
    with pytest.raises(NotFound):
        provider.create(props(domain, registrar="byo", dns_backend="rfc2136"))
    sandbox.add_zone(domain)
    outs = out_of(provider.create(props(domain, registrar="byo", dns_backend="rfc2136")))
    assert outs["registered"] is False and outs["registration_expires"] is None
    assert outs["delegated"] is True  # the authoritative server answers the zone
    assert sorted(outs["nameservers"]) == sorted(sandbox.info["dns"]["nameservers"])
    assert namecom_domain(sandbox, domain) is None


def test_byo_cloudflare_outputs_nameservers(sandbox: SandboxHandle, provider: SendingDomainProvider) -> None:
    domain = unique("byo")
    outs = out_of(provider.create(props(domain, registrar="byo")))
    assert outs["nameservers"] and outs["registered"] is False
    assert namecom_domain(sandbox, domain) is None


def test_drift_in_nameservers_is_read_and_repaired(sandbox: SandboxHandle, provider: SendingDomainProvider) -> None:
    domain = unique()
    outs = out_of(provider.create(props(domain)))
    registrar_for(sandbox.settings, "namecom").set_nameservers(domain, ["ns1.hijack.net", "ns2.hijack.net"])
    read = provider.read(domain, outs)
    assert out_of(read)["delegated"] is False
    diff = provider.diff(domain, out_of(read), props(domain))
    assert diff.changes and diff.replaces == []
    repaired = out_of(provider.update(domain, out_of(read), props(domain)))
    assert repaired["delegated"] is True
    assert out_of(provider.read(domain, repaired)) == repaired


def test_delete_keeps_registration_and_zone(sandbox: SandboxHandle, provider: SendingDomainProvider) -> None:
    domain = unique()
    outs = out_of(provider.create(props(domain)))
    provider.delete(domain, outs)
    assert backend_for(sandbox.settings, "cloudflare").find_zone(domain) is not None
    reg = namecom_domain(sandbox, domain)
    assert reg is not None


def test_delete_releases_and_drops_zone_when_asked(sandbox: SandboxHandle, provider: SendingDomainProvider) -> None:
    domain = unique()
    p = props(domain, delete_zone_on_destroy=True, release_registration_on_destroy=True)
    registrar = registrar_for(sandbox.settings, "namecom")
    outs = out_of(provider.create(p))
    registrar.set_autorenew(domain, True)
    provider.delete(domain, outs)
    assert backend_for(sandbox.settings, "cloudflare").find_zone(domain) is None
    reg = registrar.get(domain)
    assert reg is not None and reg.autorenew is False  # never deleted, just not renewed
    assert provider.read(domain, outs).id == ""  # the zone is gone: the resource is gone
    provider.delete(domain, outs)  # deleting again is fine
