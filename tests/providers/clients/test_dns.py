"""Both DNS backends against the sandbox (Cloudflare double → BIND, RFC 2136 → BIND), checked at BIND with dnspython."""

from __future__ import annotations

import dataclasses
import secrets
import ssl
from collections.abc import Iterator

import dns.message
import dns.query
import dns.rdatatype
import httpx
import pytest
from cloudflare import Cloudflare, DefaultHttpxClient

from providers.clients.dns import (
    CloudflareDns,
    DnsBackend,
    authoritative_query,
    backend_for,
    join_txt,
    split_txt,
    wait_for_rrset,
)
from providers.clients.dns.cloudflare import COMMENT, quote_txt, unquote_txt
from providers.clients.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    NotFound,
    NotReady,
    OwnershipConflict,
    PermissionDenied,
)
from sandbox.handle import SandboxHandle

DKIM = "v=DKIM1; k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" * 12  # > 500 bytes


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}.com"


@pytest.fixture(params=["cloudflare", "rfc2136"])
def zone_backend(request: pytest.FixtureRequest, sandbox: SandboxHandle) -> Iterator[tuple[DnsBackend, str]]:
    zone = unique(request.param[:2])
    if request.param == "rfc2136":
        sandbox.add_zone(zone)
    backend = backend_for(sandbox.settings, request.param)
    backend.ensure_zone(zone)
    yield backend, zone
    close = getattr(backend, "close", None)
    if close:
        close()


def raw_txt_strings(sandbox: SandboxHandle, name: str) -> list[list[bytes]]:
    query = dns.message.make_query(name + ".", dns.rdatatype.TXT)
    resp = dns.query.tcp(query, "127.0.0.1", port=sandbox.dns_port, timeout=5)
    return [list(rr.strings) for rrset in resp.answer for rr in rrset]


# -- both backends -------------------------------------------------------------------------------------------------
def test_set_rrset_is_visible_at_bind_and_replaces(zone_backend: tuple[DnsBackend, str],
                                                    sandbox: SandboxHandle) -> None:
    backend, zone = zone_backend
    backend.set_rrset(zone, f"www.{zone}", "A", ["192.0.2.1", "192.0.2.2"], ttl=300)
    assert sandbox.dns_query(f"www.{zone}", "A") == ["192.0.2.1", "192.0.2.2"]
    backend.set_rrset(zone, f"www.{zone}", "A", ["192.0.2.2", "192.0.2.3"], ttl=300)
    assert sandbox.dns_query(f"www.{zone}", "A") == ["192.0.2.2", "192.0.2.3"]
    assert sorted(backend.get_rrset(zone, f"WWW.{zone}.", "a")) == ["192.0.2.2", "192.0.2.3"]
    backend.set_rrset(zone, zone, "MX", ["0 Mail.Example.NET."])
    assert backend.get_rrset(zone, zone, "MX") == ["0 mail.example.net"]
    assert authoritative_query(sandbox.settings, zone, zone, "MX") == ["0 mail.example.net"]
    backend.delete_rrset(zone, f"www.{zone}", "A")
    assert sandbox.dns_query(f"www.{zone}", "A") == []
    assert backend.get_rrset(zone, f"www.{zone}", "A") == []


def test_long_txt_is_split_at_bind_and_joined_on_read(zone_backend: tuple[DnsBackend, str],
                                                      sandbox: SandboxHandle) -> None:
    backend, zone = zone_backend
    name = f"selector1._domainkey.{zone}"
    backend.set_rrset(zone, name, "TXT", [DKIM, "second value"])
    strings = raw_txt_strings(sandbox, name)
    assert all(len(s) <= 255 for rr in strings for s in rr)
    assert sorted(b"".join(rr).decode() for rr in strings) == sorted([DKIM, "second value"])
    assert sorted(backend.get_rrset(zone, name, "TXT")) == sorted([DKIM, "second value"])


def test_cname_conflicts_raise_conflict(zone_backend: tuple[DnsBackend, str], sandbox: SandboxHandle) -> None:
    backend, zone = zone_backend
    backend.set_rrset(zone, f"autodiscover.{zone}", "CNAME", ["autodiscover.outlook.com"])
    assert sandbox.dns_query(f"autodiscover.{zone}", "CNAME") == ["autodiscover.outlook.com"]
    with pytest.raises(Conflict):
        backend.set_rrset(zone, f"autodiscover.{zone}", "TXT", ["next to a cname"])
    backend.set_rrset(zone, f"txt.{zone}", "TXT", ["data"])
    with pytest.raises(Conflict):
        backend.set_rrset(zone, f"txt.{zone}", "CNAME", ["target.example.net"])
    assert sandbox.dns_query(f"txt.{zone}", "TXT") == ["data"]
    backend.set_rrset(zone, f"autodiscover.{zone}", "CNAME", ["autodiscover.example.net"])  # CNAME replaces CNAME
    assert sandbox.dns_query(f"autodiscover.{zone}", "CNAME") == ["autodiscover.example.net"]


