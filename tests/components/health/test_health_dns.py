"""The DNS collector against the sandbox's real BIND: records as served vs. published, SPF by pyspf, DMARC by
checkdmarc, DKIM keys at Microsoft's (stand-in) targets. Nothing here is mocked."""

from __future__ import annotations

import dataclasses
from typing import Any

from components.health import dns as health_dns
from components.health.signals import DomainSignals, Finding
from providers.dmarc import build_dmarc
from sandbox.bind import free_port
from sandbox.handle import SandboxHandle
from tests.components.health.conftest import Published


def run(published: Published, raw: dict[str, Any], **kw: Any) -> dict[str, list[Finding]]:
    signals = DomainSignals(published.domain)
    health_dns.collect(published.context(raw, **kw), signals)
    out: dict[str, list[Finding]] = {}
    for finding in signals.findings:
        out.setdefault(finding.check, []).append(finding)
    return out


def levels(found: dict[str, list[Finding]]) -> dict[str, str]:
    return {check: "/".join(sorted({f.level for f in fs})) for check, fs in found.items()}


def test_a_domain_as_published_is_all_ok(published: Published, raw: dict[str, Any]) -> None:
    found = run(published, raw)
    assert levels(found) == {c: "ok" for c in ("records", "mx", "autodiscover", "spf:lookups", "spf:microsoft",
                                                "dmarc", "dmarc:rua", "dkim:selector1", "dkim:selector2")}
    assert found["spf:lookups"][0].detail.startswith("1 DNS lookups")  # Microsoft's include costs one, no nesting
    assert "2048-bit" in found["dkim:selector1"][0].detail
    assert found["dmarc"][0].detail == "p=quarantine adkim=r aspf=r"


def test_a_record_changed_at_bind_is_broken_and_named(published: Published, raw: dict[str, Any]) -> None:
    published.serve(published.domain, "MX", ["10 mx.elsewhere.example"])
    found = run(published, raw)
    [diff] = found[f"record:{published.domain} MX"]
    assert diff.level == "broken"
    assert "'10 mx.elsewhere.example' at the servers" in diff.detail and ".mail.protection.outlook.com" in diff.detail
    assert found["mx"][0].level == "broken" and "mx.elsewhere.example" in found["mx"][0].detail
    assert "records" not in found  # no "all served as published" when one is not


def test_an_extra_value_in_the_shared_apex_txt_is_not_ours_to_judge(published: Published,
                                                                     raw: dict[str, Any]) -> None:
    ours = published.records[(published.domain, "TXT")]
    published.serve(published.domain, "TXT", [*ours, "google-site-verification=abc"])
    assert run(published, raw)["records"][0].level == "ok"


def test_spf_lookups_count_every_include_level(published: Published, raw: dict[str, Any]) -> None:
    d = published.domain
    published.serve(f"a.{d}", "TXT", [f"v=spf1 include:b.{d} ?all"])
    published.serve(f"b.{d}", "TXT", [f"v=spf1 mx:{d} ?all"])
    published.serve(d, "TXT", [f"v=spf1 include:a.{d} include:spf.protection.outlook.com -all"])
    found = run(published, raw)
    assert found["spf:lookups"][0].detail.startswith("4 DNS lookups")  # a, b, mx, Microsoft's include
    assert found["spf:microsoft"][0].level == "ok"


def test_more_than_ten_lookups_is_broken(published: Published, raw: dict[str, Any]) -> None:
    d = published.domain
    chain = [f"l{i}.{d}" for i in range(11)]
    for name, nxt in zip(chain, chain[1:], strict=False):
        published.serve(name, "TXT", [f"v=spf1 include:{nxt} ?all"])
    published.serve(chain[-1], "TXT", ["v=spf1 ?all"])
    published.serve(d, "TXT", [f"v=spf1 include:{chain[0]} include:spf.protection.outlook.com -all"])
    [finding] = run(published, raw)["spf:lookups"]
    assert finding.level == "broken" and "12 DNS lookups" in finding.detail


def test_spf_that_fails_microsoft_is_broken(published: Published, raw: dict[str, Any]) -> None:
    published.serve(published.domain, "TXT", ["v=spf1 ip4:192.0.2.0/24 -all"])
    found = run(published, raw)
    assert found["spf:microsoft"][0].level == "broken" and "gets SPF fail" in found["spf:microsoft"][0].detail
    assert found[f"record:{published.domain} TXT"][0].level == "broken"


def test_dmarc_none_is_watch(published: Published, raw: dict[str, Any]) -> None:
    published.publish(f"_dmarc.{published.domain}", "TXT", [build_dmarc("none", [f"mailto:d@{published.domain}"])])
    found = run(published, raw)
    assert found["dmarc"][0].level == "watch" and "p=none" in found["dmarc"][0].detail
    assert "records" in found  # published that way: no difference


def test_external_rua_needs_the_destinations_authorisation(published: Published, sandbox: SandboxHandle,
                                                            raw: dict[str, Any]) -> None:
    reports = f"reports-{published.domain}"
    sandbox.add_zone(reports)
    assert sandbox.publish(reports, reports, "MX", [f"0 {reports.replace('.', '-')}.mail.protection.outlook.com."]) == 0
    published.publish(f"_dmarc.{published.domain}", "TXT", [build_dmarc("reject", [f"mailto:agg@{reports}"])])
    [missing] = run(published, raw)["dmarc:rua"]
    assert missing.level == "watch"
    assert f"{published.domain}._report._dmarc.{reports}" in missing.detail
    assert sandbox.publish(reports, f"{published.domain}._report._dmarc.{reports}", "TXT", ['"v=DMARC1"']) == 0
    assert run(published, raw)["dmarc:rua"][0].level == "ok"


def test_a_missing_or_revoked_dkim_key_is_broken(published: Published, sandbox: SandboxHandle,
                                                 raw: dict[str, Any]) -> None:
    first, second = published.selector_targets
    sandbox.set_public_name(first, "TXT", ["v=DKIM1; k=rsa; p="])
    # Data of another type at the name: the wildcard key no longer applies there (RFC 4592 § 2.2.1), no TXT is left.
    sandbox.set_public_name(second, "HINFO", ['"stand-in" "no key"'])
    try:
        found = run(published, raw)
    finally:
        sandbox.set_public_name(first, "TXT", [])
        sandbox.set_public_name(second, "HINFO", [])
    assert found["dkim:selector1"][0].level == "broken" and "revoked" in found["dkim:selector1"][0].detail
    assert found["dkim:selector2"][0].level == "broken" and "no DKIM key" in found["dkim:selector2"][0].detail
    assert "records" in found  # the CNAMEs are as published; the keys behind them are not
    assert levels(run(published, raw))["dkim:selector1"] == "ok"


def test_a_missing_selector_cname_is_broken(published: Published, raw: dict[str, Any]) -> None:
    name = f"selector2._domainkey.{published.domain}"
    assert published.sandbox.publish(published.domain, name, "CNAME", []) == 0  # replaced by nothing: deleted
    assert published.sandbox.dns_query(name, "CNAME") == []
    found = run(published, raw)
    assert found["dkim:selector2"][0].level == "broken"
    assert found[f"record:{name} CNAME"][0].level == "broken"


def test_servers_that_do_not_answer_are_unknown(published: Published, raw: dict[str, Any]) -> None:
    dead = f"127.0.0.1:{free_port()}"
    settings = dataclasses.replace(published.sandbox.settings, authoritative_server=dead, dns_resolver=dead)
    found = run(published, raw, settings=settings)
    assert {f.level for fs in found.values() for f in fs} == {"unknown"}
    assert "spf" in found
