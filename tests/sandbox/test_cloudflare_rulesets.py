"""The Cloudflare double's zone phase entrypoints (Single Redirects), driven by the official SDK, every answer checked
against the OpenAPI description (tests/sandbox/cf_schema.py)."""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Iterator
from typing import Any, Final

import cloudflare
import httpx
import pytest
from cloudflare import Cloudflare, DefaultHttpxClient

from sandbox.handle import SandboxHandle
from tests.sandbox.cf_schema import check

PHASE: Final = "http_request_dynamic_redirect"


def redirect(target: str, ref: str = "fwd", **over: Any) -> Any:
    rule: dict[str, Any] = {
        "ref": ref, "expression": '(http.host eq "a.com")', "action": "redirect", "description": "forward",
        "action_parameters": {"from_value": {"target_url": {"expression": f'concat("https://{target}", '
                                                                          'http.request.uri.path)'},
                                             "status_code": 301, "preserve_query_string": True}},
    }
    rule.update(over)
    return rule


@pytest.fixture
def cf(sandbox: SandboxHandle) -> Iterator[Cloudflare]:
    ctx = ssl.create_default_context(cafile=sandbox.ca_cert)
    http = DefaultHttpxClient(verify=ctx, event_hooks={"response": [check]})
    client = Cloudflare(api_token=sandbox.credentials["cloudflare_api_token"], base_url=sandbox.endpoints["cloudflare"],
                        http_client=http, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def http(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.endpoints["cloudflare"], verify=sandbox.ca_cert,
                      headers={"Authorization": f"Bearer {sandbox.credentials['cloudflare_api_token']}"},
                      event_hooks={"response": [check]}) as client:
        yield client


@pytest.fixture
def zone_id(cf: Cloudflare, sandbox: SandboxHandle) -> str:
    zone = cf.zones.create(account={"id": sandbox.credentials["cloudflare_account_id"]},
                           name=f"rs-{secrets.token_hex(4)}.com", type="full")
    assert zone is not None
    return str(zone.id)


def test_no_entrypoint_yet_is_404_10003(cf: Cloudflare, http: httpx.Client, zone_id: str) -> None:
    resp = http.get(f"/zones/{zone_id}/rulesets/phases/{PHASE}/entrypoint")
    assert resp.status_code == 404
    assert resp.json()["errors"][0] == {"code": 10003,
                                        "message": f"could not find entrypoint ruleset in the {PHASE} phase"}
    with pytest.raises(cloudflare.NotFoundError):
        cf.rulesets.phases.get(PHASE, zone_id=zone_id)


def as_dict(result: object) -> dict[str, Any]:
    """SDK 5.9: `get` parses a PhaseGetResponse; `update`, typed `Union[Ruleset, Optional[object]]`, the plain dict."""
    if isinstance(result, dict):
        return result
    return dict(result.to_dict(mode="json"))  # type: ignore[attr-defined]


def test_put_creates_then_versions_the_entrypoint(cf: Cloudflare, zone_id: str) -> None:
    first = as_dict(cf.rulesets.phases.update(PHASE, zone_id=zone_id, rules=[redirect("brand.com")]))
    assert (first["phase"], first["kind"], first["version"], first["name"]) == (PHASE, "zone", "1", "default")
    [rule] = first["rules"]
    assert (rule["ref"], rule["action"], rule["enabled"], rule["version"]) == ("fwd", "redirect", True, "1")
    got = as_dict(cf.rulesets.phases.get(PHASE, zone_id=zone_id))
    assert got["id"] == first["id"]
    params = got["rules"][0]["action_parameters"]["from_value"]
    assert params == {"target_url": {"expression": 'concat("https://brand.com", http.request.uri.path)'},
                      "status_code": 301, "preserve_query_string": True}
    # The same rule id with another target: a new ruleset version, the rule's id kept and its version bumped.
    second = as_dict(cf.rulesets.phases.update(PHASE, zone_id=zone_id,
                                               rules=[redirect("other.com", id=rule["id"]),
                                                      redirect("x.com", ref="two")]))
    assert second["version"] == "2" and second["id"] == first["id"]
    assert [(r["id"] == rule["id"], r["ref"], r["version"]) for r in second["rules"]] == [
        (True, "fwd", "2"), (False, "two", "1")]
    emptied = as_dict(cf.rulesets.phases.update(PHASE, zone_id=zone_id, rules=[]))
    assert emptied["rules"] == [] and emptied["version"] == "3"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"kind": "zone", "rules": []}, "/kind"),
        ({"rules": [redirect("b.com", action_parameters={"from_value": {"status_code": 301}})]},
         "/rules/0/action_parameters/from_value/target_url"),
        ({"rules": [redirect("b.com", action_parameters={"from_value": {"target_url": {"value": "https://b.com"},
                                                                        "status_code": 200}})]},
         "/rules/0/action_parameters/from_value/status_code"),
        ({"rules": [redirect("b.com", expression="")]}, "/rules/0/expression"),
        ({"rules": [redirect("b.com", action="teleport")]}, "/rules/0/action"),
        ({"rules": [redirect("b.com"), redirect("c.com")]}, "/rules"),
    ],
)
def test_bad_bodies_are_400_with_a_pointer(http: httpx.Client, zone_id: str, body: dict[str, Any],
                                           pointer: str) -> None:
    resp = http.put(f"/zones/{zone_id}/rulesets/phases/{PHASE}/entrypoint", json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["errors"][0]["source"] == {"pointer": pointer}
    assert http.get(f"/zones/{zone_id}/rulesets/phases/{PHASE}/entrypoint").status_code == 404  # nothing stored


def test_unknown_zone_and_phase(http: httpx.Client, zone_id: str) -> None:
    missing = http.get(f"/zones/{'0' * 32}/rulesets/phases/{PHASE}/entrypoint")
    assert (missing.status_code, missing.json()["errors"][0]["code"]) == (404, 1001)
    bad = http.get(f"/zones/{zone_id}/rulesets/phases/http_request_teleport/entrypoint")
    assert (bad.status_code, bad.json()["errors"][0]["code"]) == (400, 7003)
