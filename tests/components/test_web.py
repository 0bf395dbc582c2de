"""Forwarding and tracking in the spec and the fleet: errors naming the field, overrides, and what registers."""

from __future__ import annotations

from typing import Any

import pytest

from components.spec import SpecError, load_spec
from tests.components.test_fleet import build

REDIRECT = {"host": "redirect.acme-web.net", "ipv4": "203.0.113.7"}


def errors_of(raw: Any) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        load_spec(raw)
    return dict(info.value.errors)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda r: r["defaults"].update(tracking={"label": "not a label"}), "defaults.tracking.label",
         "not a hostname label"),
        (lambda r: r["defaults"].update(tracking={"label": "-x"}), "defaults.tracking.label", "hostname label"),
        (lambda r: r["domains"][1].update(tracking={"label": "www"}), "domains[1].tracking.label", "forwarding"),
        (lambda r: r["defaults"].update(tracking={"label": "t", "target": "not a host!"}),
         "defaults.tracking.target", ""),
        (lambda r: r["defaults"].update(forwarding="sometimes"), "defaults.forwarding", "bool"),
        (lambda r: r.update(dns={"backend": "rfc2136"}), "dns.redirect", "rfc2136"),
        (lambda r: r.update(dns={"backend": "cloudflare", "redirect": REDIRECT}), "dns.redirect", "only applies"),
        (lambda r: r.update(dns={"backend": "rfc2136", "redirect": {**REDIRECT, "ipv4": "300.1.1.1"}}),
         "dns.redirect.ipv4", "IPv4"),
        (lambda r: r["defaults"].update(sequencer="csv", tracking={}), "defaults.tracking.target", "csv"),
    ],
)
def test_errors_name_the_field(raw: dict[str, Any], change: Any, path: str, words: str) -> None:
    change(raw)
    errors = errors_of(raw)
    assert path in errors, errors
    assert words in errors[path]


def test_rfc2136_without_forwarding_needs_no_redirect_host(raw: dict[str, Any]) -> None:
    raw["dns"] = {"backend": "rfc2136"}
    raw["defaults"]["forwarding"] = False
    spec = load_spec(raw)
    assert not any(spec.forwarding_for(d) for d in spec.domains)


def test_defaults_forward_to_the_primary_domain_at_cloudflare(raw: dict[str, Any]) -> None:
    web = build(raw).of("WebRecords")
    assert set(web) == {"getacme.com", "tryacme.io"}
    inputs = web["getacme.com"]
    assert inputs["domain"] == "getacme.com" and inputs["dns_backend"] == "cloudflare"
    assert inputs["forward_to"] == "acme.com"
    assert not inputs.get("tracking_label") and not inputs.get("redirect_host")


def test_tracking_points_at_the_sequencers_documented_host(raw: dict[str, Any]) -> None:
    raw["defaults"]["tracking"] = {}  # label `track`, target from the sequencer (instantly)
    raw["domains"][1]["tracking"] = {"label": "Inst"}
    web = build(raw).of("WebRecords")
    assert (web["getacme.com"]["tracking_label"], web["getacme.com"]["tracking_target"]) == (
        "track", "prox.itrackly.com")
    assert web["tryacme.io"]["tracking_label"] == "inst"
    raw["defaults"]["sequencer"] = "smartlead"
    assert build(raw).of("WebRecords")["getacme.com"]["tracking_target"] == "open.sleadtrack.com"


def test_overrides_per_domain_and_off_means_not_registered(raw: dict[str, Any]) -> None:
    raw["defaults"]["tracking"] = {"target": "track.example-esp.com"}
    raw["domains"][0].update(forwarding=False, tracking={"enabled": False})
    raw["domains"][1]["forwarding"] = False
    web = build(raw).of("WebRecords")
    assert set(web) == {"tryacme.io"}  # getacme.com has neither: no WebRecords, so the engine deletes it
    assert not web["tryacme.io"].get("forward_to")
    assert web["tryacme.io"]["tracking_target"] == "track.example-esp.com"


def test_rfc2136_forwarding_points_at_the_redirect_host(raw: dict[str, Any]) -> None:
    raw.update(dns={"backend": "rfc2136", "redirect": REDIRECT}, registrar="byo")
    inputs = build(raw).of("WebRecords")["getacme.com"]
    assert (inputs["redirect_host"], inputs["redirect_ipv4"]) == ("redirect.acme-web.net", "203.0.113.7")
    assert inputs["forward_to"] == "acme.com" and inputs["dns_backend"] == "rfc2136"
