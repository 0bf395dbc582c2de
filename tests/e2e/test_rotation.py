"""The operator's rotation workflow through the real engine and the `coldfleet` CLI, on the shared sandbox.

One stack, one module-scoped project directory, tests run in file order and build on each other:
up → reorder (stable identity) → rotate (retire one, add one) → mass-delete guard → drift repair → destroy.
After each step the doubles (through our own clients) and BIND (through dnspython) are asked what they hold.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dns.query
import dns.tsigkeyring
import dns.update
import pytest
import yaml
from pulumi.automation import events

from cli.engine import REPO_ROOT, open_stack, target
from providers.clients.graph import GraphClient
from providers.clients.registrar import registrar_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

A, B, C, D = "alpha-outreach.com", "bravo-outreach.com", "charlie-outreach.com", "delta-outreach.com"
DOMAIN_TYPES = ("SendingDomain", "M365Tenant", "AuthRecords", "DomainMailboxes", "WebRecords")  # one each per domain
# Shared between the ordered tests of this module (inventory snapshots by step).
STATE: dict[str, Any] = {}


# -- helpers -------------------------------------------------------------------------------------------------------

def run(project: Path, sandbox: Any, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLDFLEET_SANDBOX_DIR": str(sandbox.dir)}
    env.pop("PULUMI_BACKEND_URL", None)
    env.pop("COLDFLEET_ALLOW_MASS_DELETE", None)
    cmd = [sys.executable, "-m", "cli", *args, "--project-dir", str(project)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if ok and proc.returncode != 0:
        raise AssertionError(f"coldfleet {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def write_fleet(project: Path, domains: list[dict[str, str]]) -> None:
    """The sample stack file with its encryption salt and settings file (the project's copy names the session's
    sandbox), our own domains and two mailboxes each."""
    sample = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())
    fleet = copy.deepcopy(sample["config"]["coldfleet:fleet"])
    fleet["defaults"]["mailboxes"] = 2
    fleet["domains"] = domains
    stack = {
        "encryptionsalt": sample["encryptionsalt"],
        "config": {"coldfleet:settingsFile": sample["config"]["coldfleet:settingsFile"], "coldfleet:fleet": fleet},
    }
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))


def active(*names: str) -> list[dict[str, str]]:
    return [{"name": n, "status": "active"} for n in names]


def outputs(project: Path, sandbox: Any) -> dict[str, Any]:
    return dict(json.loads(run(project, sandbox, "outputs", "--stack", "dev", "--show-secrets").stdout))


def export_emails(project: Path, sandbox: Any) -> set[str]:
    text = run(project, sandbox, "outputs", "--stack", "dev", "--show-secrets", "export_csv").stdout
    return {row["Email"] for row in csv.DictReader(io.StringIO(text.strip() + "\n"))}


def world_snapshot(sandbox: Any) -> dict[str, Any]:
    """Everything a write could change: the world (minus tokens, which reads mint), each double's state, the zones."""
    state = sandbox.admin_state()
    world = {k: v for k, v in state["world"].items() if k != "tokens"}
    return {"world": world, "doubles": state.get("state"), "zones": state.get("zones")}


def records_of(sandbox: Any, domain: str) -> dict[str, list[str]]:
    names = {
        "MX": domain, "TXT": domain, "CNAME": f"autodiscover.{domain}",
        "_dmarc": f"_dmarc.{domain}", "s1": f"selector1._domainkey.{domain}", "s2": f"selector2._domainkey.{domain}",
    }
    types = {"MX": "MX", "TXT": "TXT", "CNAME": "CNAME", "_dmarc": "TXT", "s1": "CNAME", "s2": "CNAME"}
    return {key: sandbox.dns_query(name, types[key]) for key, name in names.items()}


