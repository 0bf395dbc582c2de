"""Forwarding and tracking through the real engine: the preview shows the new WebRecords, `up` publishes the records
at BIND (Cloudflare double writing through) and the redirect rule, and turning both off deletes them."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rdatatype
import pytest
import yaml
from cloudflare import Cloudflare, DefaultHttpxClient
from pulumi import automation as auto

from cli.engine import open_stack, target

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DOMAIN = "forwardacme.com"


def ask(sandbox: Any, name: str, rdtype: str) -> list[str]:
    info = sandbox.info["dns"]
    response = dns.query.tcp(dns.message.make_query(name, rdtype), info["server"], port=int(info["port"]), timeout=5)
    return sorted(rr.to_text().rstrip(".").lower() for rrset in response.answer
                  if rrset.rdtype == dns.rdatatype.from_text(rdtype) for rr in rrset)


def redirect_refs(sandbox: Any) -> list[str]:
    ctx = ssl.create_default_context(cafile=sandbox.ca_cert)
    with Cloudflare(api_token=sandbox.credentials["cloudflare_api_token"], base_url=sandbox.endpoints["cloudflare"],
                    http_client=DefaultHttpxClient(verify=ctx), max_retries=0) as cf:
        zone = next(z for z in cf.zones.list(name=DOMAIN))
        try:
            ruleset: Any = cf.rulesets.phases.get("http_request_dynamic_redirect", zone_id=zone.id)
        except Exception:  # no entrypoint yet (404)
            return []
        return [r["ref"] for r in ruleset.to_dict(mode="json")["rules"]]


def set_fleet(project: Path, **defaults: Any) -> None:
    path = project / "Pulumi.dev.yaml"
    stack = yaml.safe_load(path.read_text())
    fleet = stack["config"]["coldfleet:fleet"]
    fleet["domains"] = [{"name": DOMAIN, "status": "active"}]
    fleet["defaults"].update(mailboxes=1, **defaults)
    fleet["defaults"] = {k: v for k, v in fleet["defaults"].items() if v is not None}
    path.write_text(yaml.safe_dump(stack, sort_keys=False))


def ops_of(stack: auto.Stack, run: str) -> tuple[dict[str, str], Any]:
    ops: dict[str, str] = {}

    def on_event(event: auto.events.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None and pre.metadata.type.endswith(":WebRecords"):
            ops[pre.metadata.urn] = str(pre.metadata.op.value)

    result = stack.preview(on_event=on_event) if run == "preview" else stack.up(on_event=on_event)
    return ops, result


@pytest.fixture(scope="module")
def stack(sandbox: Any, project_dir: Path) -> auto.Stack:
    set_fleet(project_dir, tracking={})
    env = {"COLDFLEET_SANDBOX_DIR": str(sandbox.dir), "COLDFLEET_SETTINGS_FILE": str(sandbox.settings_file)}
    return open_stack(target("dev", project_dir), extra_env=env)


def test_preview_shows_the_web_records(stack: auto.Stack) -> None:
    ops, _ = ops_of(stack, "preview")
    assert list(ops.values()) == ["create"] and DOMAIN in next(iter(ops))


def test_up_publishes_forwarding_and_tracking(sandbox: Any, stack: auto.Stack) -> None:
    sandbox.set_mailbox_delay(0.2)
    ops, result = ops_of(stack, "up")
    assert result.summary.result == "succeeded" and list(ops.values()) == ["create"]
    assert ask(sandbox, DOMAIN, "A") == ask(sandbox, f"www.{DOMAIN}", "A") == ["192.0.2.1"]
    assert ask(sandbox, f"track.{DOMAIN}", "CNAME") == ["prox.itrackly.com"]
    assert redirect_refs(sandbox) == ["coldfleet_forwarding"]
    assert ask(sandbox, DOMAIN, "MX")  # the mail records are AuthRecords' and stay as they are


def test_turning_both_off_deletes_them(sandbox: Any, project_dir: Path, stack: auto.Stack) -> None:
    set_fleet(project_dir, forwarding=False, tracking=None)
    ops, _ = ops_of(stack, "preview")
    assert list(ops.values()) == ["delete"]
    _, result = ops_of(stack, "up")
    changes = {getattr(op, "value", op): n for op, n in (result.summary.resource_changes or {}).items()}
    assert changes.get("delete") == 1 and not changes.get("update") and not changes.get("create"), changes
    assert ask(sandbox, DOMAIN, "A") == [] and ask(sandbox, f"www.{DOMAIN}", "A") == []
    assert ask(sandbox, f"track.{DOMAIN}", "CNAME") == []
    assert redirect_refs(sandbox) == []
    assert ask(sandbox, DOMAIN, "MX")
    assert stack.destroy().summary.result == "succeeded"