def test_names_outside_the_zone_are_refused(zone_backend: tuple[DnsBackend, str]) -> None:
    backend, zone = zone_backend
    with pytest.raises(BadRequest):
        backend.set_rrset(zone, "www.elsewhere.org", "A", ["192.0.2.1"])
    with pytest.raises(BadRequest):
        backend.get_rrset(zone, zone, "SSHFP")


# -- RFC 2136 ------------------------------------------------------------------------------------------------------
def test_rfc2136_ensure_zone_needs_an_existing_zone(sandbox: SandboxHandle) -> None:
    backend = backend_for(sandbox.settings, "rfc2136")
    zone = unique("missing")
    assert backend.find_zone(zone) is None
    with pytest.raises(NotFound) as info:
        backend.ensure_zone(zone)
    assert str(sandbox.settings.rfc2136_server) in str(info.value)
    sandbox.add_zone(zone)
    assert backend.ensure_zone(zone).nameservers == tuple(sandbox.info["dns"]["nameservers"])


def test_rfc2136_wrong_tsig_secret_raises_without_the_secret(sandbox: SandboxHandle) -> None:
    zone = unique("tsig")
    sandbox.add_zone(zone)
    wrong = "d3JvbmctYnV0LXZhbGlkLWJhc2U2NC1zZWNyZXQtdmFsdWU="
    backend = backend_for(dataclasses.replace(sandbox.settings, tsig_secret=wrong), "rfc2136")
    with pytest.raises(AuthenticationFailed) as info:
        backend.set_rrset(zone, zone, "TXT", ["x"])
    assert wrong not in str(info.value) and "TSIG" in str(info.value)
    garbage = backend_for(dataclasses.replace(sandbox.settings, tsig_secret="not base64!"), "rfc2136")
    with pytest.raises(BadRequest) as info2:
        garbage.set_rrset(zone, zone, "TXT", ["x"])
    assert "not base64!" not in str(info2.value)
    assert sandbox.dns_query(zone, "TXT") == []


# -- Cloudflare ----------------------------------------------------------------------------------------------------
def sdk(sandbox: SandboxHandle) -> Cloudflare:
    ctx = ssl.create_default_context(cafile=sandbox.ca_cert)
    return Cloudflare(api_token=sandbox.credentials["cloudflare_api_token"], base_url=sandbox.endpoints["cloudflare"],
                      http_client=DefaultHttpxClient(verify=ctx))


def test_cloudflare_zone_lifecycle_and_comment_marker(sandbox: SandboxHandle) -> None:
    zone = unique("cfz")
    with CloudflareDns(sandbox.settings) as backend:
        assert backend.find_zone(zone) is None
        info = backend.ensure_zone(zone)
        assert info.nameservers == tuple(sandbox.info["dns"]["nameservers"]) and info.status == "active"
        assert CloudflareDns(sandbox.settings).ensure_zone(zone).zone_id == info.zone_id  # adopts, no duplicate
        backend.set_rrset(zone, f"_dmarc.{zone}", "TXT", ["v=DMARC1; p=none"])
        with sdk(sandbox) as client:
            records = list(client.dns.records.list(zone_id=info.zone_id, type="TXT"))
        assert [(r.comment, r.content) for r in records] == [(COMMENT, '"v=DMARC1; p=none"')]
        backend.delete_zone(zone)
        assert backend.find_zone(zone) is None
        backend.delete_zone(zone)  # idempotent


def test_cloudflare_zone_delegated_elsewhere_stays_pending(sandbox: SandboxHandle) -> None:
    """A new zone triggers Cloudflare's activation check; a domain the registrar delegates elsewhere stays pending
    (and is still served: the records go in either way)."""
    zone = unique("cfp")
    creds = sandbox.credentials
    reg = httpx.post(f"{sandbox.endpoints['namecom']}/core/v1/domains", verify=sandbox.ca_cert,
                     auth=(creds["namecom_username"], creds["namecom_token"]), json={"domain": {"domainName": zone}})
    assert reg.status_code == 200, reg.text
    with CloudflareDns(sandbox.settings) as backend:
        assert backend.ensure_zone(zone).status == "pending"
        backend.set_rrset(zone, zone, "TXT", ["pending but served"])
        assert sandbox.dns_query(zone, "TXT") == ["pending but served"]
        backend.delete_zone(zone)
    assert sandbox.dns_query(zone, "SOA") == []


