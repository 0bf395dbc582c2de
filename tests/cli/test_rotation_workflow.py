"""The scheduled rotation workflow is valid GitHub Actions (actionlint), and runs health → rotate → pull request per
client stack without ever running `up`."""

from __future__ import annotations

import yaml

from tests.cli.workflows import WORKFLOWS, assert_actionlint_accepts

WORKFLOW = WORKFLOWS / "rotation.yml"


def test_actionlint_accepts_the_rotation_workflow() -> None:
    assert_actionlint_accepts(WORKFLOW)


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
