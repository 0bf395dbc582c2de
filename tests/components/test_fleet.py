"""ColdEmailFleet and the program under Pulumi's mocks (`set_mocks` + `@pulumi.runtime.test`).

What registers is recorded by name, type and inputs; URNs (from the mock monitor) show the parent chain.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pulumi
import pytest

from components.fleet import ColdEmailFleet
from components.guardrails import GuardrailError, check_guardrails
from components.naming import domain_prefix
from components.spec import LEGAL_NOTICE, load_spec

TODAY = date(2026, 1, 4)
FLEET = "coldfleet:index:ColdEmailFleet"
SKU = "4b9405b0-7788-4568-add1-99614e613b69"


def kind(typ: str) -> str:
    return typ.rsplit(":", 1)[-1]


class Mocks(pulumi.runtime.Mocks):
    """Echo inputs, add the outputs each provider promises (deterministic per domain)."""

    def __init__(self, stack_outputs: dict[str, Any] | None = None, failed_reads: int = 0) -> None:
        self.registered: dict[tuple[str, str], dict[str, Any]] = {}
        self.stack_outputs = stack_outputs or {}
        self.calls: list[str] = []
        self.failed_reads = failed_reads  # the first n stack-output reads fail, like a racing checkpoint write

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = {k: v for k, v in args.inputs.items() if k != "__provider"}
        self.registered[(kind(args.typ), args.name)] = inputs
        outs = dict(inputs)
        domain = inputs.get("domain", args.name)
        tenant = str(uuid.uuid5(uuid.NAMESPACE_DNS, str(domain)))
        if kind(args.typ) == "SendingDomain":
            outs.update(zone_id=f"zone-{domain}", nameservers=["ns1.example.net", "ns2.example.net"])
        elif kind(args.typ) == "M365Tenant":
            outs.update(tenant_id=tenant, verification_txt="MS=ms12345678", licence_sku_id=SKU, admin_password="adm")
        elif kind(args.typ) == "AuthRecords":
            outs.update(verified=True, dkim_enabled=True, records=[{"name": domain, "type": "MX", "values": ["0 x"]}])
        elif kind(args.typ) == "Mailbox":
            outs.update(password=f"pw-{args.name}", email=f"{inputs['local_part']}@{domain}", user_id=f"{args.name}-id")
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append(args.token)
        if args.token == "pulumi:pulumi:readStackOutputs":
            if self.calls.count(args.token) <= self.failed_reads:
                raise RuntimeError("failed to load checkpoint: EOF")
            return {"name": args.args["name"], "outputs": self.stack_outputs, "secretOutputNames": []}, []
        return {}, []


@dataclass
class Run:
    mocks: Mocks
    values: dict[str, Any] = field(default_factory=dict)

    def of(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {name: inputs for (k, name), inputs in self.mocks.registered.items() if k == type_name}

    @property
    def urns(self) -> list[str]:
        monitor = pulumi.runtime.settings.get_monitor()
        return list(monitor.get_registered_resources())  # type: ignore[union-attr]


def build(raw: dict[str, Any], **kwargs: Any) -> Run:
    run = Run(Mocks())
    pulumi.runtime.set_mocks(run.mocks, project="coldfleet", stack="test", preview=False,
                             logger=logging.getLogger("mock-engine"))

    def program() -> pulumi.Output[Any]:
        fleet = ColdEmailFleet("acme", load_spec(raw), today=TODAY, **kwargs)
        outputs: dict[str, pulumi.Output[Any]] = {
            "inventory": fleet.inventory,
            "csv": fleet.export_csv,
            "limits": fleet.daily_limits,
            "csv_secret": pulumi.Output.from_input(fleet.export_csv.is_secret()),
            "inv_secret": pulumi.Output.from_input(fleet.inventory.is_secret()),
        }
        return pulumi.Output.all(**outputs).apply(run.values.update)

    pulumi.runtime.test(program)()
    return run


def test_children_are_named_by_domain_and_local_part(raw: dict[str, Any]) -> None:
    run = build(raw)
    assert set(run.of("SendingDomain")) == set(run.of("M365Tenant")) == {"getacme.com", "tryacme.io"}
    assert set(run.of("AuthRecords")) == {"getacme.com", "tryacme.io"}
    assert set(run.of("Mailbox")) == {
        f"{d}/{p}" for d in ("getacme.com", "tryacme.io") for p in ("anna", "juergen", "anna.keller")
    }
    # Every child is parented to the fleet (the parent's type is in the child's URN).
    children = [u.split("::")[2] for u in run.urns if "dynamic/coldfleet:" in u]
    # per domain: SendingDomain, M365Tenant, AuthRecords, DomainMailboxes, WebRecords (forwarding is on by default)
    assert len(children) == 2 * 5 + 3 * 2
    assert set(run.of("DomainMailboxes")) == {"getacme.com", "tryacme.io"}
    assert all(t.startswith(f"{FLEET}$pulumi-python:dynamic/coldfleet:") for t in children)  # mocks keep one level


def test_inputs_follow_the_contract(raw: dict[str, Any]) -> None:
    run = build(raw)
    tenant = run.of("M365Tenant")["getacme.com"]
    assert tenant["domain_prefix"] == domain_prefix("acme", "getacme.com")
    assert tenant["country"] == "DE" and tenant["residency"] == "eu" and tenant["seats"] == 3
    assert tenant["tenant_smtp_auth"] is False and tenant["mode"] == "partner"
    auth = run.of("AuthRecords")["getacme.com"]
    assert auth["tenant_id"] == str(uuid.uuid5(uuid.NAMESPACE_DNS, "getacme.com"))
    assert auth["verification_txt"] == "MS=ms12345678"
    assert auth["dmarc"] == {"policy": "quarantine", "rua": ["mailto:dmarc@acme-reports.com"], "adkim": "r",
                             "aspf": "r", "t": False}
    box = run.of("Mailbox")["getacme.com/juergen"]
    assert box["domain_verified"] is True and box["licence_sku_id"] == SKU
    assert (box["first_name"], box["last_name"], box["display_name"]) == ("Jürgen", "Müller", "Jürgen Müller")
    assert box["usage_location"] == "DE" and box["sending"] == "oauth"
    finishing = run.of("DomainMailboxes")["getacme.com"]
    assert finishing["tenant_id"] == auth["tenant_id"] and finishing["domain"] == "getacme.com"
    assert [m["upn"] for m in finishing["mailboxes"]] == [
        f"{p}@getacme.com" for p in ("anna", "juergen", "anna.keller")]
    assert {m["user_id"] for m in finishing["mailboxes"]} == {
        f"getacme.com/{p}-id" for p in ("anna", "juergen", "anna.keller")}
    assert all(m["sending"] == "oauth" and m["time_zone"] == box["time_zone"] for m in finishing["mailboxes"])
    assert run.of("SendingDomain")["tryacme.io"] == {
        "brand_domain": "acme.com", "domain": "tryacme.io", "dns_backend": "cloudflare", "registrar": "namecom",
        "delete_zone_on_destroy": False,
        "release_registration_on_destroy": False,
    }


def test_inputs_pass_each_providers_check(raw: dict[str, Any]) -> None:
    """The contract both ways: what the fleet sends is what each provider's `check` accepts, unchanged."""
    from providers.auth_records import AuthRecordsProvider
    from providers.domain_mailboxes import DomainMailboxesProvider
    from providers.m365_tenant import M365TenantProvider
    from providers.mailbox import MailboxProvider
    from providers.sending_domain import SendingDomainProvider
    from providers.web_records import WebRecordsProvider

    providers: dict[str, pulumi.dynamic.ResourceProvider] = {
        "SendingDomain": SendingDomainProvider(), "M365Tenant": M365TenantProvider(),
        "AuthRecords": AuthRecordsProvider(), "Mailbox": MailboxProvider(),
        "DomainMailboxes": DomainMailboxesProvider(), "WebRecords": WebRecordsProvider(),
    }
    variants: list[dict[str, Any]] = [
        {"defaults": {"sending": "oauth"}},
        {"defaults": {"sending": "password", "licence": "business_basic"},
         "dns": {"backend": "rfc2136", "redirect": {"host": "redirect.acme-web.net", "ipv4": "203.0.113.7"}},
         "registrar": "byo", "tenant": {"mode": "existing", "tenant_id": "11111111-2222-4333-8444-555555555555"}},
    ]
    for variant in variants:
        spec_raw = copy.deepcopy(raw)
        for key, value in variant.items():
            spec_raw[key] = {**spec_raw[key], **value} if isinstance(value, dict) else value
        for (type_name, name), inputs in build(spec_raw).mocks.registered.items():
            if type_name == "ColdEmailFleet":
                continue
            result = providers[type_name].check({}, inputs)
            assert not result.failures, (type_name, name, [(f.property, f.reason) for f in result.failures])