def preview_events(project: Path, sandbox: Any) -> list[tuple[str, str, str]]:
    """(op, short type, name) of every resource step of an in-process preview (the engine's structured events)."""
    seen: list[tuple[str, str, str]] = []

    def on_event(event: events.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is None:
            return
        urn = pre.metadata.urn
        parts = urn.split("::")
        seen.append((pre.metadata.op.value, parts[-2].split("$")[-1].rsplit(":", 1)[-1], parts[-1]))

    os.environ["COLDFLEET_SANDBOX_DIR"] = str(sandbox.dir)
    os.environ.pop("COLDFLEET_ALLOW_MASS_DELETE", None)
    stack = open_stack(target("dev", project), extra_env={"COLDFLEET_SANDBOX_DIR": str(sandbox.dir)})
    stack.preview(on_event=on_event)
    return seen


def assert_domain_live(sandbox: Any, inventory: dict[str, Any], domain: str) -> None:
    entry = inventory[domain]
    graph = GraphClient(sandbox.settings, entry["tenant_id"])
    found = graph.get_domain(domain)
    assert found is not None and found.is_verified
    assert len(entry["mailboxes"]) == 2
    for box in entry["mailboxes"]:
        user = graph.find_user(box["email"])
        assert user is not None and user.account_enabled, box["email"]
    recs = records_of(sandbox, domain)
    assert recs["MX"] and recs["CNAME"] and recs["s1"] and recs["s2"]
    assert len(recs["_dmarc"]) == 1 and recs["_dmarc"][0].startswith("v=DMARC1; p=quarantine")


def assert_domain_gone(sandbox: Any, entry: dict[str, Any], domain: str) -> None:
    """Mailboxes, records and the tenant domain gone; the zone and the registration stay."""
    graph = GraphClient(sandbox.settings, entry["tenant_id"])
    for box in entry["mailboxes"]:
        assert graph.find_user(box["email"]) is None, box["email"]
    assert graph.get_domain(domain) is None
    recs = records_of(sandbox, domain)
    assert recs["MX"] == [] and recs["_dmarc"] == [] and recs["s1"] == [] and recs["CNAME"] == []
    assert not any(v.startswith("MS=") or v.startswith("v=spf1") for v in recs["TXT"])
    assert sandbox.dns_query(domain, "SOA")
    assert registrar_for(sandbox.settings, "namecom").get(domain) is not None


# -- the workflow --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def project(sandbox: Any, project_dir: Path) -> Path:
    sandbox.set_mailbox_delay(0.2)
    write_fleet(project_dir, active(A, B, C))
    return project_dir


def test_1_up_then_preview_has_no_changes(sandbox: Any, project: Path) -> None:
    run(project, sandbox, "up", "--stack", "dev", "--yes")
    inventory = outputs(project, sandbox)["inventory"]
    assert sorted(inventory) == [A, B, C]
    for domain in (A, B, C):
        assert_domain_live(sandbox, inventory, domain)
    STATE["inventory1"] = inventory
    run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes")


def test_2_reordering_domains_changes_nothing(sandbox: Any, project: Path) -> None:
    write_fleet(project, active(C, A, B))
    before = world_snapshot(sandbox)
    counts_before = sandbox.admin_state()["requests"]
    proc = run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes")
    assert "unchanged" in proc.stdout
    # Preview makes no API writes: the dynamic providers' diff is offline, so no request reaches a double at all
    # (the counters cannot tell reads from writes), and the world state is unchanged.
    assert sandbox.admin_state()["requests"] == counts_before
    assert world_snapshot(sandbox) == before


def test_3_rotation_creates_only_the_new_domain(sandbox: Any, project: Path) -> None:
    write_fleet(project, [{"name": A, "status": "retiring"}, *active(B, C, D)])
    before, counts_before = world_snapshot(sandbox), sandbox.admin_state()["requests"]

    steps = preview_events(project, sandbox)
    creates = sorted((kind, name) for op, kind, name in steps if op == "create")
    d_boxes = sorted(("Mailbox", f"{D}/{m}") for m in ("anna", "marco"))
    assert creates == sorted([(kind, D) for kind in DOMAIN_TYPES] + d_boxes)
    assert not [s for s in steps if s[0] in ("replace", "create-replacement", "delete-replaced", "delete",
                                               "discard", "discard-replaced", "remove-pending-replace")]
    # Retiring A is an export-only change: every one of its resources is `same`.
    a_steps = {(op, kind) for op, kind, name in steps if name == A or name.startswith(f"{A}/")}
    assert a_steps == {("same", kind) for kind in (*DOMAIN_TYPES, "Mailbox")}
    assert not [s for s in steps if s[0] == "update" and s[1] in (*DOMAIN_TYPES, "Mailbox")]

    summary = project / "rotation-summary.md"
    proc = run(project, sandbox, "preview", "--stack", "dev", "--summary", str(summary))
    markdown = summary.read_text()
    assert world_snapshot(sandbox) == before  # neither preview wrote anything
    assert sandbox.admin_state()["requests"] == counts_before
    assert f"| `{D}` | added | 2 created |" in markdown
    assert "AuthRecords create" in markdown and "WebRecords create" in markdown
    assert f"Lifecycle: `{A}` active → retiring" in markdown  # a status move with no resource change
    assert f"`{B}`" not in markdown and f"`{C}`" not in markdown
    assert f"- `{D}` mailboxes create: anna, marco" in markdown
    assert "7 to create" in proc.stdout  # 3 domain resources, 2 mailboxes, its DomainMailboxes and WebRecords

    run(project, sandbox, "up", "--stack", "dev", "--yes")
    inventory = outputs(project, sandbox)["inventory"]
    assert sorted(inventory) == [A, B, C, D]
    assert inventory[A]["status"] == "retiring"
    for domain in (A, D):  # D provisioned, A's mailboxes still there for replies
        assert_domain_live(sandbox, inventory, domain)
    emails = export_emails(project, sandbox)
    a_emails = {b["email"] for b in inventory[A]["mailboxes"]}
    d_emails = {b["email"] for b in inventory[D]["mailboxes"]}
    assert not emails & a_emails
    assert d_emails <= emails
    assert emails == {b["email"] for dom in (B, C, D) for b in inventory[dom]["mailboxes"]}
    STATE["inventory3"] = inventory


def test_4_mass_delete_is_refused_then_allowed(sandbox: Any, project: Path) -> None:
    inventory = STATE["inventory3"]
    write_fleet(project, active(C, D))  # A (retiring) and B (active) at once: 4 of 8 mailboxes
    before = world_snapshot(sandbox)
    proc = run(project, sandbox, "up", "--stack", "dev", "--yes", ok=False)
    assert proc.returncode != 0
    assert "coldfleet:allowMassDelete" in proc.stdout + proc.stderr
    assert "4 of 8 mailboxes" in proc.stdout + proc.stderr
    assert world_snapshot(sandbox) == before  # nothing deleted (nor written)
    for domain in (A, B):
        assert_domain_live(sandbox, inventory, domain)

    run(project, sandbox, "up", "--stack", "dev", "--yes", "--allow-mass-delete")
    for domain in (A, B):
        assert_domain_gone(sandbox, inventory[domain], domain)
    after = outputs(project, sandbox)["inventory"]
    assert sorted(after) == [C, D]
    for domain in (C, D):
        assert_domain_live(sandbox, after, domain)
    run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes")


def test_5_drift_is_found_by_refresh_and_repaired_by_up(sandbox: Any, project: Path) -> None:
    entry = STATE["inventory3"][C]
    graph = GraphClient(sandbox.settings, entry["tenant_id"])
    email = entry["mailboxes"][0]["email"]
    user = graph.find_user(email)
    assert user is not None
    graph.delete_user(user.id)  # soft delete, as in Entra: the user sits in deleted items for 30 days
    STATE["deleted_user"] = (entry["tenant_id"], user.id)
    assert graph.find_user(email) is None

    info = sandbox.info["dns"]
    keyring = dns.tsigkeyring.from_text({info["tsig_key_name"]: info["tsig_secret"]})
    update = dns.update.Update(C, keyring=keyring, keyalgorithm=info.get("tsig_algorithm", "hmac-sha256"))
    update.replace("_dmarc", 300, "TXT", '"v=DMARC1; p=none"')
    response = dns.query.tcp(update, info["server"], port=int(info["port"]), timeout=5)
    assert response.rcode() == 0
    assert sandbox.dns_query(f"_dmarc.{C}", "TXT") == ["v=DMARC1; p=none"]

    run(project, sandbox, "refresh", "--stack", "dev", "--yes")
    proc = run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes", ok=False)
    assert proc.returncode != 0  # the drift shows as changes
    steps = preview_events(project, sandbox)
    assert ("create", "Mailbox", f"{C}/{email.split('@')[0]}") in steps
    assert ("update", "AuthRecords", C) in steps

    run(project, sandbox, "up", "--stack", "dev", "--yes")
    user = graph.find_user(email)
    assert user is not None and user.account_enabled
    dmarc = sandbox.dns_query(f"_dmarc.{C}", "TXT")
    assert len(dmarc) == 1 and dmarc[0].startswith("v=DMARC1; p=quarantine")
    run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes")


def test_6_destroy_leaves_zones_and_registrations(sandbox: Any, project: Path) -> None:
    inventory = outputs(project, sandbox)["inventory"]
    # The mailbox deleted out of band in step 5 still holds C in deleted items: the tenant domain cannot go, and
    # destroy says what to do (the provider purges only the users it deletes itself).
    proc = run(project, sandbox, "destroy", "--stack", "dev", "--yes", ok=False)
    assert proc.returncode != 0
    assert "purgeDeletedUsers" in proc.stdout and "deleted object" in proc.stdout
    tenant_id, user_id = STATE["deleted_user"]
    GraphClient(sandbox.settings, tenant_id).purge_deleted_user(user_id)  # the operator follows the hint
    run(project, sandbox, "destroy", "--stack", "dev", "--yes")
    for domain in (C, D):
        assert_domain_gone(sandbox, inventory[domain], domain)
