"""The DNS, blocklist and age collectors on a fleet the real engine provisioned: what `up` published reads as
healthy, a listing reads worn, drift at BIND reads broken; then destroy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.engine import REPO_ROOT
from components.health import age, blocklists
from components.health import dns as health_dns
from components.health.collect import COLLECTORS, HealthContext
from components.health.signals import DomainSignals
from components.spec import load_spec
from sandbox.handle import SandboxHandle
from tests.e2e.test_walking_skeleton import DOMAIN, coldfleet, outputs

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def inventory(sandbox: SandboxHandle, project_dir: Path) -> Iterator[dict[str, Any]]:
    sandbox.set_mailbox_delay(0.2)
    coldfleet(project_dir, sandbox.dir, "up", "--stack", "dev", "--yes")
    try:
        yield dict(outputs(project_dir, sandbox.dir)["inventory"])
    finally:
        coldfleet(project_dir, sandbox.dir, "destroy", "--stack", "dev", "--yes")


def collect(sandbox: SandboxHandle, inventory: dict[str, Any]) -> dict[str, tuple[str, str]]:
    raw = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]["coldfleet:fleet"]
    raw["domains"] = [{"name": DOMAIN, "status": "active", "since": date.today().isoformat()}]
    ctx = HealthContext(stack="dev", spec=load_spec(raw), settings=sandbox.settings, inventory=inventory,
                        today=date.today())
    signals = DomainSignals(DOMAIN)
    for collector in (health_dns.collect, blocklists.collect, age.collect):
        collector(ctx, signals)
    assert signals.age_days == 0 and signals.days_active == 0 and signals.volume_sent == 0
    return {f.check: (f.level, f.detail) for f in signals.findings}


def test_what_up_published_reads_healthy(sandbox: SandboxHandle, inventory: dict[str, Any]) -> None:
    assert {health_dns.collect, blocklists.collect, age.collect} <= set(COLLECTORS)
    found = collect(sandbox, inventory)
    assert {check for check, (level, _) in found.items() if level in ("broken", "unknown", "worn")} == set()
    assert found["records"][0] == "ok" and found["dkim:selector1"][0] == found["dkim:selector2"][0] == "ok"
    assert found["spf:microsoft"][0] == found["spf:lookups"][0] == "ok"
    # acme-reports.com publishes no authorisation for getacme.com in the local world; a new domain is watch
    assert found["dmarc:rua"][0] == "watch" and found["registration"][0] == "watch"


def test_a_listing_and_drift_read_worn_and_broken(sandbox: SandboxHandle, inventory: dict[str, Any]) -> None:
    sandbox.set_blocklisted("multi.surbl.org", DOMAIN, "127.0.0.64")
    assert sandbox.publish(DOMAIN, f"autodiscover.{DOMAIN}", "CNAME", ["autodiscover.elsewhere.example."]) == 0
    try:
        found = collect(sandbox, inventory)
    finally:
        sandbox.set_blocklisted("multi.surbl.org", DOMAIN, None)
        sandbox.publish(DOMAIN, f"autodiscover.{DOMAIN}", "CNAME", ["autodiscover.outlook.com."])
    assert found["multi.surbl.org"][0] == "worn"
    level, detail = found[f"record:autodiscover.{DOMAIN} CNAME"]
    assert level == "broken" and "autodiscover.elsewhere.example" in detail and "autodiscover.outlook.com" in detail
    assert found["autodiscover"][0] == "broken"
