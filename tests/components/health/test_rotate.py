"""Rotation on a real stack file with comments: the plan, the in-place edit (comments, order and styles kept), dates
PyYAML and the spec loader read back, the grace period, spare promotion, worn mailboxes, what to buy."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import yaml

from components.health import rotate, spec_edit
from components.health.report import HealthReport
from components.health.verdict import DomainVerdict, MailboxVerdict
from components.spec import FleetSpec, load_spec

TODAY = date(2026, 12, 2)
STACK = """\
# Acme's stack: reviewed in pull requests.
encryptionsalt: v1:abc
config:
  coldfleet:settingsFile: ~/settings.json
  coldfleet:fleet:
    client: acme
    primary_domain: acme.com
    residency: eu
    dns:
      backend: cloudflare
    registrar: namecom
    tenant:
      mode: partner
      company_name: Acme GmbH
      address:
        first_name: Anna
        last_name: Keller
        address_line1: Hauptstrasse 1
        city: Berlin
        state: BE
        postal_code: "10115"
        country: DE
      contact: {first_name: Anna, last_name: Keller, email: anna@acme.com}
    defaults:
      mailboxes: 3
      dmarc:
        policy: quarantine
        rua: ["mailto:dmarc@acme-reports.com"]
      ramp: {start: 5, step: 2, max: 30}
    personas:
      - {first: Anna, last: Keller}
      - {first: Marco, last: Rossi}
    domains:
      # the first wave
      - {name: alpha-acme.com, status: active, since: 2026-06-01}
      - {name: bravo-acme.com, status: active}  # the good one
      - name: charlie-acme.com
        status: active
    # bought in November
    spares:
      - delta-acme.com  # cheap
      - echo-acme.com
