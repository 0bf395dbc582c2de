"""The scheduled rotation workflow is valid GitHub Actions (actionlint), and runs health → rotate → pull request per
client stack without ever running `up`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from cli.engine import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "rotation.yml"


def _actionlint() -> str:
    found = shutil.which("actionlint") or str(Path.home() / ".cache" / "coldfleet" / "tools" / "actionlint")
    assert Path(found).exists(), "actionlint missing: scripts/bootstrap.sh builds it"
    return found


def test_actionlint_accepts_the_rotation_workflow() -> None:
    proc = subprocess.run([_actionlint(), str(WORKFLOW)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rotation_runs_health_then_rotate_then_opens_a_pull_request() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    assert flow[True]["schedule"]  # PyYAML reads the `on:` key as True
    steps = flow["jobs"]["rotate"]["steps"]
    runs = [step.get("run", "") for step in steps]
    health = next(i for i, run in enumerate(runs) if "health --stack" in run and "--json" in run)
    rotate = next(i for i, run in enumerate(runs) if "rotate --stack" in run and "--report" in run)
    pr = next(i for i, step in enumerate(steps) if step.get("uses", "").startswith("peter-evans/create-pull-request"))
    assert health < rotate < pr
    assert "--summary" in runs[rotate] and steps[pr]["with"]["body-path"].startswith("rotation-")
    assert steps[pr]["with"]["add-paths"] == "Pulumi.${{ matrix.stack }}.yaml"
    assert not any(" up " in f" {run} " for run in runs)  # a person merges; `up` applies
    assert flow["jobs"]["rotate"]["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
