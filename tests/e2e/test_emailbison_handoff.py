"""The EmailBison hand-off through the real engine and the `coldfleet` CLI, on the shared sandbox.

One stack on the password path (SMTP AUTH on), `defaults.sequencer: emailbison`, the api-user token in its config as
a secret and the instance endpoint from the sandbox's settings file; tests run in file order: up (EmailBison holds
exactly the live mailboxes, connected, the active ones at the ramp's limit, the retiring one's paused at a limit of
0) → rotation (the retired accounts are gone, the retiring paused, nothing left to change) → `coldfleet export
--format emailbison` (mode 0600, the bulk CSV's columns, no password printed) → destroy (EmailBison emptied). The
double is asked through our own client.
"""

from __future__ import annotations

import copy
import csv
import io
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
from components.export import EMAILBISON_HEADER
from providers.clients.sequencers import RemoteAccount, client_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

A, B, C = "alpha-bison.com", "bravo-bison.com", "charlie-bison.com"
OURS = (A, B, C)


def run(project: Path, sandbox: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLDFLEET_SANDBOX_DIR": str(sandbox.dir)}
    env.pop("PULUMI_BACKEND_URL", None)
    env.pop("COLDFLEET_ALLOW_MASS_DELETE", None)
    cmd = [sys.executable, "-m", "cli", *args, "--project-dir", str(project)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"coldfleet {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def write_fleet(project: Path, sandbox: Any, domains: list[dict[str, str]]) -> None:
    sample = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    settings = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]["coldfleet:settingsFile"]
    fleet = copy.deepcopy(sample["config"]["coldfleet:fleet"])
    fleet["defaults"].update(mailboxes=2, sending="password", sequencer="emailbison")
    fleet["domains"] = domains
    stack_file = {"encryptionsalt": sample["encryptionsalt"],
                  "config": {"coldfleet:settingsFile": settings, "coldfleet:fleet": fleet}}
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack_file, sort_keys=False))
    stack = open_stack(target("dev", project), extra_env={"COLDFLEET_SANDBOX_DIR": str(sandbox.dir)})
    token = sandbox.credentials["emailbison_api_key"]
    stack.set_config("coldfleet:emailbisonApiKey", auto.ConfigValue(value=token, secret=True))
    assert token not in (project / "Pulumi.dev.yaml").read_text()


def held(sandbox: Any) -> dict[str, RemoteAccount]:
    settings = replace(sandbox.settings, emailbison_api_key=sandbox.credentials["emailbison_api_key"])
    client = client_for(settings, "emailbison")
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
                                       {"name": C, "status": "retiring"}])
    return project_dir


def test_1_up_hands_every_live_mailbox_to_emailbison(sandbox: Any, project: Path) -> None:
    run(project, sandbox, "up", "--stack", "dev", "--yes")
    accounts = held(sandbox)
    assert set(accounts) == boxes(A, B, C)
    assert all(a.problem is None for a in accounts.values())  # the connection test passed (SMTP AUTH on)
    assert {e for e, a in accounts.items() if a.paused} == boxes(C)  # retiring: daily limit 0
    assert all(accounts[e].daily_limit == 5 for e in boxes(A, B))  # the ramp's start
    run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes")


def test_2_rotation_removes_retired_and_pauses_retiring(sandbox: Any, project: Path) -> None:
    write_fleet(project, sandbox, [{"name": A, "status": "active"}, {"name": B, "status": "retiring"},
                                   {"name": C, "status": "retired"}])
    run(project, sandbox, "up", "--stack", "dev", "--yes", "--allow-mass-delete")
    accounts = held(sandbox)
    assert set(accounts) == boxes(A, B)
    assert {e for e, a in accounts.items() if a.paused} == boxes(B)
    assert all(accounts[e].daily_limit == 5 for e in boxes(A))
    run(project, sandbox, "preview", "--stack", "dev", "--expect-no-changes")


def test_3_export_is_the_bulk_csv_mode_0600(sandbox: Any, project: Path, tmp_path: Path) -> None:
    out = tmp_path / "emailbison.csv"
    proc = run(project, sandbox, "export", "--stack", "dev", "--format", "emailbison", "--out", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text()
    assert text.splitlines()[0] == ",".join(EMAILBISON_HEADER)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["Email"] for r in rows} == boxes(A) and all(len(r["Password"]) > 8 for r in rows)
    assert all(r["Password"] not in proc.stdout + proc.stderr for r in rows)
    assert "/api/sender-emails/bulk" in proc.stderr and "sender's responsibility" in proc.stderr


def test_4_destroy_empties_emailbison(sandbox: Any, project: Path) -> None:
    run(project, sandbox, "destroy", "--stack", "dev", "--yes", "--allow-mass-delete")
    assert held(sandbox) == {}