def test_cloudflare_refuses_to_replace_records_it_did_not_write(sandbox: SandboxHandle) -> None:
    zone = unique("own")
    with CloudflareDns(sandbox.settings) as backend:
        info = backend.ensure_zone(zone)
        with sdk(sandbox) as client:
            client.dns.records.create(zone_id=info.zone_id, type="TXT", name=zone, content="google-site-verification=x",
                                      ttl=1)
        with pytest.raises(OwnershipConflict):
            backend.set_rrset(zone, zone, "TXT", ["v=spf1 include:spf.protection.outlook.com -all"])
        with pytest.raises(OwnershipConflict):
            backend.delete_rrset(zone, zone, "TXT")
        # keeping the foreign value is fine (it gets marked); adopt=True replaces foreign values
        backend.set_rrset(zone, zone, "TXT", ["google-site-verification=x", "v=spf1 -all"])
        assert sorted(sandbox.dns_query(zone, "TXT")) == ["google-site-verification=x", "v=spf1 -all"]
        backend.set_rrset(zone, zone, "TXT", ["v=spf1 -all"])
        assert sandbox.dns_query(zone, "TXT") == ["v=spf1 -all"]
        with sdk(sandbox) as client:
            client.dns.records.create(zone_id=info.zone_id, type="TXT", name=zone, content='"foreign"', ttl=1)
        backend.set_rrset(zone, zone, "TXT", ["v=spf1 ~all"], adopt=True)
        assert sandbox.dns_query(zone, "TXT") == ["v=spf1 ~all"]


def test_cloudflare_wrong_token_is_permission_denied(sandbox: SandboxHandle) -> None:
    settings = dataclasses.replace(sandbox.settings, cloudflare_api_token="wrong-token-value")
    with pytest.raises(PermissionDenied) as info:
        CloudflareDns(settings).find_zone(unique("tok"))
    assert info.value.code == "9109" and "wrong-token-value" not in str(info.value)


def test_cloudflare_missing_zone_is_not_found(sandbox: SandboxHandle) -> None:
    with pytest.raises(NotFound):
        CloudflareDns(sandbox.settings).get_rrset(unique("nozone"), "x", "A")


def test_cloudflare_retries_429(sandbox: SandboxHandle) -> None:
    zone = unique("thr")
    with CloudflareDns(sandbox.settings) as backend:
        backend.ensure_zone(zone)
        sandbox.set_faults("cloudflare", next_429=2, retry_after_s=0)
        backend.set_rrset(zone, zone, "TXT", ["after throttling"])
    assert sandbox.request_counts("cloudflare")["429"] == 2
    assert sandbox.dns_query(zone, "TXT") == ["after throttling"]


# -- helpers -------------------------------------------------------------------------------------------------------
def test_wait_for_rrset_times_out_with_not_ready(sandbox: SandboxHandle) -> None:
    zone = unique("wait")
    sandbox.add_zone(zone)
    with pytest.raises(NotReady) as info:
        wait_for_rrset(sandbox.settings, zone, zone, "TXT", ["never"], timeout=0.3)
    assert zone in str(info.value)
    wait_for_rrset(sandbox.settings, zone, f"none.{zone}", "TXT", [], timeout=0.3)


def test_txt_helpers_round_trip() -> None:
    text = "é" * 200  # 400 bytes: the split must not cut a character
    chunks = split_txt(text)
    assert all(len(c) <= 255 for c in chunks) and join_txt(chunks) == text
    assert unquote_txt(quote_txt('say "hi" \\ ' + DKIM)) == 'say "hi" \\ ' + DKIM
    assert unquote_txt('"a" "b\\"c" "\\100"') == 'ab"cd'
    assert unquote_txt("plain text") == "plain text"


def test_unknown_backend(sandbox: SandboxHandle) -> None:
    with pytest.raises(BadRequest):
        backend_for(sandbox.settings, "route53")


def test_clients_never_log_secrets(sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    zone = unique("log")
    sandbox.add_zone(zone)
    backend_for(sandbox.settings, "rfc2136").set_rrset(zone, zone, "TXT", ["logged"])
    with CloudflareDns(sandbox.settings) as backend:
        backend.ensure_zone(unique("log"))
    text = caplog.text
    creds = sandbox.credentials
    assert creds["cloudflare_api_token"] not in text and sandbox.info["dns"]["tsig_secret"] not in text
