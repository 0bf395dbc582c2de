"""The public names the sandbox serves next to the customer zones: Microsoft's SPF include, MX hosts, DKIM keys,
the blocklists' canaries; and the admin door that changes them (only them)."""

from __future__ import annotations

import pytest

from sandbox.handle import SandboxHandle
from sandbox.public_names import BLOCKLISTS, ERRORED, LISTED, SPF_INCLUDE


def test_microsofts_names_are_served(sandbox: SandboxHandle) -> None:
    assert sandbox.dns_query("spf.protection.outlook.com", "TXT") == [SPF_INCLUDE]
    assert sandbox.dns_query("acme-com.mail.protection.outlook.com", "A")
    [key] = sandbox.dns_query("selector1-acme-com._domainkey.acme.n-v1.dkim.mail.microsoft", "TXT")
    assert key.startswith("v=DKIM1; k=rsa; p=MIIBIjAN")  # a 2048-bit RSA SubjectPublicKeyInfo
    assert sandbox.dns_query("selector2-acme-com._domainkey.acme.onmicrosoft.com", "TXT") == [key]


def test_blocklists_answer_canary_listing_error_and_nxdomain(sandbox: SandboxHandle) -> None:
    for zone, (canary, canary_answer, listed, error) in BLOCKLISTS.items():
        assert sandbox.dns_query(f"{canary}.{zone}", "A") == [canary_answer]
        assert sandbox.dns_query(f"{LISTED}.{zone}", "A") == [listed]
        assert sandbox.dns_query(f"{ERRORED}.{zone}", "A") == [error]
        assert sandbox.dns_query(f"clean.example.{zone}", "A") == []


def test_listing_and_unlisting_a_domain(sandbox: SandboxHandle) -> None:
    sandbox.set_blocklisted("dbl.spamhaus.org", "Worn.Example", "127.0.1.2")
    assert sandbox.dns_query("worn.example.dbl.spamhaus.org", "A") == ["127.0.1.2"]
    sandbox.set_blocklisted("dbl.spamhaus.org", "worn.example", None)
    assert sandbox.dns_query("worn.example.dbl.spamhaus.org", "A") == []


def test_only_public_zones_change_through_the_admin_door(sandbox: SandboxHandle) -> None:
    resp = sandbox.admin.post("/public-names", json={"name": "www.customer.example", "type": "A",
                                                     "values": ["192.0.2.1"]})
    assert resp.status_code == 400 and "public stand-in zones" in resp.json()["error"]
    with pytest.raises(Exception):  # noqa: B017 - httpx.HTTPStatusError for a malformed body
        sandbox.set_public_name("", "A", [])
