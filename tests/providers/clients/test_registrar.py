"""NameComRegistrar against the Name.com double over HTTPS (sandbox CA), including retries and error mapping."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator

import pytest

from providers.clients.errors import AuthenticationFailed, BadRequest, NotFound, Throttled
from providers.clients.registrar import NameComRegistrar, Registration, registrar_for
from sandbox.handle import SandboxHandle


def unique(prefix: str = "reg") -> str:
    return f"{prefix}-{secrets.token_hex(4)}.com"


@pytest.fixture
def registrar(sandbox: SandboxHandle) -> Iterator[NameComRegistrar]:
    client = NameComRegistrar(sandbox.settings)
    yield client
    client.close()


def test_check_reads_omitted_defaults(registrar: NameComRegistrar) -> None:
    free = registrar.check(unique())
    assert free.purchasable and not free.premium and free.price == 12.99 and free.renewal_price == 15.99
    taken = registrar.check(unique("taken"))
    assert (taken.purchasable, taken.premium, taken.price) == (False, False, None)
    premium = registrar.check(unique("premium"))
    assert premium.purchasable and premium.premium and (premium.price or 0) > 1000


def test_register_get_and_idempotent_retry(registrar: NameComRegistrar, sandbox: SandboxHandle) -> None:
    name = unique().upper()
    key = secrets.token_hex(8)
    reg = registrar.register(name, price=12.99, nameservers=["NS1.Example.NET."], idempotency_key=key)
    assert reg == Registration(domain=name.lower(), nameservers=("ns1.example.net",), expire_date=reg.expire_date,
                               autorenew=False, create_date=reg.create_date)
    assert reg.expire_date and reg.create_date
    assert registrar.register(name, price=12.99, nameservers=["ns1.example.net"], idempotency_key=key) == reg
    assert registrar.get(name) == reg
    assert registrar.get(unique()) is None
    assert sandbox.dns_query(name.lower(), "SOA")


def test_register_with_a_stale_price_is_refused(registrar: NameComRegistrar) -> None:
    with pytest.raises(BadRequest) as info:
        registrar.register(unique(), price=10.0, nameservers=[], idempotency_key=secrets.token_hex(8))
    assert info.value.status == 400 and info.value.api == "namecom"


def test_nameservers_and_autorenew(registrar: NameComRegistrar) -> None:
    name = unique()
    registrar.register(name, price=12.99, nameservers=[], idempotency_key=secrets.token_hex(8))
    delegated = registrar.set_nameservers(name, ["ns1.sandbox.coldfleet.test", "ns2.sandbox.coldfleet.test"])
    assert delegated.nameservers == ("ns1.sandbox.coldfleet.test", "ns2.sandbox.coldfleet.test")
    assert registrar.set_autorenew(name, True).autorenew is True
    assert registrar.set_autorenew(name, False).autorenew is False
    with pytest.raises(NotFound):
        registrar.set_nameservers(unique(), ["ns1.example.net"])


def test_retries_429_and_503(registrar: NameComRegistrar, sandbox: SandboxHandle) -> None:
    before = sandbox.request_counts("namecom").get("requests", 0)
    sandbox.set_faults("namecom", next_429=1, next_503=1, retry_after_s=0)
    assert registrar.check(unique()).purchasable
    assert sandbox.request_counts("namecom")["requests"] - before == 3


def test_throttled_after_retries(registrar: NameComRegistrar, sandbox: SandboxHandle) -> None:
    sandbox.set_faults("namecom", p429=1.0, retry_after_s=0)
    with pytest.raises(Throttled) as info:
        registrar.check(unique())
    assert info.value.status == 429


def test_wrong_token_is_authentication_failed(sandbox: SandboxHandle) -> None:
    settings = dataclasses.replace(sandbox.settings, namecom_token="wrong-token")
    with registrar_for(settings, "namecom") as client:  # type: ignore[attr-defined]
        with pytest.raises(AuthenticationFailed) as info:
            client.check(unique())
    assert "wrong-token" not in str(info.value)


def test_unknown_registrar_kind(sandbox: SandboxHandle) -> None:
    with pytest.raises(BadRequest):
        registrar_for(sandbox.settings, "gandi")