def test_reordering_domains_changes_nothing(raw: dict[str, Any]) -> None:
    first = build(raw).mocks.registered
    raw["domains"].reverse()
    assert build(raw).mocks.registered == first


def test_adding_a_domain_touches_nothing_else(raw: dict[str, Any]) -> None:
    before = build(raw).mocks.registered
    raw["domains"].insert(0, {"name": "acmemail.co", "status": "active"})
    after = build(raw).mocks.registered
    assert {k: v for k, v in after.items() if k in before} == before
    assert {name for _, name in set(after) - set(before)} >= {"acmemail.co", "acmemail.co/anna"}


def test_promoting_a_spare(raw: dict[str, Any]) -> None:
    assert not any(name.startswith("acmehq.net") for _, name in build(raw).mocks.registered)
    raw["spares"] = []
    raw["domains"].append({"name": "acmehq.net", "status": "active"})
    assert ("M365Tenant", "acmehq.net") in build(raw).mocks.registered


def test_retiring_keeps_mailboxes_but_not_in_export(raw: dict[str, Any]) -> None:
    active = build(raw)
    raw["domains"][1]["status"] = "retiring"
    retiring = build(raw)
    assert retiring.mocks.registered == active.mocks.registered  # nothing is replaced or deleted
    emails = [r["Email"] for r in csv.DictReader(io.StringIO(retiring.values["csv"]))]
    assert emails == sorted(f"{p}@getacme.com" for p in ("anna", "juergen", "anna.keller"))
    assert retiring.values["limits"]["anna@tryacme.io"] == 0
    assert retiring.values["limits"]["anna@getacme.com"] == 11  # since 2026-01-01, start 5 + 2 × 3 days
    assert retiring.values["inventory"]["tryacme.io"]["status"] == "retiring"
    assert retiring.values["inventory"]["tryacme.io"]["mailboxes"][0] == {"email": "anna@tryacme.io", "daily_limit": 0}


