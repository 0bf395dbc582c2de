"""Errors as the user reads them: a refused spec before any engine run, one line per failed resource, no tracebacks."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from cli.engine import REPO_ROOT
from cli.main import main
from cli.report import EngineReport, failure_line

PROVIDER_TRACEBACK = """Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/pulumi/dynamic/__main__.py", line 170, in Create
    result = provider.create(props)
  File "/repo/providers/base.py", line 90, in create
    raise ProviderFailure(line) from error
providers.base.ProviderFailure: coldfleet: Mailbox anna@alpha.com: [graph 403 Authorization_RequestDenied] \
Insufficient privileges. Next: grant User.ReadWrite.All
"""
URN = ("urn:pulumi:dev::coldfleet::coldfleet:index:ColdEmailFleet$pulumi-python:dynamic/coldfleet:Mailbox"
       "::alpha.com/anna")


def _diagnostic(message: str, urn: str | None = URN, severity: str = "error") -> Any:
    return SimpleNamespace(diagnostic_event=SimpleNamespace(message=message, urn=urn, severity=severity))


def test_a_refused_spec_is_one_message_and_no_engine_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    document = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    document["config"]["coldfleet:fleet"]["domains"][0]["mailboxes"] = 1000
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document))
    code = main(["preview", "--stack", "dev", "--project-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("domains[0].mailboxes") == 1 and "Pulumi.dev.yaml" in captured.err
    assert "Traceback" not in captured.err + captured.out and "engine reported a failure" not in captured.err
    assert not (tmp_path / ".state" / ".pulumi").exists()  # the engine never started


def test_our_line_is_taken_from_the_provider_traceback() -> None:
    assert failure_line(PROVIDER_TRACEBACK) == (
        "coldfleet: Mailbox anna@alpha.com: [graph 403 Authorization_RequestDenied] Insufficient privileges. "
        "Next: grant User.ReadWrite.All"
    )
    assert failure_line("Traceback (most recent call last):\n  File x\nKeyError: 'id'\n") == "KeyError: 'id'"
    chained = ("Traceback (most recent call last):\n  File \"a\", line 1\nValueError: first\n\n"
               "During handling of the above exception, another exception occurred:\n\n"
               "Traceback (most recent call last):\n  File \"b\", line 2\n"
               "    bar()\nConflict: domain x cannot be removed yet\nenable coldfleet:purgeDeletedUsers\n")
    assert failure_line(chained) == "Conflict: domain x cannot be removed yet enable coldfleet:purgeDeletedUsers"
    assert failure_line("an unhandled error occurred: the mass-delete guard refuses") == (
        "the mass-delete guard refuses"
    )


def test_one_line_per_failed_resource_and_no_diagnostics_section() -> None:
    shown: list[str] = []
    report = EngineReport(verbose=False, echo=shown.append)
    for line in (" +  Mailbox alpha.com/anna creating failed error: Traceback (most recent call last):",
                 " +  pulumi:pulumi:Stack coldfleet-dev creating (1s) warning: providers.poll: still waiting",
                 "Diagnostics:", "  pulumi-python:dynamic/coldfleet:Mailbox (alpha.com/anna):",
                 "    error: Traceback (most recent call last):", "", "Resources:", "    2 errored"):
        report.on_output(line)
    for message in (PROVIDER_TRACEBACK, PROVIDER_TRACEBACK, "update failed\n"):
        report.on_event(_diagnostic(message, urn=URN if message != "update failed\n" else None))
    report.on_event(_diagnostic("warning text", severity="warning"))
    report.on_event(_diagnostic("boom\n", urn=URN.replace("Mailbox::alpha.com/anna", "Mailbox::alpha.com/marco")))
    assert shown == [" +  pulumi:pulumi:Stack coldfleet-dev creating (1s) warning: providers.poll: still waiting",
                     "Resources:", "    2 errored"]
    assert report.failures() == [
        "coldfleet: Mailbox anna@alpha.com: [graph 403 Authorization_RequestDenied] Insufficient privileges. "
        "Next: grant User.ReadWrite.All",
        "Mailbox alpha.com/marco: boom",
    ]
    verbose = EngineReport(verbose=True, echo=shown.append)
    verbose.on_event(_diagnostic(PROVIDER_TRACEBACK))
    assert verbose.failures() == [f"Mailbox alpha.com/anna: {PROVIDER_TRACEBACK}"]
