"""A deployed-looking fleet in the sandbox for the health collectors' tests: a Partner Center customer, a custom domain
verified through Graph, licensed mailboxes on it, and the spec + inventory + context a health run would hold.

Set-up goes through the doubles' raw HTTP APIs as an admin would (tests.providers.clients.helpers); the collectors
under test then use the real clients."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from components.health.collect import HealthContext
from components.spec import FleetSpec, load_spec
from providers.clients.partner_center import Address, Customer, PartnerCenterClient
from sandbox.handle import SandboxHandle
from tests.components.conftest import SAMPLE
from tests.providers.clients.helpers import licensed_mailbox, verified_domain

ADDRESS = Address(first_name="A", last_name="B", address_line1="1 Main St", city="Seattle", state="WA",
                  postal_code="98101", country="US")
TODAY = date(2026, 12, 2)


def new_customer(sandbox: SandboxHandle, seats: int = 2) -> Customer:
    pc = PartnerCenterClient(sandbox.settings)
    created = pc.create_customer(prefix="hm" + uuid.uuid4().hex[:10], company_name="Health Test",
                                 email="ops@example.test", culture="en-US", language="en",
                                 request_id=str(uuid.uuid4()), address=ADDRESS)
    pc.accept_mca(created.id, first_name="A", last_name="B", email="a@example.test")
    pc.buy(created.id, pc.catalog_item("CFQ7TTC0LH16", "0001", "US"), seats)
    return created


def add_mailbox(sandbox: SandboxHandle, tenant_id: str, upn: str) -> str:
    """A licensed user whose mailbox exists at once; returns its object id."""
    return licensed_mailbox(sandbox, tenant_id, upn)


def spec_for(domain: str, *, checked: bool = True, **defaults: Any) -> FleetSpec:
    """The sample spec with `domain` as its one active domain; `checked=False` skips the rules spanning fields (for
    plans the spec's own TERRL rule would refuse up front)."""
    raw = copy.deepcopy(SAMPLE)
    raw["domains"] = [{"name": domain, "status": "active"}]
    raw["spares"] = []
    raw["defaults"].update(defaults)
    return load_spec(raw) if checked else FleetSpec.model_validate(raw)


@dataclass
class Fleet:
    customer: Customer
    domain: str
    users: dict[str, str]  # address -> user id

    def inventory(self, tenant_id: str | None = None) -> dict[str, Any]:
        return {self.domain: {"status": "active", "tenant_id": tenant_id or self.customer.tenant_id,
                              "mailboxes": [{"email": e, "daily_limit": 5} for e in self.users]}}

    def context(self, sandbox: SandboxHandle, spec: FleetSpec | None = None, *, tenant_id: str | None = None,
                options: dict[str, str] | None = None) -> HealthContext:
        return HealthContext(stack="dev", spec=spec or spec_for(self.domain), settings=sandbox.settings,
                             inventory=self.inventory(tenant_id), today=TODAY, options=options or {})


def new_fleet(sandbox: SandboxHandle, customer: Customer, mailboxes: int = 2) -> Fleet:
    domain = verified_domain(sandbox, customer.tenant_id)
    users = {}
    for n in range(mailboxes):
        address = f"box{n}@{domain}"
        users[address] = add_mailbox(sandbox, customer.tenant_id, address)
    return Fleet(customer, domain, users)
