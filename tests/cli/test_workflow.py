"""The pull-request preview / drift workflow is valid GitHub Actions, as actionlint sees it."""

from __future__ import annotations

import yaml

from tests.cli.workflows import WORKFLOWS, assert_actionlint_accepts

WORKFLOW = WORKFLOWS / "coldfleet.yml"


def test_actionlint_accepts_the_workflow() -> None:
    assert_actionlint_accepts(WORKFLOW)


def test_workflow_previews_per_stack_and_checks_drift() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    jobs = flow["jobs"]
    preview_steps = " ".join(step.get("run", "") for step in jobs["preview"]["steps"])
    assert "preview --stack" in preview_steps and "--summary" in preview_steps
    drift_steps = " ".join(step.get("run", "") for step in jobs["drift"]["steps"])
    assert "refresh" in drift_steps and "--expect-no-changes" in drift_steps
    assert flow[True]["schedule"]  # PyYAML reads the `on:` key as True
