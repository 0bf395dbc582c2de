"""FleetSpec: validation with spec paths in every error, normalisation, and the holes a user cannot have meant."""

from __future__ import annotations

from typing import Any

import pytest

from components.spec import FleetSpec, SpecError, load_spec
from providers.types import MAX_MAILBOXES_PER_TENANT, normalise_domain


def errors_of(raw: Any) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        load_spec(raw)
    return dict(info.value.errors)


def test_sample_loads_with_defaults(raw: dict[str, Any]) -> None:
    spec = load_spec(raw)
    assert isinstance(spec, FleetSpec)
    assert spec.defaults.daily_limit_cap == 50
    assert spec.defaults.sending == "oauth"
    assert spec.defaults.dmarc.adkim == "r" and spec.defaults.dmarc.testing is False
    assert [d.name for d in spec.live_domains()] == ["getacme.com", "tryacme.io"]


def test_yaml_text_is_accepted(raw: dict[str, Any]) -> None:
    text = """
client: acme
primary_domain: acme.com
residency: us
dns: {backend: rfc2136}
registrar: byo
tenant:
  mode: existing
  tenant_id: 0F0E0D0C-0000-4000-8000-000000000001
  company_name: Acme Inc
  address: {first_name: A, last_name: B, address_line1: 1 Main St, city: Austin, state: TX, postal_code: "78701",
            country: us}
  contact: {first_name: A, last_name: B, email: a@acme.com}
defaults:
  mailboxes: 2
  dmarc: {policy: none, rua: mailto:d@acme.com}
  ramp: {start: 5, step: 1, max: 20}
  forwarding: false
personas: [{first: Ann, last: Lee}]
domains:
  - {name: getacme.com, status: active, since: 2026-01-01}
"""
    spec = load_spec(text)
    assert spec.tenant.address.country == "US"
    assert spec.tenant_id_for(spec.domains[0]) == "0f0e0d0c-0000-4000-8000-000000000001"
    assert spec.defaults.dmarc.rua == ["mailto:d@acme.com"]


def test_domain_names_are_normalised() -> None:
    assert normalise_domain("GetAcme.COM.") == "getacme.com"
    assert normalise_domain("münchen-acme.de") == "xn--mnchen-acme-thb.de"
    assert normalise_domain("xn--mnchen-acme-thb.de") == "xn--mnchen-acme-thb.de"
    for bad in ("bad_name.com", "-a.com", "a..com", "localhost", "1.2.3.4", "x" * 64 + ".com"):
        with pytest.raises(ValueError):
            normalise_domain(bad)


def test_errors_name_spec_paths_and_all_are_listed(raw: dict[str, Any]) -> None:
    raw["domains"] += [{"name": "a.io", "status": "active"}, {"name": "b.io", "status": "active", "mailboxes": 101}]
    raw["defaults"]["dmarc"]["rua"] = ["mailto:ok@acme-reports.com", "https://nope.example"]
    raw["defaults"]["surprise"] = 1
    raw["spares"] = ["fine.net", "bad_name.net"]
    raw["personas"][1]["first"] = "王"
    errors = errors_of(raw)
    assert set(errors) == {
        "domains[3].mailboxes", "defaults.dmarc.rua[1]", "defaults.surprise", "spares[1]", "personas[1].first",
    }
    assert "100" in errors["domains[3].mailboxes"]
    with pytest.raises(SpecError, match=r"(?m)^  domains\[3\]\.mailboxes: "):
        load_spec(raw)


def test_dmarc_is_required_with_a_policy(raw: dict[str, Any]) -> None:
    del raw["defaults"]["dmarc"]["policy"]
    assert "defaults.dmarc.policy" in errors_of(raw)
    del raw["defaults"]["dmarc"]
    assert "defaults.dmarc" in errors_of(raw)


def test_duplicates_across_domains_and_spares(raw: dict[str, Any]) -> None:
    raw["domains"].append({"name": "GETACME.com", "status": "retiring"})
    raw["spares"].append("tryacme.io")
    errors = errors_of(raw)
    assert "domains[0].name" in errors["domains[2].name"]
    assert "domains[1].name" in errors["spares[1]"]


@pytest.mark.parametrize("name", ["acme.com", "mail.acme.com", "com.acme.com"])
def test_brand_domain_and_its_subdomains_are_refused(raw: dict[str, Any], name: str) -> None:
    raw["domains"].append({"name": name, "status": "active"})
    assert "brand domain" in errors_of(raw)["domains[2].name"]


def test_a_spare_under_the_brand_domain_is_refused(raw: dict[str, Any]) -> None:
    raw["spares"] = ["go.acme.com"]
    assert "spares[0]" in errors_of(raw)


@pytest.mark.parametrize(
    ("residency", "country", "ok"),
    [("eu", "DE", True), ("eu", "NO", True), ("eu", "US", False), ("eu", "GB", False), ("us", "US", True),
     ("us", "DE", False), ("ch", "CH", True), ("ch", "DE", False)],
)
def test_residency_must_match_the_address_country(raw: dict[str, Any], residency: str, country: str, ok: bool) -> None:
    raw["residency"] = residency
    raw["tenant"]["address"]["country"] = country
    if ok:
        load_spec(raw)
    else:
        assert "tenant.address.country" in errors_of(raw)


