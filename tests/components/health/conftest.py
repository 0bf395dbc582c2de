"""A domain published at the sandbox's BIND as AuthRecords publishes it, and the health context that reads it."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from components.health.collect import HealthContext
from components.spec import load_spec
from providers.config import Settings
from providers.dmarc import build_dmarc, build_spf
from sandbox.handle import SandboxHandle

TODAY = date(2026, 12, 2)


def quoted(rdtype: str, value: str) -> str:
    """Zone-file text for an update: TXT quoted, names absolute."""
    if rdtype == "TXT":
        return '"' + value.replace('"', '\\"') + '"'
    return value if value.endswith(".") or rdtype not in ("CNAME", "MX") else value + "."


@dataclass
class Published:
    """One test domain: its zone at BIND and the inventory entry saying what coldfleet published there."""

    sandbox: SandboxHandle
    domain: str
    records: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def publish(self, name: str, rdtype: str, values: list[str], *, inventory: bool = True) -> None:
        """Serve `values` at BIND; with `inventory` also record them as what coldfleet published."""
        assert self.sandbox.publish(self.domain, name, rdtype, [quoted(rdtype, v) for v in values]) == 0
        if inventory:
            self.records[(name, rdtype)] = list(values)

    def serve(self, name: str, rdtype: str, values: list[str]) -> None:
        """Change what BIND serves without changing what coldfleet published (drift)."""
        self.publish(name, rdtype, values, inventory=False)

    @property
    def selector_targets(self) -> list[str]:
        return [self.records[(f"selector{i}._domainkey.{self.domain}", "CNAME")][0] for i in (1, 2)]

    def inventory(self) -> dict[str, Any]:
        records = [{"name": n, "type": t, "values": v} for (n, t), v in self.records.items()]
        return {self.domain: {"status": "active", "records": records}}

    def context(self, raw: Mapping[str, Any], *, today: date = TODAY, options: Mapping[str, str] | None = None,
                settings: Settings | None = None, since: str | None = "2026-11-01", registrar: str = "namecom",
                ) -> HealthContext:
        spec_raw = copy.deepcopy(dict(raw))
        spec_raw["registrar"] = registrar
        spec_raw["domains"] = [{"name": self.domain, "status": "active", **({"since": since} if since else {})}]
        spec_raw["spares"] = []
        return HealthContext(stack="test", spec=load_spec(spec_raw), settings=settings or self.sandbox.settings,
                             inventory=self.inventory(), today=today, options=dict(options or {}))


def publish_domain(sandbox: SandboxHandle, domain: str | None = None) -> Published:
    domain = domain or f"hd-{secrets.token_hex(4)}.com"
    sandbox.add_zone(domain)
    dashed = domain.replace(".", "-")
    world = Published(sandbox, domain)
    world.publish(domain, "TXT", [f"MS=ms{secrets.randbelow(10**8):08d}", build_spf()])
    world.publish(domain, "MX", [f"0 {dashed}.mail.protection.outlook.com"])
    world.publish(f"autodiscover.{domain}", "CNAME", ["autodiscover.outlook.com"])
    world.publish(f"_dmarc.{domain}", "TXT", [build_dmarc("quarantine", [f"mailto:dmarc@{domain}"])])
    for i in (1, 2):
        target = f"selector{i}-{dashed}._domainkey.hdtest.n-v1.dkim.mail.microsoft"
        world.publish(f"selector{i}._domainkey.{domain}", "CNAME", [target])
    return world


@pytest.fixture
def published(sandbox: SandboxHandle) -> Published:
    return publish_domain(sandbox)