"""


def spec_of(text: str) -> FleetSpec:
    return load_spec(yaml.safe_load(text)["config"]["coldfleet:fleet"])


def verdict(domain: str, kind: str = "healthy", boxes: tuple[MailboxVerdict, ...] = ()) -> DomainVerdict:
    return DomainVerdict(domain, "active", kind, 100 if kind == "worn" else 0, mailboxes=boxes)  # type: ignore[arg-type]


def report(*verdicts: DomainVerdict) -> HealthReport:
    return HealthReport("acme", TODAY, verdicts)


def changed(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = spec_edit.unified_diff(before, after, "f").splitlines()[2:]
    return ([line[1:] for line in diff if line.startswith("-")], [line[1:] for line in diff if line.startswith("+")])


def rotated(text: str, *verdicts: DomainVerdict, today: date = TODAY) -> tuple[rotate.RotationPlan, str]:
    plan = rotate.plan(spec_of(text), report(*verdicts), today)
    return plan, spec_edit.apply(text, plan)


def test_worn_domain_retires_and_a_spare_takes_its_place() -> None:
    plan, after = rotated(STACK, verdict("alpha-acme.com", "worn"), verdict("bravo-acme.com"))
    assert plan.lines() == ["alpha-acme.com: active → retiring (worn)", "delta-acme.com: spare → active"]
    removed, added = changed(STACK, after)
    assert removed == ["      - {name: alpha-acme.com, status: active, since: 2026-06-01}",
                       "      - delta-acme.com  # cheap"]
    retiring = '{name: alpha-acme.com, status: retiring, since: 2026-06-01, retiring_since: "2026-12-02"}'
    assert added == [f"      - {retiring}",
                     "      - name: delta-acme.com", "        status: active", '        since: "2026-12-02"']
    for kept in ("# Acme's stack", "# the first wave", "# the good one", "# bought in November"):
        assert kept in after
    spec = spec_of(after)  # PyYAML and the spec loader read the dates back as dates
    by = {d.name: d for d in spec.domains}
    assert by["alpha-acme.com"].retiring_since == TODAY and by["delta-acme.com"].since == TODAY
    assert [d.name for d in spec.domains if d.status == "active"] == ["bravo-acme.com", "charlie-acme.com",
                                                                      "delta-acme.com"]
    assert spec.spares == ["echo-acme.com"]
    assert plan.advice() is None


def test_nothing_worn_changes_nothing() -> None:
    plan, after = rotated(STACK, verdict("alpha-acme.com", "watch"))
    assert plan.empty and after == STACK and plan.lines() == []


def test_grace_period_then_retired() -> None:
    first, after = rotated(STACK, verdict("alpha-acme.com", "worn"))
    same, again = rotated(after, verdict("alpha-acme.com", "worn"), today=TODAY + timedelta(days=13))
    assert same.empty and again == after  # still in its grace period; still three active
    late, done = rotated(after, today=TODAY + timedelta(days=14))
    assert late.retired == ("alpha-acme.com",) and late.promote == ()
    assert changed(after, done) == (
        ['      - {name: alpha-acme.com, status: retiring, since: 2026-06-01, retiring_since: "2026-12-02"}'],
        ['      - {name: alpha-acme.com, status: retired, since: 2026-06-01, retiring_since: "2026-12-02"}'])


def test_grace_days_from_the_spec_and_a_retiring_domain_without_a_date() -> None:
    text = STACK.replace("status: active}  # the good one", "status: retiring}  # the good one").replace(
        "    personas:", "    rotation: {grace_days: 3}\n    personas:")
    plan, after = rotated(text)
    assert plan.start_clock == ("bravo-acme.com",)
    assert '{name: bravo-acme.com, status: retiring, retiring_since: "2026-12-02"} # the good one' in after
    plan, _ = rotated(after, today=TODAY + timedelta(days=3))
    assert plan.retired == ("bravo-acme.com",)


def test_target_active_promotes_more_and_says_what_to_buy() -> None:
    text = STACK.replace("    personas:", "    rotation:\n      target_active: 5\n    personas:")
    plan, after = rotated(text, verdict("charlie-acme.com", "worn"))
    assert plan.promote == ("delta-acme.com", "echo-acme.com") and plan.shortfall == 1
    assert plan.advice() == ("buy 1 spare domain(s) and list them under `spares`: 5 active domains wanted, "
                             "1 short after this rotation")
    spec = spec_of(after)
    assert spec.spares == [] and sum(d.status == "active" for d in spec.domains) == 4
    assert "    spares: []" in after


def test_last_spare_used_asks_for_one_more_per_watch_domain() -> None:
    text = STACK.replace("      - echo-acme.com\n", "")
    plan, _ = rotated(text, verdict("alpha-acme.com", "worn"), verdict("bravo-acme.com", "watch"))
    assert plan.promote == ("delta-acme.com",) and plan.shortfall == 0 and plan.to_buy == 1
    assert plan.advice() == "no spare domains left: buy 1 and list them under `spares` before the next rotation"


def test_worn_mailbox_is_replaced_by_its_personas_next_one() -> None:
    spec = spec_of(STACK)
    bravo = next(d for d in spec.domains if d.name == "bravo-acme.com")
    assert [m.local_part for m in spec.mailboxes(bravo)] == ["anna", "marco", "anna.keller"]
    boxes = (MailboxVerdict("anna@bravo-acme.com", "healthy", 0), MailboxVerdict("marco@bravo-acme.com", "worn", 100))
    plan, after = rotated(STACK, verdict("bravo-acme.com", "healthy", boxes))
    assert plan.lines() == ["bravo-acme.com: mailbox marco (worn) replaced by marco.rossi (this `up` deletes marco, "
                            "the next creates marco.rossi: one seat each)"]
    assert changed(STACK, after) == (
        ["      - {name: bravo-acme.com, status: active}  # the good one"],
        ["      - {name: bravo-acme.com, status: active, retired_mailboxes: [marco]} # the good one"])
    spec = spec_of(after)
    bravo = next(d for d in spec.domains if d.name == "bravo-acme.com")
    assert [m.local_part for m in spec.mailboxes(bravo)] == ["anna", "marco.rossi", "anna.keller"]
    plan, again = rotated(after, verdict("bravo-acme.com", "healthy", boxes))  # marco is gone already
    assert plan.empty and again == after


def test_mailboxes_of_a_retiring_domain_are_left_alone() -> None:
    boxes = (MailboxVerdict("marco@alpha-acme.com", "worn", 100),)
    plan, after = rotated(STACK, verdict("alpha-acme.com", "worn", boxes))
    assert plan.mailboxes == {} and "retired_mailboxes" not in after


def test_block_style_domains_get_block_style_entries() -> None:
    data: dict[str, Any] = yaml.safe_load(STACK)
    assert data["config"]["coldfleet:fleet"]["domains"][2] == {"name": "charlie-acme.com", "status": "active"}
    text = STACK.replace("      - {name: alpha-acme.com, status: active, since: 2026-06-01}\n", "")
    text = text.replace("      - {name: bravo-acme.com, status: active}  # the good one\n", "")
    plan, after = rotated(text, verdict("charlie-acme.com", "worn"))
    assert """\
      - name: charlie-acme.com
        status: retiring
        retiring_since: "2026-12-02"
      - name: delta-acme.com
        status: active
        since: "2026-12-02"
    # bought in November
    spares:
      - echo-acme.com
""" in after