def test_at_most_100_mailboxes_per_shared_tenant(raw: dict[str, Any]) -> None:
    tenant = "11111111-2222-4333-8444-555555555555"
    raw["tenant"].update(mode="existing", tenant_id=tenant)
    raw["domains"][0]["mailboxes"] = 60
    raw["domains"][1]["mailboxes"] = 50
    errors = errors_of(raw)
    assert set(errors) == {"domains[0].mailboxes", "domains[1].mailboxes"}
    assert "getacme.com" in errors["domains[0].mailboxes"] and "tryacme.io" in errors["domains[0].mailboxes"]
    raw["domains"][1]["tenant_id"] = "99999999-2222-4333-8444-555555555555"  # its own tenant: fine
    load_spec(raw)
    raw["domains"][1]["status"] = "retired"  # retired domains hold no mailboxes
    del raw["domains"][1]["tenant_id"]
    load_spec(raw)


def test_tenant_ids_follow_the_mode(raw: dict[str, Any]) -> None:
    raw["domains"][0]["tenant_id"] = "11111111-2222-4333-8444-555555555555"
    assert "only applies" in errors_of(raw)["domains[0].tenant_id"]
    raw["tenant"]["mode"] = "existing"
    assert set(errors_of(raw)) == {"domains[1].tenant_id"}  # required: neither tenant nor domain has one
    raw["domains"][1]["tenant_id"] = "not-a-guid"
    assert "GUID" in errors_of(raw)["domains[1].tenant_id"]


def test_ramp_is_bounded_by_the_daily_cap(raw: dict[str, Any]) -> None:
    raw["defaults"]["daily_limit_cap"] = 20
    raw["domains"][0]["ramp"] = {"start": 5, "step": 1, "max": 25}
    errors = errors_of(raw)
    assert set(errors) == {"defaults.ramp.max", "domains[0].ramp.max"}
    raw["defaults"]["ramp"] = {"start": 10, "step": 1, "max": 5}
    assert "defaults.ramp" in errors_of(raw)


def test_per_domain_overrides(raw: dict[str, Any]) -> None:
    raw["domains"][1].update(mailboxes=7, dmarc={"policy": "reject", "testing": True})
    spec = load_spec(raw)
    first, second = spec.domains
    assert spec.mailbox_count(first) == 3 and spec.mailbox_count(second) == 7
    assert spec.dmarc_for(first).policy == "quarantine"
    assert spec.dmarc_for(second).model_dump(by_alias=True, exclude_none=True) == {
        "policy": "reject", "rua": [], "adkim": "r", "aspf": "r", "t": True,
    }


# ---- holes: what a user cannot have meant is refused, naming the field --------------------------------------------


def test_characters_a_mailbox_name_cannot_hold_are_refused(raw: dict[str, Any]) -> None:
    raw["personas"].append({"first": "Ann😀", "last": "Lee!"})
    errors = errors_of(raw)
    assert errors == {
        "personas[2].first": "'Ann😀' has characters a mailbox name cannot hold: '😀'",
        "personas[2].last": "'Lee!' has characters a mailbox name cannot hold: '!'",
    }
    with pytest.raises(SpecError, match=r"(?m)^  personas\[2\]\.first: 'Ann😀' has characters"):
        load_spec(raw)


def test_names_that_transliterate_are_kept_as_written(raw: dict[str, Any]) -> None:
    raw["personas"].append({"first": " José-María ", "last": "O’Neil"})
    persona = load_spec(raw).personas[2]
    assert (persona.first, persona.last) == ("José-María", "O’Neil")


@pytest.mark.parametrize("domains", [[], None])
def test_a_fleet_needs_at_least_one_domain(raw: dict[str, Any], domains: list[Any] | None) -> None:
    if domains is None:
        del raw["domains"]
    else:
        raw["domains"] = domains
    assert errors_of(raw) == {"domains": "at least one domain"}


def test_all_domains_retired_is_a_fleet_winding_down(raw: dict[str, Any]) -> None:
    for domain in raw["domains"]:
        domain["status"] = "retired"
    assert load_spec(raw).live_domains() == []


def test_the_same_persona_twice_is_refused(raw: dict[str, Any]) -> None:
    raw["personas"].append({"first": "anna", "last": "KELLER"})
    assert errors_of(raw) == {"personas[2]": "anna KELLER is already listed at personas[0]"}
    raw["personas"][2]["last"] = "Koch"  # another Anna is another person
    load_spec(raw)


def test_the_seat_limit_names_its_constant(raw: dict[str, Any]) -> None:
    raw["tenant"].update(mode="existing", tenant_id="11111111-2222-4333-8444-555555555555")
    raw["domains"][0]["mailboxes"] = MAX_MAILBOXES_PER_TENANT
    message = errors_of(raw)["domains[1].mailboxes"]
    assert message.endswith(f"; at most {MAX_MAILBOXES_PER_TENANT}")


def test_state_is_required_only_where_partner_center_needs_it(raw: dict[str, Any]) -> None:
    del raw["tenant"]["address"]["state"]
    assert load_spec(raw).tenant.address.state == ""  # DE: no state
    raw.update(residency="us")
    raw["tenant"]["address"]["country"] = "US"
    assert "state is required" in errors_of(raw)["tenant.address"]