def test_retired_domains_have_no_children(raw: dict[str, Any]) -> None:
    raw["domains"][1]["status"] = "retired"
    run = build(raw)
    assert not any(name.startswith("tryacme.io") for _, name in run.mocks.registered)
    assert set(run.values["inventory"]) == {"getacme.com"}


def test_outputs_inventory_export_and_limits(raw: dict[str, Any]) -> None:
    run = build(raw)
    entry = run.values["inventory"]["getacme.com"]
    assert entry["tenant_id"] == str(uuid.uuid5(uuid.NAMESPACE_DNS, "getacme.com"))
    assert entry["nameservers"] == ["ns1.example.net", "ns2.example.net"]
    assert entry["verified"] is True and entry["dkim_enabled"] is True and entry["records"][0]["type"] == "MX"
    assert entry["residency"] == "eu" and entry["status"] == "active"
    assert run.values["csv_secret"] is True and run.values["inv_secret"] is False
    assert "pw-" not in json.dumps(run.values["inventory"]) and "adm" not in json.dumps(run.values["inventory"])
    assert len(run.values["limits"]) == 6


def test_oauth_export_is_the_sign_in_list_and_password_path_the_import(raw: dict[str, Any]) -> None:
    oauth = build(copy.deepcopy(raw))
    rows = list(csv.DictReader(io.StringIO(oauth.values["csv"])))
    assert len(rows) == 6 and all(r["Password"].startswith("pw-") and "SMTP Password" not in r for r in rows)
    assert oauth.values["csv_secret"] is True
    raw["defaults"]["sending"] = "password"
    password = build(raw)
    rows = list(csv.DictReader(io.StringIO(password.values["csv"])))
    assert {r["SMTP Password"] for r in rows} == {f"pw-{r['Email'].split('@')[1]}/{r['Email'].split('@')[0]}"
                                                  for r in rows}
    assert password.values["csv_secret"] is True
    assert password.of("M365Tenant")["getacme.com"]["tenant_smtp_auth"] is True


