"""The pull-request preview / drift workflow is valid GitHub Actions, as actionlint sees it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from cli.engine import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "coldfleet.yml"


def _actionlint() -> str:
    found = shutil.which("actionlint") or str(Path.home() / ".cache" / "coldfleet" / "tools" / "actionlint")
    assert Path(found).exists(), "actionlint missing: scripts/bootstrap.sh builds it"
    return found


def test_actionlint_accepts_the_workflow() -> None:
    proc = subprocess.run([_actionlint(), str(WORKFLOW)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflow_previews_per_stack_and_checks_drift() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    jobs = flow["jobs"]
    preview_steps = " ".join(step.get("run", "") for step in jobs["preview"]["steps"])
    assert "preview --stack" in preview_steps and "--summary" in preview_steps
    drift_steps = " ".join(step.get("run", "") for step in jobs["drift"]["steps"])
    assert "refresh" in drift_steps and "--expect-no-changes" in drift_steps
    assert flow[True]["schedule"]  # PyYAML reads the `on:` key as True
