"""Day two through the real engine on the shared sandbox: up → health (the stack's own config and inventory read
through the engine, fake collectors saying one domain and one mailbox are worn) → rotate → the preview shows exactly
the retiring domain, the promoted spare and the replaced mailbox → up.

Tests run in file order and build on each other.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.automation import events

from cli.engine import REPO_ROOT, open_stack, target
from cli.health import cmd_health
from components.health.collect import HealthContext
from components.health.signals import DomainSignals, Finding
from providers.clients.graph import GraphClient

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

A, B, C = "alpha-health.com", "bravo-health.com", "charlie-health.com"
DOMAIN_TYPES = ("SendingDomain", "M365Tenant", "AuthRecords", "DomainMailboxes")
STATE: dict[str, Any] = {}


def run(project: Path, sandbox: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLDFLEET_SANDBOX_DIR": str(sandbox.dir)}
    env.pop("PULUMI_BACKEND_URL", None)
    env.pop("COLDFLEET_ALLOW_MASS_DELETE", None)
    proc = subprocess.run([sys.executable, "-m", "cli", *args, "--project-dir", str(project)], env=env,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise AssertionError(f"coldfleet {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def inventory(project: Path, sandbox: Any) -> dict[str, Any]:
    out = run(project, sandbox, "outputs", "--stack", "dev", "--show-secrets").stdout
    return dict(json.loads(out)["inventory"])


def preview_steps(project: Path, sandbox: Any) -> list[tuple[str, str, str]]:
    seen: list[tuple[str, str, str]] = []

    def on_event(event: events.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None:
            parts = pre.metadata.urn.split("::")
            seen.append((pre.metadata.op.value, parts[-2].split("$")[-1].rsplit(":", 1)[-1], parts[-1]))

    os.environ["COLDFLEET_SANDBOX_DIR"] = str(sandbox.dir)
    os.environ.pop("COLDFLEET_ALLOW_MASS_DELETE", None)
    open_stack(target("dev", project), extra_env={"COLDFLEET_SANDBOX_DIR": str(sandbox.dir)}).preview(
        on_event=on_event)
    return seen


def fake_signals(ctx: HealthContext, s: DomainSignals) -> None:
    """A listing on A, Microsoft restricting marco@B; clean otherwise. It sees the stack's real inventory."""
    assert s.domain in ctx.inventory and ctx.settings.graph_endpoint.startswith("https://127.0.0.1")
    s.add(Finding(s.domain, "dns", "spf", "ok"))
    if s.domain == A:
        s.add(Finding(A, "blocklist", "dbl.spamhaus.org", "worn", "listed (127.0.1.2)"))
    if s.domain == B:
        s.add(Finding(B, "microsoft", "restricted-sender", "worn", "blocked from sending", mailbox=f"marco@{B}"))


@pytest.fixture(scope="module")
def project(sandbox: Any, project_dir: Path) -> Path:
    sandbox.set_mailbox_delay(0.2)
    path = project_dir / "Pulumi.dev.yaml"
    text = path.read_text().replace("      mailboxes: 3\n", "      mailboxes: 2\n").replace(
        "      - {name: getacme.com, status: active}\n",
        f"      # the fleet\n      - {{name: {A}, status: active}}\n      - {{name: {B}, status: active}}\n"
        f"    # in reserve\n    spares:\n      - {C}\n")
    path.write_text(text)
    return project_dir


def test_1_up(sandbox: Any, project: Path) -> None:
    run(project, sandbox, "up", "--stack", "dev", "--yes")
    assert sorted(inventory(project, sandbox)) == [A, B]


def test_2_health_reads_the_stack_and_judges(sandbox: Any, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["COLDFLEET_SANDBOX_DIR"] = str(sandbox.dir)
    args = argparse.Namespace(stack="dev", project_dir=str(project), domain=None, json=True, markdown=None,
                              sandbox_dir=None, verbose=False)
    assert cmd_health(args, [fake_signals]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {v["domain"]: v["verdict"] for v in report["verdicts"]} == {A: "worn", B: "watch"}
    (project / "health.json").write_text(json.dumps(report))


def test_3_rotate_then_preview_shows_exactly_the_rotation(sandbox: Any, project: Path) -> None:
    out = run(project, sandbox, "rotate", "--stack", "dev", "--report", str(project / "health.json")).stdout
    assert f"{A}: active → retiring (worn)" in out and f"{C}: spare → active" in out
    assert f"{B}: mailbox marco (worn) replaced by marco.rossi" in out
    text = (project / "Pulumi.dev.yaml").read_text()
    assert "# the fleet" in text and "# in reserve" in text
    fleet = yaml.safe_load(text)["config"]["coldfleet:fleet"]
    assert [(d["name"], d["status"]) for d in fleet["domains"]] == [(A, "retiring"), (B, "active"), (C, "active")]

    steps = preview_steps(project, sandbox)
    ours = (*DOMAIN_TYPES, "Mailbox")
    changed = sorted((op, kind, name) for op, kind, name in steps if op != "same" and kind in ours)
    assert [s for s in changed if s[0] == "create"] == sorted(
        [("create", kind, C) for kind in DOMAIN_TYPES]
        + [("create", "Mailbox", f"{C}/anna"), ("create", "Mailbox", f"{C}/marco")])
    # The worn mailbox goes first: its replacement waits for the next up (one seat per mailbox in the tenant).
    assert [s for s in changed if s[0] == "delete"] == [("delete", "Mailbox", f"{B}/marco")]
    others = [s for s in changed if s[0] not in ("create", "delete")]
    assert set(others) <= {("update", "DomainMailboxes", B)}, others  # B's wait follows its mailboxes
    a_steps = {op for op, _kind, name in steps if name == A or name.startswith(f"{A}/")}
    assert a_steps == {"same"}  # retiring is an export-only change
    STATE["before_up"] = inventory(project, sandbox)


def test_4_up_applies_it(sandbox: Any, project: Path) -> None:
    run(project, sandbox, "up", "--stack", "dev", "--yes")
    after = inventory(project, sandbox)
    assert sorted(after) == [A, B, C] and after[A]["status"] == "retiring"
    assert [b["email"] for b in after[B]["mailboxes"]] == [f"anna@{B}"]
    graph = GraphClient(sandbox.settings, after[B]["tenant_id"])
    assert graph.find_user(f"marco@{B}") is None
    steps = preview_steps(project, sandbox)  # the next up creates the replacement, and that is all
    assert [s for s in steps if s[0] != "same" and s[1] == "Mailbox"] == [("create", "Mailbox", f"{B}/marco.rossi")]
    assert not [s for s in steps if s[0] != "same" and s[1] in ("SendingDomain", "M365Tenant", "AuthRecords")]
    run(project, sandbox, "up", "--stack", "dev", "--yes")
    after = inventory(project, sandbox)
    assert sorted(b["email"] for b in after[B]["mailboxes"]) == [f"anna@{B}", f"marco.rossi@{B}"]
    assert graph.find_user(f"marco.rossi@{B}") is not None
    run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes")