def test_legal_notice_is_warned_for_eu(raw: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mock-engine"):
        build(raw)
    assert LEGAL_NOTICE in caplog.text
    caplog.clear()
    raw.update(residency="us")
    raw["tenant"]["address"]["country"] = "US"
    with caplog.at_level(logging.WARNING, logger="mock-engine"):
        build(raw)
    assert LEGAL_NOTICE not in caplog.text


# ---- guardrails ------------------------------------------------------------------------------------------------

def inventory_of(raw: dict[str, Any]) -> dict[str, Any]:
    return dict(build(raw).values["inventory"])


def test_mass_delete_guard(raw: dict[str, Any]) -> None:
    previous = inventory_of(raw)
    raw["defaults"]["mailboxes"] = 2  # 6 → 4 mailboxes: 33 % deleted
    expected = r"2 of 6 mailboxes.*getacme\.com \(1\), tryacme\.io \(1\).*coldfleet:allowMassDelete"
    with pytest.raises(GuardrailError, match=expected):
        build(raw, previous=previous)
    assert build(raw, previous=previous, allow_mass_delete=True).of("Mailbox")  # the override works
    raw["domains"][0]["mailboxes"] = 3  # 6 → 5: within 25 %
    check_guardrails(load_spec(raw), previous)


def test_active_domain_must_retire_before_it_goes(raw: dict[str, Any]) -> None:
    raw["domains"].append({"name": "third.io", "status": "active", "mailboxes": 1})
    raw["defaults"]["mailboxes"] = 5
    previous = inventory_of(raw)  # 11 mailboxes: dropping third.io alone is 9 %
    for change in ("retired", "removed"):
        spec_raw = copy.deepcopy(raw)
        if change == "retired":
            spec_raw["domains"][2]["status"] = "retired"
        else:
            spec_raw["domains"].pop()
        with pytest.raises(GuardrailError, match=r"third\.io.*'retiring' first.*coldfleet:allowMassDelete"):
            check_guardrails(load_spec(spec_raw), previous)
        check_guardrails(load_spec(spec_raw), previous, allow_mass_delete=True)
    raw["domains"][2]["status"] = "retiring"
    retiring = inventory_of(raw)
    raw["domains"][2]["status"] = "retired"
    check_guardrails(load_spec(raw), retiring)  # went through retiring: fine


def test_residency_cannot_change_under_existing_tenants(raw: dict[str, Any]) -> None:
    previous = inventory_of(raw)
    raw.update(residency="ch")
    raw["tenant"]["address"]["country"] = "CH"
    with pytest.raises(GuardrailError, match="residency 'ch'.*getacme.com, tryacme.io"):
        check_guardrails(load_spec(raw), previous, allow_mass_delete=True)


def test_guardrails_refuse_before_anything_registers(raw: dict[str, Any]) -> None:
    previous = inventory_of(raw)
    for domain in raw["domains"]:  # an empty list is the spec's to refuse (test_spec); retiring all is the guard's
        domain["status"] = "retired"
    run = Run(Mocks())
    pulumi.runtime.set_mocks(run.mocks, project="coldfleet", stack="test", preview=False)
    with pytest.raises(GuardrailError):
        ColdEmailFleet("acme", load_spec(raw), today=TODAY, previous=previous)
    assert run.mocks.registered == {}


# ---- the program -----------------------------------------------------------------------------------------------

def run_program(raw: dict[str, Any], previous: dict[str, Any] | None, failed_reads: int = 0, **config: str) -> Mocks:
    """Run the program under mocks; a refused spec or guardrail comes out as pulumi.RunError (no traceback)."""
    from components import program

    mocks = Mocks({"inventory": previous, "export_csv": "secret!"} if previous else {}, failed_reads)
    pulumi.runtime.set_all_config({"coldfleet:fleet": json.dumps(raw, default=str), **config})
    pulumi.runtime.set_mocks(mocks, project="coldfleet", stack="test", preview=False)
    try:
        pulumi.runtime.test(program.main)()
    finally:
        pulumi.runtime.set_all_config({})
    return mocks


def test_program_reads_previous_inventory_and_guards(raw: dict[str, Any]) -> None:
    mocks = run_program(raw, None)
    assert "pulumi:pulumi:readStackOutputs" in mocks.calls
    assert ("Mailbox", "getacme.com/anna") in mocks.registered
    previous = inventory_of(raw)
    raw["domains"].pop()
    with pytest.raises(pulumi.RunError, match="tryacme.io"):
        run_program(raw, previous)
    run_program(raw, previous, 0, **{"coldfleet:allowMassDelete": "true"})


def test_program_allows_mass_delete_from_the_cli_flag(
    raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = inventory_of(raw)
    raw["domains"].pop()
    monkeypatch.setenv("COLDFLEET_ALLOW_MASS_DELETE", "true")
    run_program(raw, previous)


def test_program_retries_the_read_then_fails_closed(raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("components.program.time.sleep", lambda _s: None)
    previous = inventory_of(raw)
    raw["domains"].pop()
    with pytest.raises(pulumi.RunError, match="tryacme.io"):  # two failed reads, then the real inventory
        run_program(raw, previous, failed_reads=2)
    with pytest.raises(pulumi.RunError, match="cannot read this stack's previous inventory.*allowMassDelete"):
        run_program(raw, previous, failed_reads=99)
    mocks = run_program(raw, previous, failed_reads=99, **{"coldfleet:allowMassDelete": "true"})
    assert ("Mailbox", "getacme.com/anna") in mocks.registered


def test_program_raises_spec_errors_before_registering(raw: dict[str, Any]) -> None:
    raw["domains"][1]["mailboxes"] = 0
    with pytest.raises(pulumi.RunError, match=r"domains\[1\]\.mailboxes"):
        run_program(raw, None)


def test_sequencer_consent_and_persona_photo_reach_the_resources(raw: dict[str, Any]) -> None:
    app_id = "11111111-2222-3333-4444-555555555555"
    raw["defaults"]["sequencer_app_id"] = app_id
    raw["personas"][0]["photo"] = "/srv/photos/persona0.jpg"
    run = build(raw)
    assert {t["sequencer_app_id"] for t in run.of("M365Tenant").values()} == {app_id}
    photos = {name: box.get("photo") for name, box in run.of("Mailbox").items()}
    first = raw["personas"][0]["first"].lower()
    assert any(p == "/srv/photos/persona0.jpg" for p in photos.values())
    assert all(p is None for name, p in photos.items() if not name.split("/")[1].startswith(first[:2]))
    raw["defaults"]["sending"] = "password"  # the password path needs no OAuth consent
    assert {t.get("sequencer_app_id") for t in build(raw).of("M365Tenant").values()} == {None}
