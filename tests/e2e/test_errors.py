"""What a user sees when something goes wrong, and what providers say, through the real engine and `coldfleet`.

A refused spec inside the program, a failed API call (the sandbox's fault knobs), provider warnings and progress.
Its own stack and domain (`oops-outreach.com`), so the other e2e modules' worlds stay as they expect.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.engine import REPO_ROOT, open_stack, target
from cli.report import EngineReport

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DOMAIN = "oops-outreach.com"
STACK = "dev"


def coldfleet(project: Path, sandbox_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLDFLEET_SANDBOX_DIR": str(sandbox_dir)}
    env.pop("PULUMI_BACKEND_URL", None)
    cmd = [sys.executable, "-m", "cli", *args, "--project-dir", str(project)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def write_stack(project: Path, sandbox_dir: Path, **tenant: Any) -> None:
    """The sample stack with one domain of one mailbox, pointed at the test's sandbox through its settings file."""
    document = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    config = document["config"]
    config.pop("coldfleet:sandbox", None)
    config["coldfleet:settingsFile"] = str(sandbox_dir / "settings.json")
    fleet = config["coldfleet:fleet"]
    fleet["client"] = "oops"
    fleet["domains"] = [{"name": DOMAIN, "status": "active", "mailboxes": 1}]
    fleet["tenant"].update(tenant)
    (project / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "engine reported a failure" not in proc.stderr


def test_a_refused_spec_in_the_program_is_one_message_without_traceback(sandbox: Any, project_dir: Path) -> None:
    """The engine path (as plain `pulumi up` takes it): the program's RunError, not a Python traceback."""
    write_stack(project_dir, sandbox.dir)
    raw = yaml.safe_load((project_dir / f"Pulumi.{STACK}.yaml").read_text())
    raw["config"]["coldfleet:fleet"]["domains"][0]["mailboxes"] = 1000
    (project_dir / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    lines: list[str] = []
    report = EngineReport(verbose=False, echo=lines.append)
    stack = open_stack(target(STACK, project_dir), extra_env={"COLDFLEET_SANDBOX_DIR": str(sandbox.dir)})
    with pytest.raises(Exception, match="mailboxes"):
        stack.preview(on_output=report.on_output, on_event=report.on_event)
    failures = report.failures()
    assert len(failures) == 1 and failures[0].count("domains[0].mailboxes") == 1, failures
    assert "Traceback" not in failures[0] and "Traceback" not in "\n".join(lines)


def test_a_failed_api_call_is_one_line_per_resource(sandbox: Any, project_dir: Path) -> None:
    write_stack(project_dir, sandbox.dir)
    for double in ("namecom", "partner_center"):
        sandbox.set_faults(double, p503=1.0)
    proc = coldfleet(project_dir, sandbox.dir, "up", "--stack", STACK, "--yes")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    no_traceback(proc)
    assert proc.stderr.count("error: ") == 1 and "up failed" in proc.stderr, proc.stderr
    listed = proc.stdout.split("\nErrors:\n", 1)[1].split("\n\n", 1)[0]
    errors = [line.strip() for line in listed.splitlines()]
    assert len(errors) == len(set(errors)) >= 1, proc.stdout
    for line in errors:  # the resource, the API and its code
        assert DOMAIN in line and "503" in line, line
        assert "namecom" in line.lower() or "partner" in line.lower(), line


def test_provider_warnings_and_progress_reach_the_user(sandbox: Any, project_dir: Path) -> None:
    sandbox.reset_faults()
    write_stack(project_dir, sandbox.dir)
    made = coldfleet(project_dir, sandbox.dir, "--verbose", "up", "--stack", STACK, "--yes")
    assert made.returncode == 0, made.stdout + made.stderr
    assert "info: providers.mailbox.create: create" in made.stdout  # progress, with --verbose
    write_stack(project_dir, sandbox.dir, company_name="Oops Renamed GmbH")
    changed = coldfleet(project_dir, sandbox.dir, "up", "--stack", STACK, "--yes")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert "warning: providers.m365_tenant.provider: update" in changed.stdout  # warnings always
    assert "info: providers." not in changed.stdout  # progress only with --verbose
    gone = coldfleet(project_dir, sandbox.dir, "destroy", "--stack", STACK, "--yes")
    assert gone.returncode == 0, gone.stdout + gone.stderr
