"""The sequencer hand-off through the real engine and the `coldfleet` CLI, on the shared sandbox.

One stack on the password path (SMTP AUTH on) with the Instantly API key in its config as a secret; tests run in
file order: up (Instantly holds exactly the live mailboxes, the active ones at the ramp's limit, the retiring one's
paused) → rotation (one domain retiring, the retiring one retired: the retired accounts are gone, the
retiring paused) → `coldfleet export` (mode 0600, the sequencer's headers) → switch to Smartlead (Instantly
emptied, Smartlead holds the live ones) → destroy. The doubles are asked through our own clients.
"""

from __future__ import annotations

import copy
import csv
import io
import logging
import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from cli.engine import REPO_ROOT, open_stack, target
from components.export import SMARTLEAD_HEADER
from providers.clients.sequencers import RemoteAccount, client_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
log = logging.getLogger(__name__)

A, B, C = "alpha-handoff.com", "bravo-handoff.com", "charlie-handoff.com"
OURS = (A, B, C)


def run(project: Path, sandbox: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLDFLEET_SANDBOX_DIR": str(sandbox.dir)}
    env.pop("PULUMI_BACKEND_URL", None)
    env.pop("COLDFLEET_ALLOW_MASS_DELETE", None)
    cmd = [sys.executable, "-m", "cli", *args, "--project-dir", str(project)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"coldfleet {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def write_fleet(project: Path, sandbox: Any, domains: list[dict[str, str]], sequencer: str) -> None:
    """The sample stack with our domains, two mailboxes each, the password path and `sequencer`, and the sequencers'
    API keys set as secrets in the stack config (through the engine, so the stack file holds only ciphertext)."""
    sample = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    settings = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]["coldfleet:settingsFile"]
    fleet = copy.deepcopy(sample["config"]["coldfleet:fleet"])
    fleet["defaults"].update(mailboxes=2, sending="password", sequencer=sequencer)
    fleet["domains"] = domains
    stack_file = {"encryptionsalt": sample["encryptionsalt"],
                  "config": {"coldfleet:settingsFile": settings, "coldfleet:fleet": fleet}}
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack_file, sort_keys=False))
    stack = open_stack(target("dev", project), extra_env={"COLDFLEET_SANDBOX_DIR": str(sandbox.dir)})
    # Both keys: a switch deletes the old sequencer's accounts, which needs its key until that `up` is done.
    for kind in ("instantly", "smartlead"):
        key = sandbox.credentials[f"{kind}_api_key"]
        stack.set_config(f"coldfleet:{kind}ApiKey", auto.ConfigValue(value=key, secret=True))
        assert key not in (project / "Pulumi.dev.yaml").read_text()


def held(sandbox: Any, kind: str) -> dict[str, RemoteAccount]:
    settings = replace(sandbox.settings, instantly_api_key=sandbox.credentials["instantly_api_key"],
                       smartlead_api_key=sandbox.credentials["smartlead_api_key"])
    client = client_for(settings, kind)
    try:
        return {e: a for e, a in client.list_accounts().items() if e.rpartition("@")[2] in OURS}
    finally:
        client.close()


def boxes(*domains: str) -> set[str]:
    return {f"{local}@{d}" for d in domains for local in ("anna", "marco")}


@pytest.fixture(scope="module")
def project(sandbox: Any, project_dir: Path) -> Path:
    sandbox.set_mailbox_delay(0.2)
    write_fleet(project_dir, sandbox, [{"name": A, "status": "active"}, {"name": B, "status": "active"},
                                       {"name": C, "status": "retiring"}], "instantly")
    return project_dir


def test_1_up_hands_every_live_mailbox_to_instantly(sandbox: Any, project: Path) -> None:
    run(project, sandbox, "up", "--stack", "dev", "--yes")
    accounts = held(sandbox, "instantly")
    assert set(accounts) == boxes(A, B, C)
    assert all(a.problem is None for a in accounts.values())
    assert {e for e, a in accounts.items() if a.paused} == boxes(C)  # retiring: kept for replies, paused
    assert all(accounts[e].daily_limit == 5 for e in boxes(A, B))  # the ramp's start
    run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes")


def test_2_rotation_removes_retired_and_pauses_retiring(sandbox: Any, project: Path) -> None:
    write_fleet(project, sandbox, [{"name": A, "status": "active"}, {"name": B, "status": "retiring"},
                                   {"name": C, "status": "retired"}], "instantly")
    proc = run(project, sandbox, "preview", "--stack", "dev", "--diff", "--allow-mass-delete")
    assert "SequencerAccounts" in proc.stdout and f"anna@{C}" in proc.stdout  # the diff names the accounts
    log.info("preview --diff (rotation):\n%s", proc.stdout)  # --log-cli-level=INFO shows it (the README quotes it)
    run(project, sandbox, "up", "--stack", "dev", "--yes", "--allow-mass-delete")
    accounts = held(sandbox, "instantly")
    assert set(accounts) == boxes(A, B)
    assert {e for e, a in accounts.items() if a.paused} == boxes(B)
    run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes")


@pytest.mark.parametrize(("fmt", "header"), [("smartlead", SMARTLEAD_HEADER), ("instantly", None)])
def test_3_export_file_is_0600_with_the_sequencers_headers(sandbox: Any, project: Path, tmp_path: Path,
                                                           fmt: str, header: tuple[str, ...] | None) -> None:
    out = tmp_path / f"{fmt}.csv"
    proc = run(project, sandbox, "export", "--stack", "dev", "--format", fmt, "--out", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    text = out.read_text().splitlines()[0]
    if header is not None:
        assert text == ",".join(header)
        assert {r["from_email"] for r in rows} == boxes(A) and all(r["password"] for r in rows)
    else:
        assert text.startswith("Email,First Name,Last Name,IMAP Username,IMAP Password")
        assert {r["Email"] for r in rows} == boxes(A) and all(r["SMTP Password"] for r in rows)
    assert "sender's responsibility" in proc.stderr
    log.info("export %s:\n%s%s%s", fmt, proc.stdout, proc.stderr, text)
    secrets = [str(r.get("password") or r.get("SMTP Password")) for r in rows]
    assert all(len(p) > 8 and p not in proc.stdout + proc.stderr for p in secrets)


def test_4_switching_to_smartlead_moves_the_accounts(sandbox: Any, project: Path) -> None:
    write_fleet(project, sandbox, [{"name": A, "status": "active"}, {"name": B, "status": "retiring"}], "smartlead")
    run(project, sandbox, "up", "--stack", "dev", "--yes")
    assert held(sandbox, "instantly") == {}
    accounts = held(sandbox, "smartlead")
    assert set(accounts) == boxes(A, B)
    assert {e for e, a in accounts.items() if a.paused} == boxes(B)
    assert all(accounts[e].daily_limit == 5 for e in boxes(A))
    run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes")


def test_5_destroy_empties_the_sequencer(sandbox: Any, project: Path) -> None:
    run(project, sandbox, "destroy", "--stack", "dev", "--yes", "--allow-mass-delete")
    assert held(sandbox, "smartlead") == {}
